"""The article catalog: full texts, metadata and ingest bookkeeping in SQLite.

Chroma holds chunks and vectors; the catalog holds what citations are checked against (the
full article text) and what makes ingest incremental (content hashes).  An article's row is
written *after* its chunks are in Chroma, so a killed ingest leaves rows only for complete
articles and a re-run redoes the rest with the same deterministic chunk ids; a removal
deletes the row *first*, so a killed removal leaves only uncited chunks behind.

Every change of an article's row also appends its id to ``lexical_journal`` in the same
transaction: the lexical index (lexical.py) re-indexes the journalled articles and then
clears their entries, so whatever a kill interrupts, the journal says what the lexical index
still has to catch up on.  The journal's sequence (never reused) doubles as the catalog's
*generation*: readers in other processes compare it to notice new content.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from newsqa.text.dates import date_bounds
from newsqa.types import Article, Chunk

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    date TEXT,
    date_start INTEGER NOT NULL DEFAULT 0,
    date_end INTEGER NOT NULL DEFAULT 0,
    url TEXT,
    source TEXT,
    authors TEXT NOT NULL DEFAULT '[]',
    lang TEXT,
    text_hash TEXT NOT NULL,
    record_hash TEXT NOT NULL,
    n_chunks INTEGER NOT NULL,
    origin TEXT
);
CREATE INDEX IF NOT EXISTS articles_text_hash ON articles(text_hash);
CREATE TABLE IF NOT EXISTS duplicates (
    id TEXT PRIMARY KEY,
    canonical_id TEXT NOT NULL,
    title TEXT, date TEXT, url TEXT, source TEXT
);
CREATE INDEX IF NOT EXISTS duplicates_canonical ON duplicates(canonical_id);
CREATE TABLE IF NOT EXISTS chunks (
    article_id TEXT NOT NULL,
    chunk_no INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    PRIMARY KEY (article_id, chunk_no)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lexical_journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL
);
"""

_COLS = ("id", "title", "text", "date", "url", "source", "authors", "lang", "origin")


class Catalog:
    """SQLite file ``articles.sqlite`` inside the index directory."""

    FILENAME = "articles.sqlite"

    def __init__(self, index_dir: Path) -> None:
        index_dir.mkdir(parents=True, exist_ok=True)
        self.path = index_dir / self.FILENAME
        self.db = sqlite3.connect(self.path, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # --- meta ---------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # --- lookups ------------------------------------------------------------
    def record_hash(self, article_id: str) -> str | None:
        row = self.db.execute(
            "SELECT record_hash FROM articles WHERE id=?", (article_id,)
        ).fetchone()
        return row[0] if row else None

    def n_chunks(self, article_id: str) -> int:
        row = self.db.execute("SELECT n_chunks FROM articles WHERE id=?", (article_id,)).fetchone()
        return row[0] if row else 0

    def id_with_text(self, text_hash: str) -> str | None:
        row = self.db.execute(
            "SELECT id FROM articles WHERE text_hash=? LIMIT 1", (text_hash,)
        ).fetchone()
        return row[0] if row else None

    def get(self, article_id: str) -> Article | None:
        row = self.db.execute(
            f"SELECT {', '.join(_COLS)} FROM articles WHERE id=?", (article_id,)
        ).fetchone()
        return self._article(row) if row else None

    def present(self, ids: Iterable[str]) -> dict[str, int]:
        """``id -> n_chunks`` for those of ``ids`` with an article row: what may be cited.

        Chroma can hold chunks the catalog never recorded (an ingest killed between the two
        writes): chunks of an article without a row, or numbered past its row's count.
        """
        ids = list(dict.fromkeys(ids))
        out: dict[str, int] = {}
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            marks = ",".join("?" * len(part))
            out.update(self.db.execute(
                f"SELECT id, n_chunks FROM articles WHERE id IN ({marks})", part))
        return out

    def get_many(self, ids: Iterable[str]) -> dict[str, Article]:
        ids = list(dict.fromkeys(ids))
        out: dict[str, Article] = {}
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            marks = ",".join("?" * len(part))
            for row in self.db.execute(
                f"SELECT {', '.join(_COLS)} FROM articles WHERE id IN ({marks})", part
            ):
                out[row[0]] = self._article(row)
        return out

    def duplicates_of(self, article_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT id, title, date, url, source FROM duplicates WHERE canonical_id=?",
            (article_id,),
        ).fetchall()
        return [dict(zip(("id", "title", "date", "url", "source"), r, strict=True)) for r in rows]

    def article_meta(self) -> dict[str, tuple[str, int, int, str | None, str | None]]:
        """``id -> (title, date_start, date_end, source, lang)`` of every article."""
        return {r[0]: tuple(r[1:]) for r in self.db.execute(
            "SELECT id, title, date_start, date_end, source, lang FROM articles")}

    def chunk_spans(self, chunk_ids: Iterable[str]) -> dict[str, tuple[int, int]]:
        """``chunk_id -> (start, end)`` in the article text, for passages found lexically."""
        keys = [(cid.rsplit("::", 1)[0], int(cid.rsplit("::", 1)[1])) for cid in chunk_ids]
        out: dict[str, tuple[int, int]] = {}
        for aid, no in keys:
            row = self.db.execute(
                'SELECT start, "end" FROM chunks WHERE article_id=? AND chunk_no=?', (aid, no)
            ).fetchone()
            if row:
                out[f"{aid}::{no}"] = (row[0], row[1])
        return out

    def chunks_of(self, article_id: str) -> list[Chunk]:
        """The chunks recorded for an article, texts cut from its stored text."""
        art = self.get(article_id)
        if art is None:
            return []
        rows = self.db.execute(
            'SELECT chunk_no, start, "end" FROM chunks WHERE article_id=? ORDER BY chunk_no',
            (article_id,)).fetchall()
        return [Chunk(article_id, no, lo, hi, art.text[lo:hi]) for no, lo, hi in rows]

    def lexical_docs(self, article_ids: Iterable[str] | None = None
                     ) -> Iterator[tuple[str, str, str, int, int, str, str]]:
        """``(chunk_id, article_id, title + text, date_start, date_end, source, lang)`` per
        chunk of ``article_ids`` (every chunk when None): what the lexical index holds."""
        sql = ('SELECT c.article_id, c.chunk_no, a.title,'
               ' substr(a.text, c.start + 1, c."end" - c.start), a.date_start, a.date_end,'
               " COALESCE(a.source, ''), COALESCE(a.lang, '')"
               " FROM chunks c JOIN articles a ON a.id = c.article_id")
        if article_ids is None:
            queries = [(sql, [])]
        else:
            ids = list(dict.fromkeys(article_ids))
            queries = [(f"{sql} WHERE c.article_id IN ({','.join('?' * len(part))})", part)
                       for part in (ids[i:i + 500] for i in range(0, len(ids), 500))]
        for query, params in queries:
            for aid, no, title, text, lo, hi, source, lang in self.db.execute(query, params):
                # The title is part of what a chunk is about, as it is for the dense side.
                yield f"{aid}::{no}", aid, f"{title}\n{text}", lo, hi, source, lang

    def filter_rows(self) -> list[tuple[str, int, int, str, str, int]]:
        """``(id, date_start, date_end, source, lang, n_chunks)`` of every article, for
        judging filters on chunk ids without asking Chroma (chunk_filter.py)."""
        return self.db.execute(
            "SELECT id, date_start, date_end, COALESCE(source, ''), COALESCE(lang, ''),"
            " n_chunks FROM articles").fetchall()

    def total_chunks(self) -> int:
        return self.db.execute("SELECT COALESCE(SUM(n_chunks), 0) FROM articles").fetchone()[0]

    # --- the lexical journal ------------------------------------------------
    def generation(self) -> int:
        """A number that grows with every change of an article row, in any process."""
        row = self.db.execute(
            "SELECT seq FROM sqlite_sequence WHERE name='lexical_journal'").fetchone()
        return row[0] if row else 0

    def lexical_pending(self) -> tuple[int, list[str]]:
        """``(last seq, article ids)`` the lexical index has not caught up with yet."""
        rows = self.db.execute(
            "SELECT seq, article_id FROM lexical_journal ORDER BY seq").fetchall()
        return (rows[-1][0] if rows else 0), list(dict.fromkeys(r[1] for r in rows))

    def lexical_done(self, upto: int) -> None:
        """The lexical index has committed every journalled change up to ``upto``."""
        with self.db:
            self.db.execute("DELETE FROM lexical_journal WHERE seq <= ?", (upto,))

    @staticmethod
    def _article(row: tuple) -> Article:
        d = dict(zip(_COLS, row, strict=True))
        d["authors"] = json.loads(d["authors"] or "[]")
        d["origin"] = d["origin"] or ""
        return Article(**d)

    # --- writes -------------------------------------------------------------
    def upsert(self, article: Article, chunks: Sequence[Chunk]) -> None:
        """Record a fully indexed article (call only after its chunks are stored)."""
        lo, hi = date_bounds(article.date)
        n_chunks = len(chunks)
        with self.db:
            self.db.execute("DELETE FROM duplicates WHERE id=?", (article.id,))
            self.db.execute("DELETE FROM chunks WHERE article_id=?", (article.id,))
            self.db.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?)",
                [(c.article_id, c.chunk_no, c.start, c.end) for c in chunks],
            )
            self.db.execute(
                "INSERT OR REPLACE INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (article.id, article.title, article.text, article.date, lo, hi, article.url,
                 article.source, json.dumps(article.authors), article.lang, article.text_hash,
                 article.record_hash, n_chunks, article.origin),
            )
            self._journal(article.id)

    def add_duplicate(self, article: Article, canonical_id: str) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO duplicates VALUES (?,?,?,?,?,?)",
                (article.id, canonical_id, article.title, article.date, article.url,
                 article.source),
            )

    def is_duplicate(self, article_id: str) -> str | None:
        row = self.db.execute(
            "SELECT canonical_id FROM duplicates WHERE id=?", (article_id,)
        ).fetchone()
        return row[0] if row else None

    def delete(self, article_id: str) -> bool:
        with self.db:
            self.db.execute("DELETE FROM chunks WHERE article_id=?", (article_id,))
            n = self.db.execute("DELETE FROM articles WHERE id=?", (article_id,)).rowcount
            if n:
                self._journal(article_id)
            n += self.db.execute("DELETE FROM duplicates WHERE id=?", (article_id,)).rowcount
        return n > 0

    def _journal(self, article_id: str) -> None:
        """Inside a write transaction: the lexical index must re-read this article."""
        self.db.execute("INSERT INTO lexical_journal (article_id) VALUES (?)", (article_id,))

    # --- statistics ---------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        n, chunks, lo, hi = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(n_chunks), 0), MIN(NULLIF(date_start, 0)),"
            " MAX(date_end) FROM articles"
        ).fetchone()
        dups = self.db.execute("SELECT COUNT(*) FROM duplicates").fetchone()[0]
        sources = dict(self.db.execute(
            "SELECT COALESCE(source, '(unknown)'), COUNT(*) FROM articles GROUP BY 1"
            " ORDER BY 2 DESC"
        ).fetchall())
        return {"articles": n, "chunks": chunks, "duplicates": dups, "sources": sources,
                "date_min": lo, "date_max": hi}

    def sources(self) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT DISTINCT source FROM articles WHERE source IS NOT NULL ORDER BY 1"
        )]
