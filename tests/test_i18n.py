"""The UI catalogs (ar, en, fr, es) stay complete, correct and wired to the pages.

- every message the code and templates use (extracted here with Babel, as `flask translate
  extract` does) is in every catalog, translated, not fuzzy;
- Arabic has its six plural forms, French and Spanish two, all filled;
- placeholders ({n}, %(name)s) survive translation;
- the pages pick the language from ?lang= (remembered in a cookie), then Accept-Language, and say
  so in <html lang dir>; the strings passed to the browser come from the catalog.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRANSLATIONS = os.path.join(ROOT, "translations")
LANGS = ("ar", "en", "fr", "es")
NPLURALS = {"ar": 6, "en": 2, "fr": 2, "es": 2}
RTL = {"ar"}
# The same keywords as `flask translate extract` (facilitator/cli.py): Babel's defaults plus these.
KEYWORDS = dict(DEFAULT_KEYWORDS, _l=None, lazy_gettext=None)
SKIP_DIRS = {"node_modules", "data", "tests", "bench", "docs", "static", "translations"}

PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|%\([A-Za-z_][A-Za-z0-9_]*\)[sdifr]|%[sdifr]")


def po_path(lang: str) -> str:
    return os.path.join(TRANSLATIONS, lang, "LC_MESSAGES", "messages.po")


def load_catalog(lang: str):
    with open(po_path(lang), "rb") as handle:
        return read_po(handle, locale=lang)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def extracted() -> dict:
    """msgid (a string, or a (singular, plural) tuple) -> where it was found."""
    with open(os.path.join(ROOT, "babel.cfg"), encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, filename="babel.cfg")

    def directory_filter(dirpath: str) -> bool:
        name = os.path.basename(dirpath)
        return not (name.startswith((".", "_")) or name in SKIP_DIRS)

    messages: dict = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS, directory_filter=directory_filter
    ):
        messages.setdefault(message, f"{filename}:{lineno}")
    assert len(messages) > 50, "extraction found almost nothing: is babel.cfg still right?"
    return messages


@pytest.fixture(scope="module")
def catalogs() -> dict:
    return {lang: load_catalog(lang) for lang in LANGS}


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_has_every_extracted_message(lang, extracted, catalogs):
    catalog = catalogs[lang]
    missing = []
    for msgid, where in extracted.items():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        message = catalog.get(key)
        if message is None:
            missing.append(f"{where}: {key!r}")
        elif isinstance(msgid, tuple) and not message.pluralizable:
            missing.append(f"{where}: {key!r} is plural in the code but not in the catalog")
        elif isinstance(msgid, tuple) and message.id[1] != msgid[1]:
            missing.append(f"{where}: {key!r} has another msgid_plural in the catalog")
    assert not missing, (
        f"{len(missing)} message(s) missing from translations/{lang}; run "
        "`flask --app facilitator translate update` and translate them:\n" + "\n".join(missing)
    )


@pytest.mark.parametrize("lang", LANGS)
def test_no_empty_or_fuzzy_message(lang, catalogs):
    catalog = catalogs[lang]
    assert not catalog.fuzzy, f"the header of translations/{lang} is marked fuzzy"
    problems = []
    for message in catalog:
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(form and form.strip() for form in forms):
            problems.append(f"empty: {message.id!r}")
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
    assert not problems, f"translations/{lang}:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGS)
def test_babel_checks_pass(lang, catalogs):
    """Babel's own checkers: plural form count, python-format placeholders."""
    errors = [
        f"{message.id!r}: {'; '.join(str(e) for e in errs)}"
        for message, errs in catalogs[lang].check()
    ]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("lang", LANGS)
def test_each_message_is_defined_once(lang):
    """Babel's reader keeps one of two definitions of a msgid silently; gettext's msgfmt refuses
    the file. Two pages adding the same label must share one entry."""
    with open(po_path(lang), encoding="utf-8") as handle:
        text = handle.read()
    entries = re.findall(r'^(?:msgctxt "((?:[^"\\]|\\.)*)"\n)?msgid "((?:[^"\\]|\\.)*)"', text, re.M)
    seen, doubled = set(), []
    for entry in entries:
        if entry in seen and entry != ("", ""):
            doubled.append(entry[1])
        seen.add(entry)
    assert not doubled, doubled


@pytest.mark.parametrize("lang", LANGS)
def test_plural_forms(lang, catalogs):
    catalog = catalogs[lang]
    header = dict(catalog.mime_headers)["Plural-Forms"]
    assert f"nplurals={NPLURALS[lang]};" in header.replace(" ", ""), header
    assert catalog.num_plurals == NPLURALS[lang]
    for message in catalog:
        if message.id and message.pluralizable:
            assert len(message.string) == NPLURALS[lang], message.id
            assert all(form.strip() for form in message.string), message.id


def test_arabic_plural_rule_has_six_distinct_forms(catalogs):
    """0, 1, 2, 3-10, 11-99 and 100-102 each get their own form, as Arabic grammar wants."""
    import gettext

    header = dict(catalogs["ar"].mime_headers)["Plural-Forms"]
    rule = gettext.c2py(header.split("plural=", 1)[1].strip().rstrip(";"))
    forms = {n: rule(n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 101, 102, 103, 111)}
    assert len({forms[n] for n in (0, 1, 2, 3, 11, 100)}) == 6, forms
    assert forms[3] == forms[10] == forms[103]
    assert forms[11] == forms[99] == forms[111]
    assert forms[100] == forms[101] == forms[102]


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_match(lang, catalogs):
    problems = []
    for message in catalogs[lang]:
        if not message.id:
            continue
        if message.pluralizable:
            singular, plural = message.id
            allowed = set(placeholders(singular)) | set(placeholders(plural))
            # The count may be left out of a form ("صوت واحد", "صوتان"); the rest must stay.
            required = (set(placeholders(singular)) & set(placeholders(plural))) - {
                "{n}", "{num}", "%(num)d", "%(num)s", "%d"
            }
            for index, form in enumerate(message.string):
                found = set(placeholders(form))
                if not found <= allowed or not required <= found:
                    problems.append(f"{message.id!r} form {index}: {form!r}")
        else:
            if placeholders(message.id) != placeholders(message.string):
                problems.append(f"{message.id!r} -> {message.string!r}")
    assert not problems, f"translations/{lang}: placeholders changed:\n" + "\n".join(problems)


def test_english_catalog_is_the_source_text(catalogs):
    for message in catalogs["en"]:
        if message.id:
            assert message.string == message.id, message.id


def test_report_labels_are_catalog_messages(extracted, catalogs, app):
    """The outcome report's labels are gettext messages: extracted, in every catalog, and the
    domain (no Flask) reads them from the compiled catalogs the `app` fixture just built."""
    from facilitator.meeting import report
    from facilitator.meeting.i18n import translations

    tables = (report.LABELS, report.KIND_LABELS, report.AGREEMENT_LABELS, report.REASON_LABELS)
    messages = [msgid for table in tables for msgid in table.values()]
    assert messages and all(msgid in extracted for msgid in messages)
    for lang in LANGS:
        translations.cache_clear()  # read the .mo files as they are now
        wrong = {msgid: translations(lang).gettext(msgid) for msgid in messages
                 if translations(lang).gettext(msgid) != catalogs[lang][msgid].string}
        assert not wrong, f"report labels not read from translations/{lang}: {wrong}"


# ----- the pages ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory, catalogs):
    # .mo files are git-ignored and built by `make setup`; build them here from the .po under test.
    for lang, catalog in catalogs.items():
        with open(os.path.join(TRANSLATIONS, lang, "LC_MESSAGES", "messages.mo"), "wb") as handle:
            write_mo(handle, catalog)
    from facilitator import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(tmp_path_factory.mktemp("i18n-data")),
            "REDIS_URL": None,
            "ASYNC_MODE": "threading",
            "SYNTHESIS_ENGINE": "lexical",
        }
    )
    return app


def html_tag(body: str) -> str:
    match = re.search(r"<html\b[^>]*>", body)
    assert match, body[:200]
    return match.group(0)


def boot_strings(body: str) -> dict:
    match = re.search(r'<script type="application/json" id="boot">(.*?)</script>', body, re.S)
    assert match, "no boot JSON on the page"
    return json.loads(match.group(1))["i18n"]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", ["/join", "/"])
def test_page_in_each_language(app, catalogs, lang, path):
    client = app.test_client()
    response = client.get(f"{path}?lang={lang}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    direction = "rtl" if lang in RTL else "ltr"
    assert html_tag(body) == f'<html lang="{lang}" dir="{direction}">'
    catalog = catalogs[lang]
    title = "Join the vote" if path == "/join" else "Facilitator"
    assert catalog[title].string in body
    assert catalog["Skip to content"].string in body
    if lang == "ar":
        assert re.search(r"[\u0600-\u06FF]{3,}", body), "no Arabic text on the Arabic page"
        assert "Skip to content" not in body
    if path == "/join":
        # The strings the page's script shows come translated from the catalog.
        english = boot_strings(client.get("/join?lang=en").get_data(as_text=True))
        shown = boot_strings(client.get(f"/join?lang={lang}").get_data(as_text=True))
        assert shown.keys() == english.keys()
        wrong = {
            key: value
            for key, value in shown.items()
            if catalog.get(english[key]) is None or value != catalog[english[key]].string
        }
        assert not wrong, f"client strings not from the {lang} catalog: {wrong}"


def test_accept_language_picks_the_language(app, catalogs):
    client = app.test_client()
    response = client.get("/join", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    body = response.get_data(as_text=True)
    assert html_tag(body) == '<html lang="fr" dir="ltr">'
    assert catalogs["fr"]["Join the vote"].string in body

    response = app.test_client().get("/join", headers={"Accept-Language": "ar"})
    assert html_tag(response.get_data(as_text=True)) == '<html lang="ar" dir="rtl">'


def test_lang_cookie_is_remembered(app, catalogs):
    client = app.test_client()
    first = client.get("/join?lang=es")
    # among the page's cookies (the join page also sets its device cookie)
    assert any(c.startswith("lang=es;") for c in first.headers.getlist("Set-Cookie"))
    # No ?lang= now, and the browser asks for French: the cookie wins.
    body = client.get("/join", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert html_tag(body) == '<html lang="es" dir="ltr">'
    assert catalogs["es"]["Join the vote"].string in body
    # Switching again replaces the remembered choice.
    client.get("/?lang=ar")
    body = client.get("/join").get_data(as_text=True)
    assert html_tag(body) == '<html lang="ar" dir="rtl">'


def test_unknown_language_falls_back(app):
    client = app.test_client()
    body = client.get("/join?lang=xx", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert html_tag(body) == '<html lang="en" dir="ltr">'


def test_no_string_table_names_a_key_twice():
    """A dict literal keeps the last of two equal keys silently: a page then shows another
    message than the one its code asks for (the plenary's "Raised by {k} of {m} groups" was
    replaced by a vote string, and showed "Raised by: {groups}")."""
    import ast
    import glob

    tables = glob.glob(os.path.join(ROOT, "facilitator", "web", "*strings*.py"))
    assert tables
    for path in tables:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
                twice = sorted({k for k in keys if keys.count(k) > 1})
                assert not twice, f"{os.path.basename(path)} names {twice} twice"
