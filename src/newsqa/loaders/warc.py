"""Web archives (``.warc``, ``.warc.gz``): every HTML page a crawler saved becomes an article.

warcio reads plain and (per-record) gzipped WARCs, as written by Common Crawl (CC-NEWS), the
Internet Archive and wget/browsertrix.  Only ``response`` records are looked at (requests,
metadata and revisits are crawler bookkeeping); a response that is not a 200 HTML page is
skipped with its reason, and a page is extracted exactly like a saved ``.html`` file, with the
record's URL and ``WARC-Date`` as fallbacks for the page's own canonical URL and date.
A truncated or corrupt archive keeps the articles read before the damage and reports where
it stopped.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import IO

from ..dates import normalize_date
from ..errors import LoadError, LoadSkip
from . import Item, LoadOptions, register
from .html import html_article

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _response(record, where: str, opts: LoadOptions) -> Item:
    http = record.http_headers
    status = http.get_statuscode() if http is not None else None
    if status != "200":
        return LoadSkip(where, f"HTTP status {status or 'missing'}, not a page")
    ctype = (http.get_header("Content-Type") or "").split(";")[0].strip().lower()
    if ctype not in _HTML_TYPES:
        return LoadSkip(where, f"not an HTML page ({ctype or 'no content type'})")
    body = record.content_stream().read(opts.max_url_bytes + 1)
    if len(body) > opts.max_url_bytes:
        return LoadError(where, f"page too large (over {opts.max_url_bytes:,} bytes)")
    url = record.rec_headers.get_header("WARC-Target-URI")
    date = normalize_date(record.rec_headers.get_header("WARC-Date"))
    return html_article(body, where, opts, url=url, date=date)


@register(".warc", raw=True)
def load_warc(stream: IO[bytes], origin: str, opts: LoadOptions) -> Iterator[Item]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    n = 0
    try:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response":
                continue
            n += 1
            url = record.rec_headers.get_header("WARC-Target-URI") or "?"
            yield _response(record, f"{origin}#{n} {url}", opts)
    except (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError) as err:
        yield LoadError(origin, f"truncated or corrupt WARC after {n} responses "
                                f"({type(err).__name__}: {err})")
