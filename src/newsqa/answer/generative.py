"""Generated answers whose citations are enforced, not hoped for.

The model sees numbered excerpts — whole sentences of the retrieved passages, located by
offsets in the catalog's article text — and must end every sentence with ``[n]``.  Its reply
is parsed sentence by sentence; a sentence survives only if it cites an excerpt that exists
and supports it on its own (``verify.check_claim``, which every answer passes again before it
leaves the engine).  Survivors are renumbered, and each number becomes a :class:`Citation` of
the excerpt's exact span, so quotes stay verbatim whatever the model writes.  When nothing
survives, the user gets the extractive answer and a note saying so; when the model says the
excerpts do not answer, the user gets an abstention, never the model's own knowledge.
Article text is data inside delimiters: an excerpt saying "ignore previous instructions" can
at worst produce a sentence that fails the checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from newsqa.answer.extractive import (
    NO_ANSWER,
    Candidate,
    ExtractiveAnswerer,
)
from newsqa.answer.llm import LLMUnavailable, call_llm
from newsqa.answer.markers import as_prose
from newsqa.answer.prompts import ABSTAIN, ANSWER_SYSTEM, EXAMPLES, answer_request, excerpt_block
from newsqa.answer.verify import Verdict, check_claim
from newsqa.config import Settings
from newsqa.text.sentences import sentence_spans
from newsqa.text.words import similar
from newsqa.types import Answer, Passage

MAX_EXCERPTS = 8

_MARK = re.compile(r"\[\s*(?:excerpt\s*)?(\d+(?:\s*[,;]\s*\d+)*)\s*\]", re.IGNORECASE)
_END = re.compile(r"\s*([.!?…][\"'”’»)]*)\s*$")
_REFUSAL = re.compile(
    r"^\W*(i'?m sorry|sorry|i cannot|i can't|i can not|i do not know|i don't know|"
    r"unfortunately|the (provided )?excerpts do not|there is no information|no information)",
    re.IGNORECASE,
)
_MARKS_ONLY = re.compile(r"^\[[\s\[\]\d,;]*\.?$")  # "[2]." or a "[2" still streaming
_BULLET = re.compile(r"^(?:[-*•]|\d+[.)])\s+")  # models write lists despite the rules
_TAG = re.compile(r"</?\s*excerpts?\b", re.IGNORECASE)


@dataclass
class _Assembly:
    """The model's reply turned into verified, renumbered sentences while it streams.

    A sentence is judged once the next one has begun (markers may trail its full stop), so
    ``on_text`` only ever shows checked sentences.
    """

    excerpts: list[Candidate]
    judge: Callable[[str, Candidate], Verdict]  # claim, its cited excerpt
    on_text: Callable[[str], None] | None = None
    buf: str = ""
    pos: int = 0
    kept: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    numbers: dict[int, int] = field(default_factory=dict)  # excerpt n -> answer n
    refused: bool = False

    def feed(self, delta: str) -> None:
        self.buf += delta
        self._drain(final=False)

    def finish(self, text: str) -> None:
        if not self.buf:  # not streamed: judge the whole reply now
            self.buf = text
        self._drain(final=True)

    def _drain(self, final: bool) -> None:
        units: list[tuple[int, int]] = []
        for a, b in sentence_spans(self.buf, self.pos):
            if units and _MARKS_ONLY.match(self.buf[a:b]):
                units[-1] = (units[-1][0], b)  # "[2]" after the full stop belongs before it
            else:
                units.append((a, b))
        if not final:
            units = units[:-1]
        for a, b in units:
            self._judge(self.buf[a:b])
            self.pos = b

    def _judge(self, sentence: str) -> None:
        if ABSTAIN.lower() in sentence.lower():
            self.refused = True
            return
        cited = [int(n) for m in _MARK.findall(sentence) for n in re.split(r"[,;]", m)]
        valid = list(dict.fromkeys(n for n in cited if 1 <= n <= len(self.excerpts)))
        claim = re.sub(r"\s+([.,;!?])", r"\1", _MARK.sub("", sentence)).strip()
        claim = _BULLET.sub("", claim)
        if not any(ch.isalpha() for ch in claim):
            return
        if _REFUSAL.search(claim) and not valid:
            self.refused = True
            self.dropped.append(f"{claim!r}: a refusal")
            return
        if cited and not valid:
            self.dropped.append(f"{claim!r}: no excerpt {cited}")
            return
        # Each citation must hold on its own (one claim, one checkable quote), so the
        # sentence keeps the single cited excerpt that supports it best.  A small model
        # sometimes forgets the marker: such a sentence may keep the excerpt that supports
        # it, as judged by the same verifier.
        candidates = valid or range(1, len(self.excerpts) + 1)
        verdict, n = max(((self.judge(claim, self.excerpts[n - 1]), n) for n in candidates),
                         key=lambda vn: (vn[0].supported, vn[0].lexical, vn[0].cosine))
        if not verdict.supported:
            reason = verdict.reason if valid else "no citation, and no excerpt supports it"
            self.dropped.append(f"{claim!r}: {reason}")
            return
        mark = f"[{self.numbers.setdefault(n, len(self.numbers) + 1)}]"
        m = _END.search(claim)
        text = f"{claim[:m.start()]} {mark}{m.group(1)}" if m else f"{claim} {mark}"
        if text in self.kept:
            return
        self.kept.append(text)
        if self.on_text:
            self.on_text(text + " ")


class GenerativeAnswerer:
    """Asks a chat model to answer from numbered excerpts, then enforces the citations."""

    def __init__(self, model: BaseChatModel, extractive: ExtractiveAnswerer,
                 settings: Settings) -> None:
        self.model = model
        self.extractive = extractive
        self.settings = settings

    def select(self, ranked: list[Candidate], first: list[Candidate] = ()) -> list[Candidate]:
        """The best distinct sentences that fit the prompt's token budget, each as it will be
        quoted (a "he said" sentence with its speaker): ``first`` (the sentences the
        extractive answer quotes: the answer and the story's opening), then the others best
        first.  A small model reads and cites the first excerpts most."""
        budget = self.settings.llm_context_tokens
        count = self.extractive.embedder.count_tokens
        chosen: list[Candidate] = []
        texts = self.extractive.texts(ranked)
        for c in [*first, *ranked]:
            if len(chosen) == MAX_EXCERPTS:
                break
            c = self.extractive.completed(c, texts)
            if any(similar(c.text, d.text) or c.overlaps(d) for d in chosen):
                continue
            cost = count(c.text) + 20  # the excerpt's header line
            if cost > budget:
                continue  # a long quote is skipped rather than cut mid-sentence
            budget -= cost
            chosen.append(c)
        return chosen

    def excerpts(self, question: str, passages: list[Passage], ranked: list[Candidate],
                 subject: str | None = None) -> list[Candidate]:
        """The prompt's numbered excerpts: what the extractive answer would quote first (a
        follow-up, ``subject``, without the story's opening), then the best of the rest."""
        return self.select(ranked, self.extractive.choose(question, passages, ranked,
                                                          context=subject is None))

    def messages(self, question: str, excerpts: list[Candidate]) -> list[BaseMessage]:
        """System rules, the worked examples, then the excerpts as delimited data and the
        question (prompts.py).

        An excerpt's own "[2]" is shown as "(2)" (markers.py): copied into a reply it would
        otherwise read as a citation of excerpt 2."""
        def clean(s: str | None) -> str:
            return _TAG.sub("excerpt", (s or "").replace('"', "'"))

        blocks = [excerpt_block(i, clean(c.passage.source), c.passage.date or "",
                                clean(c.passage.title), clean(as_prose(c.text)))
                  for i, c in enumerate(excerpts, 1)]
        shown: list[BaseMessage] = [SystemMessage(ANSWER_SYSTEM)]
        for asked, replied in EXAMPLES:
            shown += [HumanMessage(asked), AIMessage(replied)]
        return [*shown, HumanMessage(answer_request(blocks, question))]

    def judge(self, question: str) -> Callable[[str, Candidate], Verdict]:
        """The verifier (verify.py) as it will judge the final answer: claim, excerpt."""
        def check(claim: str, c: Candidate) -> Verdict:
            return check_claim(claim, c.text, title=c.passage.title, question=question,
                               embedder=self.extractive.embedder)
        return check

    def answer(self, question: str, passages: list[Passage], *, subject: str | None = None,
               years: Collection[str] = (),
               on_text: Callable[[str], None] | None = None) -> Answer:
        """A generated, citation-checked answer; extractive or abstention when it fails."""
        retrieved = list(dict.fromkeys(p.article_id for p in passages))
        ranked = self.extractive.rank(question, passages, subject, years)
        if not self.extractive.supported(ranked):
            return Answer(question, NO_ANSWER, [], retrieved, abstained=True)
        excerpts = self.excerpts(question, passages, ranked, subject)
        asm = _Assembly(excerpts, self.judge(question), on_text)
        failure = None
        try:
            text = call_llm(self.model, self.messages(question, excerpts),
                            retries=self.settings.llm_retries,
                            on_token=asm.feed if on_text else None)
        except LLMUnavailable as err:
            failure, text = err, ""
        if failure is None:  # after a failure the unfinished last sentence is not judged
            asm.finish(text)
        notes = [f"Removed {len(asm.dropped)} sentence(s) of the language model's answer "
                 f"that their citations do not support."] if asm.dropped else []
        if failure is not None and not asm.kept:
            return self._fallback(question, passages, ranked, *notes,
                                  f"{failure}; extractive answer shown.")
        if failure is not None:
            notes.append(f"The answer was cut off: {failure}.")
        if asm.kept:
            citations = [self.extractive.cite(m, excerpts[n - 1])
                         for n, m in asm.numbers.items()]
            return Answer(question, " ".join(asm.kept), citations, retrieved, notes=notes)
        if asm.refused:
            return Answer(question, NO_ANSWER, [], retrieved, abstained=True,
                          notes=["The language model found no answer in the excerpts."])
        return self._fallback(question, passages, ranked, *notes, "The language model's "
                              "answer failed the citation checks; extractive answer shown.")

    def _fallback(self, question: str, passages: list[Passage], ranked: list[Candidate],
                  *notes: str) -> Answer:
        answer = self.extractive.compose(question, passages, ranked)
        answer.notes.extend(notes)
        return answer
