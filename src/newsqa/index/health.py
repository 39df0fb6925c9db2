"""Does the index agree with itself?  Catalog vs vector store vs lexical index.

The write order (catalog.py, engine.py) keeps a killed writer's leftovers uncited, but they
stay on disk: chunks in Chroma whose article has no catalog row (an ingest killed before the
row, a removal killed before Chroma's delete), chunks numbered past their row's count (a
longer version that never reached the catalog), catalog articles without their vectors, and
journalled changes the lexical index has not applied.  :func:`check` finds each of these by
reading only (chunk ids, never vectors or texts, so it stays fast);
:meth:`newsqa.engine.Engine.doctor` repairs them under the write lock.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from newsqa.index.catalog import Catalog

# Chunk ids are read from Chroma in pages of this many (ids only, no metadata).
_PAGE = 5000


def counted(n: int, noun: str) -> str:
    """``1 article``, ``2 articles``: the problems are read by people."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


@dataclass
class Health:
    """What :func:`check` found; ``problems`` is empty when every part agrees.

    ``orphans``: article id -> chunks in the store whose article has no catalog row;
    ``extra``: article id -> chunks numbered at or past the row's ``n_chunks``;
    ``missing``: article id -> chunks the catalog records that the store lacks.
    ``lexical_docs`` is None when there is no usable lexical index.  ``lock`` is ``free``,
    ``held`` (a writer is at work now: counts may be mid-change) or ``stale`` (the lock file
    names a writer that died; it blocks nobody, but says a write was interrupted).
    """

    articles: int
    chunks: int
    store_chunks: int
    lexical_docs: int | None
    lexical_pending: int
    orphans: dict[str, int] = field(default_factory=dict)
    extra: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    lock: str = "free"
    lock_holder: str = ""

    @property
    def lexical_ok(self) -> bool:
        return self.lexical_docs == self.chunks and not self.lexical_pending

    @property
    def problems(self) -> list[str]:
        """One line per disagreement, in words a user can act on."""
        out = []
        if self.orphans:
            out.append(f"{counted(sum(self.orphans.values()), 'chunk')} in the vector store "
                       f"belong to {counted(len(self.orphans), 'article')} the catalog does "
                       "not have")
        if self.extra:
            out.append(f"{counted(sum(self.extra.values()), 'chunk')} in the vector store lie "
                       f"past the end of {counted(len(self.extra), 'catalogued article')}")
        if self.missing:
            out.append(f"{counted(sum(self.missing.values()), 'chunk')} of "
                       f"{counted(len(self.missing), 'catalogued article')} missing from the "
                       "vector store")
        if self.lexical_docs is None:
            out.append("there is no usable lexical index")
        elif self.lexical_docs != self.chunks:
            out.append(f"the lexical index holds {self.lexical_docs:,} chunks but the catalog "
                       f"{self.chunks:,}")
        if self.lexical_pending:
            out.append(f"{counted(self.lexical_pending, 'journalled article change')} not yet "
                       "in the lexical index")
        if self.lock == "stale":
            out.append(f"the write lock names {self.lock_holder}, which is no longer running "
                       "(a write was interrupted)")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "healthy": not self.problems,
            "catalog": {"articles": self.articles, "chunks": self.chunks},
            "vector_store": {"chunks": self.store_chunks,
                             "orphan_chunks": sum(self.orphans.values()),
                             "orphan_articles": sorted(self.orphans),
                             "extra_chunks": sum(self.extra.values()),
                             "missing_chunks": sum(self.missing.values()),
                             "missing_articles": sorted(self.missing)},
            "lexical": {"chunks": self.lexical_docs, "pending": self.lexical_pending},
            "write_lock": {"state": self.lock, "holder": self.lock_holder or None},
            "problems": self.problems,
        }


def store_chunk_ids(collection) -> list[str]:
    """Every chunk id in a Chroma collection, read in pages of ids only."""
    ids: list[str] = []
    while True:
        page = collection.get(include=[], limit=_PAGE, offset=len(ids))["ids"]
        ids.extend(page)
        if len(page) < _PAGE:
            return ids


def check(catalog: Catalog, collection, lexical, lock) -> Health:
    """Compare the catalog with the store's chunk ids, the lexical index and the lock.

    ``lexical`` is a :class:`~newsqa.index.lexical.LexicalIndex`, ``lock`` a
    :class:`~newsqa.index.writelock.WriteLock`; nothing is written.
    """
    rows = {aid: n for aid, *_, n in catalog.filter_rows()}
    stored: dict[str, set[int]] = defaultdict(set)
    ids = store_chunk_ids(collection)
    for cid in ids:
        aid, _, no = cid.rpartition("::")
        if no.isdigit():  # a row another program wrote under its own id is not newsqa's
            stored[aid].add(int(no))
    orphans = {aid: len(nos) for aid, nos in stored.items() if aid not in rows}
    extra = {aid: n_extra for aid, nos in stored.items() if aid in rows
             if (n_extra := sum(no >= rows[aid] for no in nos))}
    missing = {aid: n - have for aid, n in rows.items()
               if (have := sum(no < n for no in stored.get(aid, ()))) < n}
    state, holder = lock.state()
    return Health(
        articles=len(rows), chunks=sum(rows.values()), store_chunks=len(ids),
        lexical_docs=lexical.count() if lexical.usable() else None,
        lexical_pending=len(catalog.lexical_pending()[1]),
        orphans=orphans, extra=extra, missing=missing, lock=state, lock_holder=holder)
