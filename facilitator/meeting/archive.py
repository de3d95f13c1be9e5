"""The archived meeting (the JSON export): written here, and checked before it enters a store.

Plain Python (no Flask). Writing: ``export_archive`` takes the log (``read_log``) with every vote
made unlinkable (``anonymise_votes``) and no secret, plus the report. Reading: an archive comes
from outside: a file anyone can edit. Before one event
of it is stored, the whole file must be a log this application could have written itself:
bounded in size and depth, the agenda valid, every event of a known type with the fields of that
type, of the right types and sizes, every id made of ``[A-Za-z0-9_-]``, every reference to
something the log already holds, and no op id twice. ``ArchiveError`` says where and what.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import secrets as pysecrets

from . import desk, roles, voting
from .agenda import AgendaError, validate_agenda
from .ids import QUESTION_CLUSTER, cluster_anchor
from .curation import UndoRefused
from .ops import LANG_PATTERN, MAX_TEXT, MAX_TIMER, MAX_TITLE, OP_ID_MAX
from .ops.curation import MAX_POINT_MEMBERS, POINT_ID
from .state import AGREEMENTS, KINDS, MeetingState

MAX_BYTES = 100 * 1024 * 1024  # a day of a large meeting is a few MB
MAX_DEPTH = 20  # our own archives, report included, stay well under it
MAX_EVENTS = 1_000_000
MAX_LIST = 10_000  # ids in one order, items on one ballot
MAX_NAME = 60
MAX_REF = 200
MAX_PARTICIPANT_LANG = 20
ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ROLES = (roles.CHAIR, roles.PLENARY, roles.RAPPORTEUR, roles.PARTICIPANT, roles.TRANSLATOR, roles.CURATOR, roles.SYSTEM)
TOP_KEYS = {"format", "version", "meeting_id", "exported_at", "events", "report"}
FORMAT = "facilitator-archive"
VERSION = 1
READ_PAGE = 1000
SECRET_FIELDS = {"key", "keys", "secret", "secrets", "join_code", "password", "token", "chair_key"}


class ArchiveError(ValueError):
    """An archive that must not be imported. ``str(err)`` is ``"<where>: <problem>"``."""

    def __init__(self, where: str, problem: str):
        super().__init__(f"{where}: {problem}")


# ----- writing the file -------------------------------------------------------------------------


def _without_secrets(value):
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if k not in SECRET_FIELDS}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def read_log(store, meeting_id: str) -> list[dict]:
    """The whole log, a page at a time, through the store contract's ``read``."""
    events, cursor = [], 0
    while True:
        page = store.read(meeting_id, after=cursor, limit=READ_PAGE)
        events.extend(page)
        if len(page) < READ_PAGE:
            return events
        cursor = page[-1]["seq"]


def anonymise_votes(events: list[dict]) -> list[dict]:
    """The log with no vote linkable to a participant, nor one ballot's voter to another's.

    Each (ballot, participant) gets a fresh random token, made at export and kept for the whole
    export, so a re-vote still replaces the earlier one on import. A ballot's votes move, grouped
    by token in random order, to just before the ballot's ``ballot.closed`` (or the end of the log
    if it is open), each token registered there by a ``participant.joined`` with the voter's
    region and language: the tallies per region are unchanged, the timing that could link a
    voter's ballots is gone. People who joined but never voted keep their join, under a fresh
    token. Only the participant count can grow (one voter in two ballots is two tokens).
    """
    rng = pysecrets.SystemRandom()
    joined = {e["participant_id"]: e for e in events if e.get("type") == "participant.joined"}
    voters = {e.get("participant_id") for e in events if e.get("type") == "vote.cast"}
    tokens: dict[tuple[str, str], str] = {}
    by_ballot: dict[str, dict[str, list[dict]]] = {}  # ballot -> token -> votes in log order
    opened_ts: dict[str, float] = {}
    for e in events:
        if e.get("type") == "ballot.opened":
            opened_ts[e["ballot"]["id"]] = e.get("ts")
        elif e.get("type") == "vote.cast":
            key = (e["ballot_id"], e.get("participant_id"))
            token = tokens.setdefault(key, "v" + pysecrets.token_hex(8))
            by_ballot.setdefault(e["ballot_id"], {}).setdefault(token, []).append(e)
    token_owner = {token: pid for (_, pid), token in tokens.items()}

    def block(ballot_id: str) -> list[dict]:
        ts = opened_ts.get(ballot_id)
        groups = list(by_ballot.pop(ballot_id, {}).items())
        rng.shuffle(groups)
        out = []
        for token, votes in groups:
            who = joined.get(token_owner[token], {})
            out.append({"type": "participant.joined", "participant_id": token, "region": who.get("region"),
                        "lang": who.get("lang"), "by": {"role": roles.PARTICIPANT}, "ts": ts})
        for token, votes in groups:
            for v in votes:
                key = "point_id" if "point_id" in v else "contribution_id"
                out.append({"type": "vote.cast", "ballot_id": ballot_id, key: v[key],
                            "value": v["value"], "participant_id": token, "by": {"role": roles.PARTICIPANT},
                            "ts": ts})
        return out

    result = []
    for e in events:
        etype = e.get("type")
        if etype == "vote.cast":
            continue
        if etype == "participant.joined":
            if e["participant_id"] in voters:
                continue
            e = dict(e, participant_id="p" + pysecrets.token_hex(8))
        elif etype == "ballot.closed":
            result.extend(block(e["ballot_id"]))
        result.append(e)
    for ballot_id in list(by_ballot):  # ballots still open at export
        result.extend(block(ballot_id))
    return result


def export_archive(meeting_id: str, events: list[dict], report: dict) -> dict:
    """The archive document: the log, votes unlinkable and secrets out, and the report."""
    cleaned = []
    for seq, e in enumerate(anonymise_votes(events), start=1):
        e = _without_secrets({k: v for k, v in e.items() if k not in ("seq", "prev", "op_id")})
        cleaned.append(dict(e, seq=seq))
    return {
        "format": FORMAT,
        "version": VERSION,
        "meeting_id": meeting_id,
        "exported_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "events": cleaned,
        "report": report,
    }


# ----- reading the file --------------------------------------------------------------------------


def load_archive(path: str, max_bytes: int = MAX_BYTES) -> dict:
    """The parsed archive file, refused before parsing if too large, after if too deep."""
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            raise ArchiveError("file", f"{size} bytes; an archive is at most {max_bytes}")
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as error:
        raise ArchiveError("file", f"cannot read it: {error.strerror or error}") from None
    if len(raw) > max_bytes:  # it grew while we looked
        raise ArchiveError("file", f"more than {max_bytes} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArchiveError("file", f"not UTF-8 text (byte {error.start})") from None
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise ArchiveError("file", f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:
        raise ArchiveError("file", f"not JSON: {error}") from None
    _check_depth(document)
    return document


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _check_depth(document) -> None:
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ArchiveError("file", f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


# ----- field checks ------------------------------------------------------------------------------


def _type_name(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true or false",
            type(None): "null"}.get(type(value), "a number")


def _string(value, where: str, limit: int, pattern: re.Pattern | None = None, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise ArchiveError(where, f"must be a string, not {_type_name(value)}")
    if len(value) > limit:
        raise ArchiveError(where, f"{len(value)} characters; the limit is {limit}")
    if not value and not empty:
        raise ArchiveError(where, "must not be empty")
    if pattern is not None and not pattern.match(value):
        raise ArchiveError(where, f"{value[:40]!r} is not an id made of A-Z, a-z, 0-9, - and _")
    return value


def _id(value, where: str) -> str:
    return _string(value, where, 64, ID)


def _text(value, where: str, limit: int) -> str:
    return _string(value, where, limit)


def _optional_text(value, where: str, limit: int):
    return None if value is None else _text(value, where, limit)


def _lang(value, where: str):
    if value is None:
        return None
    return _string(value, where, MAX_PARTICIPANT_LANG, LANG_PATTERN)


def _int(value, where: str, low: int = 0, high: int = 2**53) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArchiveError(where, f"must be an integer, not {_type_name(value)}")
    if not low <= value <= high:
        raise ArchiveError(where, f"must be between {low} and {high}")
    return value


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise ArchiveError(where, f"must be a number, not {_type_name(value)}")
    if not 0 <= value <= 2**53:
        raise ArchiveError(where, "is not a time")
    return value


def _bool(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise ArchiveError(where, f"must be true or false, not {_type_name(value)}")
    return value


def _object(value, where: str, required: tuple, optional: tuple = ()) -> dict:
    if not isinstance(value, dict):
        raise ArchiveError(where, f"must be an object, not {_type_name(value)}")
    for key in value:
        if key not in required and key not in optional:
            raise ArchiveError(f"{where}.{str(key)[:40]}", "is not a field of this object")
    for key in required:
        if key not in value:
            raise ArchiveError(f"{where}.{key}", "is missing")
    return value


def _list(value, where: str, limit: int = MAX_LIST) -> list:
    if not isinstance(value, list):
        raise ArchiveError(where, f"must be a list, not {_type_name(value)}")
    if len(value) > limit:
        raise ArchiveError(where, f"{len(value)} entries; the limit is {limit}")
    return value


def _choice(value, where: str, allowed) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ArchiveError(where, f"must be one of {', '.join(allowed)}")
    return value


# ----- the events ---------------------------------------------------------------------------------


class _Checker:
    """Checks each event against the log folded so far, then folds it in."""

    def __init__(self, meeting_id: str) -> None:
        self.meeting_id = meeting_id
        self.state = MeetingState()
        self.op_ids: set[str] = set()

    def event(self, event, where: str) -> dict:
        if not isinstance(event, dict):
            raise ArchiveError(where, f"an event must be an object, not {_type_name(event)}")
        etype = event.get("type")
        if self.state.meeting is None and etype != "meeting.created":
            raise ArchiveError(f"{where}.type", "the log must start with meeting.created")
        check = CHECKS.get(etype) if isinstance(etype, str) else None
        if check is None:
            raise ArchiveError(f"{where}.type", f"unknown event type {str(etype)[:40]!r}")
        fields, handler = check
        optional = ("seq", "prev", "op_id") + OPTIONAL_FIELDS.get(etype, ())
        _object(event, where, ("type", "ts", "by") + fields, optional)
        _number(event["ts"], f"{where}.ts")
        self.author(event["by"], f"{where}.by")
        if "seq" in event:
            _int(event["seq"], f"{where}.seq")
        if event.get("op_id") is not None:
            op_id = _string(event["op_id"], f"{where}.op_id", OP_ID_MAX)
            if op_id in self.op_ids:
                raise ArchiveError(f"{where}.op_id", f"{op_id[:40]!r} is used by an earlier event")
            self.op_ids.add(op_id)
        handler(self, event, where)
        clean = {k: v for k, v in event.items() if k not in ("seq", "prev")}
        self.state.apply(dict(clean, seq=self.state.seq + 1))
        return clean

    # --- pieces

    def author(self, value, where: str) -> None:
        _object(value, where, ("role",), ("group_id", "name"))
        _choice(value["role"], f"{where}.role", ROLES)
        if "group_id" in value:
            self.group(value["group_id"], f"{where}.group_id")
        if "name" in value:
            _string(value["name"], f"{where}.name", MAX_NAME)

    def group(self, value, where: str) -> str:
        if _id(value, where) not in self.state.group_ids:
            raise ArchiveError(where, f"{value!r} is not a group of the meeting")
        return value

    def contribution_id(self, value, where: str, known: bool = True) -> str:
        if (_id(value, where) in self.state.contributions) != known:
            raise ArchiveError(where, f"{value!r} is {'not a' if known else 'already a'} contribution")
        return value

    def cluster_id(self, value, where: str) -> str:
        """A point of the log so far, or a cluster named after one of its contributions."""
        _string(value, where, MAX_REF)
        if value in self.state.curation["points"]:
            return value
        if cluster_anchor(value, (QUESTION_CLUSTER,)) not in self.state.contributions:
            raise ArchiveError(where, f"{value[:40]!r} names no contribution's cluster")
        return value

    def point_id(self, value, where: str) -> str:
        if _string(value, where, MAX_REF) not in (self.state.curation.get("points") or {}):
            raise ArchiveError(where, f"{value[:40]!r} is not a point made before")
        return value

    def ids(self, value, where: str, check) -> list:
        for i, item in enumerate(_list(value, where)):
            check(item, f"{where}[{i}]")
        if len(set(value)) != len(value):
            raise ArchiveError(where, "lists an id twice")
        return value

    def ballot(self, event, where: str) -> dict:
        ballot = self.state.ballots.get(_id(event["ballot_id"], f"{where}.ballot_id"))
        if ballot is None:
            raise ArchiveError(f"{where}.ballot_id", f"{event['ballot_id']!r} is not a ballot opened before")
        return ballot


def _meeting_created(c: _Checker, e: dict, where: str) -> None:
    meeting = _object(e["meeting"], f"{where}.meeting", ("id", "created_at", "title", "languages",
                      "default_language", "purposes", "groups", "regions", "sessions"), ("ballot_prompt",))
    if meeting["id"] != c.meeting_id:
        raise ArchiveError(f"{where}.meeting.id", f"{str(meeting['id'])[:40]!r} is not the archive's meeting id")
    _number(meeting["created_at"], f"{where}.meeting.created_at")
    # The stored agenda is the validated one plus what validation adds: the plenary group and kinds.
    groups = _list(meeting["groups"], f"{where}.meeting.groups")
    for i, group in enumerate(groups):
        _object(group, f"{where}.meeting.groups[{i}]", ("id", "name", "kind"))
        _choice(group["kind"], f"{where}.meeting.groups[{i}].kind", ("breakout", "plenary"))
    raw = {k: v for k, v in meeting.items() if k not in ("id", "created_at")}
    raw["groups"] = [{"id": g["id"], "name": g["name"]} for g in groups if g["kind"] == "breakout"]
    try:
        agenda = validate_agenda(raw)
    except AgendaError as error:
        raise ArchiveError(f"{where}.meeting.{error.field}", error.problem) from None
    # Validation is idempotent on what it produced: any difference is a hand-made agenda.
    for key, value in agenda.items():
        if value != (groups if key == "groups" else raw[key]):
            raise ArchiveError(f"{where}.meeting.{key}", "is not as this application stores an agenda")


CONTRIBUTION_FIELDS = ("id", "group_id", "question_id", "session_id", "kind", "agreement", "text",
                       "lang", "version", "deleted", "author", "created_at", "updated_at")


def _contribution(c: _Checker, e: dict, where: str) -> None:
    added = e["type"] == "contribution.added"
    w = f"{where}.contribution"
    item = _object(e["contribution"], w, CONTRIBUTION_FIELDS,
                   ("edited_by", "changed_by", "deleted_index", "index"))
    cid = c.contribution_id(item["id"], f"{w}.id", known=not added)
    group_id = c.group(item["group_id"], f"{w}.group_id")
    question = c.state.questions.get(_id(item["question_id"], f"{w}.question_id"))
    if question is None or group_id not in c.state.session_groups(question["session_id"]):
        raise ArchiveError(f"{w}.question_id", f"{item['question_id']!r} is not a question of this group")
    if item["session_id"] != question["session_id"]:
        raise ArchiveError(f"{w}.session_id", "is not the session of the question")
    _choice(item["kind"], f"{w}.kind", KINDS)
    _choice(item["agreement"], f"{w}.agreement", AGREEMENTS)
    _text(item["text"], f"{w}.text", MAX_TEXT)
    _lang(item["lang"], f"{w}.lang")
    _int(item["version"], f"{w}.version", 1)
    _bool(item["deleted"], f"{w}.deleted")
    c.author(item["author"], f"{w}.author")
    _number(item["created_at"], f"{w}.created_at")
    _number(item["updated_at"], f"{w}.updated_at")
    for key in ("edited_by", "changed_by"):
        if key in item:
            c.author(item[key], f"{w}.{key}")
    for key in ("deleted_index", "index"):
        if key in item:
            _int(item[key], f"{w}.{key}", 0, MAX_LIST)
    if not added and item["group_id"] != c.state.contributions[cid]["group_id"]:
        raise ArchiveError(f"{w}.group_id", "a contribution never changes group")
    def known(value, at):  # a contribution of the log so far, or this one
        if _id(value, at) != cid and value not in c.state.contributions:
            raise ArchiveError(at, f"{value!r} is not a contribution")

    c.ids(e["order"], f"{where}.order", known)
    previous = e.get("previous_order")
    if previous is not None:
        _object(previous, f"{where}.previous_order", ("question_id", "order"))
        if _id(previous["question_id"], f"{where}.previous_order.question_id") not in c.state.questions:
            raise ArchiveError(f"{where}.previous_order.question_id", "is not a question of the meeting")
        c.ids(previous["order"], f"{where}.previous_order.order", known)


def _session(c: _Checker, e: dict, where: str) -> None:
    if _id(e["session_id"], f"{where}.session_id") not in c.state.sessions:
        raise ArchiveError(f"{where}.session_id", f"{e['session_id']!r} is not a session of the meeting")


def _lock(c: _Checker, e: dict, where: str) -> None:
    if e["group_id"] != "all":
        c.group(e["group_id"], f"{where}.group_id")
    _bool(e["locked"], f"{where}.locked")


def _timer(c: _Checker, e: dict, where: str) -> None:
    _int(e["seconds"], f"{where}.seconds", 1, MAX_TIMER)
    _number(e["ends_at"], f"{where}.ends_at")


def _spotlight(c: _Checker, e: dict, where: str) -> None:
    spot = e["spotlight"]
    if spot is None:
        return
    if isinstance(spot, dict) and "cluster_id" in spot:
        _object(spot, f"{where}.spotlight", ("cluster_id",))
        _string(spot["cluster_id"], f"{where}.spotlight.cluster_id", MAX_REF)
    else:
        _object(spot, f"{where}.spotlight", ("contribution_id",))
        c.contribution_id(spot["contribution_id"], f"{where}.spotlight.contribution_id")


def _merged(c: _Checker, e: dict, where: str) -> None:
    c.cluster_id(e["cluster_id"], f"{where}.cluster_id")
    c.cluster_id(e["into"], f"{where}.into")
    if "members" in e:  # two points
        c.ids(e["members"], f"{where}.members", c.contribution_id)
        return
    for key in ("contribution_a", "contribution_b"):
        if key not in e:
            raise ArchiveError(f"{where}.{key}", "is missing")
        c.contribution_id(e[key], f"{where}.{key}")


def _point(c: _Checker, e: dict, where: str) -> None:
    """cluster.confirmed / cluster.rejected: the contributions a person put together or apart,
    the point (cluster_id, or point_id) and what the op saw of the points then."""
    if e.get("cluster_id") is not None:
        c.cluster_id(e["cluster_id"], f"{where}.cluster_id")
    ids = c.ids(e["contribution_ids"], f"{where}.contribution_ids", c.contribution_id)
    if not 2 <= len(ids) <= MAX_POINT_MEMBERS:
        raise ArchiveError(f"{where}.contribution_ids", "must name two or more distinct contributions")
    if e["type"] == "cluster.confirmed":
        if e.get("point_id") is None and e.get("cluster_id") is None:
            raise ArchiveError(f"{where}.point_id", "is missing")
        if e.get("point_id") is not None and not (POINT_ID.match(_string(e["point_id"], f"{where}.point_id", MAX_REF))
                                                  or e["point_id"] in c.state.curation["points"]
                                                  or e["point_id"] == e.get("cluster_id")):
            raise ArchiveError(f"{where}.point_id", "is not a point id")
        c.ids(e.get("members", []), f"{where}.members", c.contribution_id)
        c.ids(e.get("absorbed", []), f"{where}.absorbed", c.cluster_id)
    elif "removed" in e:
        for pid, cids in _object(e["removed"], f"{where}.removed", (), tuple(c.state.curation["points"])).items():
            c.ids(cids, f"{where}.removed.{pid}", c.contribution_id)


def _included(c: _Checker, e: dict, where: str) -> None:
    """cluster.included: [a, b] and the point a joins (b's, or a new one)."""
    ids = c.ids(e["contribution_ids"], f"{where}.contribution_ids", c.contribution_id)
    if len(ids) != 2:
        raise ArchiveError(f"{where}.contribution_ids", "must name two distinct contributions")
    pid = _string(e["point_id"], f"{where}.point_id", MAX_REF)
    if not (POINT_ID.match(pid) or pid in c.state.curation["points"]):
        raise ArchiveError(f"{where}.point_id", "is not a point id")


def _detached(c: _Checker, e: dict, where: str) -> None:
    c.contribution_id(e["contribution_id"], f"{where}.contribution_id")
    if e.get("point_id") is not None and e["point_id"] not in c.state.curation["points"]:
        raise ArchiveError(f"{where}.point_id", f"{str(e['point_id'])[:40]!r} is not a point of the log")


def _moved(c: _Checker, e: dict, where: str) -> None:
    c.contribution_id(e["contribution_id"], f"{where}.contribution_id")
    for key in ("from", "to"):
        if e[key] is not None and e[key] not in c.state.curation["points"]:
            raise ArchiveError(f"{where}.{key}", f"{str(e[key])[:40]!r} is not a point of the log")


def _undone(c: _Checker, e: dict, where: str) -> None:
    """curation.undone: what `curation.undo` could have decided on the log so far."""
    seq = _int(e["target_seq"], f"{where}.target_seq")
    try:
        decided = c.state.curation_fold.undo_target(seq)
    except UndoRefused as refused:
        raise ArchiveError(f"{where}.target_seq", refused.message)
    if (e["target_type"], e["root_seq"], e["undone"]) != decided:
        raise ArchiveError(where, "is not what undoing that seq does")


def _outcome_ref(c: _Checker, value, where: str) -> None:
    kind, _, target = _string(value, where, MAX_REF).partition(":")
    if kind == "cluster":
        c.cluster_id(target, where)
    elif kind == "contribution":
        c.contribution_id(target, where)
    else:
        raise ArchiveError(where, "must be contribution:<id> or cluster:<id>")


def _ballot_opened(c: _Checker, e: dict, where: str) -> None:
    w = f"{where}.ballot"
    ballot = _object(e["ballot"], w, ("id", "mode", "contribution_ids", "items", "prompt", "dots", "status",
                                      "revealed", "opened_at"), ("point_ids", "item_ids"))
    if _id(ballot["id"], f"{w}.id") in c.state.ballots:
        raise ArchiveError(f"{w}.id", f"{ballot['id']!r} is already a ballot")
    mode = _choice(ballot["mode"], f"{w}.mode", voting.MODES)
    ids = c.ids(ballot["contribution_ids"], f"{w}.contribution_ids", c.contribution_id)
    points = c.ids(ballot.get("point_ids") or [], f"{w}.point_ids", c.point_id)
    if ("point_ids" in ballot) != bool(points) or ballot.get("item_ids", points + ids) != points + ids:
        raise ArchiveError(f"{w}.item_ids", "a ballot with points lists them, then its contributions")
    items = _list(ballot["items"], f"{w}.items")
    if len(items) != len(points) + len(ids):
        raise ArchiveError(f"{w}.items", "one item per point and contribution id")
    for i, item in enumerate(items):
        if i < len(points):
            _point_item(c, item, points[i], f"{w}.items[{i}]")
        else:
            _contribution_item(c, item, ids[i - len(points)], f"{w}.items[{i}]")
    _prompt(c, ballot["prompt"], f"{w}.prompt")
    if mode == "dots":
        _int(ballot["dots"], f"{w}.dots", 1, 100)
    elif ballot["dots"] is not None:
        raise ArchiveError(f"{w}.dots", "only a dots ballot has dots")
    if ballot["status"] != "open":
        raise ArchiveError(f"{w}.status", "a ballot opens open")
    _bool(ballot["revealed"], f"{w}.revealed")
    _number(ballot["opened_at"], f"{w}.opened_at")


def _contribution_item(c: _Checker, item, cid: str, at: str) -> None:
    _object(item, at, ("contribution_id", "text", "lang", "group_id", "kind"))
    if item["contribution_id"] != cid:
        raise ArchiveError(f"{at}.contribution_id", "is not the contribution id at this place")
    _text(item["text"], f"{at}.text", MAX_TEXT)
    _lang(item["lang"], f"{at}.lang")
    c.group(item["group_id"], f"{at}.group_id")
    _choice(item["kind"], f"{at}.kind", KINDS)


def _point_item(c: _Checker, item, point_id: str, at: str) -> None:
    _object(item, at, ("point_id", "question_id", "title", "titles", "members", "group_ids", "central",
                       "text", "lang"))
    if item["point_id"] != point_id:
        raise ArchiveError(f"{at}.point_id", "is not the point id at this place")
    members = c.ids(item["members"], f"{at}.members", c.contribution_id)
    if item["central"] not in members:
        raise ArchiveError(f"{at}.central", "is not a member of the point")
    for i, gid in enumerate(_list(item["group_ids"], f"{at}.group_ids")):
        c.group(gid, f"{at}.group_ids[{i}]")
    _optional_text(item["title"], f"{at}.title", MAX_TITLE)
    for lang, text in _object(item["titles"], f"{at}.titles", (), tuple(c.state.meeting.get("languages", []))).items():
        _text(text, f"{at}.titles.{lang}", MAX_TITLE)
    _text(item["text"], f"{at}.text", MAX_TEXT)
    _lang(item["lang"], f"{at}.lang")


def _prompt(c: _Checker, prompt, where: str) -> None:
    """One text as typed, or one per language of the meeting."""
    if not isinstance(prompt, dict):
        _optional_text(prompt, where, MAX_TITLE * 2)
        return
    for lang, text in _object(prompt, where, (), tuple(c.state.meeting.get("languages", []))).items():
        _text(text, f"{where}.{lang}", MAX_TITLE * 2)


def _on_phones(c: _Checker, e: dict, where: str) -> None:
    """``ballot_ids`` on a translation (or a point's title) is the rule's, never an archive's word:
    it decides whether the text reaches the phones."""
    shown = voting.open_ballots_showing(c.state, contribution_id=e.get("contribution_id"),
                                        point_id=e.get("cluster_id"))
    if e.get("ballot_ids", []) != shown:
        raise ArchiveError(f"{where}.ballot_ids", "must name the open ballots that show this text")


def _ballot_closed(c: _Checker, e: dict, where: str) -> None:
    if c.ballot(e, where)["status"] == "closed":
        raise ArchiveError(f"{where}.ballot_id", "this ballot is already closed")


def _joined(c: _Checker, e: dict, where: str) -> None:
    pid = _id(e["participant_id"], f"{where}.participant_id")
    if pid in c.state.participants:
        raise ArchiveError(f"{where}.participant_id", f"{pid!r} joined already")
    region = e["region"]
    if region is not None and region not in [r["id"] for r in c.state.meeting.get("regions", [])]:
        raise ArchiveError(f"{where}.region", f"{str(region)[:40]!r} is not a region of the meeting")
    _lang(e["lang"], f"{where}.lang")


def _vote(c: _Checker, e: dict, where: str) -> None:
    ballot = c.ballot(e, where)
    pid = _id(e["participant_id"], f"{where}.participant_id")
    if pid not in c.state.participants:
        raise ArchiveError(f"{where}.participant_id", f"{pid!r} has not joined")
    key = "point_id" if "point_id" in e else "contribution_id"
    if ("point_id" in e) == ("contribution_id" in e):
        raise ArchiveError(where, "a vote is on one contribution_id or one point_id")
    item_id = _id(e[key], f"{where}.{key}")
    if voting.item_key(ballot, item_id) != key:
        raise ArchiveError(f"{where}.{key}", "is not an item of this kind on the ballot")
    mine = c.state.votes.get(ballot["id"], {}).get(pid, {})
    problem = voting.validate_vote(ballot, mine, item_id, e["value"])
    if problem is not None:
        raise ArchiveError(where, f"this vote could not have been cast ({problem})")


def _meeting_lang(c: _Checker, value, where: str, required: bool = True):
    if value is None and not required:
        return None
    if _lang(value, where) not in c.state.meeting.get("languages", []):
        raise ArchiveError(where, f"{str(value)[:20]!r} is not a language of the meeting")
    return value


def _translation(c: _Checker, e: dict, where: str) -> None:
    cid = c.contribution_id(e["contribution_id"], f"{where}.contribution_id")
    original = c.state.contributions[cid]
    if c.group(e["group_id"], f"{where}.group_id") != original["group_id"]:
        raise ArchiveError(f"{where}.group_id", "is not the group of the contribution")
    lang = _meeting_lang(c, e["lang"], f"{where}.lang")
    text = _string(e["text"], f"{where}.text", MAX_TEXT, empty=True)
    clears_left_over = text == "" and lang in c.state.translations_of(cid)
    if desk.base_language(lang) == desk.base_language(original["lang"]) and not clears_left_over:
        raise ArchiveError(f"{where}.lang", "is the language of the original")
    source = _choice(e["source"], f"{where}.source", (desk.HUMAN, desk.MACHINE))
    if (source == desk.MACHINE) != (e["by"]["role"] == roles.SYSTEM):
        raise ArchiveError(f"{where}.source", "machine drafts come from the server, and only they")
    if "stale" in e or "original_version" in e:  # a log older than these fields has neither
        _made_from(c, e, original, where)
    _on_phones(c, e, where)


def _made_from(c: _Checker, e: dict, original: dict, where: str) -> None:
    """`stale` is what `original_version` says of the original's words, never an archive's word:
    a translation of older words must not be imported as fresh."""
    stale = _bool(e.get("stale"), f"{where}.stale")
    version = e.get("original_version")
    if version is None:
        if not stale:
            raise ArchiveError(f"{where}.stale", "a translation of an unknown version is stale")
        return
    _int(version, f"{where}.original_version", 1, original["version"])
    if stale != (version < c.state.words_of(original["id"])[0]):
        raise ArchiveError(f"{where}.stale", "is not what original_version says of the original")


def _signed_off(c: _Checker, e: dict, where: str) -> None:
    group_id = c.group(e["group_id"], f"{where}.group_id")
    question = c.state.questions.get(_id(e["question_id"], f"{where}.question_id"))
    if question is None or group_id not in c.state.session_groups(question["session_id"]):
        raise ArchiveError(f"{where}.question_id", f"{e['question_id']!r} is not a question of this group")


def _link_reissued(c: _Checker, e: dict, where: str) -> None:
    if e["role"] not in roles.REISSUABLE:
        raise ArchiveError(f"{where}.role", f"{str(e['role'])[:40]!r} is not a role whose link is re-issued")
    if e["role"] == roles.RAPPORTEUR:
        c.group(e["group_id"], f"{where}.group_id")
    elif e["group_id"] is not None:
        raise ArchiveError(f"{where}.group_id", "must be null for a link other than a rapporteur's")


CHECKS = {
    "meeting.created": (("meeting",), _meeting_created),
    "contribution.added": (("contribution", "order"), _contribution),
    "contribution.edited": (("contribution", "order"), _contribution),
    "contribution.moved": (("contribution", "order"), _contribution),
    "contribution.deleted": (("contribution", "order"), _contribution),
    "contribution.restored": (("contribution", "order"), _contribution),
    "session.changed": (("session_id",), _session),
    "board.locked": (("group_id", "locked"), _lock),
    "timer.started": (("seconds", "ends_at"), _timer),
    "timer.stopped": ((), lambda c, e, where: None),
    "spotlight.set": (("spotlight",), _spotlight),
    "meeting.anonymity": (("anonymous",), lambda c, e, where: _bool(e["anonymous"], f"{where}.anonymous")),
    "cluster.merged": (("cluster_id", "into"), _merged),
    "cluster.moved": (("contribution_id", "from", "to"), _moved),
    "curation.undone": (("target_seq", "root_seq", "target_type", "undone"), _undone),
    "cluster.detached": (("contribution_id",), _detached),
    "cluster.included": (("contribution_ids", "point_id"), _included),
    "cluster.titled": (("cluster_id", "title"), lambda c, e, where: (
        c.cluster_id(e["cluster_id"], f"{where}.cluster_id"), _optional_text(e["title"], f"{where}.title", MAX_TITLE),
        _meeting_lang(c, e.get("lang"), f"{where}.lang", required=False), _on_phones(c, e, where))),
    "cluster.confirmed": (("contribution_ids",), _point),
    "cluster.rejected": (("contribution_ids",), _point),
    "plenary.suggestions_shown": (("shown",), lambda c, e, where: _bool(e["shown"], f"{where}.shown")),
    "outcome.marked": (("ref", "marked"), lambda c, e, where: (
        _outcome_ref(c, e["ref"], f"{where}.ref"), _bool(e["marked"], f"{where}.marked"))),
    "outcome.wording": (("ref", "text", "lang"), lambda c, e, where: (
        _outcome_ref(c, e["ref"], f"{where}.ref"), _optional_text(e["text"], f"{where}.text", MAX_TEXT),
        _lang(e["lang"], f"{where}.lang"))),
    "outcome.ordered": (("order",), lambda c, e, where: (
        c.ids(e["order"], f"{where}.order", lambda v, at: _string(v, at, MAX_REF)),
        _same_refs(c, e["order"], f"{where}.order"))),
    "participant.joined": (("participant_id", "region", "lang"), _joined),
    "ballot.opened": (("ballot",), _ballot_opened),
    "ballot.closed": (("ballot_id",), _ballot_closed),
    "ballot.revealed": (("ballot_id", "revealed"), lambda c, e, where: (
        c.ballot(e, where), _bool(e["revealed"], f"{where}.revealed"))),
    "vote.cast": (("ballot_id", "value", "participant_id"), _vote),
    "translation.set": (("contribution_id", "group_id", "lang", "text", "source"), _translation),
    "answers.signed_off": (("group_id", "question_id"), _signed_off),
    "plenary.frozen": (("frozen",), lambda c, e, where: _bool(e["frozen"], f"{where}.frozen")),
    "link.reissued": (("role", "group_id"), _link_reissued),
}
# Fields some event types carry only sometimes.
OPTIONAL_FIELDS = {"contribution.moved": ("previous_order",), "cluster.titled": ("lang", "ballot_ids"),
                   "cluster.merged": ("contribution_a", "contribution_b", "members"),
                   "cluster.confirmed": ("cluster_id", "point_id", "members", "absorbed"),
                   "cluster.rejected": ("cluster_id", "removed"),
                   "cluster.detached": ("point_id",), "cluster.included": ("new",),
                   "translation.set": ("ballot_ids", "original_version", "stale"), "vote.cast": ("contribution_id", "point_id")}


def _same_refs(c: _Checker, order: list, where: str) -> None:
    if sorted(order) != sorted(c.state.outcome["order"]):
        raise ArchiveError(where, "must list every forwarded item exactly once")


# ----- the archive -------------------------------------------------------------------------------


def check_archive(archive) -> tuple[str, list[dict]]:
    """The meeting id and the events to store, or ArchiveError. Nothing is stored here."""
    _object(archive, "archive", ("events",), tuple(TOP_KEYS))
    if "format" in archive and archive["format"] != FORMAT:
        raise ArchiveError("archive.format", f"must be {FORMAT!r}")
    if "version" in archive and archive["version"] != VERSION:
        raise ArchiveError("archive.version", "this application reads version 1")
    events = _list(archive["events"], "archive.events", MAX_EVENTS)
    if not events:
        raise ArchiveError("archive.events", "the log is empty")
    first = events[0].get("meeting") if isinstance(events[0], dict) else None
    meeting_id = archive.get("meeting_id")
    if meeting_id is None and isinstance(first, dict):
        meeting_id = first.get("id")
    _id(meeting_id, "archive.meeting_id")
    checker = _Checker(meeting_id)
    cleaned = [checker.event(event, f"events[{i}]") for i, event in enumerate(events)]
    return meeting_id, cleaned
