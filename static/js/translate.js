// The translator's desk: a queue of the texts that still need a translation into the languages
// the translator works into, ordered by what the room is looking at, and the original and its
// translation side by side. Keyboard first; offline through the shared client's outbox; two
// translators on one text are told, never overwritten unseen (the `version` of translation.set).
// Every translation says which version of the original it was made from (`original_version`),
// kept in the op, so that one waiting in the outbox while the original changed lands stale.
// Every user text goes in with textContent; nothing is built from HTML strings.

import { MeetingClient, storage } from "./client.js";
import { boot, t, lang as uiLang, formatNumber, languageName } from "./i18n.js";
import { h, setText } from "./dom.js";
import { MeetingModel } from "./model.js";
import { kindIcon, showStatus, announcer, renderScheduler, toast as showToast } from "./ui.js";

const MID = boot.meeting_id;
const TEXT_LIMIT = (boot.limits && boot.limits.text) || 2000;
const DIRECTIONS = boot.directions || {};
const TARGETS_KEY = `fac:${MID}:translate:targets`;
const draftKey = (key) => `fac:${MID}:translate:draft:${key}`;
// the version of the original a text kept in draftKey was typed against
const draftFromKey = (key) => `fac:${MID}:translate:draft-from:${key}`;
// The queue's order: what the room looks at first, and before all what the phones show to voters.
const RANKS = ["ballot", "spotlight", "point", "session", "other"];

const client = new MeetingClient({ meetingId: MID, page: "translate" });
const model = new MeetingModel(client);

const $ = (id) => document.getElementById(id);
const els = {
  desk: $("desk"), targetsLegend: $("desk-targets-legend"), targetsList: $("desk-targets-list"),
  machine: $("desk-machine"), unsent: $("unsent"), notice: $("desk-notice"),
  queueTitle: $("desk-queue-title"), queueCount: $("desk-queue-count"), queue: $("desk-queue"),
  queueEmpty: $("desk-queue-empty"), editorTitle: $("desk-editor-title"), pick: $("desk-pick"),
  work: $("desk-work"), keysTitle: $("desk-keys-title"), keys: $("desk-keys"),
  status: $("conn-status"), toasts: $("toasts"), announcer: $("announcer"),
};
const announce = announcer(els.announcer);
const scheduleRender = renderScheduler(render, (run) => setTimeout(run, 0));

// "fr-CA" and "fr" are one language to a reader (the server's desk.base_language).
const baseLang = (code) => String(code || "").split("-", 1)[0].toLowerCase();
const dirOf = (code) => DIRECTIONS[code] || DIRECTIONS[baseLang(code)] || "auto";
const pairKey = (cid, lang) => `${cid}|${lang}`;
const signature = (c) => `${c.lang}\u0000${c.text}`;

// ----- translations, kept beside the contributions ------------------------------------------------
// Events that carry a contribution do not carry its translations (docs/protocol.md): the page
// keeps them here, from the state and the translation.set events, and marks them stale itself
// when the original's words change, as the server does.

const desk = {
  translations: new Map(), // contribution id -> {lang: {text, source, stale, version, ts, original_version}}
  versions: new Map(), // pair -> the version of its translation as last seen (0: never set)
  originals: new Map(), // contribution id -> signature of its words
  conflicts: new Map(), // pair -> {current, mine, deleted}
};

function loadTranslations() {
  desk.translations.clear();
  desk.versions.clear();
  desk.originals.clear();
  for (const c of client.contributions.values()) {
    const mine = {};
    for (const [code, tr] of Object.entries(c.translations || {})) {
      mine[code] = { ...tr };
      desk.versions.set(pairKey(c.id, code), tr.version || 0);
    }
    desk.translations.set(c.id, mine);
    desk.originals.set(c.id, signature(c));
  }
}

function applyEvent(ev) {
  if (ev.type === "translation.set") {
    const key = pairKey(ev.contribution_id, ev.lang);
    const version = (desk.versions.get(key) || 0) + 1;
    desk.versions.set(key, version);
    const mine = desk.translations.get(ev.contribution_id) || {};
    if (ev.text) {
      mine[ev.lang] = { text: ev.text, source: ev.source, stale: Boolean(ev.stale), version, ts: ev.ts,
        original_version: ev.original_version ?? null };
    }
    else delete mine[ev.lang];
    desk.translations.set(ev.contribution_id, mine);
  } else if (ev.contribution && ev.type.startsWith("contribution.")) {
    const c = ev.contribution;
    const before = desk.originals.get(c.id);
    if (before !== undefined && before !== signature(c)) {
      for (const tr of Object.values(desk.translations.get(c.id) || {})) tr.stale = true;
    }
    desk.originals.set(c.id, signature(c));
  } else if (ev.type === "translation.status") {
    client.extra.machine_translation = ev.machine_translation;
  } else if (ev.type === "cluster.titled") {
    const curation = (client.extra.curation ||= {});
    // an empty title clears it: the point is no longer one the chair has named
    const titles = ev.lang ? { ...((curation.titles_by_lang ||= {})[ev.cluster_id] || {}) } : null;
    if (ev.lang) {
      if (ev.title) titles[ev.lang] = ev.title; else delete titles[ev.lang];
      if (Object.keys(titles).length) curation.titles_by_lang[ev.cluster_id] = titles;
      else delete curation.titles_by_lang[ev.cluster_id];
    } else if (ev.title) {
      (curation.titles ||= {})[ev.cluster_id] = ev.title;
    } else if (curation.titles) {
      delete curation.titles[ev.cluster_id];
    }
  } else if (ev.type === "ballot.opened" && ev.ballot) {
    // {ballot id: [contribution ids its phones show]} of the open ballots (the state's on_phones)
    const shown = (ev.ballot.items || []).map((item) => item.contribution_id || item.central).filter(Boolean);
    client.extra.on_phones = { ...(client.extra.on_phones || {}), [ev.ballot.id]: shown };
  } else if (ev.type === "ballot.closed") {
    const { [ev.ballot_id]: _closed, ...still } = client.extra.on_phones || {};
    client.extra.on_phones = still;
  } else {
    model.applyEvent(ev); // the spotlight
  }
}

const translationOf = (cid, code) => (desk.translations.get(cid) || {})[code] || null;
// The version of the original `c` a stored translation was made from; one from a log older than
// the field that is not stale was made from the words `c` has now; null: unknown.
const madeFrom = (tr, c) => (!tr ? c.version : tr.original_version ?? (tr.stale ? null : c.version));

// Translations sent from this page and not confirmed yet (offline, or on their way).
function pendingTranslations() {
  const pending = new Map();
  const entries = [...client.awaiting.map((a) => a.entry), ...client.outbox];
  for (const { op } of entries) {
    if (op.type === "translation.set") pending.set(pairKey(op.contribution_id, op.lang), op);
  }
  return pending;
}

// ----- the target languages, remembered on this computer ------------------------------------------

function meetingLanguages() { return (client.meeting && client.meeting.languages) || [uiLang]; }

function targets() {
  const all = meetingLanguages();
  let chosen = null;
  try { chosen = JSON.parse(storage.get(TARGETS_KEY) || "null"); } catch { chosen = null; }
  if (!Array.isArray(chosen)) chosen = all.includes(uiLang) ? [uiLang] : all.slice(0, 1);
  return all.filter((code) => chosen.includes(code));
}

function renderTargets() {
  setText(els.targetsLegend, t("tr_targets"));
  const all = meetingLanguages();
  const chosen = targets();
  const signatureNow = all.join(",");
  if (els.targetsList.dataset.signature !== signatureNow) {
    els.targetsList.dataset.signature = signatureNow;
    els.targetsList.replaceChildren(...all.map((code) => {
      const input = h("input", { type: "checkbox", id: `target-${code}`, value: code });
      input.addEventListener("change", () => {
        const now = Array.from(els.targetsList.querySelectorAll("input:checked"), (el) => el.value);
        storage.set(TARGETS_KEY, JSON.stringify(now));
        scheduleRender();
      });
      return h("label", { class: "desk-target", for: input.id }, input,
        h("span", { lang: code, dir: dirOf(code), text: languageName(code) }));
    }));
  }
  for (const input of els.targetsList.querySelectorAll("input")) input.checked = chosen.includes(input.value);
}

// ----- the queue --------------------------------------------------------------------------------

// Where the room is: the spotlight, the converging points the chair has named (the translator
// does not see the synthesis, only the titles of its points, named after their first member),
// then the session under discussion.
function roomFocus() {
  const extra = client.extra;
  const spot = extra.spotlight || {};
  const anchor = (clusterId) => (typeof clusterId === "string" ? clusterId.replace(/^[cs]-/, "") : null);
  const spotlight = spot.contribution_id || anchor(spot.cluster_id);
  const curation = extra.curation || {};
  const points = new Set([...Object.keys(curation.titles || {}), ...Object.keys(curation.titles_by_lang || {})]
    .map(anchor).filter(Boolean));
  // a person-made point (p-) is named for itself: the desk's view lists its members
  for (const members of Object.values(curation.point_members || {})) for (const id of members) points.add(id);
  const sessions = new Set([client.sessionId, (model.answersSession() || {}).id].filter(Boolean));
  // the texts of an open ballot: a contribution on it, or the member a point on it is worded by
  const ballot = new Set(Object.values(extra.on_phones || {}).flat());
  return { spotlight, points, sessions, ballot };
}

function reasonOf(c, focus) {
  if (focus.ballot.has(c.id)) return "ballot";
  if (c.id === focus.spotlight) return "spotlight";
  if (focus.points.has(c.id)) return "point";
  if (focus.sessions.has(c.session_id)) return "session";
  return "other";
}

function stateOf(key, tr, pending, leftover = false) {
  if (desk.conflicts.has(key)) return "conflict";
  if (leftover) return pending ? "done" : "leftover";
  if (pending) return pending.text ? "done" : "missing";
  if (!tr) return "missing";
  if (tr.stale) return "stale";
  if (tr.source === "machine") return "machine";
  return "done";
}

// The place of a contribution in the agenda: session, question, group, position on the board.
function agendaPlace(view) {
  const questions = new Map();
  model.sessions().forEach((s, si) => (s.questions || []).forEach((q, qi) => questions.set(q.id, [si, qi])));
  const groups = new Map((client.meeting.groups || []).map((g, i) => [g.id, i]));
  return (c) => {
    const [si, qi] = questions.get(c.question_id) || [999, 999];
    const ids = view.order.get(`${c.group_id}|${c.question_id}`) || [];
    return [si, qi, groups.has(c.group_id) ? groups.get(c.group_id) : 999, ids.indexOf(c.id)];
  };
}

function queueEntries() {
  const view = client.view();
  const focus = roomFocus();
  const place = agendaPlace(view);
  const pending = pendingTranslations();
  const chosen = targets();
  const entries = [];
  for (const c of view.contributions.values()) {
    if (c.deleted) continue;
    for (const code of chosen) {
      const key = pairKey(c.id, code);
      const tr = translationOf(c.id, code);
      // the original's own language: nothing to translate, but a translation left there when
      // the original's language was changed is listed, to be removed
      const leftover = baseLang(code) === baseLang(c.lang);
      if (leftover && !tr) continue;
      const state = stateOf(key, tr, pending.get(key), leftover);
      if (state === "done" && key !== ui.selected) continue;
      entries.push({ key, c, lang: code, tr, state, reason: reasonOf(c, focus),
        sort: [RANKS.indexOf(reasonOf(c, focus)), ...place(c), chosen.indexOf(code)] });
    }
  }
  entries.sort((a, b) => {
    for (let i = 0; i < a.sort.length; i += 1) if (a.sort[i] !== b.sort[i]) return a.sort[i] - b.sort[i];
    return 0;
  });
  return entries;
}

const ui = {
  selected: null, // the pair in the editor
  entries: [], // the queue as last shown
  editor: null, // the editor's parts, for the selected pair
};

function tag(cls, text) { return h("span", { class: `desk-tag ${cls}`, text }); }

function queueItem(entry) {
  const { c, lang: code, state, reason, key } = entry;
  const button = h("button", { type: "button", class: "desk-item", "data-key": key,
    "aria-current": key === ui.selected ? "true" : null, onclick: () => select(key, true) },
  h("span", { class: "desk-item__tags" },
    tag(`desk-tag--${reason}`, t(`tr_reason_${reason}`)),
    tag(`desk-tag--${state}`, t(`tr_state_${state}`)),
    h("span", { class: "desk-item__into", text: t("tr_into", { lang: languageName(code) }) })),
  h("span", { class: "desk-item__group", text: model.groupName(c.group_id) }),
  h("span", { class: "desk-item__text", dir: dirOf(c.lang), lang: c.lang || null, text: c.text }));
  return h("li", { class: `desk-queue__item desk-queue__item--${state}` }, button);
}

function renderQueue() {
  const entries = queueEntries();
  ui.entries = entries;
  setText(els.queueTitle, t("tr_queue"));
  const left = entries.filter((e) => e.state !== "done").length;
  setText(els.queueCount, t("tr_queue_count", { n: formatNumber(left) }));
  const signatureNow = entries.map((e) => [e.key, e.state, e.reason, e.c.version, e.key === ui.selected].join(":")).join("|")
    + uiLang;
  if (els.queue.dataset.signature !== signatureNow) {
    els.queue.dataset.signature = signatureNow;
    const focusedKey = document.activeElement && els.queue.contains(document.activeElement)
      ? document.activeElement.dataset.key : null;
    els.queue.replaceChildren(...entries.map(queueItem));
    if (focusedKey) {
      const again = els.queue.querySelector(`[data-key="${CSS.escape(focusedKey)}"]`);
      if (again) again.focus();
    }
  }
  els.queueEmpty.hidden = left > 0;
  setText(els.queueEmpty, t("tr_queue_empty"));
}

// ----- the editor -------------------------------------------------------------------------------

function entryOf(key) {
  const found = ui.entries.find((e) => e.key === key);
  if (found) return found;
  const [cid, code] = key.split("|");
  const c = client.view().contributions.get(cid);
  if (!c) return null;
  return { key, c, lang: code, tr: translationOf(cid, code), state: "done" };
}

function select(key, focus = false) {
  if (ui.selected === key && ui.editor) { if (focus) ui.editor.target.focus(); return; }
  ui.selected = key;
  ui.editor = null;
  render();
  if (focus && ui.editor) ui.editor.target.focus();
}

// The queue's next (+1) or previous (-1) text after the one in the editor.
function step(delta) {
  const entries = ui.entries;
  if (!entries.length) return;
  const index = entries.findIndex((e) => e.key === ui.selected);
  const next = index < 0 ? entries[0] : entries[index + delta];
  if (next) select(next.key, true);
}

function buildEditor(entry) {
  const { c, lang: code, key } = entry;
  const place = model.questionById(c.question_id);
  const question = place ? t("question_n", { n: formatNumber(place.index + 1) }) : "";
  const originalLabel = h("p", { class: "desk-pane__label", id: "desk-original-label" });
  const original = h("div", { class: "desk-original", id: "desk-original", role: "document",
    "aria-labelledby": "desk-original-label" });
  const target = h("textarea", { id: "desk-target", class: "desk-target-text", rows: 8, maxlength: TEXT_LIMIT,
    lang: code, dir: dirOf(code), "aria-describedby": "desk-target-hint desk-problem" });
  const stored = storage.get(draftKey(key));
  const tr = translationOf(c.id, code);
  const parts = {
    key, target, original, originalLabel,
    seenVersion: desk.versions.get(key) || 0,
    // the version of the original the words in the box were made from: a stored translation's
    // own, else the original's as shown when the translator starts typing (frozen from then)
    basedOn: stored ? Number(storage.get(draftFromKey(key))) || null : madeFrom(tr, c),
    dirty: Boolean(stored),
    context: h("p", { class: "desk-editor__context" },
      kindIcon(c.kind), " ", h("span", { text: t("tr_from", { group: model.groupName(c.group_id), question }) })),
    question: h("p", { class: "desk-editor__question hint", text: place ? model.text(place.question.text) : "" }),
    notice: h("p", { class: "notice desk-editor__notice", role: "status" }),
    source: h("p", { class: "hint desk-editor__source" }),
    problem: h("p", { class: "add__problem", id: "desk-problem", role: "alert" }),
    conflict: h("div", { class: "conflict", hidden: true, role: "alert" }),
    accept: h("button", { type: "button", class: "button", text: t("tr_accept_draft"), onclick: () => accept() }),
    clear: h("button", { type: "button", class: "button button--quiet button--danger", text: t("tr_clear"), onclick: () => clearTranslation() }),
    save: h("button", { type: "submit", class: "button button--primary", text: t("tr_save_next") }),
  };
  target.value = stored != null && stored !== "" ? stored : tr ? tr.text : "";
  parts.shown = tr ? tr.text : "";
  target.addEventListener("input", () => {
    if (!parts.dirty) parts.basedOn = (client.view().contributions.get(c.id) || c).version;
    parts.dirty = true;
    storage.set(draftKey(key), target.value);
    storage.set(draftFromKey(key), String(parts.basedOn || ""));
    if (target.value.trim()) { target.removeAttribute("aria-invalid"); setText(parts.problem, ""); }
  });
  const targetLabel = h("label", { class: "desk-pane__label", for: target.id,
    text: t("tr_target", { lang: languageName(code) }) });
  const form = h("form", { class: "desk-form", novalidate: true, onsubmit: (e) => { e.preventDefault(); save(); } },
    h("div", { class: "desk-panes" },
      h("div", { class: "desk-pane desk-pane--original" }, originalLabel, original),
      h("div", { class: "desk-pane desk-pane--target" }, targetLabel, target,
        h("p", { class: "hint", id: "desk-target-hint", text: `${t("tr_key_save")}: Ctrl+Enter` }), parts.problem)),
    parts.conflict,
    h("div", { class: "desk-actions" },
      parts.save,
      parts.accept,
      h("button", { type: "button", class: "button", text: t("tr_previous"), onclick: () => step(-1) }),
      h("button", { type: "button", class: "button", text: t("tr_next"), onclick: () => step(+1) }),
      parts.clear));
  els.work.replaceChildren(parts.context, parts.question, parts.notice, form, parts.source);
  ui.editor = parts;
}

function updateEditor(entry) {
  const parts = ui.editor;
  const { c, lang: code, key } = entry;
  const tr = translationOf(c.id, code);
  setText(parts.originalLabel, t("tr_original", { lang: languageName(c.lang) }));
  parts.original.lang = c.lang || "";
  parts.original.dir = dirOf(c.lang);
  setText(parts.original, c.text);
  // Someone else's save (or a machine draft) lands in the box while the translator has not typed.
  const version = desk.versions.get(key) || 0;
  const sending = pendingTranslations().has(key) || desk.conflicts.has(key);
  if (!parts.dirty && !sending && version !== parts.seenVersion) {
    parts.target.value = tr ? tr.text : "";
    parts.seenVersion = version;
    parts.basedOn = madeFrom(tr, c);
  }
  const leftover = baseLang(code) === baseLang(c.lang);
  const deleted = !client.view().contributions.get(c.id) || c.deleted;
  let notice = "";
  if (deleted) notice = t("tr_deleted");
  else if (leftover) notice = t("tr_leftover_notice");
  else if (tr && tr.stale) notice = t("tr_stale_notice");
  else if (tr && tr.source === "machine") notice = t("tr_machine_notice");
  setText(parts.notice, notice);
  parts.notice.hidden = !notice;
  parts.notice.dataset.kind = deleted ? "deleted" : tr && tr.stale ? "stale" : tr && tr.source === "machine" ? "machine" : "";
  setText(parts.source, tr ? t("tr_saved_by", { source: t(`tr_source_${tr.source}`) }) : "");
  parts.accept.hidden = !(tr && tr.source === "machine" && !tr.stale) || leftover;
  parts.clear.hidden = !tr;
  parts.save.hidden = leftover;
  renderConflict(key);
}

function renderEditor() {
  setText(els.editorTitle, t("tr_editor"));
  setText(els.pick, t("tr_pick"));
  const entry = ui.selected ? entryOf(ui.selected) : null;
  if (!entry) {
    ui.selected = null;
    ui.editor = null;
    els.work.hidden = true;
    els.work.replaceChildren();
    els.pick.hidden = false;
    return;
  }
  if (!ui.editor || ui.editor.key !== entry.key) buildEditor(entry);
  els.pick.hidden = true;
  els.work.hidden = false;
  updateEditor(entry);
}

// `basedOn`: the version of the original the text was made from, kept in the op (and so in the
// outbox): the server stores a translation of older words as stale (docs/protocol.md). Unknown
// (a translation of unknown origin kept as it is): the oldest version, which is stale if the
// words ever changed.
function send(key, text, version, basedOn) {
  const [cid, code] = key.split("|");
  const op = { type: "translation.set", contribution_id: cid, lang: code, text };
  if (typeof version === "number") op.version = version;
  if (text) op.original_version = typeof basedOn === "number" ? basedOn : 1;
  client.send(op);
}

function forget(key) {
  storage.set(draftKey(key), "");
  storage.set(draftFromKey(key), "");
}

function save() {
  const parts = ui.editor;
  if (!parts || parts.save.hidden) return; // a leftover in the original's language is only removed
  const text = parts.target.value.trim();
  if (!text) {
    parts.target.setAttribute("aria-invalid", "true");
    setText(parts.problem, t("tr_empty"));
    parts.target.focus();
    return;
  }
  if (text.length > TEXT_LIMIT) {
    setText(parts.problem, t("error_too_long", { max: formatNumber(TEXT_LIMIT) }));
    return;
  }
  const key = parts.key;
  const index = ui.entries.findIndex((e) => e.key === key);
  send(key, text, parts.seenVersion, parts.basedOn);
  forget(key);
  parts.dirty = false;
  announce(t("tr_saved"));
  // the next text is the one after this in the queue as it was shown
  const rest = ui.entries.slice(index + 1).concat(ui.entries.slice(0, Math.max(index, 0)));
  const next = rest.find((e) => e.key !== key && e.state !== "done");
  if (next) select(next.key, true);
  else scheduleRender();
}

function accept() {
  const parts = ui.editor;
  const tr = parts && translationOf(...parts.key.split("|"));
  if (!tr || tr.source !== "machine") return;
  parts.target.value = tr.text;
  parts.dirty = false;
  parts.basedOn = madeFrom(tr, entryOf(parts.key).c); // the draft's words are the original's of then
  save();
}

function clearTranslation() {
  const parts = ui.editor;
  if (!parts) return;
  send(parts.key, "", parts.seenVersion);
  forget(parts.key);
  parts.dirty = false;
  parts.target.value = "";
  scheduleRender();
}

// ----- conflicts: another translator saved first -------------------------------------------------

function renderConflict(key) {
  const parts = ui.editor;
  const conflict = desk.conflicts.get(key);
  if (!conflict) {
    if (!parts.conflict.hidden) { parts.conflict.hidden = true; parts.conflict.replaceChildren(); }
    return;
  }
  if (!parts.conflict.hidden) return; // already shown
  const [, code] = key.split("|");
  const { current, mine, deleted } = conflict;
  const version = (label, text) => h("div", { class: "conflict__version" },
    h("p", { class: "conflict__label", text: label }),
    h("p", { class: "conflict__text", dir: dirOf(code), lang: code, text }));
  const title = deleted ? t("tr_conflict_deleted") : current ? t("tr_conflict_title") : t("tr_conflict_cleared");
  const keepTheirs = () => {
    desk.conflicts.delete(key);
    forget(key);
    parts.dirty = false;
    parts.target.value = current ? current.text : "";
    parts.seenVersion = desk.versions.get(key) || 0;
    const entry = entryOf(key);
    parts.basedOn = current && entry ? madeFrom(current, entry.c) : null;
    parts.conflict.hidden = true;
    parts.conflict.replaceChildren();
    parts.target.focus();
    scheduleRender();
  };
  const useMine = () => {
    desk.conflicts.delete(key);
    // their version, as the server told us; without one (they cleared it) the last one wins
    send(key, mine.text, current && typeof current.version === "number" ? current.version : undefined,
      mine.original_version);
    forget(key);
    parts.dirty = false;
    parts.target.value = mine.text;
    parts.conflict.hidden = true;
    parts.conflict.replaceChildren();
    parts.target.focus();
    scheduleRender();
  };
  const buttons = deleted
    ? [h("button", { type: "button", class: "button", text: t("close"), onclick: keepTheirs })]
    : [h("button", { type: "button", class: "button", text: t("keep_theirs"), onclick: keepTheirs }),
      h("button", { type: "button", class: "button button--primary", text: t("use_mine"), onclick: useMine })];
  parts.conflict.append(
    h("p", { class: "conflict__title", text: title }),
    h("div", { class: "conflict__versions" },
      deleted ? null : version(t("conflict_theirs"), current ? current.text : "—"),
      version(t("conflict_yours"), mine.text)),
    h("div", { class: "conflict__actions" }, ...buttons));
  parts.conflict.hidden = false;
  parts.conflict.scrollIntoView({ block: "nearest" });
}

function onError({ op, error }) {
  if (op.type !== "translation.set") {
    toast(t("error_not_saved", { message: t("error_invalid") }));
    return;
  }
  const key = pairKey(op.contribution_id, op.lang);
  if (error.code === "conflict") {
    const current = error.current || null;
    if (current && current.source === "machine" && typeof current.version === "number") {
      // a machine draft came in meanwhile: a person's translation replaces it, no question asked
      send(key, op.text, current.version, op.original_version);
      return;
    }
    desk.conflicts.set(key, { current, mine: op, deleted: Boolean(current && current.group_id) });
    if (ui.editor && ui.editor.key === key) {
      // the translator's words stay in the box while they choose
      ui.editor.target.value = op.text;
      ui.editor.dirty = true;
      ui.editor.basedOn = op.original_version;
    }
    if (key !== ui.selected) {
      toast(t("tr_conflict_toast"), { label: t("tr_show"), run: () => select(key, true) }, { key: "conflict" });
    }
    scheduleRender();
    return;
  }
  // the text goes back into its box, to be corrected and saved again
  if (op.text) {
    storage.set(draftKey(key), op.text);
    storage.set(draftFromKey(key), String(op.original_version || ""));
  }
  if (ui.editor && ui.editor.key === key && op.text) {
    ui.editor.target.value = op.text;
    ui.editor.dirty = true;
    ui.editor.basedOn = op.original_version;
  }
  const message = error.code === "too_long" ? t("error_too_long", { max: formatNumber(TEXT_LIMIT) })
    : t(`error_${error.code}`) !== `error_${error.code}` ? t(`error_${error.code}`) : t("error_invalid");
  toast(t("error_not_saved", { message }));
}

function toast(message, action = null, { key = null } = {}) {
  return showToast(els.toasts, message, { action, key });
}

// ----- the machine drafts' status, the shortcuts -------------------------------------------------

function renderMachine() {
  const status = client.extra.machine_translation || { status: "off" };
  const known = ["off", "starting", "ok", "unreachable", "queue_full"];
  const state = known.includes(status.status) ? status.status : "off";
  els.machine.dataset.status = state;
  // only the state: the server pushes it when it changes, so counts shown here would go stale
  const signatureNow = [state, status.error || "", uiLang].join("|");
  if (els.machine.dataset.signature === signatureNow) return;
  els.machine.dataset.signature = signatureNow;
  els.machine.replaceChildren(...[
    h("span", { class: "desk-machine__label", text: t("tr_machine") }), " ",
    h("strong", { class: "desk-machine__state", text: t(`tr_machine_${state}`) }),
    state === "unreachable" && status.error ? h("span", { class: "desk-machine__error", dir: "ltr", lang: "en", text: ` (${status.error})` }) : null,
  ].filter(Boolean));
}

const SHORTCUTS = [
  [["Ctrl", "Enter"], "tr_key_save"],
  [["Alt", "↓"], "tr_key_next"],
  [["Alt", "↑"], "tr_key_previous"],
  [["Ctrl", "Shift", "Enter"], "tr_key_accept"],
];

function renderKeys() {
  setText(els.keysTitle, t("tr_shortcuts"));
  if (els.keys.children.length) return;
  for (const [keys, label] of SHORTCUTS) {
    const combo = h("dt", { dir: "ltr" });
    keys.forEach((k, i) => { if (i) combo.append("+"); combo.append(h("kbd", { text: k })); });
    els.keys.append(h("div", { class: "desk-keys__item" }, combo, h("dd", { text: t(label) })));
  }
}

document.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.shiftKey) { e.preventDefault(); accept(); return; }
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    if (ui.editor && document.activeElement === ui.editor.target) { e.preventDefault(); save(); }
    return;
  }
  if (e.altKey && e.key === "ArrowDown") { e.preventDefault(); step(+1); return; }
  if (e.altKey && e.key === "ArrowUp") { e.preventDefault(); step(-1); }
});

// ----- rendering --------------------------------------------------------------------------------

function render() {
  if (!client.meeting) return;
  renderTargets();
  renderMachine();
  const none = targets().length === 0;
  els.notice.hidden = !none;
  setText(els.notice, t("tr_targets_none"));
  els.unsent.hidden = client.unsent === 0;
  setText(els.unsent, t("status_unsent", { n: formatNumber(client.unsent) }));
  renderQueue();
  renderEditor();
  renderKeys();
  els.desk.setAttribute("aria-busy", "false");
}

client.on("change", (change) => {
  if (change && change.reason === "state") loadTranslations();
  scheduleRender();
});
client.on("event", (ev) => { applyEvent(ev); scheduleRender(); });
client.on("status", (status) => { showStatus(els.status, status); scheduleRender(); });
client.on("load_failed", () => { setText(els.status, t("load_failed")); });
client.on("error", onError);

showStatus(els.status, client.status);
client.start();

// for tests and debugging in the console
window.facilitatorDesk = { client, desk };
