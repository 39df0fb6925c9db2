"""Citation verification: nothing is printed that the archive does not say.

Before an answer leaves the engine every citation is checked twice:

1. *Exactness*: the quote is ``article.text[start:end]`` of the stored article (catalog), so a
   citation can never point at text that is not there or has changed since.
2. *Support*: the claim the citation backs (the answer text before its ``[n]`` marker) is
   supported by the quote: the share of the claim's content words present in the quote, or,
   for paraphrasing answerers, the embedding similarity of claim and quote.

Unsupported citations are dropped with their claim and the rest renumbered; an answer left
with no citation becomes an abstention.  The extractive answerer quotes verbatim, so for it
this is a guard against bugs (bad offsets, a stale index); for generative answerers it is what
keeps them honest.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import replace

import numpy as np

from newsqa.answer.extractive import NO_ANSWER
from newsqa.answer.markers import as_prose
from newsqa.index.catalog import Catalog
from newsqa.text.words import content_words, overlap
from newsqa.types import Answer, Citation

# A claim is supported when this share of its content words is in the quote, or when claim
# and quote are this similar in embedding space.
LEXICAL_SUPPORT = 0.6
SEMANTIC_SUPPORT = 0.75
_MARK = re.compile(r"\s*\[(\d+)\]")


def claims(answer_text: str, numbers: Collection[int] | None = None) -> dict[int, str]:
    """``n -> claim``: the text between the previous marker and ``[n]``.

    With ``numbers`` (the answer's citation numbers) a bracketed number that cites nothing,
    such as a "[7]" an article or a model's prose let through, is part of the claim rather
    than a marker, so it can neither end a claim early nor stand for a citation.
    """
    out: dict[int, str] = {}
    pos = 0
    for m in _MARK.finditer(answer_text):
        n = int(m.group(1))
        if numbers is not None and n not in numbers:
            continue
        claim = answer_text[pos:m.start()].strip()
        out[n] = claim or out.get(n, "")
        pos = m.end()
    return out


def support(claim: str, quote: str, embedder=None) -> float:
    """How well ``quote`` supports ``claim``, in [0, 1] (1: the claim is in the quote)."""
    if not claim:
        return 0.0
    said = " ".join(claim.split())
    if said in " ".join(quote.split()) or said in " ".join(as_prose(quote).split()):
        return 1.0  # the quote itself, or as the answer's prose writes it (markers.py)
    lex = overlap(content_words(claim), content_words(quote))
    if lex >= LEXICAL_SUPPORT or embedder is None:
        return lex
    a, b = embedder.encode([claim, quote])
    sem = float(np.dot(a, b))
    return max(lex, sem * LEXICAL_SUPPORT / SEMANTIC_SUPPORT)


def is_exact(c: Citation, catalog: Catalog) -> bool:
    """The quote is the stored article's text at the recorded offsets."""
    art = catalog.get(c.article_id)
    return art is not None and 0 <= c.start < c.end <= len(art.text) \
        and art.text[c.start:c.end] == c.quote


def verify_answer(answer: Answer, catalog: Catalog, embedder=None) -> Answer:
    """``answer`` with unverifiable citations (and their claims) removed, renumbered."""
    if answer.abstained or not answer.citations:
        return answer
    by_n = claims(answer.answer, {c.n for c in answer.citations})
    kept: list[tuple[str, Citation]] = []
    dropped: list[int] = []
    for c in answer.citations:
        claim = by_n.get(c.n, "")
        if is_exact(c, catalog) and support(claim, c.quote, embedder) >= LEXICAL_SUPPORT:
            kept.append((claim, c))
        else:
            dropped.append(c.n)
    if not dropped:
        return answer
    notes = [*answer.notes, f"dropped {len(dropped)} unsupported citation(s)"]
    if not kept:
        return replace(answer, answer=NO_ANSWER, citations=[], abstained=True, notes=notes)
    citations = [replace(c, n=i) for i, (_, c) in enumerate(kept, 1)]
    text = " ".join(f"{claim} [{c.n}]" for (claim, _), c in zip(kept, citations, strict=True))
    return replace(answer, answer=text, citations=citations, notes=notes)
