"""Conversations: the turns of a chat, persisted so the CLI and the bot can resume them.

Storage only: how a question is resolved against earlier turns is ``retrieve/followups.py``,
and the question itself goes through :meth:`newsqa.engine.Engine.ask` with ``history=``.
Turns are kept in SQLite (``conversations.sqlite`` next to the catalog).
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from newsqa.types import Answer

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



    @classmethod
    def of(cls, answer: Answer) -> Turn:
        """The turn an answer makes (``answer.query`` is what was searched)."""
        return cls(answer.question, answer.query or answer.question, answer.answer,
                   [c.article_id for c in answer.citations])


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



class Conversation:
    """One conversation's turns; ``ask`` answers a question as a follow-up and records it.

    ``answer`` is the engine's ``ask`` (it takes ``history=``): passing it in, rather than
    the engine, keeps storage free of the engine.
    """

    def __init__(self, answer: Callable[..., Answer], store: ConversationStore,
                 conversation_id: str | None = None) -> None:
        self.answer = answer
        self.store = store
        self.id = conversation_id or uuid.uuid4().hex[:12]
        self.turns = store.turns(self.id)

    def ask(self, question: str, **options) -> Answer:
        """Answer ``question`` given the turns so far (options as for ``Engine.ask``)."""
        result = self.answer(question, history=self.turns, **options)
        turn = Turn.of(result)
        self.store.append(self.id, len(self.turns), turn)
        self.turns.append(turn)
        return result

    def reset(self) -> None:
        """Forget this conversation's turns."""
        self.store.clear(self.id)
        self.turns = []
