"""Latency of an LLM backend on newsqa's real RAG prompts: first token and total.

    python benchmarks/bench_llm.py --index DIR [--llm local] [--threads 2] [--context-tokens N]

For each question, builds the real prompt (numbered excerpts from the index) and streams
the model's reply, timing the first streamed token and the whole reply; then runs the full
citation-checked answer and reports what the checks made of it.  For ``local`` the model
load is timed separately.  Different questions per run, so llama.cpp's prompt cache only
helps with the shared system-prompt prefix, as it would for a user's new questions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from newsqa.answer.llm import LlamaCppChat, call_llm
from newsqa.config import Settings
from newsqa.engine import Engine

QUESTIONS = ["What did Lavrov demand?", "Who did de Mistura blame for the attacks in Aleppo?",
             "What did the Russian Foreign Ministry say about the cessation of hostilities?"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--llm", default="local")
    ap.add_argument("--context-tokens", type=int, default=Settings().llm_context_tokens)
    args = ap.parse_args()
    engine = Engine(Settings(index=args.index, llm=args.llm, llm_threads=args.threads,
                             llm_context_tokens=args.context_tokens))
    load = None
    if isinstance(engine.llm, LlamaCppChat):
        t0 = time.perf_counter()
        engine.llm._client()
        load = round(time.perf_counter() - t0, 2)
    runs = []
    for q in QUESTIONS:
        passages = engine.search(q)
        excerpts = engine.generator.select(engine.answerer.rank(q, passages))
        messages = engine.generator.messages(q, excerpts)
        stamps: list[float] = []
        start = time.perf_counter()
        reply = call_llm(engine.llm, messages, retries=0,
                         on_token=lambda _t, seen=stamps: seen.append(time.perf_counter()))
        total = time.perf_counter() - start
        t0 = time.perf_counter()
        answer = engine.compose(q, passages)
        runs.append({
            "question": q, "prompt_chars": sum(len(m.text) for m in messages),
            "first_token_s": round(stamps[0] - start, 2) if stamps else None,
            "total_s": round(total, 2), "chunks": len(stamps),
            "answer_with_checks_s": round(time.perf_counter() - t0, 2),
            "reply": reply[:200], "kept_by_checks": not any(
                "extractive answer shown" in n for n in answer.notes) and not answer.abstained,
        })
    print(json.dumps({
        "llm": args.llm, "threads": args.threads, "context_tokens": args.context_tokens,
        "model_load_s": load,
        "load_average": os.getloadavg(),
        "first_token_s_median": statistics.median(r["first_token_s"] for r in runs),
        "total_s_median": statistics.median(r["total_s"] for r in runs),
        "runs": runs,
    }, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
