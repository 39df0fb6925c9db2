"""A live index: the lexical index follows the catalog article by article, a kill at any
write step is repaired, readers keep answering while another process writes, and a second
writer waits for the first or fails with one line.

Kills are reproduced by doing exactly the writes a killed process had done (through the
real catalog and Chroma) and then opening the index as a new process would.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsqa.config import Settings
from newsqa.engine import Engine
from newsqa.index.catalog import Catalog
from newsqa.index.writelock import WriteLock, WriterBusyError
from newsqa.ingest.chunker import Chunker
from newsqa.types import Article

from .test_orphans import write_chunks_only

ARTS = [Article(id="a1", title="Zanzibar clove harvest", date="2020-01-02", source="T",
                text="The Zanzibar clove harvest doubled this season, officials said."),
        Article(id="a2", title="Harbour reopens", date="2020-01-03", source="T",
                text="The harbour of Quillpoint reopened after the storm, the port said.")]
NEW = Article(id="a3", title="Marmalade flotilla", date="2020-01-04", source="T",
              text="A marmalade flotilla sailed into Quillpoint bay carrying oranges.")


def lexical_ids(engine: Engine, query: str) -> list[str]:
    return [cid.rsplit("::", 1)[0] for cid, _ in engine.lexical.search(query, 10)]


def reopened(engine: Engine) -> Engine:
    """The same index opened by a new process (a fresh engine)."""
    return Engine(Settings(index=engine.index_dir))


def test_lexical_index_takes_only_the_changed_articles(tiny_engine: Engine) -> None:
    tiny_engine.ingest_articles(ARTS)
    chunks = Chunker(tiny_engine.embedder.count_tokens, 200, 40).split(NEW)
    with tiny_engine.writing():
        tiny_engine.catalog.upsert(NEW, chunks)
        # One article journalled: one article's chunks indexed, not the archive's.
        assert tiny_engine.lexical.sync() == len(chunks) == 1
        assert tiny_engine.lexical.sync() == 0
    assert lexical_ids(tiny_engine, "marmalade flotilla") == ["a3"]
    assert tiny_engine.lexical.count() == tiny_engine.catalog.total_chunks() == 3


def test_a_kill_after_the_catalog_row_is_replayed_by_the_next_reader(tiny_engine) -> None:
    tiny_engine.ingest_articles(ARTS)
    # Killed after steps 1-3 of an ingest: chunks in Chroma, row and journal entry written,
    # lexical commit never made.
    n = write_chunks_only(tiny_engine, NEW)
    Catalog(tiny_engine.index_dir).upsert(
        NEW, Chunker(tiny_engine.embedder.count_tokens, 200, 40).split(NEW))
    assert tiny_engine.catalog.lexical_pending()[1] == ["a3"] and n == 1
    fresh = reopened(tiny_engine)
    assert any(p.article_id == "a3" for p in fresh.search("marmalade flotilla", k=3))
    assert lexical_ids(fresh, "marmalade flotilla") == ["a3"]
    assert not fresh.catalog.lexical_pending()[1]


def test_a_killed_remove_leaves_nothing_cited_and_reingest_heals(tiny_engine) -> None:
    tiny_engine.ingest_articles([*ARTS, NEW])
    # Killed after a removal's first step: the row is gone, lexical entries and chunks not.
    Catalog(tiny_engine.index_dir).delete("a3")
    fresh = reopened(tiny_engine)
    assert fresh.stats()["articles"] == 2
    cited = {p.article_id for mode in ("dense", "lexical", "hybrid")
             for p in fresh.retriever.candidates("marmalade flotilla", 10, None, mode)}
    assert "a3" not in cited  # lexical hits are read from the catalog: no row, no hit
    assert all(p.article_id != "a3" for p in fresh.search("marmalade flotilla", k=5))
    assert not lexical_ids(fresh, "marmalade flotilla")  # the search replayed the journal
    report = fresh.ingest_articles([NEW])  # not "unchanged": the row is what counts
    assert (report.added, report.unchanged) == (1, 0)
    assert fresh.stats()["chunks"] == fresh.store.count() == 3
    assert "a3" in lexical_ids(fresh, "marmalade flotilla")
    # and the orphan chunks of a removal killed before Chroma's delete can be removed
    Catalog(tiny_engine.index_dir).delete("a3")
    assert reopened(tiny_engine).remove_articles(["a3"]).orphans == ["a3"]


def test_an_old_bm25s_index_is_rebuilt_once_with_a_message(tiny_engine, caplog) -> None:
    tiny_engine.ingest_articles(ARTS)
    lexical = tiny_engine.index_dir / "lexical"
    for p in lexical.iterdir():
        p.unlink()
    (lexical / "bm25").mkdir()
    (lexical / "chunks.npz").write_bytes(b"old")
    caplog.set_level(logging.WARNING, logger="newsqa")
    fresh = reopened(tiny_engine)
    assert fresh.search("clove harvest", k=2)[0].article_id == "a1"
    assert "older bm25s format" in caplog.text
    caplog.clear()
    assert lexical_ids(reopened(tiny_engine), "clove harvest") == ["a1"]
    assert "bm25s" not in caplog.text
    assert not list(tiny_engine.index_dir.glob(".lexical-*"))


def test_a_second_writer_in_process_fails_fast_or_waits(tiny_engine) -> None:
    tiny_engine.ingest_articles(ARTS)
    holder = WriteLock(tiny_engine.index_dir)
    assert holder.try_acquire()
    try:
        impatient = Engine(Settings(index=tiny_engine.index_dir, write_lock_timeout=0))
        with pytest.raises(WriterBusyError, match=f"written by pid {os.getpid()}"):
            impatient.remove(["a1"])
    finally:
        holder.release()
    assert impatient.remove(["a1"]) == []


def run_cli(*args: str, env: dict | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "newsqa", *args], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **(env or {})}, **kw)


@pytest.mark.slow
def test_a_warm_reader_answers_during_another_process_ingest_and_sees_it(
        tiny_engine: Engine, tmp_path: Path) -> None:
    tiny_engine.ingest_articles(ARTS)
    reader = reopened(tiny_engine)
    assert reader.search("clove harvest", k=2)  # warm: model, Chroma and lexical loaded
    extra = tmp_path / "extra.jsonl"
    extra.write_text("".join(
        f'{{"id": "n{i}", "title": "Marmalade flotilla {i}", "date": "2020-02-0{i}",'
        f' "text": "A marmalade flotilla number {i} sailed into Quillpoint bay with'
        f' oranges and lemons for the winter market."}}\n' for i in range(1, 6)))
    writer = run_cli("ingest", str(extra), "--index", str(tiny_engine.index_dir), "--quiet")
    answered = 0
    while writer.poll() is None:
        assert reader.search("harbour storm", k=2)[0].article_id == "a2"
        answered += 1
    assert writer.returncode == 0, writer.stderr.read()
    assert answered >= 3
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = {p.article_id for p in reader.search("marmalade flotilla", k=8)}
        if found >= {f"n{i}" for i in range(1, 6)}:
            break
        time.sleep(0.5)
    assert found >= {f"n{i}" for i in range(1, 6)}
    dense = {p.article_id for p in reader.retriever.candidates("marmalade flotilla", 10,
                                                                 None, "dense")}
    assert dense >= {f"n{i}" for i in range(1, 6)}  # Chroma's view was reopened too


@pytest.mark.slow
def test_a_second_cli_writer_fails_in_one_line_or_waits(tiny_engine: Engine) -> None:
    tiny_engine.ingest_articles(ARTS)
    idx = str(tiny_engine.index_dir)
    hold = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path;"
         " from newsqa.index.writelock import WriteLock; lock = WriteLock(Path(sys.argv[1]));"
         " assert lock.try_acquire(); print('held', flush=True); time.sleep(4)", idx],
        stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert hold.stdout.readline().strip() == "held"
    fast = run_cli("remove", "a1", "--index", idx, env={"NEWSQA_WRITE_LOCK_TIMEOUT": "0"})
    _, err = fast.communicate(timeout=120)
    assert fast.returncode == 2
    assert err.splitlines() == [f"error: {idx} is being written by pid {hold.pid}; try again"
                                " when it has finished (or raise NEWSQA_WRITE_LOCK_TIMEOUT)"]
    patient = run_cli("remove", "a1", "--index", idx, "--quiet")
    out, err = patient.communicate(timeout=120)
    assert patient.returncode == 0, err
    assert f"note: waiting for pid {hold.pid}, which is writing to {idx}" in err
    assert "removed 1 article" in out and hold.wait() == 0
