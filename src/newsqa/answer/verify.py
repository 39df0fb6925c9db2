"""Citation verification: nothing is printed that the archive does not say.

One check, :func:`check_claim`, decides whether a quote supports a claim, for every answerer
and at every stage: the generative answerer judges each sentence with it as the model
streams, and :func:`verify_answer` judges every citation again before an answer leaves the
engine, so a sentence kept while streaming is never dropped afterwards and the reverse.

1. *Exactness*: the quote is ``article.text[start:end]`` of the stored article (catalog), so a
   citation can never point at text that is not there or has changed since.
2. *Support*: the claim (the answer's text before its ``[n]`` marker) says what the quote
   says, read with its article's title (who "he" is, what "the talks" were): no number,
   name or negation that the evidence (or, for a generated answer, the question) lacks,
   and most of the claim's words in the evidence, or enough of them and a meaning the
   embedder finds close (a paraphrase).
3. *Relevance*, for generated answers: the claim with its evidence is about what was asked.
   "Nancy Pelosi [1]", copied from an excerpt, does not answer a question about Eurovision.

Unsupported claims are dropped with their citation and the rest renumbered; an answer left
with no citation becomes an abstention.  The extractive answerer quotes verbatim, so for it
this is a guard against bugs (bad offsets, a stale index); for generative answerers it is what
keeps them honest.  ``benchmarks/bench_verifier.py`` measures the check's precision and
recall on labelled claims.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace

import numpy as np

from newsqa.answer.extractive import NO_ANSWER
from newsqa.answer.markers import as_prose
from newsqa.index.catalog import Catalog
from newsqa.text.words import STOPWORDS, WORD, content_words, overlap, related
from newsqa.types import Answer, Citation

# Share of the claim's content words the evidence must hold: enough on its own (a claim that
# reuses the evidence's words), or enough together with embedding similarity (a paraphrase).
LEX_STRONG, LEX_MIN, COS_MIN = 0.75, 0.5, 0.5
# Claim and evidence together are about the question when their embedding is this close to
# the question's, or (without an embedder) hold this share of its content words.  Quiz-style
# questions share few words with their answers, so the embedding decides (bench_verifier.py).
RELEVANCE_COS, RELEVANCE_LEX = 0.3, 0.4
_MARK = re.compile(r"\s*\[(\d+)\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATION = re.compile(r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without)\b|n[’']t\b",
                       re.IGNORECASE)
_PUNCT = "\t\n .,;:!?…\"'”’»)"  # what closes a sentence after its marker
_AFTER = re.compile(f"[{re.escape(_PUNCT)}]+")


@dataclass
class Verdict:
    """Whether a claim is backed by its quote, with the evidence for the decision."""

    supported: bool
    lexical: float
    cosine: float
    reason: str = ""


def _names(claim: str) -> list[str]:
    """Capitalised words inside the claim: names (its first word is capitalised anyway)."""
    out = []
    for tok in WORD.findall(claim)[1:]:
        w = re.sub(r"['’]s$", "", tok).strip("'’-")
        if len(w) > 1 and w[0].isupper() and w.lower() not in STOPWORDS:
            out.append(w.lower())
    return out


def check_claim(claim: str, quote: str, *, title: str = "", question: str | None = None,
                embedder=None) -> Verdict:
    """Does ``quote`` (of an article titled ``title``) support ``claim``, and, when
    ``question`` is given, does the claim answer it?  See the module docstring."""
    claim = claim.lstrip(_PUNCT).strip()
    words = {w for w in content_words(claim) if not w.startswith("<")}
    if not words:
        return Verdict(False, 0.0, 0.0, "nothing to verify")
    evidence = f"{title}. {quote}" if title else quote
    flat = " ".join(as_prose(evidence).split()).lower()
    said = " ".join(claim.split()).lower().rstrip(".")
    verbatim = said in flat
    ev_words = content_words(evidence)
    if not verbatim:
        # A claim may repeat what the question itself says ("…won the 2022 Finals").
        given = f"{flat} {(question or '').lower()}"
        digits = given.replace(",", "")
        for num in _NUMBER.findall(claim):
            if num.replace(",", "") not in digits:
                return Verdict(False, 0.0, 0.0, f"number {num} is not in the excerpt")
        ev_tokens = {t.lower().strip("'’-") for t in WORD.findall(given)}
        for name in _names(claim):
            if not any(related(name, t) for t in ev_tokens):
                return Verdict(False, 0.0, 0.0, f"{name!r} is not in the excerpt")
        if len(_NEGATION.findall(claim)) > len(_NEGATION.findall(evidence)):
            return Verdict(False, 0.0, 0.0, "a negation the excerpt does not make")
    if question is not None and not answers(question, f"{claim} {evidence}", embedder):
        return Verdict(False, 0.0, 0.0, "does not answer the question")
    if verbatim:
        return Verdict(True, 1.0, 1.0)
    lex = overlap(words, ev_words)
    if lex >= LEX_STRONG:
        return Verdict(True, lex, 1.0)
    if lex < LEX_MIN or embedder is None:
        return Verdict(False, lex, 0.0, f"weak support (words {lex:.2f})")
    vecs = embedder.encode([claim, quote, evidence])
    cos = float(np.max(vecs[1:] @ vecs[0]))
    ok = cos >= COS_MIN
    return Verdict(ok, lex, cos, "" if ok else f"weak support (words {lex:.2f}, cos {cos:.2f})")


def answers(question: str, text: str, embedder=None) -> bool:
    """Whether ``text`` (a claim with its evidence) is about what ``question`` asks."""
    if overlap(content_words(question), content_words(text)) >= RELEVANCE_LEX:
        return True
    if embedder is None:
        return False
    return float(np.dot(embedder.embed_query(question), embedder.encode([text])[0])) \
        >= RELEVANCE_COS


def support(claim: str, quote: str, embedder=None) -> float:
    """How well ``quote`` supports ``claim``, in [0, 1] (1: the claim is in the quote)."""
    v = check_claim(claim, quote, embedder=embedder)
    return v.lexical if v.supported else 0.0


def claims(answer_text: str, numbers: Collection[int] | None = None) -> dict[int, str]:
    """``n -> claim``: the text between the previous marker and ``[n]`` (the last such claim
    when ``[n]`` is cited more than once; :func:`segments` has them all).

    With ``numbers`` (the answer's citation numbers) a bracketed number that cites nothing,
    such as a "[7]" an article or a model's prose let through, is part of the claim rather
    than a marker, so it can neither end a claim early nor stand for a citation.
    """
    out: dict[int, str] = {}
    for n, claim, _after in segments(answer_text, numbers):
        out[n] = claim or out.get(n, "")
    return out


def segments(answer_text: str, numbers: Collection[int] | None = None
             ) -> list[tuple[int, str, str]]:
    """``(n, claim, after)`` per marker in order: the claim it closes and the punctuation
    that follows the marker (the "." of "… Al-Nusra [1].")."""
    out: list[tuple[int, str, str]] = []
    pos = 0
    for m in _MARK.finditer(answer_text):
        if numbers is not None and int(m.group(1)) not in numbers:
            continue
        after = _AFTER.match(answer_text, m.end())
        after_text = after.group(0).rstrip() if after else ""
        out.append((int(m.group(1)), answer_text[pos:m.start()].strip(), after_text))
        pos = m.end() + len(after_text)
    return out


def is_exact(c: Citation, catalog: Catalog) -> bool:
    """The quote is the stored article's text at the recorded offsets."""
    art = catalog.get(c.article_id)
    return art is not None and 0 <= c.start < c.end <= len(art.text) \
        and art.text[c.start:c.end] == c.quote


def verify_answer(answer: Answer, catalog: Catalog, embedder=None, *,
                  question: str | None = None) -> Answer:
    """``answer`` with unverifiable claims (and citations left with none) removed, renumbered.

    ``question``: also drop claims that do not answer it (generated answers; the extractive
    answerer's own ranking already decides which sentences answer)."""
    if answer.abstained or not answer.citations:
        return answer
    by_n = {c.n: c for c in answer.citations}
    exact = {n: is_exact(c, catalog) for n, c in by_n.items()}
    kept: list[tuple[int, str, str]] = []
    dropped = 0
    for n, claim, after in segments(answer.answer, by_n):
        c = by_n[n]
        if exact[n] and check_claim(claim, c.quote, title=c.title, question=question,
                                    embedder=embedder).supported:
            kept.append((n, claim, after))
        else:
            dropped += 1
    if not dropped:
        return answer
    notes = [*answer.notes, f"dropped {dropped} unsupported citation(s)"]
    if not kept:
        return replace(answer, answer=NO_ANSWER, citations=[], abstained=True, notes=notes)
    order = list(dict.fromkeys(n for n, _, _ in kept))
    new = {n: i for i, n in enumerate(order, 1)}
    text = " ".join(f"{claim} [{new[n]}]{after}" for n, claim, after in kept)
    citations = [replace(by_n[n], n=new[n]) for n in order]
    return replace(answer, answer=text, citations=citations, notes=notes)
