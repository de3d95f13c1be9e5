"""The chair's links: a leaked one is re-issued, its old key refused from then on.

The new key itself is no part of the event (the log is exported and archived): the hub stores
it through the store's set_secret and hands the new link to the chair in the ack alone.
"""

from __future__ import annotations

from .. import roles
from ..errors import OpError
from .common import field, op


@op("link.reissue", roles.CHAIR)
def reissue_link(state, actor, message, now):
    role = field(message, "role", str)
    if role not in roles.REISSUABLE:
        raise OpError("invalid", f"role must be one of: {', '.join(roles.REISSUABLE)}.")
    group_id = field(message, "group_id", str, required=role == roles.RAPPORTEUR)
    if role == roles.RAPPORTEUR and group_id not in state.group_ids:
        raise OpError("not_found", "No such group.")
    if role != roles.RAPPORTEUR and group_id is not None:
        raise OpError("invalid", "group_id names a rapporteur's link only.")
    return {"type": "link.reissued", "role": role, "group_id": group_id}
