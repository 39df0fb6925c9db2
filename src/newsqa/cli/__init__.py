"""The ``newsqa`` command line: a thin face over :class:`newsqa.engine.Engine`.

Every command builds its engine from the same settings (``--index``, ``NEWSQA_*``, config
file), calls one engine method and renders the result (rich text, or JSON with ``--json``)
on stdout; progress and errors go to stderr.  Arguments are checked before the engine loads
anything.  Exit status (docs/cli.md): 0 done; 1 some inputs failed and the rest was done;
2 a usage error, or nothing done because everything failed, with one ``error: …`` line;
130 interrupted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperArgument, TyperCommand
from typer.exceptions import TyperException

from newsqa.answer.backends import usage as llm_usage
from newsqa.cli.validate import check_options
from newsqa.errors import NewsqaError
from newsqa.logs import quiet_third_party_logs
from newsqa.types import Filters, IngestReport

if TYPE_CHECKING:
    from newsqa.cli.progress import ProgressDisplay
    from newsqa.engine import Engine
    from newsqa.ingest.follow import RoundReport as FollowRound

HELP = """Question answering over news archives: every answer quotes, and numbers, the
article excerpts it rests on.

\b
Examples:
  newsqa ingest --sample              index the bundled sample archive
  newsqa ingest archive/ feed.xml     files and folders: JSONL, HTML, RSS, WARC, ...
  newsqa ask "What did Lavrov demand?"
  newsqa ask "What happened this week?" --as-of 2016-10-31 --source RT
  newsqa chat                         follow-up questions in a conversation

Exit status: 0 done; 1 some inputs failed (the rest was done); 2 usage error, or nothing
done because everything failed; 130 interrupted.  Progress and errors go to stderr.
"""

app = typer.Typer(
    add_completion=False, pretty_exceptions_enable=False,
    rich_markup_mode=None, help=HELP,
)


class Command(TyperCommand):
    """Help as click writes it: ``ask [OPTIONS] QUESTION`` and ``QUESTION  The question…``
    rather than typer's ``{question}`` and ``QUESTION <str>``, and the command's first
    sentence in ``newsqa --help`` whole, however narrow the terminal (click cuts it)."""

    @staticmethod
    def _name(param: TyperArgument) -> str:
        name = param.metavar or (param.name or "").upper()
        return name + ("..." if param.nargs != 1 else "")

    def collect_usage_pieces(self, ctx: typer.Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = self._name(param)
                pieces.append(name if param.required else f"[{name}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: typer.Context, formatter) -> None:
        args, opts = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, TyperArgument):
                args.append((self._name(param), record[1]))
            else:
                opts.append(record)
        for title, rows in (("Arguments", args), ("Options", opts)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)

    def get_short_help_str(self, limit: int = 45) -> str:
        return super().get_short_help_str(limit=1000)


IndexOpt = Annotated[Path | None, typer.Option(
    "--index", metavar="DIR", help="Index directory [env NEWSQA_INDEX; default ./index].")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
QuietOpt = Annotated[bool, typer.Option(
    "--quiet", "-q", help="No progress display (errors are still printed).")]
KOpt = Annotated[int | None, typer.Option(
    "--k", min=1, max=100, metavar="N",
    help="Passages an answer draws on [default: the k setting, 8].")]
SinceOpt = Annotated[str | None, typer.Option(
    "--since", metavar="DATE", help="Only articles from this date on (YYYY-MM-DD, YYYY-MM "
    "or YYYY).")]
UntilOpt = Annotated[str | None, typer.Option(
    "--until", metavar="DATE", help="Only articles up to this date (a month or year: to its "
    "end).")]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", metavar="DATE", help="Date the question is asked, for 'this week', 'latest' "
    "[default: today].")]
SourceOpt = Annotated[list[str] | None, typer.Option(
    "--source", metavar="OUTLET", help="Only this outlet: a name or part of one, e.g. RT "
    "(repeatable).")]
LangOpt = Annotated[str | None, typer.Option(
    "--lang", metavar="CODE", help="Only articles in this language (ISO 639 code: en, ru).")]
LlmOpt = Annotated[str | None, typer.Option(
    "--llm", metavar="BACKEND", help=f"{llm_usage()} [env NEWSQA_LLM].")]


def make_engine(index: Path | None, llm: str | None = None):  # -> Engine
    """The engine for ``--index`` (else settings); imported lazily to keep start-up fast."""
    from newsqa.config import Settings
    from newsqa.engine import Engine

    overrides = {key: value for key, value in (("index", index), ("llm", llm)) if value}
    return Engine(Settings(**overrides))


def make_filters(engine, since: str | None, until: str | None,
                 sources: list[str] | None, lang: str | None = None) -> Filters:
    """Validate user filter options into :class:`Filters` (bad dates are one-line errors)."""
    from newsqa.text.dates import parse_date_option

    return Filters(since=parse_date_option("--since", since),
                   until=parse_date_option("--until", until),
                   sources=engine.resolve_sources(sources) if sources else None,
                   lang=lang.strip().lower() if lang else None)


def parse_as_of(value: str | None):  # -> date | None
    """``--as-of`` as a date (month or year alone mean their first day)."""
    from newsqa.text.dates import parse_as_of_option

    return parse_as_of_option("--as-of", value)


def emit_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")


def progress_display(engine: Engine, label: str, total: int | None, unit: str,
                     quiet: bool) -> ProgressDisplay:
    """The stderr progress of a long command (progress.py); off with ``--quiet``."""
    from newsqa.cli.progress import ProgressDisplay

    return ProgressDisplay(label, total, unit=unit, enabled=not quiet,
                           interval=engine.settings.progress_interval)


def say_waiting(message: str) -> None:
    """A second writer's one line while it waits for the first (index/writelock.py)."""
    sys.stderr.write(f"note: {message}\n")


def ingest_status(report: IngestReport) -> int:
    """Exit status of an ingest after listing its failures on stderr: 0 none failed, 1 some
    did (the rest is in the index), 2 everything failed and nothing was ingested."""
    from newsqa.cli.render import print_failures

    if not report.n_failed:
        return 0
    print_failures(report)
    good = report.added + report.updated + report.unchanged + report.duplicate
    failed = report.n_failed
    if not good:
        which = "the input" if failed == 1 else f"all {failed:,} inputs"
        sys.stderr.write(f"error: nothing ingested: {which} failed\n")
        return 2
    sys.stderr.write(f"error: {failed:,} of {failed + good:,} inputs failed; the rest was "
                     "ingested\n")
    return 1


@app.command(cls=Command)
def ingest(
    archive: Annotated[list[str] | None, typer.Argument(
        metavar="ARCHIVE", help="Files, directories or http(s) URLs.")] = None,
    sample: Annotated[bool, typer.Option("--sample", help="Ingest the bundled sample.")] = False,
    urls: Annotated[Path | None, typer.Option(
        "--urls", metavar="FILE", help="File of URLs to fetch, one per line.")] = None,
    field_map: Annotated[str | None, typer.Option(
        "--map", metavar="FIELD=COLUMN,...",
        help="Which input fields hold what, e.g. text=body,date=pubdate.")] = None,
    index: IndexOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Add articles to the index; unchanged ones are skipped.

    Articles are loaded, split into passages, embedded and stored.  Formats: JSON/JSONL,
    text/Markdown, HTML pages, RSS/Atom feeds, CSV/TSV, WARC(.gz), and pages fetched from
    URLs.  A bad file or record is reported (stderr) and the rest is still ingested.

    \b
    Examples:
      newsqa ingest --sample
      newsqa ingest archive/ extra.jsonl --map text=body,date=pubdate
      newsqa ingest --urls links.txt --json > report.json
    """
    from newsqa.cli.render import print_ingest_report
    from newsqa.engine import sample_archive_path
    from newsqa.ingest.loaders import LoadOptions, estimate_items, parse_field_map
    from newsqa.ingest.urls import is_url, read_url_list

    inputs: list[str | Path] = list(archive or [])
    if sample:
        inputs.append(sample_archive_path())
    if urls:
        inputs.extend(read_url_list(urls))
    if not inputs:
        raise NewsqaError("nothing to ingest: give files, directories or URLs, or --sample")
    options = LoadOptions(field_map=parse_field_map(field_map or ""))
    engine = make_engine(index)
    files = [Path(i) for i in inputs if not (isinstance(i, str) and is_url(i))]
    total = estimate_items(files) if len(files) == len(inputs) else None  # URLs: unknown
    with progress_display(engine, "ingest", total, "articles", quiet) as shown:
        report = engine.ingest(inputs, options=options, progress=lambda state: shown.update(
            state.done, f"{state.chunks:,} chunks"), on_wait=say_waiting)
    if as_json:
        emit_json(report.to_dict())
    else:
        print_ingest_report(report, engine.stats())
    status = ingest_status(report)
    if status:
        raise typer.Exit(status)


def follow_status(report: FollowRound) -> int:
    """Exit status of ``follow --once`` (its failures are on stderr already): 0 nothing
    failed, 1 some sources or entries failed (the rest was followed), 2 every source failed."""
    failed, entries = report.failed, report.entry_failures()
    if failed and len(failed) == len(report.sources):
        which = "the source" if len(failed) == 1 else f"all {len(failed)} sources"
        sys.stderr.write(f"error: nothing followed: {which} failed\n")
        return 2
    if failed:
        sys.stderr.write(f"error: {len(failed)} of {len(report.sources)} sources failed; the "
                         "others were followed\n")
        return 1
    if entries:
        sys.stderr.write(f"error: {entries:,} entries failed; the rest was ingested\n")
        return 1
    return 0


@app.command(cls=Command)
def follow(
    sources: Annotated[list[str], typer.Argument(
        metavar="SOURCES", help="RSS/Atom feed, sitemap or news-sitemap URLs, or files of "
        "them (one a line, # comments).")],
    every: Annotated[str, typer.Option(
        "--every", metavar="DURATION", help="Time between a source's rounds: 30s, 15m, 2h.")
    ] = "15m",
    once: Annotated[bool, typer.Option(
        "--once", help="One round over every source, then exit (status 2 if every source "
        "failed).")] = False,
    index: IndexOpt = None,
    quiet: QuietOpt = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print each round as one line of JSON instead of text.")] = False,
) -> None:
    """Follow feeds and sitemaps: ingest their new entries, round after round.

    Each round fetches every due source with a conditional request, takes the entries not
    seen before (an entry that carries only a summary is replaced by its page) and ingests
    them.  What each source has shown is kept in the index, so a restart fetches nothing
    twice; a failing source is retried later and later, the others go on.  Runs until
    interrupted, or one round with --once.

    \b
    Examples:
      newsqa follow https://example.org/rss.xml feeds.txt --every 30m
      newsqa follow https://example.org/news-sitemap.xml --once --json
    """
    import time

    from newsqa.cli.progress import duration
    from newsqa.cli.render import print_failures, print_follow_round
    from newsqa.ingest.sources import read_sources
    from newsqa.text.dates import parse_duration

    interval = parse_duration("--every", every)
    urls = read_sources(sources)
    engine = make_engine(index)
    follower = engine.follower(urls, every=interval)
    while True:
        due = urls if once else follower.due()
        if due:
            with progress_display(engine, "follow", len(due), "sources", quiet) as shown:
                report = follower.run_round(due, progress=lambda done, _n, new: shown.update(
                    done, f"{new:,} new entries"))
            if as_json:
                emit_json(report.to_dict())
                sys.stdout.flush()
            else:
                print_follow_round(report)
            print_failures(report.failures())
            if once:
                status = follow_status(report)
                if status:
                    raise typer.Exit(status)
                return
        wait = follower.wait_seconds()
        if not quiet:
            sys.stderr.write(f"follow: next round in {duration(wait)}\n")
            sys.stderr.flush()
        time.sleep(wait)


@app.command(cls=Command)
def ask(
    question: Annotated[str, typer.Argument(
        metavar="QUESTION", help="The question, in quotes (at most 1,000 characters).")],
    since: SinceOpt = None,
    until: UntilOpt = None,
    source: SourceOpt = None,
    lang: LangOpt = None,
    k: KOpt = None,
    llm: LlmOpt = None,
    as_of: AsOfOpt = None,
    index: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question with numbered citations of verbatim excerpts.

    Time words ("last week", "in October", "latest") are read against --as-of.

    \b
    Examples:
      newsqa ask "What did Lavrov demand?"
      newsqa ask "Who reported on Aleppo?" --since 2016-10 --source RT --json
    """
    check_options(question, since, until, lang)
    from newsqa.cli.render import print_answer

    engine = make_engine(index, llm)
    answer = engine.ask(question, k=k, filters=make_filters(engine, since, until, source, lang),
                        as_of=parse_as_of(as_of))
    if as_json:
        emit_json(answer.to_dict())
    else:
        print_answer(answer)


@app.command(cls=Command)
def search(
    query: Annotated[str, typer.Argument(metavar="QUERY", help="Search text.")],
    since: SinceOpt = None,
    until: UntilOpt = None,
    source: SourceOpt = None,
    lang: LangOpt = None,
    k: Annotated[int | None, typer.Option(
        "--k", min=1, max=100, metavar="N",
        help="Passages to show [default: the k setting, 8, as for ask].")] = None,
    as_of: AsOfOpt = None,
    index: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the passages that best match a query, with their scores.

    \b
    Example:
      newsqa search "Al-Nusra Aleppo" --k 3 --source RT
    """
    check_options(query, since, until, lang, what="query")
    from newsqa.cli.render import print_passages

    engine = make_engine(index)
    passages = engine.search(query, k=k,
                             filters=make_filters(engine, since, until, source, lang),
                             as_of=parse_as_of(as_of))
    if as_json:
        emit_json({"query": query, "results": [p.to_dict() for p in passages]})
    else:
        print_passages(query, passages)


@app.command(cls=Command)
def stats(index: IndexOpt = None, as_json: JsonOpt = False) -> None:
    """Show what the index holds: articles, outlets, dates, model, size."""
    from newsqa.cli.render import print_stats

    data = make_engine(index).stats()
    if as_json:
        emit_json(data)
    else:
        print_stats(data)


@app.command(cls=Command)
def doctor(
    index: IndexOpt = None,
    repair: Annotated[bool, typer.Option(
        "--repair", help="Fix what the check finds (takes the write lock).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check that the catalog, vector store and lexical index agree; --repair fixes them.

    Exit status: 0 healthy (or everything repaired); 1 problems found and not
    repaired; 2 no index there.
    """
    from newsqa.cli.render import print_health

    report = make_engine(index).doctor(repair=repair, on_wait=say_waiting)
    if as_json:
        emit_json(report)
    else:
        print_health(report)
    if not report["healthy"]:
        n = len(report["problems"])
        sys.stderr.write(f"error: {n} problem{'s' if n > 1 else ''} "
                         + ("remain after the repair\n" if repair else
                            "found; 'newsqa doctor --repair' fixes them\n"))
        raise typer.Exit(1)


@app.command(cls=Command)
def remove(
    article_ids: Annotated[list[str], typer.Argument(
        metavar="ID", help="Article ids to delete (as in answers' sources).")],
    index: IndexOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete articles and their passages from the index.

    Exit status 1 when some ids were not found (the others are removed), 2 when none was.

    \b
    Example:
      newsqa remove rt-2016-10-31-lavrov-al-nusra
    """
    engine = make_engine(index)
    with progress_display(engine, "remove", len(article_ids), "ids", quiet) as shown:
        done = engine.remove_articles(article_ids, progress=shown.update, on_wait=say_waiting)
    missing, removed = done.missing, done.removed + done.orphans
    if as_json:
        emit_json({"removed": done.removed, "orphan_chunks_removed": done.orphans,
                   "not_found": missing})
    else:
        if done.removed:
            typer.echo(f"removed {len(done.removed)} article(s)")
        if done.orphans:
            typer.echo(f"removed orphan chunks (no catalog row) of {len(done.orphans)} id(s): "
                       + ", ".join(map(repr, done.orphans)))
    if missing:
        typer.echo(f"error: no article with id {', '.join(map(repr, missing))}", err=True)
        raise typer.Exit(1 if removed else 2)


@app.command(name="eval", cls=Command)
def evaluate(
    questions: Annotated[Path, typer.Argument(
        metavar="QUESTIONS", help="JSON lines, one question each: \"question\", and "
        "optionally \"id\", \"date\" (its as-of date), \"gold_doc_ids\", \"evidence\".")],
    k: KOpt = None,
    out: Annotated[Path | None, typer.Option(
        "--out", metavar="FILE", help="Write one JSON line per question here.")] = None,
    index: IndexOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Score a question set: hits@1/5/10, MRR@10 and the answers' citations.

    Every question is answered as 'newsqa ask' answers it (same --k), once.

    \b
    Example:
      newsqa eval questions.jsonl --out answers.jsonl
    """
    from newsqa.cli.render import print_eval
    from newsqa.evaluation import load_questions, run_eval

    qs = load_questions(questions)
    engine = make_engine(index)
    with progress_display(engine, "eval", len(qs), "questions", quiet) as shown:
        summary = run_eval(engine, qs, k=k, out=out, progress=shown.update)
    if as_json:
        emit_json(summary)
    else:
        print_eval(summary)


@app.command(cls=Command)
def chat(
    conversation: Annotated[str | None, typer.Option(
        "--conversation", metavar="ID", help="Resume the conversation with this id.")] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    source: SourceOpt = None,
    lang: LangOpt = None,
    k: KOpt = None,
    llm: LlmOpt = None,
    as_of: AsOfOpt = None,
    index: IndexOpt = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Read one question per stdin line, print one JSON answer per line.")
    ] = False,
) -> None:
    """Ask questions in a conversation: each one follows up the ones before.

    In the chat: /sources shows the last answer's quotes, /history the conversation, /new
    starts over, /quit ends (the conversation is kept; resume it with --conversation).

    \b
    Examples:
      newsqa chat --as-of 2016-10-31
      printf 'What did Lavrov demand?\\nWhy?\\n' | newsqa chat --json
    """
    check_options(None, since, until, lang)
    from newsqa.cli.chat import run_json, run_repl
    from newsqa.cli.render import console

    engine = make_engine(index, llm)
    engine.llm  # noqa: B018 (a bad --llm or a missing extra fails now, not mid-chat)
    filters = make_filters(engine, since, until, source, lang)
    when = parse_as_of(as_of)
    if as_json:
        run_json(engine, conversation, sys.stdin, sys.stdout, filters=filters, k=k, as_of=when)
    else:
        run_repl(engine, conversation, console, filters=filters, k=k, as_of=when)


@app.command(name="bot", cls=Command)
def run_bot(
    sync: Annotated[bool, typer.Option("--sync", help="(Re)register the slash commands.")] = False,
    check: Annotated[bool, typer.Option(
        "--check", help="Validate the token's format, the index and the bot settings, print a "
        "short report and exit; does not connect to Discord.")] = False,
    follow: Annotated[Path | None, typer.Option(
        "--follow", metavar="FILE", help="Also follow the feed and sitemap URLs in FILE (one "
        "a line), as 'newsqa follow' does, while answering.")] = None,
    every: Annotated[str, typer.Option(
        "--every", metavar="DURATION", help="Time between a followed source's rounds.")
    ] = "15m",
    index: IndexOpt = None,
) -> None:
    """Run the Discord bot over the index.

    The bot token is read from DISCORD_TOKEN; setup in docs/discord.md.
    """
    from newsqa.config import Settings
    from newsqa.ingest.sources import read_sources
    from newsqa.text.dates import parse_duration
    from newsqa_bot.app import check as bot_check
    from newsqa_bot.app import main as bot_main

    interval = parse_duration("--every", every)
    sources = read_sources([str(follow)]) if follow else None
    settings = Settings(index=index) if index else Settings()
    rc = (bot_check(settings=settings, follow=sources, every=interval) if check
          else bot_main(sync=sync, settings=settings, follow=sources, every=interval))
    if rc:
        raise typer.Exit(rc)


@app.command(cls=Command)
def feedback(
    out: Annotated[Path | None, typer.Option(
        "--out", metavar="FILE", help="Write here, not to stdout.")] = None,
    index: IndexOpt = None,
) -> None:
    """Export the bot's 👍/👎 votes as JSON lines.

    One line per vote: question, answer, cited article ids, vote, hashed user, time.
    """
    from newsqa.config import Settings
    from newsqa_bot.feedback import export_jsonl

    settings = Settings(index=index) if index else Settings()
    if out is None:
        n = export_jsonl(Path(settings.index), sys.stdout)
    else:
        with out.open("w", encoding="utf-8") as stream:
            n = export_jsonl(Path(settings.index), stream)
        typer.echo(f"wrote {n} feedback record(s) to {out}", err=True)
    if not n:
        typer.echo(f"no feedback yet: no votes recorded under {settings.index}", err=True)


def package_version() -> str:
    """The installed distribution's version (pyproject.toml is its one source)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsqa")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def show_version(value: bool) -> None:
    """``--version``: eager, so it answers before any command or argument is checked."""
    if value:
        typer.echo(f"newsqa {package_version()}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def options(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option(
        "--version", callback=show_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """The options before a command; ``newsqa`` alone prints the help on stdout and exits 0
    (asking for nothing is asking what there is, not a mistake)."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


# Commands that only read the index.  Once their output is out, the process ends at once:
# tearing the interpreter down (a thousand modules, ONNX Runtime's sessions, Chroma's client)
# took ~0.15 s of a fresh `newsqa ask`, and such a command has nothing left to write.
READ_ONLY = frozenset({"ask", "search"})


def _end_now() -> None:
    """Flush what was printed and leave without the interpreter's teardown."""
    import contextlib
    import logging
    import os

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    logging.shutdown()
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry: one-line errors for bad usage and for engine errors.

    Run as the process itself (``argv`` None), a :data:`READ_ONLY` command that succeeded
    ends the process without its teardown; called with ``argv`` (tests, other programs) it
    returns as usual."""
    quiet_third_party_logs()
    command = next((a for a in (sys.argv[1:] if argv is None else argv)
                    if not a.startswith("-")), None)
    try:
        rc = app(args=argv, standalone_mode=False)
    except typer.Abort:
        sys.stderr.write("error: aborted\n")
        sys.exit(130)
    except TyperException as err:  # usage errors: unknown option, missing argument, …
        message = err.format_message() if hasattr(err, "format_message") else str(err)
        sys.stderr.write(f"error: {message}\n")
        sys.exit(2)
    except NewsqaError as err:
        sys.stderr.write(f"error: {err}\n")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.exit(130)
    if isinstance(rc, int) and rc:
        sys.exit(rc)
    if argv is None and command in READ_ONLY:
        _end_now()


if __name__ == "__main__":
    main()
