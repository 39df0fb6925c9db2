"""The lexical index: BM25 (bm25s, Snowball-stemmed) over chunk texts, next to Chroma.

Dense vectors miss rare names, numbers and exact phrases that news questions are full of
("Al-Nusra", "Deir ez-Zor", "resolution 2254"); BM25 finds them.  The index lives in
``INDEX/lexical/`` and is rebuilt in bulk after an ingest or removal that changed something:
bm25s has no incremental update, and a rebuild of tens of thousands of chunks takes seconds,
far less than embedding them did.  It is written to a temporary directory and swapped in, so a
reader never sees half an index, and it records the catalog's content stamp so an index left
stale by a killed ingest is noticed and rebuilt on first use.

Filters apply inside BM25 scoring (a weight mask over chunks) from per-chunk arrays of date
bounds, source and language kept alongside, so lexical hits obey ``--since``/``--source``
exactly as dense hits do.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from newsqa.index.catalog import Catalog
from newsqa.text.dates import date_bounds
from newsqa.types import Filters

DIRNAME = "lexical"
_META = "meta.json"
_ARRAYS = "chunks.npz"


def _stopwords() -> list[str]:
    """bm25s's English list plus the question words the answerer ignores too."""
    from bm25s.stopwords import STOPWORDS_EN

    from newsqa.text.words import STOPWORDS

    return sorted(set(STOPWORDS_EN) | STOPWORDS)


_STOPWORDS = _stopwords()


def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: list[str], stemmer) -> list[list[str]]:
    """Lower-cased, stopword-free, stemmed word tokens (the same for chunks and queries)."""
    import bm25s

    return bm25s.tokenize(texts, stopwords=_STOPWORDS, stemmer=stemmer, return_ids=False,
                          show_progress=False)


@dataclass
class _Loaded:
    bm25: object
    chunk_ids: list[str]
    date_start: np.ndarray
    date_end: np.ndarray
    source: np.ndarray  # index into ``sources``
    lang: np.ndarray  # index into ``langs``
    sources: list[str]
    langs: list[str]
    stamp: str
    positions: dict[str, int] | None = None  # chunk id -> row, built on first filtered query


def filter_mask(date_start: np.ndarray, date_end: np.ndarray, source: np.ndarray,
                lang: np.ndarray, sources: list[str], langs: list[str],
                filters: Filters | None) -> np.ndarray | None:
    """1.0 for chunks the filters allow, 0.0 otherwise (None: no filter).

    ``source``/``lang`` index into ``sources``/``langs``; dates are ``dates.date_bounds``.
    """
    if filters is None or filters.is_empty():
        return None
    ok = np.ones(len(date_start), dtype=bool)
    if filters.since:
        ok &= date_end >= date_bounds(filters.since)[0]
    if filters.until:
        ok &= (date_start <= date_bounds(filters.until)[1]) & (date_start > 0)
    if filters.sources:
        allowed = [i for i, s in enumerate(sources) if s in set(filters.sources)]
        ok &= np.isin(source, allowed)
    if filters.lang:
        allowed = [i for i, s in enumerate(langs) if s == filters.lang]
        ok &= np.isin(lang, allowed)
    return ok.astype(np.float32)


@dataclass
class MaskFilter:
    """A ``store.ChunkFilter`` over the lexical index's chunks (see ``LexicalIndex.mask``)."""

    ok: np.ndarray
    chunk_ids: list[str]
    positions: dict[str, int]

    @property
    def size(self) -> int:
        return len(self.chunk_ids)

    def verdicts(self, ids: Sequence[str]) -> list[bool | None]:
        pos = self.positions
        return [None if (i := pos.get(cid)) is None else bool(self.ok[i]) for cid in ids]

    def passing(self) -> list[str]:
        return [self.chunk_ids[i] for i in np.flatnonzero(self.ok)]


class LexicalIndex:
    """BM25 over every chunk of the catalog; loaded lazily, rebuilt when stale."""

    def __init__(self, index_dir: Path, catalog: Catalog) -> None:
        self.dir = index_dir / DIRNAME
        self.catalog = catalog
        self.stemmer = _stemmer()
        self._loaded: _Loaded | None = None

    # --- build ----------------------------------------------------------------
    def rebuild(self) -> int:
        """Re-index every chunk of the catalog and swap the new index in; returns #chunks."""
        import bm25s

        meta = self.catalog.article_meta()
        stamp = self.catalog.content_stamp()
        ids: list[str] = []
        texts: list[str] = []
        for cid, text in self.catalog.iter_chunks():
            ids.append(cid)
            # The title is part of what a chunk is about, as it is for the dense side.
            texts.append(f"{meta[cid.rsplit('::', 1)[0]][0]}\n{text}")
        arts = [meta[c.rsplit("::", 1)[0]] for c in ids]
        sources = sorted({a[3] or "" for a in arts})
        langs = sorted({a[4] or "" for a in arts})
        src_ix = {s: i for i, s in enumerate(sources)}
        lang_ix = {s: i for i, s in enumerate(langs)}
        self.dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".lexical-", dir=self.dir.parent))
        tmp.chmod(0o755)  # mkdtemp's 0700 would hide the index from other users of it
        try:
            if ids:
                bm25 = bm25s.BM25()
                bm25.index(tokenize(texts, self.stemmer), show_progress=False)
                bm25.save(str(tmp / "bm25"), show_progress=False)
            np.savez(
                tmp / _ARRAYS,
                date_start=np.array([a[1] for a in arts], dtype=np.int64),
                date_end=np.array([a[2] for a in arts], dtype=np.int64),
                source=np.array([src_ix[a[3] or ""] for a in arts], dtype=np.int32),
                lang=np.array([lang_ix[a[4] or ""] for a in arts], dtype=np.int32),
            )
            (tmp / _META).write_text(json.dumps(
                {"stamp": stamp, "chunk_ids": ids, "sources": sources, "langs": langs}))
            self._swap(tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self._loaded = None
        return len(ids)

    def _swap(self, tmp: Path) -> None:
        """Replace ``self.dir`` by ``tmp`` with two renames (no reader sees a partial index)."""
        old = self.dir.with_name(f".{DIRNAME}-old-{os.getpid()}")
        if self.dir.exists():
            os.replace(self.dir, old)
        os.replace(tmp, self.dir)
        shutil.rmtree(old, ignore_errors=True)

    # --- load -----------------------------------------------------------------
    def _load(self) -> _Loaded:
        import bm25s

        if self._loaded is not None:  # rebuild() resets it; other processes: reopen
            return self._loaded
        stamp = self.catalog.content_stamp()
        try:
            meta = json.loads((self.dir / _META).read_text())
        except (OSError, ValueError):
            meta = None
        if meta is None or meta.get("stamp") != stamp:
            self.rebuild()
            meta = json.loads((self.dir / _META).read_text())
        arrays = np.load(self.dir / _ARRAYS)
        bm25 = (bm25s.BM25.load(str(self.dir / "bm25"), mmap=False, show_progress=False)
                if meta["chunk_ids"] else None)
        self._loaded = _Loaded(
            bm25=bm25, chunk_ids=meta["chunk_ids"], date_start=arrays["date_start"],
            date_end=arrays["date_end"], source=arrays["source"], lang=arrays["lang"],
            sources=meta["sources"], langs=meta["langs"], stamp=meta["stamp"],
        )
        return self._loaded

    # --- query ----------------------------------------------------------------
    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """1.0 for chunks the filters allow, 0.0 otherwise (None: no filter)."""
        ix = self._load()
        return filter_mask(ix.date_start, ix.date_end, ix.source, ix.lang, ix.sources, ix.langs,
                           filters)

    def chunk_filter(self, filters: Filters | None) -> MaskFilter | None:
        """The filters as a test on chunk ids, for post-filtering dense neighbours."""
        ok = self.mask(filters)
        if ok is None:
            return None
        ix = self._load()
        if ix.positions is None:
            ix.positions = {cid: i for i, cid in enumerate(ix.chunk_ids)}
        return MaskFilter(ok.astype(bool), ix.chunk_ids, ix.positions)

    def search(self, query: str, n: int, filters: Filters | None = None
               ) -> list[tuple[str, float]]:
        """``(chunk_id, bm25_score)`` of the best ``n`` chunks with a positive score."""
        ix = self._load()
        if ix.bm25 is None:
            return []
        tokens = [t for t in tokenize([query], self.stemmer)[0] if t in ix.bm25.vocab_dict]
        if not tokens:
            return []
        scores = ix.bm25.get_scores(tokens)
        weights = self.mask(filters)
        if weights is not None:
            scores = scores * weights
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(ix.chunk_ids[i], float(scores[i])) for i in top if scores[i] > 0]
