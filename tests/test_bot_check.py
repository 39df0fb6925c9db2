"""``newsqa bot --check`` and ``python -m newsqa_bot --check``: validate, never connect.

Each test runs the command in a subprocess with a made-up token, so nothing here can reach
Discord; the index is a catalog written directly (no model load).
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsqa.index.catalog import Catalog
from newsqa.types import Article, Chunk

pytestmark = pytest.mark.slow  # subprocesses

APP_ID = "123456789012345678"
SECRET = "Xq9" + "k" * 35  # the third part: must never appear in any output
TOKEN = (base64.urlsafe_b64encode(APP_ID.encode()).decode().rstrip("=")
         + ".GaBcDe." + SECRET)


def run(*args: str, env: dict[str, str], module: bool = False) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("NEWSQA_", "DISCORD_"))}
    cmd = ([sys.executable, "-m", "newsqa_bot", "--check"] if module
           else [sys.executable, "-m", "newsqa.cli", "bot", "--check", *args])
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          env={**base, "HF_HUB_OFFLINE": "1", **env})


@pytest.fixture
def index(tmp_path: Path) -> Path:
    d = tmp_path / "index"
    cat = Catalog(d)
    text = "Lavrov demanded a ceasefire."
    cat.upsert(Article(id="a1", title="Talks", text=text, date="2016-02-01", source="RT"),
               [Chunk("a1", 0, 0, len(text), text)])
    cat.close()
    return d


def one_error(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert SECRET not in r.stdout + r.stderr
    return lines[0]


def test_check_reports_index_sync_mode_and_limits(index):
    r = run("--index", str(index), env={
        "DISCORD_TOKEN": TOKEN, "NEWSQA_DISCORD_GUILDS": "111, 222",
        "NEWSQA_DISCORD_INGEST_ROLES": "333,editors", "NEWSQA_DISCORD_RATE_COUNT": "3"})
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert str(index) in out and "articles:        1 " in out
    assert APP_ID in out and "Discord not contacted" in out
    assert "per server, 2 server(s): 111, 222" in out
    assert "333, editors" in out and "3 questions per 60 s" in out
    assert out.rstrip().endswith("ok")
    assert SECRET not in out + r.stderr and TOKEN not in out + r.stderr


def test_module_check_with_env_index_and_global_sync(index):
    r = run(env={"DISCORD_TOKEN": TOKEN, "NEWSQA_INDEX": str(index)}, module=True)
    assert r.returncode == 0, r.stderr
    assert "command sync:    global" in r.stdout


@pytest.mark.parametrize("token, message", [
    ("", "DISCORD_TOKEN is not set"),
    ("abc.def", "three dot-separated base64url parts"),
    (TOKEN.replace(".GaBcDe.", ".Ga+cDe."), "three dot-separated base64url parts"),
    ("bm90LWFuLWlk.GaBcDe." + SECRET, "does not decode to an application id"),
])
def test_malformed_token_is_one_line_without_the_token(index, token, message):
    r = run("--index", str(index), env={"DISCORD_TOKEN": token})
    assert message in one_error(r)


def test_missing_index_is_one_line(tmp_path):
    r = run("--index", str(tmp_path / "none"), env={"DISCORD_TOKEN": TOKEN})
    assert f"no index at {tmp_path / 'none'}" in one_error(r)


@pytest.mark.parametrize("env, message", [
    ({"NEWSQA_DISCORD_GUILDS": "123,abc"}, "NEWSQA_DISCORD_GUILDS must be Discord ids"),
    ({"NEWSQA_DISCORD_RATE_WINDOW": "soon"}, "NEWSQA_DISCORD_RATE_WINDOW must be a number"),
    ({"NEWSQA_DISCORD_MAX_CONCURRENT": "0"}, "NEWSQA_DISCORD_MAX_CONCURRENT must be positive"),
])
def test_bad_settings_are_one_line(index, env, message):
    r = run("--index", str(index), env={"DISCORD_TOKEN": TOKEN, **env})
    assert message in one_error(r)
