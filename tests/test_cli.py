"""The CLI as a user runs it: JSON shapes, one-line errors, eval output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import RT_ID

pytestmark = pytest.mark.slow  # every test runs the CLI in a subprocess


def newsqa(*args: str, env: dict | None = None, timeout: int = 300):
    return subprocess.run([sys.executable, "-m", "newsqa.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def test_ask_json_schema_and_exact_quotes(engine):
    r = newsqa("ask", "What did Lavrov demand?", "--json", "--index", str(engine.index_dir))
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert set(data) >= {"question", "answer", "citations", "retrieved"}
    c = data["citations"][0]
    assert set(c) >= {"n", "article_id", "title", "source", "date", "url", "quote", "start",
                      "end", "score"}
    assert c["article_id"] == RT_ID
    text = engine.catalog.get(RT_ID).text
    assert text[c["start"]:c["end"]] == c["quote"]


def test_ask_text_output_shows_answer_and_numbered_sources(engine):
    r = newsqa("ask", "What did Lavrov demand?", "--index", str(engine.index_dir))
    assert r.returncode == 0, r.stderr
    assert "[1]" in r.stdout and "RT" in r.stdout and "2016-10-31" in r.stdout


def test_search_and_stats_json_with_env_index(engine):
    env = {"NEWSQA_INDEX": str(engine.index_dir)}
    r = newsqa("search", "Al-Nusra Aleppo", "--k", "3", "--source", "RT", "--json", env=env)
    assert r.returncode == 0, r.stderr
    results = json.loads(r.stdout)["results"]
    assert results and all(p["source"] == "RT" for p in results)
    st = json.loads(newsqa("stats", "--json", env=env).stdout)
    assert isinstance(st["articles"], int) and isinstance(st["chunks"], int)
    assert st["articles"] == 45


@pytest.mark.parametrize("args, message", [
    (["ask", "x", "--bogus"], "No such option: --bogus"),
    (["ask", "x", "--since", "someday"], "--since: not a date"),
    (["ask", "x", "--k", "0"], "--k"),
    (["ingest"], "nothing to ingest"),
])
def test_bad_usage_is_one_line(args, message, tmp_path):
    r = newsqa(*args, "--index", str(tmp_path))
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]


def test_missing_index_is_one_line(tmp_path):
    r = newsqa("ask", "What did Lavrov demand?", "--index", str(tmp_path / "none"))
    assert r.returncode == 2
    assert r.stderr.strip() == (f"error: no index at {tmp_path / 'none'} (run 'newsqa ingest "
                                "ARCHIVE' or set NEWSQA_INDEX)")


def test_ingest_reports_failures_and_keeps_good_records(tmp_path):
    f = tmp_path / "mixed.jsonl"
    f.write_text('{"id": "a1", "title": "Flood", "text": "The river flooded the town."}\n'
                 "{broken\n", encoding="utf-8")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    r = newsqa("ingest", str(f), str(tmp_path / "notes.pdf"), "--index", str(tmp_path / "ix"),
               "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["added"] == 1
    assert {x["where"] for x in report["failed"]} == {f"{f}:2", str(tmp_path / "notes.pdf")}


def test_eval_writes_per_question_lines_and_metrics(engine, tmp_path):
    qs = tmp_path / "q.jsonl"
    qs.write_text(json.dumps({"qid": "q1", "question": "What did Lavrov demand?",
                              "gold_doc_ids": [RT_ID]}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = newsqa("eval", str(qs), "--out", str(out), "--json", "--index", str(engine.index_dir))
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["hits@1"] == 1.0 and summary["mrr@10"] == 1.0
    line = json.loads(out.read_text().splitlines()[0])
    assert line["id"] == "q1" and line["retrieved"][0] == RT_ID
    assert set(line) >= {"answer", "citations", "latency_ms"}
    assert Path(out).exists()
