"""A kill at each write step leaves an index that cites only catalogued articles, that
``doctor`` reports, and that ``doctor --repair`` heals until stats agree with the store.

Each kill is reproduced by doing exactly the writes a killed process had done by then
(through the engine's parts, in the order ingest and removal write), as test_orphans.py
does; a fresh engine on the same directory then plays the next process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from newsqa.config import Settings
from newsqa.engine import Engine
from newsqa.index.writelock import WriteLock
from newsqa.types import Article

from .test_orphans import SHORT, TAIL, long_text, write_chunks_only


def ingest_base(engine: Engine) -> None:
    engine.ingest_articles([Article(id="kept", title="Budget", text=SHORT)])


def killed_after_chunks(engine: Engine) -> None:
    """Ingest killed after the article's chunks reached Chroma, before its catalog row."""
    write_chunks_only(engine, Article(id="ghost", title="Flotilla", text=long_text()))


def killed_after_catalog_row(engine: Engine) -> None:
    """Ingest killed after the catalog row (journalled), before the lexical commit."""
    art = Article(id="ghost", title="Flotilla", text=long_text())
    write_chunks_only(engine, art)
    engine.catalog.upsert(art, _chunks(engine, art))


def _chunks(engine: Engine, art: Article) -> list:
    from newsqa.ingest.chunker import Chunker

    s = engine.settings
    return Chunker(engine.embedder.count_tokens, s.chunk_tokens,
                   s.chunk_overlap_tokens).split(art)


def killed_after_lexical_commit(engine: Engine) -> None:
    """Ingest killed after tantivy's commit, before the journal entries were cleared."""
    engine.ingest_articles([Article(id="ghost", title="Flotilla", text=long_text())])
    with engine.catalog.db as db:
        db.execute("INSERT INTO lexical_journal (article_id) VALUES ('ghost')")


def killed_in_delete_before_lexical(engine: Engine) -> None:
    """Removal killed after the catalog row went, before the lexical index and Chroma."""
    engine.ingest_articles([Article(id="ghost", title="Flotilla", text=long_text())])
    engine.catalog.delete("ghost")


def killed_in_delete_before_chunks(engine: Engine) -> None:
    """Removal killed after the row and the lexical entries went, before Chroma's delete."""
    engine.ingest_articles([Article(id="ghost", title="Flotilla", text=long_text())])
    engine.catalog.delete("ghost")
    engine.lexical.sync()
    engine.lexical.close_writer()


STEPS: dict[str, Callable[[Engine], None]] = {
    "chunks written": killed_after_chunks,
    "catalog row": killed_after_catalog_row,
    "lexical commit": killed_after_lexical_commit,
    "delete (row)": killed_in_delete_before_lexical,
    "delete (lexical)": killed_in_delete_before_chunks,
}


def cited(engine: Engine) -> set[str]:
    """Article ids every retrieval mode and the answer return for the ghost's own words."""
    found = {p.article_id for mode in ("dense", "lexical", "hybrid")
             for p in engine.retriever.candidates(TAIL, 50, None, mode)}
    found |= {p.article_id for p in engine.search(TAIL, k=10)}
    found |= {c.article_id for c in engine.ask(TAIL).citations}
    return found


def agrees(engine: Engine) -> bool:
    stats = engine.stats()
    return (stats["chunks"] == engine.store.collection.count()
            == engine.lexical.count())


@pytest.mark.parametrize("step", list(STEPS))
def test_a_kill_at_each_write_step_is_reported_and_repaired(tiny_engine: Engine, step: str):
    ingest_base(tiny_engine)
    assert tiny_engine.doctor()["healthy"]
    STEPS[step](tiny_engine)

    after = Engine(Settings(index=tiny_engine.index_dir))  # the next process
    report = after.doctor()
    assert not report["healthy"] and report["problems"], report
    assert report["repaired"] == []
    assert after.doctor()["problems"] == report["problems"]  # read-only: nothing changed

    catalogued = set(after.catalog.present(["kept", "ghost"]))
    assert cited(after) <= catalogued
    # A reader replays journalled changes itself when nobody writes (Engine.refresh).
    left = after.doctor()["problems"]

    repaired = after.doctor(repair=True)
    assert repaired["healthy"], repaired
    assert bool(repaired["repaired"]) == bool(left)
    assert agrees(after)
    assert cited(after) <= set(after.catalog.present(["kept", "ghost"]))
    assert Engine(Settings(index=tiny_engine.index_dir)).doctor()["healthy"]


def test_missing_vectors_are_embedded_again(tiny_engine: Engine):
    ingest_base(tiny_engine)
    tiny_engine.store.delete_article("kept")
    report = tiny_engine.doctor()
    assert report["vector_store"]["missing_articles"] == ["kept"]
    assert tiny_engine.doctor(repair=True)["healthy"]
    assert tiny_engine.store.has_chunks("kept") and agrees(tiny_engine)


def test_a_stale_write_lock_is_reported_and_cleared(tiny_engine: Engine):
    ingest_base(tiny_engine)
    (tiny_engine.index_dir / "write.lock").write_text("999999")
    report = tiny_engine.doctor()
    assert report["write_lock"] == {"state": "stale", "holder": "pid 999999"}
    assert not report["healthy"]
    repaired = tiny_engine.doctor(repair=True)
    assert repaired["healthy"] and repaired["write_lock"]["state"] == "free"

    writer = WriteLock(tiny_engine.index_dir)
    assert writer.try_acquire()
    try:  # a running writer is shown, not a problem
        report = tiny_engine.doctor()
        assert report["healthy"]
        assert report["write_lock"] == {"state": "held", "holder": f"pid {os.getpid()}"}
    finally:
        writer.release()


def newsqa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsqa", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "HF_HUB_OFFLINE": "1"})


@pytest.mark.slow  # runs the CLI in subprocesses
def test_cli_exit_codes_json_and_missing_index(tiny_engine: Engine, tmp_path):
    r = newsqa("doctor", "--index", str(tmp_path / "none"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "no index" in r.stderr
    ingest_base(tiny_engine)
    killed_after_chunks(tiny_engine)
    index = str(tiny_engine.index_dir)
    r = newsqa("doctor", "--index", index, "--json")
    assert r.returncode == 1, r.stderr
    data = json.loads(r.stdout)
    assert data["vector_store"]["orphan_articles"] == ["ghost"] and not data["healthy"]
    r = newsqa("doctor", "--index", index, "--repair")
    assert r.returncode == 0, r.stderr
    assert "repaired" in r.stdout and "healthy" in r.stdout
    r = newsqa("doctor", "--index", index)
    assert r.returncode == 0 and "problem" not in r.stdout
