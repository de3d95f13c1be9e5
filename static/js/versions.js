// Versions of what two pages may change at once (issue 20): an outcome's wording, a point's
// title. A page sends the version it saw when the person started typing; a stale one comes back
// `conflict` with the current text and its version, and the page offers theirs or mine, as the
// board does for a contribution (docs/protocol.md).

import { h } from "./dom.js";
import { t } from "./i18n.js";

export const titleVersion = (curation, clusterId, lang) =>
  (((curation || {}).title_versions || {})[clusterId] || {})[lang || ""] || 0;

export const wordingVersion = (outcome, ref) => ((outcome || {}).versions || {})[ref] || 0;

// The wording and title forms of a page: the version each draft started from (noted at its
// first keystroke), its op sent with it, and the conflict a stale one meets, offered beside the
// form until the person chooses. `send(op, doneKey)` sends through the page's outbox, `drafts`
// is the page's map of what is being typed (id -> text), `render` re-renders the page.
export class VersionedDrafts {
  constructor({ send, drafts, render }) {
    Object.assign(this, { sendOp: send, drafts, render });
    this.seen = new Map(); // draft id -> version it started from
    this.conflicts = new Map(); // draft id -> {current, mine, op, doneKey}
  }

  // the control's draft starts from `version` (re-rendered forms keep the first one)
  watch(control, id, version) {
    control.addEventListener("input", () => { if (!this.seen.has(id)) this.seen.set(id, version); });
  }

  // `mine` {text, lang}; `version` the form's, when no keystroke noted an older one
  send(id, op, mine, doneKey, version) {
    const seenVersion = this.seen.has(id) ? this.seen.get(id) : version;
    this.seen.delete(id);
    this.drafts.delete(id);
    return this.sendOp({ ...op, version: seenVersion }, doneKey).then((ack) => {
      const current = conflictOf(ack);
      if (current) {
        this.drafts.set(id, mine.text);
        this.conflicts.set(id, { current, mine, op, doneKey });
        this.render();
      }
      return ack;
    });
  }

  // the offer of a draft in conflict (`theirsText(current)` their text), or null
  offer(id, titleKey, theirsText) {
    const conflict = this.conflicts.get(id);
    if (!conflict) return null;
    const { current, mine, op, doneKey } = conflict;
    const close = () => { this.conflicts.delete(id); this.drafts.delete(id); this.render(); };
    return conflictOffer({
      title: t(titleKey), theirs: { text: theirsText(current), lang: current.lang }, mine,
      onTheirs: close,
      onMine: () => { close(); this.send(id, op, mine, doneKey, current.version); },
    });
  }
}

// Their text beside mine: keep theirs, or send mine over theirs (with their version).
export function conflictOffer({ title, theirs, mine, onTheirs, onMine }) {
  const version = (label, v) => h("div", { class: "conflict__version" },
    h("p", { class: "conflict__label", text: label }),
    h("p", { class: "conflict__text", dir: "auto", lang: (v && v.text && v.lang) || null,
      text: (v && v.text) || t("conflict_none") }));
  return h("div", { class: "conflict", role: "alert" },
    h("p", { class: "conflict__title", dir: "auto", text: title }),
    h("div", { class: "conflict__versions" }, version(t("conflict_theirs"), theirs), version(t("conflict_yours"), mine)),
    h("div", { class: "conflict__actions" },
      h("button", { type: "button", class: "button", text: t("keep_theirs"), onclick: onTheirs }),
      h("button", { type: "button", class: "button button--primary", text: t("use_mine"), onclick: onMine })));
}

// A conflict answer to an op sent with a version: {current} to offer, else null.
export const conflictOf = (ack) =>
  (ack && !ack.ok && ack.error && ack.error.code === "conflict" && ack.error.current) ? ack.error.current : null;
