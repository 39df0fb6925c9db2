"""Terminal rendering with rich: answers with their numbered sources, passages, reports.

Kept apart from the CLI's argument handling so that what a reader sees is defined in one
place; JSON output bypasses it and uses the models' ``to_dict``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from newsqa.ingest.ingestor import Progress as IngestState
from newsqa.types import Answer, IngestReport, Passage

console = Console(highlight=False, soft_wrap=False)


def source_line(source: str | None, title: str, date: str | None, url: str | None) -> str:
    """"Outlet — Title (date) <url>": how a source is named everywhere in the CLI."""
    parts = [f"[bold]{escape(source or 'unknown outlet')}[/] — {escape(title)}"]
    if date:
        parts.append(f"({date})")
    if url:
        parts.append(f"[link={url}]{escape(url)}[/link]")
    return " ".join(parts)


def print_answer(answer: Answer) -> None:
    console.print(f"[bold cyan]Q:[/] {escape(answer.question)}")
    for note in (n for n in answer.notes if n not in answer.answer):  # the frame is inline
        console.print(f"[dim]{escape(note)}[/]")
    console.print(Panel(escape(answer.answer), title="Answer", expand=False))
    if answer.citations:
        print_sources(answer)


def print_sources(answer: Answer) -> None:
    """The numbered sources of an answer with their verbatim quotes and offsets."""
    console.print("[bold]Sources[/]")
    for c in answer.citations:
        console.print(f"[{c.n}] " + source_line(c.source, c.title, c.date, c.url))
        console.print(Padding(f"[italic]{escape(c.quote)}[/]", (0, 0, 0, 4)))
        console.print(f"    [dim]{c.article_id} · chars {c.start}–{c.end}[/]")
        if c.also:
            outlets = dict.fromkeys(d["source"] or d["url"] or d["id"] for d in c.also)
            console.print(f"    [dim]also reported by: {escape(', '.join(outlets))}[/]")


def print_passages(query: str, passages: list[Passage]) -> None:
    if not passages:
        console.print(f"No passages match {escape(query)!r}.")
        return
    for i, p in enumerate(passages, 1):
        console.print(f"{i:>2}. " + source_line(p.source, p.title, p.date, p.url)
                      + f"  [dim]score {p.score:.3f} · {p.chunk_id}[/]")
        text = " ".join(p.text.split())
        console.print(f"    {escape(text[:400])}{'…' if len(text) > 400 else ''}")


def print_stats(data: dict[str, Any]) -> None:
    t = Table(show_header=False, box=None)
    for key in ("articles", "chunks", "duplicates", "date_from", "date_to", "model", "index",
                "chroma"):
        t.add_row(key, str(data.get(key)))
    t.add_row("size on disk", f"{data['size_bytes'] / 1e6:.1f} MB")
    console.print(t)
    console.print("[bold]sources[/]")
    for name, n in data["sources"].items():
        console.print(f"  {n:>6}  {escape(name)}")


def print_ingest_report(report: IngestReport, stats: dict[str, Any]) -> None:
    console.print(
        f"[bold]ingested[/] in {report.seconds:.1f}s: {report.added} added, {report.updated} "
        f"updated, {report.unchanged} unchanged, {report.duplicate} duplicate, "
        f"{len(report.failed)} failed; {report.chunks} chunks embedded"
    )
    for where, reason in report.failed[:20]:
        console.print(f"  [red]failed[/] {escape(where)}: {escape(reason)}")
    if len(report.failed) > 20:
        console.print(f"  … and {len(report.failed) - 20} more")
    if report.skipped:
        reasons = Counter(reason for _, reason in report.skipped)
        console.print(f"  [dim]skipped {len(report.skipped)} non-articles: "
                      + "; ".join(f"{n}× {escape(r)}" for r, n in reasons.most_common(5)) + "[/]")
    console.print(f"index now holds {stats['articles']} articles, {stats['chunks']} chunks")


def print_eval(summary: dict[str, Any]) -> None:
    t = Table(title=f"{summary['questions']} questions")
    t.add_column("metric")
    t.add_column("value", justify="right")
    for key, value in summary.items():
        if isinstance(value, float):
            t.add_row(key, f"{value:.3f}")
        elif key != "questions":
            t.add_row(key, str(value))
    console.print(t)


class IngestProgress:
    """A rich progress bar fed by the ingestor's callback (articles, chunks, rate, elapsed)."""

    def __init__(self, enabled: bool = True, total: int | None = None) -> None:
        self.enabled = enabled and console.is_terminal
        self.total = total
        self._progress = Progress(
            TextColumn("[bold]ingest[/]"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[chunks]} chunks · {task.fields[rate]} chunks/s"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console,
            transient=False,
        )
        self._task = None

    def __enter__(self) -> IngestProgress:
        if self.enabled:
            self._progress.start()
            self._task = self._progress.add_task("ingest", total=self.total, chunks=0,
                                                rate="-")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._progress.stop()

    def update(self, state: IngestState) -> None:
        if self._task is None:
            return
        elapsed = self._progress.tasks[0].elapsed or 0.0
        rate = f"{state.chunks / elapsed:.0f}" if elapsed > 1 else "-"
        self._progress.update(self._task, completed=state.articles, chunks=state.chunks,
                              rate=rate)
