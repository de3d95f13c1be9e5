"""The analysis in a process of its own: embedding and clustering never share the server's GIL.

``run.py serve`` starts one worker (``WorkerAnalysis``) beside its event loop. The server sends
each job (the contributions, sessions and curation it snapshotted, as pickles framed by their
length) on the worker's stdin and reads the answer on its stdout; the worker loads the models,
reads and writes the sentence vectors in the store itself (its own connection) and keeps the pair
scores between jobs (web/analysis.py). One job at a time. The server's side waits on the pipe
without holding the loop (eventlet's and gevent's pipes are green), and (un)pickles in
``offload``'s OS thread. If the worker dies, the job fails (the live views keep their last
result and retry on the next change) and the next job starts a new worker.

    python -m facilitator.web.analysis_worker '{"engine": "auto", "data_dir": ..., ...}'
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADER = struct.Struct("!Q")
# On two cores the ops come first: the worker gets the CPU the server leaves. At nice 5 it still
# took a quarter of a core the server wanted while 40 rapporteurs typed (each new text embedded,
# ~0.1 s of CPU): op -> plenary p99 2.6x the bare server's at 2,000 phones (docs/performance.md,
# "The room gauge"); at 19 it takes next to nothing from a busy server, and all of an idle one.
NICE = 19


class WorkerGone(RuntimeError):
    """The worker exited (killed, out of memory) before answering."""


def _read_exactly(stream, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise WorkerGone("the analysis worker closed its pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(stream) -> bytes:
    (size,) = HEADER.unpack(_read_exactly(stream, HEADER.size))
    return _read_exactly(stream, size)


def write_frame(stream, data: bytes) -> None:
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


class WorkerAnalysis:
    """The server's side: the same calls as ``analysis.Analysis``, answered by the worker.

    ``config``: engine, data_dir, redis_url, redis_prefix (the worker opens the same store for
    the vectors). ``offload(fn, *args)`` runs the pickling off the loop."""

    def __init__(self, config: dict, offload=None) -> None:
        self.config = dict(config)
        self.offload = offload or (lambda fn, *a: fn(*a))
        self._lock = threading.Lock()  # one job on the pipe at a time (green under eventlet)
        self.proc: subprocess.Popen | None = None
        self.started = 0  # workers started so far

    def start(self) -> None:
        env = dict(os.environ)
        # OpenMP's spinning idle threads fight for two cores (docs/synthesis.md, "Cost")
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "facilitator.web.analysis_worker", json.dumps(self.config)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT, env=env)
        self.started += 1

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def _call(self, kind: str, *args):
        request = self.offload(pickle.dumps, (kind, args), pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if not self.alive():
                self.start()
            try:
                write_frame(self.proc.stdin, request)
                answer = read_frame(self.proc.stdout)
            except (OSError, WorkerGone) as error:
                self.close()
                raise WorkerGone(f"the analysis worker is gone ({error}); a new one starts "
                                 "with the next job") from error
        status, value = self.offload(pickle.loads, answer)
        if status != "ok":
            raise RuntimeError(f"the analysis worker failed on {kind}: {value}")
        return value

    def describe(self) -> dict:
        return self._call("describe")

    def publish(self, *args) -> dict:
        return self._call("publish", *args)

    def suggestions(self, meeting_id, question_id, contributions, curation, limit) -> list:
        return self._call("suggestions", meeting_id, question_id, contributions, curation, limit)


# ----- the worker's side ---------------------------------------------------------------------------


def _die_with_parent() -> None:
    """A server killed with -9 takes its worker with it (Linux: PR_SET_PDEATHSIG)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except Exception:  # not Linux: the worker exits at its next read of the closed pipe
        pass


def _open_store(config: dict):
    from ..store import open_store

    try:
        return open_store(config.get("data_dir"), config.get("redis_url"),
                          config.get("redis_prefix") or "fac")
    except Exception as error:  # derived data only: the vectors are embedded again instead
        logging.getLogger(__name__).warning("analysis worker: no store for vectors (%s)", error)
        return None


def serve(config: dict, stdin, stdout) -> None:
    from ..meeting.synthesis import Synthesizer
    from .analysis import Analysis

    analysis = Analysis(lambda: Synthesizer(engine=config.get("engine") or "auto", default_lang="en"),
                        _open_store(config))
    jobs = {"describe": analysis.describe, "publish": analysis.publish,
            "suggestions": analysis.suggestions}
    while True:
        try:
            kind, args = pickle.loads(read_frame(stdin))
        except WorkerGone:
            return  # the server closed the pipe (or died): nothing left to do
        try:
            answer = ("ok", jobs[kind](*args))
        except Exception:
            answer = ("error", traceback.format_exc(limit=8))
        write_frame(stdout, pickle.dumps(answer, pickle.HIGHEST_PROTOCOL))


def main(argv: list[str]) -> int:
    _die_with_parent()
    try:
        os.nice(NICE)
    except OSError:
        pass
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s analysis worker: %(message)s")
    if os.environ.get("FACILITATOR_ANALYSIS_LOG"):  # each job's size and time (benches)
        logging.getLogger("facilitator.web.analysis").setLevel(logging.DEBUG)
    # stdout carries the frames only: whatever a library prints goes to stderr
    frames_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    frames_in = os.fdopen(os.dup(0), "rb")
    serve(json.loads(argv[0]) if argv else {}, frames_in, frames_out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
