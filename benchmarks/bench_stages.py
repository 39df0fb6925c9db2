"""Per-stage retrieval gains and answer quality on the dev sets.

Stages: dense only, lexical (BM25) only, hybrid (RRF), hybrid + rerank.  Question sets:

* ``seed``: ``dev-eval/seed-qa.jsonl`` (18 human-written questions with gold articles and
  evidence sentences);
* ``titles``: title-as-question over a seeded sample of the index's own articles (a larger,
  lexically easier set that guards against tuning to 18 questions);
* ``negatives``: questions whose answers are not in the archive (RGB's news questions against
  the sample archive), for the false-answer rate of abstention.

Run against an index of the full sample archive::

    python benchmarks/bench_stages.py --index SAMPLE_INDEX --out stages.json \
        [--questions SEED_QA.jsonl] [--negatives-file RGB.json]

Ranking metrics are article level (deduplicated); ask latency is warm, per question.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from newsqa.config import Settings
from newsqa.engine import Engine
from newsqa.evaluation import (
    answer_metrics,
    dedupe,
    load_questions,
    question_date,
    ranking_metrics,
    summarize,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RGB, SEED_QA, title_questions  # noqa: E402

STAGES = {
    "dense": {"mode": "dense", "rerank": False},
    "lexical": {"mode": "lexical", "rerank": False},
    "hybrid": {"mode": "hybrid", "rerank": False},
    "hybrid+rerank": {"mode": "hybrid", "rerank": True},
}


def negative_questions(path: Path, n: int) -> list[dict]:
    if not path.exists():
        return []
    qs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [{"id": f"neg-{q['id']}", "question": q["query"]} for q in qs[:n]]


def run_stage(engine: Engine, qs: list[dict], mode: str, rerank: bool) -> dict:
    rows = []
    for q in qs:
        frame = engine.time_frame(q["question"], question_date(q))
        filters = frame.filters() if frame.found else None
        t0 = time.perf_counter()
        ps = engine.retriever.search(frame.query, 30, filters, frame=frame, mode=mode,
                                     rerank=rerank)
        ms = (time.perf_counter() - t0) * 1000
        ranked = dedupe(p.article_id for p in ps)[:10]
        rows.append({**ranking_metrics(ranked, q["gold_doc_ids"]), "latency_ms": ms})
    return summarize(rows)


def run_answers(engine: Engine, qs: list[dict]) -> tuple[dict, list[dict]]:
    rows, out = [], []
    for q in qs:
        t0 = time.perf_counter()
        ans = engine.ask(q["question"], as_of=question_date(q))
        ms = (time.perf_counter() - t0) * 1000
        row = {**answer_metrics(ans, q), "latency_ms": ms}
        if q.get("gold_doc_ids"):
            row.update(ranking_metrics(ans.retrieved, q["gold_doc_ids"]))
        rows.append(row)
        out.append({"id": q["id"], **ans.to_dict(), "latency_ms": round(ms, 1)})
    return summarize(rows), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--questions", "--seed-qa", dest="seed_qa", type=Path, default=SEED_QA,
                    help="JSONL question set with gold articles (default: %(default)s)")
    ap.add_argument("--titles", type=int, default=150)
    ap.add_argument("--negatives", type=int, default=100)
    ap.add_argument("--negatives-file", type=Path, default=RGB,
                    help="RGB-style JSON lines of questions the archive cannot answer"
                    " (default: %(default)s)")
    ap.add_argument("--stages", default=",".join(STAGES))
    ap.add_argument("--out", type=Path)
    ap.add_argument("--answers-out", type=Path, help="per-question answers (JSONL)")
    args = ap.parse_args()

    engine = Engine(Settings(index=args.index))
    sets = {"seed": load_questions(args.seed_qa),
            "titles": title_questions(engine, args.titles)}
    engine.search("warm up the model and the indexes")
    report: dict = {"stages": {}, "answers": {}}
    for name in args.stages.split(","):
        report["stages"][name] = {s: run_stage(engine, qs, **STAGES[name])
                                  for s, qs in sets.items() if qs}
        print(name, json.dumps(report["stages"][name]), flush=True)
    answers = []
    for s, qs in [("seed", sets["seed"]),
                  ("negatives", negative_questions(args.negatives_file, args.negatives))]:
        if qs:
            report["answers"][s], rows = run_answers(engine, qs)
            answers += rows
            print("answers", s, json.dumps(report["answers"][s]), flush=True)
    lat = [r["latency_ms"] for r in answers]
    if lat:
        report["ask_latency_ms"] = {"p50": round(statistics.median(lat), 1),
                                    "p95": round(sorted(lat)[int(0.95 * (len(lat) - 1))], 1)}
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))
    if args.answers_out:
        args.answers_out.write_text("".join(json.dumps(r) + "\n" for r in answers))
    print(json.dumps(report.get("ask_latency_ms")))


if __name__ == "__main__":
    main()
