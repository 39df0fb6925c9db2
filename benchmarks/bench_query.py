"""Query latency: warm ``search``/``ask`` p50/p95, cold start, remote Chroma, and 100k-1M chunks.

Modes (run each with the worktree's sources first on PYTHONPATH):

  warm INDEX            ask/search p50/p95 in one warm process over a real index
                        (``--chroma-url`` to go through a ``chroma run`` server instead;
                        ``--questions`` names the question set)
  cold INDEX            wall time of ``newsqa ask`` / ``newsqa search`` in fresh processes
                        (``--baseline-src DIR``: the same commands run from another
                        checkout's ``src`` too, interleaved, for a before/after ratio;
                        ``--baseline-index DIR``: those open the index as that code left it)
  scale DIR --sizes ... store-only: synthetic vectors (around real embeddings of
                        ``--archive``'s chunks) in a Chroma collection created exactly
                        as newsqa creates it; the retriever's query (k=50, documents and
                        metadata included, with/without a date filter) timed at each size
  amplify SRC DST --articles N
                        copy a real index to N articles (distinct ids, vectors reused with
                        a little noise) so ask can be timed at 10k articles without
                        embedding them all

Synthetic vectors are not random points on the sphere (HNSW's worst case, nothing like text):
they are real chunk embeddings of the archive plus Gaussian noise, so neighbourhoods are
clustered as in a real index.  The query embedding itself (~5-15 ms) is timed in ``warm``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    ARCHIVE,
    SEED_QA,
    archive_slice,
    dir_size,
    machine,
    median,
    pct,
    read_questions,
    title_questions,
    write_result,
)

EXTRA = ["What did Putin say about the economy?", "Who met the President of France?",
         "What was agreed on gas supplies to Europe?", "When was the constitution amended?",
         "What did the Security Council discuss?", "Which awards were presented in the Kremlin?"]


def summary(ms: list[float]) -> dict[str, float]:
    return {"p50_ms": round(pct(ms, 50), 2), "p95_ms": round(pct(ms, 95), 2),
            "mean_ms": round(sum(ms) / len(ms), 2), "n": len(ms)}


def timed(fn, items, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        for it in items:
            t = time.perf_counter()
            fn(it)
            out.append((time.perf_counter() - t) * 1000)
    return out


# --- warm --------------------------------------------------------------------------------
def warm(args) -> dict:
    from newsqa.config import Settings
    from newsqa.engine import Engine
    from newsqa.types import Filters

    settings = Settings(index=Path(args.index), chroma_url=args.chroma_url,
                        embed_backend=args.backend)
    eng = Engine(settings)
    # Unseen questions: the engine memoises query vectors, so a repeat is warmer than a user's
    # new question; time with --repeats 1 and add --titles for a larger pool.
    qs = (read_questions(Path(args.questions)) + EXTRA
          + [q["question"] for q in title_questions(eng, args.titles)])
    qs = qs[: args.queries]
    eng.ask("warm-up: load the model and open the index")
    flt = Filters(since=args.since, until=args.until)

    def fresh(fn):  # each phase starts with no memoised query vectors: the user's case
        eng.embedder._query_vector.cache_clear()
        return summary(timed(fn, qs, args.repeats))

    res = {"filter": [args.since, args.until], "questions": len(qs), "repeats": args.repeats,
           "index": args.index, "chroma": args.chroma_url or "local",
           "chunks": eng.store.count(), "articles": eng.catalog.stats().get("articles"),
           "embed_query": fresh(eng.embedder.embed_query),
           "search": fresh(lambda q: eng.search(q)),
           "search_filtered": fresh(lambda q: eng.search(q, filters=flt)),
           "ask": fresh(lambda q: eng.ask(q))}
    eng.close()
    return res


# --- cold --------------------------------------------------------------------------------
def cold(args) -> dict:
    """Fresh-process wall times, interleaved, for each embedding backend (and source tree)."""
    q = "What did Lavrov demand?"
    trees = {"": (os.environ.get("PYTHONPATH", ""), args.index)}
    if args.baseline_src or args.baseline_index:
        trees["baseline "] = (
            os.pathsep.join([args.baseline_src, trees[""][0]]) if args.baseline_src
            else trees[""][0], args.baseline_index or args.index)
    cmds: dict[str, tuple[list[str], str, tuple[str, str]]] = {
        "python -c pass": ([sys.executable, "-c", "pass"], "torch", trees[""])}
    for label, tree in trees.items():
        cmds[f"{label}import newsqa.cli"] = ([sys.executable, "-c", "import newsqa.cli"],
                                             "torch", tree)
        for backend in args.backends:
            for command in ("ask", "search"):
                cmds[f"{label}newsqa {command} ({backend})"] = (
                    [sys.executable, "-m", "newsqa", command, q], backend, tree)  # as `newsqa`
    runs: dict[str, list[float]] = {name: [] for name in cmds}
    cpu: dict[str, list[float]] = {name: [] for name in cmds}  # user+sys: less load-bound
    for _ in range(args.repeats):
        for name, (cmd, backend, (path, index)) in cmds.items():
            env = {**os.environ, "NEWSQA_INDEX": index, "NEWSQA_EMBED_BACKEND": backend,
                   "PYTHONPATH": path}
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            p = subprocess.run(cmd, env=env, capture_output=True, text=True)
            runs[name].append(time.perf_counter() - t)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime
                             - before.ru_stime)
            if p.returncode:
                sys.exit(f"{name} failed: {p.stderr.strip()[-2000:]}")
    out = {k: round(median(v), 3) for k, v in runs.items()}
    imp = subprocess.run([sys.executable, "-X", "importtime", "-c", "import newsqa.cli"],
                         capture_output=True, text=True).stderr.splitlines()
    top = sorted(((int(ln.split("|")[1]), ln.split("|")[2].strip()) for ln in imp[1:]
                  if ln.count("|") == 2 and ln.split("|")[1].strip().isdigit()), reverse=True)
    return {"median_s": out, "median_cpu_s": {k: round(median(v), 3) for k, v in cpu.items()},
            "repeats": args.repeats, "load_average": os.getloadavg(),
            "importtime_newsqa_cli_cumulative_us_top": top[:8]}


# --- scale (store-only) ------------------------------------------------------------------
def seed_vectors(n: int, archive: Path) -> tuple[np.ndarray, list[str]]:
    """Real chunk embeddings (and texts) of ``n`` archive chunks: the synthetic data's centres."""
    from newsqa.index.embedder import Embedder
    from newsqa.ingest.chunker import Chunker
    from newsqa.ingest.loaders.records import article_from_record

    emb = Embedder()
    chunker = Chunker(emb.count_tokens, 200, 40)
    texts: list[str] = []
    for rec in archive_slice(archive, 3000, 400):
        texts += [c.text for c in chunker.split(article_from_record(rec, "bench"))]
        if len(texts) >= n:
            break
    return emb.encode(texts[:n]), texts[:n]


def synthetic_date(i: int) -> str:
    """The date of synthetic chunk ``i`` (4 chunks an article, 22 years, every month)."""
    a = i // 4 * 4
    return f"{1999 + (a // 4) % 22}-{1 + a % 12:02d}-{1 + a % 28:02d}"


def synthetic_filters(n: int):
    """What the retriever passes the store: a ChunkFilter from the catalog's article table
    (``chunk_filter.ArticleTable``), here for ``n`` synthetic chunks of 4 per article."""
    from newsqa.index.chunk_filter import ArticleFilter, ArticleTable
    from newsqa.text.dates import date_bounds

    rows = [(f"syn-{i // 4}", *date_bounds(synthetic_date(i)), "", "", min(4, n - i))
            for i in range(0, n, 4)]
    table = ArticleTable.from_rows(rows)
    return lambda flt: ArticleFilter(table.mask(flt), table)


def scale(args) -> dict:
    from newsqa.index import store as store_mod
    from newsqa.index.store import ChunkStore, make_client, where_clause
    from newsqa.types import Article, Chunk, Filters

    class NoModel:  # the store never embeds: vectors are always passed
        name = "all-MiniLM-L6-v2"

    # Search-time parameters stay newsqa's; a lower ef_construction only makes the build
    # affordable on a shared 2-core machine (it changes the graph's quality, not its shape).
    store_mod.HNSW = {**store_mod.HNSW, "ef_construction": args.ef_construction}

    rng = np.random.default_rng(0)
    centres, texts = seed_vectors(args.seed_chunks, args.archive)
    client = make_client(Path(args.dir), None)
    store = ChunkStore(client, "bench", NoModel())
    sizes = sorted(args.sizes)
    noise = args.noise / np.sqrt(centres.shape[1])
    queries = centres[rng.integers(0, len(centres), 200)]
    queries = queries + rng.normal(0, noise, queries.shape).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    # Filters of decreasing breadth (the synthetic dates spread evenly over 1999-2020):
    # ~14%, ~4.5% and ~0.4% of the chunks match.
    filters = {"3y": Filters(since="2010-01-01", until="2012-12-31"),
               "1y": Filters(since="2011-01-01", until="2011-12-31"),
               "1m": Filters(since="2011-04-01", until="2011-04-30")}
    results = []
    have = store.count()
    t_build = time.perf_counter()
    for size in sizes:
        while have < size:
            n = min(args.batch, size - have)
            pick = rng.integers(0, len(centres), n)
            vecs = centres[pick] + rng.normal(0, noise, (n, centres.shape[1])).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            arts, chunks = {}, []
            for j, p in enumerate(pick):
                i = have + j
                aid = f"syn-{i // 4}"
                if aid not in arts:
                    arts[aid] = Article(aid, f"Synthetic article {i // 4}", "",
                                        date=synthetic_date(i),
                                        source="President of Russia (en.kremlin.ru)")
                doc = texts[p][: args.doc_chars]
                chunks.append(Chunk(aid, i % 4, 0, len(doc), doc))
            store.upsert(arts, chunks, vecs)
            have += n
            el = time.perf_counter() - t_build
            print(f"{have:>9,} vectors  {el:7.0f}s  {have / max(el, 1e-9):6.0f}/s", flush=True)
        allowed = synthetic_filters(store.count())
        row = {"chunks": store.count(),
               "query_k50": summary(timed(lambda v: store.query(v, 50, None),
                                          queries.tolist(), 1))}
        for name, flt in filters.items():
            # newsqa's filtered query (over-fetch, then Chroma's where only if too selective)
            # and, for comparison, Chroma's where alone
            row[f"query_k50_{name}"] = summary(timed(
                lambda v, f=flt, a=allowed: store.query(v, 50, f, allowed=a(f)),
                queries[:100].tolist(), 1))
            row[f"where_only_k50_{name}"] = summary(timed(
                lambda v, f=flt: store._query(v, 50, where_clause(f)),
                queries[:args.where_queries].tolist(), 1))
        row |= {"disk_mb": round(dir_size(Path(args.dir)) / 2**20),
                "build_s": round(time.perf_counter() - t_build)}
        print(json.dumps(row), flush=True)
        results.append(row)
        write_result("query-scale-partial", {"machine": machine(), "rows": results})
    return {"rows": results, "noise": args.noise, "seed_chunks": len(centres),
            "hnsw": store_mod.HNSW, "doc_chars": args.doc_chars}


# --- amplify -----------------------------------------------------------------------------
def amplify(args) -> dict:
    """Grow a real index to ``--articles`` by copying its articles under new ids.

    Resumable: a DST that already holds some copies is grown from there (the copies are
    made in a fixed order).  The lexical index is built from the catalog when DST is first
    opened by an engine.
    """
    from newsqa.index import store as store_mod
    from newsqa.index.catalog import Catalog
    from newsqa.index.store import ChunkStore, make_client
    from newsqa.types import Article, Chunk

    class NoModel:
        name = "all-MiniLM-L6-v2"

    # As in ``scale``: a lower ef_construction only makes a large build affordable.
    store_mod.HNSW = {**store_mod.HNSW, "ef_construction": args.ef_construction}

    src, dst = Path(args.src), Path(args.dst)
    src_store = ChunkStore(make_client(src, None), "newsqa", NoModel())
    got: dict[str, list] = {"embeddings": [], "documents": [], "metadatas": []}
    for offset in range(0, src_store.count(), 5000):  # one get of 61k rows overflows SQLite
        page = src_store.collection.get(include=["embeddings", "documents", "metadatas"],
                                        limit=5000, offset=offset)
        for key in got:
            got[key].extend(page[key])
    cat_src = Catalog(src)
    originals = cat_src.get_many({m["article_id"] for m in got["metadatas"]})
    by_article: dict[str, list[int]] = {}
    for i, m in enumerate(got["metadatas"]):
        by_article.setdefault(m["article_id"], []).append(i)
    store = ChunkStore(make_client(dst, None), "newsqa", NoModel())
    store.check_model(len(got["embeddings"][0]))
    cat = Catalog(dst)
    rng = np.random.default_rng(1)
    ids = sorted(by_article)
    made = cat.stats()["articles"]
    t = time.perf_counter()
    while made < args.articles:
        arts, chunks, vecs = {}, [], []
        for _ in range(min(500, args.articles - made)):
            orig = originals[ids[made % len(ids)]]
            copy = made // len(ids)
            aid = orig.id if copy == 0 else f"{orig.id}~{copy}"
            # distinct text per copy so the duplicate detector would not merge them
            art = Article(aid, orig.title, orig.text + ("" if copy == 0 else f" [{copy}]"),
                          date=orig.date, url=orig.url, source=orig.source,
                          authors=orig.authors, lang=orig.lang)
            arts[aid] = art
            for i in by_article[orig.id]:
                m = got["metadatas"][i]
                chunks.append(Chunk(aid, m["chunk_no"], m["start"], m["end"], got["documents"][i]))
                v = np.asarray(got["embeddings"][i]) + rng.normal(0, 0.01, 384)
                vecs.append(v / np.linalg.norm(v))
            made += 1
        store.upsert(arts, chunks, np.asarray(vecs, dtype=np.float32))
        for aid, art in arts.items():
            cat.upsert(art, [c for c in chunks if c.article_id == aid])
        if made % 5000 < 500:
            print(f"{made:>8,} articles {store.count():>10,} chunks"
                  f" {time.perf_counter() - t:7.0f}s", flush=True)
    return {"articles": made, "chunks": store.count(), "seconds": round(time.perf_counter() - t)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    w = sub.add_parser("warm")
    w.add_argument("index")
    w.add_argument("--chroma-url")
    w.add_argument("--questions", default=str(SEED_QA),
                   help="JSONL question set asked first (default: %(default)s)")
    w.add_argument("--backend", default="auto")
    w.add_argument("--queries", type=int, default=24)
    w.add_argument("--titles", type=int, default=0, help="add N article titles as questions")
    w.add_argument("--repeats", type=int, default=1)
    w.add_argument("--since", default="2016-01-01", help="date filter for search_filtered")
    w.add_argument("--until", default="2016-12-31")
    c = sub.add_parser("cold")
    c.add_argument("index")
    c.add_argument("--repeats", type=int, default=3)
    c.add_argument("--backends", nargs="+", default=["auto", "torch"])
    c.add_argument("--baseline-src", metavar="DIR",
                   help="another checkout's src directory to time the same commands from")
    c.add_argument("--baseline-index", metavar="DIR",
                   help="the index the baseline's commands open (default INDEX): the same"
                   " archive as the baseline's code left it")
    s = sub.add_parser("scale")
    s.add_argument("dir")
    s.add_argument("--archive", type=Path, default=ARCHIVE,
                   help="JSONL archive whose chunk embeddings seed the synthetic vectors"
                   " (default: %(default)s)")
    s.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    s.add_argument("--batch", type=int, default=5000)
    s.add_argument("--seed-chunks", type=int, default=256)
    s.add_argument("--noise", type=float, default=0.6, help="noise norm relative to a unit vector")
    s.add_argument("--ef-construction", type=int, default=400)
    s.add_argument("--doc-chars", type=int, default=1000, help="stored document length")
    s.add_argument("--where-queries", type=int, default=30,
                   help="queries timed through Chroma's where alone (slow at scale)")
    a = sub.add_parser("amplify")
    a.add_argument("src")
    a.add_argument("dst")
    a.add_argument("--articles", type=int, default=10_000)
    a.add_argument("--ef-construction", type=int, default=400)
    args = ap.parse_args()
    random.seed(0)
    res = {"warm": warm, "cold": cold, "scale": scale, "amplify": amplify}[args.mode](args)
    res = {"mode": args.mode, "machine": machine(), **res}
    print(json.dumps(res, indent=2, default=str))
    print("saved", write_result(f"query-{args.mode}", res))


if __name__ == "__main__":
    main()
