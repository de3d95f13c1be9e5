"""A stand-in for LibreTranslate: the same `POST /translate` API, deterministic "translations".

`[<target>] <q>` is the translation of `q`, so a test knows what to expect. The stand-in can be
made slow (`delay` seconds before each reply), held (no reply until released), stopped and started again on the same port, and it
records every request (and its Authorization header, in `authorizations`). Like LibreTranslate
it answers 400 to a language it does not have (`LANGUAGES`), and a `q` in `refuse` too. It can
misbehave (`misbehave`): "trickle" (a good reply, one byte every `trickle_every` seconds),
"redirect" (302 to `redirect_to`), "deep" (JSON nested 50,000 deep), "garbage" (not JSON).
Run it by hand with `python tests/standin_translate.py --port 5005`.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


LANGUAGES = ("ar", "en", "fr", "es")
DEEP = 50_000


def fake_translation(text: str, target: str) -> str:
    return f"[{target}] {text}"


class StandInTranslate:
    def __init__(self, port: int = 0, delay: float = 0.0):
        self.port = port
        self.delay = delay
        self.requests: list[dict] = []
        self.authorizations: list[str | None] = []
        self.refuse: set[str] = set()  # texts answered 400, as LibreTranslate answers bad input
        self.misbehave: str | None = None
        self.trickle_every = 3.0
        self.redirect_to = ""
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
                    standin.authorizations.append(self.headers.get("Authorization"))
                    delay, misbehave = standin.delay, standin.misbehave
                if delay:
                    time.sleep(delay)
                standin._gate.wait()
                missing = [k for k in ("q", "source", "target") if not body.get(k)]
                if missing:
                    return self._reply(400, {"error": f"Invalid request: missing {missing[0]} parameter"})
                for key in ("source", "target"):
                    if body[key] not in LANGUAGES:
                        return self._reply(400, {"error": f"{body[key]} is not supported"})
                if body["q"] in standin.refuse:
                    return self._reply(400, {"error": "Invalid request"})
                translated = {"translatedText": fake_translation(body["q"], body["target"])}
                if misbehave == "redirect":
                    return self._reply(302, {}, headers={"Location": standin.redirect_to})
                if misbehave == "deep":
                    return self._send(200, ("[" * DEEP + "]" * DEEP).encode("ascii"))
                if misbehave == "garbage":
                    return self._send(200, b"<html>not a translation</html>")
                if misbehave == "trickle":
                    return self._send(200, json.dumps(translated).encode("utf-8"), trickle=standin.trickle_every)
                self._reply(200, translated)

            def _reply(self, status, payload, headers=None):
                self._send(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers)

            def _send(self, status, data: bytes, headers=None, trickle: float = 0.0):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    if not trickle:
                        self.wfile.write(data)
                        return
                    for i in range(len(data)):  # a byte at a time, each well within any timeout
                        self.wfile.write(data[i:i + 1])
                        self.wfile.flush()
                        time.sleep(trickle)
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
