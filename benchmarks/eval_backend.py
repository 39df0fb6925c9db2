"""Retrieval quality per embedding backend: hits@k on the dev questions, torch vs onnx-int8.

int8 vectors are ~0.99 cosine to fp32 ones, which says little about ranking; this builds
the same small index with each backend (gold articles of the dev set plus distractors from
the same sample files) and scores the dev questions with ``newsqa eval``'s metrics.

  PYTHONPATH=src:. python benchmarks/eval_backend.py --distractors 80 \
      [--questions SEED_QA.jsonl] [--archive SAMPLE_DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SAMPLE, SEED_QA, machine, write_result  # noqa: E402


def build_corpus(dest: Path, questions: Path, sample: Path, distractors: int) -> Path:
    """Gold articles of every question plus the first records of each sample file."""
    gold = {d for ln in questions.open() if ln.strip() for d in json.loads(ln)["gold_doc_ids"]}
    files = sorted(sample.glob("*.jsonl"))
    per_file = max(1, distractors // len(files))
    out = dest / "corpus.jsonl"
    with out.open("w") as fh:
        for f in files:
            recs = [json.loads(ln) for ln in f.open() if ln.strip()]
            picked = [r for r in recs if r["id"] in gold] + \
                list(itertools.islice((r for r in recs if r["id"] not in gold), per_file))
            for r in picked:
                fh.write(json.dumps(r) + "\n")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--distractors", type=int, default=80)
    ap.add_argument("--backends", nargs="+", default=["torch", "onnx-int8"])
    ap.add_argument("--k", type=int, default=None, help="passages per answer (default: the "
                    "k setting, as newsqa ask)")
    ap.add_argument("--questions", type=Path, default=SEED_QA,
                    help="JSONL question set with gold_doc_ids (default: %(default)s)")
    ap.add_argument("--archive", type=Path, default=SAMPLE,
                    help="folder of JSONL files holding the gold articles (default: %(default)s)")
    args = ap.parse_args()

    from newsqa.config import Settings
    from newsqa.engine import Engine
    from newsqa.evaluation import load_questions, run_eval

    work = Path(tempfile.mkdtemp(prefix="newsqa-eval-"))
    corpus = build_corpus(work, args.questions, args.archive, args.distractors)
    questions = load_questions(args.questions)
    rows = {}
    for backend in args.backends:
        eng = Engine(Settings(index=work / backend, embed_backend=backend))
        t = time.perf_counter()
        rep = eng.ingest([corpus])
        ingest_s = time.perf_counter() - t
        summary = run_eval(eng, questions, k=args.k)
        rows[backend] = {"ingest_s": round(ingest_s, 1), "articles": rep.added,
                         "chunks": rep.chunks,
                         **{k: v for k, v in summary.items() if not isinstance(v, list | dict)}}
        print(backend, json.dumps(rows[backend]), flush=True)
        eng.close()
    res = {"questions": len(questions), "machine": machine(), "backends": rows}
    print("saved", write_result("eval-backend", res))


if __name__ == "__main__":
    main()
