"""Load and validate agenda files (YAML or JSON).

Plain Python: no Flask, no web import. See docs/agenda.md for the format.

    load_agenda("grcp7")            -> normalised agenda (dict)
    load_agenda("path/to/x.yaml")   -> normalised agenda (dict)
    validate_agenda(raw_dict)       -> normalised agenda (dict)
    text_in(text_map, "fr", "ar")   -> str

Every problem raises AgendaError(field, problem); ``str(err)`` is
``"<field>: <problem>"`` where field is a path such as
``sessions[1].questions[0].text``.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from pathlib import Path
from typing import Any

import yaml

from .ids import is_lang_code
from .usertext import has_visible

__all__ = [
    "AgendaError",
    "AGENDAS_DIR",
    "PLENARY_GROUP_ID",
    "load_agenda",
    "validate_agenda",
    "text_in",
]

AGENDAS_DIR = Path(__file__).resolve().parent.parent / "agendas"

ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
BARE_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
EXTENSIONS = (".yaml", ".yml", ".json")

PLENARY_GROUP_ID = "plenary"
PLENARY_NAMES = {
    "ar": "الجلسة العامة",
    "en": "Plenary",
    "fr": "Plénière",
    "es": "Plenaria",
}

TOP_KEYS = ("title", "languages", "default_language", "purposes", "groups", "regions", "sessions",
            "ballot_prompt")
GROUP_KEYS = ("id", "name")
SESSION_KEYS = ("id", "title", "plenary", "objectives", "groups", "questions")
QUESTION_KEYS = ("id", "text", "parts")
PART_KEYS = ("id", "text")


class AgendaError(ValueError):
    """An agenda is invalid. ``field`` is where, ``problem`` is what."""

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")

    def __str__(self) -> str:  # keep the format even if args are changed
        return f"{self.field}: {self.problem}"


# --------------------------------------------------------------------------- loading


class _StrictSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys in a mapping (a common typo)."""


def _construct_mapping(loader: _StrictSafeLoader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "found an unhashable key", key_node.start_mark
            ) from None
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictSafeLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def _json_pairs(pairs):
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _resolve_path(name_or_path: str) -> Path:
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise AgendaError("file", f"expected an agenda name or a file path, got {type(name_or_path).__name__}")
    text = os.fspath(name_or_path)
    if not text.strip():
        raise AgendaError("file", "no agenda name or path given")
    is_bare = "/" not in text and "\\" not in text and "." not in text
    if is_bare:
        if not BARE_NAME_RE.match(text):
            raise AgendaError("file", f"{text!r} is not a valid agenda name (letters, digits, '-' and '_' only)")
        for ext in EXTENSIONS:
            candidate = AGENDAS_DIR / f"{text}{ext}"
            if candidate.is_file():
                return candidate
        available = sorted({p.stem for p in AGENDAS_DIR.glob("*") if p.suffix in EXTENSIONS}) if AGENDAS_DIR.is_dir() else []
        hint = f" (available: {', '.join(available)})" if available else ""
        raise AgendaError("file", f"no agenda named {text!r} in {AGENDAS_DIR}{hint}")
    path = Path(text).expanduser()
    if path.suffix.lower() not in EXTENSIONS:
        raise AgendaError("file", f"{text!r}: an agenda file must end in .yaml, .yml or .json")
    if not path.is_file():
        raise AgendaError("file", f"agenda file {text!r} does not exist")
    return path


def load_agenda(name_or_path: str) -> dict:
    """Load an agenda by bare name (from facilitator/agendas/) or by path, and validate it.

    Returns the normalised agenda (see validate_agenda). Raises AgendaError.
    """
    path = _resolve_path(name_or_path)
    try:
        content = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AgendaError("file", f"{path} is not valid UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise AgendaError("file", f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        if path.suffix.lower() == ".json":
            raw = json.loads(content, object_pairs_hook=_json_pairs)
        else:
            raw = yaml.load(content, Loader=_StrictSafeLoader)  # noqa: S506 - safe loader subclass
    except json.JSONDecodeError as exc:
        raise AgendaError("file", f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise AgendaError("file", f"{path} is not valid YAML: {problem}{where}") from None
    except ValueError as exc:  # duplicate JSON keys
        raise AgendaError("file", f"{path} is not valid JSON: {exc}") from None
    if raw is None:
        raise AgendaError("file", f"{path} is empty")
    return validate_agenda(raw)


# --------------------------------------------------------------------------- validation


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _check_keys(obj: dict, allowed: tuple, path: str) -> None:
    for key in obj:
        if not isinstance(key, str):
            raise AgendaError(_join(path, str(key)), f"keys must be strings, got {_type_name(key)}")
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise AgendaError(
                _join(path, key),
                f"unknown key {key!r} (allowed: {', '.join(allowed)}){hint}",
            )


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _require_mapping(value: Any, path: str, what: str) -> dict:
    if not isinstance(value, dict):
        raise AgendaError(path, f"{what} must be a mapping (object), got {_type_name(value)}")
    return value


def _require_list(value: Any, path: str, what: str) -> list:
    if not isinstance(value, list):
        raise AgendaError(path, f"{what} must be a list, got {_type_name(value)}")
    return value


def _check_id(value: Any, path: str) -> str:
    if value is None:
        raise AgendaError(path, "id is required")
    if not isinstance(value, str):
        raise AgendaError(path, f"id must be a string, got {_type_name(value)}")
    if not ID_RE.match(value):
        raise AgendaError(
            path,
            f"invalid id {value!r}: use 1 to 40 lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit",
        )
    return value


def _visible(text: str, path: str) -> str:
    stripped = text.strip()
    if not stripped:
        raise AgendaError(path, "text is empty")
    if not has_visible(stripped):  # a title of zero-width spaces shows as nothing
        raise AgendaError(path, "text has no visible character")
    return stripped


class _Ctx:
    """The agenda's languages, and what has been defined so far (for duplicates and references)."""

    def __init__(self, languages: list[str], default_language: str):
        self.languages = languages
        self.default_language = default_language
        self.top_groups: list[dict] = []
        self.inline_groups: list[dict] = []  # defined inside a session, in order of appearance
        self.all_groups: dict[str, dict] = {}
        self.question_sessions: dict[str, str] = {}  # question id -> id of its session

    def text(self, value: Any, path: str) -> dict:
        """A text field: a non-empty string, or a map language -> non-empty string."""
        if isinstance(value, str):
            return {self.default_language: _visible(value, path)}
        if isinstance(value, dict):
            if not value:
                raise AgendaError(path, "text map is empty; give at least one language")
            out: dict[str, str] = {}
            for lang, text in value.items():
                sub = f"{path}.{lang}"
                if not isinstance(lang, str):
                    raise AgendaError(sub, f"language code must be a string, got {_type_name(lang)}")
                if lang not in self.languages:
                    raise AgendaError(
                        sub,
                        f"unknown language {lang!r}; the agenda's languages are {', '.join(self.languages)}",
                    )
                if not isinstance(text, str):
                    raise AgendaError(sub, f"text must be a string, got {_type_name(text)}")
                out[lang] = _visible(text, sub)
            return out
        raise AgendaError(
            path, f"text must be a string or a map from language code to string, got {_type_name(value)}"
        )

    def text_list(self, value: Any, path: str, what: str) -> list[dict]:
        if value is None:
            return []
        items = _require_list(value, path, what)
        return [self.text(item, f"{path}[{i}]") for i, item in enumerate(items)]


def _languages(raw: dict) -> tuple[list[str], str]:
    langs_raw = raw.get("languages")
    default_raw = raw.get("default_language")
    if default_raw is not None and not isinstance(default_raw, str):
        raise AgendaError("default_language", f"must be a language code string, got {_type_name(default_raw)}")
    if langs_raw is None:
        langs = [default_raw] if default_raw else ["en"]
        for lang in langs:
            if not is_lang_code(lang):
                raise AgendaError("default_language", f"invalid language code {lang!r} (expected e.g. 'ar', 'en', 'pt-BR')")
    else:
        langs_list = _require_list(langs_raw, "languages", "languages")
        if not langs_list:
            raise AgendaError("languages", "give at least one language code")
        langs = []
        for i, lang in enumerate(langs_list):
            sub = f"languages[{i}]"
            if not isinstance(lang, str):
                raise AgendaError(sub, f"language code must be a string, got {_type_name(lang)}")
            if not is_lang_code(lang):
                raise AgendaError(sub, f"invalid language code {lang!r} (expected e.g. 'ar', 'en', 'pt-BR')")
            if lang in langs:
                raise AgendaError(sub, f"language {lang!r} is listed twice")
            langs.append(lang)
    default = default_raw if default_raw is not None else langs[0]
    if default not in langs:
        raise AgendaError(
            "default_language", f"{default!r} is not one of the agenda's languages ({', '.join(langs)})"
        )
    return langs, default


def _group_def(ctx: _Ctx, value: Any, path: str) -> dict:
    obj = _require_mapping(value, path, "a group")
    _check_keys(obj, GROUP_KEYS, path)
    gid = _check_id(obj.get("id"), f"{path}.id")
    if gid == PLENARY_GROUP_ID:
        raise AgendaError(f"{path}.id", f"{gid!r} is reserved for plenary sessions; set 'plenary: true' on the session instead")
    if "name" not in obj:
        raise AgendaError(f"{path}.name", "name is required")
    return {"id": gid, "name": ctx.text(obj["name"], f"{path}.name")}


def validate_agenda(raw: dict) -> dict:
    """Validate a raw agenda (as parsed from YAML/JSON) and return it normalised.

    See docs/agenda.md. Raises AgendaError naming the field and the problem.
    """
    if not isinstance(raw, dict):
        raise AgendaError("agenda", f"an agenda must be a mapping (object) at the top level, got {_type_name(raw)}")
    _check_keys(raw, TOP_KEYS, "")

    languages, default_language = _languages(raw)
    ctx = _Ctx(languages, default_language)

    if "title" not in raw:
        raise AgendaError("title", "title is required")
    title = ctx.text(raw["title"], "title")
    purposes = ctx.text_list(raw.get("purposes"), "purposes", "purposes")
    _top_groups(ctx, raw.get("groups"))
    regions = _regions(ctx, raw.get("regions"))
    sessions = _sessions(ctx, raw)
    # the question a ballot puts when the chair types none (ops/ballots.py)
    ballot_prompt = ctx.text(raw["ballot_prompt"], "ballot_prompt") if "ballot_prompt" in raw else None

    groups = ctx.top_groups + ctx.inline_groups
    if any(s["plenary"] for s in sessions):
        groups.append(
            {
                "id": PLENARY_GROUP_ID,
                "name": _plenary_name(languages, default_language),
                "kind": "plenary",
            }
        )

    agenda = {
        "title": title,
        "languages": list(languages),
        "default_language": default_language,
        "purposes": purposes,
        "groups": groups,
        "regions": regions,
        "sessions": sessions,
    }
    if ballot_prompt is not None:
        agenda["ballot_prompt"] = ballot_prompt
    return agenda


# --------------------------------------------------------------------------- groups and regions


def _top_groups(ctx: _Ctx, groups_raw: Any) -> None:
    if groups_raw is None:
        return
    for i, g in enumerate(_require_list(groups_raw, "groups", "groups")):
        group = _group_def(ctx, g, f"groups[{i}]")
        if group["id"] in ctx.all_groups:
            raise AgendaError(f"groups[{i}].id", f"duplicate group id {group['id']!r}")
        group["kind"] = "breakout"
        ctx.top_groups.append(group)
        ctx.all_groups[group["id"]] = group


def _regions(ctx: _Ctx, regions_raw: Any) -> list[dict]:
    """The regions votes are counted by: as listed, else one per top-level group."""
    if regions_raw is None:
        return [{"id": g["id"], "name": dict(g["name"])} for g in ctx.top_groups]
    regions = []
    region_list = _require_list(regions_raw, "regions", "regions")
    if not region_list:
        raise AgendaError("regions", "give at least one region, or leave 'regions' out to use the groups")
    for path, obj, rid in _entries(region_list, "regions", "a region", GROUP_KEYS,
                                   "duplicate region id {id!r}"):
        if "name" not in obj:
            raise AgendaError(f"{path}.name", "name is required")
        regions.append({"id": rid, "name": ctx.text(obj["name"], f"{path}.name")})
    return regions


def _entries(items: list, path: str, what: str, keys: tuple, duplicate: str):
    """Each mapping of a list of things with ids: (its path, the mapping, its checked id).
    An id given twice is refused with ``duplicate`` (formatted with ``id``)."""
    seen: set[str] = set()
    for i, raw in enumerate(items):
        sub = f"{path}[{i}]"
        obj = _require_mapping(raw, sub, what)
        _check_keys(obj, keys, sub)
        entry_id = _check_id(obj.get("id"), f"{sub}.id")
        if entry_id in seen:
            raise AgendaError(f"{sub}.id", duplicate.format(id=entry_id))
        seen.add(entry_id)
        yield sub, obj, entry_id


# --------------------------------------------------------------------------- sessions


def _sessions(ctx: _Ctx, raw: dict) -> list[dict]:
    if "sessions" not in raw:
        raise AgendaError("sessions", "sessions is required")
    sessions_raw = _require_list(raw["sessions"], "sessions", "sessions")
    if not sessions_raw:
        raise AgendaError("sessions", "give at least one session")
    return [_session(ctx, s, spath, sid) for spath, s, sid in
            _entries(sessions_raw, "sessions", "a session", SESSION_KEYS, "duplicate session id {id!r}")]


def _session(ctx: _Ctx, s: dict, spath: str, sid: str) -> dict:
    if "title" not in s:
        raise AgendaError(f"{spath}.title", "title is required")
    s_title = ctx.text(s["title"], f"{spath}.title")

    plenary = s.get("plenary", False)
    if plenary is None:
        plenary = False
    if not isinstance(plenary, bool):
        raise AgendaError(f"{spath}.plenary", f"must be true or false, got {_type_name(plenary)}")

    objectives = ctx.text_list(s.get("objectives"), f"{spath}.objectives", "objectives")
    return {
        "id": sid,
        "title": s_title,
        "plenary": plenary,
        "objectives": objectives,
        "groups": _session_groups(ctx, s.get("groups"), spath, sid, plenary),
        "questions": _questions(ctx, s, spath, sid),
    }


def _session_groups(ctx: _Ctx, g_raw: Any, spath: str, sid: str, plenary: bool) -> list[str]:
    """The boards of one session: the plenary's one, the top-level groups, or its own list."""
    if plenary:
        if g_raw not in (None, [], [PLENARY_GROUP_ID]):
            raise AgendaError(
                f"{spath}.groups",
                "a plenary session has a single board; remove 'groups' or set 'plenary: false'",
            )
        return [PLENARY_GROUP_ID]
    if g_raw is None:
        if not ctx.top_groups:
            raise AgendaError(
                "groups",
                f"groups is required: session {sid!r} is not plenary and names no groups of its own, "
                "so it breaks out into the top-level groups, and there are none",
            )
        return [g["id"] for g in ctx.top_groups]
    g_list = _require_list(g_raw, f"{spath}.groups", "groups")
    if not g_list:
        raise AgendaError(
            f"{spath}.groups",
            "empty list; list at least one group, leave 'groups' out to use all top-level groups, "
            "or set 'plenary: true'",
        )
    session_groups: list[str] = []
    for gi, entry in enumerate(g_list):
        gpath = f"{spath}.groups[{gi}]"
        gid = _session_group(ctx, entry, gpath)
        if gid in session_groups:
            raise AgendaError(gpath, f"group {gid!r} is listed twice in this session")
        session_groups.append(gid)
    return session_groups


def _session_group(ctx: _Ctx, entry: Any, gpath: str) -> str:
    """One entry of a session's groups: the id of a defined group, or a group defined inline."""
    if isinstance(entry, str):
        if entry == PLENARY_GROUP_ID:
            raise AgendaError(gpath, "'plenary' is not a breakout group; set 'plenary: true' on the session instead")
        if entry not in ctx.all_groups:
            known = ", ".join(ctx.all_groups) or "none"
            raise AgendaError(gpath, f"unknown group {entry!r} (defined groups: {known})")
        return entry
    if isinstance(entry, dict):
        group = _group_def(ctx, entry, gpath)
        gid = group["id"]
        if gid in ctx.all_groups:
            raise AgendaError(
                f"{gpath}.id",
                f"duplicate group id {gid!r}: a group with this id is already defined "
                "(refer to it by its id as a plain string instead)",
            )
        group["kind"] = "breakout"
        ctx.all_groups[gid] = group
        ctx.inline_groups.append(group)
        return gid
    raise AgendaError(
        gpath, f"a group entry must be a group id (string) or a mapping with id and name, got {_type_name(entry)}"
    )


# --------------------------------------------------------------------------- questions


def _questions(ctx: _Ctx, s: dict, spath: str, sid: str) -> list[dict]:
    if "questions" not in s:
        raise AgendaError(f"{spath}.questions", "questions is required (at least one question)")
    q_list = _require_list(s["questions"], f"{spath}.questions", "questions")
    if not q_list:
        raise AgendaError(f"{spath}.questions", "give at least one question")
    questions: list[dict] = []
    for qi, q_raw in enumerate(q_list):
        qpath = f"{spath}.questions[{qi}]"
        q = _require_mapping(q_raw, qpath, "a question")
        _check_keys(q, QUESTION_KEYS, qpath)
        qid = _check_id(q.get("id"), f"{qpath}.id")
        if qid in ctx.question_sessions:
            raise AgendaError(
                f"{qpath}.id",
                f"duplicate question id {qid!r} (already used in session {ctx.question_sessions[qid]!r}); "
                "question ids must be unique across the whole agenda",
            )
        ctx.question_sessions[qid] = sid
        if "text" not in q:
            raise AgendaError(f"{qpath}.text", "text is required")
        q_text = ctx.text(q["text"], f"{qpath}.text")
        questions.append({"id": qid, "text": q_text, "parts": _parts(ctx, q.get("parts"), qpath)})
    return questions


def _parts(ctx: _Ctx, p_raw: Any, qpath: str) -> list[dict]:
    parts: list[dict] = []
    if p_raw is None:
        return parts
    p_list = _require_list(p_raw, f"{qpath}.parts", "parts")
    for ppath, part, pid in _entries(p_list, f"{qpath}.parts", "a part", PART_KEYS,
                                     "duplicate part id {id!r} in this question"):
        if "text" not in part:
            raise AgendaError(f"{ppath}.text", "text is required")
        parts.append({"id": pid, "text": ctx.text(part["text"], f"{ppath}.text")})
    return parts


def _plenary_name(languages: list[str], default_language: str) -> dict:
    name = {lang: PLENARY_NAMES[lang] for lang in languages if lang in PLENARY_NAMES}
    if not name:
        name = {default_language: PLENARY_NAMES["en"]}
    return name


# --------------------------------------------------------------------------- helpers


def text_in(text_map: Any, lang: str, fallback: str | None = None) -> str:
    """The text in ``lang``, else in ``fallback``, else in any language ("" if none).

    Accepts a plain string too (returned as is). A regional code such as
    ``fr-CA`` falls back to ``fr`` before ``fallback``.
    """
    if text_map is None:
        return ""
    if isinstance(text_map, str):
        return text_map
    if not isinstance(text_map, dict) or not text_map:
        return ""
    for code in (lang, (lang or "").split("-")[0], fallback, (fallback or "").split("-")[0]):
        if code and text_map.get(code):
            return text_map[code]
    for value in text_map.values():
        if value:
            return value
    return ""
