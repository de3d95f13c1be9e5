// The meeting as the pages read it: lookups over what the shared client holds (the agenda,
// the live extras such as ballots and the spotlight), the live events that change those
// extras, and the live views the socket does not replay (synthesis, ballot results).

import { pick, lang as pageLang } from "./i18n.js";
import { orderKey } from "./client.js";

// "fr-CA" and "fr" are one language to a reader (facilitator/meeting/desk.py base_language).
export const baseLanguage = (code) => String(code || "").split("-", 1)[0].toLowerCase();

// What a reader of `lang` sees of a contribution `c` whose translations are `translations`
// ({lang: {text, source, stale}}): the translation into `lang` when there is one (stale ones
// too, marked), else the original. The original always travels along, for the page to show
// beneath, one tap away or beside. The one rule of every page (plenary, chair, vote, board).
export function readingOf(c, translations, lang = pageLang) {
  const original = { text: c.text, lang: c.lang || null };
  const want = baseLanguage(lang);
  if (!want || baseLanguage(c.lang) === want) return { ...original, original, translated: false };
  const entries = Object.entries(translations || {});
  const found = entries.find(([code]) => code === lang) || entries.find(([code]) => baseLanguage(code) === want);
  if (!found || !found[1] || !found[1].text) return { ...original, original, translated: false };
  const [code, tr] = found;
  return { text: tr.text, lang: code, original, translated: true, source: tr.source || "human", stale: Boolean(tr.stale) };
}

export class MeetingModel {
  constructor(client) {
    this.client = client;
    // contribution id -> {lang: {text, source, stale, basis}}: kept beside the contributions,
    // because the events that replace a contribution do not carry its translations.
    this.translations = new Map();
    client.on("change", (info) => { if (info && info.reason === "state") this._loadTranslations(); });
  }

  _loadTranslations() {
    this.translations = new Map();
    for (const c of this.client.contributions.values()) {
      const mine = {};
      for (const [code, tr] of Object.entries(c.translations || {})) mine[code] = { ...tr, basis: tr.stale ? null : basisOf(c) };
      if (Object.keys(mine).length) this.translations.set(c.id, mine);
    }
  }

  // ----- the agenda -----------------------------------------------------------------------------

  meeting() { return this.client.meeting || {}; }

  // The language an agenda text falls back to when it is not written in the page's.
  fallbackLang() { return this.meeting().default_language; }

  // An agenda text (a plain string, or a map from language to string) in the page's language.
  text(agendaText) { return pick(agendaText, this.fallbackLang()); }

  sessions() { return this.meeting().sessions || []; }

  sessionById(id) { return this.sessions().find((s) => s.id === id); }

  currentSession() { return this.sessionById(this.client.sessionId); }

  // The session whose answers are reviewed: `session`, except a plenary session (the general
  // discussion), which reviews the answers of the breakout session before it, in agenda order.
  answersSession(session = this.currentSession()) {
    if (!session || !session.plenary) return session;
    const list = this.sessions();
    for (let i = list.indexOf(session) - 1; i >= 0; i -= 1) if (!list[i].plenary) return list[i];
    return session;
  }

  // {session, question, index} of a guiding question, or null.
  questionById(qid) {
    for (const session of this.sessions()) {
      const index = (session.questions || []).findIndex((q) => q.id === qid);
      if (index >= 0) return { session, question: session.questions[index], index };
    }
    return null;
  }

  group(gid) { return (this.meeting().groups || []).find((g) => g.id === gid); }

  groupName(gid) {
    const group = this.group(gid);
    return group ? this.text(group.name) : gid;
  }

  regionIds() { return (this.meeting().regions || []).map((r) => r.id); }

  regionName(rid) {
    const region = (this.meeting().regions || []).find((r) => r.id === rid);
    return region ? this.text(region.name) : rid;
  }

  // ----- the live extras ------------------------------------------------------------------------

  extra() { return this.client.extra; }

  ballots() { return Array.isArray(this.client.extra.ballots) ? this.client.extra.ballots : []; }

  ballotById(id) { return this.ballots().find((b) => b.id === id); }

  // A contribution that is still there (not deleted), or null.
  liveContribution(id) {
    const c = this.client.contributions.get(id);
    return c && !c.deleted ? c : null;
  }

  // ----- translations, sign-offs, the freeze (issue 12) ----------------------------------------

  // A contribution's translations as they stand: one made from other words than the
  // contribution's current ones is stale (the server marks it so too; this sees it at once).
  translationsOf(c) {
    const mine = this.translations.get(c.id) || {};
    const now = basisOf(c);
    const out = {};
    for (const [code, tr] of Object.entries(mine)) out[code] = { ...tr, stale: Boolean(tr.stale || (tr.basis && tr.basis !== now)) };
    return out;
  }

  // What this page's reader sees of contribution `c` (readingOf).
  reading(c, lang = pageLang) { return readingOf(c, this.translationsOf(c), lang); }

  // What this page's reader sees of a ballot's item ({contribution_id, text, lang, translations?}):
  // the live contribution's reading when the page has it, else the item's own (a phone has no
  // contributions; its ballots carry their items' translations).
  itemReading(item, lang = pageLang) {
    if (item.point_id) return this.pointReading(item, lang);
    const c = this.liveContribution(item.contribution_id);
    return c ? this.reading(c, lang) : readingOf({ text: item.text || "", lang: item.lang }, item.translations, lang);
  }

  // A point on a ballot ({point_id, title, titles, central, text, lang, translations?}), read as
  // its headline: its title in `lang`, else its title, else its wording (its central member's,
  // translated into `lang` when it is).
  pointReading(item, lang = pageLang) {
    const title = pickLang(item.titles, lang);
    const text = title ? item.titles[title] : item.title;
    if (text) {
      const original = { text, lang: title || null };
      return { ...original, original, translated: false, title: true };
    }
    const c = this.liveContribution(item.central);
    return c ? this.reading(c, lang) : readingOf({ text: item.text || "", lang: item.lang }, item.translations, lang);
  }

  // The question a ballot puts ({lang: text}, or one text as typed) in `lang`: {text, lang,
  // fallback}, fallback true when it is shown in another language than the one asked for.
  promptReading(prompt, lang = pageLang) {
    if (!prompt) return null;
    if (typeof prompt === "string") return { text: prompt, lang: null, fallback: false };
    const code = pickLang(prompt, lang) || pickLang(prompt, this.fallbackLang()) || Object.keys(prompt)[0];
    return code ? { text: prompt[code], lang: code, fallback: baseLanguage(code) !== baseLanguage(lang) } : null;
  }

  // A converging point's title in the page's language, else its default title (or null).
  clusterTitle(clusterId, defaultTitle, lang = pageLang) {
    const byLang = ((this.client.extra.curation || {}).titles_by_lang || {})[clusterId] || {};
    const code = pickLang(byLang, lang);
    return code ? { text: byLang[code], lang: code } : (defaultTitle ? { text: defaultTitle, lang: null } : null);
  }

  // A converging point's headline, a readable sentence in the page's language (issue 18): its
  // title in that language, else its title, else what its most central member (`central`; the
  // first member when the synthesis does not say) reads in that language. Never its stems.
  // `cl` is a point of the synthesis or of the curation ({id, title, titles, central, contributions
  // or members}). Returns {text, lang, title: bool}, or null for a point with nothing to show.
  pointHeadline(cl, lang = pageLang) {
    if (!cl) return null;
    // a title just given in this language (the live curation) before the synthesis' own
    const fresh = this.clusterTitle(cl.id, null, lang);
    if (fresh) return { ...fresh, title: true };
    const own = cl.titles || {};
    const want = baseLanguage(lang);
    const code = Object.keys(own).find((k) => k === lang) || Object.keys(own).find((k) => baseLanguage(k) === want);
    if (code && own[code]) return { text: own[code], lang: code, title: true };
    if (cl.title) return { text: cl.title, lang: null, title: true };
    // the central member first; when it does not read in this language (no translation yet),
    // another member that does, before a sentence in a language the screen's readers may not read
    const ids = [cl.central, ...(cl.contributions || cl.members || [])];
    const readings = ids.map((id) => this.liveContribution(id)).filter(Boolean).map((c) => this.reading(c, lang));
    if (!readings.length) return null;
    const reading = readings.find((r) => baseLanguage(r.lang) === want) || readings[0];
    return { text: reading.text, lang: reading.lang, title: false };
  }

  // {ts, stale} of a group's sign-off of its answers to a question, or null.
  signOff(groupId, questionId) { return (this.client.extra.sign_offs || {})[orderKey(groupId, questionId)] || null; }

  plenaryFrozen() { return Boolean(this.client.extra.plenary_frozen); }

  _applyDeskEvent(ev) {
    const extra = this.client.extra;
    if (ev.type === "translation.set") {
      const mine = { ...(this.translations.get(ev.contribution_id) || {}) };
      const c = this.client.contributions.get(ev.contribution_id);
      // stale from the start when made from words the original no longer had (ev.stale)
      if (ev.text) mine[ev.lang] = { text: ev.text, source: ev.source, stale: Boolean(ev.stale), ts: ev.ts, basis: c && !ev.stale ? basisOf(c) : null };
      else delete mine[ev.lang];
      this.translations.set(ev.contribution_id, mine);
    } else if (ev.type === "answers.signed_off") {
      extra.sign_offs = { ...(extra.sign_offs || {}), [orderKey(ev.group_id, ev.question_id)]: { ts: ev.ts, stale: false } };
    } else if (ev.type === "plenary.frozen") {
      extra.plenary_frozen = Boolean(ev.frozen);
    } else if (ev.type === "cluster.titled" && ev.lang) {
      const curation = extra.curation = { ...(extra.curation || {}) };
      const all = curation.titles_by_lang = { ...(curation.titles_by_lang || {}) };
      const titles = all[ev.cluster_id] = { ...(all[ev.cluster_id] || {}) };
      if (ev.title) titles[ev.lang] = ev.title; else delete titles[ev.lang];
      if (!Object.keys(titles).length) delete all[ev.cluster_id];
    } else if (ev.type && ev.type.startsWith("contribution.") && ev.contribution && extra.sign_offs) {
      // any change to a group's answers outdates its sign-off of that question (and of the one
      // a contribution moved from)
      const c = ev.contribution;
      const keys = [orderKey(c.group_id, c.question_id)];
      if (ev.previous_order) keys.push(orderKey(c.group_id, ev.previous_order.question_id));
      const signOffs = { ...extra.sign_offs };
      for (const key of keys) if (signOffs[key]) signOffs[key] = { ...signOffs[key], stale: true };
      extra.sign_offs = signOffs;
    }
  }

  // Folds a live event into the extras every page keeps; other events are left to the page.
  applyEvent(ev) {
    this._applyDeskEvent(ev);
    const extra = this.client.extra;
    const updateBallot = (id, fields) => {
      extra.ballots = this.ballots().map((b) => (b.id === id ? { ...b, ...fields } : b));
    };
    switch (ev.type) {
      case "spotlight.set": extra.spotlight = ev.spotlight || null; break;
      case "meeting.anonymity": extra.anonymous = Boolean(ev.anonymous); break;
      case "participant.joined": extra.participants = (extra.participants || 0) + 1; break;
      case "ballot.opened":
        if (ev.ballot) extra.ballots = [...this.ballots().filter((b) => b.id !== ev.ballot.id), ev.ballot];
        break;
      case "ballot.closed": updateBallot(ev.ballot_id, { status: "closed" }); break;
      case "translation.set": case "cluster.titled": this._applyToBallotItems(ev); break;
      case "ballot.revealed": updateBallot(ev.ballot_id, { revealed: ev.revealed !== false }); break;
      default: break;
    }
  }

  // A translation of a text on a ballot, or a point's new title, into the ballots' items: a
  // phone has no contributions, and reads its items' own translations and titles.
  _applyToBallotItems(ev) {
    const extra = this.client.extra;
    const change = (item) => {
      if (ev.type === "cluster.titled") {
        if (item.point_id !== ev.cluster_id) return item;
        if (!ev.lang) return { ...item, title: ev.title || null };
        const titles = { ...(item.titles || {}) };
        if (ev.title) titles[ev.lang] = ev.title; else delete titles[ev.lang];
        return { ...item, titles };
      }
      if (ev.contribution_id !== (item.contribution_id || item.central)) return item;
      const translations = { ...(item.translations || {}) };
      if (ev.text) translations[ev.lang] = { text: ev.text, source: ev.source, stale: Boolean(ev.stale), ts: ev.ts };
      else delete translations[ev.lang];
      return { ...item, translations };
    };
    if (!this.ballots().length) return;
    extra.ballots = this.ballots().map((b) => ({ ...b, items: (b.items || []).map(change) }));
  }

  // ----- live views -----------------------------------------------------------------------------

  // The address of the meeting's HTTP endpoint `path` ("/synthesis", "/report.md?lang=ar"...).
  apiUrl(path) { return `/api/m/${encodeURIComponent(this.client.meetingId)}${path}`; }

  // GET one as this page; throws on an HTTP error.
  async fetchLive(path) {
    const url = this.apiUrl(path);
    const response = await fetch(url, {
      credentials: "same-origin", cache: "no-store",
      headers: { Accept: "application/json", "X-Facilitator-Page": this.client.page },
    });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
  }

  fetchSynthesis() { return this.fetchLive("/synthesis"); }

  fetchBallotResults(ballotId) { return this.fetchLive(`/ballots/${encodeURIComponent(ballotId)}`); }
}

// The key of `map` ({lang: ...}) for a reader of `lang`: the same code, else the same language.
function pickLang(map, lang) {
  const keys = Object.keys(map || {}).filter((k) => map[k]);
  const want = baseLanguage(lang);
  return keys.find((k) => k === lang) || keys.find((k) => baseLanguage(k) === want) || null;
}

// The words a translation was made from: when they change, the translation is stale.
const basisOf = (c) => `${c.lang || ""}\u0000${c.text || ""}`;

// The synthesis of one question, or of one session (its converging points across questions).
// The later of two syntheses by the log seq each reflects: a GET answered before a push may
// arrive after it, and the server answers from its last result (or "pending", seq 0).
export const laterSynthesis = (held, got) =>
  (!held || !got || (got.seq ?? 0) >= (held.seq ?? 0) ? got || held : held);

export const questionSynthesis = (synthesis, qid) =>
  synthesis && (synthesis.questions || []).find((q) => q.question_id === qid);
export const sessionSynthesis = (synthesis, sid) =>
  synthesis && (synthesis.sessions || []).find((s) => s.session_id === sid);
