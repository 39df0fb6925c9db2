"""``newsqa eval``: run a question set through the engine once and score retrieval and answers.

The engine (model, index) is loaded once; each question is answered as ``ask`` would (a
question's ``date`` is its as-of date for "this week", "latest", …), and one JSON line per
question records what was retrieved and cited, so runs can be diffed.  Ranking metrics are
article-level: a question is a hit@k if a gold article is among the first k distinct articles
retrieved.  Answer metrics: ``evidence_quoted`` (a cited quote contains the gold evidence
text, when the question has ``evidence``), ``citation_precision`` (share of citations that
point to a gold article, when gold ids exist) and ``abstained`` (share of questions answered
with "nothing in the archive").  ``benchmarks/bench_stages.py`` reuses these functions.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from newsqa.errors import NewsqaError
from newsqa.text.dates import normalize_date
from newsqa.types import Answer


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


def question_date(q: dict[str, Any]) -> date | None:
    """A question's as-of date (its ``date`` field), for relative time words."""
    iso = normalize_date(q.get("date"))
    if not iso:
        return None
    parts = [int(p) for p in iso.split("-")] + [1, 1]
    return date(parts[0], parts[1], parts[2])


def dedupe(ids: Iterable[str]) -> list[str]:
    """Article ids in first-seen order: two passages of one article rank once."""
    return list(dict.fromkeys(ids))


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def answer_metrics(answer: Answer | dict[str, Any], q: dict[str, Any]) -> dict[str, float | None]:
    """Evidence quoted, citation precision, abstained; None where the question has no gold."""
    a = answer.to_dict() if isinstance(answer, Answer) else answer
    cites = a.get("citations") or []
    gold = set(q.get("gold_doc_ids") or [])
    evidence = q.get("evidence")
    return {
        "abstained": float(bool(a.get("abstained"))),
        "evidence_quoted": (float(any(_norm(evidence) in _norm(c["quote"]) for c in cites))
                            if evidence else None),
        "citation_precision": (sum(c["article_id"] in gold for c in cites) / len(cites)
                               if gold and cites else None),
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Means of the metrics present in ``rows`` (None skipped), latency p50/p95."""
    keys = ["hits@1", "hits@5", "hits@10", "mrr@10", "evidence_quoted", "citation_precision",
            "abstained"]
    out: dict[str, Any] = {"questions": len(rows)}
    for key in keys:
        vals = [r[key] for r in rows if r.get(key) is not None]
        if vals:
            out[key] = round(sum(vals) / len(vals), 3)
    lat = sorted(r["latency_ms"] for r in rows if r.get("latency_ms") is not None)
    if lat:
        out["latency_p50_ms"] = round(statistics.median(lat), 1)
        out["latency_p95_ms"] = round(lat[round(0.95 * (len(lat) - 1))], 1)
    return out


def ranking_metrics(ranked: list[str], gold: Iterable[str]) -> dict[str, float]:
    """hits@1/5/10 and reciprocal rank (within 10) of the first gold article."""
    gold = set(gold)
    rank = next((i for i, a in enumerate(ranked[:10], 1) if a in gold), None)
    return {
        "hits@1": float(rank is not None and rank <= 1),
        "hits@5": float(rank is not None and rank <= 5),
        "hits@10": float(rank is not None),
        "mrr@10": 1.0 / rank if rank else 0.0,
    }


# Articles ranked for hits@1/5/10 and MRR@10, from a search of three passages per article
# (at most ``max_per_article`` passages of one article come back, and it ranks once).
RANK_DEPTH = 10


def run_eval(engine, questions: list[dict[str, Any]], *, k: int | None = None,
             out: Path | None = None,
             progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Answer every question; write per-question lines to ``out``; return the summary.

    Each answer is the one ``newsqa ask`` gives (``engine.ask`` with the same ``k``, default
    the settings' k, and the question's date as its as-of date), so a question scores what a
    user would read; ``latency_ms`` is that call's.  The ranking metrics are over the first
    ``RANK_DEPTH`` articles of a separate, deeper search.  ``with_gold`` counts questions
    with gold ids (the ranking metrics are over those); the answer metrics are over the
    questions that have the field they need.  ``progress`` receives the number of questions
    done after each one.
    """
    rows: list[dict[str, Any]] = []
    sink = out.open("w", encoding="utf-8") if out else None
    try:
        for n, q in enumerate(questions, 1):
            as_of = question_date(q)
            t0 = time.perf_counter()
            answer = engine.ask(q["question"], k=k, as_of=as_of)
            ms = (time.perf_counter() - t0) * 1000
            passages = engine.search(q["question"], k=RANK_DEPTH * 3, as_of=as_of)
            ranked = dedupe(p.article_id for p in passages)[:RANK_DEPTH]
            line = {
                "id": q["id"], "retrieved": ranked, "answer": answer.answer,
                "citations": [{"article_id": c.article_id, "quote": c.quote, "start": c.start,
                               "end": c.end} for c in answer.citations],
                "abstained": answer.abstained, "notes": answer.notes,
                "latency_ms": round(ms, 1),
            }
            row = {**answer_metrics(answer, q), "latency_ms": ms}
            if q.get("gold_doc_ids"):
                row.update(ranking_metrics(ranked, q["gold_doc_ids"]))
            rows.append(row)
            if sink:
                sink.write(json.dumps(line, ensure_ascii=False) + "\n")
            if progress:
                progress(n)
    finally:
        if sink:
            sink.close()
    summary = summarize(rows)
    summary["with_gold"] = sum(1 for q in questions if q.get("gold_doc_ids"))
    return summary
