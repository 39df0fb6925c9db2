"""Evaluation metrics: ranking (article level) and answers (evidence quoted, citations right).

Shared by ``newsqa eval`` and ``benchmarks/bench_stages.py`` so the README numbers and the
CLI's numbers are the same computation.  Ranking metrics are over the *deduplicated article*
list (two passages of one article count once), as the held-out judgement is article level.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from .dates import normalize_date
from .models import Answer


def load_questions(path: Path) -> list[dict[str, Any]]:
    """Questions from JSONL; ``qid`` is accepted for ``id``, ``gold_doc_ids`` stay lists."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            q = json.loads(line)
            q.setdefault("id", q.get("qid"))
            out.append(q)
    return out


def question_date(q: dict[str, Any]) -> date | None:
    """A question's as-of date (its ``date`` field), for relative time words."""
    iso = normalize_date(q.get("date"))
    if not iso:
        return None
    parts = [int(p) for p in iso.split("-")] + [1, 1]
    return date(parts[0], parts[1], parts[2])


def dedupe(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def ranking_metrics(retrieved: list[str], gold: Iterable[str]) -> dict[str, float]:
    """hits@1/5/10 and reciprocal rank @10 of the first gold article."""
    gold = set(gold)
    ranked = dedupe(retrieved)
    first = next((i for i, a in enumerate(ranked[:10], 1) if a in gold), None)
    return {
        "hits@1": float(first is not None and first <= 1),
        "hits@5": float(first is not None and first <= 5),
        "hits@10": float(first is not None),
        "mrr@10": 1.0 / first if first else 0.0,
    }


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def answer_metrics(answer: Answer | dict[str, Any], q: dict[str, Any]) -> dict[str, float | None]:
    """Evidence quoted, citation precision (gold ids), abstained: None where no gold exists."""
    a = answer.to_dict() if isinstance(answer, Answer) else answer
    cites = a.get("citations") or []
    gold = set(q.get("gold_doc_ids") or [])
    evidence = q.get("evidence")
    out: dict[str, float | None] = {"abstained": float(bool(a.get("abstained")))}
    out["evidence_quoted"] = (
        float(any(_norm(evidence) in _norm(c["quote"]) for c in cites)) if evidence else None
    )
    out["citation_precision"] = (
        sum(c["article_id"] in gold for c in cites) / len(cites) if gold and cites else None
    )
    return out


def summarize(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Means of every numeric metric present in ``rows`` (None values skipped), plus latency."""
    keys = ["hits@1", "hits@5", "hits@10", "mrr@10", "evidence_quoted", "citation_precision",
            "abstained"]
    out: dict[str, float] = {"questions": len(rows)}
    for k in keys:
        vals = [r[k] for r in rows if r.get(k) is not None]
        if vals:
            out[k] = round(sum(vals) / len(vals), 3)
    lat = sorted(r["latency_ms"] for r in rows if r.get("latency_ms") is not None)
    if lat:
        out["latency_p50_ms"] = round(statistics.median(lat), 1)
        out["latency_p95_ms"] = round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 1)
    return out
