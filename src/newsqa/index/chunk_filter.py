"""The filters judged on chunk ids from the catalog's article rows, without asking Chroma.

A filtered dense query over-fetches unfiltered neighbours and tests them (store.py), which
is fast only if the test is: Chroma's metadata costs ~65 us a row.  Every filter is a
property of an article (date bounds, source, language), so a table of articles in numpy
arrays answers for all their chunks; it is read from the catalog once per catalog
generation, i.e. again only after something was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from newsqa.index.catalog import Catalog
from newsqa.text.dates import date_bounds
from newsqa.types import Filters


@dataclass
class ArticleTable:
    """Per-article filter data; ``source``/``lang`` index into ``sources``/``langs``."""

    ids: list[str]
    date_start: np.ndarray
    date_end: np.ndarray
    source: np.ndarray
    lang: np.ndarray
    n_chunks: np.ndarray
    sources: list[str]
    langs: list[str]
    positions: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.positions = {aid: i for i, aid in enumerate(self.ids)}

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[str, int, int, str, str, int]]) -> ArticleTable:
        """From ``(id, date_start, date_end, source, lang, n_chunks)`` rows."""
        sources = sorted({r[3] for r in rows})
        langs = sorted({r[4] for r in rows})
        src_ix = {s: i for i, s in enumerate(sources)}
        lang_ix = {s: i for i, s in enumerate(langs)}
        return cls(
            ids=[r[0] for r in rows],
            date_start=np.array([r[1] for r in rows], dtype=np.int64),
            date_end=np.array([r[2] for r in rows], dtype=np.int64),
            source=np.array([src_ix[r[3]] for r in rows], dtype=np.int32),
            lang=np.array([lang_ix[r[4]] for r in rows], dtype=np.int32),
            n_chunks=np.array([r[5] for r in rows], dtype=np.int64),
            sources=sources, langs=langs)

    def mask(self, filters: Filters) -> np.ndarray:
        """True for articles the filters allow (month-only dates overlap-match, dates.py)."""
        ok = np.ones(len(self.ids), dtype=bool)
        if filters.since:
            ok &= self.date_end >= date_bounds(filters.since)[0]
        if filters.until:
            ok &= self.date_start <= date_bounds(filters.until)[1]
            if not filters.undated:
                ok &= self.date_start > 0
        if filters.sources:
            allowed = set(filters.sources)
            ok &= np.isin(self.source, [i for i, s in enumerate(self.sources) if s in allowed])
        if filters.lang:
            ok &= np.isin(self.lang, [i for i, s in enumerate(self.langs) if s == filters.lang])
        if filters.article_ids:
            wanted = np.zeros(len(self.ids), dtype=bool)
            wanted[[self.positions[a] for a in filters.article_ids if a in self.positions]] = True
            ok &= wanted
        return ok


@dataclass
class ArticleFilter:
    """A ``store.ChunkFilter``: the verdict of an article's row holds for each of its chunks.

    A chunk the table does not know (an article written since it was read, or a chunk
    numbered past its article's count) gets no verdict, and Chroma's metadata decides.
    """

    ok: np.ndarray
    table: ArticleTable

    @property
    def size(self) -> int:
        return int(self.table.n_chunks.sum())

    def verdicts(self, ids: Sequence[str]) -> list[bool | None]:
        pos, n_chunks, ok = self.table.positions, self.table.n_chunks, self.ok
        out: list[bool | None] = []
        for cid in ids:
            aid, _, no = cid.rpartition("::")
            i = pos.get(aid)
            out.append(None if i is None or int(no) >= n_chunks[i] else bool(ok[i]))
        return out

    def passing(self) -> list[str]:
        t = self.table
        return [f"{t.ids[i]}::{n}" for i in np.flatnonzero(self.ok) for n in range(t.n_chunks[i])]


class ChunkFilters:
    """Builds :class:`ArticleFilter`s over a catalog, re-reading it when its generation moves."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._table: ArticleTable | None = None
        self._generation = -1

    def table(self) -> ArticleTable:
        gen = self.catalog.generation()
        if self._table is None or gen != self._generation:
            self._table = ArticleTable.from_rows(self.catalog.filter_rows())
            self._generation = gen
        return self._table

    def __call__(self, filters: Filters | None) -> ArticleFilter | None:
        """The filters as a test on chunk ids (None: no filter)."""
        if filters is None or filters.is_empty():
            return None
        table = self.table()
        return ArticleFilter(table.mask(filters), table)
