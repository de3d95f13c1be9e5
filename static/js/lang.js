// The language of a text as it is typed, by the server's rough rule (facilitator/meeting/text.py
// detect_lang), with the server's words, sent in the boot data (boot.script):
// - Arabic script when at least `arabic_share` of the letters are Arabic letters;
// - else the Latin-script language (English, French, Spanish) whose distinctive stop words
//   ("the", "et", "los"…) number at least 2 and at least twice the runner-up's.
// Nothing else is detected: a short text, or one without such words, gets no guess
// (guessLanguage returns null) and the form keeps what it shows.

import { boot, t } from "./i18n.js";
import { setText } from "./dom.js";

const rule = boot.script || {};
const ARABIC_SHARE = typeof rule.arabic_share === "number" ? rule.arabic_share : 0.5;
const MARKERS = Object.entries(rule.markers || {}).map(([code, words]) => [code, new Set(words)]);
const LATIN = ["en", "fr", "es"];
const LANGS = ["ar", ...LATIN];

const ARABIC_LETTER = /[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]/;
const LETTER = /\p{L}/u;
// a word: letters and digits plus the marks and tatweel that live inside words (text.py _WORD)
const WORD = /[\p{L}\p{N}_\u0300-\u036F\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640'-]+/gu;
const AR_MARKS = /[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06DC\u06DF-\u06E8\u06EA-\u06ED\u08D3-\u08FF\u0640]/g;
const LATIN_EXTRA = { "œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ß": "ss", "’": "'", "ʼ": "'" };

export function isArabic(text) {
  let arabic = 0, letters = 0;
  for (const ch of text || "") {
    if (!LETTER.test(ch)) continue;
    letters += 1;
    if (ARABIC_LETTER.test(ch)) arabic += 1;
  }
  return letters > 0 && arabic >= ARABIC_SHARE * letters;
}

export function hasLetters(text) { return LETTER.test(text || ""); }

// A word as the server compares it with its stop words: case folded, accents and Arabic marks
// removed (text.py _normalise, for the Latin-script words that matter here).
function normalise(word) {
  let s = word.normalize("NFKC").toLowerCase().replace(AR_MARKS, "");
  s = Array.from(s, (ch) => LATIN_EXTRA[ch] ?? ch).join("");
  return s.normalize("NFD").replace(/\p{Mn}/gu, "").normalize("NFC");
}

function words(text) {
  const found = (text || "").normalize("NFKC").match(WORD) || [];
  return found.map((w) => w.replace(/^['\-_]+|['\-_]+$/g, "")).filter(Boolean).map(normalise);
}

// [[code, hits]…], most hits first (ties in the order en, fr, es, as on the server).
function ranked(ws) {
  const scores = LATIN.map((code) => {
    const markers = (MARKERS.find(([c]) => c === code) || [code, new Set()])[1];
    return [code, ws.filter((w) => markers.has(w)).length];
  });
  return scores.sort((a, b) => b[1] - a[1]);
}

// The language the text clearly shows, or null.
export function guessLanguage(text) {
  if (isArabic(text)) return "ar";
  const [[best, s1], [, s2]] = ranked(words(text));
  return s1 >= 2 && s1 >= 2 * s2 ? best : null;
}

// detect_lang itself, fallback included: what the server would store for a text sent without
// a language (tests compare the two).
export function detectLang(text, fallback) {
  if (isArabic(text)) return "ar";
  const ws = words(text);
  if (!ws.length) return LANGS.includes(fallback) ? fallback : "en";
  const [[best, s1], [, s2]] = ranked(ws);
  if (s1 >= 2 && s1 >= 2 * s2) return best;
  if (LANGS.includes(fallback) && fallback !== "ar") return fallback;
  return s1 > 0 ? best : "en";
}

// The select `langSel` follows the language of what is typed in `textarea` until someone picks
// one there: a clear guess selects its language and `hint` says it was guessed; a Latin-script
// text leaves Arabic for latinDefault(options); anything else leaves the select as it is.
// reset(value) after a send.
export function languageFollowsText(textarea, langSel, hint, latinDefault) {
  let touched = false;
  const say = (guessed) => { if (hint) setText(hint, guessed ? t("lang_guessed") : ""); };
  const follow = () => {
    if (touched) return;
    const text = textarea.value;
    const options = Array.from(langSel.options, (o) => o.value);
    const guess = guessLanguage(text);
    if (guess && options.includes(guess)) {
      if (langSel.value !== guess) { langSel.value = guess; say(true); }
    } else if (langSel.value === "ar" && hasLetters(text) && !isArabic(text)) {
      langSel.value = latinDefault(options);
      say(false);
    }
  };
  langSel.addEventListener("change", () => { touched = true; say(false); });
  textarea.addEventListener("input", follow);
  return { follow, reset(value) { touched = false; langSel.value = value; say(false); } };
}
