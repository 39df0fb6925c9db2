"""The vector store: chunks and their embeddings in a Chroma collection.

Chroma's own client is used, not LangChain's ``Chroma`` wrapper: every read and write here
goes to the collection directly (the wrapper's search would re-embed the query, which the
retriever has already embedded), and importing the wrapper pulls in LangChain's retriever and
tracing stack, a third of ``newsqa ask``'s start-up.  LangChain stays where it does work:
the embedder has LangChain's ``Embeddings`` interface, the chunker LangChain's splitter, and the
language models LangChain chat models.

Local by default (``PersistentClient`` in ``INDEX/chroma``); a Chroma server when
``NEWSQA_CHROMA_URL`` is set.  The collection records the embedding model's name and
dimension, and opening it with another model is an error rather than silently comparing
vectors from two different spaces.  Embeddings are always passed explicitly, so Chroma's
default (downloading) embedding function is never called.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from newsqa.errors import ModelMismatchError, NewsqaError
from newsqa.text.dates import date_bounds
from newsqa.types import Article, Chunk, Filters, chunk_id

# Exact neighbours even among near-duplicate wire copies: with Chroma's default graph (16
# neighbours, beam 100) exact matches among near-identical texts were missed and results
# varied between identical runs.  A wide graph and a wide search beam; Chroma fixes them when
# the collection is created (changing them later has no effect).
HNSW = {"space": "cosine", "ef_construction": 400, "ef_search": 400, "max_neighbors": 32}


def make_client(index_dir: Path, chroma_url: str | None, *, fresh: bool = False
                ):  # -> chromadb.ClientAPI
    """A Chroma client for the local index directory or a remote server.

    ``fresh``: a new view of the local store even if this process already has one.  A
    local Chroma loads a collection's vector graph once and never sees rows that another
    process adds; chromadb shares one such view per path, so it is evicted from chromadb's
    cache (not stopped: queries still running on it finish) before a new client is made.
    """
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        u = urlparse(chroma_url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise NewsqaError(f"NEWSQA_CHROMA_URL is not an http(s) URL: {chroma_url!r}")
        try:
            return chromadb.HttpClient(
                host=u.hostname, port=u.port or (443 if u.scheme == "https" else 80),
                ssl=u.scheme == "https", settings=chroma_settings,
            )
        except Exception as err:  # chromadb raises bare ValueError/ConnectError variants
            raise NewsqaError(f"cannot reach Chroma server at {chroma_url}: {err}") from err
    path = str(index_dir / "chroma")
    if fresh:
        SharedSystemClient._identifier_to_system.pop(path, None)
        SharedSystemClient._identifier_to_refcount.pop(path, None)
    return chromadb.PersistentClient(path=path, settings=chroma_settings)


def chunk_metadata(article: Article, chunk: Chunk) -> dict[str, Any]:
    """Metadata stored with each chunk; lists are joined since Chroma keeps scalars only."""
    lo, hi = date_bounds(article.date)
    return {
        "article_id": article.id, "chunk_no": chunk.chunk_no, "start": chunk.start,
        "end": chunk.end, "title": article.title, "date": article.date or "",
        "date_start": lo, "date_end": hi, "source": article.source or "",
        "url": article.url or "", "authors": "; ".join(article.authors),
        "lang": article.lang or "",
    }


Term = tuple[str, str, Any]  # (metadata key, Chroma operator, value)
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "$gte": operator.ge, "$lte": operator.le, "$gt": operator.gt, "$eq": operator.eq,
    "$in": lambda value, allowed: value in allowed,
}


def filter_terms(filters: Filters | None) -> list[Term]:
    """The filters as metadata terms: one definition for Chroma's ``where`` and post-filtering.

    Month-only dates overlap-match (see dates.py).
    """
    if filters is None or filters.is_empty():
        return []
    terms: list[Term] = []
    if filters.since:
        terms.append(("date_end", "$gte", date_bounds(filters.since)[0]))
    if filters.until:
        terms.append(("date_start", "$lte", date_bounds(filters.until)[1]))
        if not filters.undated:
            terms.append(("date_start", "$gt", 0))
    if filters.sources:
        terms.append(("source", "$in", list(filters.sources)))
    if filters.lang:
        terms.append(("lang", "$eq", filters.lang))
    if filters.article_ids:
        terms.append(("article_id", "$in", list(filters.article_ids)))
    return terms


def where_clause(filters: Filters | None) -> dict[str, Any] | None:
    """Chroma ``where`` for the filters."""
    clauses = [{key: {op: value}} for key, op, value in filter_terms(filters)]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def matches(meta: dict[str, Any], terms: list[Term]) -> bool:
    """Whether a chunk's metadata passes every term (the same test Chroma's ``where`` does)."""
    return all(key in meta and _OPS[op](meta[key], value) for key, op, value in terms)


class ChunkFilter(Protocol):
    """The filters judged from per-chunk data kept outside Chroma (chunk_filter.py).

    ``size`` is how many chunks it knows; ``verdicts`` says for each id whether it passes
    (None: a chunk it does not know, written since it was loaded); ``passing`` lists every
    chunk it knows that passes.
    """

    size: int

    def verdicts(self, ids: Sequence[str]) -> Sequence[bool | None]: ...

    def passing(self) -> list[str]: ...


# A filtered query first over-fetches unfiltered neighbours and filters them here: Chroma
# resolves a ``where`` by scanning metadata for every matching chunk, which grows with the
# index (2.5 s for a 3-year range at 300k chunks), while an unfiltered HNSW search stays in
# milliseconds.  If the top k * factor neighbours hold k that pass, they are exactly the
# filtered top k (any better passing chunk would be among them).  Only filters too selective
# for that (under ~1/64 of the index) fall through to ``where``, whose scan then matches few
# chunks.  With a ChunkFilter the neighbours are fetched as ids only (reading their metadata
# from Chroma costs ~65 us a row), and a too-selective filter becomes a search among the ids
# it lists, ~4x faster than the ``where`` scan (50 vs 200 ms at 61k chunks; docs/benchmarks.md).
POST_FILTER_FACTORS = (8, 64)


class ChunkStore:
    """One Chroma collection of chunks, created on first use with newsqa's HNSW settings."""

    def __init__(self, client, collection: str, embedder) -> None:
        self.embedder = embedder
        self._name = collection
        self.reopen(client)

    def reopen(self, client) -> None:
        """Bind to ``client`` (a fresh view of the store, see ``make_client``).

        No embedding function: vectors are always passed in, so Chroma's default one (which
        would download a model) is never called.
        """
        self._client = client
        self.collection = client.get_or_create_collection(
            name=self._name, embedding_function=None, configuration={"hnsw": HNSW},
            metadata={"embed_model": self.embedder.name})
        self._count: int | None = None
        self.saving_view = False  # opened to save the graph (graph_save.py): not to write on

    def check_model(self, dim: int) -> None:
        """Raise if the collection was built with another model than ours."""
        meta = self.collection.metadata or {}
        built = meta.get("embed_model")
        if built and built != self.embedder.name:
            raise ModelMismatchError(
                f"index was built with embedding model {built!r} but {self.embedder.name!r} is "
                "configured; set NEWSQA_EMBED_MODEL to match or re-ingest into a new index"
            )
        built_dim = meta.get("embed_dim")
        if built_dim and int(built_dim) != dim:
            raise ModelMismatchError(
                f"index vectors have dimension {built_dim} but the model gives {dim}"
            )
        if not built_dim and self.collection.count() == 0:
            self.collection.modify(metadata={"embed_model": self.embedder.name,
                                             "embed_dim": dim})

    def changed(self) -> None:
        """Another process wrote (a Chroma server shows its rows at once; the count not)."""
        self._count = None

    def count(self) -> int:
        """Rows in the collection, remembered until this store writes or is reopened.

        Chroma counts by scanning (42 ms at 486k chunks) and every search asks; rows that
        another process adds are seen when the engine reopens the store (engine.py).
        """
        if self._count is None:
            self._count = self.collection.count()
        return self._count

    def upsert(self, articles: dict[str, Article], chunks: Sequence[Chunk], vectors) -> None:
        """Write chunks with precomputed vectors; ids are deterministic so re-runs overwrite.

        Split into Chroma's largest accepted batch (5,461 rows locally), which a batch of
        big articles can exceed.
        """
        self._count = None
        step = self._client.get_max_batch_size()
        for lo in range(0, len(chunks), step):
            part = chunks[lo:lo + step]
            self.collection.upsert(
                ids=[c.id for c in part],
                embeddings=vectors[lo:lo + step],
                documents=[c.text for c in part],
                metadatas=[chunk_metadata(articles[c.article_id], c) for c in part],
            )

    def delete_chunks(self, counts: dict[str, int]) -> None:
        """Remove the chunks of articles whose chunk counts the catalog knows, by id.

        Chroma's delete by ``where`` scans metadata (~0.2 s an article at 486k chunks);
        by id it costs the same at any size.  Chunks past a count (a longer version whose
        ingest died before its catalog row) go too (:meth:`delete_tails`).
        """
        self._count = None
        ids = [chunk_id(aid, no) for aid, n in counts.items() for no in range(n)]
        step = self._client.get_max_batch_size()
        for lo in range(0, len(ids), step):
            self.collection.delete(ids=ids[lo:lo + step])
        self.delete_tails(counts)

    def delete_tails(self, counts: dict[str, int]) -> None:
        """Remove each article's chunks numbered from its count on, where there are any.

        An article's chunks are always numbered 0..n-1, so one probe by id per article
        finds a tail; only an article that has one pays for the ``where`` scan.
        """
        self._count = None
        tails = self.existing([chunk_id(aid, n) for aid, n in counts.items()])
        for aid, n in counts.items():
            if chunk_id(aid, n) in tails:
                self.delete_article(aid, keep_below=n)

    def delete_article(self, article_id: str, keep_below: int = 0) -> None:
        """Remove an article's chunks numbered ``keep_below`` and up (all by default), by a
        metadata scan: for chunks the catalog cannot count (no row, or past its count)."""
        self._count = None
        where: dict[str, Any] = {"article_id": article_id}
        if keep_below:
            where = {"$and": [where, {"chunk_no": {"$gte": keep_below}}]}
        self.collection.delete(where=where)

    def has_chunks(self, article_id: str) -> bool:
        """Whether Chroma holds any chunk of the article, whatever the catalog says.

        Removal asks it so that chunks left without a catalog row (an ingest killed between
        the two writes) can still be deleted by their article's id.
        """
        got = self.collection.get(where={"article_id": article_id}, limit=1, include=[])
        return bool(got["ids"])

    def existing(self, chunk_ids: Sequence[str]) -> set[str]:
        """Which of ``chunk_ids`` are stored: a lookup by id, no metadata scan."""
        if not chunk_ids:
            return set()
        return set(self.collection.get(ids=list(chunk_ids), include=[])["ids"])

    def query(self, vector: Sequence[float], k: int, filters: Filters | None,
              allowed: ChunkFilter | None = None):
        """``(chunk_id, document, metadata, cosine_similarity)`` tuples, best first.

        ``allowed`` (optional) answers the filters for chunk ids faster than Chroma's metadata.
        """
        terms = filter_terms(filters)
        if not terms:
            return self._query(vector, k, None)
        if not filters.article_ids:  # a list of articles is selective by nature: go to where
            total = self.count()
            for factor in POST_FILTER_FACTORS:
                n = min(total, k * factor)
                hits = self._filtered_neighbours(vector, n, terms, allowed)
                if len(hits) >= k or n == total:
                    return self._fetch(hits[:k])
            if allowed is not None and allowed.size == total:  # it knows every chunk
                ids = allowed.passing()
                return self._query(vector, min(k, len(ids)), None, ids=ids) if ids else []
        return self._query(vector, k, where_clause(filters))

    def _filtered_neighbours(self, vector: Sequence[float], n: int, terms: list[Term],
                             allowed: ChunkFilter | None) -> list[tuple[str, float]]:
        """``(chunk_id, similarity)`` of the nearest ``n`` chunks that pass the terms."""
        if allowed is None:
            return [(cid, score) for cid, _, meta, score
                    in self._query(vector, n, None, include=["metadatas", "distances"])
                    if matches(meta, terms)]
        near = [(cid, score) for cid, _, _, score
                in self._query(vector, n, None, include=["distances"])]
        verdicts = list(allowed.verdicts([cid for cid, _ in near]))
        unknown = [cid for (cid, _), ok in zip(near, verdicts, strict=True) if ok is None]
        if unknown:  # chunks newer than the filter's data: ask Chroma's metadata
            got = self.collection.get(ids=unknown, include=["metadatas"])
            known = {cid: matches(meta, terms)
                     for cid, meta in zip(got["ids"], got["metadatas"], strict=True)}
            verdicts = [known.get(cid, False) if ok is None else ok
                        for (cid, _), ok in zip(near, verdicts, strict=True)]
        return [hit for hit, ok in zip(near, verdicts, strict=True) if ok]

    def _query(self, vector: Sequence[float], k: int, where: dict[str, Any] | None,
               include: Sequence[str] = ("documents", "metadatas", "distances"),
               ids: list[str] | None = None,
               ) -> list[tuple[str, str | None, dict | None, float]]:
        res = self.collection.query(query_embeddings=[list(vector)], n_results=k, where=where,
                                    ids=ids, include=list(include))
        n = len(res["ids"][0])
        docs = res["documents"][0] if "documents" in include else [None] * n
        metas = res["metadatas"][0] if "metadatas" in include else [None] * n
        return [
            (cid, doc, meta, 1.0 - dist)
            for cid, doc, meta, dist in zip(res["ids"][0], docs, metas, res["distances"][0],
                                            strict=True)
        ]

    def _fetch(self, hits: list[tuple[str, float]]):
        """Texts and metadata of the post-filtered winners (read for them only)."""
        if not hits:
            return []
        got = self.collection.get(ids=[cid for cid, _ in hits],
                                  include=["documents", "metadatas"])
        row = {cid: (doc, meta) for cid, doc, meta
               in zip(got["ids"], got["documents"], got["metadatas"], strict=True)}
        return [(cid, *row[cid], score) for cid, score in hits if cid in row]

    def size_on_disk(self, index_dir: Path) -> int:
        root = index_dir / "chroma"
        return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.exists() else 0
