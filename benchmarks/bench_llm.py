"""Latency of the in-process local model on the RAG prompt: first token and total.

    python benchmarks/bench_llm.py --index DIR [--runs 3] [--threads 2]

Builds the real prompt for "What did Lavrov demand?" (numbered excerpts from the index),
then streams the model's reply ``--runs`` times after one warm-up (model load), printing
the median time to the first token, the total time, the tokens per second, and what the
citation checks made of the reply.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from newsqa.config import Settings
from newsqa.engine import Engine
from newsqa.llm import call_llm

QUESTION = "What did Lavrov demand?"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--llm", default="local")
    args = ap.parse_args()
    engine = Engine(Settings(index=args.index, llm=args.llm, llm_threads=args.threads))
    passages = engine.search(QUESTION)
    gen = engine.generator
    excerpts = gen.select(engine.answerer.rank(QUESTION, passages))
    messages = gen.messages(QUESTION, excerpts)
    t0 = time.perf_counter()
    call_llm(engine.llm, messages, retries=0)  # warm-up: loads the model
    load = time.perf_counter() - t0
    firsts, totals, counts = [], [], []
    for _ in range(args.runs):
        pieces: list[float] = []
        start = time.perf_counter()
        text = call_llm(engine.llm, messages, retries=0,
                        on_token=lambda _t, seen=pieces: seen.append(time.perf_counter()))
        totals.append(time.perf_counter() - start)
        firsts.append(pieces[0] - start if pieces else float("nan"))
        counts.append(len(pieces))
    t0 = time.perf_counter()
    answer = engine.answer(QUESTION, passages)
    end_to_end = time.perf_counter() - t0
    print(json.dumps({
        "llm": args.llm, "threads": args.threads, "excerpts": len(excerpts),
        "prompt_chars": sum(len(m.text) for m in messages),
        "warmup_with_load_s": round(load, 2),
        "first_token_s_median": round(statistics.median(firsts), 2),
        "total_s_median": round(statistics.median(totals), 2),
        "streamed_chunks_median": statistics.median(counts),
        "chunks_per_s": round(statistics.median(counts) / statistics.median(totals), 1),
        "answer_end_to_end_s": round(end_to_end, 2),
        "last_reply": text[:300], "final_answer": answer.answer[:300], "notes": answer.notes,
    }, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
