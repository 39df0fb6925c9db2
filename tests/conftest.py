"""Shared fixtures: a small real archive (a slice of the bundled sample) and its index.

The index is built once per test session with the real model and real Chroma; tests that
change an index build their own tiny one instead of touching this.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from pathlib import Path

import pytest

from newsqa.config import Settings
from newsqa.engine import Engine, sample_archive_path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

RT_ID = "rt-2016-10-31-lavrov-al-nusra"
# How many records of each bundled JSONL file go into the test archive.
SLICE = {"kremlin-2016.jsonl": 25, "un-general-debate-2016.jsonl": 4,
         "wikinews-2019-2020.jsonl": 12, "wikinews-gum.jsonl": 3}


def write_slice(dest: Path, sizes: dict[str, int] = SLICE) -> Path:
    """Copy the RT article (with its sidecar) and the first records of each JSONL file."""
    dest.mkdir(parents=True, exist_ok=True)
    sample = sample_archive_path()
    for name in (f"{RT_ID}.txt", f"{RT_ID}.txt.meta.json"):
        shutil.copy(sample / name, dest / name)
    for name, n in sizes.items():
        with (sample / name).open(encoding="utf-8") as src:
            lines = list(itertools.islice(src, n))
        (dest / name).write_text("".join(lines), encoding="utf-8")
    return dest


def jsonl_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def archive_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_slice(tmp_path_factory.mktemp("archive"))


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory, archive_dir: Path) -> Engine:
    """A read-only engine over the small archive (do not ingest into or remove from it)."""
    eng = Engine(Settings(index=tmp_path_factory.mktemp("index")))
    report = eng.ingest([archive_dir])
    assert not report.failed, report.failed
    return eng


@pytest.fixture
def tiny_engine(tmp_path: Path) -> Engine:
    """A fresh, empty engine for tests that write."""
    return Engine(Settings(index=tmp_path / "index"))
