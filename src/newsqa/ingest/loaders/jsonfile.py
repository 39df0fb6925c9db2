"""JSON Lines (one record a line, streamed) and JSON (a record, a list, or {"articles": [...]})."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from newsqa.errors import LoadError
from newsqa.ingest.loaders.decode import decode
from newsqa.ingest.loaders.records import record_item
from newsqa.ingest.loaders.registry import (
    Item,
    LoadOptions,
    capped_lines,
    read_capped,
    register,
)

_CONTAINERS = ("articles", "items", "data", "results", "records", "docs", "documents")
_INT_DIGITS = 64  # longer integers stay digit strings (Python refuses str() past 4,300)


def _int(digits: str) -> int | str:
    return int(digits) if len(digits) <= _INT_DIGITS else digits


def _parse(text: str) -> Any:
    """``json.loads``, except that an integer too long to be a number is kept as its
    digits: an id of 5,000 digits is then judged as an id, not a crash of the parser."""
    return json.loads(text, parse_int=_int)


def _bad_json(err: Exception, whole: bool = False) -> str:
    if isinstance(err, json.JSONDecodeError):
        at = f"line {err.lineno} column {err.colno}" if whole else f"column {err.colno}"
        return f"bad JSON ({err.msg} at {at})"
    if isinstance(err, RecursionError):
        return "bad JSON (nested too deeply to read)"
    return f"bad JSON ({err})"


@register(".jsonl", ".ndjson")
def load_jsonl(stream: IO[bytes], origin: str, opts: LoadOptions) -> Iterator[Item]:
    for lineno, raw in enumerate(capped_lines(stream.readline, opts.max_line_bytes), 1):
        where = f"{origin}:{lineno}"
        if raw is None:
            yield LoadError(where, f"line longer than {opts.max_line_bytes:,} bytes")
            continue
        line = decode(raw).strip()
        if not line:
            continue
        try:
            rec = _parse(line)
        except (ValueError, RecursionError) as err:
            yield LoadError(where, _bad_json(err))
            continue
        yield record_item(rec, where, opts.field_map, opts.defaults)


@register(".json")
def load_json(stream: IO[bytes], origin: str, opts: LoadOptions) -> Iterator[Item]:
    try:
        data = _parse(decode(read_capped(stream, origin, opts.max_file_bytes)))
    except (ValueError, RecursionError) as err:
        yield LoadError(origin, _bad_json(err, whole=True))
        return
    if isinstance(data, dict):
        key = next((k for k in _CONTAINERS if isinstance(data.get(k), list)), None)
        records = data[key] if key else [data]
    elif isinstance(data, list):
        records = data
    else:
        yield LoadError(origin, f"expected an object or a list, got {type(data).__name__}")
        return
    for i, rec in enumerate(records):
        yield record_item(rec, f"{origin}[{i}]", opts.field_map, opts.defaults)
