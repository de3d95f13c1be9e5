// What every page shows the same way: the icons of kinds and levels of agreement, the
// connection status, the screen-reader announcements and the batching of renders.

import { h, icon, setText, userText } from "./dom.js";
import { t, formatNumber, formatPercent } from "./i18n.js";

// A shape as well as a colour for each kind and level of agreement (never colour alone).
const KIND_ICON = {
  good_practice: "★", innovative_solution: "✦", principle: "◆", recommendation: "➜",
  gap: "▲", partnership: "⇄", commitment: "✔", other: "●",
};
export const AGREEMENT_ICON = { consensus: "●", majority: "◐", divergent: "≠" };
const POINTING_KINDS = new Set(["recommendation"]); // icons that point: flipped in right-to-left

export const kindGlyph = (kind) => KIND_ICON[kind] || "●";
export const agreementGlyph = (agreement) => AGREEMENT_ICON[agreement] || "●";
export const kindPoints = (kind) => POINTING_KINDS.has(kind);

// The icon of a kind or of a level of agreement, as a decorative span.
export const kindIcon = (kind) => icon(kindGlyph(kind), kindPoints(kind));
export const agreementIcon = (agreement) => icon(agreementGlyph(agreement));

// A badge: its icon, then its words.
export function iconLabel(attrs, glyphIcon, text) {
  return h("span", attrs, glyphIcon, h("span", { text }));
}

// ----- the connection status ------------------------------------------------------------------

const STATUS_KEYS = {
  connecting: "status_connecting", online: "status_online", syncing: "status_syncing",
  offline: "status_offline", refused: "status_refused",
};

// Shows the client's status in `el`; `keys` overrides the string of some states for a page
// ("" shows nothing). The body carries the state too, for styles and tests.
export function showStatus(el, status, keys = {}) {
  const key = Object.prototype.hasOwnProperty.call(keys, status) ? keys[status] : STATUS_KEYS[status] || "status_connecting";
  el.dataset.state = status;
  setText(el, key ? t(key) : "");
  document.body.dataset.connection = status;
}

// ----- announcements ----------------------------------------------------------------------------

// A function that says `text` through the live region `el`. The region is emptied first and
// filled a moment later, so a screen reader reads the same text again; only the last of a quick
// burst is read.
export function announcer(el) {
  let pending = null;
  return (text) => {
    el.textContent = "";
    clearTimeout(pending);
    pending = setTimeout(() => { el.textContent = text; }, 50);
  };
}

// ----- toasts ----------------------------------------------------------------------------------

// A message in the stack `container`, with a close button (Escape too) and an optional action
// ({label, run}). Only the `max` newest stay; without an action it goes by itself after
// `lifetime` ms. Closing it gives the focus it held back to the main content.
export function toast(container, message, {
  action = null, error = false, key = null, focusAction = false, max = 3, lifetime = 12000,
} = {}) {
  if (key) for (const old of container.querySelectorAll(`[data-key="${key}"]`)) old.remove();
  const box = h("div", { class: "toast" + (error ? " toast--error" : ""), role: error ? "alert" : null, "data-key": key });
  const close = () => {
    const hadFocus = box.contains(document.activeElement);
    box.remove();
    if (hadFocus) document.getElementById("main").focus();
  };
  box.append(h("p", { class: "toast__text", text: message }));
  let actionButton = null;
  if (action) {
    actionButton = h("button", { type: "button", class: "button button--primary", text: action.label,
      onclick: () => { box.remove(); action.run(); } });
    box.append(actionButton);
  }
  box.append(h("button", { type: "button", class: "button button--quiet", text: t("close"), onclick: close }));
  box.addEventListener("keydown", (e) => { if (e.key === "Escape") close(); });
  container.append(box);
  while (container.children.length > max) container.firstElementChild.remove();
  if (!action) setTimeout(() => box.remove(), lifetime);
  if (focusAction && actionButton) actionButton.focus();
  return box;
}

// ----- ballot results -----------------------------------------------------------------------------

// A region's cell of a ballot's results: "62% (5 of 8)". In a dots ballot the supporters agree.
export function regionRateText(cell, mode) {
  return t("region_rate", {
    rate: formatPercent(cell.agree_rate),
    yes: formatNumber((mode === "dots" ? cell.supporters : cell.yes) || 0),
    votes: formatNumber(cell.voters || 0),
  });
}

// ----- a contribution in the reader's language ------------------------------------------------------

// The mark of a translation: who made it (a person or a machine), and whether the original
// changed since. Shape and words, never colour alone.
export function translationMark(reading, cls = "tr-mark") {
  const machine = reading.source === "machine";
  return h("span", { class: `${cls} ${cls}--${machine ? "machine" : "human"}` + (reading.stale ? ` ${cls}--stale` : "") },
    icon(machine ? "⚙" : "⇄"),
    h("span", { text: t(machine ? "translated_machine" : "translated_human") }),
    reading.stale ? h("span", { class: "tr-mark__stale" }, icon("⚠"), h("span", { text: t("translation_stale") })) : null);
}

// A contribution's text as its reader sees it (model.reading): the text in its own element
// with its own `lang` and `dir`; when it is a translation, its mark and the original too:
// beneath it, or folded one tap away (`fold`, on a phone). Returns the nodes, in order.
export function readingNodes(reading, tag, cls, { fold = false } = {}) {
  const text = userText(tag, cls, reading.text, reading.lang);
  if (!reading.translated) return [text];
  text.classList.add("tr-text");
  const originalText = userText(fold ? "p" : "span", "tr-original__text", reading.original.text, reading.original.lang);
  const original = fold
    ? h("details", { class: "tr-original" }, h("summary", { text: t("show_original") }), originalText)
    : h("p", { class: "tr-original" }, h("span", { class: "tr-original__label", text: t("original_label") }), " ", originalText);
  return [translationMark(reading), text, original];
}

// A group's sign-off of its answers to a question ({ts, stale} or null), as a badge.
export function signOffBadge(signOff, cls = "so-badge") {
  if (!signOff) return h("span", { class: `${cls} ${cls}--none` }, icon("○"), h("span", { text: t("sign_off_none") }));
  return signOff.stale
    ? h("span", { class: `${cls} ${cls}--stale` }, icon("⚠"), h("span", { text: t("sign_off_stale") }))
    : h("span", { class: `${cls} ${cls}--signed` }, icon("✔"), h("span", { text: t("signed_off") }));
}

// ----- rendering --------------------------------------------------------------------------------

// A function that asks for `render` once, however many changes arrive before it runs: on the
// next animation frame by default, or by the `later` given.
export function renderScheduler(render, later = requestAnimationFrame) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    later(() => { queued = false; render(); });
  };
}
