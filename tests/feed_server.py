"""A feed server for tests: RSS feeds, news sitemaps and article pages on 127.0.0.1, with
ETags, and paths that fail on purpose (HTTP 500, a redirect loop, a 30 MB body)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .conftest import jsonl_records

SAMPLE = Path(__file__).parent.parent / "src/newsqa/sample_archive/wikinews-2019-2020.jsonl"
RECORDS = jsonl_records(SAMPLE)[20:26]  # six short Wikinews stories


def rss(items: list[dict], *, full: bool) -> bytes:
    """An RSS feed of ``items``: the whole text in content:encoded, or only a summary."""
    parts = []
    for r in items:
        body = (f"<content:encoded>{escape(r['text'])}</content:encoded>" if full else "")
        parts.append(
            f"<item><title>{escape(r['title'])}</title><link>{r['link']}</link>"
            f"<guid>{r['id']}</guid><pubDate>{r['date']}</pubDate>"
            f"<description>{escape(r['text'][:120])}…</description>{body}</item>")
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content='
            '"http://purl.org/rss/1.0/modules/content/"><channel><title>Test Wire</title>'
            + "".join(parts) + "</channel></rss>").encode()


def page(r: dict) -> bytes:
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in r["text"].split("\n") if p.strip())
    return (f"<html><head><title>{escape(r['title'])}</title></head><body><article>"
            f"<h1>{escape(r['title'])}</h1>{paragraphs}</article></body></html>").encode()


def news_sitemap(items: list[dict]) -> bytes:
    urls = "".join(
        f"<url><loc>{r['link']}</loc><news:news><news:publication><news:name>Test Wire"
        f"</news:name><news:language>en</news:language></news:publication>"
        f"<news:publication_date>{r['date']}</news:publication_date><news:title>"
        f"{escape(r['title'])}</news:title></news:news></url>" for r in items)
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/'
            'schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            + urls + "</urlset>").encode()


class FeedHandler(BaseHTTPRequestHandler):
    """Routes: path -> (content type, body, etag or None); special paths fail on purpose."""

    routes: dict[str, tuple[str, bytes, str | None]] = {}
    hits: Counter = Counter()
    conditional: Counter = Counter()  # requests that carried If-None-Match / If-Modified-Since
    agents: set[str] = set()

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        FeedHandler.hits[self.path] += 1
        FeedHandler.agents.add(self.headers.get("User-Agent", ""))
        if self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"):
            FeedHandler.conditional[self.path] += 1
        if self.path == "/500":
            return self._send(500, "text/plain", b"server error")
        if self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
            return
        if self.path == "/huge":  # 30 MB, no Content-Length: the cap must cut the stream
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            chunk = b"<!-- " + b"x" * (1 << 20) + b" -->"
            self.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
            for _ in range(30):
                self.wfile.write(chunk)
            return
        if self.path not in self.routes:
            return self._send(404, "text/html", b"not found")
        ctype, body, etag = self.routes[self.path]
        if etag and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        self._send(200, ctype, body, etag)

    def _send(self, status: int, ctype: str, body: bytes, etag: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client that stopped reading /huge at its size cap


@contextmanager
def feed_server() -> Iterator[str]:
    """The server's base URL while it runs."""
    httpd = QuietServer(("127.0.0.1", 0), FeedHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


def serve_stories(server: str, records: list[dict]) -> list[dict]:
    """``records`` with links to their pages on ``server`` (which now serves them, and only
    them) and RSS dates; the request counters start again from zero."""
    out = [{**r, "link": f"{server}/story/{n}",
            "date": formatdate(1_575_000_000 + n * 86400, usegmt=True)}
           for n, r in enumerate(records)]
    FeedHandler.routes = {f"/story/{n}": ("text/html; charset=utf-8", page(r), None)
                          for n, r in enumerate(out)}
    FeedHandler.hits.clear()
    FeedHandler.conditional.clear()
    return out
