"""Curation: the chair's decisions on converging points override the clustering."""

from __future__ import annotations

from .. import roles
from ..errors import OpError
from ..ids import QUESTION_CLUSTER, cluster_anchor
from ..state import MeetingState
from .common import MAX_TITLE, clean_text, field, find_contribution, meeting_language, op


def check_cluster(state: MeetingState, cluster_id, name: str = "cluster_id") -> str:
    anchor = cluster_anchor(cluster_id, prefixes=(QUESTION_CLUSTER,))
    if anchor is None:
        raise OpError("invalid", f"{name} must be a cluster id such as c-<contribution id>.")
    if anchor not in state.contributions:
        raise OpError("not_found", "No such cluster.")
    return anchor


@op("cluster.merge", roles.CHAIR)
def merge_clusters(state, actor, message, now):
    a = check_cluster(state, message.get("cluster_id"))
    b = check_cluster(state, message.get("into"), "into")
    if a == b:
        raise OpError("invalid", "A cluster cannot be merged into itself.")
    return {"type": "cluster.merged", "cluster_id": message["cluster_id"], "into": message["into"],
            "contribution_a": a, "contribution_b": b}


@op("cluster.detach", roles.CHAIR)
def detach_contribution(state, actor, message, now):
    contribution = find_contribution(state, message)
    return {"type": "cluster.detached", "contribution_id": contribution["id"]}


@op("cluster.title", roles.CHAIR)
def title_cluster(state, actor, message, now):
    check_cluster(state, message.get("cluster_id"))
    title = message.get("title")
    if title not in (None, ""):
        title = clean_text(title, "title", MAX_TITLE)
    event = {"type": "cluster.titled", "cluster_id": message["cluster_id"], "title": title or None}
    # With a lang, the title in that language (issue 12); without, the title as before.
    lang = meeting_language(state, message, required=False)
    if lang is not None:
        event["lang"] = lang
    return event


MAX_POINT_MEMBERS = 200


def _point_members(state: MeetingState, message: dict) -> list[str]:
    """The contributions the chair saw in a converging point: live, distinct, from two groups."""
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


@op("cluster.confirm", roles.CHAIR)
def confirm_cluster(state, actor, message, now):
    """The chair agrees these contributions make one point: they stay together (a must-link)."""
    check_cluster(state, message.get("cluster_id"))
    ids = _point_members(state, message)
    return {"type": "cluster.confirmed", "cluster_id": message["cluster_id"], "contribution_ids": ids}


@op("cluster.reject", roles.CHAIR)
def reject_cluster(state, actor, message, now):
    """The chair says these are not one point: no two of them are grouped again (cannot-links),
    unless the chair merges or confirms them later."""
    check_cluster(state, message.get("cluster_id"))
    ids = _point_members(state, message)
    return {"type": "cluster.rejected", "cluster_id": message["cluster_id"], "contribution_ids": ids}


@op("plenary.show_suggestions", roles.CHAIR)
def show_suggestions(state, actor, message, now):
    return {"type": "plenary.suggestions_shown", "shown": field(message, "shown", bool)}
