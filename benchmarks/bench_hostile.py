"""Hostile ingest: N damaged files of every format plus one good archive, through the real
``newsqa ingest`` in a fresh process, into a fresh index.

Reports what the hostile-input rules promise: the exit status (1: some inputs failed, the
rest ingested), no traceback and no stderr line that is not one of the report's own
("failed …", "… and N more", "error: …", progress lines), every record of the good archive
stored, the wall time, and the child's peak resident memory.

  PYTHONPATH=src:. python benchmarks/bench_hostile.py --files 1000 [--seed 7] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result  # noqa: E402

from tests.hostile_files import SEEDS, write_hostile  # noqa: E402

REPORT_LINES = ("failed ", "… and ", "error: ", "ingest ")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", type=Path, help="where to write the files and the index "
                                              "(default: a temporary directory)")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="newsqa-hostile-"))
    inputs = work / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    write_hostile(inputs, args.files, args.seed)
    # The good archive's records under ids of their own (damaged copies of the same
    # fixture come first and may hold its ids): each must end up stored, as an article or
    # as a duplicate of a copy already stored.
    good = [{**json.loads(line), "id": f"good-{i}"}
            for i, line in enumerate(SEEDS[".jsonl"].splitlines()) if line.strip()]
    (inputs / "zz-good.jsonl").write_text("".join(json.dumps(r) + "\n" for r in good), "utf-8")
    env = {**os.environ, "NEWSQA_INDEX": str(work / "index")}
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "newsqa", "ingest", str(inputs), "--json",
                        "--quiet"], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    report = json.loads(p.stdout) if p.stdout.strip().startswith("{") else {}
    stray = [ln for ln in p.stderr.splitlines() if not ln.startswith(REPORT_LINES)]
    db = sqlite3.connect(work / "index" / "articles.sqlite")  # what the run left stored
    stored = {row[0] for row in db.execute("SELECT id FROM articles UNION SELECT id FROM "
                                            "duplicates WHERE id LIKE 'good-%'")}
    db.close()
    res = {"files": args.files + 1, "seed": args.seed, "exit_status": p.returncode,
           "seconds": round(seconds, 1), "peak_rss_mb": round(rss_mb),
           "tracebacks": p.stderr.count("Traceback"), "stray_stderr_lines": len(stray),
           "stray_examples": [ln[:160] for ln in stray[:5]],
           "added": report.get("added"), "failed": len(report.get("failed", []))
           + report.get("failed_unlisted", 0), "good_records": len(good),
           "good_records_stored": sum(r["id"] in stored for r in good),
           "load_average": os.getloadavg()}
    print(json.dumps(res, indent=2))
    print("saved", write_result("hostile", res))


if __name__ == "__main__":
    main()
