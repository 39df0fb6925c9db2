"""``newsqa eval``: run a question set through the engine once and score retrieval.

The engine (model, index) is loaded once; each question is answered as ``ask`` would, and
one JSON line per question records what was retrieved and cited, so runs can be diffed.
Ranking metrics are article-level: a question is a hit@k if a gold article is among the
first k distinct articles retrieved.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from .errors import NewsqaError
from .models import Filters


def load_questions(path: Path) -> list[dict[str, Any]]:
    """Questions from JSONL; ``qid`` is accepted for ``id`` (the dev set uses it)."""
    if not path.is_file():
        raise NewsqaError(f"{path}: no such file")
    out = []
    for lineno, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as err:
            raise NewsqaError(f"{path}:{lineno}: bad JSON ({err.msg})") from err
        if not isinstance(rec, dict) or not rec.get("question"):
            raise NewsqaError(f"{path}:{lineno}: a question record needs a 'question' field")
        rec.setdefault("id", rec.get("qid") or f"q{lineno}")
        out.append(rec)
    return out


def ranking_metrics(ranked: list[str], gold: set[str]) -> dict[str, float]:
    """hits@1/5/10 and reciprocal rank (within 10) of the first gold article."""
    rank = next((i for i, a in enumerate(ranked[:10], 1) if a in gold), None)
    return {
        "hits@1": float(rank is not None and rank <= 1),
        "hits@5": float(rank is not None and rank <= 5),
        "hits@10": float(rank is not None),
        "mrr@10": 1.0 / rank if rank else 0.0,
    }


def run_eval(engine, questions: list[dict[str, Any]], *, k: int = 10,
             out: Path | None = None) -> dict[str, Any]:
    """Answer every question; write per-question lines to ``out``; return the summary."""
    sums: dict[str, float] = {}
    n_gold = 0
    latencies: list[float] = []
    sink = out.open("w", encoding="utf-8") if out else None
    try:
        for q in questions:
            t0 = time.perf_counter()
            passages = engine.search(q["question"], k=max(k * 3, engine.settings.k),
                                     filters=Filters())
            answer = engine.answerer.answer(q["question"], passages[: engine.settings.k])
            ms = (time.perf_counter() - t0) * 1000
            latencies.append(ms)
            ranked = list(dict.fromkeys(p.article_id for p in passages))[:k]
            line = {
                "id": q["id"], "retrieved": ranked, "answer": answer.answer,
                "citations": [{"article_id": c.article_id, "quote": c.quote, "start": c.start,
                               "end": c.end} for c in answer.citations],
                "latency_ms": round(ms, 1),
            }
            gold = set(q.get("gold_doc_ids") or [])
            if gold:
                n_gold += 1
                for key, v in ranking_metrics(ranked, gold).items():
                    sums[key] = sums.get(key, 0.0) + v
            if sink:
                sink.write(json.dumps(line, ensure_ascii=False) + "\n")
    finally:
        if sink:
            sink.close()
    summary: dict[str, Any] = {"questions": len(questions), "with_gold": n_gold}
    for key, total in sums.items():
        summary[key] = total / n_gold
    if latencies:
        summary["latency_p50_ms"] = statistics.median(latencies)
    return summary
