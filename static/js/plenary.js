// The plenary dashboard: the screen the chair projects during the general discussion.
// Read-only, 1920×1080 seen from 20 metres, never scrolls, never needs a reload.
//
// What it shows, and how it moves (a deliberate choice, kept simple for the room):
//
// - It rotates through the "views" of the current session: for each guiding question, the
//   answers of every group side by side, then (when there is something to show) its synthesis:
//   converging points, diverging points, ideas raised by one group only; at the end, the
//   converging points that span several questions of the session.
// - A view that does not fit the screen is cut into pages, which rotate too. Each page stays
//   ROTATE seconds (25 by default; `?rotate=N` in the address sets it, `?rotate=0` stops it).
// - The chair steers the screen with the ops it already has, no extra protocol:
//     spotlight a contribution -> the screen stops on the answers of its question, on the page
//                                 that holds it, with the contribution highlighted;
//     spotlight a cluster      -> the screen stops on the synthesis that holds it, highlighted;
//     reveal a ballot          -> the screen shows its results (live while voting is open)
//                                 until the chair hides them again.
//   Spotlight comes first, then a revealed ballot, then the rotation.
// - On the projector laptop: arrow keys go to the previous or next page, Space pauses.
//
// Every user text goes in with textContent; nothing is built from HTML strings.

import { MeetingClient } from "./client.js";
import { boot, t, lang as uiLang, formatNumber } from "./i18n.js";
import { h, icon, setText, userText } from "./dom.js";
import { renderTimer as showTimer } from "./timer.js";
import { MeetingModel, laterSynthesis, questionSynthesis, sessionSynthesis } from "./model.js";
import { AGREEMENT_ICON, kindGlyph, kindPoints, agreementGlyph, showStatus, renderScheduler, regionRateText, readingNodes, signOffBadge } from "./ui.js";

const params = new URLSearchParams(window.location.search);
const ROTATE = (() => {
  const n = Number.parseInt(params.get("rotate") ?? "", 10);
  return Number.isFinite(n) && n >= 0 ? n : 25;
})();
const NEW_MS = 10000; // how long a new or changed contribution is marked "New"

const CHOICE_ICON = { yes: "✔", no: "✖", unsure: "?" };

const client = new MeetingClient({ meetingId: boot.meeting_id, page: "plenary" });
const model = new MeetingModel(client);
const scheduleRender = renderScheduler(render);

const $ = (id) => document.getElementById(id);
const els = {
  app: $("app"), meetingTitle: $("meeting-title"), session: $("pl-session"), number: $("pl-number"),
  question: $("pl-question"), timer: $("pl-timer"), timerLabel: $("pl-timer-label"),
  timerValue: $("pl-timer-value"), join: $("pl-join"), joinQr: $("pl-join-qr"),
  joinTitle: $("pl-join-title"), joinHow: $("pl-join-how"), joinCode: $("pl-join-code"),
  participants: $("pl-participants"), stage: $("pl-stage"), progress: $("pl-progress"),
  page: $("pl-page"), from: $("pl-from"), paused: $("pl-paused"), status: $("conn-status"), legend: $("pl-legend"),
  frozen: $("pl-frozen"), parts: $("pl-parts"), bar: document.querySelector(".pl-bar"),
};

// ----- small DOM helpers ------------------------------------------------------------------------


// ----- the model: what the client keeps, plus the plenary's own extras ----------------------------

let synthesis = null; // GET /api/m/<id>/synthesis, then synthesis.updated
const ballotResults = new Map(); // ballot id -> results (revealed ballots only)
const turnout = new Map(); // ballot id -> how many have voted (open ballots: ballot.turnout)
let pinnedBallotId = null; // the ballot the chair opened or revealed last
const seen = new Map(); // contribution id -> {version, at}: marks new and changed contributions
let loaded = false;

function groupLabel(gid, session) {
  if (model.extra().anonymous) {
    const order = (session && session.groups) || [];
    const i = Math.max(0, order.indexOf(gid));
    const letters = Array.from(t("group_letters"));
    return t("group_letter", { letter: letters[i] || formatNumber(i + 1) });
  }
  return model.groupName(gid);
}

// The engine suggests; the chair decides. A converging point reaches the room when the chair
// confirmed it, the engine is confident of it, the chair chose to show every suggestion, or the
// chair put it in focus.
function shownPoints(list) {
  const spot = model.extra().spotlight;
  return (list || []).filter((cl) => cl.on_plenary !== false || (spot && spot.cluster_id === cl.id));
}

function synthQuestion(qid) {
  const q = questionSynthesis(synthesis, qid);
  return q && { ...q, converging: shownPoints(q.converging) };
}

function synthSession(sid) {
  const s = sessionSynthesis(synthesis, sid);
  return s && { ...s, converging: shownPoints(s.converging) };
}

// ----- loading what the socket does not replay (live views) ---------------------------------------

async function refreshLive() {
  try {
    synthesis = laterSynthesis(synthesis, await model.fetchSynthesis());
  } catch (err) { console.warn(err); }
  for (const b of model.ballots()) {
    if (!b.revealed) continue;
    try { ballotResults.set(b.id, await model.fetchBallotResults(b.id)); } catch (err) { console.warn(err); }
  }
  scheduleRender();
}

async function fetchBallot(id) {
  try {
    ballotResults.set(id, await model.fetchBallotResults(id));
    scheduleRender();
  } catch (err) { console.warn(err); }
}

// ----- views and navigation ------------------------------------------------------------------------

const nav = { index: 0, page: 0, pages: 1, shownAt: Date.now(), paused: false, key: "" };

// The session whose answers the screen shows: the current one, or the one a general discussion
// reviews (model.answersSession).
const currentSession = () => model.currentSession();
const answersSession = () => model.answersSession();

// The views of the screen: those of the session whose answers it shows, then, during a general
// discussion, one view per question of the plenary's own board that has notes on it.
function rotationViews() {
  const current = currentSession();
  if (!current) return [];
  const shown = answersSession();
  const views = sessionViews(shown);
  if (shown !== current) {
    const state = client.view();
    for (const q of current.questions || []) {
      if ((current.groups || []).some((gid) => MeetingClient.listOf(state, gid, q.id).length)) {
        views.push({ type: "answers", qid: q.id, board: true });
      }
    }
  }
  return views;
}

function sessionViews(session) {
  const views = [];
  (session.questions || []).forEach((q) => {
    views.push({ type: "answers", qid: q.id });
    const questionSynth = synthQuestion(q.id);
    if (questionSynth && ((questionSynth.converging || []).length || (questionSynth.diverging || []).length)) views.push({ type: "synthesis", qid: q.id });
  });
  const sessionSynth = synthSession(session.id);
  if (sessionSynth && (sessionSynth.converging || []).length) views.push({ type: "session", sid: session.id });
  return views;
}

function pinnedView() {
  const spot = model.extra().spotlight;
  if (spot && spot.contribution_id) {
    const c = client.contributions.get(spot.contribution_id);
    if (c && !c.deleted) return { type: "answers", qid: c.question_id, focus: c.id, reason: "spotlight" };
  }
  if (spot && spot.cluster_id && synthesis) {
    for (const q of synthesis.questions || []) {
      if ((q.converging || []).some((cl) => cl.id === spot.cluster_id)
          || (q.diverging || []).some((d) => d.cluster_id === spot.cluster_id)) {
        return { type: "synthesis", qid: q.question_id, focus: spot.cluster_id, reason: "spotlight" };
      }
    }
    for (const s of synthesis.sessions || []) {
      if ((s.converging || []).some((cl) => cl.id === spot.cluster_id)) {
        return { type: "session", sid: s.session_id, focus: spot.cluster_id, reason: "spotlight" };
      }
    }
  }
  // a revealed ballot shows its results; an open one, while hidden, that it is open and how many
  // have voted
  const ballot = model.ballotById(pinnedBallotId);
  if (ballot && (ballot.revealed || ballot.status === "open")) return { type: "ballot", id: ballot.id, reason: "ballot" };
  return null;
}

const viewKey = (v) => v ? [v.type, v.qid || v.sid || v.id || "", v.focus || ""].join(":") : "";

function currentView() {
  const pinned = pinnedView();
  if (pinned) return { view: pinned, views: rotationViews() };
  const views = rotationViews();
  if (!views.length) return { view: null, views };
  nav.index = ((nav.index % views.length) + views.length) % views.length;
  return { view: views[nav.index], views };
}

function step(delta) {
  if (model.plenaryFrozen()) return;
  const { view, views } = currentView();
  const pinned = view && view.reason;
  if (delta > 0 && nav.page + 1 < nav.pages) nav.page += 1;
  else if (delta < 0 && nav.page > 0) nav.page -= 1;
  else if (!pinned && views.length) {
    nav.index = (nav.index + delta + views.length) % views.length;
    nav.page = delta > 0 ? 0 : Number.MAX_SAFE_INTEGER; // the last page of the previous view
  } else if (pinned) {
    nav.page = delta > 0 ? 0 : Math.max(0, nav.pages - 1);
  }
  nav.shownAt = Date.now();
  render();
}

// ----- rendering: the top bar -----------------------------------------------------------------------

// An agenda text (a title, a question) in its own element: the language it is written in, when
// the agenda says, and the direction its first strong letter says (a fallback language may not
// be the page's).
function agendaLang(text, fallback) {
  if (!text || typeof text !== "object") return null;
  if (text[uiLang]) return uiLang;
  if (fallback && text[fallback]) return fallback;
  return Object.keys(text)[0] || null;
}

function agendaText(tag, cls, text) {
  return userText(tag, cls, model.text(text), agendaLang(text, model.fallbackLang()));
}

// Fill `el` with `parts` (nodes or strings), unless it already shows the same.
function fill(el, key, ...parts) {
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  el.replaceChildren(...parts.filter((p) => p != null && p !== ""));
}

function renderBar(view) {
  const current = currentSession();
  let viewSession = null, number = "", heading = null, headingText = "";
  if (view && (view.type === "answers" || view.type === "synthesis")) {
    const found = model.questionById(view.qid);
    if (found) {
      viewSession = found.session;
      number = t("question_of", { n: formatNumber(found.index + 1), total: formatNumber(found.session.questions.length) });
      heading = agendaText("span", null, found.question.text);
    }
  } else if (view && view.type === "session") {
    viewSession = model.sessionById(view.sid) || null;
    heading = t("across_questions");
  } else if (view && view.type === "ballot") {
    const b = model.ballotById(view.id);
    number = t("vote_results");
    // a prompt the chair typed: its own element, its direction from its first strong letter
    const prompt = b ? model.promptReading(b.prompt) : null;
    if (b && !b.revealed) number = t("vote_open_now");
    heading = prompt ? userText("span", null, prompt.text, prompt.lang) : t("ballot_prompt_default");
  } else {
    heading = current ? "" : t("session_none");
  }
  headingText = heading && typeof heading === "object" ? heading.textContent : heading || "";
  // the current session's title, always; and, when the screen shows another session's answers
  // (the general discussion reviews the sub-groups'), which one
  const titled = current || viewSession;
  fill(els.session, titled ? `${titled.id}:${uiLang}:${model.text(titled.title)}` : "",
    titled ? agendaText("span", null, titled.title) : null);
  const from = viewSession && current && viewSession.id !== current.id ? viewSession : null;
  els.from.hidden = !from;
  if (from) {
    const [before, after = ""] = t("answers_from").split("{session}");
    fill(els.from, `${from.id}:${model.text(from.title)}`, icon("↩", true),
      h("span", { class: "pl-bar__from-text" }, before, agendaText("span", "pl-bar__from-session", from.title), after));
  } else {
    fill(els.from, "");
  }
  setText(els.number, number);
  els.number.hidden = !number;
  fill(els.question, `${view ? viewKey(view) : ""}:${headingText}`, heading);
  const shown = view && (view.type === "answers" || view.type === "synthesis") ? model.questionById(view.qid) : null;
  renderParts(shown ? shown.question : null);
}

// A question's parts, (1) to (3), in full under it: the room answers them one by one.
function renderParts(question) {
  const parts = (question && question.parts) || [];
  const key = `${question ? question.id : ""}:${uiLang}:${parts.map((p) => model.text(p.text)).join("|")}`;
  els.parts.hidden = !parts.length;
  fill(els.parts, key, ...parts.map((p, i) => h("li", { class: "pl-bar__part" },
    h("span", { class: "pl-bar__part-n", "aria-hidden": "true", text: `(${formatNumber(i + 1)})` }),
    agendaText("span", "pl-bar__part-text", p.text))));
}

// The question and its parts are never cut: a long one steps down in size until the top bar
// takes at most BAR_SHARE of the screen's height (never below the smallest step).
const BAR_SHARE = 0.34;
const BAR_STEPS = ["1", "0.9", "0.8", "0.72"];

const SCROLLS = window.matchMedia("(max-width: 60rem)"); // a phone: the page scrolls instead

function fitBar() {
  const budget = window.innerHeight * BAR_SHARE;
  for (const step of SCROLLS.matches ? ["1"] : BAR_STEPS) {
    els.bar.style.setProperty("--pl-q-fit", step);
    if (els.bar.offsetHeight <= budget) return;
  }
}

function renderJoin() {
  const hasJoin = Boolean(boot.join_code);
  els.join.hidden = !hasJoin;
  if (!hasJoin) return;
  if (boot.join_qr && els.joinQr.getAttribute("src") !== boot.join_qr) {
    els.joinQr.src = boot.join_qr;
    els.joinQr.alt = t("join_qr_alt");
  }
  els.joinQr.hidden = !boot.join_qr;
  let where = "";
  try {
    const url = new URL(boot.join_url);
    where = url.host + url.pathname;
  } catch { where = ""; }
  setText(els.joinTitle, t("join_title"));
  const [before, after = ""] = t("join_scan").split("{url}");
  // the address is always left to right, even inside an Arabic sentence
  els.joinHow.replaceChildren(before, h("bdi", { dir: "ltr", text: where }), after);
  els.joinHow.hidden = !where;
  setText(els.joinCode, boot.join_code);
  const n = model.extra().participants || 0;
  setText(els.participants, n ? t("participants_n", { n: formatNumber(n) }) : "");
  els.participants.hidden = !n;
}

function renderTimer() {
  showTimer(client, els.timer, els.timerLabel, els.timerValue, "pl-timer");
}

// ----- rendering: one contribution card -------------------------------------------------------------

// A badge: an icon, the short word the room reads, and the full word for screen readers.
// In narrow columns the short word can give way to the icon alone (see fitMeta).
function badge(cls, attrs, glyph, mirrored, short, full) {
  const el = h("span", { class: cls, ...attrs }, icon(glyph, mirrored));
  if (short != null && short !== full) {
    el.append(h("span", { class: "pl-tag__short", "aria-hidden": "true", text: short }),
      h("span", { class: "visually-hidden", text: full }));
  } else {
    el.append(h("span", { class: "pl-tag__short pl-tag__short--full", text: full }));
  }
  return el;
}

function kindTag(kind, compact = false) {
  return badge("pl-tag pl-tag--kind", { "data-kind": kind }, kindGlyph(kind), kindPoints(kind),
    compact ? t(`kind_short_${kind}`) : null, t(`kind_${kind}`));
}

function agreementTag(agreement, compact = false) {
  return badge("pl-tag pl-tag--agreement", { "data-agreement": agreement }, agreementGlyph(agreement), false,
    compact ? t(`agreement_short_${agreement}`) : null, t(`agreement_${agreement}`));
}

function isFresh(c) {
  const s = seen.get(c.id);
  return Boolean(s && s.at && Date.now() - s.at < NEW_MS);
}

// One card: a single line of badges (kind, agreement, converging point or "only here"), then the text.
function card(c, clusterOf, focus, oneBoard = false) {
  const li = h("li", { class: "pl-card", id: `pc-${c.id}`, "data-kind": c.kind, "data-agreement": c.agreement });
  const meta = h("p", { class: "pl-card__meta" }, kindTag(c.kind, true), agreementTag(c.agreement, true));
  if (c.id === focus) {
    li.classList.add("pl-card--focus");
    meta.prepend(h("span", { class: "pl-flag pl-flag--focus" }, icon("◉"), h("span", { text: t("spotlight_label") })));
  } else if (isFresh(c)) {
    li.classList.add("pl-card--new");
    meta.prepend(h("span", { class: "pl-flag pl-flag--new", text: t("new_label") }));
  }
  // a note carrying two proposals is in two points: a mark for each
  const clusters = clusterOf.get(c.id) || [];
  for (const cluster of clusters) {
    const n = formatNumber(cluster.n), k = formatNumber(cluster.raised_by), m = formatNumber(cluster.of);
    meta.append(h("span", { class: "pl-mark pl-mark--converging", "data-point": String(Math.min(cluster.n, 9)) },
      h("span", { class: "pl-num", "aria-hidden": "true", text: n }),
      h("span", { class: "pl-mark__ratio", "aria-hidden": "true", text: `${k}/${m}` }),
      h("span", { class: "visually-hidden", text: `${t("point_n", { n })}: ${t("card_converging", { n, k, m })}` })));
  }
  if (!clusters.length && !oneBoard && (clusterOf.size || synthQuestion(c.question_id))) {
    // (a session with a single board, the plenary's, has no "only this group")
    meta.append(badge("pl-mark pl-mark--unique", {}, "◌", false, t("card_unique_short"), t("card_unique")));
  }
  li.append(meta, ...readingNodes(model.reading(c), "p", "pl-card__text"));
  return li;
}

// The badges of a card stay on one line. In a column where one does not fit, every card of the
// column first shows "only here" by its icon alone, then agreement too (the words stay for
// screen readers, and the footer gives the legend); where even that does not fit, the line wraps.
function fitMeta(grid) {
  const wraps = (col) => Array.from(col.querySelectorAll(".pl-card__meta")).some((meta) => {
    const kids = Array.from(meta.children).filter((el) => !el.classList.contains("visually-hidden"));
    return kids.length > 1 && kids[kids.length - 1].offsetTop > kids[0].offsetTop + 2;
  });
  let cols = Array.from(grid.querySelectorAll(".pl-col"));
  let tight = false;
  for (const level of ["1", "2"]) {
    cols = cols.filter(wraps); // all reads first, then the writes
    cols.forEach((col) => { col.dataset.tight = level; });
    tight = tight || cols.length > 0;
  }
  return tight;
}

// Columns are equal while everything fits. When a column holds more than its height, the
// columns share the width by how much they hold: the full column gets wider (fewer lines per
// card, fewer pages), a column with room to spare narrower, within bounds so that every column
// stays readable. Measured, not guessed: a few layout passes, keeping the best.
const WEIGHT_MIN = 0.6, WEIGHT_MAX = 2.4;

function balanceColumns(grid, lists) {
  const n = lists.length;
  const apply = (w) => { grid.style.gridTemplateColumns = w.map((x) => `minmax(min(13rem, 100%), ${x.toFixed(3)}fr)`).join(" "); };
  const measure = () => lists.map((list) => list.scrollHeight / Math.max(1, list.clientHeight));
  let weights = Array(n).fill(1);
  apply(weights);
  let fill = measure();
  if (n < 2 || Math.max(...fill) <= 1) return;
  let best = { weights, worst: Math.max(...fill) };
  for (let pass = 0; pass < 3; pass += 1) {
    // the height of a column goes roughly as 1/width: give each the width that evens the fill
    let next = weights.map((w, i) => w * Math.max(fill[i], 0.15));
    const mean = next.reduce((a, b) => a + b, 0) / n;
    next = next.map((w) => Math.min(WEIGHT_MAX, Math.max(WEIGHT_MIN, w / mean)));
    weights = next;
    apply(weights);
    fill = measure();
    const worst = Math.max(...fill);
    if (worst < best.worst - 0.02) best = { weights, worst };
  }
  if (best.weights !== weights) apply(best.weights);
}

// ----- paging: cut lists into screens ----------------------------------------------------------------

// Which page each child of `list` falls on: as many whole items as fit on each page, gaps
// included. `restRoom` is the list's height on the pages after the first, where a
// "Continued" line above the list takes some of its room (measured by the caller).
function paginate(list, restRoom) {
  const items = Array.from(list.children);
  const style = getComputedStyle(list);
  const inner = (height) => height - parseFloat(style.paddingTop || "0") - parseFloat(style.paddingBottom || "0");
  const first = inner(list.clientHeight);
  const rest = restRoom == null ? first : inner(restRoom);
  const pages = [];
  let page = 0, start = null;
  for (const item of items) {
    const top = item.offsetTop, bottom = top + item.offsetHeight;
    if (start === null) start = top;
    else if (bottom - start > (page ? rest : first) + 0.5) { page += 1; start = top; }
    pages.push(page);
  }
  return { items, pages, count: items.length ? page + 1 : 1 };
}

function showPage(layouts, page) {
  for (const { items, pages, onPage } of layouts) {
    items.forEach((item, i) => { item.hidden = pages[i] !== page; });
    if (onPage) onPage(page);
  }
}

// ----- rendering: the views --------------------------------------------------------------------------

function converging(qid) {
  const questionSynth = synthQuestion(qid);
  const list = (questionSynth && questionSynth.converging) || [];
  const clusterOf = new Map();
  list.forEach((cl, i) => {
    for (const cid of cl.contributions) {
      clusterOf.set(cid, [...(clusterOf.get(cid) || []), { n: i + 1, raised_by: cl.raised_by, of: cl.of }]);
    }
  });
  return clusterOf;
}

function renderAnswers(view) {
  const found = model.questionById(view.qid);
  if (!found) return { layouts: [], fits: [] };
  const { session } = found;
  const groups = session.groups || [];
  const clusterOf = converging(view.qid);
  const state = client.view();
  const grid = h("div", { class: "pl-cols", "data-cols": String(Math.min(groups.length, 9)) });
  const lists = [];
  let total = 0;
  for (const gid of groups) {
    const items = MeetingClient.listOf(state, gid, view.qid);
    total += items.length;
    const headId = `col-${gid}`;
    const col = h("section", { class: "pl-col", "aria-labelledby": headId });
    const head = h("h3", { class: "pl-col__head", id: headId },
      h("span", { class: "pl-col__name", text: groupLabel(gid, session) }),
      h("span", { class: "pl-col__count", text: formatNumber(items.length) }));
    // the group's agreement with these answers, once it has signed them off
    const signOff = model.signOff(gid, view.qid);
    if (signOff) head.append(signOffBadge(signOff, "pl-signoff"));
    const more = h("p", { class: "pl-col__more", hidden: true }, icon("↩", true), h("span", { text: t("continued") }));
    const list = h("ol", { class: "pl-cards" });
    for (const c of items) list.append(card(c, clusterOf, view.focus, groups.length < 2));
    col.append(head, more, list);
    if (!items.length) col.append(h("p", { class: "pl-col__empty", text: t("no_answers") }));
    grid.append(col);
    lists.push({ list, more });
  }
  els.stage.replaceChildren(grid);
  if (!total) grid.classList.add("pl-cols--empty");
  balanceColumns(grid, lists.map(({ list }) => list));
  const tight = fitMeta(grid);
  // the room of each list on later pages: with the "Continued" lines shown (they share a row)
  const firstRooms = lists.map(({ list }) => list.clientHeight);
  lists.forEach(({ more }) => { more.hidden = false; });
  const restRooms = lists.map(({ list }) => list.clientHeight);
  lists.forEach(({ more }) => { more.hidden = true; });
  const layouts = lists.map(({ list, more }, i) => ({ ...paginate(list, Math.min(firstRooms[i], restRooms[i])), more }));
  return { layouts, legend: tight };
}

// A point's headline: a readable sentence in the screen's language (model.pointHeadline: its
// title, else what its most central member says), never a list of stems; the shared terms
// beside a title only.
function pointTitle(cl) {
  const headline = model.pointHeadline(cl);
  const terms = (cl.terms || []).join(" · ");
  if (headline) return { text: headline.text, lang: headline.lang, terms: headline.title ? terms : "" };
  return { text: terms, lang: null, terms: "" };
}

function groupChips(groupIds, session) {
  const ul = h("ul", { class: "pl-chips" });
  for (const gid of groupIds) ul.append(h("li", { class: "pl-chip", text: groupLabel(gid, session) }));
  return ul;
}

function meter(k, m) {
  const bar = h("span", { class: "pl-meter", "aria-hidden": "true" });
  for (let i = 0; i < m; i += 1) bar.append(h("span", { class: "pl-meter__cell" + (i < k ? " pl-meter__cell--on" : "") }));
  return bar;
}

function memberList(ids, session, withAgreement) {
  const ul = h("ul", { class: "pl-members" });
  for (const cid of ids) {
    const c = model.liveContribution(cid);
    if (!c) continue;
    const li = h("li", { class: "pl-member", "data-kind": c.kind },
      h("span", { class: "pl-member__group", text: groupLabel(c.group_id, session) }));
    if (withAgreement) li.append(agreementTag(c.agreement));
    li.append(h("div", { class: "pl-member__body" }, ...readingNodes(model.reading(c), "span", "pl-member__text")));
    ul.append(li);
  }
  return ul;
}

function pointItem(cl, n, session, focus, questionsLine) {
  const { text, lang: titleLang, terms } = pointTitle(cl);
  const li = h("li", { class: "pl-point", id: `pp-${cl.id}`, "data-point": String(Math.min(n, 9)) });
  if (cl.id === focus) li.classList.add("pl-point--focus");
  const head = h("div", { class: "pl-point__head" },
    h("span", { class: "pl-num", "aria-label": t("point_n", { n: formatNumber(n) }), text: formatNumber(n) }),
    userText("p", "pl-point__title", text, titleLang));
  if (cl.id === focus) head.append(h("span", { class: "pl-flag pl-flag--focus" }, icon("◉"), h("span", { text: t("spotlight_label") })));
  const raised = h("p", { class: "pl-point__raised" },
    meter(cl.raised_by, cl.of),
    h("span", { text: t("raised_by", { k: formatNumber(cl.raised_by), m: formatNumber(cl.of) }) }));
  li.append(head, raised, groupChips(cl.groups || [], session));
  if (questionsLine) li.append(h("p", { class: "pl-point__questions", text: questionsLine }));
  li.append(memberList(cl.contributions, session, false));
  if (terms) li.append(h("p", { class: "pl-point__terms" }, h("span", { class: "pl-point__terms-label", text: t("shared_terms") }), " ", h("span", { dir: "auto", text: terms })));
  return li;
}

function renderSynthesis(view) {
  const found = model.questionById(view.qid);
  const session = found ? found.session : currentSession();
  const questionSynth = synthQuestion(view.qid) || { converging: [], diverging: [], unique: [] };
  const spot = questionSynth.converging.findIndex((cl) => cl.id === view.focus);
  if (spot >= 0) return renderSpotPoint(questionSynth.converging[spot], spot + 1, session, view.focus);
  const points = questionSynth.converging.map((cl, i) => pointItem(cl, i + 1, session, view.focus));
  if (!points.length) points.push(h("li", { class: "pl-point pl-point--none" }, h("p", { class: "pl-panel__empty", text: t("converging_none") })));

  const side = h("section", { class: "pl-panel pl-panel--side", "aria-labelledby": "pl-div-title" });
  side.append(h("h3", { class: "pl-panel__title", id: "pl-div-title" }, icon("≠"), h("span", { text: t("diverging_title") })));
  const sideList = h("ul", { class: "pl-side" });
  const convNumber = new Map(questionSynth.converging.map((cl, i) => [cl.id, i + 1]));
  for (const d of questionSynth.diverging || []) sideList.append(divergingItem(d, convNumber, session, view.focus));
  if (!(questionSynth.diverging || []).length) sideList.append(h("li", { class: "pl-panel__empty", text: t("diverging_none") }));
  sideList.append(uniqueItem(questionSynth.unique || [], session));
  side.append(sideList);
  return pointStrip(points, side);
}

// ----- layout of the synthesis: a strip of columns, paged ------------------------------------------

// Converging points side by side, one a column, SLOTS columns a page (then, in the next column,
// the diverging points and the ideas of one group): three points a page in type read from the
// back of the room, rather than one or two a page stacked.
const SLOTS = 3;

function pointStrip(points, side = null) {
  const title = h("h3", { class: "pl-strip__title", id: "pl-conv-title" }, icon("⇉", true), h("span", { text: t("converging_title") }));
  const list = h("ol", { class: "pl-points pl-points--strip", "aria-labelledby": "pl-conv-title" }, ...points);
  els.stage.replaceChildren(h("div", { class: "pl-synth" }, title, list, side));
  const items = side ? [...points, side] : points;
  const pages = items.map((_, i) => Math.floor(i / SLOTS));
  const onPage = (page) => {
    const shown = points.filter((_, i) => pages[i] === page).length;
    title.hidden = !shown;
    title.style.gridColumn = `1 / span ${Math.max(1, shown)}`;
  };
  const layout = { items, pages, count: pages[pages.length - 1] + 1, onPage };
  for (let page = 0; page < layout.count; page += 1) {
    showPage([layout], page);
    items.forEach((item, i) => { if (pages[i] === page) fitSlot(item.querySelector(".pl-side") || item); });
  }
  return { layouts: [layout] };
}

// A column that holds more than its height: its members' texts give way to fewer lines each,
// then the last members to a line that says how many more the point has. Type never shrinks.
const MEMBER_LINES = ["", "6", "4", "3", "2"];

function fitSlot(slot) {
  if (SCROLLS.matches) return;
  const over = () => slot.scrollHeight > slot.clientHeight + 1;
  for (const lines of MEMBER_LINES) {
    if (lines) slot.dataset.lines = lines; else delete slot.dataset.lines;
    slot.style.setProperty("--pl-member-lines", lines || "none");
    if (!over()) return;
  }
  const members = Array.from(slot.querySelectorAll(".pl-member"));
  const more = h("li", { class: "pl-member pl-member--more" });
  for (let n = 1; n < members.length && over(); n += 1) {
    members[members.length - n].hidden = true;
    setText(more, t("more_members", { n: formatNumber(n) }));
    members[members.length - n - 1].after(more);
  }
  // last, a long headline (a member's sentence standing for the point) gives way too
  for (const lines of TITLE_LINES) {
    if (!over()) return;
    slot.style.setProperty("--pl-title-lines", lines);
  }
}

const TITLE_LINES = ["2", "1"];

// A point in the spotlight has the stage to itself, in larger type. Too long, it steps down to
// the size of the other views; what still does not fit is paged, and its pages turn by themselves.
const SPOT_STEPS = ["1.25", "1.12", "1"];

function renderSpotPoint(cl, n, session, focus) {
  const point = pointItem(cl, n, session, focus);
  els.stage.replaceChildren(h("div", { class: "pl-synth pl-synth--spot" },
    h("ol", { class: "pl-points pl-points--strip" }, point)));
  const members = point.querySelector(".pl-members");
  if (!members) return { layouts: [] };
  for (const step of SPOT_STEPS) {
    point.style.setProperty("--pl-spot-fit", step);
    if (members.scrollHeight <= members.clientHeight + 1) break;
  }
  return { layouts: [paginate(members)] };
}

// A diverging point: the number of the converging point it splits, if any, why, and who said what.
function divergingItem(d, convNumber, session, focus) {
  const li = h("li", { class: "pl-diverging", "data-reason": d.reason });
  if (d.cluster_id && d.cluster_id === focus) li.classList.add("pl-diverging--focus");
  const reason = h("p", { class: "pl-diverging__reason" });
  if (d.cluster_id && convNumber.has(d.cluster_id)) {
    const n = convNumber.get(d.cluster_id);
    reason.append(h("span", { class: "pl-num", "data-point": String(Math.min(n, 9)), text: formatNumber(n) }), " ");
  }
  reason.append(h("span", { text: t(`reason_${d.reason}`) }));
  li.append(reason, memberList(d.contributions, session, true));
  return li;
}

// Ideas raised by one group only: how many per group (the cards say which, on the answers view).
function uniqueItem(uniqueIds, session) {
  const counts = new Map();
  for (const cid of uniqueIds) {
    const c = model.liveContribution(cid);
    if (c) counts.set(c.group_id, (counts.get(c.group_id) || 0) + 1);
  }
  const item = h("li", { class: "pl-unique" },
    h("h3", { class: "pl-panel__title pl-panel__title--sub" }, icon("◌"), h("span", { text: t("unique_title") })));
  if (!counts.size) {
    item.append(h("p", { class: "pl-panel__empty", text: t("unique_none") }));
    return item;
  }
  const ul = h("ul", { class: "pl-chips" });
  for (const gid of (session && session.groups) || counts.keys()) {
    if (counts.has(gid)) ul.append(h("li", { class: "pl-chip", text: t("unique_count", { group: groupLabel(gid, session), n: formatNumber(counts.get(gid)) }) }));
  }
  item.append(ul);
  return item;
}

function renderSession(view) {
  const session = model.sessionById(view.sid);
  const sessionSynth = synthSession(view.sid) || { converging: [] };
  const numberOf = new Map(((session && session.questions) || []).map((q, i) => [q.id, i + 1]));
  const spot = sessionSynth.converging.findIndex((cl) => cl.id === view.focus);
  if (spot >= 0) return renderSpotPoint(sessionSynth.converging[spot], spot + 1, session, view.focus);
  const points = sessionSynth.converging.map((cl, i) => {
    const questionNumbers = (cl.questions || []).map((q) => formatNumber(numberOf.get(q) || 0)).join(", ");
    return pointItem(cl, i + 1, session, view.focus, `${t("questions_label")} ${questionNumbers}`);
  });
  return pointStrip(points);
}

function regionCell(rid, cell, mode, rank) {
  const li = h("li", { class: "pl-region" }, h("span", { class: "pl-region__name", text: model.regionName(rid) }));
  // the item's place among the region's (shown cells only: a withheld region ranks nothing)
  if (typeof rank === "number") li.append(h("span", { class: "pl-region__rank", text: t("region_rank", { n: formatNumber(rank) }) }));
  if (!cell) {
    li.classList.add("pl-region--hidden");
    li.append(h("span", { class: "pl-region__value", text: "—" }), h("span", { class: "pl-region__note", text: t("region_hidden") }));
    return li;
  }
  const rate = cell.agree_rate || 0;
  const bar = h("span", { class: "pl-rate", "aria-hidden": "true" }, h("span", { class: "pl-rate__fill" }));
  bar.firstChild.style.setProperty("--share", String(Math.max(0, Math.min(1, rate))));
  li.append(bar, h("span", { class: "pl-region__value", text: regionRateText(cell, mode) }));
  return li;
}

function choiceBar(counts) {
  const total = (counts.yes || 0) + (counts.no || 0) + (counts.unsure || 0);
  const bar = h("div", { class: "pl-stack" });
  for (const choice of ["yes", "no", "unsure"]) {
    const n = counts[choice] || 0;
    const seg = h("span", { class: `pl-stack__seg pl-stack__seg--${choice}` },
      icon(CHOICE_ICON[choice]), h("span", { text: `${t(`choice_${choice}`)} ${formatNumber(n)}` }));
    seg.style.setProperty("--share", String(total ? n / total : 1 / 3));
    if (!n) seg.classList.add("pl-stack__seg--zero");
    bar.append(seg);
  }
  return bar;
}

function renderBallot(view) {
  const ballot = model.ballotById(view.id);
  const results = ballotResults.get(view.id);
  if (ballot && !ballot.revealed) return renderVoteOpen(ballot);
  const wrap = h("section", { class: "pl-ballot" });
  const status = ballot && ballot.status === "open";
  wrap.append(h("p", { class: "pl-ballot__status" + (status ? " pl-ballot__status--open" : "") },
    icon(status ? "●" : "■"), h("span", { text: status ? t("ballot_open") : t("ballot_closed") }),
    h("span", { class: "pl-ballot__voters", text: t("voters_n", { n: formatNumber((results && results.participants) || 0) }) })));
  const list = h("ol", { class: "pl-results" });
  const regionIds = model.regionIds();
  // best first, ties side by side under one rank (docs/voting.md: the ranking)
  const rows = [...((results && results.results) || [])].sort((a, b) => rankOrder(a) - rankOrder(b));
  const itemOf = new Map(((ballot && ballot.items) || []).map((it) => [it.point_id || it.contribution_id, it]));
  for (const row of rows) {
    const rowId = row.point_id || row.contribution_id;
    const item = itemOf.get(rowId) || client.contributions.get(rowId) || {};
    const li = h("li", { class: "pl-result" + (row.tied ? " pl-result--tied" : ""), "data-item": rowId });
    const head = h("div", { class: "pl-result__head" }, rankBadge(row), ...ballotItemNodes(item, rowId, "pl-result__text"));
    li.append(head);
    if (results.mode === "dots") {
      li.append(h("p", { class: "pl-result__dots" }, icon("●"), h("span", { text: t("dots_n", { n: formatNumber(row.dots || 0) }) })));
    } else {
      li.append(choiceBar(row.counts || {}));
    }
    const regions = h("ul", { class: "pl-regions", "aria-label": t("by_region") });
    for (const rid of regionIds) regions.append(regionCell(rid, (row.by_region || {})[rid], results.mode, (row.rank_by_region || {})[rid]));
    li.append(regions);
    list.append(li);
  }
  wrap.append(list);
  els.stage.replaceChildren(wrap);
  return { layouts: [paginate(list)] };
}

const rankOrder = (row) => (typeof row.rank === "number" ? row.rank : Number.MAX_SAFE_INTEGER);

// "1", or "=2" when it shares its rank: a tie is shown as a tie, never broken by ballot order.
function rankBadge(row) {
  if (typeof row.rank !== "number") return h("span", { class: "pl-rank pl-rank--none", text: "–", title: t("rank_none") });
  const text = row.tied ? t("rank_tied", { n: formatNumber(row.rank) }) : formatNumber(row.rank);
  return h("span", { class: "pl-rank" + (row.tied ? " pl-rank--tied" : ""), text, title: row.tied ? t("rank_tied_long") : null });
}

// A ballot's item as the room reads it: a contribution with its group, or a point with the groups
// that raised it, in the screen's language with the original beside.
function ballotItemNodes(item, itemId, cls) {
  const found = item.question_id ? model.questionById(item.question_id) : null;
  const session = found ? found.session : answersSession();
  const nodes = readingNodes(model.itemReading({ contribution_id: itemId, ...item }), "p", cls);
  const groups = item.point_id ? item.group_ids || [] : [item.group_id].filter(Boolean);
  if (groups.length && !model.extra().anonymous) {
    const names = groups.map((gid) => groupLabel(gid, session)).join(" · ");
    nodes.push(h("p", { class: "pl-result__from", text: t(item.point_id ? "point_raised_by" : "from_group", { group: names, groups: names }) }));
  }
  return nodes;
}

// An open ballot whose results are not shown: the room sees that it is open, what is on it and
// how many have voted (live: ballot.turnout), never a result.
function renderVoteOpen(ballot) {
  const wrap = h("section", { class: "pl-ballot pl-ballot--voting" });
  const open = ballot.status === "open";
  const voters = turnout.get(ballot.id) || 0;
  wrap.append(h("div", { class: "pl-vote-open" },
    h("p", { class: "pl-vote-open__status" + (open ? " pl-ballot__status--open" : "") }, icon(open ? "●" : "■"),
      h("span", { text: open ? t("vote_open_now") : t("ballot_closed") })),
    h("p", { class: "pl-vote-open__count", "data-voters": String(voters) },
      h("span", { class: "pl-vote-open__n", text: formatNumber(voters) }), h("span", { class: "pl-vote-open__label", text: t("have_voted") })),
    h("p", { class: "pl-vote-open__how", text: t("vote_open_how") })));
  const list = h("ol", { class: "pl-results pl-vote-items" });
  for (const item of ballot.items || []) {
    const itemId = item.point_id || item.contribution_id;
    list.append(h("li", { class: "pl-vote-item", "data-item": itemId },
      h("div", { class: "pl-result__head" }, ...ballotItemNodes(item, itemId, "pl-result__text"))));
  }
  wrap.append(list);
  els.stage.replaceChildren(wrap);
  return { layouts: [paginate(list)] };
}

function renderEmpty() {
  els.stage.replaceChildren(h("p", { class: "pl-stage__empty", text: t("session_none") }));
  return { layouts: [] };
}

// ----- the footer: where we are -------------------------------------------------------------------

function renderFooter(view, views) {
  const session = answersSession();
  const current = currentSession();
  const items = [];
  const questions = (session && session.questions) || [];
  const currentQ = view && (view.type === "answers" || view.type === "synthesis") ? view.qid : null;
  const qItem = (label, qid) => {
    const li = h("li", { class: "pl-progress__q" }, h("span", { text: label }));
    if (qid === currentQ) {
      li.setAttribute("aria-current", "step");
      li.append(h("span", { class: "pl-progress__view", text: view.type === "synthesis" ? t("view_synthesis") : t("view_answers") }));
    }
    return li;
  };
  questions.forEach((q, i) => items.push(qItem(formatNumber(i + 1), q.id)));
  if (views.some((v) => v.type === "session")) {
    const li = h("li", { class: "pl-progress__q" }, icon("⇉", true));
    if (view && view.type === "session") li.setAttribute("aria-current", "step");
    items.push(li);
  }
  // during a general discussion: the questions of the plenary's own board that have notes
  const board = views.filter((v) => v.board);
  if (board.length && current) {
    const g = model.group((current.groups || [])[0]);
    items.push(h("li", { class: "pl-progress__sep", text: g ? model.text(g.name) : "" }));
    for (const v of board) {
      const found = model.questionById(v.qid);
      if (found) items.push(qItem(formatNumber(found.index + 1), v.qid));
    }
  }
  els.progress.replaceChildren(...items);
  els.progress.setAttribute("aria-label", session ? model.text(session.title) : "");
  setText(els.page, nav.pages > 1 ? t("page_of", { n: formatNumber(nav.page + 1), total: formatNumber(nav.pages) }) : "");
  let paused = "";
  if (view && view.reason === "spotlight") paused = t("paused_spotlight");
  else if (view && view.reason === "ballot") paused = t((model.ballotById(view.id) || {}).revealed ? "paused_ballot" : "paused_vote_open");
  else if (nav.paused || ROTATE === 0) paused = t("paused_key");
  setText(els.paused, paused);
  els.paused.hidden = !paused;
  els.paused.dataset.reason = view && view.reason ? view.reason : "paused";
}

// When the cards show the icons of agreement without their words, the footer says what they mean.
function renderLegend(show) {
  els.legend.hidden = !show;
  if (!show) { els.legend.replaceChildren(); return; }
  const entries = Object.entries(AGREEMENT_ICON).map(([code, glyph]) =>
    h("li", { class: "pl-legend__item", "data-agreement": code }, icon(glyph), h("span", { text: t(`agreement_${code}`) })));
  entries.push(h("li", { class: "pl-legend__item pl-legend__item--unique" }, icon("◌"), h("span", { text: t("card_unique") })));
  els.legend.replaceChildren(...entries);
}

// ----- render everything ---------------------------------------------------------------------------

// While the chair holds the screen still (plenary.freeze) it keeps what it shows: events are
// still applied to the model, and shown all at once when the chair lets it move again.
let drawn = false;
function renderFrozen() {
  const frozen = model.plenaryFrozen();
  els.app.dataset.frozen = String(frozen);
  setText(els.frozen, frozen ? t("plenary_frozen") : ""); // a live region: the change is read out
  return frozen && drawn;
}

function render() {
  if (!client.meeting) return;
  if (renderFrozen()) return;
  drawn = true;
  setText(els.meetingTitle, model.text(model.meeting().title));
  const { view, views } = currentView();
  const key = viewKey(view);
  if (key !== nav.key) {
    // a new view: start on its first page (or the one with the item in focus)
    if (nav.page !== Number.MAX_SAFE_INTEGER) nav.page = 0;
    nav.key = key;
    nav.shownAt = Date.now();
  }
  els.app.dataset.view = view ? view.type : "none";
  renderBar(view);
  renderJoin();
  renderTimer();
  fitBar();
  let result;
  if (!view) result = renderEmpty();
  else if (view.type === "answers") result = renderAnswers(view);
  else if (view.type === "synthesis") result = renderSynthesis(view);
  else if (view.type === "session") result = renderSession(view);
  else result = renderBallot(view);
  const layouts = result.layouts || [];
  nav.pages = Math.max(1, ...layouts.map((l) => l.count));
  if (view && view.focus) {
    // stay on the page that holds the item in focus
    for (const l of layouts) {
      const i = l.items.findIndex((item) => item.id === `pc-${view.focus}` || item.id === `pp-${view.focus}`
        || item.matches(".pl-diverging--focus") || Boolean(item.querySelector(".pl-diverging--focus")));
      if (i >= 0) { nav.page = l.pages[i]; break; }
    }
  }
  nav.page = Math.min(nav.page, nav.pages - 1);
  showPage(layouts, nav.page);
  for (const l of layouts) {
    if (!l.more) continue;
    const onPage = l.pages.some((p) => p === nav.page);
    l.more.hidden = !(nav.page > 0 && onPage && l.pages[0] !== nav.page);
    // a column whose items all sit on earlier pages shows nothing more on this one
  }
  renderLegend(Boolean(result.legend));
  renderFooter(view, views);
  els.app.setAttribute("aria-busy", "false");
}

// ----- the connection marker: discreet when all is well ---------------------------------------------

function renderStatus(status) {
  showStatus(els.status, status, { online: "", syncing: "syncing_marker", offline: "offline_marker" });
}

// ----- wiring -----------------------------------------------------------------------------------------

function noteContributions(initial) {
  const now = Date.now();
  for (const c of client.contributions.values()) {
    const s = seen.get(c.id);
    if (!s) seen.set(c.id, { version: c.version, at: initial ? 0 : now });
    else if (s.version !== c.version) seen.set(c.id, { version: c.version, at: c.deleted ? s.at : now });
  }
}

client.on("change", (info) => {
  if (info && info.reason === "state") {
    noteContributions(!loaded);
    const shown = model.ballots().filter((b) => b.revealed || b.status === "open");
    if (!loaded && shown.length) pinnedBallotId = shown[shown.length - 1].id;
    for (const [id, n] of Object.entries(model.extra().turnout || {})) turnout.set(id, n);
    loaded = true;
    refreshLive();
  } else {
    noteContributions(false);
  }
  scheduleRender();
});

client.on("event", (ev) => {
  model.applyEvent(ev);
  switch (ev.type) {
    case "ballot.revealed": {
      const revealed = ev.revealed !== false;
      if (revealed) { pinnedBallotId = ev.ballot_id; fetchBallot(ev.ballot_id); }
      // hidden again while open: the screen goes back to saying the vote is open, and its count
      else if (pinnedBallotId === ev.ballot_id && (model.ballotById(ev.ballot_id) || {}).status !== "open") pinnedBallotId = null;
      break;
    }
    case "synthesis.updated": if (ev.synthesis) synthesis = ev.synthesis; break;
    case "ballot.results": if (ev.results) ballotResults.set(ev.ballot_id, ev.results); break;
    case "ballot.opened": if (ev.ballot) pinnedBallotId = ev.ballot.id; break; // a new vote takes the screen
    case "ballot.turnout": turnout.set(ev.ballot_id, ev.voters || 0); break;
    case "session.changed": nav.index = 0; nav.page = 0; break;
    default: break;
  }
  // the "New" marks fade by themselves
  if (ev.type && ev.type.startsWith("contribution.")) setTimeout(scheduleRender, NEW_MS + 50);
  scheduleRender();
});

client.on("status", (status) => {
  renderStatus(status);
  // live views are not replayed by sync: fetch them again after a reconnection
  if (status === "online" && loaded) refreshLive();
});
client.on("load_failed", () => renderStatus("offline"));

document.addEventListener("keydown", (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey || e.target.closest("a, button, input, select, textarea")) return;
  const rtl = document.documentElement.dir === "rtl";
  if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
    e.preventDefault();
    step((e.key === "ArrowRight") !== rtl ? 1 : -1);
  } else if (e.key === "PageDown") { e.preventDefault(); step(1); }
  else if (e.key === "PageUp") { e.preventDefault(); step(-1); }
  else if (e.key === " ") {
    e.preventDefault();
    nav.paused = !nav.paused;
    nav.shownAt = Date.now();
    render();
  }
});

// the screen changes size (projector plugged in): pages are measured again
window.addEventListener("resize", scheduleRender);

setInterval(() => {
  renderTimer();
  if (!client.meeting || ROTATE === 0 || nav.paused || model.plenaryFrozen()) return;
  const { view } = currentView();
  if (view && view.reason === "spotlight" && nav.pages < 2) return; // a spotlight's own pages turn
  if (Date.now() - nav.shownAt >= ROTATE * 1000) step(1);
}, 500);

renderStatus(client.status);
document.documentElement.classList.add("plenary-screen");
client.start();

// for tests and debugging in the console
window.facilitatorPlenary = {
  client, nav, step, render, views: () => rotationViews(), get synthesis() { return synthesis; }, lang: uiLang,
};
