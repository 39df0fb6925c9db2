"""What a format module needs: the loader registry, the options it is given, the size cap.

A format module imports from here, never from the package (``newsqa.ingest.loaders``), so
the package can import every format module without an import cycle.  The package
re-exports these names; code outside the loaders imports them from the package.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from newsqa.errors import LoadError
from newsqa.types import Article


@dataclass
class LoadOptions:
    """What the user told ``ingest`` about the input: field overrides, defaults and limits."""

    field_map: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    # Formats read whole (HTML, feeds, JSON) refuse files above this; streamed formats
    # (JSONL, CSV, WARC) are bounded per record instead.
    max_file_bytes: int = 64 * 1024 * 1024
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


def read_capped(stream: IO[bytes], origin: str, limit: int) -> bytes:
    """All of ``stream``, or a :class:`LoadError` (raised) once it passes ``limit`` bytes.

    Whole-file formats must not pull a multi-gigabyte mistake into memory; the error names
    the limit so the user knows what to split or convert.
    """
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise LoadError(origin, f"file too large for this format (over {limit:,} bytes)")
    return data
