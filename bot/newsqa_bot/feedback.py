"""Answers the bot gave and the 👍/👎 votes on them, kept in SQLite under the index.

Every answer is stored under a short id that its buttons carry in their ``custom_id``, so
"Sources" and the votes keep working after a restart.  Users are stored only as a salted
hash (the salt is random per installation), so the file is useful for evaluation without
being a list of who asked what.  ``newsqa feedback`` exports it as JSON lines.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsqa.types import Answer, Citation

FILENAME = "feedback.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    payload TEXT NOT NULL,
    user_hash TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS votes (
    answer_id TEXT NOT NULL REFERENCES answers(id),
    user_hash TEXT NOT NULL,
    vote INTEGER NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (answer_id, user_hash)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class FeedbackStore:
    """SQLite file ``feedback.sqlite`` in the index directory."""

    def __init__(self, index_dir: Path) -> None:
        index_dir.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(index_dir / FILENAME, check_same_thread=False)
        self.db.executescript(SCHEMA)
        row = self.db.execute("SELECT value FROM meta WHERE key='salt'").fetchone()
        if row is None:
            with self.db:
                self.db.execute("INSERT INTO meta VALUES ('salt', ?)", (secrets.token_hex(16),))
            row = self.db.execute("SELECT value FROM meta WHERE key='salt'").fetchone()
        self._salt = row[0]

    def user_hash(self, user_id: int) -> str:
        return hashlib.sha256(f"{self._salt}:{user_id}".encode()).hexdigest()[:16]

    def add_answer(self, answer: Answer, user_id: int) -> str:
        """Store an answer; returns the id its buttons refer to."""
        answer_id = secrets.token_hex(6)
        with self.db:
            self.db.execute(
                "INSERT INTO answers VALUES (?,?,?,?,?,?)",
                (answer_id, answer.question, answer.answer, json.dumps(answer.to_dict()),
                 self.user_hash(user_id), time.time()),
            )
        return answer_id

    def answer(self, answer_id: str) -> Answer | None:
        row = self.db.execute("SELECT payload FROM answers WHERE id=?", (answer_id,)).fetchone()
        if row is None:
            return None
        d = json.loads(row[0])
        d["citations"] = [Citation(**c) for c in d["citations"]]
        return Answer(**d)

    def vote(self, answer_id: str, user_id: int, up: bool) -> None:
        """Record (or change) one user's vote on one answer."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO votes VALUES (?,?,?,?)",
                            (answer_id, self.user_hash(user_id), 1 if up else -1, time.time()))

    def export(self) -> Iterator[dict[str, Any]]:
        """One record per vote: question, answer, cited ids, vote, hashed user, time."""
        rows = self.db.execute(
            "SELECT a.id, a.question, a.answer, a.payload, v.vote, v.user_hash, v.at"
            " FROM votes v JOIN answers a ON a.id = v.answer_id ORDER BY v.at"
        )
        for aid, question, answer, payload, vote, user, at in rows:
            cited = [c["article_id"] for c in json.loads(payload)["citations"]]
            yield {
                "answer_id": aid, "question": question, "answer": answer,
                "cited": list(dict.fromkeys(cited)), "vote": "up" if vote > 0 else "down",
                "user": user, "time": datetime.fromtimestamp(at, UTC).isoformat(),
            }

    def close(self) -> None:
        self.db.close()


def export_jsonl(index_dir: Path, out) -> int:
    """Write every vote as one JSON line to the text stream ``out``; returns the count."""
    if not (index_dir / FILENAME).exists():
        return 0
    store = FeedbackStore(index_dir)
    try:
        records = list(store.export())
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return len(records)
    finally:
        store.close()
