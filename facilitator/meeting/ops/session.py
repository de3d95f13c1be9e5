"""The chair's controls of the room: session, locks, timer, spotlight, anonymity."""

from __future__ import annotations

from .. import roles
from ..errors import OpError
from .common import MAX_TIMER, field, op
from .curation import shown_cluster, shown_contribution


@op("session.set", roles.CHAIR)
def set_session(state, actor, message, now):
    session_id = field(message, "session_id", str)
    if session_id not in state.sessions:
        raise OpError("not_found", "No such session.")
    return {"type": "session.changed", "session_id": session_id}


@op("board.lock", roles.CHAIR)
def lock_board(state, actor, message, now):
    group_id = field(message, "group_id", str)
    locked = field(message, "locked", bool)
    if group_id != "all" and group_id not in state.group_ids:
        raise OpError("not_found", "No such group.")
    return {"type": "board.locked", "group_id": group_id, "locked": locked}


@op("timer.start", roles.CHAIR)
def start_timer(state, actor, message, now):
    seconds = field(message, "seconds", int)
    if not 1 <= seconds <= MAX_TIMER:
        raise OpError("invalid", f"seconds must be between 1 and {MAX_TIMER}.")
    # Counted from the server clock: every screen shows the same end time.
    return {"type": "timer.started", "seconds": seconds, "ends_at": now + seconds}


@op("timer.stop", roles.CHAIR)
def stop_timer(state, actor, message, now):
    return {"type": "timer.stopped"}


@op("spotlight.set", roles.CHAIR)
def set_spotlight(state, actor, message, now):
    contribution_id = field(message, "contribution_id", str, required=False)
    cluster_id = field(message, "cluster_id", str, required=False)
    if contribution_id and cluster_id:
        raise OpError("invalid", "Spotlight one contribution or one cluster, not both.")
    if contribution_id:
        shown_contribution(state, message)  # known and not deleted
        return {"type": "spotlight.set", "spotlight": {"contribution_id": contribution_id}}
    if cluster_id:
        if len(cluster_id) > 60:
            raise OpError("invalid", "cluster_id is too long.")
        shown_cluster(state, cluster_id, session=True)  # a point with a live member, or a cluster named after one
        return {"type": "spotlight.set", "spotlight": {"cluster_id": cluster_id}}
    return {"type": "spotlight.set", "spotlight": None}


@op("meeting.set_anonymous", roles.CHAIR)
def set_anonymous(state, actor, message, now):
    return {"type": "meeting.anonymity", "anonymous": field(message, "anonymous", bool)}
