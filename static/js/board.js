// The rapporteur's group board: the guiding questions of the group's session, and under
// each one the group's contributions, added, edited, reordered and deleted (with undo).
// Every user text goes in with textContent; nothing is built from HTML strings.

import { MeetingClient, randomId, storage } from "./client.js";
import { boot, t, lang as uiLang, formatNumber, languageName } from "./i18n.js";
import { h, icon, setText } from "./dom.js";
import { renderTimer as showTimer } from "./timer.js";
import { MeetingModel } from "./model.js";
import { kindGlyph, kindPoints, agreementGlyph, showStatus, announcer, renderScheduler, toast as showToast, signOffBadge } from "./ui.js";
import { detectLang, languageFollowsText } from "./lang.js";

const KINDS = boot.kinds || [];
const AGREEMENTS = boot.agreements || [];
const TEXT_LIMIT = (boot.limits && boot.limits.text) || 2000;
const GROUP = boot.group_id;
const NAME_KEY = "fac:name";
const draftKey = (qid) => `fac:${boot.meeting_id}:board:${GROUP}:draft:${qid}`;

const client = new MeetingClient({
  meetingId: boot.meeting_id, page: "board", scope: GROUP, name: storage.get(NAME_KEY) || "",
});
const model = new MeetingModel(client);

const $ = (id) => document.getElementById(id);
const els = {
  board: $("board"), group: $("board-group"), session: $("board-session"),
  timer: $("board-timer"), timerLabel: $("board-timer-label"), timerValue: $("board-timer-value"),
  presenceLabel: $("presence-label"), presenceList: $("presence-list"), name: $("display-name"),
  unsent: $("unsent"), locked: $("locked-notice"), held: $("held-notice"),
  sessionNotice: $("session-notice"), sessions: $("sessions"),
  status: $("conn-status"), toasts: $("toasts"), announcer: $("announcer"),
};

const announce = announcer(els.announcer);
// a task, not an animation frame: a board in a background tab still keeps its page current
const scheduleRender = renderScheduler(render, (run) => setTimeout(run, 0));

// ----- small DOM helpers ------------------------------------------------------------------------

function select(id, options, value, labelOf) {
  const el = h("select", { id });
  for (const code of options) el.append(h("option", { value: code, text: labelOf(code) }));
  if (value) el.value = value;
  return el;
}

function errorText(error) {
  switch (error.code) {
    case "too_long": return t("error_too_long", { max: formatNumber(TEXT_LIMIT) });
    case "forbidden": return t("error_forbidden");
    case "not_found": return t("error_not_found");
    default: return t("error_invalid");
  }
}

// ----- toasts -----------------------------------------------------------------------------------

function toast(message, action = null, { focusAction = false, key = null } = {}) {
  return showToast(els.toasts, message, { action, focusAction, key });
}

// ----- which sessions and questions this group answers -------------------------------------------

function takesPart(session) { return (session.groups || []).includes(GROUP); }

function shownSessions() {
  const current = model.currentSession();
  if (current && takesPart(current)) return { sessions: [current], inCurrent: true, current };
  return { sessions: model.sessions().filter(takesPart), inCurrent: false, current };
}

// ----- the page structure: sessions and questions (rebuilt only when they change) --------------

const questionViews = new Map(); // question id -> {list, empty, form, ...}
const itemEls = new Map(); // contribution id -> li
let structureKey = "";
const ui = {
  editing: new Set(), // contribution ids with an open editor
  conflicts: new Map(), // contribution id -> {current, mine}
  mine: new Set(), // contributions added on this page (not announced)
};

function buildStructure(sessions) {
  const key = sessions.map((s) => s.id).join(",");
  if (key === structureKey) return;
  structureKey = key;
  questionViews.clear();
  itemEls.clear();
  ui.editing.clear();
  signalEditing();
  const nodes = [];
  for (const session of sessions) {
    const section = h("section", { class: "session", "aria-labelledby": `s-${session.id}-title` });
    section.append(h("h2", { class: "session__title", id: `s-${session.id}-title`, text: model.text(session.title) }));
    const objectives = (session.objectives || []).map((o) => model.text(o)).filter(Boolean);
    if (objectives.length) {
      const details = h("details", { class: "session__objectives" }, h("summary", { text: t("objectives") }));
      const ul = h("ul");
      for (const o of objectives) ul.append(h("li", { text: o }));
      details.append(ul);
      section.append(details);
    }
    (session.questions || []).forEach((q, i) => section.append(buildQuestion(q, i)));
    nodes.push(section);
  }
  els.sessions.replaceChildren(...nodes);
}

function buildQuestion(q, index) {
  const qid = q.id;
  const titleId = `q-${qid}-title`;
  const article = h("article", { class: "question", "aria-labelledby": titleId });
  const heading = h("h3", { class: "question__title", id: titleId },
    h("span", { class: "question__number", text: t("question_n", { n: formatNumber(index + 1) }) }),
    h("span", { class: "question__text", text: model.text(q.text) }));
  article.append(heading);
  if (q.parts && q.parts.length) {
    const ol = h("ol", { class: "question__parts" });
    for (const part of q.parts) ol.append(h("li", { text: model.text(part.text) }));
    article.append(ol);
  }
  const list = h("ol", { class: "items", "aria-labelledby": titleId });
  const empty = h("p", { class: "items__empty", text: t("nothing_yet") });
  // the group agrees with its answers to this question as they stand (answers.sign_off)
  const signOff = h("div", { class: "signoff", "data-question": qid },
    h("p", { class: "signoff__state" }),
    h("button", { type: "button", class: "button button--small signoff__button", "data-action": "sign-off",
      onclick: () => client.send({ type: "answers.sign_off", question_id: qid }).then((ack) => {
        if (ack && ack.ok) announce(t("done_signed_off"));
      }) }, icon("✔"), h("span", { text: t("sign_off_action") })));
  article.append(list, empty, signOff, buildAddForm(qid));
  questionViews.set(qid, { list, empty, article, signOff, form: article.querySelector("form.add") });
  return article;
}

// The meeting's languages, and `also` (the page's language, a contribution's own) if missing.
function langOptions(also = uiLang) {
  const langs = client.meeting.languages || [uiLang];
  return !also || langs.includes(also) ? langs : [also, ...langs];
}

// A Latin-script text typed while Arabic is selected: the page's language, else the first other.
const latinDefault = (options) => (uiLang !== "ar" && options.includes(uiLang) ? uiLang : options.find((code) => code !== "ar") || uiLang);

// The language select of a form, its options named in their own language, and the hint that
// says when the language was guessed from the text.
function langSelect(id, options, value) {
  const langSel = select(id, options, value, languageName);
  for (const option of langSel.options) { option.lang = option.value; option.dir = "auto"; }
  const hint = h("span", { class: "hint lang-hint", id: `${id}-hint`, "aria-live": "polite" });
  langSel.setAttribute("aria-describedby", hint.id);
  return { langSel, hint };
}

// A labelled field around a control.
function field(labelText, control) {
  return h("div", { class: "field" }, h("label", { for: control.id, text: labelText }), control);
}

function buildAddForm(qid) {
  const controls = addFormControls(qid);
  const { textarea, problem } = controls;
  const language = languageFollowsText(textarea, controls.langSel, controls.langHint, latinDefault);
  const updateCount = () => showCount(controls.count, textarea.value.length);
  textarea.addEventListener("input", () => {
    storage.set(draftKey(qid), textarea.value);
    updateCount();
    if (textarea.value.trim()) { textarea.removeAttribute("aria-invalid"); setText(problem, ""); }
  });
  updateCount();
  const form = addFormLayout(controls);
  const submit = (e) => {
    e.preventDefault();
    if (client.isLocked(GROUP)) return;
    if (!sendAdded(qid, controls)) return;
    language.reset(uiLang);
    updateCount();
    textarea.focus();
  };
  form.addEventListener("submit", submit);
  textarea.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) submit(e);
  });
  return form;
}

function addFormControls(qid) {
  const base = `add-${qid}`;
  const textarea = h("textarea", {
    id: `${base}-text`, rows: 3, maxlength: TEXT_LIMIT, dir: "auto", "aria-describedby": `${base}-hint ${base}-count`,
  });
  textarea.value = storage.get(draftKey(qid)) || "";
  const { langSel, hint: langHint } = langSelect(`${base}-lang`, langOptions(), uiLang);
  return {
    base, textarea, langSel, langHint,
    kind: select(`${base}-kind`, KINDS, KINDS[0], (k) => t(`kind_${k}`)),
    agreement: select(`${base}-agreement`, AGREEMENTS, AGREEMENTS[0], (a) => t(`agreement_${a}`)),
    count: h("span", { class: "hint add__count", id: `${base}-count` }),
    problem: h("p", { class: "add__problem", id: `${base}-problem`, role: "alert" }),
  };
}

// The count of characters shows once the text nears the limit.
function showCount(countEl, n) {
  setText(countEl, n > TEXT_LIMIT * 0.8 ? t("chars", { n: formatNumber(n), max: formatNumber(TEXT_LIMIT) }) : "");
}

// A labelled language select with its hint below it.
function langField(labelText, langSel, hint) {
  return h("div", { class: "field field--lang" }, h("label", { for: langSel.id, text: labelText }), langSel, hint);
}

function addFormLayout({ base, textarea, kind, agreement, langSel, langHint, count, problem }) {
  return h("form", { class: "add", novalidate: true },
    h("div", { class: "field field--text" },
      h("label", { for: textarea.id, text: t("field_text") }),
      textarea,
      h("div", { class: "add__hints" }, h("span", { class: "hint", id: `${base}-hint`, text: t("add_hint") }), count),
      problem),
    h("div", { class: "add__row" },
      field(t("field_kind"), kind),
      field(t("field_agreement"), agreement),
      langField(t("field_lang"), langSel, langHint),
      h("button", { type: "submit", class: "button button--primary add__submit" },
        icon("+"), h("span", { text: t("add") }))));
}

// Sends the new contribution and empties the box; false (and says why) when there is no text.
function sendAdded(qid, { textarea, kind, agreement, langSel, problem }) {
  const text = textarea.value.trim();
  if (!text) {
    textarea.setAttribute("aria-invalid", "true");
    setText(problem, t("empty_text"));
    textarea.focus();
    return false;
  }
  const id = randomId(20);
  ui.mine.add(id);
  client.send({
    type: "contribution.add", id, question_id: qid, text,
    kind: kind.value, agreement: agreement.value, lang: langSel.value,
  }, 0);
  textarea.value = "";
  storage.set(draftKey(qid), "");
  // The kind is often the same for several items in a row; a level of agreement is not:
  // a "divergent views" left selected would make the next item a false diverging point.
  agreement.value = AGREEMENTS[0];
  return true;
}

// ----- one contribution -------------------------------------------------------------------------

function badge(cls) {
  return h("span", { class: `badge ${cls}` }, icon(""), h("span", { class: "badge__text" }));
}

function buildItem(id) {
  const li = h("li", { class: "item", id: `c-${id}` });
  const kind = badge("badge--kind");
  const agreement = badge("badge--agreement");
  const pending = h("span", { class: "item__pending" }, icon("⏳"), h("span", { text: t("pending") }));
  // another rapporteur of the group has this item open in an editor (presence, live)
  const editing = h("span", { class: "item__editing", hidden: true }, icon("✎"), h("span", { dir: "auto" }));
  const text = h("p", { class: "item__text", dir: "auto", id: `c-${id}-text` });
  const actions = h("div", { class: "item__actions", role: "group" });
  const button = (cls, glyph, label, run) =>
    h("button", { type: "button", class: `button button--small ${cls}`, onclick: run }, icon(glyph), h("span", { text: label }));
  const edit = button("item__edit", "✎", t("edit"), () => openEditor(id));
  const up = button("item__up", "↑", t("move_up"), () => move(id, -1));
  const down = button("item__down", "↓", t("move_down"), () => move(id, +1));
  const del = button("item__delete button--danger", "✕", t("delete"), () => remove(id));
  actions.append(edit, up, down, del);
  const editor = h("div", { class: "item__editor", hidden: true });
  const conflict = h("div", { class: "conflict", hidden: true, role: "alert" });
  li.append(h("div", { class: "item__meta" }, kind, agreement, pending, editing), text, actions, editor, conflict);
  li._parts = { kind, agreement, pending, editing, text, actions, edit, up, down, del, editor, conflict };
  return li;
}

function updateItem(li, c, position, total, isPending, locked) {
  const parts = li._parts;
  li.dataset.kind = c.kind;
  li.dataset.agreement = c.agreement;
  parts.kind.dataset.kind = c.kind;
  setText(parts.kind.firstChild, kindGlyph(c.kind));
  parts.kind.firstChild.classList.toggle("icon--mirror", kindPoints(c.kind));
  setText(parts.kind.lastChild, t(`kind_${c.kind}`));
  parts.agreement.dataset.agreement = c.agreement;
  setText(parts.agreement.firstChild, agreementGlyph(c.agreement));
  setText(parts.agreement.lastChild, t(`agreement_${c.agreement}`));
  parts.pending.hidden = !isPending;
  li.classList.toggle("item--pending", isPending);
  setText(parts.text, c.text);
  if (c.lang) parts.text.lang = c.lang; else parts.text.removeAttribute("lang");
  parts.actions.setAttribute("aria-label", t("actions_for", { n: formatNumber(position + 1) }));
  parts.edit.disabled = locked;
  parts.del.disabled = locked;
  parts.up.disabled = locked || position === 0;
  parts.down.disabled = locked || position === total - 1;
  for (const el of parts.editor.querySelectorAll("textarea, select, button")) {
    if (!el.classList.contains("editor__cancel")) el.disabled = locked;
  }
  renderEditing(parts.editing, othersEditing(c.id));
  renderConflict(li, c);
}

// The names of the group's other connected rapporteurs who have contribution `id` open.
function othersEditing(id) {
  const sid = client.socket && client.socket.id;
  return (client.presence[GROUP] || [])
    .filter((p) => p.editing === id && !(sid && p.id && sid.startsWith(p.id)))
    .map((p) => p.name || t("presence_anonymous"));
}

function renderEditing(el, names) {
  el.hidden = names.length === 0;
  setText(el.lastChild, names.length ? t("editing_by", { names: names.join(", ") }) : "");
}

// Tells the group's other boards which contribution this page edits: the last editor opened.
function signalEditing() {
  client.setEditing(Array.from(ui.editing).pop() || null);
}

function move(id, delta) {
  const view = client.view();
  const c = view.contributions.get(id);
  if (!c) return;
  const ids = MeetingClient.listOf(view, c.group_id, c.question_id).map((item) => item.id);
  const index = ids.indexOf(id) + delta;
  if (index < 0 || index >= ids.length) return;
  client.send({ type: "contribution.move", contribution_id: id, index }, c.version);
}

function remove(id) {
  const c = client.view().contributions.get(id);
  if (!c) return;
  ui.editing.delete(id);
  signalEditing();
  client.send({ type: "contribution.delete", contribution_id: id }, c.version);
  toast(t("deleted"), { label: t("undo"), run: () => restore(id) }, { focusAction: true, key: "undo" });
}

function restore(id) {
  const c = client.view().contributions.get(id);
  if (!c || !c.deleted) return;
  client.send({ type: "contribution.restore", contribution_id: id }, c.version);
  setTimeout(() => { const li = itemEls.get(id); if (li) li._parts.edit.focus(); }, 0);
}

// ----- editing and conflicts --------------------------------------------------------------------

function openEditor(id) {
  const li = itemEls.get(id);
  const c = client.view().contributions.get(id);
  if (!li || !c) return;
  ui.editing.add(id);
  const parts = li._parts;
  const controls = editorControls(c);
  const { textarea } = controls;
  const seenVersion = c.version;
  const close = () => {
    ui.editing.delete(id);
    signalEditing();
    parts.editor.hidden = true;
    parts.editor.replaceChildren();
    parts.text.hidden = false;
    parts.actions.hidden = false;
    parts.edit.focus();
  };
  const save = (e) => {
    e.preventDefault();
    if (!textarea.value.trim()) { textarea.setAttribute("aria-invalid", "true"); textarea.focus(); return; }
    const changes = editedFields(c, controls);
    close();
    if (!Object.keys(changes).length) return;
    // the version the rapporteur saw when opening the editor: a change by someone else
    // in the meantime comes back as a conflict instead of being overwritten
    const version = seenVersion;
    client.send({ type: "contribution.edit", contribution_id: id, version, ...changes }, version);
  };
  const form = editorLayout(controls, save, close);
  form.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { e.preventDefault(); close(); }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) save(e);
  });
  parts.editor.replaceChildren(form);
  parts.editor.hidden = false;
  parts.text.hidden = true;
  parts.actions.hidden = true;
  signalEditing();
  textarea.focus();
}

// The editor's fields, filled with the contribution as it stands. Its language can be corrected
// here; it follows an edited text until the rapporteur picks one.
function editorControls(c) {
  const base = `edit-${c.id}`;
  const textarea = h("textarea", { id: `${base}-text`, rows: 3, maxlength: TEXT_LIMIT, dir: "auto" });
  textarea.value = c.text;
  const { langSel, hint: langHint } = langSelect(`${base}-lang`, langOptions(c.lang), c.lang);
  languageFollowsText(textarea, langSel, langHint, latinDefault);
  return {
    textarea, langSel, langHint,
    kind: select(`${base}-kind`, KINDS, c.kind, (k) => t(`kind_${k}`)),
    agreement: select(`${base}-agreement`, AGREEMENTS, c.agreement, (a) => t(`agreement_${a}`)),
  };
}

// What the editor changes of `c`: only the fields that differ.
function editedFields(c, { textarea, kind, agreement, langSel }) {
  const changes = {};
  const text = textarea.value.trim();
  if (text !== c.text) changes.text = text;
  if (kind.value !== c.kind) changes.kind = kind.value;
  if (agreement.value !== c.agreement) changes.agreement = agreement.value;
  if (langSel.value !== c.lang) changes.lang = langSel.value;
  return changes;
}

function editorLayout({ textarea, kind, agreement, langSel, langHint }, save, close) {
  return h("form", { class: "editor", novalidate: true, onsubmit: save },
    h("div", { class: "field field--text" }, h("label", { for: textarea.id, text: t("edit_label") }), textarea),
    h("div", { class: "add__row" },
      field(t("field_kind"), kind),
      field(t("field_agreement"), agreement),
      langField(t("field_lang"), langSel, langHint),
      h("button", { type: "submit", class: "button button--primary", text: t("save") }),
      h("button", { type: "button", class: "button editor__cancel", text: t("cancel"), onclick: close })));
}

// Who changed it meanwhile, by name when their board gave one.
function conflictTitle(current) {
  const by = current.changed_by || current.edited_by || current.author || {};
  const name = by.name || (by.role === "chair" ? t("the_chair") : "");
  if (!name) return current.deleted ? t("conflict_deleted") : t("conflict_title");
  return t(current.deleted ? "conflict_deleted_by" : "conflict_title_by", { name });
}

function renderConflict(li, c) {
  const parts = li._parts;
  const conflict = ui.conflicts.get(c.id);
  if (!conflict) { if (!parts.conflict.hidden) { parts.conflict.hidden = true; parts.conflict.replaceChildren(); } return; }
  if (!parts.conflict.hidden) return; // already shown
  const { current, mine } = conflict;
  const version = (label, text, textLang) => h("div", { class: "conflict__version" },
    h("p", { class: "conflict__label", text: label }),
    h("p", { class: "conflict__text", dir: "auto", lang: textLang || null, text }));
  const done = () => { ui.conflicts.delete(c.id); parts.conflict.hidden = true; parts.conflict.replaceChildren(); parts.edit.focus(); };
  const useMine = () => {
    const now = client.view().contributions.get(c.id);
    ui.conflicts.delete(c.id);
    if (now && !now.deleted) {
      const { op_id, type, contribution_id, version: _v, ...fields } = mine;
      client.send({ type: "contribution.edit", contribution_id: c.id, version: now.version, ...fields }, now.version);
    } else if (now) {
      const id = randomId(20);
      ui.mine.add(id);
      client.send({
        type: "contribution.add", id, question_id: now.question_id, text: mine.text || now.text,
        kind: mine.kind || now.kind, agreement: mine.agreement || now.agreement, lang: mine.lang || now.lang,
      }, 0);
    }
    parts.conflict.hidden = true;
    parts.conflict.replaceChildren();
    scheduleRender();
  };
  parts.conflict.append(
    h("p", { class: "conflict__title", dir: "auto", text: conflictTitle(current) }),
    h("div", { class: "conflict__versions" },
      version(t("conflict_theirs"), current.text, current.lang),
      version(t("conflict_yours"), mine.text || current.text, mine.lang || current.lang)),
    h("div", { class: "conflict__actions" },
      h("button", { type: "button", class: "button", text: t("keep_theirs"), onclick: done }),
      h("button", { type: "button", class: "button button--primary", text: t("use_mine"), onclick: useMine })));
  parts.conflict.hidden = false;
}

// ----- rendering --------------------------------------------------------------------------------

const pageTitle = document.title;

function render() {
  if (!client.meeting) return;
  const { sessions, inCurrent, current } = shownSessions();
  buildStructure(sessions);
  const group = model.group(GROUP);
  const groupName = group ? model.text(group.name) : GROUP || "";
  setText(els.group, groupName);
  if (groupName && !document.title.startsWith(groupName)) document.title = `${groupName} · ${pageTitle}`;
  setText(els.session, current ? model.text(current.title) : "");
  // the session's own heading follows right below when the group is in it
  els.session.parentElement.hidden = inCurrent;
  els.sessionNotice.hidden = inCurrent;
  setText(els.sessionNotice, sessionNotice(sessions, current));

  const locked = client.isLocked(GROUP);
  renderNotices(locked);
  renderPresence();
  renderTimer();

  const view = client.view();
  const focused = document.activeElement;
  for (const [qid, qv] of questionViews) {
    const items = MeetingClient.listOf(view, GROUP, qid);
    const wanted = items.map((c, i) => {
      let li = itemEls.get(c.id);
      if (!li) { li = buildItem(c.id); itemEls.set(c.id, li); }
      updateItem(li, c, i, items.length, view.pending.has(c.id), locked);
      return li;
    });
    // reorder only what moved, so focus and open editors stay put
    wanted.forEach((li, i) => { if (qv.list.children[i] !== li) qv.list.insertBefore(li, qv.list.children[i] || null); });
    while (qv.list.children.length > wanted.length) qv.list.lastElementChild.remove();
    qv.empty.hidden = items.length > 0;
    renderSignOff(qv.signOff, model.signOff(GROUP, qid), items.length);
    for (const el of qv.form.querySelectorAll("textarea, select, button")) el.disabled = locked;
  }
  if (focused && focused !== document.activeElement && document.contains(focused)) {
    if (!focused.disabled) focused.focus();
    else {
      // "Move up" on the first item is now disabled: go to its neighbour button
      const other = focused.parentElement && focused.parentElement.querySelector("button:not([disabled])");
      if (other) other.focus();
    }
  } else if (focused && focused.disabled && focused.closest(".item__actions")) {
    const other = focused.parentElement.querySelector("button:not([disabled])");
    if (other) other.focus();
  }
  els.board.setAttribute("aria-busy", "false");
}

// The state of the group's sign-off of one question, and its button: there to agree, or to
// agree again once the answers changed.
const clockTime = (ts) => new Intl.DateTimeFormat(uiLang, { hour: "2-digit", minute: "2-digit" }).format(new Date(ts * 1000));
function renderSignOff(box, signOff, count) {
  const state = box.querySelector(".signoff__state");
  const key = signOff ? `${signOff.ts}:${signOff.stale}` : "none";
  if (state.dataset.key !== key) {
    state.dataset.key = key;
    state.replaceChildren(signOffBadge(signOff),
      signOff ? h("span", { class: "signoff__when", text: t("signed_off_at", { time: clockTime(signOff.ts) }) }) : "");
  }
  box.dataset.signoff = signOff ? (signOff.stale ? "stale" : "signed") : "none";
  box.querySelector("button").disabled = !count || Boolean(signOff && !signOff.stale);
}

function renderPresence() {
  const clients = client.presence[GROUP] || [];
  setText(els.presenceLabel, t("presence_label"));
  const sid = client.socket && client.socket.id;
  const items = clients.map((c) => {
    const li = h("li", { class: "presence__person" });
    li.append(h("span", { dir: "auto", text: c.name || t("presence_anonymous") }));
    if (sid && c.id && sid.startsWith(c.id)) li.append(" ", h("span", { class: "presence__you", text: t("presence_you") }));
    return li;
  });
  const signature = clients.map((c) => `${c.id}:${c.name}`).join("|") + sid;
  if (els.presenceList.dataset.signature !== signature) {
    els.presenceList.dataset.signature = signature;
    els.presenceList.replaceChildren(...items);
  }
}

function renderTimer() {
  showTimer(client, els.timer, els.timerLabel, els.timerValue, "timer");
}

// The lock, what waits to be sent, and the connection's status: in agreement with each other.
function renderNotices(locked) {
  els.locked.hidden = !locked;
  setText(els.locked, t("locked_notice"));
  els.held.hidden = !client.held;
  setText(els.held, t("locked_held"));
  els.board.classList.toggle("board--locked", locked);
  els.unsent.hidden = client.unsent === 0;
  setText(els.unsent, t("status_unsent", { n: formatNumber(client.unsent) }));
  renderStatus(client.status);
}

// "Every change is saved" only once nothing waits in the outbox; what waits, waits for the
// connection or for the chair to open a locked board.
function renderStatus(status) {
  const online = !client.unsent ? "status_online" : client.held ? "status_held" : "status_sending";
  showStatus(els.status, status, { online });
}

// Why the group's session is not shown, and when the group breaks out: its next session after
// the current one in the agenda, else that its sessions are over.
function sessionNotice(sessions, current) {
  if (!sessions.length) return t("no_sessions");
  const all = model.sessions();
  const after = current ? all.slice(all.findIndex((s) => s.id === current.id) + 1) : all;
  const next = after.find(takesPart);
  return next ? t("breaks_out_next", { session: model.text(next.title) }) : t("breakouts_over");
}

// ----- wiring -----------------------------------------------------------------------------------

client.on("change", scheduleRender);
client.on("status", (status) => { renderStatus(status); scheduleRender(); });
client.on("load_failed", () => { setText(els.status, t("load_failed")); });
client.on("event", (ev) => {
  model.applyEvent(ev);
  if (ev.type === "contribution.added" && ev.contribution && ev.contribution.group_id === GROUP
      && !ui.mine.has(ev.contribution.id) && client.status === "online") {
    const text = ev.contribution.text;
    announce(t("added_by_other", { text: text.length > 140 ? text.slice(0, 140) + "…" : text }));
  }
});
client.on("error", ({ op, error }) => {
  if (op.type === "contribution.edit" && error.code === "conflict" && error.current) {
    ui.conflicts.set(op.contribution_id, { current: error.current, mine: op });
    scheduleRender();
    return;
  }
  if (op.type === "contribution.add" && op.text) {
    // give the text back: put it into the add box of its question
    const qv = questionViews.get(op.question_id);
    const textarea = qv && qv.form.querySelector("textarea");
    if (textarea) {
      textarea.value = textarea.value.trim() ? `${textarea.value}\n${op.text}` : op.text;
      storage.set(draftKey(op.question_id), textarea.value);
      toast(`${t("error_not_saved", { message: errorText(error) })} ${t("error_kept_text")}`);
      return;
    }
  }
  toast(t("error_not_saved", { message: errorText(error) }));
});

els.name.value = client.name;
els.name.addEventListener("change", () => {
  const name = els.name.value.trim().slice(0, 60);
  storage.set(NAME_KEY, name);
  client.setName(name);
});

// contributions still in the outbox from before a reload are ours too
for (const entry of client.outbox) if (entry.op.type === "contribution.add") ui.mine.add(entry.op.id);

renderStatus(client.status);
setInterval(renderTimer, 500);
client.start();

// for tests and debugging in the console
window.facilitatorBoard = { client, detectLang };
