"""The cost of adding a few articles to a large index, against adding them to an empty one.

    python benchmarks/bench_live.py LARGE_INDEX [--archive ARCHIVE.jsonl] [--sizes 20 100]
        [--rounds 3]

Each round takes fresh articles of ``--archive`` (real texts, embedded for real) that the
index does not hold, and for each size N: ingests them into a new empty index, then into
LARGE_INDEX, then removes them from LARGE_INDEX again (so the index ends as it began).  One
warm process, one model: load times are outside every timing.  A second, warm reader engine
on LARGE_INDEX times its first search after each add (reopening its views: what a running
bot pays to see new articles).  Prints medians per size and the large/empty ratio.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ARCHIVE, archive_slice, machine, median, write_result  # noqa: E402


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("index", type=Path)
    ap.add_argument("--archive", type=Path, default=ARCHIVE,
                    help="JSONL archive the added articles come from (default: %(default)s)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 100])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--offset", type=int, default=5000, help="first archive record used")
    args = ap.parse_args()

    from newsqa.config import Settings
    from newsqa.engine import Engine
    from newsqa.ingest.loaders.records import article_from_record

    large = Engine(Settings(index=args.index))
    reader = Engine(Settings(index=args.index))
    reader.search("warm-up: load the model and open the index")
    large.__dict__["embedder"] = reader.embedder  # one model in memory
    large.store.count()
    before = large.stats()
    rows: dict[int, dict[str, list[float]]] = {
        n: {"empty_s": [], "large_s": [], "remove_s": [], "reader_first_search_s": []}
        for n in args.sizes}
    start = args.offset
    for r in range(args.rounds):
        for n in args.sizes:
            arts = [article_from_record(rec, "bench-live") for rec in
                    archive_slice(args.archive, start, n)]
            if len(arts) < n:
                sys.exit(f"{args.archive} has fewer than {start + n} records: lower --offset")
            arts = [replace(a, id=f"live-{r}-{a.id}") for a in arts]
            start += n
            tmp = Path(tempfile.mkdtemp(prefix="newsqa-live-"))
            try:
                empty = Engine(Settings(index=tmp / "index"))
                empty.__dict__["embedder"] = reader.embedder
                rows[n]["empty_s"].append(timed(lambda e=empty, a=arts: e.ingest_articles(a)))
                empty.close()
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            rows[n]["large_s"].append(timed(lambda a=arts: large.ingest_articles(a)))
            rows[n]["reader_first_search_s"].append(
                timed(lambda a=arts: reader.search(a[0].title or "news", k=5)))
            rows[n]["remove_s"].append(
                timed(lambda a=arts: large.remove([x.id for x in a])))
            time.sleep(2.1)  # past the reader's refresh interval: the next round reopens
            print(n, {k: round(v[-1], 2) for k, v in rows[n].items()}, flush=True)
    after = large.stats()
    assert (after["articles"], after["chunks"]) == (before["articles"], before["chunks"])
    out = {"index": str(args.index), "articles": before["articles"], "chunks": before["chunks"],
           "rounds": args.rounds, "machine": machine(), "sizes": {}}
    for n, cols in rows.items():
        med = {k: round(median(v), 2) for k, v in cols.items()}
        med["ratio_large_to_empty"] = round(median(
            [b / a for a, b in zip(cols["empty_s"], cols["large_s"], strict=True)]), 2)
        out["sizes"][n] = med
    print(json.dumps(out, indent=2, default=str))
    print("saved", write_result("live-add", out))


if __name__ == "__main__":
    main()
