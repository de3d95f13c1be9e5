// The participant's join page: code -> meeting (GET /api/join/<code>) -> region and language ->
// POST /api/m/<id>/participants (sets the vote page's HttpOnly key cookie) -> the vote page.
// Every visible string comes from boot.i18n (facilitator/web/strings_join.py).

import { boot, t, pick, lang } from "./i18n.js";
import { inert } from "./dom.js";

const ALPHABET = /^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]+$/;
const CODE_LENGTH = 6;

const $ = (id) => document.getElementById(id);
const form = $("join-form");
const codeInput = $("join-code");
const codeError = $("join-code-error");
const meetingBox = $("join-meeting");
const titleEl = $("join-title");
const details = $("join-details");
const langSelect = $("join-lang");
const regionSelect = $("join-region");
const regionError = $("join-region-error");
const already = $("join-already");
const continueLink = $("join-continue");
const formError = $("join-error");
const submit = $("join-submit");

let meeting = null; // {meeting_id, title, languages, regions, code}
let busy = false;

// People type codes in lower case, with spaces or dashes: keep letters and digits only.
export function normalise(code) {
  return String(code || "").toUpperCase().replace(/[^0-9A-Z]/g, "");
}

function showError(node, message) {
  node.textContent = message || "";
  node.hidden = !message;
}

function setInvalid(input, invalid) {
  if (invalid) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

// What was typed or chosen in `input` cannot be used: say why, beside it, and go back to it.
function refuse(input, errorEl, message) {
  showError(errorEl, message);
  setInvalid(input, true);
  input.focus();
}

function clearErrors() {
  showError(codeError, "");
  showError(regionError, "");
  showError(formError, "");
  setInvalid(codeInput, false);
  setInvalid(regionSelect, false);
}

function codeProblem(code) {
  if (!code) return t("join_error_empty");
  if (!ALPHABET.test(code)) return t("join_error_chars");
  if (code.length !== CODE_LENGTH) return t("join_error_length");
  return "";
}

function setBusy(on, label) {
  busy = on;
  submit.setAttribute("aria-disabled", on ? "true" : "false");
  submit.textContent = label;
}

function submitLabel() {
  return meeting && already.hidden ? t("join_submit") : t("join_check");
}

// The language links of the header and the language select keep the code.
function languageUrl(code, language) {
  const params = new URLSearchParams();
  const value = normalise(code);
  if (value) params.set("code", value);
  params.set("lang", language);
  return `${location.pathname}?${params}`;
}

function updateLanguageLinks() {
  for (const link of document.querySelectorAll(".lang-switch a[hreflang]")) {
    link.href = languageUrl(codeInput.value, link.getAttribute("hreflang"));
  }
}

function fillRegions(regions) {
  const chosen = regionSelect.value;
  while (regionSelect.options.length > 1) regionSelect.remove(1);
  for (const region of regions || []) {
    const option = document.createElement("option");
    option.value = region.id;
    option.textContent = inert(pick(region.name)) || region.id;
    regionSelect.append(option);
  }
  const none = document.createElement("option");
  none.value = "none";
  none.textContent = t("join_region_none");
  regionSelect.append(none);
  if (chosen && [...regionSelect.options].some((o) => o.value === chosen)) regionSelect.value = chosen;
}

// Wrong codes from one address back off for a while (docs/protocol.md, "Joining").
function waitMessage(response) {
  const seconds = parseInt(response.headers.get("Retry-After"), 10);
  return t("join_error_wait", { n: Number.isFinite(seconds) && seconds > 0 ? seconds : 30 });
}

function reset() {
  meeting = null;
  meetingBox.hidden = true;
  details.hidden = true;
  already.hidden = true;
  submit.hidden = false;
  codeInput.readOnly = false;
  submit.textContent = submitLabel();
}

async function lookUp(focusNext) {
  const code = normalise(codeInput.value);
  const problem = codeProblem(code);
  if (problem) {
    refuse(codeInput, codeError, problem);
    return;
  }
  setBusy(true, t("join_checking"));
  let response;
  try {
    response = await fetch(`/api/join/${encodeURIComponent(code)}`, { headers: { Accept: "application/json" } });
  } catch {
    setBusy(false, submitLabel());
    showError(formError, t("join_error_network"));
    return;
  }
  if (!response.ok) {
    setBusy(false, submitLabel());
    if (response.status === 429) {
      showError(formError, waitMessage(response));
    } else if (response.status === 404) {
      showError(codeError, t("join_error_not_found"));
      setInvalid(codeInput, true);
      codeInput.focus();
    } else {
      showError(formError, t("join_error_server"));
    }
    return;
  }
  const found = await response.json();
  meeting = { ...found, code };
  codeInput.value = code;
  updateLanguageLinks();
  titleEl.textContent = inert(pick(found.title));
  meetingBox.hidden = false;
  fillRegions(found.regions);
  details.hidden = false;
  // Joined before on this phone? The vote cookie is HttpOnly: ask the server.
  const voteUrl = `/m/${encodeURIComponent(found.meeting_id)}/vote?lang=${encodeURIComponent(lang)}`;
  try {
    const state = await fetch(`/api/m/${encodeURIComponent(found.meeting_id)}/state`, {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json", "X-Facilitator-Page": "vote" },
    });
    if (state.ok && (await state.json()).role === "participant") {
      continueLink.href = voteUrl;
      already.hidden = false;
      details.hidden = true;
      submit.hidden = true;
    }
  } catch {
    // not joined, or offline: the join button will tell
  }
  setBusy(false, submitLabel());
  if (focusNext) (already.hidden ? regionSelect : continueLink).focus();
}

async function join() {
  const region = regionSelect.value;
  if (!region) {
    refuse(regionSelect, regionError, t("join_error_region"));
    return;
  }
  setBusy(true, t("join_joining"));
  let response;
  try {
    response = await fetch(`/api/m/${encodeURIComponent(meeting.meeting_id)}/participants`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ code: meeting.code, region: region === "none" ? null : region, lang }),
    });
  } catch {
    setBusy(false, submitLabel());
    showError(formError, t("join_error_network"));
    return;
  }
  let body = {};
  try { body = await response.json(); } catch { /* an HTML error page */ }
  if (response.ok && body.ok) {
    const target = body.vote_url || `/m/${encodeURIComponent(meeting.meeting_id)}/vote`;
    location.assign(`${target}${target.includes("?") ? "&" : "?"}lang=${encodeURIComponent(lang)}`);
    return; // stays busy while the vote page loads
  }
  setBusy(false, submitLabel());
  const code = body.error && body.error.code;
  if (code === "rate_limited") {
    showError(formError, waitMessage(response));
  } else if (code === "meeting_full") {
    showError(formError, t("join_error_full"));
  } else if (code === "unauthorized" || code === "not_found") {
    reset();
    showError(codeError, t("join_error_not_found"));
    setInvalid(codeInput, true);
    codeInput.focus();
  } else {
    showError(formError, t("join_error_server"));
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (busy) return;
  clearErrors();
  if (!meeting) lookUp(true);
  else join();
});

codeInput.addEventListener("input", () => {
  updateLanguageLinks();
  if (meeting && normalise(codeInput.value) !== meeting.code) reset();
  if (codeInput.getAttribute("aria-invalid")) clearErrors();
});

regionSelect.addEventListener("change", () => {
  if (regionSelect.value) { showError(regionError, ""); setInvalid(regionSelect, false); }
});

langSelect.addEventListener("change", () => {
  location.assign(languageUrl(codeInput.value, langSelect.value));
});

$("join-change").addEventListener("click", () => {
  reset();
  clearErrors();
  codeInput.value = "";
  updateLanguageLinks();
  codeInput.focus();
});

updateLanguageLinks();
submit.textContent = submitLabel();
if (normalise(boot.code)) lookUp(false);
