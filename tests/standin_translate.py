"""A stand-in for LibreTranslate: the same `POST /translate` API, deterministic "translations".

`[<target>] <q>` is the translation of `q`, so a test knows what to expect. The stand-in can be
made slow (`delay` seconds before each reply), held (no reply until released), stopped and started again on the same port, and it
records every request. Run it by hand with `python tests/standin_translate.py --port 5005`.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


def fake_translation(text: str, target: str) -> str:
    return f"[{target}] {text}"


class StandInTranslate:
    def __init__(self, port: int = 0, delay: float = 0.0):
        self.port = port
        self.delay = delay
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._gate = threading.Event()  # cleared by `hold`: replies wait until `release`
        self._gate.set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "StandInTranslate":
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                if self.path == "/languages":
                    self._reply(200, [{"code": c, "name": c, "targets": ["ar", "en", "fr", "es"]}
                                      for c in ("ar", "en", "fr", "es")])
                else:
                    self._reply(404, {"error": "Not found"})

            def do_POST(self):
                if self.path != "/translate":
                    return self._reply(404, {"error": "Not found"})
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    body = json.loads(raw or "{}")
                else:  # LibreTranslate takes form posts too
                    body = {k: v[0] for k, v in parse_qs(raw).items()}
                with standin._lock:
                    standin.requests.append(body)
                    delay = standin.delay
                if delay:
                    time.sleep(delay)
                standin._gate.wait()
                missing = [k for k in ("q", "source", "target") if not body.get(k)]
                if missing:
                    return self._reply(400, {"error": f"Invalid request: missing {missing[0]} parameter"})
                self._reply(200, {"translatedText": fake_translation(body["q"], body["target"])})

            def _reply(self, status, payload):
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting (a timeout under test)
                    pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]  # kept: a restart listens on the same port
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def hold(self) -> None:
        """Requests are received (and recorded) but not answered until `release`."""
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    def stop(self) -> None:
        """Stop listening: connections are refused until `start` is called again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def asked(self, text: str, target: str | None = None) -> list[dict]:
        with self._lock:
            return [r for r in self.requests
                    if r.get("q") == text and (target is None or r.get("target") == target)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each reply")
    args = parser.parse_args()
    standin = StandInTranslate(args.port, args.delay).start()
    print(f"stand-in LibreTranslate on {standin.url} (Ctrl+C to stop)", flush=True)
    try:
        threading.Event().wait()  # until Ctrl+C
    except KeyboardInterrupt:
        standin.stop()
