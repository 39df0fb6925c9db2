"""A one-thread background stage: ingest parses and chunks while the previous batch embeds.

Embedding runs in torch / onnxruntime kernels that release the GIL, so the Python work of
loading, deciding and chunking the next batch proceeds on the main thread meanwhile.  Batches
are written strictly in submission order, and at most ``depth`` wait in the queue, so memory
stays bounded however large the archive is.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
_STOP = object()


class BackgroundWriter(Generic[T]):
    """Calls ``write(batch)`` on a worker thread; errors surface on the next call."""

    def __init__(self, write: Callable[[T], None], depth: int = 2) -> None:
        self._write = write
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="newsqa-writer", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            batch = self._queue.get()
            try:
                if batch is _STOP:
                    return
                if self._error is None:  # after a failure, skip the rest (they stay un-cataloged)
                    self._write(batch)
            except BaseException as err:  # noqa: BLE001 - re-raised on the caller's thread
                self._error = err
            finally:
                self._queue.task_done()

    def _raise(self) -> None:
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    def submit(self, batch: T) -> None:
        """Queue ``batch``; blocks while ``depth`` batches are already waiting."""
        self._raise()
        self._queue.put(batch)

    def drain(self) -> None:
        """Wait until everything submitted is written (so the catalog reflects it)."""
        self._queue.join()
        self._raise()

    def close(self) -> None:
        """Finish queued work, stop the thread, and raise a pending error."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()
        self._raise()
