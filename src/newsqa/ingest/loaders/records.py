"""Map a loosely-shaped record (JSON object, CSV row, front matter) onto an :class:`Article`.

Exports from CMSes, scrapers and news APIs name the same fields differently; the aliases
below cover the common ones, and ``field_map`` (``--map text=body``) overrides them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from newsqa.errors import LoadError
from newsqa.ingest.loaders.language import detect_language
from newsqa.ingest.loaders.outlets import outlet_for_url
from newsqa.ingest.loaders.registry import Item, failure
from newsqa.text.control import clean_text
from newsqa.text.dates import normalize_date
from newsqa.types import Article, normalized_text, sha

ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "_id", "article_id", "doc_id", "docid", "guid", "uuid"),
    "title": ("title", "headline", "heading", "name"),
    "text": ("text", "body", "content", "article", "full_text", "fulltext", "maintext",
             "article_text", "story", "description", "summary"),
    "date": ("date", "published", "published_at", "publishedAt", "publish_date", "pubdate",
             "pub_date", "datePublished", "date_published", "published_date",
             "publication_date", "datetime", "created_at", "timestamp", "date_publish"),
    "url": ("url", "link", "href", "canonical_url", "permalink", "uri", "source_url"),
    "source": ("source", "outlet", "publisher", "site_name", "sitename", "site",
               "source_name", "publication", "domain", "newspaper"),
    "authors": ("authors", "author", "byline", "by", "creator", "creators", "writers"),
    "lang": ("lang", "language"),
}

_AUTHOR_SPLIT = re.compile(r"\s*(?:;|,|\band\b|&)\s*")
_BY = re.compile(r"^\s*by\s+", re.IGNORECASE)
_DOMAIN = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)+$", re.IGNORECASE)
# A dateline standing alone on the first line: "New York CNN Business —", "MOSCOW (Reuters) -".
_DATELINE = re.compile(r"^[^.!?\n]{0,60}?\s*[—–-]{1,2}\s*$")
_SLUG_WORD = re.compile(r"[a-z]+|\d+", re.IGNORECASE)
TITLE_CHARS = 120
ID_CHARS = 512  # an id is a key shown in every citation, not a place for text


def _pick(rec: Mapping[str, Any], field: str, field_map: Mapping[str, str]) -> Any:
    if field in field_map:
        return rec.get(field_map[field])
    lower = {k.lower(): k for k in rec if isinstance(k, str)}
    for alias in ALIASES[field]:
        key = lower.get(alias.lower())
        if key is not None and rec[key] not in (None, "", [], {}):
            return rec[key]
    return None


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n\n".join(_as_text(v) for v in value if v)
    if isinstance(value, Mapping):
        return _as_text(value.get("name") or value.get("text") or value.get("value"))
    return clean_text(str(value)).strip()


def _authors(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        name = _as_text(item)
        parts = [name] if isinstance(value, list) else _AUTHOR_SPLIT.split(_BY.sub("", name))
        out.extend(p.strip() for p in parts if p and p.strip())
    return out


def slug_title(url: str | None) -> str | None:
    """A headline from the URL's slug (``…/squid-game-season-2/index.html`` → "Squid game
    season 2"): news sites put a human-written summary of the story there."""
    if not url:
        return None
    path = re.sub(r"[?#].*$", "", url.split("://", 1)[-1]).split("/")[1:]
    best: list[str] = []
    for seg in path:
        seg = re.sub(r"\.(?:s?html?|php|aspx?)$", "", seg, flags=re.IGNORECASE)
        words = _SLUG_WORD.findall(seg) if "-" in seg or "_" in seg else []
        if sum(w.isalpha() for w in words) >= 3 and len(words) > len(best):
            best = words
    return " ".join(best).capitalize()[:TITLE_CHARS] if best else None


def fallback_title(text: str, url: str | None) -> str:
    """The title of a record that has none: the URL's slug, else its first line that is not a
    lone dateline (cut to a sentence).  Titles are shown in every citation and help match
    questions, so "New York CNN —" would be a poor stand-in."""
    slug = slug_title(url)
    if slug:
        return slug
    for line in text.splitlines():
        line = line.strip()
        if line and not _DATELINE.match(line):
            return re.split(r"(?<=[.!?])\s", line, maxsplit=1)[0][:TITLE_CHARS]
    return text.strip()[:TITLE_CHARS]


def stable_id(url: str | None, text: str) -> str:
    """An id for records that bring none: from the URL, else from the normalised text."""
    if url:
        return "url-" + sha(url.strip())[:16]
    return "txt-" + sha(normalized_text(text))[:16]


def attribute_source(source: str | None, url: str | None) -> str | None:
    """The outlet credited for an article: the record's own source (or site name), else the
    outlet known for the URL's host (``www.cnn.com`` → ``CNN``), else the bare host.

    A source that is itself a domain (trafilatura falls back to the host for pages without a
    site name) is mapped like a URL's host.
    """
    if source and _DOMAIN.match(source):  # "reuters.com" (a domain column, a bare site name)
        return outlet_for_url(f"http://{source}")
    return source or outlet_for_url(url)


def article_from_record(
    rec: Mapping[str, Any], origin: str, field_map: Mapping[str, str] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> Article:
    """Build an Article; raises ``ValueError`` naming what is missing or wrong.

    Every loader ends here, so attribution (:func:`attribute_source`), language detection
    (when the record names no language) and the cleaning of control characters and lone
    surrogates (:func:`clean_text`, applied to every field) are the same for every format.
    """
    if not isinstance(rec, Mapping):
        raise ValueError(f"expected an object, got {type(rec).__name__}")
    fm = field_map or {}
    merged = {**(defaults or {}), **{k: v for k, v in rec.items() if v not in (None, "")}}
    text = _as_text(_pick(merged, "text", fm))
    if not text:
        raise ValueError("empty text")
    title = _as_text(_pick(merged, "title", fm))
    url = _as_text(_pick(merged, "url", fm)) or None
    raw_date = _pick(merged, "date", fm)
    date = normalize_date(raw_date)
    # An id is one line; an empty one ("", blanks, only control characters) is no id.
    art_id = " ".join(_as_text(_pick(merged, "id", fm)).split()) or stable_id(url, text)
    if len(art_id) > ID_CHARS:
        raise ValueError(f"id too long ({len(art_id):,} characters; at most {ID_CHARS})")
    return Article(
        id=art_id,
        title=title or fallback_title(text, url),
        text=text,
        date=date,
        url=url,
        source=attribute_source(_as_text(_pick(merged, "source", fm)) or None, url),
        authors=_authors(_pick(merged, "authors", fm)),
        lang=_as_text(_pick(merged, "lang", fm)) or detect_language(text),
        origin=origin,
    )


def record_item(rec: Any, where: str, field_map: Mapping[str, str] | None = None,
                defaults: Mapping[str, Any] | None = None) -> Item:
    """:func:`article_from_record`, or the LoadError saying why ``rec`` makes no article.

    Every loader builds its articles through here, so whatever a hostile record raises
    (a missing text, a structure nested too deeply, a library's ValueError) is one line for
    that record and never stops the file.
    """
    try:
        return article_from_record(rec, where, field_map, defaults)
    except ValueError as err:  # our own "empty text", "id too long", …
        return LoadError(where, str(err))
    except Exception as err:  # noqa: BLE001 - one bad record must not end the batch
        return failure(where, err)
