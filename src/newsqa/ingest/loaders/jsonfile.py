"""JSON Lines (one record a line, streamed) and JSON (a record, a list, or {"articles": [...]})."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from newsqa.errors import LoadError
from newsqa.ingest.loaders.decode import decode
from newsqa.ingest.loaders.records import article_from_record
from newsqa.ingest.loaders.registry import Item, LoadOptions, read_capped, register

_CONTAINERS = ("articles", "items", "data", "results", "records", "docs", "documents")


def _one(rec: Any, where: str, opts: LoadOptions) -> Item:
    try:
        return article_from_record(rec, where, opts.field_map, opts.defaults)
    except ValueError as err:
        return LoadError(where, str(err))


@register(".jsonl", ".ndjson")
def load_jsonl(stream: IO[bytes], origin: str, opts: LoadOptions) -> Iterator[Item]:
    for lineno, raw in enumerate(stream, 1):
        line = decode(raw).strip()
        if not line:
            continue
        where = f"{origin}:{lineno}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as err:
            yield LoadError(where, f"bad JSON ({err.msg} at column {err.colno})")
            continue
        yield _one(rec, where, opts)


@register(".json")
def load_json(stream: IO[bytes], origin: str, opts: LoadOptions) -> Iterator[Item]:
    try:
        data = json.loads(decode(read_capped(stream, origin, opts.max_file_bytes)))
    except json.JSONDecodeError as err:
        yield LoadError(f"{origin}:{err.lineno}", f"bad JSON ({err.msg})")
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
        yield _one(rec, f"{origin}[{i}]", opts)
