// The chair's list of the meeting's links (GET /api/m/<id>/links): each with its QR code, and
// re-issued with link.reissue when one leaked. A module of its own, mounted by chair.js into its
// section: it renders only when the list or its own state changes, never on the console's other
// updates, so nothing is rebuilt under the chair's click.

import { t } from "./i18n.js";
import { h, icon } from "./dom.js";

const rowKey = (link) => `${link.role}:${link.group_id || ""}`;
const inRow = (key, action) => `[data-link="${CSS.escape(key)}"] [data-action="${action}"]`;

// ctx: { container, client, model, toast, announce } and the list's own state.
export function mountLinks(parts) {
  const ctx = { ...parts, links: null, failed: false, asking: null, open: new Set(), focus: null };
  ctx.client.on("change", (info) => { if (info && info.reason === "state") refresh(ctx); });
  ctx.client.on("event", (ev) => { if (ev.type === "link.reissued") refresh(ctx); });
  ctx.client.on("status", (status) => { if (status === "online" && ctx.failed) refresh(ctx); });
  render(ctx);
  return { refresh: () => refresh(ctx) };
}

async function refresh(ctx) {
  try {
    ctx.links = (await ctx.model.fetchLive("/links")).links;
    ctx.failed = false;
  } catch (err) {
    console.warn(err);
    ctx.failed = true;
  }
  render(ctx);
}

function linkName(ctx, link) {
  if (link.role === "rapporteur") return t("link_role_rapporteur", { group: ctx.model.groupName(link.group_id) });
  const key = `link_role_${link.role}`;
  const name = t(key);
  return name === key ? link.role : name; // a role newer than this page's strings
}

// Which sessions a group works in: what its rapporteur needs to hear with the link.
function worksIn(ctx, link) {
  if (link.role !== "rapporteur") return null;
  const titles = ctx.model.sessions().filter((s) => (s.groups || []).includes(link.group_id)).map((s) => ctx.model.text(s.title));
  return h("p", { class: "ch-muted ln-link__sessions" }, titles.length
    ? t("link_works_in", { sessions: titles.join(" · ") }) : t("link_works_in_none"));
}

function reissue(ctx, link) {
  ctx.asking = null;
  const op = { type: "link.reissue", role: link.role };
  if (link.group_id) op.group_id = link.group_id;
  ctx.client.send(op).then((ack) => {
    if (!ack || !ack.ok) return; // refused: the console's toast says why
    ctx.open.add(rowKey(link));
    ctx.toast(t("link_reissued", { what: linkName(ctx, link) }));
    ctx.announce(t("link_reissued", { what: linkName(ctx, link) }));
    refresh(ctx);
  });
  ctx.focus = inRow(rowKey(link), "link-reissue");
  render(ctx);
}

function smallButton(label, onclick, action, cls = "") {
  return h("button", { type: "button", class: `button button--small ${cls}`.trim(), onclick, "data-action": action },
    h("span", { text: label }));
}

// Re-issue, or the question it asks first.
function actions(ctx, link) {
  const key = rowKey(link);
  const ask = (asking, focus) => () => { ctx.asking = asking; ctx.focus = inRow(key, focus); render(ctx); };
  if (ctx.asking !== key) {
    return h("div", { class: "ch-actions" }, smallButton(t("link_reissue"), ask(key, "link-reissue-yes"), "link-reissue"));
  }
  return h("div", { class: "ln-ask", role: "group", "aria-label": linkName(ctx, link) },
    h("p", { class: "ln-ask__text", text: t("link_reissue_ask") }),
    h("div", { class: "ch-actions" },
      smallButton(t("link_reissue_yes"), () => reissue(ctx, link), "link-reissue-yes", "button--danger"),
      smallButton(t("link_cancel"), ask(null, "link-reissue"), "link-cancel")));
}

// The QR code and the address, folded away until asked for.
function details(ctx, link, name) {
  const key = rowKey(link);
  const address = h("input", { type: "text", readonly: true, dir: "ltr", value: link.url, class: "ln-url",
    onfocus: (e) => e.target.select() });
  address.id = `ln-url-${key.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const copy = () => navigator.clipboard.writeText(link.url).then(() => ctx.announce(t("link_copied")), () => {});
  return h("details", { class: "ln-link__more", open: ctx.open.has(key),
    ontoggle: (e) => { if (e.target.open) ctx.open.add(key); else ctx.open.delete(key); } },
    h("summary", { text: t("link_show") }),
    h("img", { class: "ln-qr", src: link.qr, alt: t("link_qr_alt", { what: name }), width: "160", height: "160" }),
    h("div", { class: "field" }, h("label", { for: address.id, text: t("link_address") }), address),
    navigator.clipboard ? h("button", { type: "button", class: "button button--small", onclick: copy, "data-action": "link-copy" },
      icon("⧉"), h("span", { text: t("link_copy") })) : null);
}

function row(ctx, link) {
  const name = linkName(ctx, link);
  return h("li", { class: "ln-link", "data-link": rowKey(link), "data-role": link.role, "data-group": link.group_id || null },
    h("div", { class: "ln-link__head" }, h("p", { class: "ln-link__name", text: name }), worksIn(ctx, link)),
    actions(ctx, link), details(ctx, link, name));
}

function render(ctx) {
  const { container } = ctx;
  const body = [h("h2", { class: "ch-panel__title", id: `${container.id}-title`, text: t("links_title") }),
    h("p", { class: "hint", text: t("links_hint") })];
  if (ctx.links) body.push(h("ul", { class: "ln-links" }, ...ctx.links.map((link) => row(ctx, link))));
  else body.push(h("p", { class: "ch-muted", text: t(ctx.failed ? "links_failed" : "links_loading") }));
  if (ctx.failed && ctx.links) body.push(h("p", { class: "ch-note", text: t("links_failed") }));
  container.replaceChildren(...body);
  if (ctx.focus) {
    const again = container.querySelector(ctx.focus);
    if (again) again.focus();
    ctx.focus = null;
  }
}
