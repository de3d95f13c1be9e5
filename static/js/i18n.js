// Strings and formats for the page, read from the server-rendered boot data.
// The server translates every string (facilitator/web/client_strings.py); nothing
// user-visible is written in the scripts.

const bootEl = document.getElementById("boot");
export const boot = bootEl ? JSON.parse(bootEl.textContent) : {};
export const lang = boot.lang || document.documentElement.lang || "en";
const strings = boot.i18n || {};

// t("question_n", {n: 2}) -> "Question 2", placeholders written {name}.
export function t(key, params) {
  let text = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
  if (params) {
    text = text.replace(/\{(\w+)\}/g, (whole, name) =>
      Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole);
  }
  return text;
}

const numberFormats = new Map();
export function formatNumber(n, options = {}) {
  const id = JSON.stringify(options);
  if (!numberFormats.has(id)) {
    try {
      numberFormats.set(id, new Intl.NumberFormat(lang, options));
    } catch {
      numberFormats.set(id, new Intl.NumberFormat("en", options));
    }
  }
  return numberFormats.get(id).format(n);
}

// A share (0..1) as a whole percentage: "62%", "٦٢٪".
export const formatPercent = (share) => formatNumber(share || 0, { style: "percent", maximumFractionDigits: 0 });

// A text of the agenda: a plain string, or a map from language code to string.
export function pick(text, fallbackLang) {
  if (text == null) return "";
  if (typeof text === "string") return text;
  return text[lang] || (fallbackLang && text[fallbackLang]) || Object.values(text)[0] || "";
}

// The name of a language in that language ("العربية", "English", "français"...).
export function languageName(code) {
  try {
    const name = new Intl.DisplayNames([code], { type: "language" }).of(code);
    return name ? name.charAt(0).toLocaleUpperCase(code) + name.slice(1) : code;
  } catch {
    return code;
  }
}

// A countdown: "04:59", or "1:04:59" past an hour, in the page's digits.
export function formatDuration(totalSeconds) {
  const twoDigits = (n) => formatNumber(n, { minimumIntegerDigits: 2, useGrouping: false });
  const left = Math.max(0, Math.round(totalSeconds));
  const hours = Math.floor(left / 3600), minutes = Math.floor((left % 3600) / 60), seconds = left % 60;
  return hours ? `${formatNumber(hours)}:${twoDigits(minutes)}:${twoDigits(seconds)}` : `${twoDigits(minutes)}:${twoDigits(seconds)}`;
}
