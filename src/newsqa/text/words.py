"""Content words: the vocabulary every stage compares questions and sentences with.

One definition of "the words that matter" (stopwords dropped, a word class for verbs that
questions paraphrase) keeps retrieval, answering, verification and follow-up resolution
agreeing on what a question is about.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Collection

WORD = re.compile(r"[\w’'-]+", re.UNICODE)
STOPWORDS = frozenset(
    """
    a an the of in on at to for from by with about as and or but if is are was were be been
    being do does did done have has had what which who whom whose when where why how that
    this these those it its it's he she they them his her their we our you your i me my
    there here not no yes any all some than then so such can could would should will shall
    may might must into over under after before during between within without against up
    down out off more most other also just only very s t say said says tell told
    """.split()  # noqa: SIM905 (a word list reads better as text)
)

# Words news uses interchangeably for one thing are one class.  Demanding and urging: "What
# did X demand?" is answered by "We call on ...", "X urged ...".  Death: "How many died?" by
# "39 are confirmed dead", "killed 12", "the death toll rose".
_CLASSES = {
    "<demand>": ["demand", "call", "urge", "ask", "insist", "press", "appeal", "request",
                 "require"],
    "<death>": ["die", "died", "dies", "dead", "death", "deaths", "kill", "killed", "killing",
                "fatal", "fatalities", "toll"],
}
WORD_CLASSES = {w: cls for cls, words in _CLASSES.items() for w in words}


def word_class(word: str) -> str | None:
    """The class of ``word`` or of its stem ("demanded", "urges"), if it has one."""
    return WORD_CLASSES.get(word) or WORD_CLASSES.get(word.rstrip("sd").rstrip("e"))


@functools.lru_cache(maxsize=65_536)
def content_words(text: str) -> frozenset[str]:
    """Lower-cased meaningful words of ``text`` (stopwords dropped), plus their word class.

    Memoised: ranking, answering and verifying look at the same sentences many times.
    """
    words = {w for w in (t.lower().strip("'’-") for t in WORD.findall(text))
             if len(w) > 1 and w not in STOPWORDS}
    for w in list(words) + [t.lower() for t in WORD.findall(text)]:
        cls = word_class(w)
        if cls:
            words.add(cls)
    return frozenset(words)


# Two words are forms of one ("Syria"/"Syrian", "civilian"/"civilians") when one extends the
# other by at most this many letters; "civilians" and "civilizational" are not.
MAX_SUFFIX = 3


def related(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are the same word or inflections of one."""
    if a == b:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 4 and len(long_) - len(short) <= MAX_SUFFIX and long_.startswith(short)


def _stems(word: str) -> list[str]:
    """``word`` less up to ``MAX_SUFFIX`` final letters, none shorter than four."""
    return [word[:len(word) - k] for k in range(1, MAX_SUFFIX + 1) if len(word) - k >= 4]


def overlap(q: Collection[str], s: Collection[str]) -> float:
    """Share of the question's content words found in the sentence (or an inflection: the
    same test as :func:`related`, by set lookups)."""
    q = [w for w in q if not w.startswith("<")]
    if not q:
        return 0.0
    shorter = {stem for x in s for stem in _stems(x)}  # what a word of s extends
    hit = 0
    for w in q:
        cls = word_class(w)
        if w in s or (cls and cls in s) or w in shorter or any(x in s for x in _stems(w)):
            hit += 1
    return hit / len(q)


def similar(a: str, b: str) -> bool:
    """Near-identical sentences (syndicated copies) should not be cited twice."""
    wa, wb = content_words(a), content_words(b)
    if not wa or not wb:
        return a == b
    return len(wa & wb) / math.sqrt(len(wa) * len(wb)) > 0.8
