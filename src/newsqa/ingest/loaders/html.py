"""Saved article pages (``.html``, ``.htm``): the article's main text and its metadata.

trafilatura removes what is not the story (menus, teasers, comments, ads, footers) and reads the
metadata a news page carries: JSON-LD ``NewsArticle``, Open Graph and ``<meta>`` tags give the
title, author(s), publication date, site name and canonical URL.  Where the page has none of
those, the caller's URL (a WARC record's or a fetched URL) and date are used instead.  The same
function serves saved pages, WARC responses and fetched URLs, so all three extract alike.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import IO

from newsqa.errors import LoadError
from newsqa.ingest.loaders.records import record_item
from newsqa.ingest.loaders.registry import Item, LoadOptions, read_capped, register

# trafilatura logs every page it cannot use (at WARNING, and an unparsable one at ERROR:
# "empty HTML tree"); the ingest report already names them, with the reason, on one line.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
logging.getLogger("htmldate").setLevel(logging.CRITICAL)

_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
               "blockquote", "tr", "table", "section", "article", "pre", "figure", "hr"}
EXTENSIONS = (".html", ".htm", ".xhtml")  # saved pages; a fetched page is told by its type
# Below this the "main text" is a menu or a teaser, not an article worth citing.
MIN_TEXT_CHARS = 150
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANKS = re.compile(r"\n\s*\n+")


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (a feed entry's body), paragraphs kept as blank lines."""
    if "<" not in fragment:
        from html import unescape

        return _tidy(unescape(fragment))
    import lxml.html
    from lxml.etree import ParserError

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ParserError, ValueError):
        return _tidy(re.sub(r"<[^>]+>", " ", fragment))
    for junk in root.xpath("//script|//style|//noscript"):
        junk.drop_tree()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCK_TAGS:
            el.tail = "\n\n" + (el.tail or "")
    return _tidy(root.text_content())


def _tidy(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def html_article(data: bytes | str, origin: str, opts: LoadOptions, *,
                 url: str | None = None, date: str | None = None) -> Item:
    """One Article from a page's HTML, or a LoadError saying why the page has no article.

    ``--map`` does not apply: the fields come from the extractor under their own names.
    """
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            data, url=url, with_metadata=True, include_comments=False, include_tables=True,
            include_images=False, include_links=False, deduplicate=False,
        )
    except Exception as err:  # one unparsable page must not end the batch
        return LoadError(origin, f"cannot parse HTML ({type(err).__name__}: {err})")
    text = (doc.text or "").strip() if doc is not None else ""
    if len(text) < MIN_TEXT_CHARS:
        return LoadError(origin, "no article text found (page is empty or only boilerplate)")
    head, _, rest = text.partition("\n")
    if doc.title and head.strip() == doc.title.strip() and rest.strip():
        text = rest.strip()  # the headline is the title, not the body's first paragraph
    record = {
        "title": doc.title,
        "text": text,
        "date": doc.date or date,
        "url": doc.url or url,
        "site_name": doc.sitename,
        "authors": doc.author,
    }
    return record_item(record, origin, defaults=opts.defaults)


@register(*EXTENSIONS)
def load_html(stream: IO[bytes], origin: str, opts: LoadOptions) -> Iterator[Item]:
    yield html_article(read_capped(stream, origin, opts.max_file_bytes), origin, opts)
