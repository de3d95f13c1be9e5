// The chair's console: run the sessions, the boards, the timer and the plenary screen; curate
// the synthesis; open, close and reveal ballots; choose and word what goes to the
// co-facilitators; download the report.
//
// Every change is an op sent through MeetingClient (op_id, outbox, retry, catch-up); a refused op
// is reported in a toast with its reason. The console is rebuilt from the model on every change;
// what the chair is typing survives (drafts and focus are kept by element id).
// Every user text goes in with textContent; nothing is built from HTML strings.

import { MeetingClient, orderKey } from "./client.js";
import { boot, t, lang as uiLang, formatNumber, formatDuration, languageName } from "./i18n.js";
import { h, setText, icon, userText, replaceIfChanged } from "./dom.js";
import { MeetingModel, laterSynthesis, questionSynthesis, sessionSynthesis } from "./model.js";
import { mountLinks } from "./links.js";
import { guessLanguage, languageFollowsText } from "./lang.js";
import { kindIcon, agreementIcon, iconLabel, showStatus, announcer, renderScheduler, toast as showToast, regionRateText, readingNodes, signOffBadge } from "./ui.js";
import { Curation, PairQueue, historyList, confirmFirst, questionChoices } from "./curation.js";
import { VersionedDrafts, titleVersion, wordingVersion } from "./versions.js";

const POINTING = new Set(["⇱", "⇲"]); // diagonal arrows towards a corner: mirrored in right-to-left
const REPORT_FORMATS = [
  ["docx", "report_docx"], ["html", "report_html"], ["md", "report_md"], ["csv", "report_csv"], ["json", "report_json"],
];

const client = new MeetingClient({ meetingId: boot.meeting_id, page: "chair" });
const model = new MeetingModel(client);
const $ = (id) => document.getElementById(id);
const els = {
  app: $("app"), meetingTitle: $("meeting-title"), now: $("ch-now"), synthesis: $("ch-synthesis"),
  sessions: $("ch-sessions"), boards: $("ch-boards"), ballots: $("ch-ballots"), outcome: $("ch-outcome"),
  report: $("ch-report"), status: $("conn-status"), toasts: $("toasts"), announcer: $("announcer"),
  curation: $("ch-curation"), queue: $("ch-queue"), history: $("ch-history"),
};
const announce = announcer(els.announcer);
const scheduleRender = renderScheduler(render);

// ----- small DOM helpers ------------------------------------------------------------------------

// Ballots are numbered b1, b2...: show the number, in the page's digits.
function ballotNumber(id) {
  const m = /^b(\d+)$/.exec(String(id));
  return m ? formatNumber(Number(m[1])) : id;
}

function button(label, onclick, { cls = "", glyph = null, pressed = null, disabled = false, data = {}, describedby = null, title = null } = {}) {
  const el = h("button", { type: "button", class: `button button--small ${cls}`.trim(), onclick, disabled,
    "aria-pressed": pressed == null ? null : String(Boolean(pressed)), "aria-describedby": describedby, title });
  for (const [k, v] of Object.entries(data)) el.dataset[k] = v;
  if (glyph) el.append(icon(glyph, POINTING.has(glyph)));
  el.append(h("span", { text: label }));
  return el;
}

function section(container, titleKey, ...children) {
  const id = `${container.id}-title`;
  replaceIfChanged(container, [h("h2", { class: "ch-panel__title", id, text: t(titleKey) }), ...children.filter(Boolean)]);
}

// ----- drafts and focus survive re-rendering ------------------------------------------------------

const drafts = new Map(); // element id -> value the chair is typing
document.addEventListener("input", (e) => {
  const el = e.target;
  if (el.id && el.closest("#app") && el.type !== "checkbox" && el.type !== "radio") drafts.set(el.id, el.value);
});

function draft(id, fallback) { return drafts.has(id) ? drafts.get(id) : fallback; }

// Wordings and titles carry the version their draft started from (two chair tabs: issue 20).
const versioned = new VersionedDrafts({ send: (op, doneKey) => send(op, doneKey), drafts, render: () => scheduleRender() });

function field(id, labelText, control, hint = null) {
  control.id = id;
  const wrap = h("div", { class: "field" }, h("label", { for: id, text: labelText }), control);
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute("aria-describedby", hintId);
    wrap.append(h("span", { class: "hint", id: hintId, text: hint }));
  }
  return wrap;
}

// ----- the model ---------------------------------------------------------------------------------

let synthesis = null;
const ballotResults = new Map();
const selected = new Set(); // contribution ids chosen for the next ballot
const selectedPoints = new Map(); // point id -> its label: converging points chosen for the next ballot
// previousSession: the session the last session.changed left, for going back to it.
const ui = { question: null, followSession: true, reportLang: uiLang, synthSession: null, previousSession: null };

// The session whose answers the synthesis panel shows: the one the chair picked, else the one
// the current session reviews (model.answersSession).
function synthesisSession() {
  const picked = ui.synthSession && model.sessionById(ui.synthSession);
  return picked || model.answersSession();
}
const synthQuestion = (qid) => questionSynthesis(synthesis, qid);
const synthSession = (sid) => sessionSynthesis(synthesis, sid);
const live = (id) => model.liveContribution(id);
const groupName = (gid) => model.groupName(gid);
function clusterById(cid) {
  if (!synthesis) return null;
  for (const q of synthesis.questions || []) for (const cl of q.converging || []) if (cl.id === cid) return cl;
  for (const s of synthesis.sessions || []) for (const cl of s.converging || []) if (cl.id === cid) return cl;
  return null;
}
function clusterLabel(cl, cid) {
  const curation = model.extra().curation;
  // in the console's language when the point has a title in it (model.clusterTitle)
  const title = model.clusterTitle(cid, (cl && cl.title) || (curation && curation.titles || {})[cid]);
  if (title) return title.text;
  // else a readable sentence: what its most central member says (issue 18), never its stems
  const headline = cl && model.pointHeadline(cl);
  if (headline) return headline.text;
  const anchor = live(cid.replace(/^[cs]-/, ""));
  return anchor ? anchor.text : cid;
}

// ----- sending ops --------------------------------------------------------------------------------

function errorText(error) {
  const known = ["forbidden", "invalid", "too_long", "not_found", "conflict", "locked", "closed", "rate_limited", "unauthorized", "curation_full"];
  const text = t(`error_${known.includes(error.code) ? error.code : "invalid"}`, { max: formatNumber(boot.limits.text) });
  return error.message ? `${text} (${error.message})` : text;
}

function send(op, doneKey = null) {
  return client.send(op).then((ack) => {
    if (ack && ack.ok && doneKey) announce(t(doneKey));
    return ack;
  });
}

function toast(message, { error = false } = {}) {
  showToast(els.toasts, message, { error, max: 4, lifetime: error ? 20000 : 8000 });
}

// ----- live views the socket does not replay ---------------------------------------------------------

async function refreshLive() {
  try { synthesis = laterSynthesis(synthesis, await model.fetchSynthesis()); } catch (err) { console.warn(err); }
  for (const b of model.ballots()) {
    try { ballotResults.set(b.id, await model.fetchBallotResults(b.id)); } catch (err) { console.warn(err); }
  }
  scheduleRender();
}

// ----- badges ---------------------------------------------------------------------------------------

function kindBadge(kind) {
  return iconLabel({ class: "badge badge--kind ch-kind", "data-kind": kind }, kindIcon(kind), t(`kind_${kind}`));
}
function agreementBadge(agreement) {
  return iconLabel({ class: "badge badge--agreement", "data-agreement": agreement }, agreementIcon(agreement), t(`agreement_${agreement}`));
}

// ----- the strip: session, timer, boards, plenary ---------------------------------------------------

function timerText() {
  const timer = client.timer;
  if (!timer) return t("timer_off");
  const left = Math.max(0, Math.round(timer.ends_at - client.now()));
  if (!left) return t("timer_over");
  return formatDuration(left);
}

function spotlightText() {
  const spot = model.extra().spotlight;
  if (!spot) return t("spotlight_none");
  if (spot.contribution_id) {
    const c = client.contributions.get(spot.contribution_id);
    return c ? c.text : spot.contribution_id;
  }
  return clusterLabel(clusterById(spot.cluster_id), spot.cluster_id);
}

// Hold the plenary screen still while the chair speaks to it (plenary.freeze), and let it go.
function freezeControl() {
  const frozen = model.plenaryFrozen();
  return h("div", { class: "ch-freeze" },
    h("p", { class: "ch-state " + (frozen ? "ch-state--locked" : "ch-state--open") },
      icon(frozen ? "❚❚" : "▶"), h("span", { text: t(frozen ? "plenary_frozen_state" : "plenary_live_state") })),
    button(t(frozen ? "release_plenary" : "freeze_plenary"), () => send({ type: "plenary.freeze", frozen: !frozen }, frozen ? "done_unfrozen" : "done_frozen"),
      { glyph: "❚❚", pressed: frozen, data: { action: "freeze" } }));
}

function renderNow() {
  const session = model.currentSession();
  const allLocked = Boolean(client.locks.all);
  const minutes = h("input", { type: "number", min: "1", max: "360", step: "1", inputmode: "numeric", value: draft("ch-minutes", "20"), class: "ch-minutes" });
  const timerBox = h("div", { class: "ch-card ch-card--timer" },
    h("h3", { class: "ch-card__title", text: t("timer_title") }),
    h("p", { class: "ch-timer" + (client.timer ? " ch-timer--on" : ""), id: "ch-timer", role: "timer", text: timerText() }),
    h("form", { class: "ch-inline", onsubmit: (e) => {
      e.preventDefault();
      const n = Number(minutes.value);
      if (!Number.isFinite(n) || n <= 0 || n > 360) { minutes.setAttribute("aria-invalid", "true"); minutes.focus(); return; }
      drafts.delete("ch-minutes");
      send({ type: "timer.start", seconds: Math.round(n * 60) }, "done_timer");
    } },
      field("ch-minutes", t("timer_minutes"), minutes),
      h("button", { type: "submit", class: "button button--small button--primary", "data-action": "timer-start" }, icon("▶"), h("span", { text: t("timer_start") })),
      button(t("timer_stop"), () => send({ type: "timer.stop" }, "done_timer_stop"), { glyph: "■", disabled: !client.timer, data: { action: "timer-stop" } })));

  const boardsBox = h("div", { class: "ch-card" },
    h("h3", { class: "ch-card__title", text: t("boards_title") }),
    h("p", { class: "ch-state" + (allLocked ? " ch-state--locked" : " ch-state--open") },
      icon(allLocked ? "🔒" : "✎"), h("span", { text: allLocked ? t("all_locked") : t("boards_open") })),
    h("div", { class: "ch-inline" },
      button(t("lock_all"), () => send({ type: "board.lock", group_id: "all", locked: true }, "done_lock"), { glyph: "🔒", disabled: allLocked, data: { action: "lock-all" } }),
      button(t("unlock_all"), () => send({ type: "board.lock", group_id: "all", locked: false }, "done_unlock"), { glyph: "✎", data: { action: "unlock-all" } })));

  const anon = h("input", { type: "checkbox", checked: Boolean(model.extra().anonymous), onchange: (e) => send({ type: "meeting.set_anonymous", anonymous: e.target.checked }, "done_saved") });
  anon.id = "ch-anonymous";
  const suggestions = h("input", { type: "checkbox", checked: Boolean((model.extra().curation || {}).show_suggestions),
    onchange: (e) => send({ type: "plenary.show_suggestions", shown: e.target.checked }, "done_saved") });
  suggestions.id = "ch-show-suggestions";
  const spot = model.extra().spotlight;
  const plenaryBox = h("div", { class: "ch-card" },
    h("h3", { class: "ch-card__title", text: t("plenary_title") }),
    h("div", { class: "ch-check" }, anon, h("label", { for: "ch-anonymous", text: t("anonymous_label") })),
    h("div", { class: "ch-check" }, suggestions, h("label", { for: "ch-show-suggestions", text: t("show_suggestions_label") })),
    h("p", { class: "ch-spot" }, h("span", { class: "ch-spot__label", text: t("spotlight_label") }), " ",
      spot ? userText("span", "ch-spot__text", spotlightText(), null) : h("span", { class: "ch-muted", text: t("spotlight_none") })),
    spot ? button(t("spotlight_clear"), () => send({ type: "spotlight.set" }, "done_saved"), { glyph: "✕", data: { action: "spotlight-clear" } }) : null,
    freezeControl());

  const sessionBox = h("div", { class: "ch-card ch-card--session" },
    h("h3", { class: "ch-card__title", text: t("current_session") }),
    h("p", { class: "ch-current", text: session ? model.text(session.title) : t("no_session") }),
    h("p", { class: "ch-muted", text: t("participants_n", { n: formatNumber(model.extra().participants || 0) }) }));

  replaceIfChanged(els.now, [sessionBox, timerBox, boardsBox, plenaryBox]);
}

// ----- sessions and boards ------------------------------------------------------------------------------

function renderSessions() {
  const list = h("ol", { class: "ch-sessions" });
  for (const s of model.sessions()) {
    const current = s.id === client.sessionId;
    const li = h("li", { class: "ch-session" + (current ? " ch-session--current" : ""), "aria-current": current ? "step" : null });
    const info = h("div", { class: "ch-session__info" },
      h("p", { class: "ch-session__title", text: model.text(s.title) }),
      h("p", { class: "ch-muted", text: t("session_counts", {
        q: formatNumber((s.questions || []).length), g: formatNumber((s.groups || []).length) }) }));
    li.append(info);
    if (current) li.append(iconLabel({ class: "ch-flag ch-flag--current" }, icon("▶", true), t("current")));
    else li.append(button(t("make_current"), () => send({ type: "session.set", session_id: s.id }, "done_session"), {
      cls: "button--primary", data: { action: "session-set", session: s.id } }));
    list.append(li);
  }
  section(els.sessions, "sessions_title", sessionBack(), list);
}

// "Make current" moves every screen at once: the session it left stays one click away.
function sessionBack() {
  const previous = ui.previousSession && ui.previousSession !== client.sessionId && model.sessionById(ui.previousSession);
  const current = model.currentSession();
  if (!previous || !current) return null;
  return h("div", { class: "ch-note ch-session-back", role: "status" },
    h("p", { class: "ch-session-back__text", text: t("session_moved", { session: model.text(current.title) }) }),
    button(t("session_back", { session: model.text(previous.title) }),
      () => send({ type: "session.set", session_id: previous.id }, "done_session"),
      { glyph: "↶", data: { action: "session-back", session: previous.id } }));
}

// Which questions a group has signed off, and which sign-offs went stale since.
function signOffList(session, gid) {
  const ul = h("ul", { class: "ch-signoffs", "data-group": gid, "aria-label": t("sign_offs_of", { group: groupName(gid) }) });
  (session.questions || []).forEach((q, i) => {
    const signOff = model.signOff(gid, q.id);
    ul.append(h("li", { class: "ch-signoff", "data-question": q.id, "data-signoff": signOff ? (signOff.stale ? "stale" : "signed") : "none" },
      h("span", { class: "ch-signoff__q", text: t("question_n", { n: formatNumber(i + 1) }) }), " ", signOffBadge(signOff)));
  });
  return ul;
}

function renderBoards() {
  const session = model.currentSession();
  const groups = (session && session.groups) || [];
  const allLocked = Boolean(client.locks.all);
  const list = h("ul", { class: "ch-boards" });
  const view = client.view();
  for (const gid of groups) {
    const locked = client.isLocked(gid);
    const people = client.presence[gid] || [];
    const count = (session.questions || []).reduce((n, q) => n + MeetingClient.listOf(view, gid, q.id).length, 0);
    const li = h("li", { class: "ch-board" + (locked ? " ch-board--locked" : "") });
    const who = h("p", { class: "ch-board__people" + (people.length ? " ch-board__people--on" : "") },
      icon(people.length ? "●" : "○"),
      h("span", { text: people.length
        ? t("presence_n", { n: formatNumber(people.length), names: people.map((p) => p.name || t("presence_anonymous")).join(", ") })
        : t("presence_none") }));
    li.append(h("div", { class: "ch-board__info" },
      h("p", { class: "ch-board__name", text: groupName(gid) }), who,
      h("p", { class: "ch-muted", text: t("items_n", { n: formatNumber(count) }) })));
    li.append(signOffList(session, gid));
    li.append(h("p", { class: "ch-state " + (locked ? "ch-state--locked" : "ch-state--open") },
      icon(locked ? "🔒" : "✎"), h("span", { text: locked ? t("locked") : t("open") })));
    li.append(button(locked && !allLocked ? t("unlock") : t("lock"),
      () => send({ type: "board.lock", group_id: gid, locked: !locked }, locked ? "done_unlock" : "done_lock"),
      { disabled: allLocked, data: { action: "lock", group: gid }, glyph: locked ? "✎" : "🔒",
        title: allLocked ? t("all_locked_hint") : null }));
    list.append(li);
  }
  const children = [list];
  if (!groups.length) children.unshift(h("p", { class: "ch-muted", text: t("no_session") }));
  if (allLocked) children.unshift(h("p", { class: "ch-note", text: t("all_locked_hint") }));
  section(els.boards, "boards_title", ...children);
}

// ----- synthesis and curation ------------------------------------------------------------------------

const forwardedFlag = () => iconLabel({ class: "ch-flag ch-flag--forwarded" }, icon("✉"), t("forwarded"));
const onPlenaryFlag = () => iconLabel({ class: "ch-flag ch-flag--spot" }, icon("◉"), t("on_plenary"));
function isForwarded(ref) { return Boolean(((model.extra().outcome || {}).marked || {})[ref]); }
function spotlit(kind, id) { const s = model.extra().spotlight; return Boolean(s && s[kind] === id); }

function contributionRow(c, { clusterId = null, session = null, showGroup = true } = {}) {
  const ref = `contribution:${c.id}`;
  const li = h("li", { class: "ch-item", "data-kind": c.kind, "data-contribution": c.id });
  const meta = h("p", { class: "ch-item__meta" });
  if (showGroup) meta.append(h("span", { class: "ch-item__group", text: groupName(c.group_id) }));
  meta.append(kindBadge(c.kind), agreementBadge(c.agreement));
  if (isForwarded(ref)) meta.append(forwardedFlag());
  if (spotlit("contribution_id", c.id)) meta.append(onPlenaryFlag());
  li.append(meta, ...readingNodes(model.reading(c), "p", "ch-item__text"));
  const actions = h("div", { class: "ch-actions", role: "group", "aria-label": t("actions_for_item") });
  const on = spotlit("contribution_id", c.id);
  actions.append(button(on ? t("spotlight_off") : t("spotlight"),
    () => send(on ? { type: "spotlight.set" } : { type: "spotlight.set", contribution_id: c.id }, "done_saved"),
    { glyph: "◉", pressed: on, data: { action: "spotlight" } }));
  const fwd = isForwarded(ref);
  actions.append(button(fwd ? t("unforward") : t("forward"),
    () => send({ type: "outcome.mark", contribution_id: c.id, marked: !fwd }, "done_saved"),
    { glyph: "✉", pressed: fwd, data: { action: "forward" } }));
  const boxId = `sel-${c.id}-${clusterId || "x"}`;
  const box = h("input", { type: "checkbox", checked: selected.has(c.id), onchange: (e) => {
    if (e.target.checked) selected.add(c.id); else selected.delete(c.id);
    scheduleRender();
  } });
  box.id = boxId;
  actions.append(h("span", { class: "ch-check ch-check--small" }, box, h("label", { for: boxId, text: t("select_ballot") })));
  if (clusterId) {
    actions.append(button(t("detach"), async () => {
      if (await confirmFirst(t("ask_detach", { text: c.text.slice(0, 80) }), t("detach"))) {
        // a note in several points leaves this one only
        const only = curation.pointsOf(c.id).length > 1 && curation.pointsOf(c.id).includes(clusterId);
        send({ type: "cluster.detach", contribution_id: c.id, ...(only ? { point_id: clusterId } : {}) }, "done_saved");
      }
    }, { glyph: "⇱", data: { action: "detach" } }));
  }
  li.append(actions);
  return li;
}

// `members`: a suggested point's contributions as the console shows them, which join the point
// merged into (the engine's point may have changed since).
function mergeForm(sourceId, targets, labelKey, members = null) {
  if (!targets.length) return null;
  const id = `merge-${sourceId}`;
  const sel = h("select", {});
  for (const tgt of targets) sel.append(h("option", { value: tgt.id, dir: "auto", text: tgt.label }));
  if (drafts.has(id)) sel.value = drafts.get(id);
  sel.addEventListener("change", () => drafts.set(id, sel.value));
  return h("form", { class: "ch-inline", onsubmit: async (e) => {
    e.preventDefault();
    const into = sel.value;
    const label = (targets.find((tgt) => tgt.id === into) || {}).label || into;
    if (!(await confirmFirst(t("ask_merge", { into: label }), t("merge")))) return;
    drafts.delete(id);
    send({ type: "cluster.merge", cluster_id: sourceId, into, ...(members ? { contribution_ids: members } : {}) }, "done_merged");
  } }, field(id, t(labelKey), sel), h("button", { type: "submit", class: "button button--small" }, icon("⇲", true), h("span", { text: t("merge") })));
}

function pointCard(cl, n, session, all) {
  const ref = `cluster:${cl.id}`;
  const art = h("article", { class: "ch-point", "data-cluster": cl.id, "aria-labelledby": `pt-${cl.id}` });
  const label = clusterLabel(cl, cl.id);
  art.append(h("header", { class: "ch-point__head" },
    h("span", { class: "ch-num", "aria-hidden": "true", text: formatNumber(n) }),
    h("h4", { class: "ch-point__title", id: `pt-${cl.id}` },
      h("span", { class: "visually-hidden", text: `${t("point_n", { n: formatNumber(n) })}: ` }),
      userText("span", cl.title ? "" : "ch-point__central", label, null)),
    h("p", { class: "ch-point__raised", text: t("raised_by", { k: formatNumber(cl.raised_by), m: formatNumber(cl.of) }) })));
  const chips = h("ul", { class: "ch-chips" });
  for (const gid of cl.groups || []) chips.append(h("li", { class: "ch-chip", text: groupName(gid) }));
  art.append(chips);
  // the stems are the groups' words, in their languages: their own direction
  if (cl.terms && cl.terms.length) art.append(h("p", { class: "ch-muted" }, t("shared_terms"), " ", userText("span", "", cl.terms.join(" · "), null)));
  const flags = h("p", { class: "ch-point__flags" });
  if (isForwarded(ref)) flags.append(forwardedFlag());
  if (spotlit("cluster_id", cl.id)) flags.append(onPlenaryFlag());
  flags.append(pointStatus(cl));
  art.append(flags);

  const members = (cl.contributions || []).map(live).filter(Boolean);
  // points within one question can be curated (the engine's c-, the people's p-); those across
  // questions cannot
  const canCurate = cl.id.startsWith("c-") || cl.id.startsWith("p-");
  art.append(pointActions(cl, members, canCurate), whyGrouped(cl, members));
  if (canCurate) art.append(pointCuration(cl, all));
  const ul = h("ul", { class: "ch-items" });
  for (const c of members) ul.append(contributionRow(c, { clusterId: canCurate ? cl.id : null, session }));
  art.append(h("details", { class: "ch-point__members", open: true },
    h("summary", { text: t("members_n", { n: formatNumber(members.length) }) }), ul));
  return art;
}

// Spotlight, forward, select for a ballot, confirm or reject a converging point.
function pointActions(cl, members, canCurate) {
  const ref = `cluster:${cl.id}`;
  const on = spotlit("cluster_id", cl.id);
  const fwd = isForwarded(ref);
  return h("div", { class: "ch-actions", role: "group", "aria-label": t("actions_for_point") },
    button(on ? t("spotlight_off") : t("spotlight"),
      () => send(on ? { type: "spotlight.set" } : { type: "spotlight.set", cluster_id: cl.id }, "done_saved"),
      { glyph: "◉", pressed: on, data: { action: "spotlight-cluster" } }),
    canCurate ? button(fwd ? t("unforward") : t("forward"),
      () => send({ type: "outcome.mark", cluster_id: cl.id, marked: !fwd }, "done_saved"),
      { glyph: "✉", pressed: fwd, data: { action: "forward-cluster" } }) : null,
    button(t("select_members"), () => { for (const c of members) selected.add(c.id); scheduleRender(); },
      { glyph: "☑", data: { action: "select-members" } }),
    canCurate ? button(t("select_point"), () => selectPoint(cl), { glyph: "☑", pressed: selectedPoints.has(cl.id), data: { action: "select-point" } }) : null,
    canCurate && cl.status !== "confirmed" ? button(t("confirm_point"),
      () => send({ type: "cluster.confirm", cluster_id: cl.id, contribution_ids: cl.contributions }, "done_saved"),
      { glyph: "✓", data: { action: "confirm-point" } }) : null,
    canCurate ? button(t("reject_point"), async () => {
      if (await confirmFirst(t("cur_ask_reject", { n: formatNumber(cl.contributions.length) }), t("reject_point"))) {
        send({ type: "cluster.reject", cluster_id: cl.id, contribution_ids: cl.contributions }, "done_saved");
      }
    }, { glyph: "✕", data: { action: "reject-point" } }) : null);
}

// The point itself on the next ballot, shown by its title or wording. A point the engine only
// suggested is made a point first, as "Confirm" does: voting on it is a person's word that it is
// one point. It keeps the suggestion's id (a suggested c- id becomes the point's), so the title
// and forward given to the suggestion stay with it.
function selectPoint(cl) {
  if (selectedPoints.has(cl.id)) { selectedPoints.delete(cl.id); scheduleRender(); return; }
  const label = clusterLabel(cl, cl.id);
  if (cl.status === "confirmed") { selectedPoints.set(cl.id, label); scheduleRender(); return; }
  send({ type: "cluster.confirm", cluster_id: cl.id, contribution_ids: cl.contributions }, "done_saved").then((ack) => {
    if (ack && ack.ok) { selectedPoints.set(cl.id, label); scheduleRender(); }
  });
}

// The chair's title for a point, and merging it into another point of the list `all`.
function pointCuration(cl, all) {
  const titleId = `title-${cl.id}`;
  // the title every language shows, or the one of a language (cluster.title with lang)
  const langId = `title-lang-${cl.id}`;
  const langSel = h("select", { onchange: () => { drafts.delete(titleId); scheduleRender(); } },
    h("option", { value: "", text: t("title_every_language") }),
    ...(model.meeting().languages || []).map((code) => h("option", { value: code, lang: code, text: languageName(code) })));
  langSel.value = draft(langId, "");
  const lang = langSel.value;
  const byLang = ((model.extra().curation || {}).titles_by_lang || {})[cl.id] || {};
  const input = h("input", { type: "text", maxlength: "200", dir: "auto", lang: lang || null,
    value: draft(titleId, lang ? byLang[lang] || "" : cl.title || "") });
  const version = titleVersion(model.extra().curation, cl.id, lang);
  versioned.watch(input, titleId, version);
  const titleForm = h("form", { class: "ch-inline ch-point__title-form", onsubmit: (e) => {
    e.preventDefault();
    const mine = { text: input.value.trim(), lang: lang || null };
    versioned.send(titleId, { type: "cluster.title", cluster_id: cl.id, title: mine.text, ...(lang ? { lang } : {}) },
      mine, "done_saved", version);
  } }, field(langId, t("point_title_lang"), langSel), field(titleId, t("point_title"), input),
    h("button", { type: "submit", class: "button button--small" }, h("span", { text: t("save") })));
  const targets = all.filter((o) => o.id !== cl.id).map((o) => ({ id: o.id, label: `${formatNumber(all.indexOf(o) + 1)}. ${clusterLabel(o, o.id)}` }));
  const members = cl.status === "confirmed" ? null : cl.contributions;
  return h("div", { class: "ch-point__curate" }, titleForm, versioned.offer(titleId, "title_conflict", (c) => c.title),
    mergeForm(cl.id, targets, "merge_into", members));
}

// The engine's view beside the chair's decision: confirmed, or suggested with its confidence,
// and whether the plenary shows it.
function pointStatus(cl) {
  const confidence = formatNumber(Math.round((cl.confidence ?? 1) * 100));
  // confirmed by a person: the chair, or the synthesis desk (issue 18)
  if (cl.status === "confirmed") return iconLabel({ class: "ch-flag ch-flag--confirmed" }, icon("✓"), t("cur_confirmed"));
  return h("span", { class: "ch-flag ch-flag--suggested" }, icon(cl.on_plenary ? "◐" : "○"),
    h("span", { text: t(cl.on_plenary ? "status_shown" : "status_held", { pct: confidence }) }));
}

// Why these contributions were grouped: each one's score with the others, and the words that
// carry the point in each language.
function whyGrouped(cl, members) {
  const ev = cl.evidence || {};
  const scores = h("ul", { class: "ch-why__scores" });
  for (const c of members) {
    const score = (ev.similarity || {})[c.id];
    scores.append(h("li", {},
      h("span", { class: "ch-why__group", text: groupName(c.group_id) }), " ",
      h("span", { class: "ch-why__score", text: t("similarity_n", { n: formatNumber(Math.round((score ?? 0) * 100) / 100) }) })));
  }
  const words = h("ul", { class: "ch-why__terms" });
  for (const [lang, list] of Object.entries(ev.terms || {})) {
    words.append(h("li", {}, h("bdi", { class: "ch-why__lang", lang, text: languageName(lang) }), ": ",
      userText("span", "ch-why__words", list.join(" · "), lang)));
  }
  return h("details", { class: "ch-point__why" }, h("summary", { text: t("why_grouped") }), scores, words);
}

function synthesisPicker(session) {
  const sel = h("select", { onchange: (e) => {
    ui.synthSession = e.target.value; ui.question = null; scheduleRender();
  } });
  for (const s of model.sessions()) {
    const mark = s.id === client.sessionId ? ` (${t("current")})` : "";
    sel.append(h("option", { value: s.id, text: model.text(s.title) + mark }));
  }
  if (session) sel.value = session.id;
  const hint = session && session.id !== client.sessionId ? t("synthesis_other_session") : null;
  return h("div", { class: "ch-synth-of" }, field("ch-synth-session", t("synthesis_of"), sel, hint));
}

// How many contributions the groups of `session` gave to question `qid`.
function answerCount(session, qid) {
  return (session.groups || []).reduce((n, gid) => n + MeetingClient.listOf(client.view(), gid, qid).length, 0);
}

function renderSynthesis() {
  const session = synthesisSession();
  const questions = (session && session.questions) || [];
  if (!questions.some((q) => q.id === ui.question)) ui.question = questions.length ? questions[0].id : null;
  const acrossQuestions = session && synthSession(session.id);
  const tabs = synthesisTabs(session, questions, acrossQuestions);
  if (ui.question === null && acrossQuestions && acrossQuestions.converging.length) ui.question = "*";
  const body = [];
  if (!session) body.push(h("p", { class: "ch-muted", text: t("no_session") }));
  if (ui.question === "*" && acrossQuestions) {
    body.push(h("p", { class: "ch-question", text: t("across_questions") }));
    const list = acrossQuestions.converging;
    list.forEach((cl, i) => body.push(pointCard(cl, i + 1, session, list)));
  } else if (ui.question) {
    body.push(...questionSynthesisView(session, ui.question));
  }
  section(els.synthesis, "synthesis_title", model.sessions().length > 1 ? synthesisPicker(session) : null, tabs, ...body);
}

// One tab per question (with its count of answers), and one for the points across questions.
function synthesisTabs(session, questions, acrossQuestions) {
  const tabs = h("div", { class: "ch-tabs", role: "group", "aria-label": t("questions_label") });
  questions.forEach((q, i) => {
    tabs.append(button(`${t("question_n", { n: formatNumber(i + 1) })} (${formatNumber(answerCount(session, q.id))})`,
      () => { ui.question = q.id; scheduleRender(); },
      { pressed: ui.question === q.id, cls: "ch-tab", data: { question: q.id } }));
  });
  if (acrossQuestions && (acrossQuestions.converging || []).length) {
    tabs.append(button(t("across_questions"), () => { ui.question = "*"; scheduleRender(); },
      { pressed: ui.question === "*", cls: "ch-tab" }));
  }
  return tabs;
}

const subtitle = (glyph, mirrored, key) =>
  h("h3", { class: "ch-subtitle" }, icon(glyph, mirrored), h("span", { text: t(key) }));
const muted = (key) => h("p", { class: "ch-muted", text: t(key) });

// The synthesis of one question: converging points, diverging points, ideas of one group,
// and the contributions the synthesis has not seen yet.
function questionSynthesisView(session, qid) {
  const found = model.questionById(qid);
  const questionSynth = synthQuestion(qid);
  const converging = (questionSynth && questionSynth.converging) || [];
  const unique = ((questionSynth && questionSynth.unique) || []).map(live).filter(Boolean);
  const nodes = [h("p", { class: "ch-question", text: model.text(found.question.text) })];
  if (!synthesis) nodes.push(muted("synthesis_loading"));
  nodes.push(subtitle("⇉", true, "converging_title"));
  if (!converging.length) nodes.push(muted("converging_none"));
  converging.forEach((cl, i) => nodes.push(pointCard(cl, i + 1, session, converging)));
  nodes.push(...divergingView((questionSynth && questionSynth.diverging) || [], converging));
  nodes.push(...uniqueView(unique, converging, session));
  nodes.push(...notAnalysedView(session, qid, converging, unique));
  return nodes;
}

function divergingView(diverging, converging) {
  const nodes = [subtitle("≠", false, "diverging_title")];
  if (!diverging.length) nodes.push(muted("diverging_none"));
  const numberOf = new Map(converging.map((cl, i) => [cl.id, i + 1]));
  for (const d of diverging) {
    // compact: the actions are on the same contributions above (converging) and below (one group)
    const ul = h("ul", { class: "ch-compact" });
    for (const c of (d.contributions || []).map(live).filter(Boolean)) {
      ul.append(h("li", { class: "ch-compact__item", "data-kind": c.kind },
        h("span", { class: "ch-item__group", text: groupName(c.group_id) }), " ", agreementBadge(c.agreement), " ",
        userText("span", "", c.text, c.lang)));
    }
    const reason = h("p", { class: "ch-diverging__reason" });
    if (d.cluster_id && numberOf.has(d.cluster_id)) reason.append(h("span", { class: "ch-num", text: formatNumber(numberOf.get(d.cluster_id)) }), " ");
    reason.append(h("span", { text: t(`reason_${d.reason}`) }));
    nodes.push(h("div", { class: "ch-diverging" }, reason, ul));
  }
  return nodes;
}

// Ideas raised by one group only, each with a form to join it to a converging point.
function uniqueView(unique, converging, session) {
  const nodes = [subtitle("◌", false, "unique_title")];
  if (!unique.length) nodes.push(muted("unique_none"));
  const ul = h("ul", { class: "ch-items" });
  const targets = converging.filter((cl) => cl.id.startsWith("c-"))
    .map((cl) => ({ id: cl.id, label: `${formatNumber(converging.indexOf(cl) + 1)}. ${clusterLabel(cl, cl.id)}` }));
  for (const c of unique) {
    const row = contributionRow(c, { session });
    const merge = mergeForm(`c-${c.id}`, targets, "join_point");
    if (merge) row.append(merge);
    ul.append(row);
  }
  nodes.push(ul);
  return nodes;
}

// Contributions the synthesis has not seen yet (it lags by a second).
function notAnalysedView(session, qid, converging, unique) {
  const known = new Set([...converging.flatMap((cl) => cl.contributions), ...unique.map((c) => c.id)]);
  const fresh = [];
  for (const gid of (session.groups || [])) for (const c of MeetingClient.listOf(client.view(), gid, qid)) if (!known.has(c.id)) fresh.push(c);
  if (!fresh.length || !synthesis) return [];
  const ul = h("ul", { class: "ch-items" });
  for (const c of fresh) ul.append(contributionRow(c, { session }));
  return [h("h3", { class: "ch-subtitle", text: t("not_analysed") }), ul];
}

// ----- the suggestions queue and the history (issue 18): the synthesis desk's, shared ---------------

const curation = new Curation(client, model);
const queue = new PairQueue({
  curation, container: els.queue, questions: () => questionChoices(model), scope: "panel", announce,
  toast: (message, options) => toast(message, options), idPrefix: "chq",
});
curation.onChange(scheduleRender);

function renderCuration() {
  setText($("ch-curation-title"), t("cq_title"));
  setText($("ch-history-title"), t("hist_title"));
  queue.render();
  replaceIfChanged(els.history, [historyList(curation, { limit: 8, idPrefix: "ch-hist", onDone: (ok, wasUndone) => {
    if (ok) { announce(t(wasUndone ? "cur_done_redo" : "cur_done_undo")); queue.fetch({ next: true }); }
  } })]);
}

// ----- ballots -------------------------------------------------------------------------------------

function resultsBlock(ballot, results) {
  if (!results) return h("p", { class: "ch-muted", text: t("results_loading") });
  const ol = h("ol", { class: "ch-results" });
  const regionIds = model.regionIds();
  const items = new Map((ballot.items || []).map((it) => [it.point_id || it.contribution_id, it]));
  // best first, ties under one rank (docs/voting.md: the ranking)
  const rows = [...(results.results || [])].sort((a, b) => (a.rank ?? 1e9) - (b.rank ?? 1e9));
  for (const row of rows) {
    const it = items.get(row.point_id || row.contribution_id) || {};
    const reading = model.itemReading(it);
    const rank = typeof row.rank === "number" ? (row.tied ? t("rank_tied", { n: formatNumber(row.rank) }) : formatNumber(row.rank)) : "–";
    const li = h("li", { class: "ch-result" }, h("p", { class: "ch-result__line" },
      h("span", { class: "ch-result__rank", text: rank }), " ", userText("span", "ch-result__text", reading.text, reading.lang)));
    if (results.mode === "dots") {
      li.append(h("p", { class: "ch-result__counts", text: t("dots_n", { n: formatNumber(row.dots || 0), v: formatNumber(row.turnout || 0) }) }));
    } else {
      const c = row.counts || {};
      const total = (c.yes || 0) + (c.no || 0) + (c.unsure || 0);
      const bar = h("div", { class: "ch-stack", "aria-hidden": "true" });
      for (const k of ["yes", "no", "unsure"]) {
        const seg = h("span", { class: `ch-stack__seg ch-stack__seg--${k}` });
        seg.style.setProperty("--share", String(total ? (c[k] || 0) / total : 0));
        bar.append(seg);
      }
      li.append(bar, h("p", { class: "ch-result__counts", text: t("counts", {
        yes: formatNumber(c.yes || 0), no: formatNumber(c.no || 0), unsure: formatNumber(c.unsure || 0) }) }));
    }
    const regions = h("ul", { class: "ch-regions", "aria-label": t("by_region") });
    for (const rid of regionIds) {
      const cell = (row.by_region || {})[rid];
      regions.append(h("li", { class: "ch-region" + (cell ? "" : " ch-region--hidden") },
        h("span", { class: "ch-region__name", text: model.regionName(rid) }),
        h("span", { class: "ch-region__value", text: cell
          ? regionRateText(cell, results.mode)
          : "—" })));
    }
    li.append(regions);
    ol.append(li);
  }
  return h("div", {}, h("p", { class: "ch-muted", text: t("voters_n", { n: formatNumber(results.participants || 0) }) }), ol,
    h("p", { class: "hint", text: t("region_hidden_hint") }));
}

// The chosen contributions, and how the new ballot asks about them.
function ballotForm(chosen) {
  const selList = h("ul", { class: "ch-selected" });
  for (const [pointId, label] of selectedPoints) {
    selList.append(h("li", { class: "ch-selected__item ch-selected__item--point" },
      h("span", { class: "ch-item__group", text: t("point_label") }), " ",
      userText("span", "ch-selected__text", label, null),
      button(t("remove"), () => { selectedPoints.delete(pointId); scheduleRender(); }, { cls: "button--quiet", glyph: "✕" })));
  }
  for (const c of chosen) {
    selList.append(h("li", { class: "ch-selected__item" },
      h("span", { class: "ch-item__group", text: groupName(c.group_id) }), " ",
      userText("span", "ch-selected__text", c.text, c.lang),
      button(t("remove"), () => { selected.delete(c.id); scheduleRender(); }, { cls: "button--quiet", glyph: "✕" })));
  }
  const mode = drafts.get("ch-mode") || "yes_no";
  const radio = (value, labelKey) => {
    const input = h("input", { type: "radio", name: "ch-mode", value, checked: mode === value,
      onchange: () => { drafts.set("ch-mode", value); scheduleRender(); } });
    input.id = `ch-mode-${value}`;
    return h("span", { class: "ch-check" }, input, h("label", { for: input.id, text: t(labelKey) }));
  };
  const dots = h("input", { type: "number", min: "1", max: "100", step: "1", value: draft("ch-dots", "5") });
  // left empty, the ballot asks the agenda's question, in every language of the meeting
  const asked = model.promptReading(model.meeting().ballot_prompt);
  const prompt = h("input", { type: "text", maxlength: "400", dir: "auto", value: draft("ch-prompt", ""), placeholder: asked ? asked.text : null });
  return h("form", { class: "ch-ballot-form", onsubmit: (e) => {
    e.preventDefault();
    if (!chosen.length && !selectedPoints.size) { toast(t("ballot_empty"), { error: true }); return; }
    const op = { type: "ballot.open", contribution_ids: chosen.map((c) => c.id), mode };
    if (selectedPoints.size) op.point_ids = [...selectedPoints.keys()];
    if (mode === "dots") op.dots = Math.max(1, Math.min(100, Number(dots.value) || 5));
    if (prompt.value.trim()) op.prompt = prompt.value.trim();
    send(op, "done_ballot").then((ack) => {
      if (ack && ack.ok) { selected.clear(); selectedPoints.clear(); drafts.delete("ch-prompt"); scheduleRender(); }
    });
  } },
    h("p", { class: "ch-strong", text: t("selected_n", { n: formatNumber(chosen.length + selectedPoints.size) }) }),
    chosen.length || selectedPoints.size ? selList : h("p", { class: "hint", text: t("select_hint") }),
    chosen.length || selectedPoints.size ? button(t("clear_selection"), () => { selected.clear(); selectedPoints.clear(); scheduleRender(); }, { cls: "button--quiet" }) : null,
    h("fieldset", { class: "ch-fieldset" }, h("legend", { text: t("ballot_mode") }), radio("yes_no", "mode_yes_no"), radio("dots", "mode_dots")),
    mode === "dots" ? field("ch-dots", t("dots_allowance"), dots) : null,
    field("ch-prompt", t("ballot_prompt"), prompt, t(asked ? "ballot_prompt_hint_agenda" : "ballot_prompt_hint")),
    h("button", { type: "submit", class: "button button--primary", disabled: !chosen.length && !selectedPoints.size, "data-action": "ballot-open" },
      icon("☑"), h("span", { text: t("ballot_open") })));
}

function renderBallots() {
  const chosen = [...selected].map(live).filter(Boolean);
  for (const id of [...selected]) if (!live(id)) selected.delete(id);
  const list = h("ol", { class: "ch-ballots", reversed: true });
  for (const b of [...model.ballots()].reverse()) list.append(ballotItem(b));
  section(els.ballots, "ballots_title", ballotForm(chosen), list);
}

// One ballot: its state, its actions and its results.
function ballotItem(b) {
  const open = b.status === "open";
  const li = h("li", { class: "ch-ballot" + (open ? " ch-ballot--open" : "") });
  li.append(h("h3", { class: "ch-ballot__title" },
    h("span", { text: t("ballot_n", { id: ballotNumber(b.id) }) }),
    iconLabel({ class: "ch-flag " + (open ? "ch-flag--open" : "ch-flag--closed") }, icon(open ? "●" : "■"), open ? t("ballot_is_open") : t("ballot_is_closed")),
    b.revealed ? onPlenaryFlag() : null));
  const prompt = model.promptReading(b.prompt);
  if (prompt) li.append(userText("p", "ch-ballot__prompt", prompt.text, prompt.lang));
  li.append(h("p", { class: "ch-muted", text: b.mode === "dots" ? t("mode_dots_n", { n: formatNumber(b.dots || 0) }) : t("mode_yes_no") }));
  li.append(h("div", { class: "ch-actions" },
    open ? button(t("ballot_close"), () => send({ type: "ballot.close", ballot_id: b.id }, "done_saved"), { glyph: "■", data: { action: "ballot-close" } }) : null,
    button(b.revealed ? t("ballot_hide") : t("ballot_reveal"),
      () => send({ type: "ballot.reveal", ballot_id: b.id, revealed: !b.revealed }, "done_saved"),
      { glyph: "◉", pressed: Boolean(b.revealed), cls: b.revealed ? "" : "button--primary", data: { action: "ballot-reveal" } })));
  li.append(resultsBlock(b, ballotResults.get(b.id)));
  return li;
}

// ----- the outcome --------------------------------------------------------------------------------

function refText(ref) {
  const [kind, id] = [ref.slice(0, ref.indexOf(":")), ref.slice(ref.indexOf(":") + 1)];
  if (kind === "contribution") {
    const c = client.contributions.get(id);
    return { label: t("ref_contribution"), text: c ? c.text : id, lang: c && c.lang, group: c ? groupName(c.group_id) : "" };
  }
  const cl = clusterById(id);
  return { label: t("ref_point"), text: clusterLabel(cl, id), lang: null, group: cl ? (cl.groups || []).map(groupName).join(", ") : "" };
}

function renderOutcome() {
  const outcome = model.extra().outcome || { order: [], wording: {}, marked: {} };
  const order = outcome.order || [];
  const langs = model.meeting().languages || [uiLang];
  const ol = h("ol", { class: "ch-outcome" });
  order.forEach((ref, i) => {
    const info = refText(ref);
    const wording = (outcome.wording || {})[ref];
    const safe = ref.replace(/[^A-Za-z0-9_-]/g, "_");
    const textId = `word-${safe}`, langId = `wordlang-${safe}`;
    const textarea = h("textarea", { rows: "3", maxlength: "2000", dir: "auto" });
    textarea.value = draft(textId, wording ? wording.text : "");
    const version = wordingVersion(outcome, ref);
    versioned.watch(textarea, textId, version);
    const langSel = h("select", {});
    for (const code of langs) langSel.append(h("option", { value: code, lang: code, text: languageName(code) }));
    // the wording's own language (the chair's pick, else guessed from its words), never by
    // default the forwarded item's: a wording is often written in another language
    langSel.value = draft(langId, (wording && wording.lang) || guessLanguage(textarea.value) || uiLang);
    langSel.addEventListener("change", () => drafts.set(langId, langSel.value));
    const langHint = h("span", { class: "hint", "aria-live": "polite" });
    languageFollowsText(textarea, langSel, langHint, (options) => options.find((code) => code !== "ar") || uiLang);
    // rebuilt while the chair types (a push re-renders the console): the guess says so again
    if (!drafts.has(langId) && !(wording && wording.lang) && textarea.value
        && guessLanguage(textarea.value) === langSel.value) setText(langHint, t("lang_guessed"));
    const langField = field(langId, t("wording_lang"), langSel);
    langField.append(langHint);
    const [kind, id] = [ref.slice(0, ref.indexOf(":")), ref.slice(ref.indexOf(":") + 1)];
    const target = kind === "contribution" ? { contribution_id: id } : { cluster_id: id };
    const move = (delta) => {
      const next = order.slice();
      next.splice(i, 1);
      next.splice(i + delta, 0, ref);
      send({ type: "outcome.order", order: next }, "done_saved");
    };
    ol.append(h("li", { class: "ch-outcome__item" },
      h("p", { class: "ch-item__meta" }, h("span", { class: "ch-flag", text: info.label }), info.group ? h("span", { class: "ch-item__group", text: info.group }) : null),
      userText("p", "ch-item__text", info.text, info.lang),
      wording ? h("p", { class: "ch-wording" }, h("span", { class: "ch-strong", text: t("wording_current") }), " ", userText("span", "", wording.text, wording.lang)) : null,
      h("form", { class: "ch-wording-form", onsubmit: (e) => {
        e.preventDefault();
        const mine = { text: textarea.value.trim(), lang: langSel.value };
        versioned.send(textId, { type: "outcome.wording", ...target, text: mine.text, lang: mine.lang },
          mine, "done_saved", version);
      } },
        field(textId, t("wording_label"), textarea, t("wording_hint")),
        h("div", { class: "ch-inline" }, langField,
          h("button", { type: "submit", class: "button button--small button--primary" }, h("span", { text: t("save") })))),
      versioned.offer(textId, "wording_conflict", (c) => c.text),
      h("div", { class: "ch-actions", role: "group", "aria-label": t("actions_for_item") },
        button(t("move_up"), () => move(-1), { glyph: "↑", disabled: i === 0 }),
        button(t("move_down"), () => move(1), { glyph: "↓", disabled: i === order.length - 1 }),
        button(t("unforward"), () => send({ type: "outcome.mark", ...target, marked: false }, "done_saved"), { glyph: "✕", cls: "button--danger" }))));
  });
  section(els.outcome, "outcome_title", order.length ? ol : h("p", { class: "ch-muted", text: t("outcome_none") }));
}

function renderReport() {
  const langs = model.meeting().languages || [uiLang];
  const sel = h("select", { onchange: (e) => { ui.reportLang = e.target.value; renderReport(); } });
  for (const code of langs) sel.append(h("option", { value: code, lang: code, text: languageName(code) }));
  sel.value = langs.includes(ui.reportLang) ? ui.reportLang : langs[0];
  const ul = h("ul", { class: "ch-links" });
  for (const [fmt, key] of REPORT_FORMATS) {
    ul.append(h("li", {}, h("a", { class: "button button--small", href: model.apiUrl(`/report.${fmt}?lang=${encodeURIComponent(sel.value)}`), download: "" },
      icon("⤓"), h("span", { text: t(key) }))));
  }
  const focused = document.activeElement && document.activeElement.id === "ch-report-lang";
  section(els.report, "report_title", field("ch-report-lang", t("report_lang"), sel), ul);
  if (focused) $("ch-report-lang").focus();
}

// ----- render everything -------------------------------------------------------------------------------

function render() {
  if (!client.meeting) return;
  const active = document.activeElement;
  const activeId = active && active.id;
  const activeAction = active && active.closest && active.closest("button") && !activeId
    ? { action: active.dataset.action, row: (active.closest("[data-contribution],[data-cluster],[data-question]") || {}).dataset } : null;
  const selection = active && "selectionStart" in active ? [active.selectionStart, active.selectionEnd] : null;
  setText(els.meetingTitle, model.text(model.meeting().title));
  renderNow();
  renderSessions();
  renderBoards();
  renderSynthesis();
  renderCuration();
  renderBallots();
  renderOutcome();
  renderReport();
  // give focus back to the control the chair was using
  if (activeId && !document.contains(active)) {
    const again = document.getElementById(activeId);
    if (again) {
      again.focus();
      if (selection && again.setSelectionRange && selection[0] != null) { try { again.setSelectionRange(...selection); } catch { /* number inputs */ } }
    }
  } else if (activeAction && !document.contains(active) && activeAction.action) {
    const scope = activeAction.row || {};
    const sel = scope.contribution ? `[data-contribution="${CSS.escape(scope.contribution)}"]`
      : scope.cluster ? `[data-cluster="${CSS.escape(scope.cluster)}"]` : "";
    const again = document.querySelector(`${sel} [data-action="${CSS.escape(activeAction.action)}"]`) || null;
    if (again) again.focus();
  }
  els.app.setAttribute("aria-busy", "false");
}

function renderStatus(status) {
  showStatus(els.status, status);
}

// ----- wiring ------------------------------------------------------------------------------------------

client.on("change", (info) => {
  if (info && info.reason === "state") { shownSession = client.sessionId; refreshLive(); queue.fetch(); }
  scheduleRender();
});
// The outcome the chair is building, created on first use.
function outcomeOf(extra) {
  const outcome = extra.outcome || (extra.outcome = { marked: {}, wording: {}, order: [] });
  outcome.versions = outcome.versions || {};
  return outcome;
}

// The chair's own extras: curation and the outcome; the shared ones are folded by the model.
function applyChairEvent(extra, ev) {
  switch (ev.type) {
    case "session.changed": ui.synthSession = null; break;
    case "plenary.suggestions_shown": extra.curation = { ...(extra.curation || {}), show_suggestions: Boolean(ev.shown) }; break;
    case "cluster.titled": {
      extra.curation = extra.curation || { titles: {} };
      const versions = extra.curation.title_versions = { ...(extra.curation.title_versions || {}) };
      versions[ev.cluster_id] = { ...(versions[ev.cluster_id] || {}), [ev.lang || ""]: ev.seq };
      if (ev.lang) break; // a title in one language: folded by the model (titles_by_lang)
      extra.curation.titles = { ...(extra.curation.titles || {}) };
      if (ev.title) extra.curation.titles[ev.cluster_id] = ev.title; else delete extra.curation.titles[ev.cluster_id];
      const cl = clusterById(ev.cluster_id);
      if (cl) cl.title = ev.title || null;
      break;
    }
    case "outcome.marked": {
      const outcome = outcomeOf(extra);
      if (ev.marked) { outcome.marked[ev.ref] = true; if (!outcome.order.includes(ev.ref)) outcome.order.push(ev.ref); }
      else { delete outcome.marked[ev.ref]; outcome.order = outcome.order.filter((r) => r !== ev.ref); }
      break;
    }
    case "outcome.wording": {
      const outcome = outcomeOf(extra);
      if (ev.text) outcome.wording[ev.ref] = { text: ev.text, lang: ev.lang }; else delete outcome.wording[ev.ref];
      outcome.versions[ev.ref] = ev.seq;
      break;
    }
    case "outcome.ordered": outcomeOf(extra).order = ev.order.slice(); break;
    case "synthesis.updated": if (ev.synthesis) synthesis = ev.synthesis; break;
    case "ballot.results": if (ev.results) ballotResults.set(ev.ballot_id, ev.results); break;
    default: break;
  }
}

let shownSession = null; // the session the console last showed as current
client.on("event", (ev) => {
  if (ev.type === "session.changed" && shownSession && ev.session_id !== shownSession) ui.previousSession = shownSession;
  if (ev.type === "session.changed") shownSession = ev.session_id;
  model.applyEvent(ev);
  applyChairEvent(model.extra(), ev);
  scheduleRender();
});
client.on("status", (status) => {
  renderStatus(status);
  if (status === "online" && client.meeting) refreshLive();
});
client.on("load_failed", () => setText(els.status, t("load_failed")));
client.on("error", ({ op, error }) => {
  toast(t("op_refused", { what: t(`op_${op.type.replace(".", "_")}`), why: errorText(error) }), { error: true });
});

setInterval(() => {
  const el = $("ch-timer");
  if (el) setText(el, timerText());
}, 500);

// the meeting's links: a section and a module of their own (links.js)
mountLinks({ container: $("ch-links"), client, model, toast, announce });

renderStatus(client.status);
client.start();

// for tests and debugging in the console
window.facilitatorChair = { client, selected, get synthesis() { return synthesis; }, orderKey };
