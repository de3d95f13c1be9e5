"""Facilitator: live boards for breakout groups, a plenary dashboard, votes and an outcome report."""

import os

from flask import Flask, g, request
from flask_babel import Babel
from flask_socketio import SocketIO

from .config import Config

socketio = SocketIO()
babel = Babel()

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def select_locale() -> str:
    """?lang= (remembered in a cookie), then Accept-Language, then the meeting's language."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    wanted = request.args.get("lang") or request.cookies.get("lang")
    if wanted in languages:
        return wanted
    best = request.accept_languages.best_match(languages)
    if best:
        return best
    return getattr(g, "meeting_language", None) or current_app.config["BABEL_DEFAULT_LOCALE"]


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        static_folder=os.path.join(ROOT, "static"),
        template_folder=os.path.join(ROOT, "templates"),
    )
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)

    babel.init_app(app, locale_selector=select_locale)

    from .store import guarded, open_store
    from .web import realtime  # noqa: F401  (importing it registers connect and disconnect)

    store = guarded(open_store(app.config["DATA_DIR"], app.config["REDIS_URL"], app.config["REDIS_PREFIX"],
                               offload=app.config.get("OFFLOAD")))
    _init_sockets(app)
    _init_meetings(app, store)
    _init_web(app)
    return app


def _init_sockets(app: Flask) -> None:
    """Socket.IO over the Redis message queue, and the JSON limits of every frame and body."""
    from .web import proxy, realtime, sessions, wire, wsgi_errors

    # `socketio` is one object per process and keeps the queue it made for an earlier app: a
    # later app without Redis (in tests) would still get that app's message queue.
    socketio.server_options.pop("client_manager", None)
    socketio.server_options.pop("message_queue", None)
    queue = {}
    if app.config["REDIS_URL"]:
        # python-socketio's RedisManager, with a listener back within a second of Redis (queue.py)
        from .web.queue import RedisQueue

        queue["client_manager"] = RedisQueue(app.config["REDIS_URL"], f"{app.config['REDIS_PREFIX']}-socketio")
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        **queue,
        # Same origin only, the public one when behind trusted proxies: no wildcard CORS.
        cors_allowed_origins=proxy.same_origin,
        # One connection's events are handled in the order they arrived, on its reader: ops
        # received before a disconnect are applied before the disconnect is.
        async_handlers=False,
        max_http_buffer_size=16 * app.config["MAX_FRAME"],
        json=wire.BoundedJSON(app.config["MAX_JSON_DEPTH"]),
        serializer=wire.Packet,
    )
    wsgi_errors.init_app(app)  # eventlet's websocket errors, one log line each
    proxy.init_app(app)
    app.session_interface = sessions.SessionCookies()
    wire.FrameGuard(socketio.server, app.config["MAX_FRAME"], app.config["AUTH_TIMEOUT"])
    realtime.install(app, socketio.server)
    app.json_provider_class = wire.BoundedJSONProvider
    app.json = wire.BoundedJSONProvider(app)
    app.json.max_depth = app.config["MAX_JSON_DEPTH"]


def _init_meetings(app: Flask, store) -> None:
    """The hub that runs the meetings, its per-key budgets and its live views."""
    from .meeting.limits import KeyBudgets
    from .meeting.synthesis import Synthesizer
    from .web import cluster as cluster_module, drafts, hub as hub_module, links, live, presence, realtime

    redis_url = app.config["REDIS_URL"]
    app.extensions["facilitator.budgets"] = KeyBudgets(
        app.config["KEY_OP_RATE"], app.config["KEY_OP_BURST"]
    )
    # With Redis, processes share meetings: a heartbeat, one owner per meeting (web/cluster.py).
    cluster = redis_url and cluster_module.open_cluster(
        redis_url, app.config["REDIS_PREFIX"], app.config["PROCESS_NAME"], store.outage)
    hub = hub_module.Hub(
        store,
        emit=realtime.emit_to_room,
        presence=presence.RedisPresence(cluster.r, cluster.prefix, cluster) if cluster else None,
        owns=cluster.owns if cluster else None,
    )
    if cluster:
        cluster_module.attach(cluster, hub, socketio)
        _init_health(app, cluster)
    links.attach(app, hub, cluster, socketio)
    app.extensions["facilitator"] = hub
    app.extensions["facilitator.join_guard"] = _join_guard(app.config, cluster)
    analysis = None
    if app.config.get("ANALYSIS_WORKER"):
        # run.py serve: embedding and clustering in a process of their own (the models load there)
        from .web.analysis_worker import WorkerAnalysis

        analysis = WorkerAnalysis({"engine": app.config["SYNTHESIS_ENGINE"],
                                   "data_dir": app.config["DATA_DIR"], "redis_url": redis_url,
                                   "redis_prefix": app.config["REDIS_PREFIX"]},
                                  offload=app.config.get("OFFLOAD"))
        analysis.start()
    app.extensions["facilitator.live"] = live.LiveViews(
        hub,
        socketio,
        synthesizer_factory=lambda: Synthesizer(
            engine=app.config["SYNTHESIS_ENGINE"], default_lang="en"
        ),
        offload=app.config.get("OFFLOAD"),
        debounce=app.config["SYNTHESIS_DEBOUNCE"],
        analysis=analysis,
        # out of process the runs cost the loop nothing: only the worker's core bounds them
        share=live.WORKER_SHARE if analysis is not None else live.SYNTHESIS_SHARE,
        encode=True,
    )

    app.extensions["facilitator.drafts"] = drafts.MachineDrafts(
        hub, app.config["TRANSLATE_URL"], spawn=socketio.start_background_task, sleep=socketio.sleep,
        timeout=app.config["TRANSLATE_TIMEOUT"], queue_size=app.config["TRANSLATE_QUEUE"],
        workers=app.config["TRANSLATE_WORKERS"], api_key=app.config["TRANSLATE_API_KEY"],
    )
    if cluster and app.extensions["facilitator.drafts"].enabled:
        # a new owner drafts what died queued in the last one
        cluster.on_taken.append(app.extensions["facilitator.drafts"].on_lease_taken)


def _init_health(app: Flask, cluster) -> None:
    """With Redis: /healthz and every request answer 503 while Redis does not, and the sockets
    move to another process (web/health.py)."""
    from .web import health as health_module, links

    connections = app.extensions["facilitator.connections"]

    def shed() -> int:
        # each in a task of its own: a close runs the disconnect handler first, and one socket
        # whose reader is held by a call to the lost Redis must not hold the others
        sids = list(connections)
        for sid in sids:
            socketio.start_background_task(links.close, socketio.server, sid)
        return len(sids)

    health = app.extensions["facilitator.health"] = health_module.Health(
        ping=health_module.redis_ping(app.config["REDIS_URL"]), queue=socketio.server.manager,
        peers=lambda: cluster.peers, shed=shed)
    app.wsgi_app = health.middleware(app.wsgi_app)
    socketio.start_background_task(health.run, socketio.sleep, socketio.server)


def _join_guard(config, cluster):
    """The join budgets (meeting/joining.py): in Redis when processes share it, so that a guesser
    behind a balancer gets one budget and not one per process."""
    from .meeting.joining import JoinGuard, SharedJoinGuard

    budgets = (config["JOIN_FAILURES"], config["JOIN_ADDRESS_FAILURES"], config["JOIN_WINDOW"],
               config["JOIN_MAX_WAIT"])
    if cluster:
        return SharedJoinGuard(cluster.r, cluster.prefix, *budgets)
    return JoinGuard(*budgets)


def _init_web(app: Flask) -> None:
    """Error pages, compression, the blueprints and the CLI commands."""
    from . import cli
    from .web import api, compression, exports, links, pages

    api.register_error_handlers(app)
    compression.init_app(app)
    app.json.ensure_ascii = False  # Arabic as Arabic, not escaped: a third of the bytes
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(links.bp)
    cli.register_translate(app)
