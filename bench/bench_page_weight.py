"""Bytes a phone downloads to join and reach the vote page. Prints figures only.

    .venv/bin/python bench/bench_page_weight.py

Starts a real server on 127.0.0.1, creates a GRCP7 meeting, then fetches what a browser fetches
on a cold load of the join page and of the vote page (HTML, stylesheets, module scripts and their
imports, the socket.io client, the JSON the scripts ask for), once without and once with gzip.
"""

from __future__ import annotations

import os
import re
import sys
from urllib.parse import urljoin

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import requests  # noqa: E402

from common import BenchServer  # noqa: E402

IMPORT = re.compile(r"""(?:import|from)\s*["']([^"']+\.js)["']""")


def assets(session, base, html):
    urls = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    scripts = re.findall(r'<script type="module" src="([^"]+)"', html)
    seen, queue = set(), list(scripts)
    while queue:
        url = urljoin(base, queue.pop())
        if url in seen:
            continue
        seen.add(url)
        text = session.get(url).text
        queue += [urljoin(url, m) for m in IMPORT.findall(text)]
    return [urljoin(base, u) for u in urls] + sorted(seen)


def weigh(session, urls, gzip: bool) -> dict[str, int]:
    headers = {"Accept-Encoding": "gzip" if gzip else "identity"}
    sizes = {}
    for url in urls:
        r = session.get(url, headers=headers, stream=True)
        sizes[url] = len(r.raw.read())  # bytes on the wire, before decoding
    return sizes


def main() -> None:
    server = BenchServer("sqlite").start()
    try:
        links = server.create_meeting()
        mid = links["meeting_id"]
        s = requests.Session()
        join_html = s.get(links["join_url"]).text
        join_urls = [links["join_url"], *assets(s, links["join_url"], join_html),
                     f"{server.url}/api/join/{links['join_code']}"]
        r = s.post(f"{server.url}/api/m/{mid}/participants",
                   json={"code": links["join_code"], "region": "africa", "lang": "ar"})
        assert r.ok, r.text
        vote_url = f"{server.url}/m/{mid}/vote?lang=ar"
        vote_html = s.get(vote_url).text
        vote_urls = [vote_url, *assets(s, vote_url, vote_html), f"{server.url}/api/m/{mid}/state"]
        print("page | files | uncompressed | gzip")
        for name, urls in (("join (cold)", join_urls), ("vote (cold)", vote_urls)):
            plain = weigh(s, urls, gzip=False)
            packed = weigh(s, urls, gzip=True)
            print(f"{name} | {len(urls)} | {sum(plain.values()) / 1024:.1f} KB | {sum(packed.values()) / 1024:.1f} KB")
            for url in urls:
                short = url.replace(server.url, "").split("?")[0]
                print(f"    {short}: {plain[url] / 1024:.1f} KB / {packed[url] / 1024:.1f} KB")
        both = set(join_urls) | set(vote_urls)
        plain = weigh(s, sorted(both), gzip=False)
        packed = weigh(s, sorted(both), gzip=True)
        print(f"join then vote, shared files once | {len(both)} | {sum(plain.values()) / 1024:.1f} KB | "
              f"{sum(packed.values()) / 1024:.1f} KB")
    finally:
        server.close()


if __name__ == "__main__":
    main()
