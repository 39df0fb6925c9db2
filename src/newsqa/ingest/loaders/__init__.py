"""Turn files and directories into Articles, one format module per kind of input.

Each format module of this package registers a function ``load(stream, origin, options) ->
Iterator[Article | LoadError]`` for its extensions with ``registry.register``; the package
imports all of its modules on first use, so a new format is one new module.  A bad record
yields a :class:`LoadError` and the loader goes on, so good records in the same file are
still ingested; a file that cannot be opened at all yields one error for the file.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import importlib
import io
import json
import os
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from newsqa.errors import LoadError, LoadSkip, NewsqaError
from newsqa.ingest.loaders.decode import is_binary
from newsqa.ingest.loaders.registry import (
    LOADERS,
    RAW,
    Item,
    Loader,
    LoadOptions,
    capped_decompressed,
    failure,
    failure_reason,
    read_capped,
    register,
)
from newsqa.text.control import one_line

__all__ = [
    "LOADERS", "RAW", "SIDECAR", "Item", "LoadOptions", "Loader", "estimate_items", "format_of",
    "iter_files", "load_bytes", "load_file", "load_paths", "parse_field_map", "read_capped",
    "register", "supported_extensions",
]

SIDECAR = ".meta.json"


def parse_field_map(spec: str) -> dict[str, str]:
    """``"text=body,date=pubdate"`` → ``{"text": "body", "date": "pubdate"}`` (``--map``).

    Keys must be Article fields (the ones records.py knows aliases for), so a typo is a
    clear error instead of a silently ignored option.
    """
    from newsqa.ingest.loaders.records import ALIASES

    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, sep, column = (x.strip() for x in part.partition("="))
        if not sep or not key or not column:
            raise NewsqaError(f"--map: expected FIELD=COLUMN, got {part!r}")
        if key not in ALIASES:
            raise NewsqaError(f"--map: unknown field {key!r} (fields: {', '.join(ALIASES)})")
        out[key] = column
    return out


def format_of(path: Path) -> tuple[str, bool]:
    """The format extension of ``path`` and whether it is gzip-compressed."""
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    return (suffixes[-1] if suffixes else "", gz)


def _sidecar_defaults(path: Path) -> dict[str, Any]:
    """Fields shared by every record of ``path``, from ``path + '.meta.json'`` if present.

    Plain-text exports carry no outlet or link; a sidecar supplies them without editing
    the original file (the bundled RT article uses one).
    """
    side = path.with_name(path.name + SIDECAR)
    if not side.is_file():
        return {}
    try:
        data = json.loads(read_capped(side.open("rb"), side.name, 1024 * 1024))
    except Exception as err:  # noqa: BLE001 - any failure is one line for the file
        raise LoadError(str(side), f"bad sidecar metadata ({failure_reason(err)})"
                        ) from None
    return data if isinstance(data, dict) else {}


@functools.cache
def _register_formats() -> None:
    """Import every module of this package once (on first use, so ``import`` stays cheap):
    each format module registers its loaders as it is imported."""
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


def _checked(items: Iterator[Item], origin: str, opts: LoadOptions) -> Iterator[Item]:
    """``items``, or one error when the file held none: a file that was asked for and gave
    nothing (an empty JSONL, a header-only CSV) is a failure to report, not a success.
    A file stops after ``max_failures_in_a_row`` failed records with nothing good between."""
    empty, in_a_row = True, 0
    for item in items:
        empty = False
        bad = isinstance(item, LoadError) and not isinstance(item, LoadSkip)
        in_a_row = in_a_row + 1 if bad else 0
        yield item
        if in_a_row >= opts.max_failures_in_a_row:
            yield LoadError(origin, f"{in_a_row:,} bad records in a row; the rest of the file "
                                    "is not read")
            return
    if empty:
        yield LoadError(origin, "no articles in this file")


def load_file(path: Path, options: LoadOptions | None = None) -> Iterator[Item]:
    """Yield the articles of one file, or errors naming ``file[:line]`` and the reason.

    The file's name is shown and stored printable (newlines and bytes that are not UTF-8
    escaped, :func:`one_line`): it names every article and error that comes from it.
    """
    yield from _load(lambda: path.open("rb"), path.name, one_line(str(path), 4096), options,
                     sidecar=path)


def load_bytes(data: bytes, name: str, origin: str, options: LoadOptions | None = None
               ) -> Iterator[Item]:
    """The articles of a file's contents fetched from ``origin`` (a URL), read exactly as a
    file called ``name`` on disk would be (its extension picks the format)."""
    yield from _load(lambda: io.BufferedReader(io.BytesIO(data)), name, origin, options)


def _load(open_raw: Callable[[], IO[bytes]], name: str, origin: str,
          options: LoadOptions | None, sidecar: Path | None = None) -> Iterator[Item]:
    _register_formats()
    options = options or LoadOptions()
    ext, gz = format_of(Path(name))
    loader = LOADERS.get(ext)
    if loader is None:
        yield LoadError(origin, f"unsupported file type {ext or '(none)'!r}")
        return
    try:
        defaults = {**(_sidecar_defaults(sidecar) if sidecar else {}), **options.defaults}
        opts = replace(options, defaults=defaults)
        unpack = gz and ext not in RAW  # raw loaders decompress by themselves
        with open_raw() as raw, (gzip.GzipFile(fileobj=raw) if unpack
                                 else contextlib.nullcontext(raw)) as stream:
            if unpack:
                stream = capped_decompressed(stream, origin, _size(raw), opts)
            if ext not in RAW and is_binary(stream.peek(8192)[:8192]):
                yield LoadError(origin, "binary data, not a text/news file")
                return
            yield from _checked(loader(stream, origin, opts), origin, opts)
    except Exception as err:  # noqa: BLE001 - whatever one file raises ends that file only
        yield failure(origin, err)


def _size(raw: IO[bytes]) -> int:
    """The size of a seekable stream (a file, fetched bytes), left at its start."""
    size = raw.seek(0, io.SEEK_END)
    raw.seek(0)
    return size


# Files that document an archive rather than belong to it; skipped when walking a folder
# (named explicitly on the command line, they are loaded like any other file).
PAPERWORK = ("readme", "attribution", "notice", "license", "licence", "copying", "changelog")


def _is_paperwork(p: Path) -> bool:
    return p.name.split(".")[0].lower() in PAPERWORK


def iter_files(paths: Iterable[Path]) -> Iterator[Path | LoadError]:
    """Expand directories recursively (sorted; hidden files, sidecars, READMEs skipped).

    A walk stays inside the directory it was given: a symbolic link to a file elsewhere
    (``/etc/passwd``) or to any directory is skipped and reported, never followed.  A
    subdirectory that cannot be read is reported too, not passed over in silence.
    """
    for path in paths:
        if path.is_dir():
            yield from _walk(path)
        elif path.is_file():
            yield path
        elif path.exists():
            yield LoadError(str(path), "not a regular file")
        else:
            yield LoadError(str(path), "no such file or directory")


def _walk(root: Path) -> Iterator[Path | LoadError]:
    problems: list[LoadError] = []
    found: list[Path] = []
    inside = root.resolve()

    def unreadable(err: OSError) -> None:
        problems.append(LoadError(err.filename or str(root),
                                  f"cannot read directory ({err.strerror or err})"))

    for folder, dirs, files in os.walk(root, onerror=unreadable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for d in dirs:
            if os.path.islink(os.path.join(folder, d)):
                problems.append(LoadSkip(os.path.join(folder, d),
                                         "symbolic link to a directory, not followed"))
        for name in files:
            p = Path(folder, name)
            if name.startswith(".") or name.endswith(SIDECAR) or _is_paperwork(p):
                continue
            if p.is_symlink() and not p.resolve().is_relative_to(inside):
                problems.append(LoadSkip(str(p), "symbolic link out of the directory, "
                                                 "not followed"))
            elif p.is_file():
                found.append(p)
    yield from sorted(found)
    yield from problems
    if not found and not problems:
        yield LoadError(str(root), "no files to ingest in this directory")


def load_paths(paths: Iterable[Path], options: LoadOptions | None = None) -> Iterator[Item]:
    """All articles (and per-item errors) under ``paths``, streamed in order."""
    for p in iter_files(paths):
        if isinstance(p, LoadError):
            yield p
        else:
            yield from load_file(p, options)


def estimate_items(paths: Iterable[Path]) -> int | None:
    """A cheap count of the items under ``paths`` for a progress bar's ETA, or None.

    Line-per-record files are counted by lines, single-article files as one; containers
    whose count needs parsing (JSON lists, compressed files, feeds) make it unknown.
    """
    total = 0
    for p in iter_files(paths):
        if isinstance(p, LoadError):
            total += 1
            continue
        ext, gz = format_of(p)
        if gz or ext not in (".jsonl", ".ndjson", ".txt", ".md", ".markdown", ".text"):
            return None
        if ext in (".txt", ".md", ".markdown", ".text"):
            total += 1
            continue
        try:
            with p.open("rb") as f:  # by blocks: a file that is one 1 GB line stays cheap
                total += sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))
        except OSError:  # unreadable: the ingest reports it as one failed item
            total += 1
    return total


def supported_extensions() -> list[str]:
    """Every file extension a loader is registered for (without compression suffixes)."""
    _register_formats()
    return sorted(LOADERS)
