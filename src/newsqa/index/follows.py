"""What a follower knows about each source it follows, kept in the catalog's SQLite file.

A source's row holds the validators of its last response (``etag``, ``last_modified``) for the
next conditional request, when it was last checked and when it last brought an article, its
last error, how many times in a row it failed and when it is next due; ``follow_seen`` holds
the keys (guid or link) of the entries already taken.  Both live next to the articles, so a
follower that restarts sends the same conditional request, fetches no entry page twice and
waits out a source's back-off; and deleting the index forgets them with everything else.

The tables are created here when first opened (the catalog's schema does not know them), on a
connection of this object's own: a follower writes its state from its own threads while the
engine's connection serves readers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS follow_sources (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    last_checked REAL,
    last_new REAL,
    last_new_count INTEGER NOT NULL DEFAULT 0,
    brought INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    next_due REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS follow_seen (
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (source, key)
);
"""


def iso_time(stamp: float | None) -> str | None:
    """A Unix time as ISO 8601 UTC to the second (``2026-12-02T10:15:00Z``)."""
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SourceState:
    """One followed source; times are Unix seconds (None: never)."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_checked: float | None = None
    last_new: float | None = None  # when a round last added or updated an article from it
    last_new_count: int = 0  # how many it added or updated then
    brought: int = 0  # articles added or updated from it, all rounds together
    last_error: str | None = None
    failures: int = 0  # rounds in a row that failed (0 after a success)
    next_due: float = 0.0
    seen: set[str] = field(default_factory=set, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``newsqa stats --json``'s ``followed`` (times in ISO UTC)."""
        return {"url": self.url, "last_checked": iso_time(self.last_checked),
                "last_new": iso_time(self.last_new), "last_new_count": self.last_new_count,
                "brought": self.brought, "last_error": self.last_error,
                "failures": self.failures, "next_due": iso_time(self.next_due or None),
                "seen": len(self.seen)}


_COLUMNS = [f.name for f in fields(SourceState) if f.name != "seen"]


class FollowState:
    """The follow tables of the catalog database at ``path``."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        with self.db:
            self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def get(self, url: str) -> SourceState:
        """The stored state of ``url`` with its seen keys, or a fresh one (due now)."""
        row = self.db.execute(f"SELECT {', '.join(_COLUMNS)} FROM follow_sources WHERE url=?",
                              (url,)).fetchone()
        state = SourceState(**dict(zip(_COLUMNS, row, strict=True))) if row else SourceState(url)
        state.seen = {k for (k,) in self.db.execute(
            "SELECT key FROM follow_seen WHERE source=?", (url,))}
        return state

    def save(self, state: SourceState, seen: Iterable[str] | None = None) -> None:
        """Store ``state``; with ``seen``, the source's seen keys become exactly those (in the
        same transaction, so the keys never run ahead of the validators or the other way)."""
        values = [getattr(state, c) for c in _COLUMNS]
        with self.db:
            self.db.execute(f"INSERT OR REPLACE INTO follow_sources ({', '.join(_COLUMNS)})"
                            f" VALUES ({', '.join('?' * len(_COLUMNS))})", values)
            if seen is not None:
                new = set(seen)
                old = {k for (k,) in self.db.execute(
                    "SELECT key FROM follow_seen WHERE source=?", (state.url,))}
                self.db.executemany("DELETE FROM follow_seen WHERE source=? AND key=?",
                                    [(state.url, k) for k in old - new])
                self.db.executemany("INSERT INTO follow_seen VALUES (?, ?)",
                                    [(state.url, k) for k in new - old])
                state.seen = new

    def register(self, urls: Iterable[str]) -> None:
        """Record sources before their first round, so statistics list them at once."""
        with self.db:
            self.db.executemany("INSERT OR IGNORE INTO follow_sources (url) VALUES (?)",
                                [(u,) for u in urls])

    def all(self) -> list[SourceState]:
        """Every source a follower of this index has followed, by URL."""
        urls = [u for (u,) in self.db.execute("SELECT url FROM follow_sources ORDER BY url")]
        return [self.get(u) for u in urls]
