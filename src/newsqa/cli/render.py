"""Terminal rendering with rich: answers with their numbered sources, passages, reports.

Kept apart from the CLI's argument handling so that what a reader sees is defined in one
place; JSON output bypasses it and uses the models' ``to_dict``.  On a terminal, text wraps
at its width and the answer sits in a box; sent to a file or a pipe, nothing is wrapped and
nothing boxed, so a saved answer keeps every URL and quote on one line.  Colour appears only
on a terminal, and not there either when ``NO_COLOR`` is set (rich's rules).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table

from newsqa.types import Answer, IngestReport, Passage

console = Console(highlight=False)
console.soft_wrap = not console.is_terminal
err_console = Console(stderr=True, highlight=False, soft_wrap=True)  # paths stay whole


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
    if console.is_terminal:
        console.print(Panel(escape(answer.answer), title="Answer", expand=False))
    else:
        console.print(f"[bold]Answer:[/] {escape(answer.answer)}")
    if answer.citations:
        print_sources(answer)


def print_sources(answer: Answer) -> None:
    """The numbered sources of an answer with their verbatim quotes and offsets."""
    console.print("[bold]Sources[/]")
    for c in answer.citations:
        console.print(f"[{c.n}] " + source_line(c.source, c.title, c.date, c.url))
        quote = f"[italic]{escape(c.quote)}[/]"
        console.print(Padding(quote, (0, 0, 0, 4)) if console.is_terminal else f"    {quote}")
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
    rows = [(key, str(data.get(key))) for key in ("articles", "chunks", "duplicates",
                                                   "date_from", "date_to", "model", "index",
                                                   "chroma")]
    rows.append(("size on disk", f"{data['size_bytes'] / 1e6:.1f} MB"))
    for key, value in rows:  # plain lines: a long index path is not wrapped in a cell
        console.print(f"{key:<13} {escape(value)}")
    console.print("[bold]sources[/]")
    for name, n in data["sources"].items():
        console.print(f"  {n:>6}  {escape(name)}")


def print_ingest_report(report: IngestReport, stats: dict[str, Any]) -> None:
    """What an ingest did (stdout); the failures are listed on stderr by print_failures."""
    console.print(
        f"[bold]ingested[/] in {report.seconds:.1f}s: {report.added} added, {report.updated} "
        f"updated, {report.unchanged} unchanged, {report.duplicate} duplicate, "
        f"{len(report.failed)} failed; {report.chunks} chunks embedded"
    )
    if report.skipped:
        reasons = Counter(reason for _, reason in report.skipped)
        console.print(f"  [dim]skipped {len(report.skipped)} non-articles: "
                      + "; ".join(f"{n}× {escape(r)}" for r, n in reasons.most_common(5)) + "[/]")
    console.print(f"index now holds {stats['articles']} articles, {stats['chunks']} chunks")


def print_failures(failed: list[tuple[str, str]], limit: int = 20) -> None:
    """The first ``limit`` failed inputs with their reasons, on stderr."""
    for where, reason in failed[:limit]:
        err_console.print(f"[red]failed[/] {escape(where)}: {escape(reason)}")
    if len(failed) > limit:
        err_console.print(f"… and {len(failed) - limit} more")


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
