"""Saving a local Chroma's vector graph after a write, so later readers need not rebuild it.

A local Chroma keeps a collection's HNSW graph in files and every write in a log inside
``chroma.sqlite3``; it saves the graph only once ``sync_threshold`` (1,000) writes have
accumulated.  Every process that opens the index re-inserts the writes logged since the last
save before it can answer (~0.5 ms a chunk on a quiet 2-core machine, ~2 ms loaded), and so
does a running reader each time it reopens its view to see new articles.  Chroma has no
"save now" call: a view saves when it applies the log under a low threshold.  So, at the end
of a write block, the writer opens a fresh view, lowers the thresholds, lets that view apply
the log (which saves the graph) and puts Chroma's defaults back.

Chroma reads the thresholds when a view first touches the collection: the saving view keeps
saving every second write for as long as it lives.  It serves reads (its graph is current),
and the next write block starts on a new view (:func:`ready_to_write`).  A save killed
midway leaves the log in place and the low thresholds behind, which the next write block puts
back (killed at six points of a save, the index opened with every row: docs/benchmarks.md).

Saving writes the whole graph, so its cost grows with the index while the replay it spares
grows with the unsaved writes: :func:`worth_saving` weighs the two (docs/benchmarks.md,
"Saving the vector graph").
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from newsqa.index.store import ChunkStore, make_client

# Chroma's own values, and the ones under which a view saves as it applies the log (Chroma
# refuses thresholds below 2).
CHROMA_SYNC = {"sync_threshold": 1000, "batch_size": 100}
SAVE_NOW = {"sync_threshold": 2, "batch_size": 2}

# Save when the unsaved writes are at least this fraction of the index's chunks.  Measured
# (docs/benchmarks.md, "Saving the vector graph"): a save costs the writer ~10 us per chunk of
# the index (the graph loaded for the save and again by the next write block, and written)
# besides the replay it does itself; the replay costs 0.7-3 ms per unsaved write to every
# process that opens the index later (each ``newsqa ask``, each reopen of a running reader).
# At 0.2 % a save has paid for itself after 2-7 such opens.  Past 500k chunks Chroma's own
# save at 1,000 writes comes first.
SAVE_FRACTION = 0.002

# Another view of the same store (the writer's own, just dropped) can still hold SQLite's
# write lock for a moment, which Chroma reports at once as "database is locked": a
# configuration change is tried again after these pauses.
RETRY_PAUSES_S = (0.1, 0.2, 0.4, 0.8, 1.6)

log = logging.getLogger("newsqa")
T = TypeVar("T")


def worth_saving(unsaved: int, chunks: int) -> bool:
    """Whether saving the graph now is likely to cost less than replaying the unsaved
    writes later (Chroma leaves a single write unsaved under any threshold)."""
    return unsaved >= max(2, SAVE_FRACTION * chunks)


def unsaved_writes(index_dir: Path, collection_id: str) -> int:
    """Writes in Chroma's log that the saved graph does not hold yet: what the next process
    to open the index re-inserts.  Read from ``chroma.sqlite3`` (read-only)."""
    path = index_dir / "chroma" / "chroma.sqlite3"
    if not path.exists():
        return 0
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = db.execute(
            "SELECT m.seq_id FROM max_seq_id m JOIN segments s ON s.id = m.segment_id"
            " WHERE s.collection = ? AND s.scope = 'VECTOR'", (collection_id,)).fetchone()
        return db.execute(
            "SELECT COUNT(*) FROM embeddings_queue WHERE seq_id > ? AND topic LIKE ?",
            (row[0] if row else 0, f"%/{collection_id}")).fetchone()[0]
    finally:
        db.close()


def thresholds(collection) -> dict[str, int]:  # collection: chromadb Collection
    """The collection's saved thresholds (Chroma's defaults where none was set)."""
    hnsw = (collection.configuration_json or {}).get("hnsw") or {}
    return {key: hnsw.get(key) or value for key, value in CHROMA_SYNC.items()}


def ready_to_write(store: ChunkStore, index_dir: Path) -> None:
    """Before a write block: the store's view writes with Chroma's thresholds.

    A view opened to save (or while a killed save had left low thresholds) would save the
    whole graph every second write; it is replaced by a fresh one, which loads the saved
    graph when first used.
    """
    from chromadb.errors import ChromaError  # loaded with the store

    if thresholds(store.collection) != CHROMA_SYNC:
        try:
            _retried(lambda: store.collection.modify(configuration={"hnsw": CHROMA_SYNC}))
        except ChromaError as err:  # writing under low thresholds is slow, not wrong
            log.warning("could not restore the vector store's save thresholds: %s", err)
        store.saving_view = True
    if store.saving_view:
        store.reopen(make_client(index_dir, None, fresh=True))


def save_graph(store: ChunkStore, index_dir: Path) -> None:
    """Save the graph with every logged write; the store continues on the saving view.

    The writer's own view is dropped first, so that one graph is in memory, not two.
    """
    store.reopen(make_client(index_dir, None, fresh=True))
    store.saving_view = True
    _retried(lambda: store.collection.modify(configuration={"hnsw": SAVE_NOW}))
    try:
        _retried(store.collection.count)  # the view's first touch: loads, applies the log, saves
    finally:
        _retried(lambda: store.collection.modify(configuration={"hnsw": CHROMA_SYNC}))


def after_write(store: ChunkStore, index_dir: Path) -> bool:
    """At the end of a write block: save the graph if :func:`worth_saving`; whether it did.

    A save that fails leaves what was written intact (later readers replay the log, as
    before), so it is reported on the log, not raised.
    """
    from chromadb.errors import ChromaError  # loaded with the store

    try:
        unsaved = unsaved_writes(index_dir, str(store.collection.id))
    except sqlite3.Error as err:  # another chromadb's log schema, or the log busy: skip
        log.warning("vector graph not saved: cannot read Chroma's log (%s)", err)
        return False
    if not worth_saving(unsaved, store.count()):
        return False
    try:
        save_graph(store, index_dir)
    except ChromaError as err:
        log.warning("vector graph not saved (%s): later readers replay %d writes", err, unsaved)
        return False
    return True


def _retried(call: Callable[[], T]) -> T:
    """``call()``, tried again while SQLite reports the store locked."""
    from chromadb.errors import ChromaError  # loaded with the store

    for pause in RETRY_PAUSES_S:
        try:
            return call()
        except ChromaError as err:  # an InternalError, told apart by its message
            if "database is locked" not in str(err):
                raise
            time.sleep(pause)
    return call()
