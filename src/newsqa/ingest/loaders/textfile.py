"""Plain text and Markdown: one article per file.

Layout understood: optional front matter (``---`` / ``key: value`` / ``---``); otherwise the
first non-empty line is the title (a leading ``#`` is dropped), an optional dateline such as
``31 Oct, 2016 13:22`` within the next lines gives the date, and the rest is the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import yaml

from newsqa.errors import LoadError
from newsqa.ingest.loaders.decode import decode
from newsqa.ingest.loaders.records import record_item
from newsqa.ingest.loaders.registry import Item, LoadOptions, read_capped, register
from newsqa.text.dates import normalize_date

_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_DATELINE_MAX = 60


class _FrontMatterLoader(yaml.BaseLoader):
    """YAML for front matter: every scalar a string, and no aliases.

    Strings because the record mapping reads the values itself (``date: 2016-02-30`` is an
    undated article, not a crash in YAML's date constructor; a 5,000-digit ``id`` is judged
    as an id).  No aliases because a kilobyte of nested ``*a`` references expands into
    gigabytes when walked: front matter has no use for them.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases are not allowed",
                                              self.peek_event().start_mark)
        return super().compose_node(parent, index)


def _split_title_dateline(text: str) -> tuple[str, str | None, str]:
    lines = text.split("\n")
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines):
        return "", None, ""
    title = lines[i].strip().lstrip("#").strip()
    j = i + 1
    date = None
    # The dateline, if any, is the first non-empty line after the title.
    while j < len(lines) and not lines[j].strip():
        j += 1
    if j < len(lines) and len(lines[j].strip()) <= _DATELINE_MAX:
        date = normalize_date(lines[j].strip())
        if date:
            j += 1
    body = "\n".join(lines[j if date else i + 1:]).strip()
    return title, date, body


@register(".txt", ".md", ".markdown", ".text")
def load_text(stream: IO[bytes], origin: str, opts: LoadOptions) -> Iterator[Item]:
    text = decode(read_capped(stream, origin, opts.max_file_bytes)).replace("\r\n", "\n")
    meta: dict = {}
    if m := _FRONT.match(text):
        try:
            loaded = yaml.load(m.group(1), Loader=_FrontMatterLoader)  # noqa: S506 - see class
        except yaml.YAMLError as err:
            problem = getattr(err, "problem", None) or err.__class__.__name__
            yield LoadError(origin, f"bad front matter ({problem})")
            return
        meta = loaded if isinstance(loaded, dict) else {}
        text = text[m.end():]
    if meta.get("title"):
        title, date, body = str(meta["title"]), None, text.strip()
    else:
        title, date, body = _split_title_dateline(text)
    name = Path(origin).name.removesuffix(".gz")
    record = {"id": Path(name).stem if not (meta.get("id") or meta.get("url")) else None,
              "title": title, "date": date, **meta, "text": body}
    yield record_item(record, origin, opts.field_map, opts.defaults)
