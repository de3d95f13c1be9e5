#!/usr/bin/env python3
"""serve / create-meeting / import-meeting / balancer-config. Parses arguments and starts the app.

The eventlet-specific calls live here and only here, so that moving to another async mode is a
configuration change (FACILITATOR_ASYNC_MODE), not a code change.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys


def parse(argv):
    parser = argparse.ArgumentParser(prog="run.py", description="Facilitator")
    sub = parser.add_subparsers(dest="command", required=True)

    def store_args(p):
        p.add_argument("--data", help="directory of the SQLite store (default ./data)")
        p.add_argument("--redis", help="Redis URL: store the log in Redis and share sockets")
        p.add_argument("--base-url", help="origin used in printed links")

    serve = sub.add_parser("serve", help="serve the app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--demo", action="store_true", help="create (once) and print the GRCP7 demo meeting")
    store_args(serve)

    create = sub.add_parser("create-meeting", help="create a meeting and print its links")
    create.add_argument("--agenda", required=True, help="agenda name (e.g. grcp7) or file path")
    create.add_argument("--json", action="store_true", help="print one JSON object")
    store_args(create)

    imp = sub.add_parser("import-meeting", help="restore an archived meeting (JSON export)")
    imp.add_argument("file")
    imp.add_argument("--json", action="store_true", help="print one JSON object")
    store_args(imp)

    bal = sub.add_parser("balancer-config", help="print an nginx or haproxy configuration")
    bal.add_argument("kind", choices=["nginx", "haproxy"])
    bal.add_argument("--listen", required=True, metavar="HOST:PORT", help="where the balancer listens")
    bal.add_argument("--upstream", required=True, action="append", metavar="HOST:PORT",
                     help="a server process (repeat for each)")
    return parser.parse_args(argv)


def settings(args) -> None:
    """Command-line options win over the environment; both end up in Config."""
    if args.command == "balancer-config":
        return
    if args.data:
        os.environ["FACILITATOR_DATA"] = os.path.abspath(args.data)
    if args.redis:
        os.environ["FACILITATOR_REDIS"] = args.redis
    if args.base_url:
        os.environ["FACILITATOR_BASE_URL"] = args.base_url
    elif args.command == "serve":
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
        os.environ.setdefault("FACILITATOR_BASE_URL", f"http://{host}:{args.port}")
    if args.command == "serve":  # names the process in the cluster's leases (host:port:pid:…)
        os.environ.setdefault("FACILITATOR_PROCESS_NAME", f"{socket.gethostname()}:{args.port}")


WARM_MEETINGS = 20  # the most recently created meetings get their synthesis computed at start-up

# File descriptors kept back from the connection pool: the store, Redis's pool, logs, the listener.
FD_RESERVE = 256


def raise_fd_limit() -> int:
    """Raise the soft limit on open files to the hard one and return it.

    Each open socket is a file descriptor; an idle crowd of sockets must not lock others out.
    """
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def fast_websocket_unmask() -> None:
    """eventlet unmasks incoming websocket frames one byte at a time in Python, on the loop
    (~0.2 s for 1 MB): thirty large frames froze every meeting for 10 s. XOR as big integers."""
    from eventlet.websocket import RFC6455WebSocket

    def apply_mask(data, mask, length=None, offset=0):
        length = len(data) if length is None else length
        key = bytes(mask[(offset + i) % 4] for i in range(4))
        stream = (key * (length // 4 + 1))[:length]
        return (int.from_bytes(data[:length], "big") ^ int.from_bytes(stream, "big")).to_bytes(length, "big")

    RFC6455WebSocket._apply_mask = staticmethod(apply_mask)


def serve(args) -> None:
    import logging

    # Our own lines (store outages, refused frames) at INFO; libraries stay at WARNING.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("facilitator").setLevel(logging.INFO)
    if os.environ.get("FACILITATOR_ANALYSIS_LOG"):  # each synthesis's size and time (benches)
        logging.getLogger("facilitator.web.analysis").setLevel(logging.DEBUG)
    mode = os.environ.get("FACILITATOR_ASYNC_MODE", "eventlet")
    if mode == "eventlet":
        import warnings

        # eventlet warns on import that it is in maintenance mode; docs/architecture says why we keep it.
        warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
        import eventlet

        eventlet.monkey_patch()
        fast_websocket_unmask()
    elif mode == "gevent":
        from gevent import monkey

        monkey.patch_all()
    from facilitator import create_app
    from facilitator.cli import demo_links, print_links

    # The analysis (embedding, clustering) runs in a worker process this one starts.
    config = {"ANALYSIS_WORKER": os.environ.get("FACILITATOR_ANALYSIS_WORKER", "1") != "0"}
    if mode == "eventlet":
        from eventlet import tpool

        # CPU-bound analysis (clustering, embeddings) runs in a real OS thread, never on the loop.
        config["OFFLOAD"] = tpool.execute
    elif mode == "gevent":
        config["OFFLOAD"] = gevent_offload
    app = create_app(config)
    hub = app.extensions["facilitator"]
    if args.demo:
        print_links(demo_links(hub.store, app.config["DATA_DIR"], app.config["BASE_URL"]))
    print(f"Facilitator serving on http://{args.host}:{args.port} (Ctrl+C to stop)", flush=True)
    if mode == "eventlet":
        import eventlet
        import eventlet.wsgi

        # On a restart, the models load and the latest meetings' syntheses are computed (from the
        # stored vectors) while the server already takes requests.
        recent = hub.store.meeting_ids()[-WARM_MEETINGS:]
        if recent:
            eventlet.spawn(app.extensions["facilitator.live"].warm_up, recent)
        keep_the_collector_off_the_loop(app, eventlet.spawn, eventlet.sleep)
        listener = eventlet.listen((args.host, args.port))
        # Accepted sockets inherit this: acks and events go out at once instead of waiting
        # for Nagle's algorithm to coalesce small writes (~40 ms with delayed ACKs).
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # One green thread per open connection: eventlet's default pool of 1,024 let 1,024 idle
        # websockets lock everyone out. Size it to the file descriptors the process may open.
        fd_limit = raise_fd_limit()
        pool = max(fd_limit - FD_RESERVE, 64)
        print(f"Connections: up to {pool} at once (open-file limit {fd_limit})", flush=True)
        eventlet.wsgi.server(listener, app, log_output=False, max_size=pool)
    elif mode == "gevent":
        serve_gevent(app, hub, args)
    else:
        from facilitator import socketio

        socketio.run(app, host=args.host, port=args.port, allow_unsafe_werkzeug=True)


def gevent_offload(fn, *args):
    """eventlet's tpool.execute under gevent: run fn in a real OS thread, wait without blocking
    the loop."""
    from gevent import get_hub

    return get_hub().threadpool.apply(fn, args)


def keep_the_collector_off_the_loop(app, spawn, sleep) -> None:
    """Start-up's objects frozen out of the cyclic collector's sight, then what survives every
    few seconds, with a full collection now and then (web/collector.py: a full collection of
    everything held the loop 140-190 ms at 480 phones, 0.5-0.8 s at 5,000)."""
    from facilitator.web.collector import CollectorPolicy

    if not app.config["GC_FREEZE_EVERY"]:
        return
    policy = CollectorPolicy(app.config["GC_FREEZE_EVERY"], app.config["GC_FULL_EVERY"])
    policy.start()
    spawn(policy.run, sleep)


def serve_gevent(app, hub, args) -> None:
    """The eventlet serve loop's twin under gevent: gevent's WSGI server, websockets through
    simple-websocket (engine.io's gevent driver uses it when gevent-websocket is absent)."""
    import gevent
    from gevent import pool, pywsgi

    recent = hub.store.meeting_ids()[-WARM_MEETINGS:]
    if recent:
        gevent.spawn(app.extensions["facilitator.live"].warm_up, recent)
    keep_the_collector_off_the_loop(app, gevent.spawn, gevent.sleep)
    fd_limit = raise_fd_limit()
    size = max(fd_limit - FD_RESERVE, 64)
    print(f"Connections: up to {size} at once (open-file limit {fd_limit})", flush=True)
    server = pywsgi.WSGIServer((args.host, args.port), app, log=None, spawn=pool.Pool(size))
    server.init_socket()
    # as under eventlet: acks and events leave at once, not after Nagle's delay
    server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    server.serve_forever()


def main(argv=None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    settings(args)
    if args.command == "serve":
        serve(args)
        return 0
    if args.command == "balancer-config":
        from facilitator.deploy import balancer_config

        try:
            print(balancer_config(args.kind, args.listen, args.upstream), end="")
        except ValueError as error:
            print(f"run.py balancer-config: {error}", file=sys.stderr)
            return 2
        return 0
    from facilitator.cli import create_meeting_command, import_meeting_command, print_links
    from facilitator.config import Config

    base_url = os.environ.get("FACILITATOR_BASE_URL", Config.BASE_URL)
    data_dir = os.environ.get("FACILITATOR_DATA", Config.DATA_DIR)
    redis_url = os.environ.get("FACILITATOR_REDIS")
    if args.command == "create-meeting":
        links = create_meeting_command(args.agenda, data_dir, redis_url, base_url)
    else:
        links = import_meeting_command(args.file, data_dir, redis_url, base_url)
    if args.json:
        print(json.dumps(links, ensure_ascii=False))
    else:
        print_links(links)
    return 0


if __name__ == "__main__":
    sys.exit(main())
