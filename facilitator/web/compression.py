"""Gzip for text responses and cache-friendly static URLs: venue Wi-Fi is crowded.

A phone that joins a vote loads ~200 KB of HTML, CSS, JS and JSON uncompressed, ~50 KB gzipped
(docs/performance.md). Static URLs carry a version so that they can be cached for a long time.
"""

from __future__ import annotations

import gzip
import os

from flask import request

COMPRESSIBLE = ("text/", "application/json", "application/javascript", "image/svg+xml")
MIN_SIZE = 500
STATIC_MAX_AGE = 365 * 24 * 3600


def init_app(app) -> None:
    versions: dict[str, str] = {}

    @app.url_defaults
    def static_version(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            filename = values["filename"]
            if filename not in versions or app.debug:
                try:
                    versions[filename] = format(int(os.path.getmtime(os.path.join(app.static_folder, filename))), "x")
                except OSError:
                    return
            values["v"] = versions[filename]

    default_max_age = app.get_send_file_max_age

    def send_file_max_age(filename):
        # A versioned URL never changes content; an unversioned one (an ES module import) is revalidated.
        if request.args.get("v"):
            return STATIC_MAX_AGE
        return default_max_age(filename)

    app.get_send_file_max_age = send_file_max_age

    @app.after_request
    def compress(response):
        if (
            response.status_code != 200
            or "gzip" not in request.headers.get("Accept-Encoding", "")
            or "Content-Encoding" in response.headers
            or not (response.mimetype or "").startswith(COMPRESSIBLE)
            or response.is_streamed and not response.direct_passthrough
        ):
            return response
        response.direct_passthrough = False
        data = response.get_data()
        if len(data) < MIN_SIZE:
            return response
        response.set_data(gzip.compress(data, compresslevel=6))
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Content-Length"] = str(len(response.get_data()))
        response.vary.add("Accept-Encoding")
        if response.headers.get("ETag"):
            response.headers["ETag"] = response.headers["ETag"].rstrip('"') + '-gz"'
        return response
