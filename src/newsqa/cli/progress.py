"""Progress of the long commands (ingest, eval, bulk remove), always on stderr.

stdout carries only a command's result, so ``newsqa ingest … --json > report.json`` and
``newsqa eval … | jq`` stay parseable while the progress is still seen.  On a terminal the
progress is a live bar (done/total, rate, ETA) redrawn as each item finishes; anywhere else
(a pipe, a CI log, ``make``'s output) a bar's redraws would be noise or invisible, so a
plain line is written every ``interval`` seconds instead, e.g.
``ingest: 420/952 articles (44%) · 12.5/s · ETA 43s · 2,010 chunks``, also while nothing
finishes (the first run exports the embedding model for a minute before any article is
done).  A run shorter than one interval writes no line at all; an interval of 0 writes a
line at every update instead.
"""

from __future__ import annotations

import threading
import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)


def duration(seconds: float) -> str:
    """``42s``, ``3m07s``, ``1h05m``: short enough for a progress line."""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class ProgressDisplay:
    """Shows ``done`` of ``total`` items (``total`` None: unknown) while a command runs.

    ``update`` may be called from any thread (ingest embeds on a background thread) and as
    often as every item: the bar and the line timer redraw at their own pace.
    """

    def __init__(self, label: str, total: int | None, *, unit: str, enabled: bool = True,
                 interval: float = 5.0) -> None:
        self.label, self.total, self.unit, self.interval = label, total, unit, interval
        self.console = Console(stderr=True, highlight=False)
        self.enabled = enabled
        self.live = enabled and self.console.is_terminal
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._start = 0.0
        self._done = 0.0
        self._extra = ""
        self._lines = 0
        self._bar: Progress | None = None
        self._task = None
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> ProgressDisplay:
        self._start = time.monotonic()
        if self.enabled and not self.live and self.interval > 0:
            self._ticker = threading.Thread(target=self._tick, name="newsqa-progress",
                                            daemon=True)
            self._ticker.start()
        if self.live:
            self._bar = Progress(
                TextColumn(f"[bold]{self.label}[/]"), BarColumn(), MofNCompleteColumn(),
                TextColumn(self.unit), TaskProgressColumn(), TextColumn("{task.fields[rate]}"),
                TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[extra]}"),
                console=self.console, transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total, rate="", extra="")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self._bar is not None:
            self._bar.stop()
        elif self._lines:  # a log that showed progress also shows the end
            self._print(final=True)

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            self._print()

    def _print(self, final: bool = False) -> None:
        with self._lock:
            self._lines += 1
            self.console.print(self._line(time.monotonic(), final), soft_wrap=True,
                               markup=False)

    def update(self, done: float, extra: str = "") -> None:
        """``done`` items finished so far; ``extra`` is shown after the rate (e.g. chunks)."""
        if not self.enabled:
            return
        with self._lock:
            self._done, self._extra = done, extra
            if self._bar is not None:
                self._bar.update(self._task, completed=done,
                                 rate=self._rate(time.monotonic()), extra=extra)
        if self._bar is None and self.interval <= 0:
            self._print()

    def _rate(self, now: float) -> str:
        elapsed = now - self._start
        return f"{self._done / elapsed:.1f}/s" if elapsed > 0.5 and self._done else ""

    def _line(self, now: float, final: bool = False) -> str:
        elapsed = now - self._start
        if final:  # the total was an estimate; the count is what was done
            parts = [f"{self.label}: {self._done:,.0f} {self.unit} in {duration(elapsed)}"]
        elif self.total:
            pct = min(100, int(100 * self._done / self.total))
            parts = [f"{self.label}: {self._done:,.0f}/{self.total:,} {self.unit} ({pct}%)"]
        else:
            parts = [f"{self.label}: {self._done:,.0f} {self.unit}"]
        if not final and (rate := self._rate(now)):
            parts.append(rate)
            if self.total and self._done:
                left = max(self.total - self._done, 0) * elapsed / self._done
                parts.append(f"ETA {duration(left)}")
        if self._extra:
            parts.append(self._extra)
        return " · ".join(parts)
