// The chair's list of the meeting's links (GET /api/m/<id>/links): each with its QR code, and
// re-issued with link.reissue when one leaked. A module of its own, mounted by chair.js into its
// section: it renders only when the list or its own state changes, never on the console's other
// updates, so nothing is rebuilt under the chair's click.

import { t } from "./i18n.js";
import { h, icon } from "./dom.js";

const rowKey = (link) => `${link.role}:${link.group_id || ""}`;

export function mountLinks({ container, client, model, toast, announce }) {
  const ui = { links: null, failed: false, asking: null, open: new Set(), focus: null };

  async function refresh() {
    try {
      ui.links = (await model.fetchLive("/links")).links;
      ui.failed = false;
    } catch (err) {
      console.warn(err);
      ui.failed = true;
    }
    render();
  }

  function linkName(link) {
    if (link.role === "rapporteur") return t("link_role_rapporteur", { group: model.groupName(link.group_id) });
    const key = `link_role_${link.role}`;
    const name = t(key);
    return name === key ? link.role : name; // a role newer than this page's strings
  }

  // Which sessions a group works in: what its rapporteur needs to hear with the link.
  function worksIn(link) {
    if (link.role !== "rapporteur") return null;
    const titles = model.sessions().filter((s) => (s.groups || []).includes(link.group_id)).map((s) => model.text(s.title));
    return h("p", { class: "ch-muted ln-link__sessions" }, titles.length
      ? t("link_works_in", { sessions: titles.join(" · ") }) : t("link_works_in_none"));
  }

  function reissue(link) {
    ui.asking = null;
    const op = { type: "link.reissue", role: link.role };
    if (link.group_id) op.group_id = link.group_id;
    client.send(op).then((ack) => {
      if (!ack || !ack.ok) return; // refused: the console's toast says why
      ui.open.add(rowKey(link));
      toast(t("link_reissued", { what: linkName(link) }));
      announce(t("link_reissued", { what: linkName(link) }));
      refresh();
    });
    ui.focus = `[data-link="${CSS.escape(rowKey(link))}"] [data-action="link-reissue"]`;
    render();
  }

  function copy(link) {
    const done = () => announce(t("link_copied"));
    if (navigator.clipboard) navigator.clipboard.writeText(link.url).then(done, () => {});
  }

  function actions(link) {
    const key = rowKey(link);
    const small = (label, onclick, action, cls = "") => h("button", {
      type: "button", class: `button button--small ${cls}`.trim(), onclick, "data-action": action }, h("span", { text: label }));
    if (ui.asking !== key) {
      return h("div", { class: "ch-actions" }, small(t("link_reissue"), () => {
        ui.asking = key;
        ui.focus = `[data-link="${CSS.escape(key)}"] [data-action="link-reissue-yes"]`;
        render();
      }, "link-reissue"));
    }
    return h("div", { class: "ln-ask", role: "group", "aria-label": linkName(link) },
      h("p", { class: "ln-ask__text", text: t("link_reissue_ask") }),
      h("div", { class: "ch-actions" },
        small(t("link_reissue_yes"), () => reissue(link), "link-reissue-yes", "button--danger"),
        small(t("link_cancel"), () => {
          ui.asking = null;
          ui.focus = `[data-link="${CSS.escape(key)}"] [data-action="link-reissue"]`;
          render();
        }, "link-cancel")));
  }

  function row(link) {
    const key = rowKey(link);
    const name = linkName(link);
    const address = h("input", { type: "text", readonly: true, dir: "ltr", value: link.url, class: "ln-url",
      onfocus: (e) => e.target.select() });
    address.id = `ln-url-${key.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    const more = h("details", { class: "ln-link__more", open: ui.open.has(key),
      ontoggle: (e) => { if (e.target.open) ui.open.add(key); else ui.open.delete(key); } },
      h("summary", { text: t("link_show") }),
      h("img", { class: "ln-qr", src: link.qr, alt: t("link_qr_alt", { what: name }), width: "160", height: "160" }),
      h("div", { class: "field" }, h("label", { for: address.id, text: t("link_address") }), address),
      navigator.clipboard ? h("button", { type: "button", class: "button button--small", onclick: () => copy(link), "data-action": "link-copy" },
        icon("⧉"), h("span", { text: t("link_copy") })) : null);
    return h("li", { class: "ln-link", "data-link": key, "data-role": link.role, "data-group": link.group_id || null },
      h("div", { class: "ln-link__head" }, h("p", { class: "ln-link__name", text: name }), worksIn(link)),
      actions(link), more);
  }

  function render() {
    const body = [h("h2", { class: "ch-panel__title", id: `${container.id}-title`, text: t("links_title") }),
      h("p", { class: "hint", text: t("links_hint") })];
    if (ui.links) body.push(h("ul", { class: "ln-links" }, ...ui.links.map(row)));
    else body.push(h("p", { class: "ch-muted", text: t(ui.failed ? "links_failed" : "links_loading") }));
    if (ui.failed && ui.links) body.push(h("p", { class: "ch-note", text: t("links_failed") }));
    container.replaceChildren(...body);
    if (ui.focus) {
      const again = container.querySelector(ui.focus);
      if (again) again.focus();
      ui.focus = null;
    }
  }

  client.on("change", (info) => { if (info && info.reason === "state") refresh(); });
  client.on("event", (ev) => { if (ev.type === "link.reissued") refresh(); });
  client.on("status", (status) => { if (status === "online" && ui.failed) refresh(); });
  render();
  return { refresh };
}
