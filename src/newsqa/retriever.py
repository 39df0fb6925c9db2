"""Retrieval: a question (and filters) in, ranked passages out.

Dense search in Chroma gives candidates; the result is diversified so that one long article
cannot fill every slot (at most ``max_per_article`` passages each).
"""

from __future__ import annotations

from .catalog import Catalog
from .config import Settings
from .embedder import Embedder
from .models import Filters, Passage
from .store import ChunkStore


def passage_from_hit(chunk_id: str, doc: str, meta: dict, score: float) -> Passage:
    """A Passage from a Chroma hit's stored document and metadata."""
    authors = [a for a in (meta.get("authors") or "").split("; ") if a]
    return Passage(
        chunk_id=chunk_id, article_id=meta["article_id"], start=int(meta["start"]),
        end=int(meta["end"]), text=doc, title=meta.get("title", ""),
        date=meta.get("date") or None, url=meta.get("url") or None,
        source=meta.get("source") or None, score=float(score), authors=authors,
    )


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
                 embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.catalog = catalog
        self.embedder = embedder

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Passage]:
        """Top ``k`` passages for ``query`` within ``filters``."""
        if self.store.count() == 0:
            return []
        vector = self.embedder.embed_query(query)
        n = max(self.settings.candidates, k * 3)
        hits = self.store.query(vector, n, filters)
        passages = [passage_from_hit(*h) for h in hits]
        return diversify(passages, k, self.settings.max_per_article)
