"""The shapes of the names a meeting gives things, each written once.

Language codes, cluster ids and the key of a (group, question) column are read and built by the
ops, the fold, the synthesis and the archive: one helper each keeps them from drifting apart.
"""

from __future__ import annotations

import re

# A BCP 47 language code as the meeting uses it: "ar", "fr", "es-419", "zh-Hant".
LANG_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")

# A converging point is named after its earliest member: "c-<contribution id>" within one
# question, "s-<contribution id>" across the questions of a session.
QUESTION_CLUSTER = "c-"
SESSION_CLUSTER = "s-"


def is_lang_code(value) -> bool:
    # fullmatch: "$" alone would also accept a code followed by a line break
    return isinstance(value, str) and LANG_PATTERN.fullmatch(value) is not None


def cluster_id(contribution_id: str, prefix: str = QUESTION_CLUSTER) -> str:
    return prefix + contribution_id


def cluster_anchor(value, prefixes: tuple[str, ...] = (QUESTION_CLUSTER, SESSION_CLUSTER)) -> str | None:
    """The contribution a cluster id is named after, or None when ``value`` is no cluster id."""
    if isinstance(value, str):
        for prefix in prefixes:
            if value.startswith(prefix):
                return value[len(prefix):]
    return None


def order_key(group_id: str, question_id: str) -> str:
    """The key of one group's column of contributions under one question."""
    return f"{group_id}|{question_id}"


def order_key_group(key: str) -> str:
    return key.split("|", 1)[0]


def translation_key(contribution_id: str, lang: str) -> str:
    """The key of one contribution's translation into one language."""
    return f"{contribution_id}|{lang}"
