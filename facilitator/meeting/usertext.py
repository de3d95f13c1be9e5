"""Rules for what people type that are about what can be seen, not what it means.

Plain Python (no Flask). A contribution, title or name must show at least one visible
character; names lose control characters; bidi embeddings, overrides and isolates are kept in
the log (nothing typed is lost) and neutralised wherever text is shown (``BIDI_MARKERS``: the
report's ``safe_text`` and the pages' ``inert`` in static/js/dom.js show the same markers).
"""

from __future__ import annotations

import unicodedata

# Embeddings, overrides and isolates (U+202A–202E, U+2066–2069): they reorder what follows, so
# "gnp.exe" can be made to read "exe.png". Shown as these markers, never obeyed.
BIDI_MARKERS = {
    "\u202a": "[LRE]", "\u202b": "[RLE]", "\u202c": "[PDF]", "\u202d": "[LRO]", "\u202e": "[RLO]",
    "\u2066": "[LRI]", "\u2067": "[RLI]", "\u2068": "[FSI]", "\u2069": "[PDI]",
}

# Controls, format characters (zero-width space, joiners, BOM, tags, bidi marks), separators,
# marks with no letter to sit on, surrogates and unassigned code points draw nothing alone.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"}
# Letters and symbols that are blank by design (Hangul fillers, the braille blank).
_BLANK = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}


def is_invisible(ch: str) -> bool:
    return ch in _BLANK or unicodedata.category(ch) in _INVISIBLE_CATEGORIES


def has_visible(text: str) -> bool:
    """True if at least one character of ``text`` draws something."""
    return any(not is_invisible(ch) for ch in text)


def without_leading_invisible(text: str) -> str:
    """``text`` from its first visible character: what a spreadsheet sees first."""
    for i, ch in enumerate(text):
        if not is_invisible(ch):
            return text[i:]
    return ""


def clean_name(value, limit: int) -> str | None:
    """A display name: no control characters nor bidi controls, spaces collapsed, at most
    ``limit`` characters; None when nothing visible is left."""
    if not isinstance(value, str):
        return None
    value = value[: limit * 4]  # bound the work before looking at each character
    kept = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in value
        if ch not in BIDI_MARKERS and unicodedata.category(ch) != "Cs"
    )
    name = " ".join(kept.split())[:limit]
    return name if has_visible(name) else None
