"""Results maths of ballots (facilitator/meeting/voting.py) on hand-made cases."""

import json
import math
import random

import pytest

from facilitator.meeting.voting import (
    ANONYMITY_THRESHOLD,
    CHOICES,
    consensus_score,
    divergence_score,
    tally,
    validate_vote,
)

REGIONS = ["africa", "americas", "asia", "europe", "mena"]


def ballot(cids=("c1",), mode="yes_no", status="open", dots=5):
    return {"id": "b1", "mode": mode, "contribution_ids": list(cids), "status": status,
            "dots": dots, "revealed": False}


class Room:
    """Builds votes/regions_of from {region: [choice, ...]} per practice."""

    def __init__(self):
        self.votes = {}
        self.regions_of = {}
        self.n = 0

    def people(self, region, k):
        out = []
        for _ in range(k):
            self.n += 1
            pid = f"participant-{self.n:04d}"
            self.regions_of[pid] = region
            self.votes[pid] = {}
            out.append(pid)
        return out

    def cast(self, cid, region, choices):
        """Each choice by a fresh participant of that region."""
        for pid, ch in zip(self.people(region, len(choices)), choices):
            self.votes[pid][cid] = ch
        return self

    def tally(self, b=None, origins=None, regions=REGIONS):
        b = b or ballot()
        return tally(b, self.votes, self.regions_of, origins or {}, regions)


def result(out, cid="c1"):
    return next(r for r in out["results"] if r["contribution_id"] == cid)


# ----------------------------------------------------------------------------- counts


def test_counts_overall_and_by_region():
    room = Room()
    room.cast("c1", "africa", ["yes", "yes", "no", "unsure"])
    room.cast("c1", "asia", ["yes", "no", "no"])
    room.cast("c1", None, ["yes", "no"])  # prefer not to say
    out = room.tally()
    assert out["ballot_id"] == "b1" and out["status"] == "open" and out["mode"] == "yes_no"
    assert out["participants"] == 9
    r = result(out)
    assert r["counts"] == {"yes": 4, "no": 4, "unsure": 1}
    assert r["turnout"] == 9
    assert r["by_region"]["africa"] == {"yes": 2, "no": 1, "unsure": 1, "voters": 4, "agree_rate": 0.5}
    assert r["by_region"]["asia"] == {"yes": 1, "no": 2, "unsure": 0, "voters": 3,
                                      "agree_rate": pytest.approx(1 / 3, abs=1e-4)}
    # every agenda region is a key; regions without voters are null; no "none" key
    assert list(r["by_region"]) == REGIONS
    assert r["by_region"]["europe"] is None and r["by_region"]["mena"] is None
    assert None not in r["by_region"] and "none" not in r["by_region"]


def test_results_follow_ballot_order_and_ignore_foreign_or_bad_votes():
    room = Room()
    room.cast("c2", "africa", ["yes", "yes", "yes"])
    room.cast("c1", "africa", ["no", "no", "no"])
    room.cast("zz", "africa", ["yes"] * 4)          # not on this ballot
    room.cast("c1", "asia", ["maybe", 3, None])       # malformed values are ignored
    out = room.tally(ballot(["c2", "c1"]))
    assert [r["contribution_id"] for r in out["results"]] == ["c2", "c1"]
    assert result(out, "c2")["counts"] == {"yes": 3, "no": 0, "unsure": 0}
    assert result(out, "c1")["counts"] == {"yes": 0, "no": 3, "unsure": 0}
    assert out["participants"] == 6


def test_no_participant_id_in_output():
    room = Room()
    room.cast("c1", "africa", ["yes", "no", "yes"])
    room.cast("c1", "asia", ["yes"])
    room.cast("c1", None, ["no"])
    text = json.dumps(room.tally(origins={"c1": "asia"}))
    assert "participant-" not in text
    for pid in room.votes:
        assert pid not in text


def test_revote_replacement_is_reflected_not_added():
    room = Room()
    room.cast("c1", "africa", ["no", "no", "no"])
    before = result(room.tally())
    assert before["counts"] == {"yes": 0, "no": 3, "unsure": 0}
    first = next(iter(room.votes))
    room.votes[first]["c1"] = "yes"  # the web layer replaces the previous vote
    after = result(room.tally())
    assert after["counts"] == {"yes": 1, "no": 2, "unsure": 0}
    assert after["turnout"] == 3
    assert after["by_region"]["africa"]["voters"] == 3


def test_unsure_is_a_vote_but_not_agreement():
    room = Room()
    room.cast("c1", "africa", ["yes", "yes", "unsure", "unsure"])
    r = result(room.tally())
    assert r["by_region"]["africa"]["agree_rate"] == 0.5
    assert r["consensus"] == pytest.approx(3 / 6, abs=1e-4)  # (2+1)/(4+2)


# ----------------------------------------------------------------------------- scores


def test_regions_that_split_diverge_and_lower_consensus():
    split, mixed = Room(), Room()
    split.cast("c1", "africa", ["yes"] * 5).cast("c1", "europe", ["no"] * 5)
    mixed.cast("c1", "africa", ["yes", "yes", "no", "no", "yes"]) \
         .cast("c1", "europe", ["no", "no", "yes", "yes", "yes"])
    s, m = result(split.tally()), result(mixed.tally())
    assert s["counts"] == {"yes": 5, "no": 5, "unsure": 0}
    assert s["divergence"] == pytest.approx(1.0)
    assert s["consensus"] == pytest.approx(math.sqrt(6 / 7 * 1 / 7), abs=1e-4)
    # same overall support spread evenly: no divergence, and higher consensus
    assert m["divergence"] == pytest.approx(0.0)
    assert m["consensus"] == pytest.approx(4 / 7, abs=1e-4)
    assert s["consensus"] < m["consensus"]


def test_partial_split_is_in_between():
    room = Room()
    room.cast("c1", "africa", ["yes"] * 4).cast("c1", "asia", ["yes"] * 4) \
        .cast("c1", "europe", ["no"] * 4)
    r = result(room.tally())
    # rates 1, 1, 0 -> std sqrt(2)/3 -> 2*std
    assert r["divergence"] == pytest.approx(2 * math.sqrt(2) / 3, abs=1e-4)
    assert 0.5 < r["divergence"] < 1.0


def test_everyone_says_no_no_divergence_low_consensus():
    room = Room()
    room.cast("c1", "africa", ["no"] * 3).cast("c1", "asia", ["no"] * 10) \
        .cast("c1", "europe", ["no"] * 6)
    r = result(room.tally())
    assert r["divergence"] == 0.0
    expected = (1 / 5 * 1 / 12 * 1 / 8) ** (1 / 3)
    assert r["consensus"] == pytest.approx(expected, abs=1e-4)
    assert r["consensus"] < 0.2


def test_everyone_says_yes_no_divergence_high_consensus():
    room = Room()
    room.cast("c1", "africa", ["yes"] * 3).cast("c1", "asia", ["yes"] * 10) \
        .cast("c1", "europe", ["yes"] * 6)
    r = result(room.tally())
    assert r["divergence"] == 0.0
    assert r["consensus"] == pytest.approx((4 / 5 * 11 / 12 * 7 / 8) ** (1 / 3), abs=1e-4)
    assert r["consensus"] > 0.8


def test_consensus_is_comparable_across_numbers_of_regions():
    # same per-region result in 2 or in 6 regions gives the same score (a raw
    # product would shrink with every region added)
    assert consensus_score([(8, 10)] * 2) == pytest.approx(consensus_score([(8, 10)] * 6))
    assert consensus_score([(8, 10)] * 6) == pytest.approx(9 / 12, abs=1e-4)
    assert consensus_score([]) == 0.5


def test_divergence_bounds():
    assert divergence_score([0.7]) == 0.0
    assert divergence_score([0.0, 1.0]) == 1.0
    assert divergence_score([0.0, 0.0, 1.0, 1.0]) == 1.0
    assert divergence_score([0.4, 0.4, 0.4]) == 0.0


def test_scores_with_no_region_shown_fall_back_to_everyone_as_one_group():
    room = Room()
    room.cast("c1", "africa", ["yes", "yes"]).cast("c1", None, ["yes", "no"])
    r = result(room.tally())
    assert all(v is None for v in r["by_region"].values())
    assert r["consensus"] == pytest.approx((3 + 1) / (4 + 2), abs=1e-4)
    assert r["divergence"] == 0.0
    empty = result(Room().tally())
    assert empty["turnout"] == 0 and empty["consensus"] == 0.5 and empty["divergence"] == 0.0


# ----------------------------------------------------------------------------- anonymity


def test_threshold_is_three():
    assert ANONYMITY_THRESHOLD == 3
    assert CHOICES == ("yes", "no", "unsure")


def test_small_region_suppressed_and_complementary_suppression():
    room = Room()
    room.cast("c1", "africa", ["yes"] * 6)
    room.cast("c1", "asia", ["no"] * 4)
    room.cast("c1", "europe", ["no", "yes"])  # 2 voters: under threshold
    r = result(room.tally())
    assert r["counts"] == {"yes": 7, "no": 5, "unsure": 0}  # overall always shown
    assert r["by_region"]["europe"] is None
    # europe alone would be overall - africa - asia: asia (smallest shown) is hidden too
    assert r["by_region"]["asia"] is None
    assert r["by_region"]["africa"]["voters"] == 6
    # scores only use what is shown
    assert r["divergence"] == 0.0
    assert r["consensus"] == pytest.approx(7 / 8, abs=1e-4)


def test_two_small_regions_summing_to_threshold_need_no_extra_suppression():
    room = Room()
    room.cast("c1", "africa", ["yes"] * 6).cast("c1", "asia", ["no"] * 4)
    room.cast("c1", "europe", ["no", "yes"]).cast("c1", "mena", ["yes", "yes"])
    r = result(room.tally())
    assert r["by_region"]["europe"] is None and r["by_region"]["mena"] is None
    assert r["by_region"]["africa"] is not None and r["by_region"]["asia"] is not None


def test_two_single_voters_are_still_protected():
    room = Room()
    room.cast("c1", "africa", ["yes"] * 6).cast("c1", "asia", ["no"] * 5)
    room.cast("c1", "europe", ["no"]).cast("c1", "mena", ["no"])
    r = result(room.tally())
    # europe+mena = 2 voters, both "no" would be readable: hide asia too (5 < 6)
    assert r["by_region"]["asia"] is None
    assert r["by_region"]["africa"]["yes"] == 6


def test_complementary_tie_takes_first_in_agenda_order():
    room = Room()
    room.cast("c1", "africa", ["yes"] * 4).cast("c1", "asia", ["no"] * 4)
    room.cast("c1", "europe", ["no"])
    r = result(room.tally())
    assert r["by_region"]["africa"] is None and r["by_region"]["asia"]["voters"] == 4


def test_undisclosed_voters_do_not_count_as_cover():
    # one europe voter plus three who preferred not to say: the undisclosed count is
    # not trusted to hide europe, so asia is suppressed as well
    room = Room()
    room.cast("c1", "africa", ["yes"] * 5).cast("c1", "asia", ["no"] * 3)
    room.cast("c1", "europe", ["yes"]).cast("c1", None, ["no", "no", "no"])
    r = result(room.tally())
    assert r["by_region"]["europe"] is None and r["by_region"]["asia"] is None
    assert r["by_region"]["africa"] is not None


def test_no_region_alone_can_be_deduced_randomised():
    """Property on many random rooms: what is hidden holds 0 or >= threshold voters."""
    rng = random.Random(4)
    for _ in range(500):
        room = Room()
        for region in REGIONS + [None]:
            k = rng.choice([0, 0, 1, 2, 3, 4, 7])
            room.cast("c1", region, [rng.choice(CHOICES) for _ in range(k)])
        r = result(room.tally())
        voters = {reg: sum(1 for p, v in room.votes.items()
                           if room.regions_of[p] == reg and "c1" in v) for reg in REGIONS}
        for reg, cell in r["by_region"].items():
            if cell is not None:
                assert cell["voters"] >= ANONYMITY_THRESHOLD
                assert cell["voters"] == voters[reg]
        hidden = sum(voters[reg] for reg, cell in r["by_region"].items() if cell is None)
        shown_any = any(cell is not None for cell in r["by_region"].values())
        # when nothing is shown per region there is nothing to subtract from the
        # overall counts (the documented residual risk of always-public overall counts)
        assert hidden == 0 or hidden >= ANONYMITY_THRESHOLD or not shown_any
        assert sum(r["counts"].values()) == r["turnout"]


# ----------------------------------------------------------------------------- matrix


def test_transferability_matrix():
    room = Room()
    # c1 and c2 come from africa, c3 from europe
    room.cast("c1", "africa", ["yes"] * 4).cast("c1", "asia", ["no", "no", "yes"])
    room.cast("c2", "africa", ["yes", "yes", "no", "no"]).cast("c2", "asia", ["no"] * 3)
    room.cast("c3", "africa", ["no"] * 3).cast("c3", "asia", ["yes"] * 5)
    room.cast("c3", "europe", ["yes"])  # a single europe voter
    origins = {"c1": "africa", "c2": "africa", "c3": "europe"}
    out = room.tally(ballot(["c1", "c2", "c3"]), origins=origins)
    m = out["matrix"]
    assert m["rows"] == ["africa", "europe"]
    assert m["cols"] == REGIONS
    africa_row = dict(zip(m["cols"], m["cells"][0]))
    europe_row = dict(zip(m["cols"], m["cells"][1]))
    assert africa_row["africa"] == pytest.approx(6 / 8, abs=1e-4)   # (4+2)/(4+4)
    assert africa_row["asia"] == pytest.approx(1 / 6, abs=1e-4)     # (1+0)/(3+3)
    assert africa_row["europe"] is None and africa_row["mena"] is None
    # c3: europe has 1 voter -> hidden, and africa (3 < 5) is hidden as its complement
    assert europe_row["europe"] is None
    assert europe_row["africa"] is None
    assert europe_row["asia"] == 1.0


def test_matrix_never_mixes_a_hidden_practice_cell():
    room = Room()
    room.cast("c1", "asia", ["yes", "yes", "no"]).cast("c1", "africa", ["no"] * 3)
    room.cast("c2", "asia", ["yes", "no"]).cast("c2", "africa", ["yes"] * 5)
    out = room.tally(ballot(["c1", "c2"]), origins={"c1": "mena", "c2": "mena"})
    assert result(out, "c2")["by_region"]["asia"] is None
    row = dict(zip(out["matrix"]["cols"], out["matrix"]["cells"][0]))
    # asia has 5 distinct voters on mena's practices, but pooling c2 with the public
    # c1 cell would let c2's two asia votes be solved for: null
    assert row["asia"] is None
    assert out["matrix"]["rows"] == ["mena"]


def test_matrix_skips_practices_without_origin():
    room = Room()
    room.cast("c1", "asia", ["yes"] * 3)
    out = room.tally(origins={"c1": None})
    assert out["matrix"]["rows"] == [] and out["matrix"]["cells"] == []


# ----------------------------------------------------------------------------- dots


def dots_room():
    room = Room()
    # africa: 4 voters, asia: 3 voters, europe: 1 voter, plus one undisclosed
    for pid, spend in zip(room.people("africa", 4), [{"c1": 3, "c2": 2}, {"c1": 5},
                                                      {"c1": 1, "c2": 4}, {"c1": 2, "c2": 0}]):
        room.votes[pid] = spend
    for pid, spend in zip(room.people("asia", 3), [{"c2": 5}, {"c2": 4, "c1": 1}, {"c2": 5}]):
        room.votes[pid] = spend
    for pid in room.people("europe", 1):
        room.votes[pid] = {"c1": 5}
    for pid in room.people(None, 1):
        room.votes[pid] = {"c2": 2}
    for pid in room.people("mena", 2):
        room.votes[pid] = {"c1": 0}  # zero dots everywhere: not a voter
    return room


def test_dots_mode():
    room = dots_room()
    out = room.tally(ballot(["c1", "c2"], mode="dots"),
                     origins={"c1": "africa", "c2": "asia"})
    assert out["mode"] == "dots" and out["participants"] == 9
    c1, c2 = result(out, "c1"), result(out, "c2")
    assert "counts" not in c1
    assert c1["dots"] == 3 + 5 + 1 + 2 + 1 + 5 and c2["dots"] == 2 + 4 + 5 + 4 + 5 + 2
    assert c1["turnout"] == 6 and c2["turnout"] == 6
    # europe has 1 voter: hidden; asia (3 voters, smaller than africa) hidden as complement
    assert c1["by_region"]["europe"] is None and c1["by_region"]["asia"] is None
    assert c1["by_region"]["mena"] is None
    assert c1["by_region"]["africa"] == {"dots": 11, "voters": 4, "supporters": 4, "agree_rate": 1.0}
    assert c2["by_region"]["africa"] == {"dots": 6, "voters": 4, "supporters": 2, "agree_rate": 0.5}
    assert c1["consensus"] == pytest.approx(5 / 6, abs=1e-4)
    assert c2["consensus"] == pytest.approx(3 / 6, abs=1e-4)
    assert c1["divergence"] == 0.0
    assert "participant-" not in json.dumps(out)
    m = out["matrix"]
    assert m["rows"] == ["africa", "asia"]
    assert dict(zip(m["cols"], m["cells"][0]))["africa"] == 1.0
    assert dict(zip(m["cols"], m["cells"][1]))["africa"] == 0.5
    assert dict(zip(m["cols"], m["cells"][1]))["asia"] is None


def test_dots_mode_divergence_when_regions_back_different_practices():
    room = Room()
    for pid in room.people("africa", 4):
        room.votes[pid] = {"c1": 5}
    for pid in room.people("asia", 4):
        room.votes[pid] = {"c2": 5}
    out = room.tally(ballot(["c1", "c2"], mode="dots"))
    for cid in ("c1", "c2"):
        r = result(out, cid)
        assert r["divergence"] == 1.0
        assert r["consensus"] == pytest.approx(math.sqrt(5 / 6 * 1 / 6), abs=1e-4)


# ----------------------------------------------------------------------------- validate_vote


@pytest.mark.parametrize("value,expected", [
    ("yes", None), ("no", None), ("unsure", None),
    ("YES", "invalid"), ("maybe", "invalid"), (1, "invalid"), (None, "invalid"), (["yes"], "invalid"),
])
def test_validate_yes_no(value, expected):
    assert validate_vote(ballot(["c1", "c2"]), {"c1": "no"}, "c1", value) == expected


def test_validate_not_found_and_closed():
    assert validate_vote(None, {}, "c1", "yes") == "not_found"
    assert validate_vote(ballot(["c1"]), {}, "c9", "yes") == "not_found"
    assert validate_vote(ballot(["c1"], status="closed"), {}, "c1", "yes") == "closed"
    assert validate_vote(ballot(["c1"], status="closed", mode="dots"), {}, "c1", 1) == "closed"
    bad_mode = ballot(["c1"])
    bad_mode["mode"] = "ranked"
    assert validate_vote(bad_mode, {}, "c1", "yes") == "invalid"


def test_validate_dots():
    b = ballot(["c1", "c2", "c3"], mode="dots", dots=5)
    assert validate_vote(b, {}, "c1", 5) is None
    assert validate_vote(b, {}, "c1", 0) is None
    assert validate_vote(b, {}, "c1", 6) == "too_many_dots"
    assert validate_vote(b, {}, "c1", -1) == "invalid"
    assert validate_vote(b, {}, "c1", 2.0) == "invalid"
    assert validate_vote(b, {}, "c1", True) == "invalid"
    assert validate_vote(b, {}, "c1", "3") == "invalid"
    current = {"c1": 2, "c2": 2}
    assert validate_vote(b, current, "c3", 1) is None
    assert validate_vote(b, current, "c3", 2) == "too_many_dots"
    # replacing a practice's own dots does not count them twice
    assert validate_vote(b, current, "c1", 3) is None
    assert validate_vote(b, current, "c1", 4) == "too_many_dots"
    # dots on practices of another ballot do not count
    assert validate_vote(b, {"other": 5}, "c1", 5) is None
