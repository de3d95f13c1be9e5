// The shared real-time client of every page (docs/protocol.md).
//
// - Loads the meeting state over HTTP, then keeps it current with Socket.IO events,
//   noticing missed events through `prev` and catching up with `sync`, never a reload.
// - Ops go into an outbox kept in localStorage, so nothing typed is lost when the Wi-Fi
//   drops, the laptop sleeps or the tab reloads. One op is in flight at a time, in order;
//   a retried op keeps its op_id, so the server applies it once.
// - Tabs of one page share the outbox; one of them at a time sends it (the outbox lease: a Web
//   Lock, or a lease renewed in localStorage where Web Locks are missing), and tells the others
//   how their ops ended (a BroadcastChannel). Two tabs sending every op twice slowed the meeting.
// - view() is the confirmed state with the unsent ops laid over it: what the user expects.
//
//   const client = new MeetingClient({meetingId, page: "board", scope: groupId, name});
//   client.on("change", render); client.on("status", showStatus); client.on("error", report);
//   await client.start(); client.send({type: "contribution.add", ...});

import { io } from "/vendor/socket.io-client/dist/socket.io.esm.min.js";

const ACK_TIMEOUT_MS = 10000;
const IDLE_SYNC_MS = 20000;
const MAX_BACKOFF_MS = 15000;
const RETRYABLE = new Set(["rate_limited", "unavailable"]);
// The localStorage lease: renewed every second, lost 4 s after its tab stopped renewing it (a
// closed tab, or one the browser froze), when another tab takes it over.
const LEASE_RENEW_MS = 1000;
const LEASE_MS = 4000;
const CONTRIBUTION_EVENTS = new Set([
  "contribution.added", "contribution.edited", "contribution.moved",
  "contribution.deleted", "contribution.restored",
]);

export function randomId(length = 20) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => alphabet[b & 63]).join("");
}

export function newOpId() {
  return typeof crypto.randomUUID === "function" ? crypto.randomUUID() : randomId(32);
}

export const orderKey = (groupId, questionId) => `${groupId}|${questionId}`;

// localStorage, or memory when it is unavailable (private mode, quota, disabled).
const memoryStore = new Map();
const storage = {
  get(key) {
    try { return window.localStorage.getItem(key); } catch { return memoryStore.get(key) ?? null; }
  },
  set(key, value) {
    try { window.localStorage.setItem(key, value); } catch { memoryStore.set(key, value); }
  },
  remove(key) {
    try { window.localStorage.removeItem(key); } catch { memoryStore.delete(key); }
  },
  keys(prefix) {
    let all;
    try {
      all = Array.from({ length: window.localStorage.length }, (_, i) => window.localStorage.key(i));
    } catch { all = [...memoryStore.keys()]; }
    return all.filter((k) => k && k.startsWith(prefix));
  },
  // whether other tabs see what this one writes (else each tab's outbox is its own)
  shared() {
    try {
      window.localStorage.setItem("fac:probe", "1");
      window.localStorage.removeItem("fac:probe");
      return true;
    } catch { return false; }
  },
};
export { storage };

export class MeetingClient {
  constructor({ meetingId, page, scope = "", name = "" }) {
    this.meetingId = meetingId;
    this.page = page;
    this.name = name;
    this.outboxKey = `fac:${meetingId}:${page}${scope ? ":" + scope : ""}:outbox`;
    // One localStorage entry per op, named in sending order: tabs add and remove entries, never
    // rewrite a list another tab may be changing at the same moment (an op was lost that way).
    this.entryPrefix = `${this.outboxKey}/`;
    this.queuedCount = 0;
    this.tabId = randomId(16);
    this.listeners = {};
    this.status = "connecting";
    this.held = false; // the board is locked: ops wait instead of failing
    // the model, as the server last told us
    this.seq = 0;
    this.meeting = null;
    this.role = null;
    this.groupId = null;
    this.sessionId = null;
    this.locks = { all: false };
    this.timer = null;
    this.presence = {};
    this.editing = null; // the contribution this page has open in an editor (setEditing)
    this.contributions = new Map();
    this.order = new Map();
    this.extra = {}; // other top-level fields of the state, for other pages
    this.clockOffset = 0; // server seconds minus local seconds
    // sending
    this.awaiting = []; // acked ops whose event has not arrived yet: {entry, seq}
    this.inflight = null;
    this.generation = 0; // bumped on every (dis)connect: stale acks are ignored
    this.backoff = 0;
    this.backoffTimer = null;
    this.syncing = null;
    this.queued = [];
    this.resolvers = new Map();
    this._adoptListOutbox();
    this.outbox = this._readOutbox();
    window.addEventListener("storage", (e) => {
      if (e.key === null || e.key.startsWith(this.entryPrefix)) {
        this.outbox = this._readOutbox(); this._emit("change", {}); this._flush();
      }
    });
    this.sender = false; // whether this tab holds the outbox lease (only the holder sends)
    this.channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(this.outboxKey) : null;
    if (this.channel) this.channel.onmessage = (e) => this._onOutcome(e.data);
    this._takeLease();
  }

  // ----- the outbox lease ---------------------------------------------------------------------

  _takeLease() {
    const name = `${this.outboxKey}:sender`;
    if (!storage.shared()) { this.sender = true; return; } // an outbox of its own: it sends it
    if (navigator.locks && typeof navigator.locks.request === "function") {
      // held while the tab lives; the browser hands it to the next waiting tab when it closes
      navigator.locks.request(name, () => {
        this.sender = true;
        this._flush();
        return new Promise(() => {});
      }).catch(() => this._leaseInStorage(name));
      return;
    }
    this._leaseInStorage(name);
  }

  _leaseInStorage(name) {
    const renew = () => {
      let lease = null;
      try { lease = JSON.parse(storage.get(name) || "null"); } catch { lease = null; }
      const now = Date.now();
      if (!lease || lease.tab === this.tabId || !(lease.until > now)) {
        storage.set(name, JSON.stringify({ tab: this.tabId, until: now + LEASE_MS }));
        lease = JSON.parse(storage.get(name) || "null"); // two tabs wrote at once: one of them won
      }
      const was = this.sender;
      this.sender = !!lease && lease.tab === this.tabId;
      if (this.sender && !was) this._flush();
    };
    renew();
    setInterval(renew, LEASE_RENEW_MS);
    window.addEventListener("pagehide", () => {
      if (this.sender) storage.set(name, JSON.stringify({ tab: this.tabId, until: 0 }));
    });
  }

  // How an op this tab queued ended, told by the tab that sent it.
  _onOutcome(message) {
    if (!message || !message.entry || !message.entry.op || !message.ack) return;
    const { entry, ack } = message;
    const opId = entry.op.op_id;
    if (!this.resolvers.has(opId)) return;
    this.outbox = this._readOutbox();
    if (ack.ok) {
      if (typeof ack.seq === "number" && ack.seq > this.seq) this.awaiting.push({ entry, seq: ack.seq });
      this._resolve(opId, ack);
      this._emit("change", { reason: "acked" });
    } else if (!RETRYABLE.has(ack.error && ack.error.code) && !(ack.error && ack.error.code === "locked")) {
      this._resolve(opId, ack);
      this._emit("error", { op: entry.op, error: ack.error, base: entry.base });
      this._emit("change", { reason: "failed" });
    }
  }

  // ----- subscriptions ------------------------------------------------------------------------

  on(type, fn) { (this.listeners[type] ||= []).push(fn); return this; }

  _emit(type, arg) {
    for (const fn of this.listeners[type] || []) {
      try { fn(arg); } catch (err) { console.error(err); }
    }
  }

  _setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this._emit("status", status);
  }

  // ----- start: state over HTTP, then the socket ---------------------------------------------

  async start() {
    this._setStatus("connecting");
    let delay = 1000;
    for (;;) {
      try {
        await this._loadState();
        break;
      } catch (err) {
        this._setStatus("offline");
        this._emit("load_failed", err);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, MAX_BACKOFF_MS);
      }
    }
    this._connect();
    setInterval(() => this._idleSync(), IDLE_SYNC_MS);
    // a laptop that slept: its socket may look open but be dead; start a fresh one at once
    let tick = Date.now();
    setInterval(() => {
      const now = Date.now();
      if (now - tick > 30000 && this.socket) this._reconnect();
      tick = now;
    }, 5000);
    window.addEventListener("offline", () => this._setStatus("offline"));
    window.addEventListener("online", () => { if (this.socket && !this.socket.connected) this.socket.connect(); });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this._idleSync();
    });
  }

  async _loadState() {
    const t0 = Date.now();
    const response = await fetch(`/api/m/${encodeURIComponent(this.meetingId)}/state`, {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json", "X-Facilitator-Page": this.page },
    });
    if (!response.ok) throw new Error(`state: HTTP ${response.status}`);
    const state = await response.json();
    const t1 = Date.now();
    if (typeof state.server_time === "number") this.clockOffset = state.server_time - (t0 + t1) / 2000;
    const { meeting, seq, role, group_id, session_id, locks, timer, presence, contributions, order, ...extra } = state;
    this.meeting = meeting;
    this.seq = seq || 0;
    this.role = role;
    this.groupId = group_id || null;
    this.sessionId = session_id;
    this.locks = locks || { all: false };
    this.timer = timer || null;
    this.presence = presence || {};
    this.contributions = new Map((contributions || []).map((c) => [c.id, c]));
    this.order = new Map(Object.entries(order || {}));
    this.extra = extra;
    this.awaiting = this.awaiting.filter((a) => a.seq > this.seq);
    this._emit("change", { reason: "state" });
  }

  // Seconds on the server's clock, now.
  now() { return Date.now() / 1000 + this.clockOffset; }

  get unsent() { return this.outbox.length; }

  // ----- the socket ---------------------------------------------------------------------------

  _connect() {
    this.socket = io({
      auth: { meeting: this.meetingId, page: this.page, name: this.name },
      query: { meeting: this.meetingId },  // a balancer routes on it (docs/operations.md)
      transports: ["websocket", "polling"],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    this.socket.on("connect", () => this._onConnect());
    this.socket.on("disconnect", () => this._onDisconnect());
    this.socket.on("connect_error", () => {
      this._setStatus("offline");
      if (!this.socket.active) {
        // refused by the server (wrong key?): say so, and try again later
        this._setStatus("refused");
        setTimeout(() => { if (!this.socket.connected) this.socket.connect(); }, 15000);
      }
    });
    this.socket.on("event", (ev) => this._onEvent(ev));
  }

  setName(name) {
    this.name = name;
    if (!this.socket) return;
    this.socket.auth = { ...this.socket.auth, name };
    this._reconnect();
  }

  // Which contribution this page edits (null: none), for the other boards of the group: the
  // `editing` signal (docs/protocol.md), kept in presence, never an op. Sent when it changes,
  // and again on every connection (a new one starts with nothing open).
  setEditing(contributionId) {
    const id = contributionId || null;
    if (id === this.editing) return;
    this.editing = id;
    this._sendEditing();
  }

  _sendEditing() {
    if (this.socket && this.socket.connected) this.socket.emit("editing", { contribution_id: this.editing });
  }

  _reconnect() {
    this.socket.disconnect();
    setTimeout(() => this.socket.connect(), 200);
  }

  async _onConnect() {
    this.generation += 1;
    this.inflight = null;
    this.held = false;
    this._setStatus("syncing");
    if (this.syncing) await this.syncing; // a sync of the previous connection
    const ok = await this._sync();
    if (this.socket.connected && ok) this._setStatus("online");
    if (this.editing) this._sendEditing();
    this._flush();
  }

  _onDisconnect() {
    this.generation += 1;
    this.inflight = null;
    if (this.socket) this.socket.sendBuffer = []; // never replay ops behind our back
    this._setStatus("offline");
    this._emit("change", { reason: "offline" });
  }

  // emit with an ack; resolves null on timeout or when the connection changed meanwhile
  _request(name, payload) {
    const generation = this.generation;
    return new Promise((resolve) => {
      if (!this.socket || !this.socket.connected) return resolve(null);
      this.socket.timeout(ACK_TIMEOUT_MS).emit(name, payload, (err, ack) => {
        if (generation !== this.generation) return resolve(null);
        if (err) {
          // no answer on a socket that looks connected: it is dead, start a fresh one
          this._setStatus("offline");
          this._reconnect();
          return resolve(null);
        }
        resolve(ack);
      });
    });
  }

  // ----- events and catch-up ------------------------------------------------------------------

  _onEvent(ev) {
    if (!ev || typeof ev !== "object") return;
    if (ev.live) { this._applyLive(ev); return; }
    if (this.syncing) { this.queued.push(ev); return; }
    this._applyLogged(ev, false);
  }

  _applyLive(ev) {
    if (ev.type === "presence") this.presence[ev.group_id] = ev.clients || [];
    this._emit("event", ev);
    this._emit("change", { reason: "live", event: ev });
  }

  // returns false when the event shows a gap (a sync was started instead)
  _applyLogged(ev, fromSync) {
    if (typeof ev.seq !== "number" || ev.seq <= this.seq) return true; // already seen
    if (!fromSync && typeof ev.prev === "number" && ev.prev > this.seq) {
      this._sync();
      return false;
    }
    this._applyToModel(ev);
    this.seq = ev.seq;
    this.awaiting = this.awaiting.filter((a) => a.seq > this.seq);
    this._emit("event", ev);
    if (!fromSync) this._emit("change", { reason: "event", event: ev });
    return true;
  }

  _applyToModel(ev) {
    if (CONTRIBUTION_EVENTS.has(ev.type) && ev.contribution) {
      const c = ev.contribution;
      this.contributions.set(c.id, c);
      const key = orderKey(c.group_id, c.question_id);
      for (const [k, ids] of this.order) {
        if (k !== key && ids.includes(c.id)) this.order.set(k, ids.filter((id) => id !== c.id));
      }
      if (Array.isArray(ev.order)) this.order.set(key, ev.order.slice());
      const prev = ev.previous_order;
      if (prev && Array.isArray(prev.order)) this.order.set(orderKey(c.group_id, prev.question_id), prev.order.slice());
    } else if (ev.type === "session.changed") {
      if (ev.session_id !== this.sessionId) this.timer = null; // the timer is the session's (state.py)
      this.sessionId = ev.session_id;
    } else if (ev.type === "board.locked") {
      if (ev.group_id === "all") this.locks = { all: !!ev.locked };
      else this.locks = { ...this.locks, [ev.group_id]: !!ev.locked };
      if (this.held && !this.isLocked(this.groupId)) { this.held = false; setTimeout(() => this._flush(), 0); }
    } else if (ev.type === "timer.started") {
      this.timer = { ends_at: ev.ends_at, seconds: ev.seconds, started_at: ev.ts };
    } else if (ev.type === "timer.stopped") {
      this.timer = null;
    }
  }

  isLocked(groupId) { return !!(this.locks.all || (groupId && this.locks[groupId])); }

  // Catch up: ask for everything after the last seq we have, page by page.
  _sync() {
    if (this.syncing) return this.syncing;
    this.syncing = (async () => {
      let ok = false;
      try {
        for (;;) {
          const ack = await this._request("sync", { after: this.seq });
          if (!ack || !ack.ok) break;
          if (typeof ack.seq === "number" && ack.seq < this.seq) {
            // the server's log is behind ours (restored from an older copy?): start over
            await this._loadState();
            ok = true;
            break;
          }
          for (const ev of ack.events || []) this._applyLogged(ev, true);
          if (!ack.more) {
            if (typeof ack.seq === "number" && ack.seq > this.seq) this.seq = ack.seq;
            ok = true;
            break;
          }
        }
        if (ok && this.socket && this.socket.connected) this._setStatus("online");
      } catch (err) {
        console.error(err);
      } finally {
        this.syncing = null;
      }
      const queued = this.queued;
      this.queued = [];
      for (const ev of queued) this._applyLogged(ev, false);
      this.awaiting = this.awaiting.filter((a) => a.seq > this.seq);
      this._emit("change", { reason: "sync" });
      this._flush();
      return ok;
    })();
    return this.syncing;
  }

  _idleSync() {
    if (this.socket && this.socket.connected && !this.syncing) this._sync();
  }

  // ----- the outbox ---------------------------------------------------------------------------

  _readOutbox() {
    const list = [];
    for (const key of storage.keys(this.entryPrefix).sort()) {
      try {
        const entry = JSON.parse(storage.get(key) || "null");
        if (entry && entry.op && entry.op.op_id) list.push({ ...entry, key });
      } catch { /* a damaged entry is skipped */ }
    }
    return list;
  }

  // The outbox as one list, as pages before the outbox lease kept it: one entry per op now.
  _adoptListOutbox() {
    let list = [];
    try { list = JSON.parse(storage.get(this.outboxKey) || "[]"); } catch { list = []; }
    if (!Array.isArray(list) || !list.length) return;
    for (const entry of list) if (entry && entry.op && entry.op.op_id) this._store(entry);
    storage.remove(this.outboxKey);
  }

  _store(entry) {
    // sortable: the time, then this tab's count (two ops of one millisecond keep their order)
    this.queuedCount += 1;
    const key = `${this.entryPrefix}${String(Date.now()).padStart(15, "0")}-${String(this.queuedCount).padStart(6, "0")}-${this.tabId}`;
    const { key: _old, ...stored } = entry;
    storage.set(key, JSON.stringify(stored));
  }

  // Queue an op. `base` is the version of the contribution the user saw (for the overlay).
  // Returns a promise of the ack, resolved while this page lives ({ok:false,...} on failure).
  send(op, base = null) {
    const entry = { op: { ...op, op_id: op.op_id || newOpId() }, base };
    this._store(entry);
    this.outbox = this._readOutbox();
    const promise = new Promise((resolve) => this.resolvers.set(entry.op.op_id, resolve));
    this._emit("change", { reason: "queued" });
    this._flush();
    return promise;
  }

  _removeFromOutbox(opIds) {
    for (const e of this._readOutbox()) if (opIds.has(e.op.op_id)) storage.remove(e.key);
    this.outbox = this._readOutbox();
  }

  _resolve(opId, ack) {
    const resolve = this.resolvers.get(opId);
    if (resolve) { this.resolvers.delete(opId); resolve(ack); }
  }

  async _flush() {
    if (!this.sender || this.inflight || this.syncing || this.held || this.backoffTimer) return;
    if (!this.socket || !this.socket.connected) return;
    this.outbox = this._readOutbox();
    const entry = this.outbox[0];
    if (!entry) return;
    this.inflight = entry.op.op_id;
    const generation = this.generation;
    const ack = await this._request("op", entry.op);
    if (generation !== this.generation || this.inflight !== entry.op.op_id) return; // resent after reconnect
    this.inflight = null;
    if (!ack) return; // timed out: a fresh connection will resend it
    this._onAck(entry, ack);
    this._flush();
  }

  _onAck(entry, ack) {
    const op = entry.op;
    if (this.channel) this.channel.postMessage({ entry, ack }); // for the tab that queued it
    if (ack.ok) {
      this.backoff = 0;
      this._removeFromOutbox(new Set([op.op_id]));
      if (typeof ack.seq === "number" && ack.seq > this.seq) {
        // keep showing it until its event arrives; ask for it if it does not come soon
        this.awaiting.push({ entry, seq: ack.seq });
        setTimeout(() => { if (this.seq < ack.seq) this._idleSync(); }, 1500);
      }
      this._resolve(op.op_id, ack);
      this._emit("change", { reason: "acked" });
      return;
    }
    const error = (ack && ack.error) || { code: "invalid", message: "" };
    // Retryable: the op stays first in the outbox and is resent with the same op_id (the
    // server applies it once) until it lands, however long the store is away.
    if (RETRYABLE.has(error.code)) {
      this.backoff = Math.min(this.backoff ? this.backoff * 2 : 1000, MAX_BACKOFF_MS);
      this.backoffTimer = setTimeout(() => { this.backoffTimer = null; this._flush(); }, this.backoff);
      return;
    }
    if (error.code === "locked") {
      // kept: sent when the chair opens the board again
      this.held = true;
      this._emit("change", { reason: "held" });
      return;
    }
    // Any other error: this op will never succeed. Drop it, and the later ops on a
    // contribution whose add failed, and tell the page (which keeps the text on screen).
    const dropped = new Set([op.op_id]);
    if (op.type === "contribution.add" && op.id) {
      for (const e of this._readOutbox()) if (e.op.contribution_id === op.id) dropped.add(e.op.op_id);
    }
    this._removeFromOutbox(dropped);
    for (const id of dropped) this._resolve(id, { ok: false, error });
    this._emit("error", { op, error, base: entry.base });
    this._emit("change", { reason: "failed" });
  }

  // ----- the view: confirmed state plus unsent ops --------------------------------------------

  view() {
    const contributions = new Map(this.contributions);
    const order = new Map(this.order);
    const pending = new Set();
    const edit = (key, fn) => { const ids = (order.get(key) || []).slice(); fn(ids); order.set(key, ids); };
    // acked ops still waiting for their event are laid over too, but are not "pending"
    const entries = [
      ...this.awaiting.map((a) => ({ ...a.entry, acked: true })),
      ...this.outbox,
    ];
    for (const { op, base, acked } of entries) {
      if (!op.type || !op.type.startsWith("contribution.")) continue;
      if (op.type === "contribution.add") {
        if (!op.id || contributions.has(op.id)) continue; // no id to follow, or already confirmed
        const c = {
          id: op.id, group_id: op.group_id || this.groupId, question_id: op.question_id,
          kind: op.kind, agreement: op.agreement, text: op.text, lang: op.lang, version: 1,
          deleted: false, author: null,
        };
        contributions.set(c.id, c);
        edit(orderKey(c.group_id, c.question_id), (ids) => {
          ids.splice(typeof op.index === "number" ? Math.min(op.index, ids.length) : ids.length, 0, c.id);
        });
        if (!acked) pending.add(c.id);
        continue;
      }
      const current = contributions.get(op.contribution_id);
      if (!current) continue;
      const confirmed = this.contributions.get(op.contribution_id);
      // its event already arrived (or someone else moved on): nothing to lay over
      if (confirmed && typeof base === "number" && confirmed.version > base) continue;
      const c = { ...current, version: current.version + 1 };
      const key = orderKey(c.group_id, c.question_id);
      if (op.type === "contribution.edit") {
        for (const field of ["text", "kind", "agreement", "lang"]) if (field in op) c[field] = op[field];
      } else if (op.type === "contribution.move") {
        edit(key, (ids) => { const i = ids.indexOf(c.id); if (i >= 0) ids.splice(i, 1); });
        if (op.question_id) c.question_id = op.question_id;
        edit(orderKey(c.group_id, c.question_id), (ids) => {
          const i = ids.indexOf(c.id); if (i >= 0) ids.splice(i, 1);
          ids.splice(Math.min(op.index, ids.length), 0, c.id);
        });
      } else if (op.type === "contribution.delete") {
        c.deleted = true;
        edit(key, (ids) => { const i = ids.indexOf(c.id); if (i >= 0) { c.deleted_index = i; ids.splice(i, 1); } });
      } else if (op.type === "contribution.restore") {
        c.deleted = false;
        edit(key, (ids) => {
          if (!ids.includes(c.id)) ids.splice(Math.min(c.deleted_index ?? ids.length, ids.length), 0, c.id);
        });
      }
      contributions.set(c.id, c);
      if (!acked) pending.add(c.id);
    }
    return { contributions, order, pending };
  }

  // The ids of the live contributions of one board, in order, as the user should see them.
  static listOf(view, groupId, questionId) {
    return (view.order.get(orderKey(groupId, questionId)) || [])
      .map((id) => view.contributions.get(id))
      .filter((c) => c && !c.deleted);
  }
}
