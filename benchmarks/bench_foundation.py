"""Foundation benchmark: ingest throughput on the sample archive and warm `ask` latency.

Usage: python benchmarks/bench_foundation.py [--index DIR] [--repeats 3] [--questions FILE]
Ingests the bundled sample archive into a fresh index (articles/s, chunks/s), then asks the
dev questions (``--questions``, default ../shared/data/dev-eval/seed-qa.jsonl from the
repository root) `repeats` times in one warm process
and prints p50/p95 latency.  Each repeat uses a fresh engine (model loaded, then warmed on an
unrelated question) so the engine's sentence-vector memo never serves a repeated question:
the figures are for questions the process has not seen.  Medians over repeats.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from newsqa.config import Settings
from newsqa.engine import Engine, sample_archive_path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SEED_QA, read_questions  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, help="Reuse (or build) this index.")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--questions", type=Path, default=SEED_QA,
                    help="JSONL question set (default: %(default)s)")
    args = ap.parse_args()

    index = args.index or Path(tempfile.mkdtemp(prefix="newsqa-bench-"))
    engine = Engine(Settings(index=index))
    result: dict = {}
    if not engine.exists():
        t0 = time.perf_counter()
        report = engine.ingest([sample_archive_path()])
        wall = time.perf_counter() - t0
        n = report.added + report.updated
        result["ingest"] = {"articles": n, "chunks": report.chunks, "seconds": round(wall, 1),
                            "articles_per_s": round(n / wall, 2),
                            "chunks_per_s": round(report.chunks / wall, 2)}
    questions = read_questions(args.questions)
    if not questions:
        sys.exit(f"no questions in {args.questions}")
    runs = []
    for _ in range(args.repeats):
        engine = Engine(Settings(index=index))
        engine.ask("Which countries signed the agreement?")  # warm: model, index, lexical
        lat = []
        for q in questions:
            t0 = time.perf_counter()
            engine.ask(q)
            lat.append((time.perf_counter() - t0) * 1000)
        runs.append((statistics.median(lat), percentile(lat, 0.95)))
    result["ask_ms"] = {"p50": round(statistics.median(r[0] for r in runs), 1),
                        "p95": round(statistics.median(r[1] for r in runs), 1),
                        "questions": len(questions), "repeats": args.repeats}
    print(json.dumps(result, indent=2))
    if not args.index:
        shutil.rmtree(index, ignore_errors=True)


if __name__ == "__main__":
    main()
