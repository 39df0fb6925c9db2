"""Chroma never serves chunks the catalog does not record, and removal reaches them.

An ingest killed between writing an article's chunks and its catalog row is simulated by
writing chunks through ``engine.store`` directly, as the ingestor's first step does.
"""

from __future__ import annotations

from newsqa.engine import Engine
from newsqa.ingest.chunker import Chunker
from newsqa.ingest.ingestor import embed_text
from newsqa.types import Article

TAIL = "The zanzibar marmalade flotilla reached the harbour of Quillpoint at dawn."


def long_text(n: int = 60) -> str:
    """Many distinct sentences, ending with a phrase found nowhere else."""
    body = " ".join(f"Sentence number {i} reports on the municipal budget of district {i}, "
                    f"where council member {i} proposed new rules for bakeries."
                    for i in range(n))
    return f"{body} {TAIL}"


SHORT = "The municipal budget was approved. Council members argued about bakeries."


def write_chunks_only(engine: Engine, art: Article) -> int:
    """Step one of an ingest, and no catalog row: what a crash right after it leaves."""
    s = engine.settings
    chunks = Chunker(engine.embedder.count_tokens, s.chunk_tokens,
                     s.chunk_overlap_tokens).split(art)
    vectors = engine.embedder.encode([embed_text(art, c) for c in chunks])
    engine.store.upsert({art.id: art}, chunks, vectors)
    return len(chunks)


def tail_hits(engine: Engine, article_id: str) -> list:
    """Passages of the article holding the tail phrase, from every retrieval mode (before
    the reranker, which may drop a lone weak hit)."""
    found = [p for mode in ("dense", "lexical", "hybrid")
             for p in engine.retriever.candidates(TAIL, 50, None, mode)]
    found += engine.retriever.search(TAIL, 10, rerank=False)
    return [p for p in found if p.article_id == article_id and "marmalade" in p.text]


def test_orphan_chunks_are_never_cited_and_can_be_removed(tiny_engine: Engine):
    tiny_engine.ingest_articles([Article(id="kept", title="Budget", text=SHORT)])
    n = write_chunks_only(tiny_engine, Article(id="ghost", title="Flotilla", text=long_text()))
    assert n > 2
    assert tiny_engine.catalog.get("ghost") is None
    assert not tail_hits(tiny_engine, "ghost")
    assert all(p.article_id != "ghost" for p in tiny_engine.search(TAIL, k=10))

    done = tiny_engine.remove_articles(["ghost", "never-was"])
    assert (done.removed, done.orphans, done.missing) == ([], ["ghost"], ["never-was"])
    assert not tiny_engine.store.has_chunks("ghost")
    assert tiny_engine.remove(["ghost"]) == ["ghost"]  # nothing left: now not found
    assert tiny_engine.store.has_chunks("kept")


def test_shrunk_article_loses_its_old_tail(tiny_engine: Engine):
    tiny_engine.ingest_articles([Article(id="a", title="Budget", text=long_text())])
    assert tiny_engine.catalog.n_chunks("a") > 2
    assert tail_hits(tiny_engine, "a")
    report = tiny_engine.ingest_articles([Article(id="a", title="Budget", text=SHORT)])
    assert report.updated == 1
    assert not tail_hits(tiny_engine, "a")
    n = tiny_engine.catalog.n_chunks("a")
    assert tiny_engine.store.existing([f"a::{i}" for i in range(200)]) == {
        f"a::{i}" for i in range(n)}


def test_tail_of_a_crashed_longer_version_is_deleted_or_never_cited(tiny_engine: Engine):
    """The catalog knows a short version; a longer one reached Chroma only."""
    tiny_engine.ingest_articles([Article(id="a", title="Budget", text=SHORT)])
    n = tiny_engine.catalog.n_chunks("a")
    assert write_chunks_only(tiny_engine, Article(id="a", title="Budget",
                                                  text=long_text())) > n
    # Re-run with the version the catalog holds: unchanged, nothing rewritten; the stale
    # chunks are past the row's count and retrieval leaves them out.
    assert tiny_engine.ingest_articles([Article(id="a", title="Budget", text=SHORT)]
                                       ).unchanged == 1
    assert not tail_hits(tiny_engine, "a")
    # A changed version of the same length as the catalog's: the tail goes from Chroma too.
    tiny_engine.ingest_articles([Article(id="a", title="Budget", text=SHORT + " Again.")])
    n = tiny_engine.catalog.n_chunks("a")
    assert tiny_engine.store.existing([f"a::{i}" for i in range(200)]) == {
        f"a::{i}" for i in range(n)}
    assert not tail_hits(tiny_engine, "a")


def test_removal_by_id_takes_a_tail_past_the_catalog_count(tiny_engine: Engine):
    """The catalog counts the short version; a longer one reached Chroma only."""
    tiny_engine.ingest_articles([Article(id="a", title="Budget", text=SHORT),
                                 Article(id="kept", title="Budget", text=SHORT + " Kept.")])
    assert write_chunks_only(tiny_engine, Article(id="a", title="Budget",
                                                  text=long_text())) > 2
    assert tiny_engine.remove_articles(["a"]).removed == ["a"]
    assert not tiny_engine.store.existing([f"a::{i}" for i in range(200)])
    assert tiny_engine.store.has_chunks("kept")
