"""The CLI as a user runs it: JSON shapes, exit codes, one-line errors, help, eval output."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from importlib import metadata
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


def test_a_read_only_command_ends_at_once_only_as_the_process(engine, tmp_path, capsys):
    """`ask` and `search` skip the interpreter's teardown when they are the process, after
    everything they printed is out (here a long JSON into a file); a program that calls
    ``main`` keeps its process."""
    from newsqa.cli import main

    main(["ask", "What did Lavrov demand?", "--json", "--index", str(engine.index_dir)])
    assert json.loads(capsys.readouterr().out)["citations"]  # returned: still running
    out = tmp_path / "search.json"
    with out.open("w") as f:
        r = subprocess.run([sys.executable, "-m", "newsqa", "search", "Lavrov Syria", "--k",
                            "60", "--json", "--index", str(engine.index_dir)], stdout=f,
                           stderr=subprocess.PIPE, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(out.read_text(encoding="utf-8"))["results"]) >= 30  # ~80 KB


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


def test_some_failed_inputs_exit_1_and_everything_failed_exits_2(tmp_path):
    f = tmp_path / "mixed.jsonl"
    f.write_text('{"id": "a1", "title": "Flood", "text": "The river flooded the town."}\n'
                 "{broken\n", encoding="utf-8")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    ix = str(tmp_path / "ix")
    r = newsqa("ingest", str(f), str(tmp_path / "notes.pdf"), "--index", ix, "--json")
    assert r.returncode == 1, r.stderr
    report = json.loads(r.stdout)  # stdout is the report alone
    assert report["added"] == 1
    assert {x["where"] for x in report["failed"]} == {f"{f}:2", str(tmp_path / "notes.pdf")}
    lines = r.stderr.strip().splitlines()
    assert lines[-1] == "error: 2 of 3 inputs failed; the rest was ingested"
    assert f"failed {tmp_path / 'notes.pdf'}: unsupported file type '.pdf'" in lines

    (tmp_path / "random.jsonl").write_bytes(os.urandom(3000))
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "nothing-here").mkdir()
    bad = [tmp_path / "missing.jsonl", tmp_path / "random.jsonl", tmp_path / "empty.jsonl",
           tmp_path / "nothing-here"]
    r = newsqa("ingest", *map(str, bad), "--index", ix, "--quiet")  # errors still shown
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert lines[-1] == "error: nothing ingested: all 4 inputs failed"
    assert set(lines[:-1]) == {
        f"failed {bad[0]}: no such file or directory",
        f"failed {bad[1]}: binary data, not a text/news file",
        f"failed {bad[2]}: no articles in this file",
        f"failed {bad[3]}: no files to ingest in this directory"}
    assert "4 failed" in r.stdout and "error" not in r.stdout

    # --quiet: on a loaded machine a removal can outlast the first progress line on stderr.
    r = newsqa("remove", "a1", "unknown-id", "--index", ix, "--quiet")
    assert r.returncode == 1
    assert r.stdout.strip() == "removed 1 article(s)"
    assert r.stderr.strip() == "error: no article with id 'unknown-id'"
    r = newsqa("remove", "unknown-id", "--index", ix, "--quiet")
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.strip() == "error: no article with id 'unknown-id'"


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


def timed(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    """The run and the CPU seconds the child used (not wall time: a busy machine slows
    the wall clock, not the work; loading the model alone takes seconds of CPU)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = newsqa(*args)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@pytest.mark.parametrize("args, message", [
    (["ask", ""], "error: empty question"),
    (["ask", "   "], "error: empty question"),
    (["ask", "x" * 1001], "error: question too long (1,001 characters; the limit is 1,000)"),
    (["search", " "], "error: empty query"),
    (["search", "x" * 1001], "error: query too long (1,001 characters; the limit is 1,000)"),
    (["ask", "x", "--since", "2017", "--until", "2016"],
     "error: --since 2017 is after --until 2016: no article can match"),
    (["ask", "x", "--lang", "xx"], "error: --lang: unknown language code 'xx'"),
    (["search", "x", "--lang", "english"], "error: --lang: unknown language code 'english'"),
    (["chat", "--since", "2016-10-02", "--until", "2016-10-01"],
     "error: --since 2016-10-02 is after --until 2016-10-01"),
])
def test_bad_arguments_are_refused_before_anything_loads(args, message, tmp_path):
    # No index exists: a check that ran after the engine opened it would say so instead.
    r, cpu = timed(*args, "--index", str(tmp_path / "none"))
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith(message), r.stderr
    assert cpu < 1.0


def test_a_question_of_1000_characters_and_a_regional_language_code_are_accepted(tmp_path):
    r = newsqa("ask", "x" * 1000, "--lang", "pt-BR", "--index", str(tmp_path / "none"))
    assert r.returncode == 2 and r.stderr.startswith("error: no index at")


def test_bare_newsqa_prints_help_and_version_is_known():
    r = newsqa()
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("Usage:") and "Examples:" in r.stdout
    assert "Exit status: 0 done; 1 some inputs failed" in r.stdout
    for summary in ("ingest    Add articles to the index; unchanged ones are skipped.",
                    "eval      Score a question set: hits@1/5/10, MRR@10 and the answers'"):
        assert summary in r.stdout
    assert "..." not in r.stdout.split("Commands:")[1]  # no description cut short
    r = newsqa("--version")
    assert r.returncode == 0
    assert r.stdout.strip() == f"newsqa {metadata.version('newsqa')}"


@pytest.mark.parametrize("command", ["ingest", "ask", "search", "stats", "remove", "eval",
                                     "chat", "bot", "feedback"])
def test_help_shows_plain_metavars_and_examples(command):
    r = newsqa(command, "--help")
    assert r.returncode == 0
    assert not re.search(r"<[a-z\[\] ]+>|\{\w+\}", r.stdout), r.stdout  # <list[str]>, {question}
    usage = r.stdout.splitlines()[0]
    assert usage.split(f" {command} ")[1] == {
        "ingest": "[OPTIONS] [ARCHIVE...]", "ask": "[OPTIONS] QUESTION",
        "search": "[OPTIONS] QUERY", "remove": "[OPTIONS] ID...",
        "eval": "[OPTIONS] QUESTIONS"}.get(command, "[OPTIONS]")
    if command in ("ingest", "ask", "search", "remove", "eval", "chat"):
        assert "Example" in r.stdout and "  newsqa " + command in r.stdout


def test_feedback_without_votes_says_so_on_stderr(tmp_path):
    r = newsqa("feedback", "--index", str(tmp_path))
    assert (r.returncode, r.stdout) == (0, "")
    assert r.stderr.strip() == f"no feedback yet: no votes recorded under {tmp_path}"


def test_eval_answers_as_ask_does_with_the_same_default_k(engine, tmp_path):
    question = "What did Lavrov demand?"
    qs = tmp_path / "q.jsonl"
    qs.write_text(json.dumps({"id": "q1", "question": question, "date": "2016-10-31"}) + "\n",
                  encoding="utf-8")
    ix = str(engine.index_dir)
    for k in ([], ["--k", "2"]):
        out = tmp_path / "out.jsonl"
        r = newsqa("eval", str(qs), "--out", str(out), "--json", "--quiet", "--index", ix, *k)
        assert r.returncode == 0, r.stderr
        line = json.loads(out.read_text())
        asked = json.loads(newsqa("ask", question, "--as-of", "2016-10-31", "--json",
                                  "--index", ix, *k).stdout)
        assert line["answer"] == asked["answer"]
        assert [c["quote"] for c in line["citations"]] == [c["quote"] for c in asked["citations"]]


def test_chat_reads_time_words_as_of_the_given_date(engine):
    r = subprocess.run([sys.executable, "-m", "newsqa.cli", "chat", "--json", "--as-of",
                        "2016-10-31", "--index", str(engine.index_dir)],
                       input="What did Lavrov demand this week?\n", capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout)
    assert "As of 31 Oct 2016, articles from 25 Oct 2016 to 31 Oct 2016" in answer["notes"]
    assert RT_ID in {c["article_id"] for c in answer["citations"]}
