"""Conversations: a question that leans on earlier turns becomes a self-contained query.

"And what did he say about civilians?" means nothing to a retriever; with the previous turn
("What did Lavrov demand?") it becomes "Lavrov ... civilians".  Turns are persisted in
SQLite under the index so the CLI and the bot can resume a conversation by id.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .answerer import content_words
from .models import Answer, Filters

if TYPE_CHECKING:
    from .engine import Engine

_FOLLOW_UP = re.compile(
    r"^\s*(and|but|also|what about|how about|then|so)\b|\b(he|she|they|him|her|them|his|"
    r"their|it|its|this|that|these|those|there|then|next|else)\b",
    re.IGNORECASE,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL,
    n INTEGER NOT NULL,
    question TEXT NOT NULL,
    query TEXT NOT NULL,
    answer TEXT NOT NULL,
    cited TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (conversation_id, n)
);
"""


@dataclass
class Turn:
    """One exchange: what was asked, what was searched, what was answered and cited."""

    question: str
    query: str
    answer: str
    cited: list[str]


class ConversationStore:
    """SQLite file ``conversations.sqlite`` next to the index's catalog."""

    def __init__(self, index_dir: Path) -> None:
        index_dir.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(index_dir / "conversations.sqlite", check_same_thread=False)
        self.db.executescript(SCHEMA)

    def turns(self, conversation_id: str) -> list[Turn]:
        rows = self.db.execute(
            "SELECT question, query, answer, cited FROM turns WHERE conversation_id=? ORDER BY n",
            (conversation_id,),
        ).fetchall()
        return [Turn(q, qq, a, json.loads(c)) for q, qq, a, c in rows]

    def append(self, conversation_id: str, n: int, turn: Turn) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO turns VALUES (?,?,?,?,?,?,?)",
                (conversation_id, n, turn.question, turn.query, turn.answer,
                 json.dumps(turn.cited), time.time()),
            )

    def clear(self, conversation_id: str) -> None:
        with self.db:
            self.db.execute("DELETE FROM turns WHERE conversation_id=?", (conversation_id,))


def condense(question: str, history: list[Turn], max_terms: int = 8) -> str:
    """A self-contained retrieval query for ``question`` given earlier turns.

    Without a language model: if the question looks like a follow-up (a pronoun, "and …",
    "what about …"), the content words of the previous query that the new question lacks
    are appended.
    """
    if not history or not _FOLLOW_UP.search(question):
        return question
    have = content_words(question)
    prev = [w for w in re.findall(r"[\w’'-]+", history[-1].query)
            if w.lower() in content_words(history[-1].query) and w.lower() not in have]
    extra = list(dict.fromkeys(prev))[:max_terms]
    return f"{question} {' '.join(extra)}".strip() if extra else question


class Conversation:
    """A persisted chat over the engine; ``ask`` resolves follow-ups, then answers."""

    def __init__(self, engine: Engine, store: ConversationStore,
                 conversation_id: str | None = None) -> None:
        self.engine = engine
        self.store = store
        self.id = conversation_id or uuid.uuid4().hex[:12]
        self.turns = store.turns(self.id)

    def ask(self, question: str, *, filters: Filters | None = None,
            k: int | None = None) -> Answer:
        query = condense(question, self.turns)
        answer = self.engine.ask(query, filters=filters, k=k)
        answer.question = question
        if query != question:
            answer.notes.append(f"Searched for: {query}")
        turn = Turn(question, query, answer.answer, [c.article_id for c in answer.citations])
        self.store.append(self.id, len(self.turns), turn)
        self.turns.append(turn)
        return answer

    def reset(self) -> None:
        """Forget this conversation's turns."""
        self.store.clear(self.id)
        self.turns = []
