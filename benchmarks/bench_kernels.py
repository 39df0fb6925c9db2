"""Embedding kernel speed per backend: tokens/s of the model's forward pass alone.

Batches are real chunks of the scale archive, cut by ``Embedder.batches`` as ``encode``
cuts them; only ``Embedder._forward`` (the model) is timed, interleaved over
``--repeats`` rounds, median reported.  The FLOP ceiling is the fp32 matmul rate of these
cores / 21.2 MFLOP per token (bench_ingest.py).  Cosines are against the fp32 vectors.

  PYTHONPATH=src:. python benchmarks/bench_kernels.py --chunks 640 --repeats 3 [--archive FILE]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import MFLOP_PER_TOKEN, matmul_gflops  # noqa: E402
from common import ARCHIVE, archive_slice, machine, median, write_result  # noqa: E402


def chunk_texts(n: int, archive: Path) -> list[str]:
    """``n`` chunk texts (title + chunk, as ingest embeds them) from a JSONL archive."""
    from newsqa.index.embedder import Embedder
    from newsqa.ingest.chunker import Chunker
    from newsqa.ingest.ingestor import embed_text
    from newsqa.ingest.loaders.records import article_from_record

    count = Embedder(backend="torch").count_tokens
    chunker = Chunker(count, 200, 0)
    texts: list[str] = []
    for rec in archive_slice(archive, 2000, 5000):
        art = article_from_record(rec, "bench")
        texts += [embed_text(art, c) for c in chunker.split(art)]
        if len(texts) >= n:
            break
    return texts[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chunks", type=int, default=640)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--backends", nargs="+", default=["torch", "torch-bf16", "onnx-int8"])
    ap.add_argument("--archive", type=Path, default=ARCHIVE,
                    help="JSONL archive the chunks come from (default: %(default)s)")
    args = ap.parse_args()
    from newsqa.index.embedder import Embedder

    texts = chunk_texts(args.chunks, args.archive)
    embs = {b: Embedder(backend=b, batch_size=args.batch) for b in args.backends}
    work = {b: list(e.batches(texts)) for b, e in embs.items()}
    tokens = int(sum(m.sum() for _, _, m in next(iter(work.values()))))
    vecs: dict[str, np.ndarray] = {}
    for b, e in embs.items():  # warm up (model load, ONNX export on first use) + vectors
        out = np.zeros((len(texts), e.dim), dtype=np.float32)
        for rows, ids, mask in work[b]:
            out[rows] = e._forward(ids, mask)
        vecs[b] = out
    gflops = [matmul_gflops()]
    rates: dict[str, list[float]] = {b: [] for b in embs}
    for _ in range(args.repeats):
        for b, e in embs.items():
            t = time.perf_counter()
            for _, ids, mask in work[b]:
                e._forward(ids, mask)
            rates[b].append(tokens / (time.perf_counter() - t))
        gflops.append(matmul_gflops())
    ceiling = median(gflops) * 1000 / MFLOP_PER_TOKEN
    ref = vecs.get("torch")
    table = {b: {"tokens_per_s": round(median(r)), "of_fp32_ceiling": round(median(r) / ceiling, 2),
                 **({"cosine_min": round(float((vecs[b] * ref).sum(1).min()), 4),
                     "cosine_mean": round(float((vecs[b] * ref).sum(1).mean()), 4)}
                    if ref is not None else {})}
             for b, r in rates.items()}
    res = {"chunks": len(texts), "tokens": tokens, "batch": args.batch,
           "matmul_gflops": [round(g, 1) for g in gflops], "ceiling_tokens_per_s": round(ceiling),
           "backends": table, "machine": machine()}
    print(res)
    print("saved", write_result("kernels", res))


if __name__ == "__main__":
    main()
