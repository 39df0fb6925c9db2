"""Near-duplicate detection for syndicated copies of one story (wire copy run by many outlets).

Exact copies are caught by the text hash; syndicated copies differ a little (a dateline, a
changed headline, a trimmed last paragraph, a credit line), so they are caught by MinHash
signatures of word 3-gram shingles in a datasketch LSH index: a new article whose estimated
Jaccard similarity to an indexed one reaches the threshold is stored as that article's
duplicate (outlet, URL and title kept; no chunks), so retrieval returns the story once and an
answer can say who else ran it.

Signatures persist in the catalog's SQLite file (table ``minhashes``) and the LSH index is
rebuilt from them when an ingest starts; a signature whose article row never got written (a
killed ingest) or was removed is ignored, so the table can never make a live article a copy
of a dead one.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from newsqa.types import normalized_text

NUM_PERM = 128
SEED = 1
# Pinned, since stored signatures are only comparable with ones made the same way.
SCHEME = "affine32"
SHINGLE_WORDS = 3
# Below this many words two different briefs can share most shingles by chance.
MIN_WORDS = 40
LSH_MARGIN = 0.1
_WORD = re.compile(r"\w+")


class NearDupIndex:
    """MinHash LSH over the canonical articles of one index."""

    def __init__(self, db: sqlite3.Connection, threshold: float) -> None:
        self.db = db
        self.threshold = threshold
        with db:
            db.execute("CREATE TABLE IF NOT EXISTS minhashes (id TEXT PRIMARY KEY,"
                       " sig BLOB NOT NULL)")
        # The LSH bands are tuned a little below the threshold so pairs right at it are still
        # candidates; find() then checks each candidate's estimated similarity exactly.
        self.lsh = MinHashLSH(threshold=max(0.1, threshold - LSH_MARGIN), num_perm=NUM_PERM)
        self.sigs: dict[str, LeanMinHash] = {}
        for article_id, blob in db.execute("SELECT id, sig FROM minhashes"):
            values = np.frombuffer(blob, dtype=np.uint64)
            if len(values) == NUM_PERM:
                self._insert(article_id, LeanMinHash(seed=SEED, hashvalues=values, scheme=SCHEME))

    @staticmethod
    def signature(text: str) -> LeanMinHash | None:
        """MinHash of the text's word 3-grams; None if the text is too short to judge."""
        words = _WORD.findall(normalized_text(text))
        if len(words) < MIN_WORDS:
            return None
        m = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
        m.update_batch([" ".join(words[i:i + SHINGLE_WORDS]).encode("utf-8")
                        for i in range(len(words) - SHINGLE_WORDS + 1)])
        return LeanMinHash(m)

    def find(self, sig: LeanMinHash, exclude: str, alive: Callable[[str], bool]) -> str | None:
        """The most similar live article at or above the threshold, other than ``exclude``."""
        best, best_j = None, self.threshold
        for cand in self.lsh.query(sig):
            if cand == exclude or not alive(cand):
                continue
            j = sig.jaccard(self.sigs[cand])
            if j >= best_j:
                best, best_j = cand, j
        return best

    def add(self, article_id: str, sig: LeanMinHash) -> None:
        """Index (or re-index) an article's signature, in memory and on disk."""
        self._insert(article_id, sig)
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO minhashes VALUES (?, ?)",
                            (article_id, sig.hashvalues.astype(np.uint64).tobytes()))

    def _insert(self, article_id: str, sig: LeanMinHash) -> None:
        if article_id in self.sigs:
            self.lsh.remove(article_id)
        self.lsh.insert(article_id, sig)
        self.sigs[article_id] = sig
