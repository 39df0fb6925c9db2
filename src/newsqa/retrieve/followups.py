"""Follow-ups: a question that leans on earlier turns becomes a self-contained search.

"And what did he say about civilians?" means nothing to a retriever; after "What did Lavrov
demand?" it becomes "… civilians Lavrov", and the article cited for Lavrov's demand is
searched first (a prior: "he" most likely still means that story).  "What happened next?"
searches the same topic in reports dated from the cited one on, and "Who else reported it?"
the same topic outside the articles already cited.  Without a language model this is done
with the previous turns' names and terms and the titles of their cited articles; with one,
a condense-question step rewrites the question, and the lexical resolution still supplies
the priors.  This is the first stage of :meth:`newsqa.engine.Engine.ask`; where turns are
kept is ``conversations.py``'s business.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from newsqa.answer.prompts import CONDENSE_SYSTEM
from newsqa.conversations import Turn
from newsqa.text.words import STOPWORDS, content_words
from newsqa.types import Article, Filters, Passage

# Kinds of follow-up, strongest cue first.
_OTHERS = re.compile(
    r"\b(who|what|which|where|anyone|anybody|somebody|someone) else\b|"
    r"\b(other|another|more|different)\s+(sources?|outlets?|reports?|papers?|media|articles?|"
    r"coverage|accounts?)\b|\belsewhere\b|\bwho (also|too)\b",
    re.IGNORECASE,
)
_NEXT = re.compile(
    r"\b(happen(ed|s)? (next|then|after(wards?)?|later|since)|what next|next step|"
    r"after (that|this)|afterwards|since then|what followed|aftermath|"
    r"follow(ed|-| )?up|later on|outcome|in the end)\b",
    re.IGNORECASE,
)
_REFER = re.compile(
    r"^\s*(and|but|also|what about|how about|so|then)\b|"
    r"\b(he|she|they|him|her|them|his|hers|their|theirs|it|its|there|the same|himself|"
    r"herself)\b|"
    r"\b(this|that|these|those)\s*[?.!]*\s*$|"
    r"\b(this|that|these|those)\s+(event|attack|incident|story|decision|man|woman|person|"
    r"people|group|country|city|place|crash|fire|storm|vote|election|law|bill|deal|report|"
    r"news|case|speech|statement|meeting|visit|plan|war|conflict)s?\b",
    re.IGNORECASE,
)
# A name: capitalised words, possibly joined by small particles ("Al-Nusra", "bin Hamad").
_NAME = re.compile(r"[A-Z][\w’'-]*(?:\s+(?:(?:of|de|del|al|bin|von|van|the)\s+)?[A-Z][\w’'-]*)*")
_QUESTION_WORDS = {"what", "who", "whom", "whose", "when", "where", "why", "how", "which",
                   "did", "does", "do", "is", "are", "was", "were", "and", "but", "so", "then",
                   "tell", "give", "show", "list", "describe", "explain", "can", "could"}
# Words of the cue itself, which say nothing about the topic.
_CUE_WORDS = {"happen", "happened", "happens", "next", "else", "other", "another", "report",
              "reported", "reports", "later", "afterwards", "followed", "outcome", "elsewhere"}
_PRONOUNS = {"he", "she", "they", "him", "her", "them", "his", "hers", "their", "theirs", "it",
             "its", "there", "this", "that", "these", "those", "himself", "herself"}
_SKIP = STOPWORDS | _QUESTION_WORDS | _CUE_WORDS | _PRONOUNS

@dataclass
class Resolution:
    """How a question is searched, given the conversation so far."""

    query: str
    kind: str = "new"  # new | refer | next | others
    prefer: list[str] = field(default_factory=list)  # articles searched first (the prior)
    avoid: list[str] = field(default_factory=list)  # articles left out ("who else …?")
    since: str | None = None  # "what happened next?": reports from this date on
    about: list[str] = field(default_factory=list)  # the story's names, for other reports


def names(text: str) -> list[str]:
    """Capitalised names in ``text``, minus a sentence-initial question word ("What …")."""
    out: list[str] = []
    for m in _NAME.finditer(text):
        words = m.group(0).split()
        while words and words[0].lower() in (_QUESTION_WORDS | STOPWORDS):
            words = words[1:]
        if words:
            out.append(" ".join(words))
    return out


def follow_up_kind(question: str) -> str:
    """``others``, ``next``, ``refer`` (pronoun, "and …", ellipsis) or ``new``."""
    if _OTHERS.search(question):
        return "others"
    if _NEXT.search(question):
        return "next"
    elliptical = len(content_words(question) - _CUE_WORDS) < 3 and not names(question)
    if _REFER.search(question) or elliptical:
        return "refer"
    return "new"


def focus(turn: Turn, articles: dict[str, Article]) -> list[str]:
    """The turn's cited articles that are about what was asked, most on-topic first.

    An answer can cite a stray sentence of another story; the articles whose titles share
    words with the turn's query are the ones a pronoun in the next question points to.
    """
    asked = content_words(turn.query)
    score = {a: len(asked & content_words(articles[a].title)) if a in articles else 0
             for a in dict.fromkeys(turn.cited)}
    ranked = sorted(score, key=lambda a: -score[a])  # stable: citation order breaks ties
    on_topic = [a for a in ranked if score[a] > 0]
    return on_topic or ranked[:1]


def topic_terms(turn: Turn, title: str, have: set[str], max_terms: int = 8) -> list[str]:
    """What the previous turn was about: the names in its query and its other content words;
    the names in its focus article's ``title`` only when the query named no one ("What
    happened in the collapse?").  Words the new question already has are skipped.

    A title's names describe a document ("Statement by Mr Sergey Lavrov, Minister for
    Foreign Affairs of Russia"), not what was asked: added to every follow-up they make the
    document's every sentence look like the answer.
    """
    named = [w for n in names(turn.query) for w in n.split()]
    candidates = (named or [w for n in names(title) for w in n.split()])
    candidates += re.findall(r"[\w’'-]+", turn.query)
    out: list[str] = []
    seen = set(have)
    for w in candidates:
        low = w.lower().strip("'’-")
        if low in seen or low in _SKIP:
            continue
        if len(low) < 2 or not content_words(w):
            continue
        seen.add(low)
        out.append(w.strip("'’-:,"))
        if len(out) == max_terms:
            break
    return out


def resolve(question: str, history: list[Turn], articles: dict[str, Article]) -> Resolution:
    """Turn ``question`` into a self-contained search, using the last turn and its articles.

    ``articles`` holds the catalog entries of the last turn's cited article ids (their titles
    name the story, their dates anchor "next").
    """
    kind = follow_up_kind(question) if history else "new"
    if kind == "new":
        return Resolution(question)
    last = history[-1]
    on_topic = focus(last, articles)
    title = articles[on_topic[0]].title if on_topic and on_topic[0] in articles else ""
    if kind == "refer":
        extra = topic_terms(last, title, content_words(question))
        query = f"{question} {' '.join(extra)}".strip()
        return Resolution(query, kind, prefer=on_topic[:3])
    # "What happened next?" / "Who else reported it?" ask the last question again, elsewhere:
    # the cue words are no topic (and would be scored as one), the rest of the question is.
    rest = [w for w in re.findall(r"[\w’'-]+", question) if w.lower() not in _SKIP]
    query = " ".join([last.query, *(w for w in rest if w.lower() not in last.query.lower())])
    # Other articles must be on the same story: they mention one of its names.
    cited = list(dict.fromkeys(last.cited))
    about = [w for n in names(last.query) + names(title) for w in n.split()
             if len(w) > 3 and w.lower() not in _SKIP]
    about = list(dict.fromkeys(about))
    if kind == "others":
        return Resolution(query, kind, avoid=cited, about=about)
    dates = [articles[a].date for a in on_topic if a in articles and articles[a].date]
    return Resolution(query, kind, avoid=cited, since=min(dates) if dates else None,
                      about=about)


def condense_with_llm(model, question: str, history: list[Turn], *,
                      retries: int = 1) -> str | None:
    """The model's standalone rewrite of ``question``, or None when it fails or rambles.

    A rewrite must keep most of the question's own content words: a tiny model that drifts
    to another topic would send retrieval astray, and the lexical resolution is the fallback.
    """
    from langchain_core.messages import HumanMessage, SystemMessage

    from newsqa.answer.llm import LLMUnavailable, call_llm

    lines = [f"Q: {t.question}\nA: {t.answer[:300]}" for t in history[-3:]]
    prompt = "Conversation:\n" + "\n".join(lines) + f"\n\nLast question: {question}\n" \
        "Standalone question:"
    try:
        text = call_llm(model, [SystemMessage(CONDENSE_SYSTEM), HumanMessage(prompt)],
                        retries=retries)
    except LLMUnavailable:
        return None
    lines = [ln.strip().strip('"“”') for ln in text.strip().splitlines() if ln.strip()]
    rewrite = lines[0] if lines else ""
    own = content_words(question) - _CUE_WORDS
    kept = own & content_words(rewrite)
    if not 3 <= len(rewrite) <= 300 or (own and len(kept) < len(own) / 2):
        return None
    return rewrite


Search = Callable[[int, Filters], list[Passage]]


def gather(res: Resolution, search: Search, k: int, filters: Filters | None,
           per_article: int) -> list[Passage]:
    """Passages for a resolved question: the prior's best first, then the rest.

    ``search(k, filters)`` is the engine's search for ``res.query`` (time words read,
    filters applied).
    """
    base = filters or Filters()
    if res.since and not base.since:
        base = replace(base, since=res.since)
    found = search(k + 2 * len(res.avoid), base)
    rest = [p for p in found if p.article_id not in res.avoid] or found
    if res.about:  # same story: at least half of its names (one name can be generic)
        words = [w.lower() for w in res.about]
        need = (len(words) + 1) // 2
        rest = [p for p in rest
                if sum(w in f"{p.title} {p.text}".lower() for w in words) >= need]
    prior: list[Passage] = []
    if res.prefer:
        prior = search(per_article, replace(base, article_ids=res.prefer))
    seen = {p.chunk_id for p in prior}
    return (prior + [p for p in rest if p.chunk_id not in seen])[:k]


def notes(question: str, res: Resolution, filters: Filters | None, passages: list[Passage],
          abstained: bool) -> list[str]:
    """What the answer tells the user about how a follow-up was searched."""
    out: list[str] = []
    if res.query != question:
        out.append(f"Searched for: {res.query}")
    if res.since and not (filters and filters.since):
        out.append(f"Follow-up: reports from {res.since} on.")
    if res.avoid:
        out.append("Follow-up: articles cited before are left out.")
    if res.about and (not passages or abstained):  # none, or none that answers
        out.append("No other article on this story was found.")
    return out
