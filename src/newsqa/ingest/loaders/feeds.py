"""RSS and Atom feeds (``.rss``, ``.atom``, ``.xml``): one article per entry.

feedparser copes with every RSS/Atom dialect, undeclared or wrong encodings and malformed XML
(it flags such feeds as "bozo" but still returns what it could read).  Each entry gives the
title, link, published (else updated) date, author(s) and the fullest text the feed carries:
full ``content`` over ``summary``/``description``, with the HTML stripped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from newsqa.errors import LoadError
from newsqa.ingest.loaders.html import html_to_text
from newsqa.ingest.loaders.records import record_item
from newsqa.ingest.loaders.registry import Item, LoadOptions, failure, read_capped, register
from newsqa.text.dates import normalize_date
from newsqa.types import sha

_FEED_ROOT = re.compile(rb"<(rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)
_CHARREF = re.compile(rb"&#(?:([0-9]{1,12})|[xX]([0-9a-fA-F]{1,12}));")


def _unencodable_refs(data: bytes) -> bytes:
    """``data`` with character references to no encodable character (a lone surrogate such as
    ``&#55296;``, a code point past U+10FFFF, NUL) turned into ``&#65533;`` (U+FFFD).

    feedparser encodes every reference it meets and raises on these, which would stop the
    whole ingest for one bad entry; U+FFFD is what an HTML parser makes of them too.
    """
    def fix(m: re.Match[bytes]) -> bytes:
        code = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
        bad = code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF
        return b"&#65533;" if bad else m.group(0)

    return _CHARREF.sub(fix, data) if b"&#" in data else data


def looks_like_feed(head: bytes) -> bool:
    """Whether a document's first bytes open an RSS, Atom or RSS 1.0 (RDF) root element."""
    return bool(_FEED_ROOT.search(head[:4096]))


def _entry_text(entry: Any) -> str:
    bodies = [c.get("value", "") for c in entry.get("content") or []]
    bodies.append(entry.get("summary") or "")
    return html_to_text(max(bodies, key=len))


def _entry_date(entry: Any) -> str | None:
    """The raw published/updated string if it parses, else feedparser's own parse of it."""
    for key in ("published", "updated", "created"):
        # dict.get: FeedParserDict maps a missing "updated" to "published" (with a warning).
        if iso := normalize_date(dict.get(entry, key)):
            return iso
        parsed = dict.get(entry, f"{key}_parsed")
        if parsed:
            try:
                return date(*parsed[:3]).isoformat()
            except ValueError:
                continue
    return None


def _entry_authors(entry: Any) -> list[str]:
    names = [a.get("name") for a in entry.get("authors") or [] if a.get("name")]
    return names or ([entry["author"]] if entry.get("author") else [])


@dataclass
class FeedEntry:
    """One entry of a feed: its ``article`` (or why it has none), its identity in the feed
    (``key``: the guid, else the link), and whether the feed carries its ``full`` text (a
    content element) or only a summary, which a follower replaces with the linked page.

    A sitemap's entries (ingest/sources.py) are links only: no ``article``, and the ``date``
    the sitemap gives the page.
    """

    key: str
    article: Item | None
    link: str | None
    full: bool
    date: str | None = None


def feed_entries(data: bytes, origin: str, opts: LoadOptions) -> list[FeedEntry]:
    """Every entry of the feed in ``data`` (none for an empty feed); raises LoadError if
    ``data`` is no feed at all."""
    import feedparser

    parsed = feedparser.parse(_unencodable_refs(data))
    if not parsed.entries and not parsed.get("version"):
        problem = parsed.get("bozo_exception")
        raise LoadError(origin, "not an RSS/Atom feed" + (f" ({problem})" if problem else ""))
    site = parsed.feed.get("title")
    out = []
    for n, entry in enumerate(parsed.entries, 1):
        where = f"{origin}#{n}"
        link = entry.get("link")
        guid = entry.get("id")
        try:
            record = _entry_record(entry, origin, site, link, guid)
        except Exception as err:  # noqa: BLE001 - one bad entry must not end the feed
            out.append(FeedEntry(guid or link or where, failure(where, err), link, False))
            continue
        article = record_item(record, where, defaults=opts.defaults)
        full = any((c.get("value") or "").strip() for c in entry.get("content") or [])
        key = guid or link or sha(record["title"], record["text"])
        out.append(FeedEntry(key, article, link, full))
    return out


def _entry_record(entry: Any, origin: str, site: str | None, link: str | None,
                  guid: str | None) -> dict[str, Any]:
    return {
        # The link is the stable identity; a bare guid ("1234") is only unique per feed.
        "id": None if link else (f"guid-{sha(origin, guid)[:16]}" if guid else None),
        "title": html_to_text(entry.get("title") or ""),
        "text": _entry_text(entry),
        "date": _entry_date(entry),
        "url": link,
        "source": (entry.get("source") or {}).get("title"),
        "site_name": site,
        "authors": _entry_authors(entry),
    }


def feed_articles(data: bytes, origin: str, opts: LoadOptions) -> Iterator[Item]:
    """Every entry of the feed in ``data``, or one error if it is no feed or has no entry."""
    try:
        entries = feed_entries(data, origin, opts)
    except LoadError as err:
        yield err
        return
    if not entries:
        yield LoadError(origin, "feed has no entries")
    for entry in entries:
        yield entry.article


@register(".rss", ".atom", ".xml")
def load_feed(stream: IO[bytes], origin: str, opts: LoadOptions) -> Iterator[Item]:
    yield from feed_articles(read_capped(stream, origin, opts.max_file_bytes), origin, opts)
