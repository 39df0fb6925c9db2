"""Extractive vs a language model, side by side on the same dev questions, judged by score.py.

    PYTHONPATH=src:. python benchmarks/bench_llm.py --index DIR [--llm local] [--every 3] \
        [--limit N] [--questions QUESTIONS.jsonl] [--scorer score.py] [--threads 2] \
        [--replies FILE] [--out DIR]

A fixed sample (every ``--every``-th question of the set, from the first) is answered twice,
as ``newsqa eval`` answers (``run_eval``: the question's date is its as-of date): once
extractive, once with ``--llm``.  Both result files are scored with the judges' scorer.  For
the model it also reports first-token and total latency of the model call (p50/p95), prompt
tokens (and how many the runtime reused from the previous answer: the rules and worked
examples), and the share of generated sentences the verifier dropped.

Model calls are slow on a CPU, so each reply is recorded in ``--replies`` (JSON lines, keyed
by the prompt) with its timings; a rerun with the same prompts re-judges the recorded
replies with the current verifier instead of generating again, and reports the timings of
the run that generated them.  The index is only read (the dev set is never copied).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from newsqa.config import Settings
from newsqa.engine import Engine
from newsqa.evaluation import load_questions, run_eval

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_dev import RTQA_DEV, SCORER, load_scorer  # noqa: E402
from common import machine, pct, write_result  # noqa: E402

_REMOVED = re.compile(r"^Removed (\d+) sentence")
_FALLBACK = "extractive answer shown"


class RecordedChat(BaseChatModel):
    """Replays a recorded reply for a prompt seen before, else asks ``inner`` and records."""

    inner: Any
    path: Path
    _seen: dict[str, dict[str, Any]] = PrivateAttr(default_factory=dict)
    calls: list[dict[str, Any]] = []

    def model_post_init(self, _context: Any) -> None:
        if self.path.exists():
            for line in self.path.read_text().splitlines():
                rec = json.loads(line)
                self._seen[rec["key"]] = rec

    @property
    def _llm_type(self) -> str:
        return "recorded"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        text = "".join(c.message.text for c in self._stream(messages, stop))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: Any = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        key = hashlib.sha256("\x00".join(str(m.text) for m in messages).encode()).hexdigest()
        rec = self._seen.get(key)
        if rec is None:
            parts = [str(c.text) for c in self.inner.stream(messages)]
            last = self.inner.runtime.last
            rec = {"key": key, "reply": "".join(parts), "prompt_tokens": last.prompt_tokens,
                   "reused_tokens": last.reused_tokens, "first_token_s": last.first_token_s,
                   "total_s": last.total_s, "generated_tokens": last.generated_tokens}
            self._seen[key] = rec
            with self.path.open("a") as fh:
                fh.write(json.dumps(rec) + "\n")
        self.calls.append(rec)
        yield ChatGenerationChunk(message=AIMessageChunk(content=rec["reply"]))


def checks(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What the verifier made of the generated sentences, from the answers' notes."""
    kept = dropped = late = fallback = abstained = 0
    for r in rows:
        notes = r["notes"]
        removed = sum(int(m.group(1)) for n in notes if (m := _REMOVED.match(n)))
        dropped += removed
        late += sum(1 for n in notes if n.startswith("dropped "))  # after streaming: should be 0
        if any(_FALLBACK in n for n in notes):
            fallback += 1
        elif r["abstained"]:
            abstained += 1
        else:
            kept += len(re.findall(r"\[\d+\]", r["answer"]))
    total = kept + dropped
    return {"generated_sentences": total, "kept": kept, "dropped": dropped,
            "dropped_share": round(dropped / total, 3) if total else None,
            "dropped_after_streaming": late, "fell_back_to_extractive": fallback,
            "abstained": abstained}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True, help="index of the dev archive")
    ap.add_argument("--questions", type=Path, default=RTQA_DEV / "questions.jsonl")
    ap.add_argument("--scorer", type=Path, default=SCORER)
    ap.add_argument("--llm", default="local")
    ap.add_argument("--every", type=int, default=3, help="sample every N-th question")
    ap.add_argument("--limit", type=int, default=None, help="only the first N of the sample")
    ap.add_argument("--threads", type=int, default=None, help="llm_threads (default: cores)")
    ap.add_argument("--replies", type=Path, default=None,
                    help="record/replay file of model replies (default: a temporary file)")
    ap.add_argument("--out", type=Path, default=None, help="folder for the result files")
    args = ap.parse_args()

    qs = load_questions(args.questions)[::args.every][:args.limit]
    out = args.out or Path(tempfile.mkdtemp(prefix="newsqa-bench-llm-"))
    out.mkdir(parents=True, exist_ok=True)
    scorer = load_scorer(args.scorer)
    gold = scorer.read_jsonl(args.questions)
    gold = [q for q in gold if q["id"] in {x["id"] for x in qs}]
    report: dict[str, Any] = {"questions": len(qs), "every": args.every, "llm": args.llm,
                              "machine": machine()}
    for name, llm in (("extractive", "none"), ("llm", args.llm)):
        settings = Settings(index=args.index, llm=llm, llm_threads=args.threads)
        engine = Engine(settings)
        if engine.llm is not None:
            t0 = time.perf_counter()
            engine.llm.runtime  # noqa: B018 (load the model outside the timings)
            report["model_load_s"] = round(time.perf_counter() - t0, 1)
            report["model"] = engine.llm.model_path
            recorder = RecordedChat(inner=engine.llm,
                                    path=args.replies or out / "replies.jsonl")
            engine.__dict__["llm"] = recorder
        path = out / f"{name}.jsonl"
        t0 = time.perf_counter()
        run_eval(engine, qs, out=path,
                 progress=lambda n, name=name: print(f"{name}: {n}/{len(qs)}", flush=True))
        rows = [json.loads(ln) for ln in path.read_text().splitlines()]
        metrics = scorer.score(gold, rows, out=sys.stderr)
        entry: dict[str, Any] = {k: round(v, 3) for k, v in metrics.items()}
        entry["ask_p50_s"] = round(pct([r["latency_ms"] / 1000 for r in rows], 50), 1)
        entry["wall_s"] = round(time.perf_counter() - t0, 1)
        if engine.llm is not None:
            calls = engine.llm.calls
            entry["model_calls"] = len(calls)
            for key in ("first_token_s", "total_s", "prompt_tokens", "reused_tokens"):
                vals = [c[key] for c in calls if c[key] is not None]
                if vals:
                    entry[f"{key}_p50"] = round(pct(vals, 50), 1)
                    entry[f"{key}_p95"] = round(pct(vals, 95), 1)
            entry["checks"] = checks(rows)
        report[name] = entry
        print(name, json.dumps(entry), flush=True)
        engine.close()
    print("saved", write_result("bench-llm", report), "results in", out)


if __name__ == "__main__":
    main()
