"""Judged retrieval and answer quality per stage on the rtqa-dev set (news-quiz questions).

Builds (or reuses) an index of the dev archive once, then runs every question through each
stage and scores the results with the judges' scorer (``../shared/eval/score.py``):

* ``dense``, ``lexical``, ``hybrid`` (fusion, no rerank), ``hybrid+rerank``: retrieval only,
  the question as written (no time words, no as-of date), ranked article ids from
  ``Retriever.search(question, 30, None, mode=..., rerank=...)``;
* ``full``: the product path. ``Engine.ask(question, as_of=date)`` gives the answer and its
  citations, ``Engine.search(question, k=30, as_of=date)`` the ranked ids (time words
  applied); ``date`` is the question's own date.

Each stage prints hits@1/5/10 and MRR@10 (the scorer's ``retrieval_metrics``); ``full`` also
citation_hit, citation_precision, evidence_quoted, mc_accuracy and citations_per_q (its
``answer_metrics``).  The last column is the median latency of one call, warm: the search
for the retrieval stages, ``ask`` for ``full``.  The run ends with a markdown table, the
date, the machine and the command line, ready to paste into ``docs/benchmarks.md``.

The index is cached outside the repository, in
``~/.cache/newsqa/bench-dev/<archive file>-<hash of its size and mtime>``, and built with
``Engine.ingest`` when missing; ``--index DIR`` uses (or builds) another one.  The dev data
is only read from its paths, never copied (``--out`` must lie outside the repository).
Run from the repository root::

    PYTHONPATH=src:. python benchmarks/bench_dev.py [--stages dense,full] [--limit 15] \
        [--archive CORPUS.jsonl] [--questions QUESTIONS.jsonl] [--index DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from newsqa.config import Settings
from newsqa.engine import Engine
from newsqa.evaluation import dedupe, load_questions, question_date

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_stages import STAGES as RETRIEVAL_STAGES  # noqa: E402
from common import DATA, machine, median  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
RTQA_DEV = DATA / "dev-eval" / "rtqa-dev"
SCORER = DATA.parent / "eval" / "score.py"
CACHE = Path.home() / ".cache" / "newsqa" / "bench-dev"
STAGES = [*RETRIEVAL_STAGES, "full"]
DEPTH = 30  # passages searched per question; the scorer ranks their first 10 articles
RETRIEVAL_KEYS = ["hits@1", "hits@5", "hits@10", "mrr@10"]
ANSWER_KEYS = ["citation_hit", "citation_precision", "evidence_quoted", "mc_accuracy",
               "citations_per_q"]


def load_scorer(path: Path) -> ModuleType:
    """The scorer module, imported from its file."""
    if not path.is_file():
        sys.exit(f"no scorer at {path} (see --scorer)")
    spec = importlib.util.spec_from_file_location("rtqa_score", path)
    if spec is None or spec.loader is None:
        sys.exit(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def default_index(archive: Path) -> Path:
    """The cache folder of ``archive``'s index: a new archive file (size, mtime) gets a new one."""
    st = archive.stat()
    key = hashlib.sha1(f"{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:10]
    return CACHE / f"{archive.name}-{key}"


def open_index(index: Path, archive: Path) -> Engine:
    """An engine on ``index``, ingesting ``archive`` first when there is no index there.

    The index is built in a sibling folder and moved into place when complete, so an
    interrupted build is never taken for a finished one.
    """
    if Engine(Settings(index=index)).exists():
        print(f"index: {index} (cached)", flush=True)
        return Engine(Settings(index=index))
    if index.exists() and any(index.iterdir()):
        sys.exit(f"{index} exists but holds no index: remove it or choose another --index")
    index.parent.mkdir(parents=True, exist_ok=True)
    tmp = index.parent / f".{index.name}.building-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"building the index of {archive} in {index} ...", flush=True)
    t0 = time.perf_counter()
    try:
        builder = Engine(Settings(index=tmp))
        report = builder.ingest([archive])
        builder.close()
        if index.exists():
            index.rmdir()
        tmp.rename(index)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"built in {time.perf_counter() - t0:.1f} s: {report.added} articles, "
          f"{report.chunks} chunks, {report.duplicate} duplicates, {report.n_failed} failed",
          flush=True)
    return Engine(Settings(index=index))


def progress(stage: str, total: int) -> Callable[[int], None]:
    """A callback printing ``stage n/total`` on stderr every 25 questions and at the end."""
    t0 = time.perf_counter()

    def report(n: int) -> None:
        if n % 25 == 0 or n == total:
            print(f"  {stage}: {n}/{total} ({time.perf_counter() - t0:.0f} s)",
                  file=sys.stderr, flush=True)
    return report


def run_retrieval(engine: Engine, qs: list[dict[str, Any]], mode: str, rerank: bool,
                  tick: Callable[[int], None]) -> tuple[list[dict[str, Any]], list[float]]:
    """Ranked article ids per question from the retriever alone (no time words)."""
    rows, ms = [], []
    for n, q in enumerate(qs, 1):
        t0 = time.perf_counter()
        ps = engine.retriever.search(q["question"], DEPTH, None, mode=mode, rerank=rerank)
        ms.append((time.perf_counter() - t0) * 1000)
        rows.append({"id": q["id"], "retrieved": dedupe(p.article_id for p in ps)})
        tick(n)
    return rows, ms


def run_full(engine: Engine, qs: list[dict[str, Any]],
             tick: Callable[[int], None]) -> tuple[list[dict[str, Any]], list[float]]:
    """The answer, its citations and the ranked ids of the product path, as of each date."""
    rows, ms = [], []
    for n, q in enumerate(qs, 1):
        as_of = question_date(q)
        t0 = time.perf_counter()
        ans = engine.ask(q["question"], as_of=as_of)
        ms.append((time.perf_counter() - t0) * 1000)
        ps = engine.search(q["question"], k=DEPTH, as_of=as_of)
        rows.append({
            "id": q["id"], "retrieved": dedupe(p.article_id for p in ps),
            "answer": ans.answer, "abstained": ans.abstained, "notes": ans.notes,
            "citations": [{"article_id": c.article_id, "quote": c.quote, "start": c.start,
                           "end": c.end} for c in ans.citations],
            "latency_ms": round(ms[-1], 1),
        })
        tick(n)
    return rows, ms


def fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def table(results: dict[str, dict[str, float]]) -> str:
    """The markdown table of the stages' metrics ("–" where a stage has no such metric)."""
    keys = RETRIEVAL_KEYS + ANSWER_KEYS
    lines = ["| stage | " + " | ".join(keys) + " | median ms |",
             "|---" * (len(keys) + 2) + "|"]
    for stage, m in results.items():
        cells = [fmt(m.get(k)) for k in keys] + [f"{m['median_ms']:.0f}"]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_stages(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in names if s not in STAGES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown stage(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(STAGES)}")
    return names


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", type=Path, default=RTQA_DEV / "corpus.jsonl",
                    help="JSONL archive to index (default: %(default)s)")
    ap.add_argument("--questions", type=Path, default=RTQA_DEV / "questions.jsonl",
                    help="JSONL questions with gold ids, choices and evidence"
                    " (default: %(default)s)")
    ap.add_argument("--scorer", type=Path, default=SCORER,
                    help="the scorer's score.py (default: %(default)s)")
    ap.add_argument("--index", type=Path,
                    help=f"index folder, built when missing (default: a cache in {CACHE})")
    ap.add_argument("--stages", type=parse_stages, default=STAGES,
                    help=f"comma-separated subset of {','.join(STAGES)} (default: all)")
    ap.add_argument("--out", type=Path, help="write STAGE.jsonl results (scorer format) here")
    ap.add_argument("--limit", type=int, help="only the first N questions")
    args = ap.parse_args()

    if not args.archive.is_file():
        sys.exit(f"no archive at {args.archive} (see --archive)")
    if args.out and args.out.resolve().is_relative_to(REPO):
        sys.exit(f"--out {args.out} is inside the repository: the results quote the dev"
                 " archive, write them elsewhere")
    scorer = load_scorer(args.scorer)
    qs = load_questions(args.questions)[:args.limit]
    engine = open_index(args.index or default_index(args.archive), args.archive)
    print(f"{len(qs)} questions from {args.questions}; {engine.catalog.stats()['articles']} "
          f"articles indexed", flush=True)
    engine.search("warm up the model and the indexes")
    if "full" in args.stages:
        engine.ask("What happened this week?")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)

    results: dict[str, dict[str, float]] = {}
    for stage in args.stages:
        tick = progress(stage, len(qs))
        if stage == "full":
            rows, ms = run_full(engine, qs, tick)
        else:
            rows, ms = run_retrieval(engine, qs, **RETRIEVAL_STAGES[stage], tick=tick)
        by_id = {r["id"]: r for r in rows}
        m = dict(scorer.retrieval_metrics(qs, by_id))
        if stage == "full":
            m.update(scorer.answer_metrics(qs, by_id))
        m["median_ms"] = median(ms)
        results[stage] = m
        print(stage, " ".join(f"{k}={v:.3f}" for k, v in m.items() if k != "median_ms"),
              f"median_ms={m['median_ms']:.0f}", flush=True)
        if args.out:
            (args.out / f"{stage}.jsonl").write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")

    mach = machine()
    print()
    print(table(results))
    print()
    print(f"Measured {time.strftime('%Y-%m-%d')}; {platform.platform()}, "
          f"{os.cpu_count()} CPUs ({mach['cpu']}), load average "
          + " ".join(f"{x:.1f}" for x in mach["loadavg"])
          + f"; {len(qs)} questions. Median ms: one warm search (retrieval stages), "
          "one warm ask (full).")
    print("Command: " + shlex.join(["python", *sys.argv]))
    engine.close()


if __name__ == "__main__":
    main()
