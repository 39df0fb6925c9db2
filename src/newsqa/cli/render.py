"""Terminal rendering with rich: answers with their numbered sources, passages, reports.

Kept apart from the CLI's argument handling so that what a reader sees is defined in one
place; JSON output bypasses it and uses the models' ``to_dict``.  On a terminal, text wraps
at its width and the answer sits in a box; sent to a file or a pipe, nothing is wrapped and
nothing boxed, so a saved answer keeps every URL and quote on one line.  Colour appears only
on a terminal, and not there either when ``NO_COLOR`` is set (rich's rules).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.padding import Padding
from rich.panel import Panel
from rich.style import Style
from rich.table import Table
from rich.text import Text

from newsqa.index.follows import iso_time
from newsqa.text.control import clean_text
from newsqa.types import Answer, IngestReport, Passage

if TYPE_CHECKING:
    from newsqa.ingest.follow import RoundReport as FollowRound

console = Console(highlight=False)
console.soft_wrap = not console.is_terminal
err_console = Console(stderr=True, highlight=False, soft_wrap=True)  # paths stay whole


def data(value: object, style: str = "") -> Text:
    """``value`` (anything read from an archive or an index) as literal text.

    Titles, ids, URLs and quotes are written by others: printed as markup, ``[/nope]`` in a
    title would stop the command with a markup error, and an escape sequence would reach the
    terminal.  A :class:`Text` is never parsed as markup, and :func:`clean_text` drops control
    characters that an index built before the loaders cleaned them may still hold.
    """
    return Text(clean_text(str(value)), style=style)


def line(*parts: str | Text) -> Text:
    """Markup-free pieces joined into one line; plain ``str`` pieces are data as well."""
    out = Text()
    for part in parts:
        out.append_text(part if isinstance(part, Text) else data(part))
    return out


def source_line(source: str | None, title: str, date: str | None, url: str | None) -> Text:
    """"Outlet — Title (date) <url>": how a source is named everywhere in the CLI."""
    out = line(data(source or "unknown outlet", "bold"), " — ", title)
    if date:
        out.append_text(line(f" ({date})"))
    if url:
        safe = clean_text(url)
        out.append_text(line(" ", Text(safe, style=Style(link=safe))))
    return out


def print_answer(answer: Answer) -> None:
    console.print(line(Text("Q:", "bold cyan"), " ", answer.question))
    for note in (n for n in answer.notes if n not in answer.answer):  # the frame is inline
        console.print(data(note, "dim"))
    if console.is_terminal:
        console.print(Panel(data(answer.answer), title="Answer", expand=False))
    else:
        console.print(line(Text("Answer:", "bold"), " ", answer.answer))
    if answer.citations:
        print_sources(answer)


def print_sources(answer: Answer) -> None:
    """The numbered sources of an answer with their verbatim quotes and offsets."""
    console.print(Text("Sources", "bold"))
    for c in answer.citations:
        console.print(line(f"[{c.n}] ", source_line(c.source, c.title, c.date, c.url)))
        quote = data(c.quote, "italic")
        console.print(Padding(quote, (0, 0, 0, 4)) if console.is_terminal
                      else line("    ", quote))
        console.print(line("    ", data(f"{c.article_id} · chars {c.start}–{c.end}", "dim")))
        if c.also:
            outlets = dict.fromkeys(d["source"] or d["url"] or d["id"] for d in c.also)
            console.print(line("    ", data(f"also reported by: {', '.join(outlets)}", "dim")))


def print_passages(query: str, passages: list[Passage]) -> None:
    if not passages:
        console.print(data(f"No passages match {query!r}."))
        return
    for i, p in enumerate(passages, 1):
        console.print(line(f"{i:>2}. ", source_line(p.source, p.title, p.date, p.url),
                           "  ", data(f"score {p.score:.3f} · {p.chunk_id}", "dim")))
        text = " ".join(p.text.split())
        console.print(line("    ", text[:400], "…" if len(text) > 400 else ""))


def print_stats(stats: dict[str, Any]) -> None:
    rows = [(key, str(stats.get(key))) for key in ("articles", "chunks", "duplicates",
                                                   "date_from", "date_to", "model", "index",
                                                   "chroma")]
    rows.append(("size on disk", f"{stats['size_bytes'] / 1e6:.1f} MB"))
    for key, value in rows:  # plain lines: a long index path is not wrapped in a cell
        console.print(line(f"{key:<13} {value}"))
    console.print(Text("sources", "bold"))
    for name, n in stats["sources"].items():
        console.print(line(f"  {n:>6}  {name}"))
    if stats.get("followed"):
        console.print(Text("followed", "bold"))
        for src in stats["followed"]:
            new = (f"last brought {src['last_new_count']} at {src['last_new']}"
                   if src["last_new"] else "has brought nothing yet")
            error = f"; failing ({src['last_error']})" if src["last_error"] else ""
            console.print(line(f"  {src['url']}  ", data(f"{new}{error}", "dim")))


def print_health(report: dict[str, Any]) -> None:
    """``doctor``'s counts per part, what it repaired, then the problems that remain."""
    from newsqa.index.health import counted

    cat, vec, lex = report["catalog"], report["vector_store"], report["lexical"]
    lexical = "none" if lex["chunks"] is None else counted(lex["chunks"], "chunk")
    lock = report["write_lock"]
    for key, value in (
            ("catalog", f"{counted(cat['articles'], 'article')}, "
                        f"{counted(cat['chunks'], 'chunk')}"),
            ("vector store", counted(vec["chunks"], "chunk")),
            ("lexical", f"{lexical}, {counted(lex['pending'], 'pending change')}"),
            ("write lock", lock["state"] + (f" ({lock['holder']})" if lock["holder"] else ""))):
        console.print(line(f"{key:<13} {value}"))
    if lock["state"] == "held":
        console.print(line("note          ", "a write is in progress; counts may be mid-change"))
    for done in report["repaired"]:
        console.print(line("repaired      ", done))
    for problem in report["problems"]:
        console.print(line("problem       ", problem))
    console.print(Text("healthy" if report["healthy"] else "problems found", "bold"))


def print_ingest_report(report: IngestReport, stats: dict[str, Any]) -> None:
    """What an ingest did (stdout); the failures are listed on stderr by print_failures."""
    console.print(
        f"[bold]ingested[/] in {report.seconds:.1f}s: {report.added} added, {report.updated} "
        f"updated, {report.unchanged} unchanged, {report.duplicate} duplicate, "
        f"{report.n_failed} failed; {report.chunks} chunks embedded"
    )
    if report.skipped:
        reasons = Counter(reason for _, reason in report.skipped)
        console.print(line("  ", data(f"skipped {report.n_skipped} non-articles: "
                                      + "; ".join(f"{n}× {r}" for r, n in
                                                  reasons.most_common(5)), "dim")))
    console.print(f"index now holds {stats['articles']} articles, {stats['chunks']} chunks")


def print_follow_round(report: FollowRound) -> None:
    """One round of ``newsqa follow``: a line per source (stdout; failures also on stderr
    through :func:`print_failures`), then the round's totals."""
    for src in report.sources:
        if src.status == "failed":
            what = data(f"failed: {src.error} (next try {iso_time(src.next_due)})", "red")
        elif src.status == "new":
            r = src.report
            waiting = f", {src.waiting} waiting for the next round" if src.waiting else ""
            what = data(f"{src.new} new: {r.added} added, {r.updated} updated, "
                        f"{r.unchanged} unchanged, {r.duplicate} duplicate{waiting}")
        elif src.status == "nothing new":
            what = data(f"nothing new ({src.entries} entries, all seen before)", "dim")
        else:
            what = data(src.status, "dim")
        console.print(line(data(src.url), ": ", what))
        for where, reason in src.notes:
            err_console.print(line(Text("note", "yellow"), f" {where}: {reason}"))
    console.print(f"[bold]round[/] at {iso_time(report.started)} in {report.seconds:.1f}s: "
                  f"{len(report.sources)} sources, {len(report.failed)} failed; "
                  f"{report.total('added')} added, {report.total('updated')} updated")


def print_failures(report: IngestReport, limit: int = 20) -> None:
    """The first ``limit`` failed inputs with their reasons, on stderr."""
    for where, reason in report.failed[:limit]:
        err_console.print(line(Text("failed", "red"), f" {where}: {reason}"))
    if report.n_failed > limit:
        err_console.print(f"… and {report.n_failed - limit:,} more")


def print_eval(summary: dict[str, Any]) -> None:
    t = Table(title=f"{summary['questions']} questions")
    t.add_column("metric")
    t.add_column("value", justify="right")
    for key, value in summary.items():
        if isinstance(value, float):
            t.add_row(data(key), f"{value:.3f}")
        elif key != "questions":
            t.add_row(data(key), data(value))
    console.print(t)
