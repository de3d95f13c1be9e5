"""Behind a balancer or a TLS terminator: the public origin and the client's address.

With ``PROXY_COUNT`` = n > 0, werkzeug's ProxyFix believes the last n entries of
X-Forwarded-For/-Proto/-Host, so ``request.remote_addr``, ``request.is_secure`` and
``request.host_url`` are the client's and the public origin's: links, QR codes, ``Secure``
cookies and the join back-off follow. With 0 (the default) those headers are ignored: anyone may
send them.
"""

from __future__ import annotations

from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app) -> None:
    """Wrap the whole WSGI app, Socket.IO included, so that its Origin check sees the same
    public origin as the pages. Call after socketio.init_app (which wraps wsgi_app itself)."""
    count = app.config["PROXY_COUNT"]
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def same_origin(origin, environ) -> bool:
    """Socket.IO's Origin check: the page's origin must be this request's (public) origin.

    engine.io's own check also believes X-Forwarded-Proto/-Host from anyone; this one reads
    only what ProxyFix has vetted into the environ.
    """
    return origin == f"{environ.get('wsgi.url_scheme')}://{environ.get('HTTP_HOST')}"
