"""The offline extractive answerer: pick the retrieved sentences that answer the question.

No language model: candidate sentences from the retrieved passages are scored by embedding
similarity to the question plus overlap of the question's content words, and the best few
become the answer, each one a verbatim, cited quote.  When nothing scores above
``min_support`` the answer says the archive has nothing on it and cites nothing, because a
wrong answer with a citation is worse than none.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from newsqa.answer.markers import as_prose
from newsqa.index.catalog import Catalog
from newsqa.index.embedder import Embedder
from newsqa.text.sentences import sentence_spans
from newsqa.text.timewords import day_reference, describe_day
from newsqa.text.words import (
    MAX_SUFFIX,
    STOPWORDS,
    WORD,
    content_words,
    overlap,
    related,
    similar,
)
from newsqa.types import Answer, Article, Citation, Passage

NO_ANSWER = "The archive has nothing that answers this question."

# Share of the score from content-word overlap (the rest is embedding similarity).
LEXICAL_WEIGHT = 0.35
# Overlap found only with the help of the context (the names it supplies) counts this much
# of overlap in the sentence.
CONTEXT_WEIGHT = 0.8
CONTEXT_OTHER_WEIGHT = 0.6
CONTEXT_CHARS = 600
# Sentences after the first are added down to this score: ``min_support`` decides whether to
# answer at all, this how much supporting detail an answer carries.
SECONDARY_MIN = 0.35
# A sentence after the first is cited only when its score is this close to the first's: from
# the same article, or (stricter) from another one; and when it adds this many new words.
SUPPORT_MARGIN = 0.20
OTHER_ARTICLE_MARGIN = 0.06
MIN_NEW_WORDS = 2
# The inverted pyramid: the first sentences of a news story state its main facts.
LEDE_SENTENCES = 3
LEDE_BONUS = 0.10
# After the answering sentence, this many lede sentences of the story ranked first.
STORY_SENTENCES = 2
# A query that names a topic and asks nothing of it ("Latest news about Navalny") wants the
# story itself, which its lede tells, its first sentence first: each counts this much then.
TOPIC_LEDE_BONUS = 0.30
# A follow-up's "he" most likely still means the story cited before: its articles' sentences
# count this much more than those of a document that merely shares the follow-up's words.
PREFER_BONUS = 0.10
# A sentence that, even with its context, names nothing the question is about.
SUBJECT_PENALTY = 0.05
QUESTION_PENALTY = 0.3
# A sentence that dates itself to other years than the question names ("…in 1997" for
# "What happened in Hong Kong in 2019?") is background, not the news asked about.
OTHER_TIME_PENALTY = 0.1
# A sentence that adds no name, no number and hardly a word to the question restates it.
RESTATE_PENALTY = 0.05
RESTATE_NEW_WORDS = 3
# A follow-up's own words ("…about civilians?") missing from the sentence.
OWN_WORDS_PENALTY = 0.15
# An answer tells what the question does not: "What poison…?" is answered by the sentence
# naming "Novichok", not by one repeating that he was poisoned (unless a number or a date is
# what is asked for).
NEW_NAME_BONUS = 0.04
# Candidate sentences encoded per answer (the rest are ranked by word overlap alone).
ENCODE_MAX = 20


_MONTH_NAMES = calendar.month_name[1:]
_MONTH_WORDS = frozenset(m.lower() for m in [*_MONTH_NAMES, *calendar.day_name])
# An article must mention at least this share of the question's focus terms (by weight, see
# focus_weights) to be quoted.
FOCUS_MIN = 0.5


def _opens_sentence(text: str, pos: int) -> bool:
    """Whether the word at ``pos`` is the first of a sentence of ``text``: the first word, or
    one after a sentence's end that opens another ending in ".", "!" or "?" (words after the
    last one, such as the topic a follow-up is widened with, are no sentence)."""
    before = text[:pos].rstrip(" \t\n\"“‘'(«")
    return not before or (before[-1] in ".!?:" and bool(re.search(r"[.!?]", text[pos:])))


def focus_terms(question: str) -> set[str]:
    """Names and codes the question is about: capitalised words that do not open a sentence,
    words with digits (not years or dates, which the time filters handle).

    An article that mentions none of "Wimbledon" or "WhatsApp" cannot answer a question
    about them however similar its sentences sound: this is what keeps off-topic questions
    from being 'answered' with a plausible neighbour.  A sentence's first word is capitalised
    whatever it is ("The world's population reached a milestone. Approximately how many…?"),
    so it names nothing.
    """
    out: set[str] = set()
    for m in WORD.finditer(question):
        w = re.sub(r"['’]s$", "", m.group(0)).strip("'’-")
        low = w.lower()
        if len(w) < 2 or low in STOPWORDS or low in _MONTH_WORDS:
            continue
        if re.fullmatch(r"(?:19|20)\d\d|\d{1,2}(?:st|nd|rd|th)?", low):
            continue
        if any(ch.isdigit() for ch in w) or (w[0].isupper()
                                             and not _opens_sentence(question, m.start())):
            out.add(low)
    return out


def _term_pattern(term: str) -> re.Pattern[str]:
    """A name at the start of a word: a short one (US, EU) as the whole word, one of four or
    five letters with an ending (Syria/Syrian), a longer one by its first five letters.
    Never inside another word: "US" is not in "because"."""
    if len(term) >= 6:
        return re.compile(r"(?<!\w)" + re.escape(term[:5]))
    ending = rf"\w{{0,{MAX_SUFFIX}}}" if len(term) >= 4 else ""
    return re.compile(r"(?<!\w)" + re.escape(term) + ending + r"(?!\w)")


def _lowered(text: str) -> str:
    """``text`` lower-cased, with "U.S."/"U.K." written as the names they abbreviate."""
    return re.sub(r"\b(u)\.([sk])\.", r"\1\2", text.lower())


def focus_weights(terms: set[str], texts: Collection[str]) -> dict[str, float]:
    """How much each focus term identifies the story among the retrieved ``texts``.

    A name nearly every retrieved article holds ("US" in American news, "Covid" in a
    pandemic week) does not tell them apart; the names few of them hold are what the question
    is about ("Lego" in "Who is the CEO of Lego?").  A term's weight is the share of texts
    *without* it (smoothed, so a term every text holds still counts a little).
    """
    lowered = [_lowered(t) for t in texts]
    n = len(lowered)
    return {t: 1 - sum(1 for x in lowered if _term_pattern(t).search(x)) / (n + 1)
            for t in terms}


def focus_coverage(terms: set[str] | dict[str, float], text: str) -> float:
    """Share of ``terms`` (by weight, see :func:`focus_weights`) found in ``text`` as words
    (see :func:`_term_pattern`)."""
    weights = terms if isinstance(terms, dict) else dict.fromkeys(terms, 1.0)
    total = sum(weights.values())
    if not total:
        return 1.0
    low = _lowered(text)
    return sum(w for t, w in weights.items() if _term_pattern(t).search(low)) / total


_NUMBER = r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|" \
    r"dozens?|hundreds?|thousands?|millions?|billions?|trillions?)\b"
_DAY_WORDS = "|".join([*_MONTH_NAMES, *calendar.day_name, "yesterday", "today", "tomorrow",
                       "tonight", "last week", "next week", "this week"])
_SPEECH_VERBS = (r"\b(?:said|says|say|told|added|stated|declared|noted|stressed|warned|"
                 r"explained|according\s+to|announced|wrote|insisted|urged|demanded|asked)\b")
# What an answer to each kind of question contains.  "Where did the strike take place?" is
# answered by "…at Baghdad International Airport", not by the sentence that merely restates the
# strike; "How many died?" by a sentence with a number.  The kind is read from the clause that
# asks (quiz-style questions put context first: "A court ruled … How many months …?").
_ANSWER_TYPES = {
    "number": (re.compile(r"\b(?:how\s+(?:many|much|old|long|far|big|large|high|tall)|"
                          r"what\s+(?:share|percentage|percent|number|amount|age|price|cost)|"
                          r"by\s+how\s+much)\b", re.I),
               re.compile(_NUMBER, re.I)),
    "when": (re.compile(r"\b(?:when|on\s+what\s+date|what\s+(?:date|day|year|month|time))\b",
                        re.I),
             re.compile(r"\b(?:(?:19|20)\d\d|" + _DAY_WORDS + r")\b", re.I)),
    "where": (re.compile(r"\b(?:where|which\s+(?:country|city|state|nation|town|region|"
                         r"continent|island|province|place))\b", re.I),
              re.compile(r"\b(?:in|at|near|outside|from|inside|to)\s+(?:the\s+)?[A-Z][\w-]+")),
    "who": (re.compile(r"\b(?:who|whom|whose)\b", re.I),
            re.compile(r"\b[A-Z][a-z]+\s+[A-Z][a-z]+")),
    # "What did Lavrov demand?" is answered by the sentence that demands ("We call on…"),
    # not by one that merely names him beside the topic.
    "demand": (re.compile(r"\bwhat\s+(?:did|does|do|has|have|is|are|was|were)\b[^?]*?\b"
                          r"(?:demand|call(?:ing)?\s+for|urg\w*|insist\w*|ask\w*\s+for|want)",
                          re.I),
               re.compile(r"\b(?:demand\w*|call(?:s|ed|ing)?\s+(?:on|for|upon)|urg(?:e|es|ed|ing)"
                          r"|insist\w*|must|should|requir\w+|ask\w*\s+(?:for|to|them|that))\b",
                          re.I)),
    # "What did Putin say about Syria?" is answered by what he said ("Mr Putin stressed…"),
    # not by the sentence reporting that he spoke ("…had a telephone conversation").
    "say": (re.compile(r"\bwhat\s+(?:did|does|do|has|have|is|was)\b[^?]*?\b(?:say|said|tell|"
                       r"told|announc\w*|warn\w*|think|write|wrote|claim\w*|argu\w*|stress\w*)"
                       r"\b", re.I),
            re.compile(r"[“”\"«»]|" + _SPEECH_VERBS, re.I)),
    # "Why did Rosselló resign?" is answered by the cause, not by the resignation again.
    "why": (re.compile(r"\bwhy\b", re.I),
            re.compile(r"\b(?:because|due\s+to|amid|following|after|over\s+(?:the|his|her|"
                       r"its|their)|citing|as\s+a\s+result|in\s+protest|led\s+to|prompted|"
                       r"sparked|caused|triggered|reasons?)\b", re.I)),
}
ANSWER_TYPE_BONUS = 0.06
# Kinds whose answer is what was said, demanded or given as the cause: a sentence of the
# story without such a cue tells the story but not the answer.
_CONTENT_KINDS = frozenset({"demand", "say", "why"})
_ASKED = re.compile(r"[^.!?]*\?")


def asked_clause(question: str) -> str:
    """The clause that asks: the last one ending in "?" (else the whole question)."""
    found = _ASKED.findall(question)
    return found[-1] if found else question


# A capitalised word inside a sentence (not opening it): a name.
_INNER_NAME = re.compile(r"(?<=[a-z,;:] )[A-Z][\w’'-]+")


def names_new(question_words: set[str], sentence: str) -> bool:
    """Whether ``sentence`` names someone or something the question does not."""
    for m in _INNER_NAME.finditer(sentence):
        w = m.group(0).lower().rstrip("’'s")
        if w not in _MONTH_WORDS and not any(related(w, q) for q in question_words):
            return True
    return False


def restates(question_words: Collection[str], words: Collection[str], sentence: str) -> bool:
    """Whether ``sentence`` (content ``words``) only says again what the question says."""
    if names_new(question_words, sentence) or any(
            n not in question_words for n in re.findall(r"\d[\d,.]*\d|\d", sentence)):
        return False
    new = [w for w in words if not w.startswith("<") and w not in question_words]
    return len(new) < RESTATE_NEW_WORDS


# A story's opening hook ("“Squid Game” is officially coming back.") is this short at most.
HOOK_CHARS = 100
_SENTENCE_END = re.compile(r"[.!?][\"'”’»)]*\s*$")
_CAPITALISED = re.compile(r"(?<![\w’'-])[A-Z][\w’'-]*")


def headline_name(question: str, sentence: str, headline: str) -> bool:
    """Whether ``sentence`` is a whole sentence naming (a capitalised word, its first one
    too) the subject of ``headline`` (its first two words), which ``question`` does not name:
    "“Squid Game” is officially coming back." under "squid-game-season-2" for "Which show
    was green lit for a new season?"."""
    if not _SENTENCE_END.search(sentence):
        return False  # a caption or a credit ("The best photos from …", "Mark Carlson")
    asked = _asked_words(question)
    subject = [w for w in re.findall(r"[^\W_]+", headline.lower()) if w not in STOPWORDS][:2]
    for name in _CAPITALISED.findall(sentence):
        low = name.lower()
        if low in asked or low in STOPWORDS or low in _MONTH_WORDS:
            continue
        if any(len(part) >= 3 and part in subject for part in re.findall(r"[^\W_]+", low)):
            return True
    return False


_WH = re.compile(r"\b(?:who|whom|whose|what|which|when|where|why|how)\b", re.I)


@lru_cache(maxsize=256)
def _asked_words(question: str) -> frozenset[str]:
    """Every word of ``question``, lower-cased; memoised, as it is compared with every
    candidate sentence."""
    return frozenset(w.lower() for w in WORD.findall(question))


@lru_cache(maxsize=256)
def _asks_for_something(question: str) -> bool:
    """Whether the asking clause asks who, what, which… (not yes or no)."""
    return bool(_WH.search(asked_clause(question)))


def echoes(question: str, sentence: str) -> bool:
    """Whether ``sentence`` says nothing ``question`` does not while the question asks for
    something (who, what, which…): each of its words (names and numbers too) is one of the
    question's.  Quiz questions are often written from a digest's sentence ("Rising
    inflation has driven food prices in the US far higher…"); quoted back, it answers
    nothing.  A yes/no question ("Was Navalny poisoned with Novichok?") is answered by the
    sentence that says it again."""
    if not _asks_for_something(question):
        return False
    asked = _asked_words(question)
    return all(w.lower() in asked for w in WORD.findall(sentence))


_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")


def other_time(years: Collection[str], sentence: str) -> bool:
    """Whether ``sentence`` names years, none of them one of ``years`` (the question's)."""
    named = set(_YEAR.findall(sentence))
    return bool(years) and bool(named) and not named & set(years)


_ASKING = re.compile(r"^\W*(?:who|whom|whose|what|what's|which|when|where|why|how|is|are|was|"
                     r"were|do|does|did|can|could|will|would|should|has|have|had)\b", re.I)


def asks_nothing(question: str) -> bool:
    """Whether ``question`` only names a topic ("Latest news about Navalny", "Magnitogorsk
    collapse"): no question mark, and it does not open as a question does."""
    return "?" not in question and not _ASKING.match(question)


def answer_kind(question: str) -> str | None:
    """What the question asks for: ``number``, ``when``, ``where``, ``who``, ``demand``,
    ``say``, ``why`` or None."""
    clause = asked_clause(question)
    return next((kind for kind, (asks, _) in _ANSWER_TYPES.items() if asks.search(clause)),
                None)


def answer_type_bonus(question: str, sentence: str) -> float:
    """A bonus for sentences holding the kind of thing the question asks for."""
    kind = answer_kind(question)
    return ANSWER_TYPE_BONUS if kind and _ANSWER_TYPES[kind][1].search(sentence) else 0.0


@dataclass
class Candidate:
    """A sentence of a retrieved passage, located in its article."""

    passage: Passage
    start: int
    end: int
    text: str
    context: str = ""  # title and previous sentence: who "he" is, what "it" was
    score: float = 0.0  # for ranking sentences
    support: float = 0.0  # the score without answer-type cues: decides abstention
    lede: bool = False  # among the article's first sentences
    opening: bool = False  # the article's first sentence
    echo: bool = False  # says nothing the question does not (see :func:`echoes`)

    @property
    def asks(self) -> bool:
        """A question (a quiz, a rhetorical lede) restates what is asked; it answers nothing."""
        return self.text.rstrip("\"'”’»)").endswith("?")

    @property
    def states(self) -> bool:
        """Whether the sentence can be cited: it is no question and no echo of the question."""
        return not (self.asks or self.echo)

    def overlaps(self, other: Candidate) -> bool:
        """Whether the two sentences share characters of the same article."""
        return (self.passage.article_id == other.passage.article_id
                and self.start < other.end and other.start < self.end)


class ExtractiveAnswerer:
    """Scores sentences of the passages and composes a cited answer from the best ones."""

    def __init__(self, embedder: Embedder, catalog: Catalog, *, max_sentences: int = 3,
                 min_support: float = 0.42, vectors=None) -> None:
        self.embedder = embedder
        self.vectors = vectors or embedder  # a SentenceVectors cache shares the reranker's work
        self.catalog = catalog
        self.max_sentences = max_sentences
        self.min_support = min_support

    def candidates(self, passages: list[Passage], articles: dict[str, Article]) -> list[Candidate]:
        """Sentences of each passage widened by ``CONTEXT_CHARS``, plus each article's lede.

        The answer often sits just outside the chunk that matched best (the quote follows
        the sentence that names the speaker), and news is written as an inverted pyramid:
        the lede states the story's main claim, so it competes whatever chunk matched.
        """
        out: list[Candidate] = []
        ledes: dict[str, int] = {}
        for p in passages:
            art = articles.get(p.article_id)
            if art is None:
                continue
            if art.id not in ledes:
                ledes[art.id] = lede_end(art.text)
                # One character past its end, so its last sentence is not taken as cut off.
                out.extend(self._window(p, art, 0, min(len(art.text), ledes[art.id] + 1)))
            lo = _sentence_start(art.text, max(0, p.start - CONTEXT_CHARS))
            hi = min(len(art.text), p.end + CONTEXT_CHARS)
            out.extend(self._window(p, art, max(lo, ledes[art.id]), hi))
        first: dict[str, int] = {}
        for c in out:
            c.lede = c.start < ledes[c.passage.article_id]
            first[c.passage.article_id] = min(c.start, first.get(c.passage.article_id, c.start))
        for c in out:
            c.opening = c.start == first[c.passage.article_id]
        return out

    @staticmethod
    def _window(p: Passage, art: Article, lo: int, hi: int) -> list[Candidate]:
        """Candidates for the whole sentences of ``art.text[lo:hi]``."""
        spans = sentence_spans(art.text, lo, hi)
        out: list[Candidate] = []
        prev = ""
        for i, (a, b) in enumerate(spans):
            if b > hi - 1 and b < len(art.text):  # cut off by the window: skip
                break
            sent = art.text[a:b]
            if not _is_dateline(sent):
                a, b = _whole_quote(art.text, spans, i)
                a = _antecedent_start(art.text, spans, i, a, b)
                out.append(Candidate(p, a, b, art.text[a:b], context=f"{art.title} {prev}"))
            prev = sent
        return out

    def score(self, question: str, cands: list[Candidate], subject: str | None = None,
              terms: dict[str, float] | None = None, prefer: Collection[str] = (),
              years: Collection[str] = ()) -> None:
        """Fill ``cand.score`` and ``cand.support``.

        ``support`` (does the archive answer at all?) blends the cosine similarity of question
        and sentence with the share of the question's content words the sentence (or, less,
        its context) holds.  ``score`` (which sentence answers?) adds what news writing makes
        likely: a sentence of its article's lede, holding the kind of thing asked for and naming
        what the question is about, and not itself a question.

        ``subject`` is what the user asked in their own words when ``question`` was widened
        with a conversation's topic ("And what did he say about civilians?" searched as "…
        civilians Lavrov Al-Nusra"): a sentence without any of its words is not the answer.

        Encoding sentences is nearly all of an answer's time, so only the ``ENCODE_MAX``
        candidates with the best cheap score are encoded; the rest are scored with
        similarity 0, below nearly every encoded one.
        """
        if not cands:
            return
        q_words = content_words(question)
        if terms is None:
            terms = dict.fromkeys(focus_terms(question), 1.0)
        own = content_words(subject) if subject else set()
        wants_name = answer_kind(question) not in ("number", "when")
        cheap: list[float] = []
        sent_words = [content_words(c.text) for c in cands]
        for c, words in zip(cands, sent_words, strict=True):
            lex = overlap(q_words, words)
            # The context says who the sentence is about ("he" is Lavrov) better than what
            # it says: its names count more than its other words.
            ctx = content_words(c.context)
            lex = max(lex, CONTEXT_WEIGHT * overlap(q_words, words | (ctx & terms.keys())),
                      CONTEXT_OTHER_WEIGHT * overlap(q_words, words | ctx))
            length_pen = 0.05 if len(c.text) < 40 else 0.0
            cheap.append(LEXICAL_WEIGHT * lex - length_pen)
        topic = asks_nothing(question)
        prior = [1 + (TOPIC_LEDE_BONUS * (c.lede + c.opening) if topic else LEDE_BONUS * c.lede)
                 + PREFER_BONUS * (c.passage.article_id in prefer)
                 for c in cands]
        # A follow-up's own words pick which sentences are worth encoding: the widened query
        # is mostly the earlier topic, which every sentence of that story shares.
        own_share = [overlap(own, w) if own else 0.0 for w in sent_words]
        order = sorted(range(len(cands)), key=lambda i: -(cheap[i] * prior[i] + own_share[i]))
        encode = order[:ENCODE_MAX]
        sims = np.zeros(len(cands), dtype=np.float32)
        if encode:
            q_vec = np.asarray(self.embedder.embed_query(question))
            vecs = self.vectors.encode([f"{cands[i].passage.title}: {cands[i].text}"
                                        for i in encode])
            sims[encode] = vecs @ q_vec
        for c, words, sim, base, pri, own_in in zip(cands, sent_words, sims, cheap, prior,
                                                    own_share, strict=True):
            c.support = float((1 - LEXICAL_WEIGHT) * sim + base)
            c.echo = echoes(question, c.text)
            off_subject = bool(terms) and focus_coverage(terms, f"{c.context} {c.text}") == 0
            off_own = bool(own) and own_in == 0
            c.score = (c.support * pri + answer_type_bonus(question, c.text)
                       + (NEW_NAME_BONUS * names_new(q_words, c.text) if wants_name else 0.0)
                       - RESTATE_PENALTY * restates(q_words, words, c.text)
                       - SUBJECT_PENALTY * off_subject - OWN_WORDS_PENALTY * off_own
                       - QUESTION_PENALTY * c.asks
                       - OTHER_TIME_PENALTY * other_time(years, c.text))

    def rank(self, question: str, passages: list[Passage], subject: str | None = None,
             years: Collection[str] = (), prefer: Collection[str] = ()) -> list[Candidate]:
        """Distinct candidate sentences of the on-topic passages, best first (also the LLM's
        excerpts)."""
        articles = self.catalog.get_many(dict.fromkeys(p.article_id for p in passages))
        terms = focus_weights(focus_terms(question),
                              [f"{a.title} {a.text}" for a in articles.values()])

        def on_topic(art: Article) -> bool:
            text = f"{art.title} {art.text}"
            if years and (art.date or "")[:4] not in years and not any(y in text for y in years):
                return False  # "the 2010 final" is not answered by a report on 2018's
            return focus_coverage(terms, text) >= FOCUS_MIN

        cands = self.candidates([p for p in passages if p.article_id in articles
                                 and on_topic(articles[p.article_id])], articles)
        self.score(question, cands, subject, terms, prefer, years)
        # The same span can come from two overlapping chunks: keep its best copy.
        best: dict[tuple[str, int, int], Candidate] = {}
        for c in cands:
            key = (c.passage.article_id, c.start, c.end)
            if key not in best or c.score > best[key].score:
                best[key] = c
        return sorted(best.values(), key=lambda c: -c.score)

    def answer(self, question: str, passages: list[Passage], *, subject: str | None = None,
               years: Collection[str] = (), prefer: Collection[str] = ()) -> Answer:
        """Compose the answer from the best-scoring sentences, or abstain.

        ``years`` are the years the question names (also as time words, which ``question``
        no longer holds): only articles of those years, or that mention one, can answer it.
        A follow-up (``subject``) gets no story opening: it asks one thing of a story the
        conversation has already told.
        """
        return self.compose(question, passages,
                            self.rank(question, passages, subject, years, prefer),
                            context=subject is None)

    def answering(self, ranked: list[Candidate], topic: bool = False) -> Candidate | None:
        """The sentence the answer opens with: the best-ranked one that supports an answer
        well enough (a sentence ranked high for its cues alone — a lede, a number — but
        barely about the question does not lead) and is not itself a question (a quiz
        article's "Which major change…?" matches the question word for word and answers
        nothing) or an echo of one (:func:`echoes`).  None means abstain.

        ``topic``: the query only names a topic (:func:`asks_nothing`), so the cue is what
        was asked for: once some sentence supports an answer, the best-ranked one (the
        story's opening) leads, whatever its own share of the topic's words.
        """
        statements = [c for c in ranked if c.states]
        lead = next((c for c in statements if c.support >= self.min_support), None)
        return statements[0] if topic and lead is not None else lead

    def supported(self, ranked: list[Candidate]) -> bool:
        """Whether some sentence answers well enough not to abstain (see :meth:`answering`)."""
        return self.answering(ranked) is not None

    def texts(self, ranked: list[Candidate]) -> dict[str, str]:
        """``article id -> text`` of the ranked candidates' articles, read once."""
        arts = self.catalog.get_many(dict.fromkeys(c.passage.article_id for c in ranked))
        return {aid: art.text for aid, art in arts.items()}

    @staticmethod
    def completed(c: Candidate, texts: dict[str, str]) -> Candidate:
        """``c`` widened to read on its own (see :func:`complete_span`) in its article's text
        (from :meth:`texts`)."""
        text = texts[c.passage.article_id]
        a, b = complete_span(text, c.start, c.end)
        return replace(c, start=a, end=b, text=text[a:b])

    def cite(self, n: int, c: Candidate) -> Citation:
        """Citation number ``n`` of a candidate sentence (its exact span in the article)."""
        return Citation(n=n, article_id=c.passage.article_id, title=c.passage.title,
                        source=c.passage.source, date=c.passage.date, url=c.passage.url,
                        quote=c.text, start=c.start, end=c.end, score=round(c.score, 4),
                        also=self.catalog.duplicates_of(c.passage.article_id))

    def choose(self, question: str, passages: list[Passage], ranked: list[Candidate], *,
               context: bool = True) -> list[Candidate]:
        """The sentences an answer quotes, from already ranked ones (see :meth:`rank`): the
        best sentence first, then (with ``context``) the opening of the story ranked first
        (see :meth:`_story`), then sentences that add something to them, none repeating or
        overlapping another once widened to read on its own.  Empty: abstain."""
        lead = self.answering(ranked, topic=asks_nothing(question))
        if lead is None:
            return []
        chosen: list[Candidate] = []
        said = content_words(question)
        texts = self.texts(ranked)
        story = self._story(question, lead, ranked, passages) if context else []
        told = {id(c) for c in [lead, *story]}
        for c in [lead, *story, *(c for c in ranked if id(c) not in told and c.states)]:
            if len(chosen) == self.max_sentences:
                break
            if chosen and id(c) not in told and not self._adds(chosen[0], c, said):
                continue
            c = self.completed(c, texts)
            if any(similar(c.text, d.text) or c.overlaps(d) for d in chosen):
                continue
            chosen.append(c)
            said |= content_words(c.text)
        return chosen

    def compose(self, question: str, passages: list[Passage], ranked: list[Candidate], *,
                context: bool = True) -> Answer:
        """The answer quoting the sentences :meth:`choose` picks, each cited."""
        retrieved = list(dict.fromkeys(p.article_id for p in passages))
        chosen = self.choose(question, passages, ranked, context=context)
        if not chosen:
            return Answer(question, NO_ANSWER, [], retrieved, abstained=True)
        citations = [self.cite(i, c) for i, c in enumerate(chosen, 1)]
        # An article's own "[2]" enters the answer as "(2)": markers are the answerer's.
        text = " ".join(f"{as_prose(c.quote)} [{c.n}]" for c in citations)
        answer = Answer(question, text, citations, retrieved)
        if answer_kind(question) == "when":
            self._date_days(answer)
        return answer

    @staticmethod
    def _story(question: str, lead: Candidate, ranked: list[Candidate],
               passages: list[Passage]) -> list[Candidate]:
        """The first ``STORY_SENTENCES`` lede sentences of the article retrieval ranked first,
        in the article's order, that are about the question: they share its words
        themselves (not only through their title or context) and support an answer (at
        least ``SECONDARY_MIN``), and are neither questions nor echoes of it.  When the
        answering sentence is from that article, its opening sentence also counts if it is a
        short hook naming the headline's subject (see :func:`headline_name`).  For what was
        said, demanded or why (``_CONTENT_KINDS``), a sentence after the opening must hold
        the kind's cue: "Lavrov said at a briefing that…proves no one can turn a blind eye"
        tells the story of "What did Lavrov demand?" but demands nothing.

        News is written as an inverted pyramid: the story's opening states its main fact,
        which often is the answer in other words, or what the answering sentence needs to be
        understood (the event it gives a number of, the show that "the popular drama" is).
        A text that opens with anything else (a speech's greeting, a newsletter plug) has no
        such sentence to offer.
        """
        if not passages:
            return []
        top, asked = passages[0].article_id, content_words(question)
        kind = answer_kind(question)

        def tells(c: Candidate) -> bool:
            if c.support >= SECONDARY_MIN and overlap(asked, content_words(c.text)) > 0:
                return (c.opening or kind not in _CONTENT_KINDS
                        or bool(_ANSWER_TYPES[kind][1].search(c.text)))
            return (c.opening and lead.passage.article_id == top and len(c.text) <= HOOK_CHARS
                    and headline_name(question, c.text, c.passage.title))

        lede = [c for c in ranked if c.passage.article_id == top and c.lede and c is not lead
                and c.states and tells(c)]
        return sorted(lede, key=lambda c: c.start)[:STORY_SENTENCES]

    @staticmethod
    def _date_days(answer: Answer) -> None:
        """"When?" answered by "…said on Monday…": say which day that was, read against the
        cited article's date (an archive's reader does not know which Monday)."""
        first = answer.citations[0]
        found = day_reference(first.quote, first.date)
        if found:
            said, day = found
            note = f"“{said}” in [1] is {describe_day(day)}, by the article's date"
            answer.notes.append(note)
            answer.answer += f" ({note}.)"

    @staticmethod
    def _adds(first: Candidate, c: Candidate, said: set[str]) -> bool:
        """Whether ``c`` is worth citing after ``first``: nearly as good, from the same article
        (another article's sentence must be nearly as good as the first), and saying
        something not said yet."""
        margin = SUPPORT_MARGIN if c.passage.article_id == first.passage.article_id \
            else OTHER_ARTICLE_MARGIN
        if c.score < max(first.score - margin, SECONDARY_MIN):
            return False
        return len(content_words(c.text) - said) >= MIN_NEW_WORDS

_OPEN, _CLOSE = "“«", "”»"


def _balance(text: str, a: int, b: int) -> int:
    """Opening minus closing quotation marks in ``text[a:b]``."""
    return sum(text.count(ch, a, b) for ch in _OPEN) - sum(text.count(ch, a, b) for ch in _CLOSE)


def _whole_quote(text: str, spans: list[tuple[int, int]], i: int, most: int = 3
                 ) -> tuple[int, int]:
    """Sentence ``i`` widened to the whole quotation it is part of (at most ``most`` sentences).

    A quote cut mid-way misrepresents the speaker, and its closing sentence usually names
    them ("…,” he added), so a sentence that opens a quote runs on to its close and one that
    only closes a quote starts where it opened.
    """
    a, b = spans[i]
    lo = hi = i
    while _balance(text, a, b) > 0 and hi + 1 < len(spans) and hi - lo < most - 1:
        hi += 1
        b = spans[hi][1]
    while _balance(text, a, b) < 0 and lo > 0 and hi - lo < most - 1:
        lo -= 1
        a = spans[lo][0]
    return (a, b) if _balance(text, a, b) == 0 else spans[i]


_PRONOUN_START = re.compile(
    r"^[\"“‘«]?(?:He|She|It|They|This|These|That|Those|His|Her|Its|Their|The\s+(?:move|"
    r"decision|statement|minister|president|official|agency|company|group|ministry))\b")
# "It is crucial to…", "It was clear that…": an "it" that points at nothing before it.
_EXPLETIVE_IT = re.compile(r"^[\"“‘«]?It\s+(?:is|was|has\s+been|will\s+be|would\s+be)\s+(?:\w+\s+)?"
                           r"\w+\s+(?:to|that)\b")
_SPEECH = re.compile(_SPEECH_VERBS, re.I)
MERGE_MAX_CHARS = 600


def complete_span(text: str, a: int, b: int) -> tuple[int, int]:
    """Widen a chosen sentence so it can be understood and attributed on its own.

    * A sentence opening with a pronoun ("He said the talks…") takes the previous sentence
      of its paragraph along, which names who "he" is.
    * A quotation with no speech verb takes the short sentence that attributes it
      ("…," Lavrov said. / Lavrov said: "…") from right after or before it.
    The result is still one contiguous, verbatim slice of the article.
    """
    spans = sentence_spans(text, max(0, a - 500), min(len(text), b + 300))
    idx = [i for i, (x, y) in enumerate(spans) if x <= a < y or a <= x < b]
    if not idx:
        return a, b
    first, last = idx[0], idx[-1]
    quoted = any(ch in text[a:b] for ch in "“”\"«»")
    if quoted and not _SPEECH.search(text[a:b]):
        if last + 1 < len(spans) and _attribution(text, spans[last + 1], b):
            b = spans[last + 1][1]
        elif first > 0 and text[spans[first - 1][0]:spans[first - 1][1]].rstrip().endswith(":") \
                and "\n\n" not in text[spans[first - 1][1]:a]:
            a = spans[first - 1][0]
    return _antecedent_start(text, spans, first, a, b), b


def _antecedent_start(text: str, spans: list[tuple[int, int]], first: int, a: int, b: int
                      ) -> int:
    """Where ``text[a:b]`` (opening in sentence ``first`` of ``spans``) starts once a "He…"
    or "It…" opening takes along the previous sentence of its paragraph, which names who or
    what that is ("Robert Mugabe … has died. He was 95.")."""
    if _PRONOUN_START.match(text[a:b]) and not _EXPLETIVE_IT.match(text[a:b]) and first > 0:
        pa = spans[first - 1][0]
        if "\n\n" not in text[spans[first - 1][1]:a] and b - pa <= MERGE_MAX_CHARS:
            return min(a, pa)
    return a


def _attribution(text: str, span: tuple[int, int], after: int) -> bool:
    """A short sentence naming who spoke, in the same paragraph."""
    x, y = span
    return y - x <= 160 and "\n\n" not in text[after:x] and bool(_SPEECH.search(text[x:y]))


def _sentence_start(text: str, pos: int) -> int:
    """Move ``pos`` forward to the start of the next sentence (or paragraph)."""
    if pos == 0:
        return 0
    spans = sentence_spans(text, pos, min(len(text), pos + 400))
    return spans[1][0] if len(spans) > 1 else pos


_DATELINE_SENT = re.compile(r"^[^.!?]{0,60}?\s*[—–-]{1,2}\s*$")


def _is_dateline(sentence: str) -> bool:
    """A lone dateline ("New York CNN Business —"): no sentence of its own to cite."""
    return bool(_DATELINE_SENT.match(sentence))


def lede_end(text: str) -> int:
    """Where the lede ends: after the article's first ``LEDE_SENTENCES`` sentences that are
    not a lone dateline."""
    seen, end = 0, 0
    for a, b in sentence_spans(text, 0, min(len(text), 2000)):
        if _is_dateline(text[a:b]):
            continue
        seen, end = seen + 1, b
        if seen == LEDE_SENTENCES:
            break
    return end
