"""Helpers shared by the benchmarks: archive slices, percentiles, peak RSS, result files."""

from __future__ import annotations

import itertools
import json
import os
import platform
import random
import resource
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
# Default data locations: ``../shared/data`` seen from the repository root, where the
# evaluation sets and the larger archives sit next to a checkout.  Every script takes its
# paths as options (``--archive``, ``--questions``, ...); these are only the defaults.
DATA = ROOT.parent.parent / "shared" / "data"
ARCHIVE = DATA / "scale" / "kremlin-en-1999-2020.jsonl"  # 10k Kremlin news items, 1999-2020
SEED_QA = DATA / "dev-eval" / "seed-qa.jsonl"  # 18 questions with gold articles and evidence
RGB = DATA / "dev-eval" / "rgb" / "en_fact.json"  # questions the sample archive cannot answer
SAMPLE = DATA / "sample-archive"  # the sample archive's source files


def read_questions(path: Path) -> list[str]:
    """The ``question`` of every line of a JSONL question set ([] when the file is absent)."""
    if not path.exists():
        return []
    return [json.loads(ln)["question"] for ln in path.read_text().splitlines() if ln.strip()]


def archive_slice(path: Path, start: int, count: int) -> Iterator[dict[str, Any]]:
    """``count`` raw records of a JSONL archive from line ``start``, streamed."""
    with path.open("rb") as fh:
        for line in itertools.islice(fh, start, start + count):
            if line.strip():
                yield json.loads(line)


def pct(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation."""
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def median(values: list[float]) -> float:
    return statistics.median(values)


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def machine() -> dict[str, Any]:
    """What the numbers were measured on (load average: the machine is shared)."""
    import torch

    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "python": sys.version.split()[0], "torch": torch.__version__,
            "loadavg": os.getloadavg()}


def write_result(name: str, data: dict[str, Any]) -> Path:
    """Save ``data`` as ``results/NAME-<timestamp>.json`` (the folder is git-ignored)."""
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(data, indent=2, default=str))
    return out


def title_questions(engine, n: int, seed: int = 13) -> list[dict]:
    """Titles of a seeded random sample of articles as questions, the article as gold."""
    rows = engine.catalog.db.execute("SELECT id, title FROM articles ORDER BY id").fetchall()
    rows = [r for r in rows if len(r[1].split()) >= 5]
    rng = random.Random(seed)
    return [{"id": f"title-{aid}", "question": title, "gold_doc_ids": [aid]}
            for aid, title in rng.sample(rows, min(n, len(rows)))]
