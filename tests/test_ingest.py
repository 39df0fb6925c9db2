"""Incremental, safe ingest: no-op re-runs, replaced chunks, duplicates, SIGKILL, removal."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsqa.config import Settings
from newsqa.engine import Engine

from .conftest import RT_ID, jsonl_records, write_slice


def chunk_invariants(engine: Engine) -> None:
    """Chroma holds exactly the chunks the catalog promises: none missing, none extra."""
    rows = engine.catalog.db.execute("SELECT id, n_chunks FROM articles").fetchall()
    expected = {f"{aid}::{i}" for aid, n in rows for i in range(n)}
    stored = set(engine.store.collection.get(include=[])["ids"])
    assert stored == expected


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_reingest_is_noop_and_changes_replace_chunks(tiny_engine, archive_dir, tmp_path):
    records = jsonl_records(archive_dir / "wikinews-2019-2020.jsonl")[:4]
    f = write_jsonl(tmp_path / "news.jsonl", records)
    first = tiny_engine.ingest([f])
    assert (first.added, first.failed) == (4, [])
    again = tiny_engine.ingest([f])
    assert (again.added, again.updated, again.unchanged, again.chunks) == (0, 0, 4, 0)

    # Shorten one article: its chunks are replaced, and the surplus ones deleted.
    longest = max(records, key=lambda r: len(r["text"]))
    before = tiny_engine.catalog.n_chunks(longest["id"])
    longest["text"] = longest["text"][:300]
    write_jsonl(f, records)
    changed = tiny_engine.ingest([f])
    assert (changed.updated, changed.unchanged) == (1, 3)
    assert tiny_engine.catalog.n_chunks(longest["id"]) == 1 < before
    assert tiny_engine.catalog.get(longest["id"]).text == longest["text"]
    chunk_invariants(tiny_engine)


def test_exact_duplicate_under_another_id_is_not_stored_twice(tiny_engine, archive_dir,
                                                               tmp_path):
    rec = jsonl_records(archive_dir / "wikinews-gum.jsonl")[0]
    copy = {**rec, "id": "syndicated-copy", "source": "Other Outlet",
            "text": "  " + rec["text"].replace("\n\n", "\n\n ") + "  "}
    report = tiny_engine.ingest([write_jsonl(tmp_path / "d.jsonl", [rec, copy])])
    assert (report.added, report.duplicate) == (1, 1)
    assert tiny_engine.stats()["articles"] == 1
    assert tiny_engine.catalog.duplicates_of(rec["id"])[0]["source"] == "Other Outlet"
    chunk_invariants(tiny_engine)


def test_remove_deletes_chunks_and_rows(tiny_engine, archive_dir, tmp_path):
    recs = jsonl_records(archive_dir / "kremlin-2016.jsonl")[:3]
    tiny_engine.ingest([write_jsonl(tmp_path / "k.jsonl", recs)])
    missing = tiny_engine.remove([recs[0]["id"], "not-there"])
    assert missing == ["not-there"]
    assert tiny_engine.catalog.get(recs[0]["id"]) is None
    assert all(p.article_id != recs[0]["id"] for p in tiny_engine.search("Putin", k=20))
    chunk_invariants(tiny_engine)


def test_huge_and_empty_articles_fail_with_reasons(tmp_path):
    eng = Engine(Settings(index=tmp_path / "ix", max_article_chars=5000))
    f = write_jsonl(tmp_path / "x.jsonl", [
        {"id": "big", "title": "Big", "text": "word " * 2000},
        {"id": "ok", "title": "Fine", "text": "A short and fine article."},
        {"id": "blank", "title": "Blank", "text": ""},
    ])
    report = eng.ingest([f])
    reasons = dict(report.failed)
    assert report.added == 1
    assert "too long" in reasons[f"{f}:1"] and reasons[f"{f}:3"] == "empty text"


@pytest.mark.slow
def test_sigkill_mid_ingest_then_rerun_completes_without_duplicates(tmp_path):
    archive = write_slice(tmp_path / "archive", {"kremlin-2016.jsonl": 40})
    index = tmp_path / "index"
    cmd = [sys.executable, "-m", "newsqa.cli", "ingest", str(archive), "--index", str(index),
           "--json"]
    env = {**os.environ, "NEWSQA_EMBED_BATCH_SIZE": "16", "NEWSQA_INGEST_BATCH_CHUNKS": "24"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    catalog = index / "articles.sqlite"
    deadline = time.time() + 240
    rows = 0
    while time.time() < deadline and proc.poll() is None:
        if catalog.exists():
            try:
                with sqlite3.connect(catalog) as db:
                    rows = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            except sqlite3.OperationalError:
                rows = 0
            if rows >= 1:
                break
        time.sleep(0.2)
    assert proc.poll() is None, "ingest finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 1 <= rows < 41

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["added"] + report["unchanged"] == 41 and report["unchanged"] >= 1
    eng = Engine(Settings(index=index))
    assert eng.stats()["articles"] == 41
    chunk_invariants(eng)
    assert eng.search("Lavrov Al-Nusra accomplice", k=3)[0].article_id == RT_ID
