// The participant's vote page (phone first). Shows the open ballots, sends each vote as a
// `vote.cast` op through the shared client's outbox (kept while offline, sent on reconnect),
// confirms each vote once the server acknowledged it, and shows results once revealed.
// Every visible string comes from boot.i18n (facilitator/web/strings_vote.py); user text is
// only ever set with textContent.

import { MeetingClient } from "./client.js";
import { boot, t, lang as pageLang, formatNumber, formatPercent } from "./i18n.js";
import { h, inert } from "./dom.js";
import { MeetingModel } from "./model.js";
import { showStatus, announcer, readingNodes } from "./ui.js";

const meetingId = boot.meeting_id;
const client = new MeetingClient({ meetingId, page: "vote" });
const model = new MeetingModel(client);

const $ = (id) => document.getElementById(id);
const app = $("app");
const statusEl = $("conn-status");
const whoEl = $("vote-who");
const unsentEl = $("vote-unsent");
const waitingEl = $("vote-waiting");
const openEl = $("vote-open");
const earlierEl = $("vote-earlier");
const earlierList = $("vote-earlier-list");
const announce = announcer($("announcer"));

let loaded = false;
let confirmed = {}; // ballot id -> {contribution id: value}: what the server has (my_votes + acks)
let known = new Map(); // op_id -> op: the vote ops in the outbox at the last look
const failedOps = new Map(); // op_id -> error code (reported by the client before the op leaves the outbox)
const failures = new Map(); // "ballot|contribution" -> error code, until the next vote on it
const results = new Map(); // ballot id -> results JSON (revealed ballots only)
const views = new Map(); // ballot id -> the ballot's DOM and its parts
let uid = 0;
let bringIntoView = null; // a ballot just opened: the phone goes to it, wherever it was scrolled

// ----- small helpers ---------------------------------------------------------------------------

const keyOf = (ballotId, cid) => `${ballotId}|${cid}`;
const ballots = () => model.ballots();
// A ballot's items are contributions or converging points: each is named by its own id.
const itemId = (item) => item.point_id || item.contribution_id;
const opItem = (op) => op.point_id || op.contribution_id;
const itemIds = (ballot) => (ballot.items || []).map(itemId);

// ----- my votes: confirmed by the server, with the unsent ones laid over ----------------------

function pendingVotes() {
  const list = [];
  for (const entry of client.outbox) if (entry.op && entry.op.type === "vote.cast") list.push(entry.op);
  return list;
}

const valueOf = (op) => ("dots" in op ? op.dots : op.choice);

// {value, state}: state is "queued" | "sending" | "recorded" | "failed" | ""
function myVote(ballotId, cid) {
  let pending = null;
  for (const op of pendingVotes()) if (op.ballot_id === ballotId && opItem(op) === cid) pending = op;
  const mine = confirmed[ballotId] || {};
  if (pending) {
    return { value: valueOf(pending), state: client.status === "offline" || client.status === "refused" ? "queued" : "sending" };
  }
  const failure = failures.get(keyOf(ballotId, cid));
  const has = Object.prototype.hasOwnProperty.call(mine, cid);
  if (failure) return { value: has ? mine[cid] : null, state: "failed", code: failure };
  return { value: has ? mine[cid] : null, state: has ? "recorded" : "" };
}

function dotsUsed(ballot) {
  let used = 0;
  for (const cid of itemIds(ballot)) {
    const { value } = myVote(ballot.id, cid);
    if (typeof value === "number") used += value;
  }
  return used;
}

// Called on every change of the client: acks and failures show up as ops leaving the outbox.
function reconcile() {
  const now = new Map(pendingVotes().map((op) => [op.op_id, op]));
  for (const [opId, op] of known) {
    if (now.has(opId)) continue;
    const n = practiceNumber(op.ballot_id, opItem(op));
    if (failedOps.has(opId)) {
      failures.set(keyOf(op.ballot_id, opItem(op)), failedOps.get(opId));
      failedOps.delete(opId);
      announce(failureText(failures.get(keyOf(op.ballot_id, opItem(op)))));
    } else {
      (confirmed[op.ballot_id] ||= {})[opItem(op)] = valueOf(op);
      failures.delete(keyOf(op.ballot_id, opItem(op)));
      // a burst of dot presses: announce once, for the last one
      const later = [...now.values()].some((o) => o.ballot_id === op.ballot_id && opItem(o) === opItem(op));
      if (!later && n) announce(recordedText(op.ballot_id, n));
    }
  }
  known = now;
}

function dotsLeftText(ballot) {
  const allowance = ballot.dots || 0;
  return t("vote_dots_left", { left: formatNumber(Math.max(allowance - dotsUsed(ballot), 0)), total: formatNumber(allowance) });
}

function recordedText(ballotId, n) {
  const text = t("vote_recorded_for", { n: formatNumber(n) });
  const ballot = model.ballotById(ballotId);
  return ballot && ballot.mode === "dots" ? `${text} ${dotsLeftText(ballot)}` : text;
}

function practiceNumber(ballotId, cid) {
  const ballot = model.ballotById(ballotId);
  return ballot ? itemIds(ballot).indexOf(cid) + 1 : 0;
}

function failureText(code) {
  if (code === "closed") return t("vote_error_closed");
  if (code === "too_many_dots") return t("vote_error_too_many");
  return t("vote_error_other");
}

function cast(ballot, cid, value) {
  failures.delete(keyOf(ballot.id, cid));
  const op = { type: "vote.cast", ballot_id: ballot.id };
  op[(ballot.point_ids || []).includes(cid) ? "point_id" : "contribution_id"] = cid;
  if (ballot.mode === "dots") op.dots = value;
  else op.choice = value;
  client.send(op);
}

// ----- building a ballot ------------------------------------------------------------------------

function buildBallot(ballot, level) {
  const open = ballot.status === "open";
  const id = `b${++uid}`;
  const mode = ballot.mode === "dots" ? "dots" : "yes_no";
  const root = h("section", { class: `ballot ballot--${mode} ballot--${ballot.status}`, "aria-labelledby": `${id}-title` });
  const view = { root, ballot, status: ballot.status, revealed: !!ballot.revealed, items: new Map() };
  root.append(...ballotHeader(ballot, id, level, mode, open));
  if (mode === "dots") {
    view.dotsLeft = h("p", { class: "dots-left" });
    root.append(view.dotsLeft);
  }
  view.hidden = h("p", { class: "hint ballot__results-hidden", text: t("vote_results_hidden") });
  root.append(view.hidden);

  const list = h("ol", { class: "practices" });
  const items = ballot.items || [];
  items.forEach((item, index) => {
    const parts = buildPractice(view, item, index + 1, items.length, `${id}-p${index + 1}`, mode, open);
    view.items.set(itemId(item), parts);
    list.append(parts.li);
  });
  root.append(list);
  return view;
}

// The badge of an open ballot, its prompt, and what can still be done.
function ballotHeader(ballot, id, level, mode, open) {
  // the question in the phone's language; in another, marked so, when it has none in this one
  const prompt = model.promptReading(ballot.prompt);
  const heading = h(`h${level}`, { class: "ballot__title", id: `${id}-title`, dir: "auto", tabindex: "-1" });
  heading.textContent = (prompt && inert(prompt.text)) || t(mode === "dots" ? "vote_prompt_dots" : "vote_prompt_yes_no");
  if (prompt && prompt.lang) heading.lang = prompt.lang;
  return [
    open ? h("p", { class: "ballot__badge", text: t("vote_open_title") }) : null,
    heading,
    prompt && prompt.fallback ? h("p", { class: "hint ballot__prompt-lang", text: t("vote_prompt_other_language", { language: languageInPage(prompt.lang) }) }) : null,
    open ? h("p", { class: "hint ballot__hint", text: t("vote_change_hint") }) : h("p", { class: "ballot__closed", text: t("vote_closed") }),
  ].filter(Boolean);
}

// One practice of the ballot `view`: its number, group and text, the controls of the ballot's
// mode, its vote's status and its results. `pid` prefixes the ids of its elements.
function buildPractice(view, item, n, total, pid, mode, open) {
  const point = Boolean(item.point_id);
  const li = h("li", { class: "practice" + (point ? " practice--point" : ""), "data-kind": point ? "point" : item.kind || "other" });
  const meta = h("p", { class: "practice__meta" },
    h("span", { class: "practice__n", text: t(point ? "vote_point_n" : "vote_practice_n", { n: formatNumber(n), total: formatNumber(total) }) }));
  const group = model.group(item.group_id);
  if (group) meta.append(h("span", { class: "practice__group", text: t("vote_from_group", { group: model.text(group.name) }) }));
  if (point) meta.append(h("span", { class: "practice__group", text: t("vote_raised_by", { groups: groupList(item.group_ids) }) }));
  const parts = { li, n, item, pid, reading: h("div", { class: "practice__reading" }) };
  showReading(parts);
  li.append(meta, parts.reading);
  if (mode === "yes_no") {
    parts.inputs = [];
    li.append(yesNoChoices(view, item, pid, open, parts.inputs));
  } else {
    const stepper = dotsStepper(view, item, pid, n);
    Object.assign(parts, stepper.parts);
    li.append(stepper.root);
  }
  parts.status = h("p", { class: "practice__status" });
  parts.results = h("div", { class: "practice__results", hidden: true });
  li.append(parts.status, parts.results);
  return parts;
}

// A language's name in the phone's language ("الإنجليزية" on an Arabic phone), to say in which
// language a question is shown.
function languageInPage(code) {
  try { return new Intl.DisplayNames([pageLang], { type: "language" }).of(code) || code; } catch { return code; }
}

// The item's words in the phone's language when translated (live: a translation saved while the
// ballot is open arrives as an event), the original one tap away; redrawn only when they change.
function showReading(parts) {
  const reading = model.itemReading(parts.item);
  const key = JSON.stringify([reading.text, reading.lang, reading.translated && reading.original.text]);
  if (parts.readingKey === key) return;
  parts.readingKey = key;
  const nodes = readingNodes(reading, "p", "practice__text", { fold: true });
  nodes.find((el) => el.classList.contains("practice__text")).id = `${parts.pid}-text`;
  parts.reading.replaceChildren(...nodes);
}

const groupList = (ids) => {
  const names = (ids || []).map((gid) => model.groupName(gid));
  try { return new Intl.ListFormat(pageLang, { type: "conjunction" }).format(names); } catch { return names.join(", "); }
};

// Yes / no / unsure as radio buttons; each change casts the vote.
function yesNoChoices(view, item, pid, open, inputs) {
  const fieldset = h("fieldset", { class: "choices", "aria-describedby": `${pid}-text` },
    h("legend", { class: "choices__legend", text: t("vote_question") }));
  for (const choice of ["yes", "no", "unsure"]) {
    const input = h("input", { type: "radio", class: "choice__input", name: `${pid}-choice`, value: choice, disabled: !open });
    input.addEventListener("change", () => { if (input.checked) cast(view.ballot, itemId(item), choice); });
    const label = h("label", { class: `choice choice--${choice}` }, input,
      h("span", { class: "choice__box" },
        h("span", { class: "choice__icon", "aria-hidden": "true" }),
        h("span", { class: "choice__word", text: t(`vote_${choice}`) })));
    inputs.push(input);
    fieldset.append(label);
  }
  return fieldset;
}

// − and + around the dots this practice has; no more dots than the ballot allows.
function dotsStepper(view, item, pid, n) {
  const stepButton = (cls, labelKey, glyph) => h("button", { type: "button", class: `stepper__button ${cls}`,
    "aria-label": t(labelKey, { n: formatNumber(n) }), "aria-describedby": `${pid}-text` },
  h("span", { "aria-hidden": "true", text: glyph }));
  const minus = stepButton("stepper__button--minus", "vote_dot_remove", "−");
  const plus = stepButton("stepper__button--plus", "vote_dot_add", "+");
  const value = h("output", { class: "stepper__value", id: `${pid}-dots` });
  const pips = h("span", { class: "stepper__pips", "aria-hidden": "true" });
  const label = h("span", { class: "stepper__label", id: `${pid}-dots-label`, text: t("vote_dots_on") });
  value.setAttribute("aria-labelledby", `${pid}-dots-label`);
  const root = h("div", { class: "stepper", role: "group", "aria-labelledby": `${pid}-dots-label`, "aria-describedby": `${pid}-text` },
    label, h("span", { class: "stepper__controls" }, minus, h("span", { class: "stepper__count" }, value, pips), plus));
  const step = (delta) => {
    if (view.ballot.status !== "open") return;
    const current = myVote(view.ballot.id, itemId(item)).value || 0;
    const next = current + delta;
    if (next < 0) return;
    if (delta > 0 && dotsUsed(view.ballot) + delta > (view.ballot.dots || 0)) {
      announce(t("vote_no_dots_left"));
      return;
    }
    cast(view.ballot, itemId(item), next);
  };
  minus.addEventListener("click", () => step(-1));
  plus.addEventListener("click", () => step(1));
  return { root, parts: { minus, plus, value, pips } };
}

// ----- updating a ballot in place (keeps focus and scroll) ---------------------------------------

function updateBallot(view) {
  const ballot = view.ballot;
  const open = ballot.status === "open";
  const used = ballot.mode === "dots" ? dotsUsed(ballot) : 0;
  const allowance = ballot.dots || 0;
  if (view.dotsLeft) {
    view.dotsLeft.textContent = dotsLeftText(ballot);
    view.dotsLeft.hidden = !open;
  }
  const revealed = !!ballot.revealed && results.has(ballot.id);
  view.hidden.hidden = open || !!ballot.revealed;
  const result = revealed ? results.get(ballot.id) : null;

  for (const [cid, parts] of view.items) {
    const vote = myVote(ballot.id, cid);
    if (parts.inputs) {
      for (const input of parts.inputs) input.checked = vote.value === input.value;
    } else {
      const dots = typeof vote.value === "number" ? vote.value : 0;
      parts.value.textContent = formatNumber(dots);
      parts.pips.textContent = "●".repeat(Math.min(dots, 20));
      parts.minus.setAttribute("aria-disabled", String(!open || dots <= 0));
      parts.plus.setAttribute("aria-disabled", String(!open || used >= allowance));
      parts.minus.hidden = !open;
      parts.plus.hidden = !open;
    }
    let text = "";
    if (vote.state === "sending") text = t("vote_sending");
    else if (vote.state === "queued") text = t("vote_queued");
    else if (vote.state === "failed") text = failureText(vote.code);
    else if (vote.state === "recorded") text = t("vote_recorded");
    else if (!open) text = t("vote_not_voted");
    parts.status.textContent = text;
    parts.status.dataset.state = vote.state || "none";
    parts.li.classList.toggle("practice--voted", vote.value != null && vote.value !== 0);
    parts.item = (ballot.items || []).find((it) => itemId(it) === cid) || parts.item;
    showReading(parts);
    renderResult(parts, ballot, result ? (result.results || []).find((r) => (r.point_id || r.contribution_id) === cid) : null);
  }
}

function resultRow(label, count, max, kind) {
  return h("div", { class: `result-row result-row--${kind}` },
    h("span", { class: "result-row__label", text: label }),
    h("progress", { class: "result-row__bar", max: Math.max(max, 1), value: count, "aria-hidden": "true" }),
    h("span", { class: "result-row__count", text: formatNumber(count) }));
}

function renderResult(parts, ballot, result) {
  const box = parts.results;
  if (!result) { box.hidden = true; box.replaceChildren(); return; }
  const signature = JSON.stringify(result);
  if (box.dataset.signature === signature && !box.hidden) return;
  box.dataset.signature = signature;
  const children = [h("p", { class: "practice__results-title", text: t("vote_results") })];
  if (ballot.mode === "dots") {
    const max = Math.max(1, ...((results.get(ballot.id) || {}).results || []).map((r) => r.dots || 0));
    children.push(resultRow(t("vote_dots"), result.dots || 0, max, "dots"));
    children.push(h("p", { class: "result-note", text: t("vote_supporters", { n: formatNumber(result.turnout || 0) }) }));
  } else {
    const counts = result.counts || {};
    const total = result.turnout || 0;
    for (const choice of ["yes", "no", "unsure"]) children.push(resultRow(t(`vote_${choice}`), counts[choice] || 0, total, choice));
    children.push(h("p", { class: "result-note", text: t("vote_votes_total", { n: formatNumber(total) }) }));
    const region = client.extra.participant && client.extra.participant.region;
    const cell = region && result.by_region ? result.by_region[region] : null;
    if (cell && typeof cell.agree_rate === "number") {
      children.push(h("p", { class: "result-note", text: t("vote_region_agree", { rate: formatPercent(cell.agree_rate) }) }));
    }
  }
  box.replaceChildren(...children);
  box.hidden = false;
}

async function fetchResults(ballotId) {
  try {
    results.set(ballotId, await model.fetchBallotResults(ballotId));
    render();
  } catch {
    // offline or refused: the live event or the next reveal brings them
  }
}

// ----- the page -------------------------------------------------------------------------------

function renderStatus() {
  if (!statusEl) return;
  const status = client.status;
  showStatus(statusEl, status, { offline: "vote_status_offline" });
  const unsent = pendingVotes().length;
  unsentEl.hidden = !(unsent > 0 && status !== "online");
  unsentEl.textContent = t("vote_status_unsent", { n: formatNumber(unsent) });
}

function render() {
  renderStatus();
  if (!loaded) return;
  const list = ballots();
  const participant = client.extra.participant || {};
  whoEl.textContent = t("vote_you_region", { region: participant.region ? model.regionName(participant.region) : t("vote_region_none") });
  whoEl.hidden = false;

  const open = list.filter((b) => b.status === "open");
  const closed = list.filter((b) => b.status !== "open").reverse();
  waitingEl.hidden = open.length > 0;
  earlierEl.hidden = closed.length === 0;

  const place = (ballot, container, level) => {
    let view = views.get(ballot.id);
    if (!view || view.status !== ballot.status) {
      const fresh = buildBallot(ballot, level);
      if (view) view.root.replaceWith(fresh.root);
      view = fresh;
      views.set(ballot.id, view);
    }
    view.ballot = ballot;
    if (view.root.parentNode !== container || container.lastElementChild !== view.root) container.append(view.root);
    updateBallot(view);
  };
  for (const ballot of open) place(ballot, openEl, 2);
  for (const ballot of closed) place(ballot, earlierList, 3);
  for (const [id, view] of views) {
    if (!list.some((b) => b.id === id)) { view.root.remove(); views.delete(id); }
  }
  const fresh = bringIntoView && views.get(bringIntoView);
  if (fresh) {
    bringIntoView = null;
    fresh.root.scrollIntoView({ block: "start" });
    fresh.root.querySelector(".ballot__title").focus({ preventScroll: true });
  }
  app.setAttribute("aria-busy", "false");
}

function onEvent(ev) {
  const before = ev.ballot_id ? model.ballotById(ev.ballot_id) : null;
  model.applyEvent(ev);
  if (ev.type === "ballot.opened" && ev.ballot) {
    if (loaded) { announce(t("vote_opened_announce")); bringIntoView = ev.ballot.id; }
  } else if (ev.type === "ballot.closed") {
    if (before && before.status !== "closed" && loaded) announce(t("vote_closed_announce"));
  } else if (ev.type === "ballot.revealed") {
    const ballot = model.ballotById(ev.ballot_id);
    if (ballot && ballot.revealed) fetchResults(ballot.id);
    else if (ballot) results.delete(ballot.id);
  } else if (ev.type === "ballot.results" && ev.results) {
    const ballot = model.ballotById(ev.ballot_id);
    if (ballot && ev.results.revealed !== false) { ballot.revealed = true; results.set(ev.ballot_id, ev.results); }
  }
}

client.on("event", onEvent);
client.on("error", ({ op, error }) => {
  if (op && op.type === "vote.cast") failedOps.set(op.op_id, (error && error.code) || "invalid");
});
client.on("status", () => render());
client.on("load_failed", () => { if (statusEl) statusEl.textContent = t("load_failed"); });
client.on("change", ({ reason }) => {
  if (reason === "state") {
    confirmed = JSON.parse(JSON.stringify(client.extra.my_votes || {}));
    if (!loaded) {
      loaded = true;
      $("vote-loading").hidden = true;
      known = new Map(pendingVotes().map((op) => [op.op_id, op]));
    }
    for (const ballot of ballots()) if (ballot.revealed && !results.has(ballot.id)) fetchResults(ballot.id);
  }
  reconcile();
  render();
});

render();
client.start();
