"""CSV and TSV exports (``.csv``, ``.tsv``): one article per row, streamed row by row.

Columns are matched by header with the same aliases as JSON (``body``, ``headline``,
``pubdate`` …); ``--map text=body,date=pubdate`` overrides them.  The file is never read
whole: a CMS dump of gigabytes streams through in constant memory.  The encoding is sniffed
from the first 64 KiB (UTF-8, else a detected one), the delimiter of ``.csv`` files too
(``,`` ``;`` ``|`` or tab, read off the header line).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO

from charset_normalizer import from_bytes

from newsqa.errors import LoadError
from newsqa.ingest.loaders.records import record_item
from newsqa.ingest.loaders.registry import Item, LoadOptions, capped_lines, register

_HEAD = 64 * 1024
# One field may hold a whole article; the csv module's default cap (128 KiB) is too small.
# Longer texts still reach the ingest limit (max_article_chars) and are refused there.
csv.field_size_limit(32 * 1024 * 1024)


def _encoding(head: bytes) -> str:
    try:
        head.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as err:
        if err.start >= len(head) - 3:  # a character cut at the end of the sample
            return "utf-8-sig"
    best = from_bytes(head).best()
    return best.encoding if best is not None else "latin-1"


def _delimiter(origin: str, sample: str) -> str:
    """Tab for ``.tsv``; else whichever of ``, ; tab |`` the header line uses most.

    Only the header is looked at: bodies are full of commas and quoted newlines, which
    fool ``csv.Sniffer``, while a header line is short, unquoted and regular.
    """
    if origin.lower().endswith((".tsv", ".tsv.gz")):
        return "\t"
    header = sample.split("\n", 1)[0]
    best = max(",;\t|", key=header.count)
    return best if header.count(best) else ","


def _lines(text: IO[str], origin: str, limit: int) -> Iterator[str]:
    """The file's lines for the csv reader, each at most ``limit`` characters.  A longer line
    ends the file with one error (rows before it are kept): a quoted cell may span lines, so
    there is no telling where the next row would start."""
    for n, line in enumerate(capped_lines(text.readline, limit), 1):
        if line is None:
            raise LoadError(f"{origin}:{n}", f"line longer than {limit:,} characters; the "
                                             "rest of the file is not read")
        yield line


@register(".csv", ".tsv")
def load_csv(stream: IO[bytes], origin: str, opts: LoadOptions) -> Iterator[Item]:
    head = stream.peek(_HEAD)[:_HEAD] if hasattr(stream, "peek") else b""
    enc = _encoding(head)
    sample = head.decode(enc, errors="ignore")
    text = io.TextIOWrapper(stream, encoding=enc, errors="replace", newline="")
    reader = csv.DictReader(_lines(text, origin, opts.max_line_bytes),
                            delimiter=_delimiter(origin, sample))
    try:
        columns = reader.fieldnames or []
    except csv.Error as err:
        yield LoadError(origin, f"bad CSV header ({err})")
        return
    if not columns:
        yield LoadError(origin, "empty CSV file (no header row)")
        return
    missing = [f"{k}={v}" for k, v in opts.field_map.items() if v not in columns]
    if missing:
        yield LoadError(origin, f"--map names no column of this file: {', '.join(missing)}"
                                f" (columns: {', '.join(columns)})")
        return
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            yield LoadError(f"{origin}:{reader.line_num}", f"bad CSV row ({err})")
            continue
        row.pop(None, None)  # cells beyond the header
        yield record_item(row, f"{origin}:{reader.line_num}", opts.field_map, opts.defaults)
