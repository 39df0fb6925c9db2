"""Ingest inputs that are URLs: fetch pages and feeds over HTTP(S), safely, one at a time.

A URL typed or listed by a user is still untrusted input for the machine that runs newsqa (a
bot may pass on what people post), so fetching is fenced in:

* only ``http``/``https``;
* the host must resolve to public addresses only: private, loopback, link-local, reserved
  and other non-global ranges (and IPv6 forms of them) are refused, unless the
  ``allow_private_urls`` setting is on (tests and intranet archives need it); the check is
  made when connecting, to the address connected to, on every redirect hop (urlguard.py),
  so a name that resolves differently a moment later (DNS rebinding) gains nothing;
* a timeout per request, at most ``MAX_REDIRECTS`` redirects, and a size cap on the body,
  enforced while streaming so a huge or endless response is cut off early.

A fetched page goes through the same extractor as a saved ``.html`` file; a feed (by content
type or by its root element) through the feed loader; an archive file named by the URL's
path (``…/wire.jsonl``, ``…/export.csv.gz``) through the loader for that extension, as if it
had been saved to disk.  Every failure is one LoadError naming
the URL and the reason, and the rest of the batch goes on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import NamedTuple
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from newsqa.errors import LoadError, NewsqaError
from newsqa.ingest.loaders import (
    Item,
    LoadOptions,
    format_of,
    load_bytes,
    load_paths,
    supported_extensions,
)
from newsqa.ingest.loaders.decode import is_binary
from newsqa.ingest.loaders.feeds import feed_articles, looks_like_feed
from newsqa.ingest.loaders.html import EXTENSIONS as PAGE_EXTENSIONS
from newsqa.ingest.loaders.html import html_article
from newsqa.ingest.urlguard import GuardedTransport, RefusedAddress, check_url

__all__ = ["Fetched", "archive_file_name", "check_url", "fetch", "is_url", "load_inputs",
           "load_url", "make_client", "read_url_list"]

MAX_REDIRECTS = 5
USER_AGENT = "newsqa/0.1 (news archive ingest)"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml",
               "application/xml", "text/xml")
_PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")


def is_url(value: str) -> bool:
    """Whether an ingest argument is a URL (any scheme, so ``ftp://`` gets a clear refusal)."""
    return bool(_SCHEME.match(value.strip()))


class Fetched(NamedTuple):
    """A fetched document: ``url`` after redirects, and the validators a later conditional
    request can send (``etag``, ``last_modified``); ``not_modified`` is a 304 answer to one,
    with an empty body."""

    url: str
    content_type: str
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


def make_client(opts: LoadOptions) -> httpx.Client:
    """The HTTP client every fetch uses: the project's User-Agent, ``opts``' timeout, no
    redirects of its own (:func:`fetch` follows them, checking each hop), and a
    :class:`GuardedTransport` so every connection goes to a vetted address."""
    return httpx.Client(timeout=opts.url_timeout, follow_redirects=False,
                        headers={"User-Agent": USER_AGENT},
                        transport=GuardedTransport(opts.allow_private_urls))


def fetch(url: str, opts: LoadOptions, client: httpx.Client, *, etag: str | None = None,
          last_modified: str | None = None) -> Fetched:
    """The 200 response at ``url``, or with ``etag``/``last_modified`` (a conditional request)
    possibly a 304 one; raises LoadError otherwise."""
    start = url
    conditions = {name: value for name, value in (("If-None-Match", etag),
                                                  ("If-Modified-Since", last_modified)) if value}
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            check_url(url, opts.allow_private_urls)
            with client.stream("GET", url, headers=conditions) as resp:
                if resp.is_redirect and resp.headers.get("location"):
                    url = urljoin(url, resp.headers["location"])
                    continue
                if resp.status_code == 304 and conditions:
                    return Fetched(url, "", b"", etag, last_modified, not_modified=True)
                if resp.status_code != 200:
                    raise LoadError(start, f"HTTP {resp.status_code} {resp.reason_phrase}")
                ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                declared = resp.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > opts.max_url_bytes:
                    raise LoadError(start, f"response too large ({int(declared):,} bytes > "
                                           f"{opts.max_url_bytes:,} limit)")
                body = bytearray()
                for part in resp.iter_bytes():
                    body += part
                    if len(body) > opts.max_url_bytes:
                        raise LoadError(start, f"response too large (over "
                                               f"{opts.max_url_bytes:,} bytes)")
                return Fetched(url, ctype, bytes(body), resp.headers.get("etag"),
                               resp.headers.get("last-modified"))
    except RefusedAddress as err:  # raised by the transport as it connects
        raise LoadError(start, str(err)) from None
    except httpx.TimeoutException:
        raise LoadError(start, f"timed out after {opts.url_timeout:g} s") from None
    except httpx.HTTPError as err:
        raise LoadError(start, f"fetch failed ({type(err).__name__}: {err})") from None
    raise LoadError(start, f"more than {MAX_REDIRECTS} redirects")


def load_url(url: str, opts: LoadOptions, client) -> Iterator[Item]:
    """The article (or a feed's articles) at ``url``, or one error naming why not."""
    try:
        final, ctype, body, *_validators = fetch(url, opts, client)
    except LoadError as err:
        yield err
        return
    if ctype in FEED_TYPES or looks_like_feed(body[:4096]):
        yield from feed_articles(body, url, opts)
    elif name := archive_file_name(final):
        yield from load_bytes(body, name, url, opts)
    elif ctype not in _PAGE_TYPES or is_binary(body[:8192]):
        yield LoadError(url, f"not an HTML page or feed ({ctype or 'binary data'})")
    else:
        yield html_article(body, url, opts, url=final)


def archive_file_name(url: str) -> str | None:
    """The last segment of ``url``'s path when its extension is an archive format newsqa
    reads (a saved-page extension is not: a fetched page is read as a page)."""
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    ext, _gz = format_of(Path(name))
    return name if ext in supported_extensions() and ext not in PAGE_EXTENSIONS else None


def read_url_list(path: Path) -> list[str]:
    """URLs from a ``--urls`` file: one a line; blank lines and ``#`` comments ignored."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise NewsqaError(f"cannot read URL list {path}: {err}") from None
    return [s for line in lines if (s := line.strip()) and not s.startswith("#")]


def load_inputs(inputs: Iterable[str | Path], options: LoadOptions | None = None
                ) -> Iterator[Item]:
    """Articles from files, directories and URLs, in the order given; errors per item."""
    opts = options or LoadOptions()
    client = None
    try:
        for inp in inputs:
            if isinstance(inp, str) and is_url(inp):
                if client is None:
                    client = make_client(opts)
                yield from load_url(inp.strip(), opts, client)
            else:
                yield from load_paths([Path(inp)], opts)
    finally:
        if client is not None:
            client.close()
