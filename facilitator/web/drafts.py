"""Machine drafts of translations, from a LibreTranslate-compatible endpoint (issue 12).

Optional and never in charge. When FACILITATOR_TRANSLATE_URL is set, each new or edited
contribution is queued for a draft into each of the meeting's other languages that has no
human translation and no fresh draft. Background workers (green threads under eventlet; the
HTTP call yields on its socket, so the event loop keeps serving) ask the endpoint with a
timeout, and submit each draft through the hub as `translation.set` by the server itself, where
the ordinary rules apply: a draft never replaces a human translation, nor lands on words that
changed while it was being made.

The queue is bounded: when it is full, new drafts are dropped, never waited for. A slow or absent
endpoint only means fewer drafts; its state is shown to the translators and the chair.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

from ..meeting import desk, roles
from ..meeting.state import MeetingState
from ..store import StoreUnavailable

log = logging.getLogger("facilitator.drafts")

SERVER = roles.Actor(roles.SYSTEM)
MAX_BACKOFF = 30.0  # seconds between attempts while the endpoint does not answer
MAX_REPLY = 256 * 1024  # bytes of one reply read at most


class TranslateError(Exception):
    pass


@dataclass(frozen=True)
class Job:
    meeting_id: str
    contribution_id: str
    text: str
    source: str
    target: str


def libretranslate(url: str, text: str, source: str, target: str, timeout: float,
                   api_key: str | None = None) -> str:
    """POST /translate {q, source, target, format} -> translatedText. Raises TranslateError."""
    body = {"q": text, "source": source, "target": target, "format": "text"}
    if api_key:
        body["api_key"] = api_key
    request = urllib.request.Request(
        url.rstrip("/") + "/translate", data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json", "Accept": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read(MAX_REPLY + 1)
    except urllib.error.HTTPError as error:
        raise TranslateError(f"HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:  # refused, unreachable, timed out
        reason = getattr(error, "reason", error)
        raise TranslateError(str(reason)[:200] or type(error).__name__) from None
    if len(raw) > MAX_REPLY:
        raise TranslateError("reply too large")
    try:
        translated = json.loads(raw.decode("utf-8")).get("translatedText")
    except (ValueError, AttributeError):
        raise TranslateError("reply is not LibreTranslate's JSON") from None
    if not isinstance(translated, str) or not translated.strip():
        raise TranslateError("reply has no translatedText")
    return translated


class MachineDrafts:
    """One per process. `status()` says how the endpoint is doing, for translators and chair."""

    def __init__(self, hub, url: str | None, spawn, sleep, timeout: float = 10.0,
                 queue_size: int = 200, workers: int = 2, api_key: str | None = None,
                 translate=libretranslate, clock=time.time) -> None:
        self.hub = hub
        self.url = url
        self.spawn = spawn  # start a background task: a green thread under eventlet
        self.sleep = sleep
        self.timeout = timeout
        self.workers = max(1, workers)
        self.api_key = api_key
        self.translate = translate
        self.clock = clock
        self._queue: queue.Queue[Job] = queue.Queue(maxsize=max(1, queue_size))
        self._lock = threading.Lock()
        self._started = False
        self._state = "starting" if url else "off"
        self._since = clock()
        self._error: str | None = None
        self._dropped = 0
        self._drafted = 0
        if url:
            hub.listeners.append(self.on_event)

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def status(self) -> dict:
        with self._lock:
            return {"status": self._state, "since": self._since, "pending": self._queue.qsize(),
                    "drafted": self._drafted, "dropped": self._dropped, "error": self._error}

    # ----- what to draft (on the event loop, under the meeting's lock: quick) --------------------

    def on_event(self, meeting_id: str, state: MeetingState, event: dict) -> None:
        if event["type"] not in ("contribution.added", "contribution.edited"):
            return
        contribution = event["contribution"]
        for target in self.targets(state, contribution):
            self.enqueue(Job(meeting_id, contribution["id"], contribution["text"],
                             desk.base_language(contribution["lang"]), target))

    @staticmethod
    def targets(state: MeetingState, contribution: dict) -> list[str]:
        """The meeting's other languages still lacking a translation: none, or a stale draft.
        An edit of kind or agreement leaves drafts fresh, so it asks for nothing."""
        if contribution["deleted"]:
            return []
        translations = state.translations_of(contribution["id"])
        wanted = []
        for lang in state.meeting.get("languages", []):
            if desk.base_language(lang) == desk.base_language(contribution["lang"]):
                continue
            current = translations.get(lang)
            if current is None or (current["source"] == desk.MACHINE and current["stale"]):
                wanted.append(lang)
        return wanted

    def enqueue(self, job: Job) -> bool:
        self._start_workers()
        try:
            self._queue.put_nowait(job)
            return True
        except queue.Full:
            with self._lock:
                self._dropped += 1
            # "unreachable" says more than "full" while the endpoint is down: keep it
            self._set_state("queue_full", "the queue of drafts is full; newer texts are not drafted",
                            job.meeting_id, only_from=("ok", "starting"))
            return False

    def _start_workers(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        for _ in range(self.workers):
            self.spawn(self._work)

    # ----- drafting (background workers) -----------------------------------------------------------

    def _work(self) -> None:
        failures = 0
        while True:
            job = self._queue.get()
            try:
                outcome = self._draft(job)
            except Exception:  # one bad draft must not stop the worker
                log.exception("machine draft of %s failed", job.contribution_id)
                outcome = "skipped"
            if outcome == "unreachable":
                failures += 1
                self.sleep(min(MAX_BACKOFF, 2.0 ** failures))
            elif outcome == "drafted":
                failures = 0

    def _draft(self, job: Job) -> str:
        try:
            state = self.hub.state(job.meeting_id)
        except StoreUnavailable:
            return "skipped"  # logged once by the store; this draft is lost, no more
        contribution = state.contributions.get(job.contribution_id)
        if contribution is None or contribution["text"] != job.text or job.target not in self.targets(
                state, contribution):
            return "skipped"  # changed or translated meanwhile: a newer job, or none, is due
        try:
            text = self.translate(self.url, job.text, job.source, job.target, self.timeout, self.api_key)
        except TranslateError as error:
            if self._set_state("unreachable", str(error), job.meeting_id):  # one line per outage
                log.warning("machine translation unreachable at %s: %s", self.url, error)
            return "unreachable"
        if self._set_state("ok", None, job.meeting_id):
            log.info("machine translation answers at %s", self.url)
        ack = self.hub.submit(job.meeting_id, SERVER, {
            "op_id": f"machine-{uuid.uuid4().hex}", "type": "translation.set",
            "contribution_id": job.contribution_id, "lang": job.target, "text": text.strip(),
            "original_text": job.text,
        })
        if not ack["ok"]:  # a person was quicker, the words changed, or the draft is unusable
            log.info("machine draft of %s into %s not kept: %s", job.contribution_id, job.target,
                     ack["error"]["code"])
            return "skipped"
        with self._lock:
            self._drafted += 1
        return "drafted"

    def _set_state(self, new: str, error: str | None, meeting_id: str, only_from=None) -> bool:
        """Change the state and tell the pages; False if it was already so."""
        with self._lock:
            if self._state == new or (only_from is not None and self._state not in only_from):
                return False
            self._state, self._error, self._since = new, error, self.clock()
        try:  # the translators' and the chair's pages show it at once
            self.hub.emit_live(meeting_id, [roles.TRANSLATORS, f"role:{roles.CHAIR}"],
                               {"type": "translation.status", "machine_translation": self.status()})
        except Exception as problem:  # a courtesy: the state endpoint carries it too
            log.debug("status not pushed: %s", problem)
        return True
