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

import io
import logging
import zlib
from collections.abc import Iterator
from typing import IO, Any

from newsqa.errors import LoadError, LoadSkip
from newsqa.ingest.loaders.html import html_article
from newsqa.ingest.loaders.registry import Item, LoadOptions, failure, register
from newsqa.text.dates import normalize_date

_HTML_TYPES = ("text/html", "application/xhtml+xml")
# warcio logs the records it repairs ("Replacing spaces in invalid WARC-Target-URI: …", with
# bytes of the archive); what matters reaches the ingest report, one line per problem.
logging.getLogger("warcio").setLevel(logging.CRITICAL)


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
    if record.raw_stream.limit > 0:  # fewer bytes than the record's Content-Length
        return LoadError(where, "record truncated (the archive ends inside it)")
    url = record.rec_headers.get_header("WARC-Target-URI")
    date = normalize_date(record.rec_headers.get_header("WARC-Date"))
    return html_article(body, where, opts, url=url, date=date)


def _archive(stream: IO[bytes], origin: str, opts: LoadOptions) -> Any:
    """warcio's record iterator over ``stream``, with bounded headers and no stderr output.

    warcio reads a header line however long it is (a 1 GB "header" is read whole) and
    writes its warnings, raw bytes of the archive included, straight to stderr; newsqa
    reports problems itself, one line each.  Header lines are read with ``readline`` and
    bodies with ``read``, so the bytes read by consecutive ``readline`` calls are one
    record's header block: past ``max_header_bytes`` the archive is refused from there.
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.bufferedreaders import DecompressingBufferedReader

    limit = opts.max_header_bytes

    class Reader(DecompressingBufferedReader):
        header_bytes = 0

        def read(self, length: int | None = None) -> bytes:
            self.header_bytes = 0
            return super().read(length)

        def readline(self, length: int | None = None) -> bytes:
            room = limit - self.header_bytes + 1
            line = super().readline(room if length is None else min(length, room))
            self.header_bytes += len(line)
            if self.header_bytes > limit:
                raise LoadError(origin, f"WARC record headers longer than {limit:,} bytes")
            return line

        def _decompress(self, data: bytes) -> bytes:
            if not (self.decompressor and data) or self.num_block_read == 0:
                return super()._decompress(data)
            try:  # warcio prints this error and goes on with nothing; so do we, silently
                return self.decompressor.decompress(data)
            except zlib.error:
                return b""

    class Archive(ArchiveIterator):
        INC_RECORD = ""  # the warning it writes for a record without its blank lines

    records = Archive(stream)
    records.reader = Reader(records.fh, block_size=records.reader.block_size)
    return records


@register(".warc", raw=True)
def load_warc(stream: IO[bytes], origin: str, opts: LoadOptions) -> Iterator[Item]:
    from warcio.exceptions import ArchiveLoadFailed

    n = 0
    records = _archive(stream, origin, opts)
    try:
        for record in records:
            if record.rec_type != "response":
                continue
            n += 1
            url = record.rec_headers.get_header("WARC-Target-URI")
            if not url:
                yield LoadError(f"{origin}#{n}", "corrupt record (no WARC-Target-URI): "
                                                 "not a WARC file?")
                continue
            try:
                yield _response(record, f"{origin}#{n} {url}", opts)
            except (ArchiveLoadFailed, LoadError, OSError, EOFError, zlib.error):
                raise  # the archive itself is damaged: reported below, for the file
            except Exception as err:  # noqa: BLE001 - one bad page must not end the archive
                yield failure(f"{origin}#{n} {url}", err)
        # warcio stops quietly at a record cut off inside its headers: compare positions.
        size = stream.seek(0, io.SEEK_END)
        if records.offset < size:
            yield LoadError(origin, f"truncated or corrupt WARC: {size - records.offset:,} "
                                    f"unreadable bytes after {n} responses")
    except LoadError as err:
        yield LoadError(err.where, f"{err.reason} (after {n} responses); stopped there")
    # AttributeError: warcio trips over some garbage headers instead of raising its own error.
    except (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError,
            AttributeError) as err:
        detail = ascii(str(err))[1:-1][:120]  # warcio quotes the garbage it choked on
        yield LoadError(origin, f"truncated or corrupt WARC after {n} responses "
                                f"({type(err).__name__}: {detail})")
