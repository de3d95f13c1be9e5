"""Ballot results: counts, consensus, divergence and transferability per region.

Pure Python, no Flask, no I/O. The web layer passes in the current votes (re-votes
already replaced) and the region of each participant; nothing returned here contains
a participant id. The formulas, the anonymity rules and a worked example are in
``docs/voting.md``; keep the two in step.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .desk import translations_view

ANONYMITY_THRESHOLD = 3  # no per-region cell with fewer voters is shown
# A practice on which regions split at least this much is shown among the diverging points.
VOTE_DIVERGENCE_THRESHOLD = 0.5
CHOICES = ("yes", "no", "unsure")
MODES = ("yes_no", "dots")

_ROUND = 4  # digits kept in rates and scores


# --------------------------------------------------------------------------- validation


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def item_ids(ballot: dict) -> list[str]:
    """The ids of a ballot's items in ballot order: its points' and its contributions'. Ballots
    logged before points could be put to the vote have contribution ids only."""
    return list(ballot.get("item_ids") or ballot.get("contribution_ids") or [])


def item_key(ballot: dict, item_id: str) -> str:
    """The name of an item id in results and events: ``point_id`` or ``contribution_id``."""
    return "point_id" if item_id in (ballot.get("point_ids") or ()) else "contribution_id"


def validate_vote(ballot: dict | None, current_votes_of_participant: dict | None,
                  contribution_id: str, value) -> str | None:
    """Check one `vote.cast` against the ballot and the sender's current votes.

    ``contribution_id`` is the id of the item voted on (a contribution or a point).
    Returns an error code or None:
    ``not_found`` (no such ballot, or the practice is not on it), ``closed`` (the ballot
    is not open), ``invalid`` (wrong type or value), ``too_many_dots`` (the value, or the
    participant's total over the ballot after replacing this practice's value, exceeds
    the allowance ``ballot["dots"]``).
    """
    if not isinstance(ballot, dict):
        return "not_found"
    if ballot.get("status") != "open":
        return "closed"
    in_ballot = item_ids(ballot)
    if not isinstance(contribution_id, str) or contribution_id not in in_ballot:
        return "not_found"
    mode = ballot.get("mode")
    if mode == "yes_no":
        if not isinstance(value, str) or value not in CHOICES:
            return "invalid"
        return None
    if mode == "dots":
        if not _is_int(value) or value < 0:
            return "invalid"
        allowance = ballot.get("dots")
        allowance = allowance if _is_int(allowance) and allowance >= 0 else 0
        if value > allowance:
            return "too_many_dots"
        others = sum(v for cid, v in (current_votes_of_participant or {}).items()
                     if cid != contribution_id and cid in in_ballot and _is_int(v) and v > 0)
        if others + value > allowance:
            return "too_many_dots"
        return None
    return "invalid"


# --------------------------------------------------------------------------- helpers


def _rate(agree: int, votes: int) -> float | None:
    return round(agree / votes, _ROUND) if votes else None


def _smoothed(agree: int, votes: int) -> float:
    """Laplace-smoothed agreement (agree + 1) / (votes + 2), as in Pol.is."""
    return (agree + 1) / (votes + 2)


def consensus_score(groups: list[tuple[int, int]]) -> float:
    """Geometric mean over groups of (agree + 1) / (votes + 2).

    ``groups`` is a list of (agree, votes). With no group, the uninformed prior 0.5.
    """
    if not groups:
        return 0.5
    log_sum = sum(math.log(_smoothed(a, v)) for a, v in groups)
    return round(math.exp(log_sum / len(groups)), _ROUND)


def divergence_score(rates: list[float]) -> float:
    """Twice the population standard deviation of the regions' agreement rates.

    Rates lie in [0, 1], so the standard deviation is at most 0.5 and the score lies in
    [0, 1]: 0 when every region agrees to the same degree (all yes, or all no), 1 when
    half the regions say yes unanimously and half say no unanimously. Needs two regions.
    """
    if len(rates) < 2:
        return 0.0
    mean = sum(rates) / len(rates)
    var = sum((r - mean) ** 2 for r in rates) / len(rates)
    return round(min(1.0, 2 * math.sqrt(var)), _ROUND)


def _shown_regions(voters_by_region: dict, order: list) -> set:
    """The regions whose numbers may be shown; the others are withheld.

    Primary: a region with fewer than ANONYMITY_THRESHOLD voters is hidden.
    Complementary: the overall counts are always public, so overall minus the shown
    regions gives the sum over the hidden ones. If the hidden regions together hold
    between 1 and THRESHOLD-1 voters, that sum would expose them, so the shown region
    with the fewest voters (first in agenda order on a tie) is hidden too; it holds at
    least THRESHOLD voters, so after one step the hidden pool is large enough.
    """
    shown = {r for r in order if voters_by_region.get(r, 0) >= ANONYMITY_THRESHOLD}
    hidden_voters = sum(v for r, v in voters_by_region.items() if r not in shown)
    while 0 < hidden_voters < ANONYMITY_THRESHOLD and shown:
        victim = min((r for r in order if r in shown), key=lambda r: voters_by_region[r])
        shown.discard(victim)
        hidden_voters += voters_by_region[victim]
    return shown


def _region_order(region_ids: list, extra) -> list:
    """Agenda regions first, then any other region seen, sorted (defensive)."""
    order = list(dict.fromkeys(r for r in region_ids if r is not None))
    known = set(order)
    order += sorted({r for r in extra if r is not None and r not in known}, key=str)
    return order


# --------------------------------------------------------------------------- tally


def clean_votes(ballot: dict, votes: dict) -> dict:
    """The votes that count: only this ballot's items and well-formed values, and only the
    participants left with at least one (dots mode: one dot placed)."""
    mode = ballot.get("mode", "yes_no")
    in_ballot = set(item_ids(ballot))
    clean: dict = {}
    for pid, pv in (votes or {}).items():
        if not isinstance(pv, dict):
            continue
        if mode == "dots":
            mine = {c: v for c, v in pv.items() if c in in_ballot and _is_int(v) and v > 0}
        else:
            mine = {c: v for c, v in pv.items() if c in in_ballot and v in CHOICES}
        if mine:
            clean[pid] = mine
    return clean


def voters(ballot: dict, votes: dict) -> int:
    """How many have voted on a ballot: its results' ``participants``, without the tally."""
    return len(clean_votes(ballot, votes))


def tally(ballot: dict, votes: dict, regions_of: dict, origin_region_of: dict,
          region_ids: list) -> dict:
    """Results of one ballot, exactly the JSON of GET /api/m/<id>/ballots/<ballot_id>."""
    mode = ballot.get("mode", "yes_no")
    cids = list(dict.fromkeys(item_ids(ballot)))
    regions_of = regions_of or {}
    origin_region_of = origin_region_of or {}
    clean = clean_votes(ballot, votes)
    order = _region_order(region_ids or [], (regions_of.get(p) for p in clean))

    if mode == "dots":
        results, public = _tally_dots(cids, clean, regions_of, order)
    else:
        results, public = _tally_yes_no(cids, clean, regions_of, order)
    for row in results:
        key = item_key(ballot, row["contribution_id"])
        if key != "contribution_id":
            row[key] = row.pop("contribution_id")
    rank(results, mode, order)

    return {
        "ballot_id": ballot.get("id"),
        "status": ballot.get("status"),
        "mode": mode,
        "participants": len(clean),
        "results": results,
        "order": [row_id(r) for r in sorted(results, key=_rank_order)],
        "matrix": _matrix(cids, public, origin_region_of, order, region_ids or []),
    }


def row_id(row: dict) -> str:
    """The item a row of results is about: a point's id or a contribution's."""
    return row.get("point_id") or row["contribution_id"]


# --------------------------------------------------------------------------- the ranking


def _score(mode: str, cell: dict | None, overall_row: dict | None = None):
    """What a row is ranked by (exact, so that equal figures tie), or None: not ranked.

    Dots: the dots placed. Yes/no: the smoothed agreement (yes + 1) / (votes + 2), so that
    4 yes of 4 ranks above 1 yes of 1; nobody voting on the item ranks it nowhere."""
    if overall_row is not None:
        if mode == "dots":
            return Fraction(overall_row.get("dots", 0))
        votes = overall_row.get("turnout", 0)
        return Fraction(overall_row["counts"]["yes"] + 1, votes + 2) if votes else None
    if cell is None:
        return None  # a withheld region ranks nothing: its order would tell its votes
    if mode == "dots":
        return Fraction(cell.get("dots", 0))
    return Fraction(cell["yes"] + 1, cell["voters"] + 2) if cell.get("voters") else None


def competition_ranks(scores: list) -> list:
    """Ranks "1, 2, 2, 4": equal scores share the best rank; a None score has no rank."""
    ranked = sorted((s for s in scores if s is not None), reverse=True)
    first = {}
    for i, s in enumerate(ranked):
        first.setdefault(s, i + 1)
    return [None if s is None else first[s] for s in scores]


def rank(results: list[dict], mode: str, order: list) -> None:
    """Adds ``rank``, ``tied`` and ``rank_by_region`` to each row of results, in place."""
    overall = competition_ranks([_score(mode, None, row) for row in results])
    for row, r in zip(results, overall):
        row["rank"] = r
        row["tied"] = r is not None and overall.count(r) > 1
        row["rank_by_region"] = {}
    for region in order:
        ranks = competition_ranks([_score(mode, (row.get("by_region") or {}).get(region)) for row in results])
        for row, r in zip(results, ranks):
            row["rank_by_region"][region] = r


def _rank_order(row: dict):
    return (row["rank"] is None, row["rank"] or 0)


def _tally_yes_no(cids, clean, regions_of, order):
    results = []
    public = {}  # cid -> (shown {region: (agree, votes)}, hidden-with-voters set)
    for cid in cids:
        overall = {c: 0 for c in CHOICES}
        per_region: dict = {}
        for pid, pv in clean.items():
            choice = pv.get(cid)
            if choice is None:
                continue
            overall[choice] += 1
            region = regions_of.get(pid)
            if region is None:
                continue  # prefer not to say: overall counts only
            cell = per_region.setdefault(region, {c: 0 for c in CHOICES})
            cell[choice] += 1
        voters = {r: sum(c.values()) for r, c in per_region.items()}
        shown = _shown_regions(voters, order)

        by_region = {}
        for r in order:
            if r in shown:
                cell = per_region[r]
                by_region[r] = {**cell, "voters": voters[r], "agree_rate": _rate(cell["yes"], voters[r])}
            else:
                by_region[r] = None

        turnout = sum(overall.values())
        shown_groups = [(per_region[r]["yes"], voters[r]) for r in order if r in shown]
        groups = shown_groups or ([(overall["yes"], turnout)] if turnout else [])
        results.append({
            "contribution_id": cid,
            "counts": overall,
            "by_region": by_region,
            "turnout": turnout,
            "consensus": consensus_score(groups),
            "divergence": divergence_score([a / v for a, v in shown_groups]),
        })
        public[cid] = ({r: (per_region[r]["yes"], voters[r]) for r in shown},
                       {r for r in voters if r not in shown})
    return results, public


def _tally_dots(cids, clean, regions_of, order):
    # In dots mode every ballot voter weighs every practice (0 dots is a choice), so a
    # region's voters on a practice are its voters in the ballot.
    ballot_voters: dict = {}
    for pid in clean:
        region = regions_of.get(pid)
        if region is not None:
            ballot_voters[region] = ballot_voters.get(region, 0) + 1
    shown = _shown_regions(ballot_voters, order)
    hidden = {r for r in ballot_voters if r not in shown}

    results = []
    public = {}
    for cid in cids:
        total = 0
        supporters_all = 0
        dots_r: dict = {}
        supporters_r: dict = {}
        for pid, pv in clean.items():
            d = pv.get(cid, 0)
            if d <= 0:
                continue
            total += d
            supporters_all += 1
            region = regions_of.get(pid)
            if region is None:
                continue
            dots_r[region] = dots_r.get(region, 0) + d
            supporters_r[region] = supporters_r.get(region, 0) + 1

        by_region = {}
        for r in order:
            if r in shown:
                s = supporters_r.get(r, 0)
                by_region[r] = {"dots": dots_r.get(r, 0), "voters": ballot_voters[r],
                                "supporters": s, "agree_rate": _rate(s, ballot_voters[r])}
            else:
                by_region[r] = None

        shown_groups = [(supporters_r.get(r, 0), ballot_voters[r]) for r in order if r in shown]
        groups = shown_groups or ([(supporters_all, len(clean))] if clean else [])
        results.append({
            "contribution_id": cid,
            "dots": total,
            "by_region": by_region,
            "turnout": supporters_all,
            "consensus": consensus_score(groups),
            "divergence": divergence_score([a / v for a, v in shown_groups]),
        })
        public[cid] = ({r: (supporters_r.get(r, 0), ballot_voters[r]) for r in shown}, set(hidden))
    return results, public


def _matrix(cids, public, origin_region_of, order, region_ids):
    """Origin region (rows) x voter region (cols): pooled agreement over the practices
    from that origin. Built only from the per-practice cells already shown in
    ``by_region``, so it can reveal nothing the results do not: a cell is null when any
    practice of the row has that voter region hidden with voters, or none shown."""
    origins = [origin_region_of.get(c) for c in cids]
    present = {o for o in origins if o is not None}
    rows = [r for r in dict.fromkeys(region_ids) if r in present]
    rows += sorted(present - set(rows), key=str)
    cols = list(order)
    cells = []
    for origin in rows:
        row_cids = [c for c, o in zip(cids, origins) if o == origin]
        line = []
        for col in cols:
            agree = votes = 0
            blocked = False
            for c in row_cids:
                shown, hidden = public[c]
                if col in shown:
                    a, v = shown[col]
                    agree += a
                    votes += v
                elif col in hidden:
                    blocked = True
                    break
            line.append(None if blocked or votes == 0 else _rate(agree, votes))
        cells.append(line)
    return {"rows": rows, "cols": cols, "cells": cells}


# --------------------------------------------------------------------------- the meeting's ballots


def ballot_results(state, ballot_id: str) -> dict:
    """One ballot of a meeting (a ``MeetingState``) tallied: the JSON of its results endpoint.

    A practice's origin region is its group when that group is a region (a regional breakout).
    """
    ballot = state.ballots[ballot_id]
    region_ids = [r["id"] for r in state.meeting.get("regions", [])]
    regions_of = {pid: p.get("region") for pid, p in state.participants.items()}
    origin = {}
    for cid in ballot["contribution_ids"]:
        group_id = state.contributions[cid]["group_id"]
        origin[cid] = group_id if group_id in region_ids else None
    # a point was raised by several groups: it has no one origin, and no row in the matrix
    result = tally(ballot, state.votes.get(ballot_id, {}), regions_of, origin, region_ids)
    result["revealed"] = bool(ballot.get("revealed"))
    result["prompt"] = ballot.get("prompt")
    return result


def regions_split(state):
    """(ballot id, live contribution, divergence) for each practice of a yes/no ballot on which
    the regions split at least VOTE_DIVERGENCE_THRESHOLD."""
    for ballot_id, ballot in state.ballots.items():
        if ballot["mode"] != "yes_no":
            continue
        for row in ballot_results(state, ballot_id)["results"]:
            divergence = row.get("divergence") or 0
            contribution = state.contributions.get(row.get("contribution_id"))
            if divergence < VOTE_DIVERGENCE_THRESHOLD or contribution is None or contribution["deleted"]:
                continue
            yield ballot_id, contribution, divergence


def open_ballots_showing(state, contribution_id: str | None = None, point_id: str | None = None) -> list[str]:
    """The open ballots whose phones show this text: a contribution on the ballot, the member a
    point item is worded by (``central``), or a point on the ballot (its titles). A translation
    of such a text goes to the participants; of any other text, never."""
    found = []
    for ballot_id, ballot in state.ballots.items():
        if ballot.get("status") != "open":
            continue
        for item in ballot.get("items") or ():
            if (contribution_id is not None and contribution_id in (item.get("contribution_id"), item.get("central"))) \
                    or (point_id is not None and item.get("point_id") == point_id):
                found.append(ballot_id)
                break
    return found


def ballot_view(state, ballot: dict, translations: bool = False) -> dict:
    """A ballot as a page loads it: its points' titles as they stand now and, for a phone (which
    has no contributions), the translations of the text each item shows."""
    return dict(ballot, items=[_item_view(state, item, translations) for item in ballot.get("items") or []])


def _item_view(state, item: dict, translations: bool) -> dict:
    out = dict(item)
    if translations:
        shown = item.get("contribution_id") or item.get("central")
        out["translations"] = translations_view(state, shown) if shown else {}
    point = (state.curation.get("points") or {}).get(item.get("point_id"))
    if point is not None:
        out.update(title=point.get("title"), titles=dict(point.get("titles") or {}))
    return out


def texts_on_phones(state) -> dict:
    """What the translators know of the ballots: for each open ballot, the contributions whose
    words its phones show (a contribution on it, or the member a point on it is worded by). No
    vote, no result, no closed ballot."""
    return {ballot_id: shown_texts(ballot) for ballot_id, ballot in state.ballots.items()
            if ballot.get("status") == "open"}


def shown_texts(ballot: dict) -> list[str]:
    return [item.get("contribution_id") or item.get("central") for item in ballot.get("items") or ()
            if item.get("contribution_id") or item.get("central")]
