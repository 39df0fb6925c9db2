"""Retrieval: a question (and filters) in, ranked passages out.

Two retrievers find candidates: dense search in Chroma (meaning) and BM25 over the same chunks
(names, numbers, rare words).  Their rankings are fused by reciprocal rank fusion, which needs
no score calibration between the two; the best fused candidates are reranked (rerank.py), the
question's time frame is applied (text/timewords.py: a hard frame keeps what lies inside it
when that is on the topic, a soft one and "latest" reorder), and the result is diversified so
that one long article cannot fill every slot (``max_per_article``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from newsqa.config import Settings
from newsqa.index.catalog import Catalog
from newsqa.index.chunk_filter import ChunkFilters
from newsqa.index.embedder import Embedder
from newsqa.index.lexical import LexicalIndex
from newsqa.index.store import ChunkStore
from newsqa.text.timewords import TimeFrame, rank_by_time
from newsqa.types import Filters, Passage

Mode = Literal["dense", "lexical", "hybrid"]


def passage_from_hit(chunk_id: str, doc: str, meta: dict, score: float) -> Passage:
    """A Passage from a Chroma hit's stored document and metadata."""
    authors = [a for a in (meta.get("authors") or "").split("; ") if a]
    return Passage(
        chunk_id=chunk_id, article_id=meta["article_id"], start=int(meta["start"]),
        end=int(meta["end"]), text=doc, title=meta.get("title", ""),
        date=meta.get("date") or None, url=meta.get("url") or None,
        source=meta.get("source") or None, score=float(score), authors=authors,
    )


def passages_from_catalog(catalog: Catalog, chunk_ids: list[str]) -> dict[str, Passage]:
    """Passages for chunks known only by id (lexical hits), from the catalog's texts."""
    spans = catalog.chunk_spans(chunk_ids)
    arts = catalog.get_many(cid.rsplit("::", 1)[0] for cid in spans)
    out: dict[str, Passage] = {}
    for cid, (a, b) in spans.items():
        art = arts.get(cid.rsplit("::", 1)[0])
        if art is None:
            continue
        out[cid] = Passage(
            chunk_id=cid, article_id=art.id, start=a, end=b, text=art.text[a:b],
            title=art.title, date=art.date, url=art.url, source=art.source, score=0.0,
            authors=list(art.authors),
        )
    return out


def rrf(rankings: list[tuple[list[str], float]], k: int) -> dict[str, float]:
    """Reciprocal rank fusion: ``sum(weight / (k + rank))`` over the rankings (rank from 1)."""
    fused: dict[str, float] = {}
    for ids, weight in rankings:
        if weight <= 0:
            continue
        for rank, cid in enumerate(ids, 1):
            fused[cid] = fused.get(cid, 0.0) + weight / (k + rank)
    return fused


def merge(*lists: list[Passage]) -> list[Passage]:
    """Candidate lists of one query (in and out of a time frame) as one, best score first."""
    best: dict[str, Passage] = {}
    for ps in lists:
        for p in ps:
            if p.chunk_id not in best or p.score > best[p.chunk_id].score:
                best[p.chunk_id] = p
    return sorted(best.values(), key=lambda p: -p.score)


def diversify(passages: list[Passage], k: int, per_article: int) -> list[Passage]:
    """Best-first, keeping at most ``per_article`` passages of any one article."""
    seen: dict[str, int] = {}
    out: list[Passage] = []
    for p in passages:
        if seen.get(p.article_id, 0) >= per_article:
            continue
        seen[p.article_id] = seen.get(p.article_id, 0) + 1
        out.append(p)
        if len(out) == k:
            break
    return out


class Retriever:
    """Finds the passages most likely to answer a query."""

    def __init__(self, settings: Settings, store: ChunkStore, catalog: Catalog,
                 embedder: Embedder, lexical: LexicalIndex | None = None,
                 reranker=None, chunk_filters: ChunkFilters | None = None) -> None:
        self.settings = settings
        self.store = store
        self.catalog = catalog
        self.embedder = embedder
        self.lexical = lexical
        self.reranker = reranker
        self.chunk_filters = chunk_filters or ChunkFilters(catalog)

    def candidates(self, query: str, n: int, filters: Filters | None,
                   mode: Mode = "hybrid") -> list[Passage]:
        """Fused candidates, best first; ``score`` is the fused (or single-retriever) score."""
        s = self.settings
        dense: list[Passage] = []
        if mode in ("dense", "hybrid"):
            vector = self.embedder.embed_query(query)
            allowed = self.chunk_filters(filters)
            dense = self._cataloged([passage_from_hit(*h) for h in
                                     self.store.query(vector, n, filters, allowed=allowed)])
        lex: list[tuple[str, float]] = []
        if mode in ("lexical", "hybrid") and self.lexical is not None:
            lex = self.lexical.search(query, n, filters)
        if mode == "dense" or not lex:
            return dense
        by_id = {p.chunk_id: p for p in dense}
        missing = [cid for cid, _ in lex if cid not in by_id]
        by_id.update(passages_from_catalog(self.catalog, missing))
        if mode == "lexical":
            return [replace(by_id[cid], score=sc) for cid, sc in lex if cid in by_id]
        fused = rrf([([p.chunk_id for p in dense], s.dense_weight),
                     ([cid for cid, _ in lex], s.lexical_weight)], s.rrf_k)
        order = sorted((cid for cid in fused if cid in by_id), key=lambda c: -fused[c])
        return [replace(by_id[cid], score=fused[cid]) for cid in order]

    def _cataloged(self, passages: list[Passage]) -> list[Passage]:
        """Keep only dense hits the catalog records: a row for the article, a chunk number
        below its count.

        Other chunks are left in Chroma when an ingest dies after writing them and before
        the row; citing them would quote text that ``article`` cannot show or check.
        Lexical hits need no such test: they are read from the catalog itself.
        """
        known = self.catalog.present(p.article_id for p in passages)
        return [p for p in passages
                if p.chunk_no < known.get(p.article_id, 0)]

    def search(self, query: str, k: int, filters: Filters | None = None, *,
               frame: TimeFrame | None = None, mode: Mode = "hybrid",
               rerank: bool = True) -> list[Passage]:
        """Top ``k`` passages for ``query`` within ``filters`` and the question's time frame.

        ``filters`` always hold.  A frame's period is searched on its own and across all
        dates, so that the reranked pool holds the best of both: the frame then decides
        between them (see ``rank_by_time``), and a guessed frame never empties the result.
        """
        if self.store.count() == 0:
            return []
        n = max(self.settings.candidates, k * 3)
        if frame is not None:
            cands = self.candidates(query, n, frame.cap(filters), mode)
            if frame.has_period:
                cands = merge(self.candidates(query, n, frame.filters(filters), mode), cands)
        else:
            cands = self.candidates(query, n, filters, mode)
        if rerank and self.reranker is not None and cands:
            cands = self.reranker.rerank(query, cands)
        if frame is not None:
            cands = rank_by_time(cands, frame)
        return diversify(cands, k, self.settings.max_per_article)
