"""One writer per index at a time: an advisory lock on ``INDEX/write.lock``.

The catalog (SQLite) would survive two writers, but Chroma's local store and the lexical
index's journal replay are not meant to be driven by two processes at once.  Every write
(ingest, removal, a lexical repair) holds this lock; readers never take it, so the bot keeps
answering while ``newsqa ingest`` writes.  A second writer waits for the first (telling the
user once that it does) up to ``write_lock_timeout`` seconds, then gives up with a one-line
error; 0 means fail at once.

``flock`` locks belong to an open file, so two threads of one process (the bot's follower
and its ``/ingest``) exclude each other too, and the kernel drops the lock of a killed
process: a stale lock file never blocks anyone.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path

from newsqa.errors import NewsqaError

FILENAME = "write.lock"


class WriterBusyError(NewsqaError):
    """Another process (or thread) is writing to the index."""


class WriteLock:
    """The lock file of one index; :meth:`acquire` / :meth:`release` around a write."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.holder = "another process"  # who held it at the last failed attempt
        self._fh = None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it (readers that repair only when nobody writes)."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        fh = open(self.index_dir / FILENAME, "a+")  # noqa: SIM115 - kept while held
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            text = fh.read().strip()
            self.holder = f"pid {text}" if text.isdigit() else "another process"
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return True

    def state(self) -> tuple[str, str]:
        """``(state, holder)`` without taking the lock: ``free``, ``held`` (a writer is at
        work) or ``stale`` (the file still names a writer that died before releasing it).

        Probes with a shared lock held for an instant, so a writer starting at that moment
        waits one retry.
        """
        path = self.index_dir / FILENAME
        if not path.exists():
            return "free", ""
        with open(path) as fh:
            text = fh.read().strip()
            holder = f"pid {text}" if text.isdigit() else "another process"
            try:
                fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return "held", holder
            fcntl.flock(fh, fcntl.LOCK_UN)
        return ("stale", holder) if text else ("free", "")

    def acquire(self, timeout: float, on_wait: Callable[[str], None] | None = None) -> None:
        """Wait up to ``timeout`` seconds for the lock; ``on_wait`` hears once that we wait."""
        deadline = time.monotonic() + timeout
        told = False
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                raise WriterBusyError(
                    f"{self.index_dir} is being written by {self.holder}; try again when it"
                    " has finished (or raise NEWSQA_WRITE_LOCK_TIMEOUT)")
            if on_wait and not told:
                on_wait(f"waiting for {self.holder}, which is writing to {self.index_dir}")
                told = True
            time.sleep(0.2)

    def release(self) -> None:
        if self._fh is not None:
            self._fh.truncate(0)
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None
