// The synthesis desk (issue 18): the secretariat's rapporteur-general (or the chair) decides what
// the engine only suggests. Three parts:
//
// - the queue (curation.js PairQueue): one contribution beside its best candidate from another
//   group, answered with one key;
// - the points of the question: the points people made (confirmed), then the engine's
//   suggestions, then the contributions in no point; free grouping (tick any contributions,
//   "Make one point"), moving a member to another point or out, titles per language, "Not one
//   point", merging; what undoes a point asks first;
// - the history of the decisions, each with Undo or Redo.
//
// Every op goes through the shared client's outbox. Every user text goes in with textContent.

import { MeetingClient } from "./client.js";
import { boot, t, lang as uiLang, formatNumber, languageName } from "./i18n.js";
import { h, icon, setText, userText, replaceIfChanged } from "./dom.js";
import { MeetingModel, laterSynthesis, questionSynthesis } from "./model.js";
import { showStatus, announcer, renderScheduler, toast as showToast } from "./ui.js";
import {
  Curation, PairQueue, historyList, confirmFirst, contributionBody, questionChoices, newPointId, quote,
} from "./curation.js";
import { VersionedDrafts, titleVersion } from "./versions.js";

const client = new MeetingClient({ meetingId: boot.meeting_id, page: "synthesis" });
const model = new MeetingModel(client);
const curation = new Curation(client, model);
const $ = (id) => document.getElementById(id);
const els = {
  desk: $("sd"), meetingTitle: $("meeting-title"), unsent: $("unsent"),
  queueTitle: $("sd-queue-title"), queue: $("sd-queue"),
  historyTitle: $("sd-history-title"), history: $("sd-history-list"),
  pointsTitle: $("sd-points-title"), pointsHint: $("sd-points-hint"), points: $("sd-points-list"),
  selection: $("sd-selection"), selectionText: $("sd-selection-text"), makePoint: $("sd-make-point"),
  clearSelection: $("sd-clear-selection"),
  status: $("conn-status"), toasts: $("toasts"), announcer: $("announcer"),
};
const announce = announcer(els.announcer);
const scheduleRender = renderScheduler(render);

function toast(message, { error = false } = {}) {
  showToast(els.toasts, message, { error, max: 4, lifetime: error ? 20000 : 8000 });
}

const queue = new PairQueue({
  curation, container: els.queue, questions: () => questionChoices(model), scope: "page", announce, toast, idPrefix: "sdq",
});
queue.onQuestion(() => { selected.clear(); scheduleRender(); });

let synthesis = null; // the engine's suggestions, for the points not decided yet
const selected = new Set(); // contributions ticked for "Make one point"
const drafts = new Map(); // element id -> what is being typed or chosen, kept across renders

document.addEventListener("input", (e) => {
  const el = e.target;
  if (el.id && el.closest("#sd-points-list") && el.type !== "checkbox") drafts.set(el.id, el.value);
});
const draft = (id, fallback) => (drafts.has(id) ? drafts.get(id) : fallback);
// A title carries the version its draft started from (a chair titling the same point: issue 20).
const versioned = new VersionedDrafts({ send: (op, doneKey) => send(op, doneKey), drafts, render: () => scheduleRender() });

async function refreshSynthesis() {
  try { synthesis = laterSynthesis(synthesis, await model.fetchSynthesis()); } catch (err) { console.warn(err); }
  scheduleRender();
}

// ----- sending --------------------------------------------------------------------------------------

function errorText(error) {
  const known = ["forbidden", "invalid", "not_found", "conflict", "rate_limited", "unauthorized", "too_long", "curation_full"];
  return t(`error_${known.includes(error.code) ? error.code : "invalid"}`, { max: formatNumber(200) });
}

function send(op, doneKey) {
  return curation.send(op).then((ack) => {
    if (ack && ack.ok) announce(t(doneKey));
    return ack;
  });
}

client.on("error", ({ op, error }) => {
  toast(t("cur_refused", { why: errorText(error) }) + (error.message ? ` (${error.message})` : ""), { error: true });
  if (op && op.type) scheduleRender();
});

// ----- the question's contributions -------------------------------------------------------------------

const live = (id) => model.liveContribution(id);

// Every live contribution of a question, in agenda order (group, then place on its board).
function questionContributions(qid) {
  const found = model.questionById(qid);
  if (!found) return [];
  const view = client.view();
  const out = [];
  for (const gid of found.session.groups || []) out.push(...MeetingClient.listOf(view, gid, qid));
  return out;
}

// The groups a set of contributions comes from, with the points they are in joined in: a point
// within one group means nothing (the server refuses it too).
function groupsOf(ids) {
  const groups = new Set();
  for (const cid of ids) {
    const pid = curation.pointOf(cid);
    const members = pid && curation.point(pid) ? curation.point(pid).members : [cid];
    for (const m of members) { const c = live(m); if (c) groups.add(c.group_id); }
  }
  return groups;
}

// ----- free grouping ------------------------------------------------------------------------------------

function makePoint() {
  const ids = [...selected].filter(live);
  if (ids.length < 2) { toast(t("sd_pick_two")); return; }
  if (groupsOf(ids).size < 2) { toast(t("sd_two_groups"), { error: true }); return; }
  send({ type: "cluster.confirm", contribution_ids: ids, point_id: newPointId() }, "sd_done_point").then((ack) => {
    if (ack && ack.ok) unselect(ids);
  });
}

function addToPoint(point) {
  const ids = [...selected].filter((cid) => live(cid) && !point.members.includes(cid));
  if (!ids.length) return;
  // its primary members only: one included from another point would bring that point along
  const own = point.members.filter((cid) => curation.pointOf(cid) === point.id);
  send({ type: "cluster.confirm", cluster_id: point.id, contribution_ids: [...own, ...ids] }, "sd_done_added")
    .then((ack) => { if (ack && ack.ok) unselect(ids); });
}

// What was sent leaves the selection; what was ticked while it was on its way stays ticked.
function unselect(ids) {
  for (const cid of ids) selected.delete(cid);
  scheduleRender();
}

els.makePoint.addEventListener("click", makePoint);
els.clearSelection.addEventListener("click", () => { selected.clear(); scheduleRender(); });

// ----- one row: a contribution, its tick box, and where it can go ------------------------------------

function row(c, { point = null, points = [] } = {}) {
  // a note in a second point shows there too: that row's ids name the point
  const also = point && curation.pointOf(c.id) !== point.id ? `-in-${point.id}` : "";
  const boxId = `sd-pick-${c.id}${also}`;
  const textId = `sd-text-${c.id}${also}`;
  const box = h("input", { type: "checkbox", id: boxId, class: "sd-row__box", checked: selected.has(c.id),
    "aria-describedby": textId, onchange: (e) => {
      if (e.target.checked) selected.add(c.id); else selected.delete(c.id);
      scheduleRender();
    } });
  const body = contributionBody(model, c, "sd-row__text");
  body.id = textId;
  const li = h("li", { class: "sd-row" + (selected.has(c.id) ? " sd-row--picked" : ""), "data-contribution": c.id },
    h("div", { class: "sd-row__pick" }, box,
      h("label", { for: boxId, class: "sd-row__label" }, h("span", { class: "visually-hidden", text: `${t("sd_pick")} ` }),
        h("span", { text: model.groupName(c.group_id) }))),
    body);
  if (point && also) li.append(outOfThisPoint(c, point));
  else if (point) li.append(moveForm(c, point, points));
  return li;
}

// A contribution a point holds besides its own point: it leaves this point only.
function outOfThisPoint(c, point) {
  return h("div", { class: "sd-move" },
    h("span", { class: "sd-move__label", text: t("sd_also_in") }),
    h("button", { type: "button", class: "button button--small", id: `sd-out-${point.id}-${c.id}`, "data-action": "out-of-point",
      onclick: () => send({ type: "cluster.detach", contribution_id: c.id, point_id: point.id }, "sd_done_out_of_this_point") },
    icon("⇱"), h("span", { text: t("sd_out_of_this_point") })));
}

// Move a member to another point of the question, or out of any point (which asks first).
function moveForm(c, point, points) {
  const id = `sd-move-${c.id}`;
  const sel = h("select", { id, class: "sd-move__to" },
    ...points.filter((p) => p.id !== point.id && !p.members.includes(c.id)).map((p) =>
      h("option", { value: p.id, dir: "auto", text: `${t("sd_to_point", { n: formatNumber(p.n) })} ${p.headline.text.slice(0, 50)}` })),
    h("option", { value: "", text: t("sd_move_out") }));
  sel.value = draft(id, sel.options[0].value);
  sel.addEventListener("change", () => drafts.set(id, sel.value));
  const go = h("button", { type: "button", class: "button button--small", id: `${id}-go`, "data-action": "move",
    onclick: async () => {
      const to = sel.value || null;
      if (!to) {
        const ok = await confirmFirst(t("sd_ask_move_out", { text: quote(model, c.id, 60), point: point.headline.text.slice(0, 60) }),
          t("sd_move_out_do"));
        if (!ok) return;
      }
      drafts.delete(id);
      send({ type: "cluster.move", contribution_id: c.id, to }, to ? "sd_done_moved" : "sd_done_moved_out");
    } }, icon("⇄"), h("span", { text: t("sd_move") }));
  return h("div", { class: "sd-move" }, h("label", { for: id, class: "sd-move__label", text: t("sd_move_to") }), sel, go);
}

// ----- a point ----------------------------------------------------------------------------------------------

function titleForm(point) {
  const langId = `sd-title-lang-${point.id}`, titleId = `sd-title-${point.id}`;
  const langSel = h("select", { id: langId },
    h("option", { value: "", text: t("title_every_language") }),
    ...(model.meeting().languages || []).map((code) => h("option", { value: code, lang: code, text: languageName(code) })));
  langSel.value = draft(langId, "");
  langSel.addEventListener("change", () => { drafts.set(langId, langSel.value); drafts.delete(titleId); scheduleRender(); });
  const lang = langSel.value;
  const current = lang ? (point.titles || {})[lang] || "" : point.title || "";
  const input = h("input", { type: "text", id: titleId, maxlength: "200", dir: "auto", lang: lang || null, value: draft(titleId, current) });
  const version = titleVersion(curation.data(), point.id, lang);
  versioned.watch(input, titleId, version);
  const form = h("form", { class: "sd-title", onsubmit: (e) => {
    e.preventDefault();
    const mine = { text: input.value.trim(), lang: lang || null };
    versioned.send(titleId, { type: "cluster.title", cluster_id: point.id, title: mine.text, ...(lang ? { lang } : {}) },
      mine, "sd_done_titled", version);
  } },
  h("div", { class: "field" }, h("label", { for: langId, text: t("point_title_lang") }), langSel),
  h("div", { class: "field sd-title__text" }, h("label", { for: titleId, text: t("point_title") }), input),
  h("button", { type: "submit", class: "button button--small", id: `${titleId}-save` }, h("span", { text: t("save") })));
  const offer = versioned.offer(titleId, "title_conflict", (c) => c.title);
  return offer ? h("div", {}, form, offer) : form;
}

function mergeForm(point, points) {
  const others = points.filter((p) => p.id !== point.id);
  if (!others.length) return null;
  const id = `sd-merge-${point.id}`;
  const sel = h("select", { id }, ...others.map((p) =>
    h("option", { value: p.id, dir: "auto", text: `${t("sd_to_point", { n: formatNumber(p.n) })} ${p.headline.text.slice(0, 50)}` })));
  sel.value = draft(id, others[0].id);
  sel.addEventListener("change", () => drafts.set(id, sel.value));
  const go = h("button", { type: "button", class: "button button--small", id: `${id}-go`, "data-action": "merge", onclick: async () => {
    const into = others.find((p) => p.id === sel.value) || others[0];
    const ok = await confirmFirst(t("sd_ask_merge", { n: formatNumber(point.members.length), from: formatNumber(point.n), into: formatNumber(into.n) }),
      t("merge"));
    if (!ok) return;
    drafts.delete(id);
    send({ type: "cluster.merge", cluster_id: point.id, into: into.id }, "done_merged");
  } }, icon("⇲", true), h("span", { text: t("merge") }));
  return h("div", { class: "sd-merge" }, h("label", { for: id, text: t("merge_into") }), sel, go);
}

function notOnePoint(point, label) {
  return h("button", { type: "button", class: "button button--small button--danger", id: `sd-reject-${point.id}`, "data-action": "reject",
    onclick: async () => {
      const ok = await confirmFirst(t("cur_ask_reject", { n: formatNumber(point.members.length) }), t("reject_point"));
      if (!ok) return;
      send({ type: "cluster.reject", contribution_ids: point.members, ...(point.made ? { cluster_id: point.id } : {}) }, "sd_done_rejected");
    } }, icon("✕"), h("span", { text: label }));
}

function pointCard(point, points) {
  const groups = [...new Set(point.members.map((cid) => (live(cid) || {}).group_id).filter(Boolean))];
  const art = h("article", { class: "sd-point" + (point.made ? " sd-point--made" : " sd-point--suggested"), "data-point": point.id,
    "aria-labelledby": `sd-pt-${point.id}` });
  const flag = point.made
    ? h("span", { class: "sd-flag sd-flag--made" }, icon("✓"), h("span", { text: t("cur_confirmed") }))
    : h("span", { class: "sd-flag sd-flag--suggested" }, icon("○"), h("span", { text: t("sd_suggested") }));
  art.append(h("header", { class: "sd-point__head" },
    h("span", { class: "sd-num", "aria-hidden": "true", text: formatNumber(point.n) }),
    h("h3", { class: "sd-point__headline", id: `sd-pt-${point.id}` },
      h("span", { class: "visually-hidden", text: `${t("point_n", { n: formatNumber(point.n) })}: ` }),
      userText("span", point.headline.title ? "" : "sd-point__central", point.headline.text, point.headline.lang)),
    flag),
  h("p", { class: "sd-point__groups", text: t("sd_groups", { n: formatNumber(groups.length), names: groups.map((g) => model.groupName(g)).join(" · ") }) }));
  const ul = h("ul", { class: "sd-rows" });
  for (const cid of point.members) { const c = live(cid); if (c) ul.append(row(c, point.made ? { point, points } : {})); }
  art.append(ul);
  const actions = h("div", { class: "sd-point__actions" });
  if (point.made) {
    const adding = [...selected].filter((cid) => live(cid) && !point.members.includes(cid));
    if (adding.length) {
      actions.append(h("button", { type: "button", class: "button button--small button--primary", id: `sd-add-${point.id}`,
        "data-action": "add", onclick: () => addToPoint(point) }, icon("+"),
      h("span", { text: t("sd_add_here", { n: formatNumber(adding.length) }) })));
    }
    actions.append(notOnePoint(point, t("reject_point")));
    art.append(actions, mergeForm(point, points) || "",
      moreOf(point));
  } else {
    actions.append(
      h("button", { type: "button", class: "button button--small button--primary", id: `sd-confirm-${point.id}`, "data-action": "confirm-point",
        onclick: () => send({ type: "cluster.confirm", contribution_ids: point.members, point_id: newPointId() }, "sd_done_point") },
      icon("✓"), h("span", { text: t("confirm_point") })),
      notOnePoint(point, t("reject_point")));
    art.append(actions);
  }
  return art;
}

// A point's title form, in a disclosure that stays open across renders once opened (a synthesis
// push rebuilds the list: it must not close the box a person is about to type in).
const openMore = new Set(); // point ids whose title disclosure is open

function moreOf(point) {
  const more = h("details", { class: "sd-point__more",
    open: openMore.has(point.id) || drafts.has(`sd-title-${point.id}`) || null },
  h("summary", { text: point.title ? t("sd_title_edit") : t("sd_title_add") }), titleForm(point));
  more.addEventListener("toggle", () => { if (more.open) openMore.add(point.id); else openMore.delete(point.id); });
  return more;
}

// The question's points: those people made (their members as the curation says), then the
// engine's suggestions for the rest, then the contributions in no point.
function pointsOf(qid) {
  const synth = questionSynthesis(synthesis, qid);
  const engine = new Map(((synth && synth.converging) || []).map((cl) => [cl.id, cl]));
  const made = curation.points(qid).filter((p) => p.members.length)
    .map((p) => ({ ...p, made: true, headline: curation.headline(p, engine.get(p.id)) }));
  const taken = new Set(made.flatMap((p) => p.members));
  const suggested = [...engine.values()]
    .filter((cl) => cl.status !== "confirmed" && !made.some((p) => p.id === cl.id))
    .map((cl) => ({ id: cl.id, members: (cl.contributions || []).filter((cid) => live(cid) && !taken.has(cid)), made: false, central: cl.central }))
    .filter((p) => p.members.length >= 2)
    .map((p) => ({ ...p, headline: curation.headline(p, p) }));
  const all = [...made, ...suggested];
  all.forEach((p, i) => { p.n = i + 1; });
  return { made, suggested, all };
}

function renderPoints() {
  const qid = queue.question;
  setText(els.pointsTitle, t("sd_points"));
  setText(els.pointsHint, t("sd_points_hint"));
  if (!qid) { replaceIfChanged(els.points, [h("p", { class: "hint", text: t("no_session") })]); return; }
  const { made, suggested, all } = pointsOf(qid);
  const inPoint = new Set(all.flatMap((p) => p.members));
  const loose = questionContributions(qid).filter((c) => !inPoint.has(c.id));
  for (const cid of [...selected]) if (!live(cid)) selected.delete(cid);
  const nodes = [];
  nodes.push(h("h3", { class: "sd-sub" }, icon("✓"), h("span", { text: t("sd_made_title") })));
  if (!made.length) nodes.push(h("p", { class: "hint", text: t("sd_made_none") }));
  for (const p of made) nodes.push(pointCard(p, made));
  if (suggested.length) {
    nodes.push(h("h3", { class: "sd-sub" }, icon("○"), h("span", { text: t("sd_suggested_title") })));
    for (const p of suggested) nodes.push(pointCard(p, made));
  }
  nodes.push(h("h3", { class: "sd-sub", id: "sd-loose-title" }, icon("◌"), h("span", { text: t("sd_loose_title") })));
  if (!loose.length) nodes.push(h("p", { class: "hint", text: t("sd_loose_none") }));
  else nodes.push(h("ul", { class: "sd-rows sd-rows--loose", "aria-labelledby": "sd-loose-title" }, ...loose.map((c) => row(c))));
  replaceIfChanged(els.points, nodes);
  // the selection bar: what "Make one point" will take
  const n = [...selected].filter(live).length;
  setText(els.selectionText, n ? t("sd_selected", { n: formatNumber(n) }) : t("sd_selected_none"));
  els.makePoint.replaceChildren(icon("⊕"), h("span", { text: t("sd_make_point") }));
  els.makePoint.disabled = n < 2;
  setText(els.clearSelection, t("clear_selection"));
  els.clearSelection.hidden = !n;
  els.selection.dataset.count = String(n);
}

function renderHistory() {
  setText(els.historyTitle, t("hist_title"));
  replaceIfChanged(els.history, [historyList(curation, { idPrefix: "sd-hist", onDone: (ok, wasUndone) => {
    if (ok) { announce(t(wasUndone ? "cur_done_redo" : "cur_done_undo")); queue.fetch({ next: true }); }
  } })]);
}

// ----- render everything ------------------------------------------------------------------------------

function render() {
  if (!client.meeting) return;
  const active = document.activeElement;
  const activeId = active && active.id;
  setText(els.meetingTitle, `${t("sd_page_title")} · ${model.text(model.meeting().title)}`);
  setText(els.queueTitle, t("cq_title"));
  els.unsent.hidden = client.unsent === 0;
  setText(els.unsent, t("status_unsent", { n: formatNumber(client.unsent) }));
  queue.render();
  renderPoints();
  renderHistory();
  if (activeId && !document.contains(active)) {
    const again = document.getElementById(activeId);
    if (again) again.focus();
  }
  els.desk.setAttribute("aria-busy", "false");
}

client.on("change", (info) => {
  if (info && info.reason === "state") { refreshSynthesis(); queue.fetch(); }
  scheduleRender();
});
client.on("event", (ev) => {
  model.applyEvent(ev);
  if (ev.type === "synthesis.updated" && ev.synthesis) synthesis = ev.synthesis;
  scheduleRender();
});
curation.onChange(scheduleRender);
client.on("status", (status) => {
  showStatus(els.status, status);
  if (status === "online" && client.meeting) refreshSynthesis();
  scheduleRender();
});
client.on("load_failed", () => setText(els.status, t("load_failed")));

showStatus(els.status, client.status);
client.start();

// for tests and debugging in the console
window.facilitatorSynthesis = { client, curation, queue, selected, get synthesis() { return synthesis; } };
