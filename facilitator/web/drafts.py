"""Machine drafts of translations, from a LibreTranslate-compatible endpoint (issue 12).

Optional and never in charge. When FACILITATOR_TRANSLATE_URL is set, each new or edited
contribution written in one of the meeting's languages is queued for a draft into each of the
meeting's other languages that has no human translation and no fresh draft; a process that takes
a meeting's lease queues what its last owner had not drafted. Background workers (green threads
under eventlet; the HTTP call yields on its socket, so the event loop keeps serving) ask the
endpoint within a total deadline per request, following no redirect, and submit each draft
through the hub as `translation.set` by the server itself, with the contribution version it was
made from, where the ordinary rules apply: a draft never replaces a human translation, nor lands
on words that changed while it was being made.

The queue is bounded: when it is full, new drafts are dropped, never waited for. A slow or absent
endpoint only means fewer drafts; its state is shown to the translators and the chair. A 4xx
answer fails that one job; anything else that gives no draft (refused, timed out, a redirect, a
reply that is not LibreTranslate's) makes the workers back off. Every failure is counted
(`errors`), logged once, and shown as `unreachable`; the URL is logged without its password.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import logging
import queue
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ..meeting import desk, roles
from ..meeting.state import MeetingState
from ..store import StoreUnavailable
from .wire import Refused, check_depth

log = logging.getLogger("facilitator.drafts")

SERVER = roles.Actor(roles.SYSTEM)
MAX_BACKOFF = 30.0  # seconds between attempts while the endpoint does not answer
MAX_REPLY = 256 * 1024  # bytes of one reply read at most
MAX_REPLY_DEPTH = 16  # {"translatedText": "..."} is one level; a deeper reply is refused unparsed
# Answers that are this request's own fault (its text, its languages): the job fails alone. A
# timeout (408) or a rate limit (429) is the endpoint's state, like a 5xx: the workers back off.
BACK_OFF_CODES = (408, 429)


class TranslateError(Exception):
    """The endpoint gave no usable draft. `refused`: it answered 4xx, about this request only."""

    def __init__(self, message: str, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


@dataclass(frozen=True)
class Job:
    meeting_id: str
    contribution_id: str
    text: str
    source: str
    target: str
    version: int  # the contribution's version the draft is made from (translation.set's original_version)


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    host: str
    port: int | None
    path: str
    authorization: str | None  # Basic credentials from user:password@ in the URL


def parse_endpoint(url: str) -> Endpoint:
    """The endpoint a URL names, or TranslateError saying what is wrong with it (never the
    password). No redirect is ever followed: this is the only place a request goes."""
    try:
        parts = urlsplit(str(url).strip())
        port = parts.port  # ValueError for a port that is not a number or out of range
    except ValueError as error:
        raise TranslateError(f"the URL is not valid: {_redact_error(error, url)}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TranslateError("the URL is not valid: it needs http:// or https:// and a host")
    authorization = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode("utf-8")
        authorization = "Basic " + base64.b64encode(pair).decode("ascii")
    return Endpoint(parts.scheme, parts.hostname, port, parts.path.rstrip("/") + "/translate",
                    authorization)


def redact(url: str | None) -> str | None:
    """The URL as logs and pages may show it: a password in it replaced by ***."""
    if not url:
        return url
    try:
        parts = urlsplit(str(url))
        if parts.password is None:
            return str(url)
        host = parts.netloc.rpartition("@")[2]
        return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()
    except ValueError:
        return "(a URL that is not valid)"


def _redact_error(error: Exception, url: str) -> str:
    text = str(error)[:200]
    try:
        password = urlsplit(str(url)).password
    except ValueError:
        password = None
    return text.replace(password, "***") if password else text


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("no reply within the deadline")
    return left


class _DeadlineReader(io.RawIOBase):
    """A socket's reads, each one bounded by what is left of the request's total deadline: a
    reply trickling a byte at a time cannot hold a worker past it."""

    def __init__(self, sock, deadline: float) -> None:
        self._sock, self._deadline = sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self._sock.settimeout(_remaining(self._deadline))
        return self._sock.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            self._sock.close()
        super().close()


class _DeadlineSocket:
    """What http.client uses of a socket (sendall, makefile, close), under one deadline. Once
    the reply is being read the socket is the reply's to close (http.client closes the
    connection as soon as it has the headers of a `Connection: close` reply)."""

    def __init__(self, sock, deadline: float) -> None:
        self._sock, self._deadline = sock, deadline
        self._reading = False

    def sendall(self, data) -> None:
        self._sock.settimeout(_remaining(self._deadline))
        self._sock.sendall(data)

    def makefile(self, mode="rb", *args, **kwargs):
        self._reading = True
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))

    def close(self) -> None:
        if not self._reading:
            self._sock.close()

    def __getattr__(self, name):
        return getattr(self._sock, name)


def _connection(endpoint: Endpoint, deadline: float):
    base = http.client.HTTPSConnection if endpoint.scheme == "https" else http.client.HTTPConnection

    class Connection(base):
        def connect(self) -> None:
            self.timeout = _remaining(deadline)  # connecting (and TLS) within the deadline too
            super().connect()
            self.sock = _DeadlineSocket(self.sock, deadline)

    return Connection(endpoint.host, endpoint.port, timeout=_remaining(deadline))


def libretranslate(url: str, text: str, source: str, target: str, timeout: float,
                   api_key: str | None = None) -> str:
    """POST /translate {q, source, target, format} -> translatedText, within `timeout` seconds in
    all (connecting, sending, the whole reply). Raises TranslateError, and nothing else."""
    endpoint = parse_endpoint(url)
    body = {"q": text, "source": source, "target": target, "format": "text"}
    if api_key:
        body["api_key"] = api_key
    headers = {"Content-Type": "application/json", "Accept": "application/json",
               "Connection": "close"}
    if endpoint.authorization:
        headers["Authorization"] = endpoint.authorization
    deadline = time.monotonic() + timeout
    connection = response = None
    try:
        connection = _connection(endpoint, deadline)
        connection.request("POST", endpoint.path, body=json.dumps(body).encode("utf-8"), headers=headers)
        response = connection.getresponse()
        status = response.status
        if 300 <= status < 400:
            raise TranslateError(f"HTTP {status}: the endpoint redirects, and redirects are not followed")
        if status >= 400:
            raise TranslateError(f"HTTP {status}", refused=status < 500 and status not in BACK_OFF_CODES)
        raw = response.read(MAX_REPLY + 1)
    except TranslateError:
        raise
    except (TimeoutError, socket.timeout):
        raise TranslateError(f"no complete reply within {timeout:g} s") from None
    except (OSError, http.client.HTTPException, ValueError) as error:  # refused, unreachable, garbled
        raise TranslateError(_redact_error(error, url) or type(error).__name__) from None
    finally:
        if response is not None:
            response.close()
        if connection is not None:
            connection.close()
    if len(raw) > MAX_REPLY:
        raise TranslateError("reply too large")
    try:
        reply = raw.decode("utf-8")
        check_depth(reply, MAX_REPLY_DEPTH)
        translated = json.loads(reply).get("translatedText")
    except (ValueError, AttributeError, RecursionError, Refused):
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
        self.shown_url = redact(url)  # what the log says: never a password
        self.spawn = spawn  # start a background task: a green thread under eventlet
        self.sleep = sleep
        self.timeout = timeout  # seconds one request may take in all
        self.workers = max(1, workers)
        self.api_key = api_key
        self.translate = translate
        self.clock = clock
        self._queue: queue.Queue[Job] = queue.Queue(maxsize=max(1, queue_size))
        self._queued: set[Job] = set()  # the jobs queued or being drafted: each is asked once
        self._lock = threading.Lock()
        self._started = False
        self._state = "starting" if url else "off"
        self._since = clock()
        self._error: str | None = None
        self._dropped = 0
        self._drafted = 0
        self._errors = 0  # requests that gave no draft, whatever the reason
        self._logged: set[str] = set()  # kinds of error logged since the endpoint last answered
        if url:
            hub.listeners.append(self.on_event)
            try:
                parse_endpoint(url)
            except TranslateError as error:  # said once now; each job fails fast and is counted
                self._state, self._error = "unreachable", str(error)
                self._logged.add("unreachable")
                log.warning("machine translation unreachable at %s: %s", self.shown_url, error)

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def status(self) -> dict:
        with self._lock:
            return {"status": self._state, "since": self._since, "pending": self._queue.qsize(),
                    "drafted": self._drafted, "dropped": self._dropped, "errors": self._errors,
                    "error": self._error}

    # ----- what to draft (on the event loop, under the meeting's lock: quick) --------------------

    def on_event(self, meeting_id: str, state: MeetingState, event: dict) -> None:
        if event["type"] not in ("contribution.added", "contribution.edited"):
            return
        self.draft(meeting_id, state, event["contribution"])

    def on_lease_taken(self, meeting_id: str) -> None:
        """This process now owns the meeting: what the last owner had queued died with it, so
        every contribution still lacking a draft is queued again (cluster.py calls this)."""
        try:
            state = self.hub.state(meeting_id)
        except StoreUnavailable:
            return  # logged once by the store; the next lease taken sweeps again
        for contribution in list(state.contributions.values()):
            self.draft(meeting_id, state, contribution)

    def draft(self, meeting_id: str, state: MeetingState, contribution: dict) -> None:
        for target in self.targets(state, contribution):
            self.enqueue(Job(meeting_id, contribution["id"], contribution["text"],
                             desk.base_language(contribution["lang"]), target,
                             contribution["version"]))

    @staticmethod
    def targets(state: MeetingState, contribution: dict) -> list[str]:
        """The meeting's other languages still lacking a translation: none, or a stale draft.
        Only between the meeting's languages: a text tagged with another one (de) is not sent,
        the endpoint is set up for the meeting's. An edit of kind or agreement leaves drafts
        fresh, so it asks for nothing."""
        if contribution["deleted"]:
            return []
        languages = state.meeting.get("languages", []) if state.meeting else []
        source = desk.base_language(contribution["lang"])
        if source not in {desk.base_language(lang) for lang in languages}:
            return []
        translations = state.translations_of(contribution["id"])
        wanted = []
        for lang in languages:
            if desk.base_language(lang) == source:
                continue
            current = translations.get(lang)
            if current is None or (current["source"] == desk.MACHINE and current["stale"]):
                wanted.append(lang)
        return wanted

    def enqueue(self, job: Job) -> bool:
        self._start_workers()
        with self._lock:
            if job in self._queued:
                return True  # already waiting: a new owner's sweep, or an event seen twice
            try:
                self._queue.put_nowait(job)
                self._queued.add(job)
                return True
            except queue.Full:
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
            except Exception as error:  # one bad draft must not stop the worker
                self._count_error()
                if self._log_once(f"bug:{type(error).__name__}"):
                    log.exception("machine draft of %s failed", job.contribution_id)
                outcome = "failed"
            finally:
                with self._lock:
                    self._queued.discard(job)
            if outcome == "unreachable":  # the endpoint's state: every meeting waits for it
                failures += 1
                self.sleep(min(MAX_BACKOFF, 2.0 ** failures))
            elif outcome == "drafted":
                failures = 0
            # "failed": this job's own problem (a 4xx): no back-off for the others

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
            return self._failed(job, error)
        if self._set_state("ok", None, job.meeting_id):
            log.info("machine translation answers at %s", self.shown_url)
        with self._lock:
            self._logged.clear()
        ack = self.hub.submit(job.meeting_id, SERVER, {
            "op_id": f"machine-{uuid.uuid4().hex}", "type": "translation.set",
            "contribution_id": job.contribution_id, "lang": job.target, "text": text.strip(),
            "original_version": job.version,
        })
        if not ack["ok"]:  # a person was quicker, the words changed, or the draft is unusable
            log.info("machine draft of %s into %s not kept: %s", job.contribution_id, job.target,
                     ack["error"]["code"])
            return "skipped"
        with self._lock:
            self._drafted += 1
        return "drafted"

    def _failed(self, job: Job, error: TranslateError) -> str:
        """Count it, log it once, show it: refused (this job alone) or unreachable (all wait)."""
        self._count_error()
        if error.refused:
            if self._log_once(str(error)):
                log.warning("machine translation at %s refused a draft from %s into %s: %s",
                            self.shown_url, job.source, job.target, error)
            # the endpoint answers, but no draft has come through yet: say so rather than "starting"
            self._set_state("unreachable", str(error), job.meeting_id, only_from=("starting",))
            return "failed"
        self._set_state("unreachable", str(error), job.meeting_id)
        if self._log_once("unreachable"):  # one line per outage
            log.warning("machine translation unreachable at %s: %s", self.shown_url, error)
        return "unreachable"

    def _count_error(self) -> None:
        with self._lock:
            self._errors += 1

    def _log_once(self, kind: str) -> bool:
        with self._lock:
            if kind in self._logged:
                return False
            self._logged.add(kind)
            return True

    def _set_state(self, new: str, error: str | None, meeting_id: str, only_from=None) -> bool:
        """Change the state and tell the pages; False if it was already so."""
        with self._lock:
            if self._state == new:
                self._error = error  # the latest reason, read with the state; not pushed again
                return False
            if only_from is not None and self._state not in only_from:
                return False
            self._state, self._error, self._since = new, error, self.clock()
        try:  # the translators' and the chair's pages show it at once
            self.hub.emit_live(meeting_id, [roles.TRANSLATORS, f"role:{roles.CHAIR}"],
                               {"type": "translation.status", "machine_translation": self.status()})
        except Exception as problem:  # a courtesy: the state endpoint carries it too
            log.debug("status not pushed: %s", problem)
        return True
