"""How long ``newsqa doctor`` takes on an existing index: the check alone (warm, in this
process) and the whole command (fresh processes, start-up and Chroma's open included).

Read-only: the check never writes.  Run from the repository root::

    PYTHONPATH=src:. python benchmarks/bench_doctor.py INDEX [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import machine, median, write_result
from newsqa.config import Settings
from newsqa.engine import Engine


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("index", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    engine = Engine(Settings(index=args.index))
    report = engine.doctor()  # opens the store and the lexical index once
    warm = []
    for _ in range(args.runs):
        t = time.perf_counter()
        engine.doctor()
        warm.append(time.perf_counter() - t)
    cli = []
    for _ in range(args.runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "newsqa", "doctor", "--index", str(args.index)],
                       capture_output=True, check=False)
        cli.append(time.perf_counter() - t)
    result = {"chunks": report["catalog"]["chunks"], "healthy": report["healthy"],
              "check_median_s": median(warm), "cli_median_s": median(cli),
              "runs": args.runs, "machine": machine()}
    print(json.dumps(result, indent=2, default=str))
    write_result("doctor", result)


if __name__ == "__main__":
    main()
