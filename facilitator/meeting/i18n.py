"""Languages for the domain: the gettext catalogs, text direction and language names (no Flask).

The pages translate through Flask-Babel; the report is built outside a request, so it reads the
same compiled catalogs (translations/<lang>/LC_MESSAGES/messages.mo, built by ``make setup``)
with ``babel.support.Translations``. Direction and language names come from CLDR through
``babel.Locale``, for the pages, the report and the templates alike.
"""

from __future__ import annotations

import functools
import os

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "translations")
UI_LANGUAGES = ("ar", "en", "fr", "es")  # the languages every catalog is complete in


def N_(message: str) -> str:
    """Marks a message for extraction (babel.cfg); it is translated later, in a known language."""
    return message


def base_language(lang: str | None) -> str:
    """``"fr-CA"`` -> ``"fr"``; ``None`` -> ``""``."""
    return (lang or "").replace("_", "-").split("-")[0].lower()


def ui_language(lang: str | None, fallback: str = "en") -> str:
    """``lang`` if the catalogs cover it, else ``fallback`` if they do, else English."""
    lang = base_language(lang)
    if lang in UI_LANGUAGES:
        return lang
    return fallback if fallback in UI_LANGUAGES else "en"


@functools.lru_cache(maxsize=64)
def _locale(lang: str) -> Locale | None:
    try:
        return Locale.parse(lang.replace("-", "_")) if lang else None
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def direction(lang: str | None) -> str:
    """``"rtl"`` or ``"ltr"``: the script direction CLDR gives the language."""
    locale = _locale(base_language(lang))
    return "rtl" if locale is not None and locale.character_order == "right-to-left" else "ltr"


def is_rtl(lang: str | None) -> bool:
    return direction(lang) == "rtl"


def language_name(code: str | None, in_lang: str) -> str:
    """The name of language ``code`` written in ``in_lang`` (``"arabe"``); the code if unknown."""
    locale = _locale(base_language(code))
    name = locale.get_language_name(base_language(in_lang)) if locale is not None else None
    return name or (code or "")


def native_name(code: str) -> str:
    """The language's own name for itself, as a language menu shows it (``"Français"``)."""
    name = language_name(code, code)
    return name[:1].upper() + name[1:]


@functools.lru_cache(maxsize=8)
def translations(lang: str) -> NullTranslations:
    """The compiled catalog of ``lang``; without one (not built yet) the English source text."""
    return Translations.load(TRANSLATIONS_DIR, [ui_language(lang)], domain="messages")


def gettext(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


__all__ = ["N_", "UI_LANGUAGES", "base_language", "direction", "gettext", "is_rtl", "language_name",
           "native_name", "translations", "ui_language"]
