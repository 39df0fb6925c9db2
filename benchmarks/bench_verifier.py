"""Precision and recall of the claim verifier (``verify.check_claim``) on labelled claims.

    PYTHONPATH=src:. python benchmarks/bench_verifier.py [--questions QUESTIONS.jsonl] \
        [--corpus CORPUS.jsonl] [--seed 7]

The labelled set is built from the dev set each run (nothing of it is stored): for every
question, the sentences of its gold article that its human evidence note restates (at least
half of a note sentence's content words) are the quotes.  From each (note sentence, quote)
pair come claims of known label:

* supported: ``verbatim`` (the quote itself), ``paraphrase`` (the note's own sentence: a
  person's rewording; where it adds a detail of a neighbouring sentence the label is wrong,
  so recall here is a lower bound);
* unsupported (altered quotes): ``number`` (a figure changed), ``name`` (a name replaced
  by another question's), ``negated`` ("not" added), ``wrong_choice`` (the right answer
  replaced by a wrong choice of the quiz), ``other_article`` (another question's quote,
  judged against this one);
* ``off_question``: a quote's own sentence, judged for a different question.

Accepting is the positive class: precision is the share of accepted claims that are
supported (and, with the question, about it); recall the share of supported claims accepted.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from newsqa.answer.verify import check_claim
from newsqa.config import Settings
from newsqa.engine import Engine
from newsqa.text.sentences import sentence_spans
from newsqa.text.words import content_words, overlap

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_dev import RTQA_DEV  # noqa: E402
from common import machine, write_result  # noqa: E402

POSITIVE = {"verbatim", "paraphrase"}
_AUX = re.compile(r"\b(is|are|was|were|will|has|have|had|can|would|could|should)\b")
_NUM = re.compile(r"\b\d+\b")
_NAME = re.compile(r"(?<=[a-z,] )[A-Z][a-z]{3,}")
_SENT = re.compile(r"(?<=[.!?])\s+(?=[\"“A-Z0-9])")


def pairs(q: dict[str, Any], art: dict[str, Any]) -> list[tuple[str, str]]:
    """(note sentence, the gold article's sentence it restates) for one question."""
    text = art["text"]
    sents = [text[a:b] for a, b in sentence_spans(text, 0, len(text))]
    out = []
    for note in _SENT.split(q.get("evidence") or ""):
        words = content_words(note)
        if len(words) < 4:
            continue
        best = max(sents, key=lambda s: overlap(words, content_words(s)), default=None)
        if best and overlap(words, content_words(best)) >= 0.5 and len(best) < 400:
            out.append((note.strip(), best.strip()))
    return out


def build(questions: list[dict[str, Any]], corpus: dict[str, dict[str, Any]],
          rng: random.Random) -> list[dict[str, Any]]:
    """The labelled claims: ``{kind, claim, quote, title, question, label}``."""
    found = []
    for q in questions:
        art = next((corpus[g] for g in q["gold_doc_ids"] if g in corpus), None)
        if art:
            for note, quote in pairs(q, art):
                found.append((q, art, note, quote))
    names = [m.group(0) for _, _, _, quote in found for m in _NAME.finditer(quote)]
    items = []
    for q, art, note, quote in found:
        def add(kind: str, claim: str, question: str = q["question"],
                q=q, art=art, quote=quote) -> None:
            items.append({"kind": kind, "claim": claim, "quote": quote, "title": art["title"],
                          "question": question, "qid": q["id"],
                          "label": kind in POSITIVE})
        add("verbatim", quote)
        if " ".join(note.split()) != " ".join(quote.split()):
            add("paraphrase", note)
        if m := _NUM.search(quote):
            add("number", quote[:m.start()] + str(int(m.group(0)) + 7) + quote[m.end():])
        inner = [m for m in _NAME.finditer(quote)]
        swaps = [n for n in names if n.lower() not in quote.lower()]
        if inner and swaps:
            m = rng.choice(inner)
            add("name", quote[:m.start()] + rng.choice(swaps) + quote[m.end():])
        if m := _AUX.search(quote):
            add("negated", quote[:m.end()] + " not" + quote[m.end():])
        right = q["answers"][0].strip("“”\"")
        wrong = [c.strip("“”\"") for c in q["choices"] if c not in q["answers"]]
        if right and right in quote and wrong:
            add("wrong_choice", quote.replace(right, rng.choice(wrong)))
        other = found[rng.randrange(len(found))]
        if other[0]["id"] != q["id"]:
            add("other_article", other[3])
            add("off_question", quote, other[0]["question"])
    return items


def measure(items: list[dict[str, Any]], embedder, with_question: bool) -> dict[str, Any]:
    accepted: dict[str, int] = Counter()
    totals: dict[str, int] = Counter()
    tp = fp = fn = 0
    wrong: dict[str, list[str]] = defaultdict(list)
    for it in items:
        if it["kind"] == "off_question" and not with_question:
            continue
        v = check_claim(it["claim"], it["quote"], title=it["title"], embedder=embedder,
                        question=it["question"] if with_question else None)
        totals[it["kind"]] += 1
        accepted[it["kind"]] += v.supported
        if v.supported and it["label"]:
            tp += 1
        elif v.supported:
            fp += 1
            wrong[it["kind"]].append(it["claim"][:120])
        elif it["label"]:
            fn += 1
            wrong[it["kind"]].append(f"{it['claim'][:100]} ({v.reason})")
    return {"precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "recall": round(tp / (tp + fn), 3) if tp + fn else None,
            "accepted_share": {k: f"{accepted[k]}/{totals[k]}" for k in totals},
            "examples_misjudged": {k: v[:3] for k, v in wrong.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", type=Path, default=RTQA_DEV / "questions.jsonl")
    ap.add_argument("--corpus", type=Path, default=RTQA_DEV / "corpus.jsonl")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    questions = [json.loads(ln) for ln in args.questions.open() if ln.strip()]
    gold = {g for q in questions for g in q["gold_doc_ids"]}
    corpus = {}
    with args.corpus.open() as fh:
        for ln in fh:
            rec = json.loads(ln)
            if rec["id"] in gold:
                corpus[rec["id"]] = rec
    items = build(questions, corpus, random.Random(args.seed))
    embedder = Engine(Settings()).embedder
    report = {"claims": dict(Counter(it["kind"] for it in items)), "machine": machine(),
              "support_only": measure(items, embedder, with_question=False),
              "with_question": measure(items, embedder, with_question=True)}
    print(json.dumps(report, indent=1, ensure_ascii=False))
    print("saved", write_result("bench-verifier", report))


if __name__ == "__main__":
    main()
