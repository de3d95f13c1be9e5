"""Fixtures. Over the wire: a server process on a free port, Redis, socket clients, Chromium.
In process (flaskr-style): a real SQLite store, the hub on it with a hand-moved clock, a meeting.
The helpers themselves live in tests/support.py, which the benches share."""

from __future__ import annotations

import os

import pytest

from support import (  # noqa: F401 - also what older tests import from here
    ARTIFACTS, BROWSER_WAIT, CHROMIUM, CHROMIUM_ARGS, REDIS_URL, ROOT, Client, Emitted, FakeClock,
    Hub, HubMeeting, RawSocket, ServerProcess, SQLiteStore, TcpProxy, free_port, key_of,
    redis_available, stop_process, wait_until,
)


@pytest.fixture(scope="session")
def redis_url():
    if not redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis does not answer at {REDIS_URL}; .ci/run should have started it")
        pytest.skip(f"Redis does not answer at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """One server per test module. Each test makes its own meeting on it, so tests see nothing of
    each other's; a test that needs a fresh process (its log, its limits, the models not yet
    loaded) uses `fresh_server` or starts a ServerProcess of its own."""
    server = ServerProcess(str(tmp_path_factory.mktemp("server"))).start()
    yield server
    server.stop()


@pytest.fixture
def fresh_server(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    yield server
    server.stop()


@pytest.fixture
def redis_server(tmp_path, redis_url):
    server = ServerProcess(str(tmp_path), redis_url=redis_url).start()
    yield server
    server.stop()
    server.cleanup_redis()


@pytest.fixture
def connect():
    clients: list[Client] = []

    def make(server_url: str, meeting_id: str, key: str, **kw) -> Client:
        client = Client(server_url, meeting_id, key, **kw)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def tcp_proxy():
    proxies: list[TcpProxy] = []

    def make(target_port: int) -> TcpProxy:
        proxy = TcpProxy(target_port)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.down()


@pytest.fixture(scope="session")
def expect():
    """Playwright's expect with a wait that outlasts a reconnect (wait_for_function is blocked by the CSP)."""
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=BROWSER_WAIT)
    return playwright_expect


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is missing; .ci/run should have installed it")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    os.makedirs(ARTIFACTS, exist_ok=True)
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


# ----- the hub in process ------------------------------------------------------------------------


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def store(tmp_path):
    store = SQLiteStore(str(tmp_path / "facilitator.sqlite3"))
    yield store
    store.close()


@pytest.fixture
def emitted():
    return Emitted()


@pytest.fixture
def hub(store, emitted, clock):
    return Hub(store, emit=emitted.append, clock=clock)


@pytest.fixture
def meeting(hub, emitted):
    """A GRCP7 meeting on the in-process hub. Test files that mean a server's meeting name their
    own `meeting` fixture, which wins over this one."""
    return HubMeeting(hub, emitted)
