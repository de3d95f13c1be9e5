// The curation of the synthesis (issue 18), shared by the synthesis desk and the chair's console:
//
// - Curation: the points people made, the cannot-links and the history, as the server folds
//   them (GET /state `curation`, read again after every curation event: an undo recomputes the
//   fold from the log, which only the server can do); sending the curation ops; undo and redo.
// - PairQueue: the keyboard-driven queue over GET /suggestions: one contribution beside its
//   candidate from another group, "same proposal" / "different" / "skip" / "same, and the first
//   note carries another too" (cluster.include: it joins the second's point and keeps its own),
//   each answer sent at once through the shared outbox, the next pair fetched after its ack.
// - historyList: the decisions, newest first, each with Undo (Redo once undone).
// - confirmFirst: a destructive action says what it will do and asks first.
//
// Every user text goes in with textContent; nothing is built from HTML strings.

import { randomId } from "./client.js";
import { t, formatNumber, languageName, lang as uiLang } from "./i18n.js";
import { h, icon, setText, userText } from "./dom.js";
import { kindIcon, readingNodes } from "./ui.js";

// The events that change the curation; their fold is read again from the server.
const CURATION_EVENT = /^(cluster\.|curation\.)/;
// History entries that are decisions (an undo is shown on the decision it undid).
const DECISIONS = new Set([
  "cluster.confirmed", "cluster.rejected", "cluster.moved", "cluster.detached", "cluster.merged", "cluster.titled",
  "cluster.included",
]);
const SUGGESTIONS_LIMIT = 20;

export const newPointId = () => `p-${randomId(12)}`;

// ----- the curation as the server folds it ------------------------------------------------------

export class Curation {
  constructor(client, model) {
    this.client = client;
    this.model = model;
    this.listeners = [];
    this.mine = []; // seqs of the decisions this page made, newest last: what Ctrl+Z undoes
    this.refreshing = null;
    this.again = false;
    client.on("event", (ev) => { if (ev && CURATION_EVENT.test(ev.type || "")) this.refresh(); });
  }

  onChange(fn) { this.listeners.push(fn); }

  _changed() { for (const fn of this.listeners) fn(); }

  data() { return this.client.extra.curation || {}; }

  // The fold after the last curation event: one request at a time, one more if events came meanwhile.
  refresh() {
    if (this.refreshing) { this.again = true; return this.refreshing; }
    this.refreshing = (async () => {
      do {
        this.again = false;
        try {
          const state = await this.model.fetchLive("/state");
          if (state && state.curation) this.client.extra.curation = state.curation;
        } catch (err) { console.warn(err); }
      } while (this.again);
      this.refreshing = null;
      this._changed();
    })();
    return this.refreshing;
  }

  // The points people made for one question, in creation order, with their live members only.
  points(qid) {
    const all = Object.values(this.data().points || {});
    return all
      .filter((p) => p.question_id === qid)
      .map((p) => ({ ...p, members: (p.members || []).filter((id) => this.model.liveContribution(id)) }))
      .sort((a, b) => (a.created_seq || 0) - (b.created_seq || 0));
  }

  point(pid) { return (this.data().points || {})[pid] || null; }

  // A contribution's primary point (a note carrying two proposals is in another one as well).
  pointOf(cid) { return (this.data().point_of || {})[cid] || null; }

  // Every point a contribution is in: its primary point first, then those it was included in.
  pointsOf(cid) {
    const first = this.pointOf(cid);
    return [...(first ? [first] : []), ...((this.data().also_of || {})[cid] || [])];
  }

  // The decisions, newest first.
  history() {
    return (this.data().history || []).filter((e) => DECISIONS.has(e.type)).slice().reverse();
  }

  // Send a curation op; resolves with its ack. A decision this page made can be undone by Ctrl+Z.
  send(op) {
    return this.client.send(op).then((ack) => {
      if (ack && ack.ok && typeof ack.seq === "number" && op.type !== "curation.undo") this.mine.push(ack.seq);
      return ack;
    });
  }

  undo(seq) { return this.client.send({ type: "curation.undo", seq }); }

  // Redo an undone decision: undo the undo that undid it (the history names it `undone_by`).
  redo(entry) {
    const undos = (this.data().history || []).filter((e) => e.type === "curation.undone" && !e.undone
      && e.root_seq === entry.seq);
    const by = entry.undone_by || (undos.length ? undos[undos.length - 1].seq : null);
    return this.client.send({ type: "curation.undo", seq: by || entry.seq });
  }

  // Undo the newest decision of this page still in effect; resolves null when there is none.
  undoLast() {
    const inEffect = new Map((this.data().history || []).map((e) => [e.seq, !e.undone]));
    while (this.mine.length) {
      const seq = this.mine.pop();
      if (inEffect.get(seq) !== false) return this.undo(seq);
    }
    return Promise.resolve(null);
  }

  // The headline of a point: its title in the page's language, else its title, else what its
  // most central member says (model.pointHeadline); `synthesisPoint` gives `central` when known.
  headline(point, synthesisPoint = null) {
    const found = this.model.pointHeadline({ ...point, central: synthesisPoint && synthesisPoint.central });
    return found || { text: t("cur_point_empty"), lang: uiLang, title: false };
  }
}

// The questions a desk can work on, the current session's (the one it reviews, during a general
// discussion) first: [{id, label, session}] (the session's title groups them in the picker).
export function questionChoices(model) {
  const first = model.answersSession();
  const sessions = model.sessions().filter((s) => !s.plenary || s === first);
  const ordered = first ? [first, ...sessions.filter((s) => s !== first)] : sessions;
  const out = [];
  for (const s of ordered) {
    (s.questions || []).forEach((q, i) => {
      const text = model.text(q.text);
      const short = text.length > 70 ? `${text.slice(0, 69)}…` : text;
      out.push({ id: q.id, session: model.text(s.title), label: `${t("question_n", { n: formatNumber(i + 1) })}: ${short}` });
    });
  }
  return out;
}

// ----- asking first -------------------------------------------------------------------------------

let dialog = null;

// Says what an action will do and asks; resolves true when the person goes ahead. One dialog for
// the page, modal (Escape cancels), the focus back where it was afterwards.
export function confirmFirst(message, actionLabel) {
  if (!dialog) {
    dialog = h("dialog", { class: "cur-dialog", "aria-labelledby": "cur-dialog-title", "aria-describedby": "cur-dialog-text" });
    document.body.append(dialog);
  }
  const back = document.activeElement;
  return new Promise((resolve) => {
    const done = (value) => { dialog.close(value ? "yes" : "no"); };
    const cancel = h("button", { type: "button", class: "button", text: t("cancel"), onclick: () => done(false) });
    const go = h("button", { type: "button", class: "button button--primary button--danger-fill", "data-action": "confirm",
      text: actionLabel, onclick: () => done(true) });
    dialog.replaceChildren(
      h("h2", { class: "cur-dialog__title", id: "cur-dialog-title", text: t("cur_ask_title") }),
      h("p", { class: "cur-dialog__text", id: "cur-dialog-text", text: message }),
      h("p", { class: "hint", text: t("cur_ask_undo") }),
      h("div", { class: "cur-dialog__actions" }, cancel, go));
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "yes");
      if (back && document.contains(back)) back.focus();
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    cancel.focus();
  });
}

// ----- one contribution, as the desk shows it ----------------------------------------------------

// Its group, its kind, and its text in the page's language with the original one tap away.
export function contributionBody(model, c, cls = "cur-text") {
  return h("div", { class: "cur-contribution" },
    h("p", { class: "cur-contribution__meta" }, kindIcon(c.kind), " ",
      h("span", { class: "cur-contribution__group", text: model.groupName(c.group_id) })),
    ...readingNodes(model.reading(c), "p", cls, { fold: true }));
}

// A short quote of a contribution for lists and messages: its reading, cut at `max` characters.
export function quote(model, cid, max = 80) {
  const c = model.client.contributions.get(cid);
  if (!c) return cid;
  const text = model.reading(c).text || "";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// ----- the queue ----------------------------------------------------------------------------------

const pairKey = (pair) => [pair.a, pair.b].sort().join("|");
// where a key types (a tick box does not: its Space ticks it, digits still answer)
const EDITABLE = "input:not([type=checkbox]):not([type=radio]), textarea, select, [contenteditable]";
const INTERACTIVE = "a, button, input, textarea, select, summary, [contenteditable], [role=button]";

export class PairQueue {
  // container: the element the queue lives in. questions(): [{id, label}] to choose from, the
  // current session's first. scope: "page" (keys anywhere but text fields) or "panel" (keys only
  // while the focus is inside the container: the chair's console has other things to type into).
  constructor({ curation, container, questions, scope = "page", announce = () => {}, toast = () => {}, idPrefix = "cq" }) {
    this.curation = curation;
    this.model = curation.model;
    this.client = curation.client;
    this.container = container;
    this.questions = questions;
    this.scope = scope;
    this.announce = announce;
    this.toast = toast;
    this.id = idPrefix;
    this.question = null;
    this.pairs = [];
    this.skipped = new Set();
    this.state = "loading"; // loading | ready | sending | failed
    this.fetched = 0; // a counter: only the newest fetch's answer is shown
    this.listeners = [];
    this._build();
    document.addEventListener("keydown", (e) => this._onKey(e));
    curation.onChange(() => this.render());
    // a decision someone else made may answer the pair on screen
    this.client.on("event", (ev) => {
      if (ev && /^(cluster\.|curation\.undone|contribution\.)/.test(ev.type || "") && this.state !== "sending") this._later();
    });
    this.client.on("status", (status) => { if (status === "online" && this.question) this._later(); });
  }

  onQuestion(fn) { this.listeners.push(fn); }

  _build() {
    const p = this.id;
    this.els = {
      select: h("select", { id: `${p}-question`, onchange: (e) => this.setQuestion(e.target.value) }),
      count: h("p", { class: "cq-count", id: `${p}-count`, role: "status" }),
      prompt: h("p", { class: "cq-prompt", id: `${p}-prompt` }),
      pair: h("div", { class: "cq-pair", id: `${p}-pair` }),
      why: h("p", { class: "cq-why", id: `${p}-why` }),
      answers: h("div", { class: "cq-answers", role: "group", "aria-labelledby": `${p}-prompt` }),
      empty: h("p", { class: "cq-empty", id: `${p}-empty`, hidden: true }),
      keys: h("p", { class: "cq-keys hint", id: `${p}-keys` }),
    };
    const answer = (action, glyph, mirrored, onclick, cls = "") => {
      const b = h("button", { type: "button", class: `button cq-answer ${cls}`.trim(), "data-action": action, onclick },
        icon(glyph, mirrored), h("span", { class: "cq-answer__label" }), h("kbd", { class: "cq-answer__key", dir: "ltr" }));
      return b;
    };
    this.buttons = {
      same: answer("same", "=", false, () => this.answer("same"), "button--primary"),
      different: answer("different", "≠", false, () => this.answer("different")),
      skip: answer("skip", "↷", true, () => this.answer("skip")),
      include: answer("include", "⊂", false, () => this.answer("include")),
      undo: answer("undo", "↶", true, () => this.undoLast(), "button--quiet"),
    };
    this.els.answers.append(this.buttons.same, this.buttons.different, this.buttons.skip, this.buttons.include,
      this.buttons.undo);
    this.els.again = h("button", { type: "button", class: "button button--small", "data-action": "again",
      onclick: () => { this.skipped.clear(); this.fetch(); } });
    this.container.replaceChildren(
      h("div", { class: "cq-head" },
        h("div", { class: "field cq-question" }, h("label", { for: `${p}-question`, id: `${p}-question-label` }), this.els.select),
        this.els.count),
      this.els.prompt, this.els.pair, this.els.why, this.els.answers, this.els.empty, this.els.keys);
  }

  setQuestion(qid) {
    if (qid === this.question) return;
    this.question = qid;
    this.pairs = [];
    this.skipped.clear();
    for (const fn of this.listeners) fn(qid);
    this.fetch();
  }

  // A refresh for what others did: once a second at most, however many groups are typing.
  _later() {
    if (this.laterTimer) return;
    this.laterTimer = setTimeout(() => { this.laterTimer = null; this.fetch(); }, 1000);
  }

  // The pairs worth deciding next; every decision acknowledged before is reflected in them.
  // `next`: after this page's own answer, the new order as it comes (it learns from the answer);
  // otherwise (someone else decided, a reconnection) the pair the person is reading stays on
  // screen unless it was decided meanwhile.
  async fetch({ next = false } = {}) {
    if (!this.question) { this.render(); return; }
    const mine = ++this.fetched;
    const shown = next || this.state === "sending" ? null : this.current();
    if (!this.pairs.length && this.state !== "sending") this.state = "loading";
    this.render();
    try {
      const answer = await this.model.fetchLive(`/suggestions?question=${encodeURIComponent(this.question)}&limit=${SUGGESTIONS_LIMIT}`);
      if (mine !== this.fetched) return;
      let pairs = (answer.pairs || []).filter((p) => this.model.liveContribution(p.a) && this.model.liveContribution(p.b));
      const at = shown ? pairs.findIndex((p) => pairKey(p) === pairKey(shown)) : -1;
      if (at > 0) pairs = [pairs[at], ...pairs.slice(0, at), ...pairs.slice(at + 1)];
      this.pairs = pairs;
      if (this.state !== "sending") this.state = "ready";
    } catch (err) {
      if (mine !== this.fetched) return;
      console.warn(err);
      if (this.state !== "sending") this.state = "failed";
      // the connection or the server is away: ask again in a while, as the outbox does
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.fetch(), 5000);
    }
    this.render();
  }

  current() {
    if (this.state === "sending") return this.sendingPair;
    return this.pairs.find((p) => !this.skipped.has(pairKey(p))) || null;
  }

  answer(kind) {
    const pair = this.current();
    if (!pair || this.state === "sending") return;
    if (kind === "skip") {
      this.skipped.add(pairKey(pair));
      this.announce(t("cq_done_skip"));
      this.render();
      this._focusAnswer();
      return;
    }
    const type = { same: "cluster.confirm", include: "cluster.include" }[kind] || "cluster.reject";
    const op = { type, contribution_ids: [pair.a, pair.b] };
    // joining a point already made keeps that point; otherwise the desk names the new one
    if (kind === "same" && !this.curation.pointOf(pair.a) && !this.curation.pointOf(pair.b)) op.point_id = newPointId();
    if (kind === "include" && !this.curation.pointOf(pair.b)) op.point_id = newPointId();
    this.state = "sending";
    this.sendingPair = pair;
    this.render();
    this.curation.send(op).then(async (ack) => {
      if (ack && ack.ok) {
        this.pairs = this.pairs.filter((p) => pairKey(p) !== pairKey(pair));
        this.announce(t({ same: "cq_done_same", include: "cq_done_include" }[kind] || "cq_done_different"));
      } else {
        this.toast(t("cq_not_saved"), { error: true });
      }
      // the answered pair stays on screen, dimmed, until the next one is known
      await this.fetch({ next: true });
      this.state = "ready";
      this.sendingPair = null;
      this.render();
      this._focusAnswer();
    });
  }

  undoLast() {
    this.curation.undoLast().then((ack) => {
      if (ack === null) { this.announce(t("cq_nothing_to_undo")); this.toast(t("cq_nothing_to_undo")); return; }
      if (ack && ack.ok) { this.announce(t("cur_done_undo")); this.skipped.clear(); this.fetch({ next: true }); }
      else this.toast(t("cq_not_saved"), { error: true });
    });
  }

  _focusAnswer() {
    // keep the keyboard where it was: on the queue's buttons when it was there
    if (this.container.contains(document.activeElement) && document.activeElement.tagName !== "SELECT") {
      const b = this.current() ? this.buttons.same : null;
      if (b && document.activeElement !== b && document.activeElement.closest(".cq-answers")) b.focus();
    }
  }

  // Keys by their place on the keyboard (event.code), so an Arabic or French layout works too.
  _onKey(e) {
    if (e.defaultPrevented || e.altKey) return;
    const target = e.target instanceof Element ? e.target : document.body;
    if (this.scope === "panel" && !this.container.contains(target)) return;
    if (target.closest("dialog")) return;
    if ((e.ctrlKey || e.metaKey) && e.code === "KeyZ" && !e.shiftKey) {
      if (target.closest(EDITABLE)) return; // the text box's own undo
      e.preventDefault();
      this.undoLast();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.shiftKey) return;
    if (target.closest(EDITABLE)) return;
    const action = {
      Digit1: "same", Numpad1: "same", KeyY: "same",
      Digit2: "different", Numpad2: "different", KeyN: "different",
      Digit3: "skip", Numpad3: "skip",
      Digit4: "include", Numpad4: "include",
    }[e.code] || (e.code === "Space" && !target.closest(INTERACTIVE) ? "skip" : null);
    if (!action || !this.current()) return;
    e.preventDefault();
    this.answer(action);
  }

  _renderQuestions() {
    const list = this.questions();
    const signature = list.map((q) => `${q.id}:${q.session}:${q.label}`).join("|");
    if (this.els.select.dataset.signature !== signature) {
      this.els.select.dataset.signature = signature;
      const groups = [];
      for (const q of list) {
        if (!groups.length || groups[groups.length - 1].label !== q.session) groups.push(h("optgroup", { label: q.session || "" }));
        groups[groups.length - 1].append(h("option", { value: q.id, text: q.label }));
      }
      this.els.select.replaceChildren(...groups);
    }
    if (!list.some((q) => q.id === this.question) && list.length) this.setQuestion(list[0].id);
    if (this.question) this.els.select.value = this.question;
  }

  render() {
    if (!this.client.meeting) return;
    setText(this.container.querySelector(`#${this.id}-question-label`), t("cq_question"));
    this._renderQuestions();
    const pair = this.current();
    const left = this.pairs.filter((p) => !this.skipped.has(pairKey(p))).length;
    setText(this.els.count, this.state === "loading" ? t("cq_loading")
      : this.state === "failed" ? t("cq_failed") : t("cq_count", { n: formatNumber(left) }));
    setText(this.els.prompt, t("cq_prompt"));
    this.els.prompt.hidden = !pair;
    const labels = { same: ["cq_same", "1"], different: ["cq_different", "2"], skip: ["cq_skip", "3"],
      include: ["cq_include", "4"], undo: ["cq_undo", "Ctrl+Z"] };
    for (const [name, [key, combo]] of Object.entries(labels)) {
      const b = this.buttons[name];
      setText(b.querySelector(".cq-answer__label"), t(key));
      setText(b.querySelector(".cq-answer__key"), combo);
      if (name !== "undo") b.disabled = !pair || this.state === "sending";
    }
    this.buttons.undo.disabled = !this.curation.mine.length;
    this.container.dataset.state = this.state;
    const signature = pair ? `${pairKey(pair)}:${this.state}:${uiLang}` : `none:${this.state}`;
    if (this.els.pair.dataset.signature !== signature) {
      this.els.pair.dataset.signature = signature;
      this.els.pair.replaceChildren(...(pair ? this._pairCards(pair) : []));
      this.els.why.replaceChildren(...(pair ? this._why(pair) : []));
    }
    // the contributions' own versions may change (an edit, a translation): refresh their text
    this.els.pair.hidden = !pair;
    this.els.why.hidden = !pair;
    this.els.answers.hidden = !pair && !this.curation.mine.length;
    const done = !pair && this.state === "ready";
    this.els.empty.hidden = !done;
    if (done) {
      const skippedLeft = this.pairs.length > 0;
      setText(this.els.again, t("cq_show_skipped"));
      this.els.empty.replaceChildren(h("span", { text: skippedLeft ? t("cq_only_skipped") : t("cq_empty") }),
        ...(skippedLeft ? [" ", this.els.again] : []));
    }
    setText(this.els.keys, t(this.scope === "panel" ? "cq_keys_panel" : "cq_keys"));
    this.container.dataset.pair = pair ? pairKey(pair) : "";
  }

  _pairCards(pair) {
    const cards = [];
    for (const [side, cid] of [["a", pair.a], ["b", pair.b]]) {
      const c = this.model.liveContribution(cid);
      if (!c) continue;
      cards.push(h("article", { class: `cq-card cq-card--${side}`, "data-contribution": cid,
        "aria-label": t(side === "a" ? "cq_first" : "cq_second") }, contributionBody(this.model, c, "cq-card__text")));
      if (side === "a") cards.push(h("span", { class: "cq-pair__vs", "aria-hidden": "true", text: "?" }));
    }
    return cards;
  }

  _why(pair) {
    const score = formatNumber(Math.round((pair.score || 0) * 100) / 100, { minimumFractionDigits: 2 });
    const nodes = [h("span", { class: "cq-why__label", text: t("cq_why") }), " ",
      h("span", { class: "cq-why__score", text: t("cq_score", { n: score }) })];
    if ((pair.terms || []).length) {
      nodes.push(" · ", h("span", { class: "cq-why__label", text: t("cq_terms") }), " ",
        userText("span", "cq-why__terms", pair.terms.join(" · "), null));
    }
    return nodes;
  }
}

// ----- the history ---------------------------------------------------------------------------------

const HISTORY_LABEL = {
  "cluster.confirmed": "hist_confirmed", "cluster.rejected": "hist_rejected", "cluster.moved": "hist_moved",
  "cluster.detached": "hist_detached", "cluster.merged": "hist_merged", "cluster.titled": "hist_titled",
  "cluster.included": "hist_included",
};

// A move with no point to go to: out of any point (the event says `to: null`; a history entry
// may only say which point, and then names none).
const movedOut = (entry) => ("to" in entry ? entry.to === null : !entry.point_id);
const historyLabel = (entry) => (entry.type === "cluster.moved" && movedOut(entry) ? "hist_detached"
  : HISTORY_LABEL[entry.type] || "hist_other");

function timeText(ts) {
  try {
    return new Intl.DateTimeFormat(uiLang, { hour: "2-digit", minute: "2-digit" }).format(new Date(ts * 1000));
  } catch { return ""; }
}

// What one decision was about: the contributions it named (quoted), or the title it gave.
function historyDetail(curation, entry) {
  const model = curation.model;
  if (entry.type === "cluster.titled") {
    // a title in one language says which
    const where = entry.lang ? h("span", { class: "hist__group", lang: entry.lang, text: languageName(entry.lang) }) : null;
    const what = entry.title ? userText("p", "hist__title", entry.title, entry.lang || null) : h("p", { class: "hist__quote", text: t("hist_title_cleared") });
    return where ? h("div", {}, where, what) : what;
  }
  if (entry.type === "cluster.moved" && movedOut(entry)) {
    return userText("p", "hist__quote", quote(model, entry.contribution_id), null);
  }
  const ids = entry.contribution_ids || (entry.contribution_id ? [entry.contribution_id] : []);
  if (!ids.length && entry.point_id) {
    const point = curation.point(entry.point_id);
    return point ? userText("p", "hist__quote", curation.headline(point).text, null) : null;
  }
  const list = h("ul", { class: "hist__quotes" });
  for (const cid of ids.slice(0, 3)) {
    const c = model.client.contributions.get(cid);
    // the group's name, then its words in their own direction (quotation marks would not know it)
    list.append(h("li", {}, c ? h("span", { class: "hist__group", text: model.groupName(c.group_id) }) : null,
      userText("span", "hist__quote", quote(model, cid, 60), null)));
  }
  if (ids.length > 3) list.append(h("li", { class: "hist__more", text: t("hist_more", { n: formatNumber(ids.length - 3) }) }));
  return list;
}

// The decisions, newest first, each with Undo, or Redo once undone. `onDone(ok)` after an answer.
export function historyList(curation, { limit = 50, idPrefix = "hist", onDone = () => {} } = {}) {
  const entries = curation.history().slice(0, limit);
  if (!entries.length) return h("p", { class: "hist__empty", text: t("hist_none") });
  const ol = h("ol", { class: "hist", "aria-label": t("hist_title") });
  const wrap = h("div", { class: "hist-wrap" }, ol);
  for (const entry of entries) {
    const undone = Boolean(entry.undone);
    const by = entry.by && entry.by.role === "chair" ? t("hist_by_chair") : t("hist_by_curator");
    const label = h("span", { class: "hist__what", id: `${idPrefix}-${entry.seq}` }, t(historyLabel(entry)));
    const action = h("button", {
      type: "button", class: "button button--small" + (undone ? "" : " button--quiet-border"),
      "data-action": undone ? "redo" : "undo", "data-seq": String(entry.seq), "aria-describedby": `${idPrefix}-${entry.seq}`,
      onclick: () => (undone ? curation.redo(entry) : curation.undo(entry.seq)).then((ack) => onDone(Boolean(ack && ack.ok), undone)),
    }, icon(undone ? "↷" : "↶", true), h("span", { text: t(undone ? "hist_redo" : "hist_undo") }));
    ol.append(h("li", { class: "hist__item" + (undone ? " hist__item--undone" : ""), "data-seq": String(entry.seq), "data-type": entry.type },
      h("div", { class: "hist__body" },
        h("p", { class: "hist__head" }, label,
          undone ? h("span", { class: "hist__flag", text: t("hist_undone") }) : null,
          h("span", { class: "hist__meta", text: `${by} · ${timeText(entry.ts)}` })),
        historyDetail(curation, entry)),
      action));
  }
  return wrap;
}
