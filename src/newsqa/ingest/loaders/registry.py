"""What a format module needs: the loader registry, the options it is given, the size caps.

A format module imports from here, never from the package (``newsqa.ingest.loaders``), so
the package can import every format module without an import cycle.  The package
re-exports these names; code outside the loaders imports them from the package.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, AnyStr

from newsqa.errors import LoadError
from newsqa.types import Article


@dataclass
class LoadOptions:
    """What the user told ``ingest`` about the input: field overrides, defaults and limits."""

    field_map: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    # Formats read whole (HTML, feeds, JSON) refuse files above this; streamed formats
    # (JSONL, CSV, WARC) are bounded per line and per record instead.
    max_file_bytes: int = 64 * 1024 * 1024
    # One JSONL line or CSV line (so one record) at most; an article's text is capped at
    # max_article_chars anyway, and escaped JSON of that is well under this.
    max_line_bytes: int = 32 * 1024 * 1024
    # A WARC record's header block (WARC and HTTP headers together) at most.
    max_header_bytes: int = 1024 * 1024
    # A .gz may expand to this many times its own size (but always to max_gz_floor_bytes):
    # news text compresses 3-10 times, a decompression bomb a thousand times and more.
    max_gz_ratio: int = 50
    max_gz_floor_bytes: int = 16 * 1024 * 1024
    # A file whose records fail this many times in a row is not read further: it is not
    # the archive it claims to be (or a bomb of millions of tiny bad lines).
    max_failures_in_a_row: int = 10_000
    allow_private_urls: bool = False  # URL ingest: see ingest/urls.py
    url_timeout: float = 20.0
    max_url_bytes: int = 16 * 1024 * 1024


Item = Article | LoadError
Loader = Callable[[IO[bytes], str, LoadOptions], Iterator[Item]]
LOADERS: dict[str, Loader] = {}
RAW: set[str] = set()  # extensions whose loader gets the file's bytes as they are on disk


def register(*extensions: str, raw: bool = False) -> Callable[[Loader], Loader]:
    """Decorator: make ``fn`` the loader for these extensions (with the leading dot).

    ``raw`` loaders (WARC) read binary container formats and decompress by themselves, so
    they are handed the undecompressed stream and skip the "is this binary?" check.
    """

    def deco(fn: Loader) -> Loader:
        for ext in extensions:
            LOADERS[ext] = fn
            if raw:
                RAW.add(ext)
        return fn

    return deco


def failure_reason(err: BaseException) -> str:
    """What broke, in one line, for an unexpected error while reading a record or a file.

    Loaders catch per record whatever a parser may raise on hostile input (a RecursionError
    from JSON nested a thousand deep, a ValueError from a library, a KeyError from a
    malformed structure), so one bad record never ends the batch.
    """
    if isinstance(err, LoadError):
        return err.reason
    if isinstance(err, RecursionError):
        return "nested too deeply to read"
    if isinstance(err, MemoryError):
        return "too large to read into memory"
    return f"cannot read ({type(err).__name__}: {err})"


def failure(where: str, err: BaseException) -> LoadError:
    """``err`` as the LoadError reported for ``where`` (a LoadError stays as it is)."""
    return err if isinstance(err, LoadError) else LoadError(where, failure_reason(err))


def capped_lines(readline: Callable[[int], AnyStr], limit: int) -> Iterator[AnyStr | None]:
    """The lines ``readline`` gives, each at most ``limit`` long; a longer line is read past
    (never held whole) and stands as one ``None``, so the caller can report it and go on."""
    while line := readline(limit + 1):
        if len(line) <= limit or line[-1:] in ("\n", b"\n"):
            yield line
            continue
        while (rest := readline(1024 * 1024)) and rest[-1:] not in ("\n", b"\n"):
            pass
        yield None


class _CappedRaw(io.RawIOBase):
    """A decompressing stream that raises a LoadError once it has produced ``limit`` bytes."""

    def __init__(self, inner: IO[bytes], error: LoadError, limit: int) -> None:
        self._inner, self._error, self._limit, self._total = inner, error, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # read1: what can be decompressed now, so the records before a truncation still come
        data = self._inner.read1(len(buffer))  # type: ignore[attr-defined]
        n = len(data)
        buffer[:n] = data
        self._total += n
        if self._total > self._limit:
            raise self._error
        return n


def capped_decompressed(stream: IO[bytes], origin: str, compressed_bytes: int,
                        opts: LoadOptions) -> io.BufferedReader:
    """``stream`` (a decompressing one) cut off with a LoadError once it expands past
    ``max_gz_ratio`` times ``compressed_bytes`` (and ``max_gz_floor_bytes``): a 200 KB .gz
    must not become hours of parsing or gigabytes of memory."""
    limit = max(opts.max_gz_floor_bytes, opts.max_gz_ratio * compressed_bytes)
    error = LoadError(origin, f"decompresses to more than {limit:,} bytes (a .gz may expand "
                              f"to {opts.max_gz_ratio} times its size, at least "
                              f"{opts.max_gz_floor_bytes:,} bytes); stopped there")
    return io.BufferedReader(_CappedRaw(stream, error, limit))


def read_capped(stream: IO[bytes], origin: str, limit: int) -> bytes:
    """All of ``stream``, or a :class:`LoadError` (raised) once it passes ``limit`` bytes.

    Whole-file formats must not pull a multi-gigabyte mistake into memory; the error names
    the limit so the user knows what to split or convert.
    """
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise LoadError(origin, f"file too large for this format (over {limit:,} bytes)")
    return data
