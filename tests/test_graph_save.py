"""After a write block the vector graph is saved: a new process replays nothing, Chroma's
thresholds are back to its defaults, later writes go through a view with those defaults, and
a save killed midway leaves an index that opens, answers and is put right by the next write.

Chroma's log and saved position are read from ``chroma.sqlite3`` (graph_save.unsaved_writes):
what a process that opens the index has to re-insert.
"""

from __future__ import annotations

import numpy as np

from newsqa.config import Settings
from newsqa.engine import Engine
from newsqa.index import graph_save
from newsqa.index.store import ChunkStore, make_client
from newsqa.types import Article, Chunk

ARTS = [Article(id=f"a{i}", title=f"Harbour report {i}", date="2020-01-02", source="T",
                text=f"The harbour of Quillpoint {i} reopened after the storm, the port said.")
        for i in range(4)]


def unsaved(engine: Engine) -> int:
    return graph_save.unsaved_writes(engine.index_dir, str(engine.store.collection.id))


def fresh_view(engine: Engine) -> ChunkStore:
    """The store as a new process opens it."""
    return ChunkStore(make_client(engine.index_dir, None, fresh=True), "newsqa",
                      engine.embedder)


def test_ingest_leaves_nothing_to_replay_and_the_defaults(tiny_engine: Engine) -> None:
    tiny_engine.ingest_articles(ARTS)
    assert unsaved(tiny_engine) == 0
    view = fresh_view(tiny_engine)
    assert graph_save.thresholds(view.collection) == graph_save.CHROMA_SYNC
    assert view.collection.count() == 4
    # The engine answers on, from the view that saved (its graph is current).
    assert tiny_engine.search("Quillpoint harbour storm", k=3)


def test_writes_after_a_save_are_not_saved_one_by_one(tiny_engine: Engine) -> None:
    tiny_engine.ingest_articles(ARTS[:2])
    assert tiny_engine.store.saving_view and unsaved(tiny_engine) == 0
    art = ARTS[2]
    chunks = [Chunk(art.id, no, 0, 10, art.text[:10]) for no in range(6)]
    vectors = np.eye(6, tiny_engine.embedder.dim, dtype=np.float32)
    with tiny_engine.writing():
        assert not tiny_engine.store.saving_view  # a view with Chroma's thresholds
        for c, v in zip(chunks, vectors, strict=True):  # six writes, one at a time
            tiny_engine.store.upsert({art.id: art}, [c], v[None])
        assert unsaved(tiny_engine) == 6  # the view saving every second write would be at 0
    assert unsaved(tiny_engine) == 0


def test_a_killed_save_leaves_a_working_index_and_the_next_write_repairs(tiny_engine: Engine
                                                                          ) -> None:
    tiny_engine.ingest_articles(ARTS[:2])
    # Another process rewrites a chunk three times, then is killed inside its save: the
    # thresholds were lowered and the log applied, but the defaults never put back.
    store = fresh_view(tiny_engine)
    row = store.collection.get(ids=["a1::0"], include=["embeddings", "documents", "metadatas"])
    for _ in range(3):
        store.collection.upsert(ids=row["ids"], embeddings=row["embeddings"],
                                documents=row["documents"], metadatas=row["metadatas"])
    store = fresh_view(tiny_engine)
    assert unsaved(tiny_engine) == 3
    store.collection.modify(configuration={"hnsw": graph_save.SAVE_NOW})
    store.collection.count()
    del store

    reader = Engine(Settings(index=tiny_engine.index_dir))
    assert [p.article_id for p in reader.search("Quillpoint 1 harbour", k=1)] == ["a1"]
    assert graph_save.thresholds(fresh_view(reader).collection)["sync_threshold"] == 2
    assert reader.ingest_articles(ARTS[2:]).added == 2
    assert graph_save.thresholds(fresh_view(reader).collection) == graph_save.CHROMA_SYNC
    assert unsaved(reader) == 0
    assert reader.doctor()["problems"] == []


def test_an_unreadable_log_skips_the_save_and_keeps_the_write(tiny_engine: Engine,
                                                               monkeypatch) -> None:
    """Chroma's log is read from its own tables; if another chromadb lays them out otherwise
    (simulated: the query fails), the ingest still succeeds and says why on the log."""
    import sqlite3

    def unreadable(*_args):
        raise sqlite3.OperationalError("no such table: max_seq_id")

    monkeypatch.setattr(graph_save, "unsaved_writes", unreadable)
    report = tiny_engine.ingest_articles(ARTS[:1])
    assert report.added == 1 and tiny_engine.store.count() == 1
