"""``newsqa chat`` as a user runs it: JSON lines as follow-ups, resume by id, the REPL."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from newsqa.cli.chat import run_json

from .archive_subset import CLAIM, LEDE, RT, excerpt_number, make_engine, subset_index
from .fake_openai import FakeOpenAI, Reply

pytestmark = pytest.mark.slow  # CLI subprocesses and multi-turn scripts


def newsqa(*args: str, stdin: str, env: dict | None = None):
    return subprocess.run([sys.executable, "-m", "newsqa.cli", *args], input=stdin,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_chat_json_lines_are_follow_ups_and_resumable():
    r = newsqa("chat", "--json", "--index", str(subset_index()),
               stdin="What did Lavrov demand?\n\nAnd what did he say about civilians?\n")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(lines) == 2
    first, second = lines
    assert set(first) >= {"question", "answer", "citations", "retrieved", "abstained", "notes",
                          "conversation_id"}
    assert first["conversation_id"] == second["conversation_id"]
    assert RT in {c["article_id"] for c in first["citations"]}
    assert any(n.startswith("Searched for:") and "Lavrov" in n for n in second["notes"])
    assert {c["article_id"] for c in second["citations"]} == {RT}
    text = make_engine().article(RT).text
    assert all(text[c["start"]:c["end"]] == c["quote"] for c in second["citations"])

    out = io.StringIO()  # resume (as `--conversation ID` does) and lean on turn two
    run_json(make_engine(), first["conversation_id"], ["Why did he say that?"], out)
    third = json.loads(out.getvalue())
    assert third["conversation_id"] == first["conversation_id"]
    assert any("Lavrov" in n for n in third["notes"])
    assert len(make_engine().conversation(first["conversation_id"]).turns) == 3


def test_chat_repl_streams_checked_sentences_and_has_commands(monkeypatch):
    with FakeOpenAI() as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        env = {"NEWSQA_LLM": "openai:fake"}
        n = excerpt_number(make_engine(llm="openai:fake"), "What did Lavrov demand?", LEDE)
        srv.default = Reply(f"{CLAIM} [{n}]. Tungsten boils at 5555 degrees [{n}].")
        r = newsqa("chat", "--index", str(subset_index()), env=env,
                   stdin="What did Lavrov demand?\n/sources\n/history\n/new\n/bogus\n/quit\n")
        assert srv.requests and srv.requests[-1]["stream"] is True
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())  # rich wraps lines
    assert "LLM: openai:fake" in out
    assert f"newsqa> {CLAIM} [1]." in out
    assert "Tungsten" not in out  # the unsupported sentence is never shown
    assert "Removed 1 sentence(s)" in out
    assert LEDE in out and "rt-2016-10-31-lavrov-al-nusra · chars" in out  # /sources
    assert "1. What did Lavrov demand?" in out  # /history
    assert "new conversation" in out and "unknown command /bogus" in out
    assert "resume with --conversation" in out


def test_chat_bad_llm_is_a_one_line_error():
    r = newsqa("chat", "--llm", "gpt5", "--index", str(subset_index()), stdin="")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "error: unknown LLM backend 'gpt5'; use none, local, openai:MODEL or ollama:MODEL"]
