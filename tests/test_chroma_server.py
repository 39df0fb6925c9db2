"""The scale-out path: ingest and ask against a real `chroma run` server on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsqa.config import Settings
from newsqa.engine import Engine

from .conftest import RT_ID

pytestmark = pytest.mark.slow  # starts a `chroma run` server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_url(tmp_path):
    exe = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    port = free_port()
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path / "server"), "--host",
                             "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def test_ingest_and_ask_through_a_chroma_server(chroma_url, archive_dir, tmp_path):
    eng = Engine(Settings(index=tmp_path / "local", chroma_url=chroma_url))
    report = eng.ingest([archive_dir / f"{RT_ID}.txt", archive_dir / "wikinews-gum.jsonl"])
    assert report.added == 4 and not report.failed
    assert not (tmp_path / "local" / "chroma").exists()  # vectors live on the server
    answer = eng.ask("What did Lavrov demand?")
    assert answer.citations and answer.citations[0].article_id == RT_ID
    assert eng.store.count() == eng.stats()["chunks"]
