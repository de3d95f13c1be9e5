"""Text normalisation, tokenisation and stemming for Arabic, English, French and Spanish.

Plain Python (no Flask). Used by :mod:`facilitator.meeting.synthesis` for the lexical engine and
for the "shared terms" that explain why a cluster formed.

Normalisation (``normalise``):

* Unicode NFKC (presentation forms and ligatures such as ``ﻻ`` become plain letters), case folding;
* Arabic: diacritics (harakat, tanwin, shadda, sukun, dagger alef, Quranic marks) and tatweel
  removed; alef variants ``أ إ آ ٱ`` → ``ا``; ``ؤ`` → ``و``; ``ئ`` → ``ي``; ``ى`` → ``ي``;
  ``ة`` → ``ه``; Persian/Urdu look-alikes (``ک ی``) → Arabic letters; Arabic-Indic digits → ASCII;
* Latin script: accents folded (``é`` → ``e``, ``ñ`` → ``n``, ``ç`` → ``c``), ligatures ``œ æ``
  expanded, so "réintégration" and "reintegracion" typed without accents match.

Tokens (``tokens``): words of the normalised text, stop words removed (lists in
``data/stopwords/``), Snowball-stemmed with the stemmer of the token's script/language.
"""
from __future__ import annotations

import functools
import os
import re
import threading
import unicodedata

import snowballstemmer

LANGS = ("ar", "en", "fr", "es")
BUNDLED_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")  # shipped with the code

_STEMMER_NAMES = {"ar": "arabic", "en": "english", "fr": "french", "es": "spanish"}

# Arabic diacritics: Quranic annotation signs, harakat/tanwin/shadda/sukun/maddah/hamza marks,
# superscript (dagger) alef, small high/low Quranic signs. Tatweel (kashida) U+0640.
_AR_DIACRITICS = re.compile(
    "[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06DC\u06DF-\u06E8\u06EA-\u06ED\u08D3-\u08FF\u0640]"
)
_AR_LETTERS_BASE = {
    "\u0623": "\u0627",  # أ
    "\u0625": "\u0627",  # إ
    "\u0622": "\u0627",  # آ
    "\u0671": "\u0627",  # ٱ alef wasla
    "\u0672": "\u0627",  # ٲ
    "\u0673": "\u0627",  # ٳ
    "\u0624": "\u0648",  # ؤ → و
    "\u0626": "\u064A",  # ئ → ي
    "\u0649": "\u064A",  # ى alef maqsura → ي
    "\u06CC": "\u064A",  # ی Farsi yeh
    "\u06D2": "\u064A",  # ے
    "\u06A9": "\u0643",  # ک keheh → ك
    "\u06C0": "\u0647",  # ۀ
}
_AR_TA_MARBUTA = {"\u0629": "\u0647"}  # ة → ه
_AR_DIGITS = {chr(0x0660 + i): str(i) for i in range(10)}
_AR_DIGITS.update({chr(0x06F0 + i): str(i) for i in range(10)})
_AR_PUNCT = {"\u060C": ",", "\u061B": ";", "\u061F": "?", "\u066A": "%", "\u066B": ".", "\u066C": ","}
_LATIN_EXTRA = {"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ß": "ss", "’": "'", "ʼ": "'"}

_TABLE_FULL = str.maketrans({**_AR_LETTERS_BASE, **_AR_TA_MARBUTA, **_AR_DIGITS, **_AR_PUNCT,
                             **_LATIN_EXTRA})
_TABLE_NO_TA = str.maketrans({**_AR_LETTERS_BASE, **_AR_DIGITS, **_AR_PUNCT, **_LATIN_EXTRA})

_ARABIC_CHAR = re.compile("[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
# A word: letters/digits plus the combining marks and tatweel that live inside words.
_WORD = re.compile(r"[\w\u0300-\u036F\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640'-]+")
_ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)'", re.UNICODE)


def _fold_accents(s: str) -> str:
    """Strip combining marks from Latin letters (keeps Arabic letters intact: they were mapped)."""
    decomposed = unicodedata.normalize("NFD", s)
    out = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", out)


def _normalise(text: str, keep_ta_marbuta: bool = False) -> str:
    if not text:
        return ""
    s = unicodedata.normalize("NFKC", text).casefold()
    s = _AR_DIACRITICS.sub("", s)
    s = s.translate(_TABLE_NO_TA if keep_ta_marbuta else _TABLE_FULL)
    s = _fold_accents(s)
    s = s.translate(_TABLE_NO_TA if keep_ta_marbuta else _TABLE_FULL)
    return s


def normalise(text: str, lang: str | None = None) -> str:
    """NFKC, casefold, Arabic diacritics/tatweel removed and letter variants unified, accents folded.

    The rules are applied whatever ``lang`` says (a French contribution may quote an Arabic
    term); ``lang`` is accepted for API symmetry.
    """
    return _normalise(text or "")


def strip_arabic_marks(text: str) -> str:
    """NFKC and Arabic diacritics/tatweel removed, letters otherwise untouched (hamza and ta
    marbuta kept, case kept): the clean form a sentence-embedding model expects."""
    return _AR_DIACRITICS.sub("", unicodedata.normalize("NFKC", text or ""))


# A text is in Arabic script when at least this share of its letters are Arabic: the one rule
# for the server's language guess, the synthesis and the board (which gets it in its boot data).
ARABIC_SHARE = 0.5


def is_arabic_script(text: str) -> bool:
    letters = _LETTER.findall(text or "")
    if not letters:
        return False
    ar = sum(1 for ch in letters if _ARABIC_CHAR.match(ch))
    return ar >= ARABIC_SHARE * len(letters)


@functools.lru_cache(maxsize=None)
def stop_words(lang: str) -> frozenset[str]:
    """The stop words of ``lang``, normalised like the text they are matched against."""
    path = os.path.join(BUNDLED_DATA, "stopwords", f"{lang}.txt")
    words: set[str] = set()
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                line = line.split("#", 1)[0]
                for w in line.split():
                    words.add(_normalise(w))
    except FileNotFoundError:
        pass
    return frozenset(words)


_stemmers = threading.local()  # Snowball stemmer objects are not thread-safe: one per thread.


def _stemmer(lang: str):
    cache = getattr(_stemmers, "d", None)
    if cache is None:
        cache = _stemmers.d = {}
    st = cache.get(lang)
    if st is None:
        st = cache[lang] = snowballstemmer.stemmer(_STEMMER_NAMES[lang])
    return st


def _stem_arabic(word_keep_ta: str) -> str:
    """Snowball Arabic stem of a word normalised with its ta marbuta kept, then fully normalised.

    Small fixes around known weak spots of the Snowball Arabic stemmer:
    ``وال``/``فال`` + noun is reduced to ``ال`` + noun; a bare ``-ات`` plural gets an article so
    the plural suffix is recognised (``بيانات`` and ``البيانات`` both → ``بيان``); a final ``ه``
    typed for ``ة`` is read as ``ة`` (``الهجره`` and ``الهجرة`` both → ``هجر``).
    """
    w = word_keep_ta
    if len(w) > 4 and w[0] in "وف" and w[1:3] == "ال":
        w = w[1:]
    if len(w) > 3 and w.endswith("ه"):
        w = w[:-1] + "ة"
    if len(w) > 4 and w.endswith("ات") and not w.startswith(("ال", "لل", "بال", "كال")):
        w = "ال" + w
    stem = _stemmer("ar").stemWord(w)
    return _normalise(stem) or _normalise(w)


@functools.lru_cache(maxsize=200_000)
def _stem(norm_word: str, keep_ta_word: str, lang: str) -> str:
    # Memoised: a meeting repeats its words, and the pure-Python Snowball costs ~0.1 ms a word.
    if _ARABIC_CHAR.search(norm_word):
        return _stem_arabic(keep_ta_word)
    st_lang = lang if lang in ("en", "fr", "es") else "en"
    return _stemmer(st_lang).stemWord(norm_word)


def words(text: str) -> list[str]:
    """Surface words of ``text`` (NFKC applied, case and marks kept), in order."""
    s = unicodedata.normalize("NFKC", text or "")
    out = []
    for w in _WORD.findall(s):
        w = w.strip("'-_")
        if w:
            out.append(w)
    return out


def analyse_words(text: str, lang: str | None) -> list[tuple[str, str]]:
    """``(stem, surface)`` pairs for the content words of ``text``, in order.

    ``surface`` is the word as typed (with an elided French article removed), used to show the
    shared terms of a cluster in a readable form rather than as stems.
    """
    lang = lang if lang in LANGS else ("ar" if is_arabic_script(text) else "en")
    out: list[tuple[str, str]] = []
    for surface in words(text):
        norm = _normalise(surface)
        if lang in ("fr", "en"):
            m = _ELISION.match(norm)
            if m:
                norm = norm[m.end():]
                surface = surface[m.end():]
        norm = norm.replace("'", "").replace("-", "")
        if not norm or norm.isdigit() and len(norm) < 4:
            continue
        word_lang = "ar" if _ARABIC_CHAR.search(norm) else lang
        if word_lang == "ar" and lang != "ar":
            sw = stop_words("ar")
        elif word_lang != "ar" and lang == "ar":
            sw = stop_words("en") | stop_words("fr") | stop_words("es")
        else:
            sw = stop_words(word_lang)
        if norm in sw or len(norm) < 2:
            continue
        stem = _stem(norm, _normalise(surface, keep_ta_marbuta=True), word_lang)
        if not stem or stem in sw:
            continue
        out.append((stem, surface))
    return out


def tokens(text: str, lang: str | None) -> list[str]:
    """Normalised, stop-word-free, Snowball-stemmed tokens of ``text``."""
    return [stem for stem, _ in analyse_words(text, lang)]


# Stop words found in one of the three Latin-script lists only ("et", "dans" are French; "y",
# "los" Spanish; "the", "and" English): the evidence used by detect_lang.
_LATIN_MARKERS = {
    lang: stop_words(lang) - frozenset().union(*(stop_words(o) for o in ("en", "fr", "es") if o != lang))
    for lang in ("en", "fr", "es")
}


def detect_lang(text: str, default: str) -> str:
    """Rough language of ``text``: Arabic script → ``ar``; otherwise the Latin language whose stop
    words clearly dominate (at least 2 hits and twice the runner-up), else ``default``."""
    if is_arabic_script(text):
        return "ar"
    ws = [_normalise(w) for w in words(text)]
    if not ws:
        return default if default in LANGS else "en"
    scores = {lang: sum(1 for w in ws if w in _LATIN_MARKERS[lang]) for lang in ("en", "fr", "es")}
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    (best, s1), (_, s2) = ranked[0], ranked[1]
    if s1 >= 2 and s1 >= 2 * s2:
        return best
    if default in LANGS and default != "ar":
        return default
    return best if s1 > 0 else "en"  # Latin script is not Arabic, whatever the default


# -- the rapporteur's framing ------------------------------------------------------------------
# Notes carry a frame that says who said it, not what was proposed ("The group felt that",
# "Rec:", "ترى المجموعة أن"). Two notes framed alike look alike to a sentence model whatever
# they propose; taking the frame off before embedding leaves the proposal. Only the start of the
# text and of each line or sentence is touched, and never the whole of it.
def _ar(pattern: str) -> str:
    """An Arabic pattern that also matches fast typing: any alef, ha for ta marbuta, ya for alef
    maqsura, and optional diacritics/tatweel between letters."""
    classes = {"ا": "[اأإآ]", "ة": "[ةه]", "ه": "[ةه]", "ى": "[ىي]", "ي": "[يىئ]", "و": "[وؤ]"}
    marks = "[\u064B-\u065F\u0670\u0640]*"
    out = []
    for ch in pattern:
        if "\u0600" <= ch <= "\u06FF":
            out.append(classes.get(ch, ch) + marks)
        else:
            out.append(ch)
    return "".join(out)


_VERB_EN = (r"(?:felt|feels?|agreed|agrees?|noted|notes?|stressed|stress(?:es)?|emphasi[sz]ed|"
            r"underlined|highlighted|recommended|recommends?|suggested|suggests?|proposed|"
            r"proposes?|considered|considers?|believes?|called for|calls? for|urged|urges?|"
            r"pointed out|expressed support for|discussed|raised)")
_SUBJ_EN = (r"(?:the |our |this )?(?:group|participants|members|delegates|delegations|"
            r"countries|the room|several (?:participants|delegations|members)|many participants|"
            r"some participants|we)")
_LABELS = (r"(?:rec|reco|recs|recommendation|recommandation|recomendaci[oó]n|proposal|"
           r"proposition|propuesta|gap|lacune|brecha|good practice|bonne pratique|"
           r"buena pr[aá]ctica|point|idea|id[eé]e|note|nb|key point|main point|summary|"
           r"r[eé]sum[eé]|resumen|conclusion|conclusi[oó]n|action|priority|priorit[eé]|"
           r"prioridad)")
_FRAMES = [
    r"[-–—•*·▪►>+]+\s*",
    r"\(?\d{1,2}[.)]\s+",
    r"\(?[a-h][)]\s+",
    _LABELS + r"\s*\d*\s*[:：\-–]\s*",
    _SUBJ_EN + r"\s+(?:also |strongly |broadly |generally )?" + _VERB_EN
    + r"(?:\s+(?:that|the need to|the need for|the importance of|on the need to))?[\s,:]+",
    r"it was (?:agreed|noted|felt|stressed|suggested|recommended|proposed|considered)"
    r"(?: that)?[\s,:]+",
    r"there was (?:broad |general |strong )?(?:agreement|consensus|support) (?:that|on|for)[\s,:]+",
    r"(?:le|notre) groupe (?:a |aussi |également )*(?:soulign[eé]|estim[eé]|recommand[eé]|"
    r"not[eé]|propos[eé]|insist[eé] sur|consid[eé]r[eé]|convenu|rappel[eé]|recommande|"
    r"propose|estime|souligne|consid[eè]re|insiste sur)(?:\s+(?:que|qu'|l'importance de|"
    r"la n[eé]cessit[eé] de|de|d'))?[\s,:]*",
    r"les (?:participants|membres|d[eé]l[eé]gations) ont (?:aussi |également )*"
    r"(?:soulign[eé]|estim[eé]|recommand[eé]|not[eé]|propos[eé]|insist[eé] sur|"
    r"consid[eé]r[eé]|convenu)(?:\s+(?:que|qu'|l'importance de|la n[eé]cessit[eé] de|de|d'))?[\s,:]*",
    r"il (?:est|a [eé]t[eé]) (?:recommand[eé]|propos[eé]|convenu|sugg[eé]r[eé]|not[eé]|"
    r"soulign[eé])(?:\s+(?:de|d'|que|qu'))?[\s,:]*",
    r"(?:el|nuestro) grupo (?:tambi[eé]n )?(?:coincidi[oó]|consider[oó]|recomend[oó]|"
    r"recomienda|se[nñ]al[oó]|destac[oó]|propuso|propone|subray[oó]|estim[oó]|insisti[oó]|"
    r"consider[aó]|acord[oó])(?:\s+(?:en que|que|en|la necesidad de|la importancia de))?[\s,:]+",
    r"los (?:participantes|miembros|delegados|pa[ií]ses) (?:tambi[eé]n )?(?:destacaron|"
    r"coincidieron|consideraron|recomendaron|se[nñ]alaron|propusieron|subrayaron|"
    r"insistieron)(?:\s+(?:en que|que|en|la necesidad de|la importancia de))?[\s,:]+",
    r"se (?:recomienda|propone|sugiere|acord[oó]|destac[oó]|subray[oó])(?:\s+(?:que))?[\s,:]+",
    _ar("توصية") + r"\s*[:：\-–]\s*",
    _ar("ترى المجموعة") + r"\s+" + _ar("ان") + r"\s*",
    _ar("رات المجموعة") + r"\s+" + _ar("ان") + r"\s*",
    _ar("توصي المجموعة") + r"\s+(?:" + _ar("ب") + r")?",
    _ar("تقترح المجموعة") + r"\s+",
    _ar("اقترح المشاركون") + r"\s+",
    r"(?:" + _ar("اكد") + "|" + _ar("شدد") + "|" + _ar("اتفق") + "|" + _ar("راى") + r")\s+"
    + _ar("المشاركون") + r"\s+(?:" + _ar("على") + r"\s+)?(?:" + _ar("ان") + r"\s+)?",
    _ar("نوصي") + r"\s+(?:" + _ar("ب") + r")?",
]
_FRAME = re.compile(r"^\s*(?:" + "|".join(f"(?:{f})" for f in _FRAMES) + ")", re.IGNORECASE)
# a sentence ends after a word of letters ("1." of a numbered list does not end one)
_SEGMENT = re.compile(r"(?:(?<=[^\W\d_]{2}[.;!?؛؟])|(?<=\n))(\s+)")
# Kept with the vectors' fingerprint: vectors embedded under another version are not reused.
FRAMING_VERSION = "frame1"


def strip_framing(text: str) -> str:
    """The text without the rapporteur's frame at the start of the text and of each line or
    sentence (bullets, numbering, "Rec:", "The group felt that", "ترى المجموعة أن", ...).
    A segment that would be left empty or under two words is kept as it was."""
    parts = _SEGMENT.split(text or "")
    out = []
    for part in parts:
        if not part.strip():
            out.append(part)
            continue
        seg = part
        for _ in range(3):  # "- Rec: The group felt that ..." carries several frames
            m = _FRAME.match(seg)
            if not m or not m.end():
                break
            rest = seg[m.end():]
            if len(words(rest)) < 2:
                break
            seg = rest
        out.append(seg[:1].upper() + seg[1:] if seg is not part else seg)
    return "".join(out)


def detection_rule() -> dict:
    """What a page needs to apply ``detect_lang``'s rule to a text as it is typed (the board's
    and the chair's forms, static/js/lang.js): the Arabic share and each Latin language's
    distinctive stop words, normalised."""
    return {"arabic_share": ARABIC_SHARE,
            "markers": {lang: sorted(words) for lang, words in _LATIN_MARKERS.items()}}
