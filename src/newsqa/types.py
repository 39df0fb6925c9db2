"""The data that flows through newsqa: articles in, passages and cited answers out.

Plain dataclasses so every face (CLI, bot, JSON output, evaluation) serialises the same
fields; ``to_dict`` gives the public JSON shape documented in docs/cli.md.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

_WS = re.compile(r"\s+")


def normalized_text(text: str) -> str:
    """Whitespace-collapsed, case-folded text: what counts as 'the same story'."""
    return _WS.sub(" ", text).strip().casefold()


def sha(*parts: str) -> str:
    """Stable hex digest of some strings (ids, content hashes)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


@dataclass
class Article:
    """One news item as loaded; ``text`` is the body that citations point into."""

    id: str
    title: str
    text: str
    date: str | None = None  # ISO: YYYY-MM-DD, YYYY-MM or YYYY
    url: str | None = None
    source: str | None = None
    authors: list[str] = field(default_factory=list)
    lang: str | None = None
    origin: str = ""  # file[:line] it came from, for error messages

    @property
    def text_hash(self) -> str:
        """Identity of the story's text, to spot exact duplicates under other ids."""
        return sha(normalized_text(self.text))

    @property
    def record_hash(self) -> str:
        """Identity of everything stored for the article, to spot changed records."""
        return sha(
            self.title, self.text, self.date or "", self.url or "", self.source or "",
            "|".join(self.authors), self.lang or "",
        )


@dataclass
class Chunk:
    """A span of an article's text, ``article.text[start:end] == text``."""

    article_id: str
    chunk_no: int
    start: int
    end: int
    text: str

    @property
    def id(self) -> str:
        return chunk_id(self.article_id, self.chunk_no)


def chunk_id(article_id: str, chunk_no: int) -> str:
    """A chunk's id in the stores: deterministic, so whoever knows an article's chunk count
    can name every chunk (re-ingest overwrites them, removal deletes them by id)."""
    return f"{article_id}::{chunk_no}"


@dataclass
class Filters:
    """Restrictions on what may be retrieved; dates are ISO strings (inclusive)."""

    since: str | None = None
    until: str | None = None
    sources: list[str] | None = None  # outlet names as stored
    lang: str | None = None
    article_ids: list[str] | None = None  # only these articles (a conversation's prior)
    # Undated articles pass ``until`` too: the as-of cap of every question, where nothing
    # says that a text without a date came later (a user's ``--until`` wants dated news).
    undated: bool = False

    def is_empty(self) -> bool:
        return not (self.since or self.until or self.sources or self.lang or self.article_ids)


@dataclass
class Passage:
    """A retrieved chunk with its article's metadata and the retrieval score."""

    chunk_id: str
    article_id: str
    start: int
    end: int
    text: str
    title: str
    date: str | None
    url: str | None
    source: str | None
    score: float
    authors: list[str] = field(default_factory=list)

    @property
    def chunk_no(self) -> int:
        """The chunk's place in its article, from 0 (see :func:`chunk_id`)."""
        return int(self.chunk_id.rsplit("::", 1)[1])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Citation:
    """A verbatim quote: ``article.text[start:end] == quote``, numbered ``n`` in the answer."""

    n: int
    article_id: str
    title: str
    source: str | None
    date: str | None
    url: str | None
    quote: str
    start: int
    end: int
    score: float
    # Syndicated copies of the cited article: {"id", "title", "date", "url", "source"} each.
    also: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    """What ``ask`` returns: prose with ``[n]`` markers, the citations, the ranked articles."""

    question: str
    answer: str
    citations: list[Citation]
    retrieved: list[str]
    abstained: bool = False
    notes: list[str] = field(default_factory=list)  # e.g. the time frame used
    query: str = ""  # what was searched: a follow-up's self-contained question

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "citations": [c.to_dict() for c in self.citations],
            "retrieved": self.retrieved,
            "abstained": self.abstained,
            "notes": self.notes,
        }


LISTED_PROBLEMS = 1000  # failures (and skips) listed by where and why; the rest are counted


@dataclass
class IngestReport:
    """Counts of what one ingest did, with a reason for every failure.

    The first :data:`LISTED_PROBLEMS` failures are kept with their reasons and the rest only
    counted (``failed_unlisted``), so five million bad lines cost a number, not gigabytes
    and a five-million-line report; skips alike.
    """

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate: int = 0
    chunks: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (where, reason)
    seconds: float = 0.0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # not articles, e.g. images
    failed_unlisted: int = 0
    skipped_unlisted: int = 0

    def fail(self, where: str, reason: str) -> None:
        """Record one failed input."""
        if len(self.failed) < LISTED_PROBLEMS:
            self.failed.append((where, reason))
        else:
            self.failed_unlisted += 1

    def skip(self, where: str, reason: str) -> None:
        """Record one input that is not an article."""
        if len(self.skipped) < LISTED_PROBLEMS:
            self.skipped.append((where, reason))
        else:
            self.skipped_unlisted += 1

    @property
    def n_failed(self) -> int:
        return len(self.failed) + self.failed_unlisted

    @property
    def n_skipped(self) -> int:
        return len(self.skipped) + self.skipped_unlisted

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["failed"] = [{"where": w, "reason": r} for w, r in self.failed]
        d["skipped"] = [{"where": w, "reason": r} for w, r in self.skipped]
        return d
