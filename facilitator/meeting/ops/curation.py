"""Curation: a person's decisions on converging points override the clustering (issue 18).

A point made by a person (chair or curator) has an identity of its own (`p-...`, or the cluster
id of a legacy confirmation) that its title, translations and forward follow. The fold is
meeting/curation.py; here each op is checked and its event decided.
"""

from __future__ import annotations

import re
import secrets

from .. import roles
from ..curation import UndoRefused, together_in_points
from ..errors import OpError
from ..ids import QUESTION_CLUSTER, SESSION_CLUSTER, cluster_anchor
from ..state import MeetingState
from .common import MAX_TITLE, check_seen, clean_text, field, find_contribution, meeting_language, op

CURATORS = (roles.CHAIR, roles.CURATOR)
MAX_POINT_MEMBERS = 200
# Contribution ids the confirmations and rejections of one meeting may name in all, undone ones
# included (issue 20: sixty rejections of 200 made a 17.8 MB state for every screen). The desk's
# pair decisions name two each: 20,000 of them fit.
MAX_CURATION_IDS = 40_000
# The points one contribution may sit in (a note carrying that many proposals at once).
MAX_POINTS_OF = 8
POINT_ID = re.compile(r"^p-[A-Za-z0-9_-]{4,40}$")


def check_cluster(state: MeetingState, cluster_id, name: str = "cluster_id",
                  session: bool = False) -> str | None:
    """A cluster id that names something: a point (returns None), or a suggested cluster
    `c-<contribution>` (`s-` too with ``session``; returns the contribution it is named after)."""
    if isinstance(cluster_id, str) and cluster_id in state.curation["points"]:
        return None
    prefixes = (QUESTION_CLUSTER, SESSION_CLUSTER) if session else (QUESTION_CLUSTER,)
    anchor = cluster_anchor(cluster_id, prefixes=prefixes)
    if anchor is None:
        raise OpError("invalid", f"{name} must be a point id or a cluster id such as c-<contribution id>.")
    if anchor not in state.contributions:
        raise OpError("not_found", "No such cluster.")
    return anchor


def _live_cluster(state: MeetingState, cluster_id, name: str = "cluster_id",
                  session: bool = False) -> str | None:
    """As check_cluster, for curation: a suggested cluster named after a deleted contribution
    is gone."""
    anchor = check_cluster(state, cluster_id, name, session=session)
    if anchor is not None and state.contributions[anchor]["deleted"]:
        raise OpError("not_found", "No such cluster: its contribution was deleted.")
    return anchor


def shown_cluster(state: MeetingState, cluster_id, session: bool = False) -> None:
    """A cluster the room may be shown or sent (spotlight, outcome): a point with a live member,
    or a suggested cluster whose contribution is not deleted. Anything else means nothing."""
    if _live_cluster(state, cluster_id, session=session) is None:
        members = state.curation["points"][cluster_id]["members"]
        if not any(not state.contributions.get(c, {"deleted": True})["deleted"] for c in members):
            raise OpError("not_found", "No such point: none of its contributions is left.")


def shown_contribution(state: MeetingState, message: dict) -> dict:
    """A contribution the room may be shown or sent: not deleted."""
    return _live(state, message)


def _live(state: MeetingState, message: dict) -> dict:
    contribution = find_contribution(state, message)
    if contribution["deleted"]:
        raise OpError("not_found", "No such contribution: it was deleted.")
    return contribution


def _point_members(state: MeetingState, message: dict) -> list[str]:
    """The contributions a person picked: live and distinct."""
    ids = field(message, "contribution_ids", list)
    if not 2 <= len(ids) <= MAX_POINT_MEMBERS:
        raise OpError("invalid", f"A converging point holds 2 to {MAX_POINT_MEMBERS} contributions.")
    if not all(isinstance(cid, str) for cid in ids) or len(set(ids)) != len(ids):
        raise OpError("invalid", "contribution_ids must be distinct strings.")
    for cid in ids:
        c = state.contributions.get(cid)
        if c is None or c["deleted"]:
            raise OpError("not_found", f"No such contribution: {cid[:40]}.")
    return ids


def _within_budget(state: MeetingState, ids: list[str]) -> list[str]:
    if state.curation_fold.ids_logged + len(ids) > MAX_CURATION_IDS:
        raise OpError("curation_full", f"This meeting's curation has named {MAX_CURATION_IDS} "
                      "contributions in all, the most it keeps.", limit=MAX_CURATION_IDS)
    return ids


def _check_one_point(state: MeetingState, members: list[str]) -> None:
    """A point answers one question and was raised by two groups or more."""
    found = [state.contributions[cid] for cid in members]
    if len({c["question_id"] for c in found}) != 1:
        raise OpError("invalid", "A point gathers contributions to one question.")
    # a deleted member stays in its point (a restore brings it back) but raises nothing now
    if len({c["group_id"] for c in found if not c["deleted"]}) < 2:
        raise OpError("invalid", "A point is raised by two groups or more: these are one group's.")
    if len(members) > MAX_POINT_MEMBERS:
        raise OpError("invalid", f"A point holds {MAX_POINT_MEMBERS} contributions at most.")


def _new_point_id(state: MeetingState, message: dict) -> str:
    """The client's proposal when it is free (it may title the point before the ack), else the
    legacy cluster id the op names, else one made here."""
    proposed = field(message, "point_id", str, required=False)
    if proposed is not None and not POINT_ID.match(proposed):
        raise OpError("invalid", "point_id must be p- followed by 4 to 40 letters, digits, - or _.")
    cluster_id = message.get("cluster_id")
    taken = state.curation["points"]
    # an id the log has used (a point since undone) is not free: a redo would bring it back
    if proposed is not None and proposed not in state.curation_fold.named and proposed not in state.curation["titles"]:
        return proposed
    if proposed is None and isinstance(cluster_id, str) and cluster_id not in taken:
        return cluster_id
    return "p-" + secrets.token_urlsafe(9)


@op("cluster.confirm", *CURATORS)
def confirm_cluster(state, actor, message, now):
    """These contributions make one point (free grouping too): with the points some are in
    already, the oldest of which keeps its identity."""
    ids = _within_budget(state, _point_members(state, message))
    points, point_of = state.curation["points"], state.curation["point_of"]
    named = None
    if message.get("cluster_id") is not None:
        named = message["cluster_id"] if _live_cluster(state, message["cluster_id"]) is None else None
    found = [named] if named else []
    found += [p for p in dict.fromkeys(point_of.get(c) for c in ids) if p is not None and p not in found]
    pid = min(found, key=lambda p: points[p]["created_seq"]) if found else _new_point_id(state, message)
    members = list(points[pid]["members"]) if pid in points else []
    for other in found:
        if other != pid:
            members += points[other]["members"]
    members += [c for c in ids if c not in members]
    _check_one_point(state, members)
    return {"type": "cluster.confirmed", "point_id": pid, "contribution_ids": ids, "members": members,
            "absorbed": [p for p in found if p != pid], "cluster_id": message.get("cluster_id")}


@op("cluster.reject", *CURATORS)
def reject_cluster(state, actor, message, now):
    """Not one point: no two of them are grouped again (a cannot-link set), until a person puts
    them together. Where several sit in one point, all but its earliest-joined leave it."""
    if message.get("cluster_id") is not None:
        _live_cluster(state, message["cluster_id"])
    ids = _within_budget(state, _point_members(state, message))
    removed = {}
    for pid, cids in together_in_points(state.curation, ids).items():
        order = state.curation["points"][pid]["members"]
        if len(cids) >= 2:
            keep = min(cids, key=order.index)
            removed[pid] = [c for c in cids if c != keep]
    return {"type": "cluster.rejected", "contribution_ids": ids, "cluster_id": message.get("cluster_id"),
            "removed": removed}


@op("cluster.move", *CURATORS)
def move_to_point(state, actor, message, now):
    """A contribution leaves its point and joins another of its question, or stands alone."""
    contribution = _live(state, message)
    cid = contribution["id"]
    if "to" not in message:
        raise OpError("invalid", "Missing field: to (a point id, or null to stand alone).")
    to = message["to"]
    if to is not None:
        point = state.curation["points"].get(to) if isinstance(to, str) else None
        if point is None:
            raise OpError("not_found", "No such point.")
        if point["question_id"] != contribution["question_id"]:
            raise OpError("invalid", "A point gathers contributions to one question.")
        if cid in point["members"]:
            raise OpError("conflict", "This contribution is in that point already.")
    return {"type": "cluster.moved", "contribution_id": cid,
            "from": state.curation["point_of"].get(cid), "to": to}


@op("cluster.include", *CURATORS)
def include_in_point(state, actor, message, now):
    """`contribution_ids: [a, b]`: a and b make one proposal, and a keeps the point(s) it is in
    as well (its note carries another proposal too): a joins b's point as an additional member,
    or a new point {b, a} is made when b is in none."""
    ids = _point_members(state, message)
    if len(ids) != 2:
        raise OpError("invalid", "cluster.include names two contributions: [a, b].")
    a, b = ids
    ca, cb = state.contributions[a], state.contributions[b]
    if ca["question_id"] != cb["question_id"]:
        raise OpError("invalid", "A point gathers contributions to one question.")
    if ca["group_id"] == cb["group_id"]:
        raise OpError("invalid", "A point is raised by two groups or more: these are one group's.")
    fold = state.curation_fold
    pid = state.curation["point_of"].get(b)
    if pid is not None and pid in fold.points_of(a):
        raise OpError("conflict", "This contribution is in that point already.")
    if len(fold.points_of(a)) >= MAX_POINTS_OF:
        raise OpError("invalid", f"A contribution sits in {MAX_POINTS_OF} points at most.")
    _within_budget(state, ids)
    if pid is None:
        return {"type": "cluster.included", "contribution_ids": ids, "point_id": _new_point_id(state, message),
                "new": True}
    _check_one_point(state, state.curation["points"][pid]["members"] + [a])
    return {"type": "cluster.included", "contribution_ids": ids, "point_id": pid, "new": False}


@op("cluster.detach", *CURATORS)
def detach_contribution(state, actor, message, now):
    """Out of every point, standing alone; with `point_id`, out of that point only (a
    contribution in several points keeps the others)."""
    cid = _live(state, message)["id"]
    pid = message.get("point_id")
    if pid is None:
        return {"type": "cluster.detached", "contribution_id": cid}
    if not isinstance(pid, str) or pid not in state.curation["points"]:
        raise OpError("not_found", "No such point.")
    if pid not in state.curation_fold.points_of(cid):
        raise OpError("conflict", "This contribution is not in that point.")
    return {"type": "cluster.detached", "contribution_id": cid, "point_id": pid}


@op("cluster.merge", *CURATORS)
def merge_clusters(state, actor, message, now):
    """Two points: every member of one joins the other, which keeps its identity. A suggested
    cluster and a point: its contributions (`contribution_ids` as the sender saw them, else the
    one it is named after) join the point. Two suggested clusters: a link between the
    contributions they are named after (as before)."""
    a = _live_cluster(state, message.get("cluster_id"))
    b = _live_cluster(state, message.get("into"), "into")
    if message["cluster_id"] == message["into"]:
        raise OpError("invalid", "A cluster cannot be merged into itself.")
    if a is not None and b is not None:
        return {"type": "cluster.merged", "cluster_id": message["cluster_id"], "into": message["into"],
                "contribution_a": a, "contribution_b": b}
    points = state.curation["points"]
    target = points[message["into"]] if b is None else points[message["cluster_id"]]
    if a is None and b is None:
        moved = list(points[message["cluster_id"]]["members"])
    else:
        moved = _point_members(state, message) if "contribution_ids" in message else [a or b]
    _check_one_point(state, [c for c in target["members"] if c not in moved] + moved)
    return {"type": "cluster.merged", "cluster_id": message["cluster_id"], "into": message["into"],
            "members": moved}


@op("cluster.title", *CURATORS)
def title_cluster(state, actor, message, now):
    _live_cluster(state, message.get("cluster_id"))
    title = message.get("title")
    if title not in (None, ""):
        title = clean_text(title, "title", MAX_TITLE)
    event = {"type": "cluster.titled", "cluster_id": message["cluster_id"], "title": title or None}
    # With a lang, the title in that language (issue 12); without, the title as before.
    lang = meeting_language(state, message, required=False)
    if lang is not None:
        event["lang"] = lang
    cid, curation = message["cluster_id"], state.curation
    now_title = curation["titles_by_lang"].get(cid, {}).get(lang) if lang else curation["titles"].get(cid)
    check_seen(message, state.curation_fold.title_version(cid, lang), "This title was changed by someone else.",
               {"title": now_title, "lang": lang})
    return event


@op("curation.undo", *CURATORS)
def undo_curation(state, actor, message, now):
    """Undo the decision logged at `seq`, or redo it by undoing its undo."""
    seq = field(message, "seq", int)
    try:
        target_type, root, undone = state.curation_fold.undo_target(seq)
    except UndoRefused as refused:
        raise OpError(refused.code, refused.message)
    return {"type": "curation.undone", "target_seq": seq, "root_seq": root,
            "target_type": target_type, "undone": undone}


@op("plenary.show_suggestions", roles.CHAIR)
def show_suggestions(state, actor, message, now):
    return {"type": "plenary.suggestions_shown", "shown": field(message, "shown", bool)}
