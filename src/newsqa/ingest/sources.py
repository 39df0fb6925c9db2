"""What a follower follows: the sources named on the command line, and the entries of a
fetched source document (an RSS/Atom feed, a sitemap, a news sitemap or a sitemap index).

A feed's entries come from the feed loader (loaders/feeds.py) with the text the feed carries;
a sitemap lists only pages, so its entries are links, with the date (news sitemap
``publication_date``, else ``lastmod``) a page without one of its own is given.  Sitemap
entries come newest first, since a follower may take only part of a long sitemap per round.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

from newsqa.errors import LoadError, NewsqaError
from newsqa.ingest.loaders import LoadOptions
from newsqa.ingest.loaders.feeds import FeedEntry, feed_entries, looks_like_feed
from newsqa.ingest.urls import FEED_TYPES, Fetched, is_url, read_url_list
from newsqa.text.dates import normalize_date

_SITEMAP_ROOT = re.compile(rb"<(?:\w+:)?(urlset|sitemapindex)[\s>]")


def read_sources(args: list[str]) -> list[str]:
    """The source URLs named by ``args``: each a URL, or a file of them (one a line, ``#``
    comments); duplicates dropped, order kept.  A file that cannot be read, a line that is
    not an http(s) URL, or no source at all is a NewsqaError naming it."""
    urls: list[str] = []
    for arg in args:
        if is_url(arg):
            urls.append(arg.strip())
            continue
        path = Path(arg)
        if not path.is_file():
            raise NewsqaError(f"{arg!r} is neither an http(s) URL nor a file of source URLs")
        urls.extend(read_url_list(path))
    for url in urls:
        if urlsplit(url).scheme.lower() not in ("http", "https") or not urlsplit(url).hostname:
            raise NewsqaError(f"not an http(s) feed or sitemap URL: {url!r}")
    if not urls:
        raise NewsqaError("no sources to follow: give feed or sitemap URLs, or a file of them")
    return list(dict.fromkeys(urls))


def unpacked(doc: Fetched, opts: LoadOptions) -> bytes:
    """The body of ``doc``, gunzipped when it is gzip data (``sitemap.xml.gz``), within the
    same size cap as the download."""
    if doc.body[:2] != b"\x1f\x8b":
        return doc.body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(doc.body)) as stream:
            data = stream.read(opts.max_url_bytes + 1)
    except (OSError, EOFError, zlib.error) as err:
        raise LoadError(doc.url, f"bad gzip data ({err})") from None
    if len(data) > opts.max_url_bytes:
        raise LoadError(doc.url, f"unpacked sitemap too large (over {opts.max_url_bytes:,} "
                                 "bytes)")
    return data


def document_entries(origin: str, doc: Fetched, opts: LoadOptions
                     ) -> tuple[list[FeedEntry], list[str]]:
    """``(entries, sitemaps)`` of a fetched feed or sitemap: a feed's or sitemap's entries,
    or for a sitemap index the sitemaps it lists (newest first); raises LoadError for
    anything else (an HTML page, garbage, a broken sitemap)."""
    body = unpacked(doc, opts)
    if root := _SITEMAP_ROOT.search(body[:4096]):
        entries = sitemap_entries(body, origin)
        if root.group(1) == b"sitemapindex":
            return [], [e.link for e in entries if e.link]
        return entries, []
    if doc.content_type in FEED_TYPES or looks_like_feed(body[:4096]):
        return feed_entries(body, origin, opts), []
    what = doc.content_type or "unknown content type"
    raise LoadError(origin, f"not an RSS/Atom feed or a sitemap ({what})")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _child_text(node: ElementTree.Element, *path: str) -> str | None:
    """The text of the first descendant along ``path`` (local names, any namespace)."""
    for name in path:
        node = next((c for c in node if _local(c.tag) == name), None)
        if node is None:
            return None
    return (node.text or "").strip() or None


def sitemap_entries(body: bytes, origin: str) -> list[FeedEntry]:
    """The pages (or, for an index, the sitemaps) a sitemap lists, newest first.

    The standard library's parser expands no external entity and refuses entity
    expansion bombs, so a hostile sitemap costs at most its (capped) size.
    """
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as err:
        raise LoadError(origin, f"not a valid sitemap ({err})") from None
    item = "sitemap" if _local(root.tag) == "sitemapindex" else "url"
    entries = []
    for node in root:
        if _local(node.tag) != item or not (loc := _child_text(node, "loc")):
            continue
        when = (_child_text(node, "news", "publication_date") or _child_text(node, "lastmod"))
        entries.append(FeedEntry(key=loc, article=None, link=loc, full=False,
                                 date=normalize_date(when) if when else None))
    entries.sort(key=lambda e: e.date or "", reverse=True)
    return entries
