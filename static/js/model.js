// The meeting as the pages read it: lookups over what the shared client holds (the agenda,
// the live extras such as ballots and the spotlight), the live events that change those
// extras, and the live views the socket does not replay (synthesis, ballot results).

import { pick } from "./i18n.js";

export class MeetingModel {
  constructor(client) {
    this.client = client;
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

  // Folds a live event into the extras every page keeps; other events are left to the page.
  applyEvent(ev) {
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
      case "ballot.revealed": updateBallot(ev.ballot_id, { revealed: ev.revealed !== false }); break;
      default: break;
    }
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

// The synthesis of one question, or of one session (its converging points across questions).
export const questionSynthesis = (synthesis, qid) =>
  synthesis && (synthesis.questions || []).find((q) => q.question_id === qid);
export const sessionSynthesis = (synthesis, sid) =>
  synthesis && (synthesis.sessions || []).find((s) => s.session_id === sid);
