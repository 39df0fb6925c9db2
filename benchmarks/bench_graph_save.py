"""What saving Chroma's vector graph costs against the replay of unsaved writes it spares.

    python benchmarks/bench_graph_save.py INDEX [--writes 100 400 900] [--repeats 3]

For each N: N chunks (copies of stored vectors under new ids, as an ingest writes them) are
written through a view with Chroma's default thresholds, then timed, each on a fresh view
of the store: the first count of a view that must replay the N writes (``open_unsaved_s``:
what every later process pays), the save of newsqa's write blocks (``save_s``,
index/graph_save.py: it loads the graph, applies the log and writes the graph), and the
first count of a view after the save (``open_saved_s``: nothing to replay).  The copies are
deleted and the graph saved again, so INDEX ends as it began (its graph saved).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, median, write_result  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("index", type=Path)
    ap.add_argument("--writes", type=int, nargs="+", default=[100, 400, 900])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from newsqa.config import Settings
    from newsqa.index import graph_save
    from newsqa.index.store import ChunkStore, make_client

    class NoModel:  # the store needs the model's name only
        name = Settings().embed_model

    def view() -> ChunkStore:
        gc.collect()  # the previous view's graph goes before the next one loads
        return ChunkStore(make_client(args.index, None, fresh=True), "newsqa", NoModel())

    def first_count() -> float:
        store = view()
        t = time.perf_counter()
        store.collection.count()
        return time.perf_counter() - t

    def timed_save() -> float:
        store = view()
        t = time.perf_counter()
        graph_save.save_graph(store, args.index)
        return time.perf_counter() - t

    store = view()
    cid, chunks = str(store.collection.id), store.count()
    sample = store.collection.get(limit=max(args.writes), include=["embeddings"])
    if graph_save.unsaved_writes(args.index, cid):
        timed_save()
    rows: dict[int, dict[str, list[float]]] = {}
    for n in args.writes:
        cols = rows.setdefault(n, {"open_unsaved_s": [], "save_s": [], "open_saved_s": []})
        for r in range(args.repeats):
            ids = [f"graph-bench-{r}::{i}" for i in range(n)]
            store = view()
            store.collection.upsert(ids=ids, embeddings=sample["embeddings"][:n],
                                    documents=["graph bench"] * n,
                                    metadatas=[{"article_id": f"graph-bench-{r}"}] * n)
            store = None
            unsaved = graph_save.unsaved_writes(args.index, cid)
            cols["open_unsaved_s"].append(first_count())
            cols["save_s"].append(timed_save())
            assert graph_save.unsaved_writes(args.index, cid) == 0
            cols["open_saved_s"].append(first_count())
            store = view()
            store.collection.delete(ids=ids)
            store = None
            timed_save()
            print(n, unsaved, {k: round(v[-1], 3) for k, v in cols.items()}, flush=True)
    out = {"index": str(args.index), "chunks": chunks, "repeats": args.repeats,
           "machine": machine(), "writes": {}}
    for n, cols in rows.items():
        med = {k: round(median(v), 3) for k, v in cols.items()}
        med["replay_ms_per_write"] = round(
            1000 * (med["open_unsaved_s"] - med["open_saved_s"]) / n, 3)
        out["writes"][n] = med
    print(json.dumps(out, indent=2, default=str))
    print("saved", write_result("graph-save", out))


if __name__ == "__main__":
    main()
