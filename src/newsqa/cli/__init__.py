"""The ``newsqa`` command line: a thin face over :class:`newsqa.engine.Engine`.

Every command builds its engine from the same settings (``--index``, ``NEWSQA_*``, config
file), calls one engine method and renders the result (rich text, or JSON with ``--json``).
User errors print one line, ``error: …``, and exit with status 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.exceptions import TyperException

from newsqa.answer.backends import usage as llm_usage
from newsqa.config import Settings
from newsqa.errors import NewsqaError
from newsqa.types import Filters

app = typer.Typer(
    add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    rich_markup_mode=None, help="Question answering over news archives, with cited excerpts.",
)

IndexOpt = Annotated[
    Path | None, typer.Option("--index", help="Index directory [env NEWSQA_INDEX; ./index].")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
KOpt = Annotated[int | None, typer.Option("--k", min=1, max=100, help="Passages to retrieve.")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="Only articles from this date.")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Only articles up to this date.")]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Date the question is asked (for 'this week', 'latest'); "
                 "default today."),
]
SourceOpt = Annotated[
    list[str] | None, typer.Option("--source", help="Only this outlet (repeatable; substring).")
]
LangOpt = Annotated[
    str | None, typer.Option("--lang", help="Only articles in this language (ISO code: en, ru).")
]


LlmOpt = Annotated[
    str | None,
    typer.Option("--llm", help=f"{llm_usage()} [env NEWSQA_LLM]."),
]


def make_engine(index: Path | None, llm: str | None = None):  # -> Engine
    """The engine for ``--index`` (else settings); imported lazily to keep start-up fast."""
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


@app.command()
def ingest(
    archive: Annotated[
        list[str] | None, typer.Argument(help="Files, directories or http(s) URLs.")
    ] = None,
    sample: Annotated[bool, typer.Option("--sample", help="Ingest the bundled sample.")] = False,
    urls: Annotated[
        Path | None, typer.Option("--urls", help="File of URLs to fetch, one per line.")
    ] = None,
    field_map: Annotated[
        str | None, typer.Option("--map", help="Field overrides, e.g. text=body,date=pubdate.")
    ] = None,
    index: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load, chunk, embed and store articles (incremental: unchanged ones are skipped).

    Formats: JSON/JSONL, text/Markdown, HTML pages, RSS/Atom feeds, CSV/TSV, WARC(.gz),
    and pages fetched from URLs.
    """
    from newsqa.cli.render import IngestProgress, print_ingest_report
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
    with IngestProgress(enabled=not as_json, total=total) as bar:
        report = engine.ingest(inputs, options=options, progress=bar.update)
    if as_json:
        emit_json(report.to_dict())
    else:
        print_ingest_report(report, engine.stats())


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
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
    """Answer a question with numbered citations of verbatim excerpts."""
    from newsqa.cli.render import print_answer

    engine = make_engine(index, llm)
    answer = engine.ask(question, k=k, filters=make_filters(engine, since, until, source, lang),
                        as_of=parse_as_of(as_of))
    if as_json:
        emit_json(answer.to_dict())
    else:
        print_answer(answer)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Search text.")],
    since: SinceOpt = None,
    until: UntilOpt = None,
    source: SourceOpt = None,
    lang: LangOpt = None,
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="Passages to show.")] = 10,
    as_of: AsOfOpt = None,
    index: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the passages that best match a query."""
    from newsqa.cli.render import print_passages

    engine = make_engine(index)
    passages = engine.search(query, k=k,
                             filters=make_filters(engine, since, until, source, lang),
                             as_of=parse_as_of(as_of))
    if as_json:
        emit_json({"query": query, "results": [p.to_dict() for p in passages]})
    else:
        print_passages(query, passages)


@app.command()
def stats(index: IndexOpt = None, as_json: JsonOpt = False) -> None:
    """Articles, chunks, sources, date range, model and size on disk."""
    from newsqa.cli.render import print_stats

    data = make_engine(index).stats()
    if as_json:
        emit_json(data)
    else:
        print_stats(data)


@app.command()
def remove(
    article_ids: Annotated[list[str], typer.Argument(help="Article ids to delete.")],
    index: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete articles and their chunks from the index."""
    engine = make_engine(index)
    missing = engine.remove(article_ids)
    removed = [a for a in article_ids if a not in missing]
    if as_json:
        emit_json({"removed": removed, "not_found": missing})
    else:
        typer.echo(f"removed {len(removed)} article(s)"
                   + (f"; not found: {', '.join(missing)}" if missing else ""))
    if missing and not removed:
        raise typer.Exit(1)


@app.command(name="eval")
def evaluate(
    questions: Annotated[Path, typer.Argument(help="JSONL of {id, question, date?, ...}.")],
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="Articles to rank.")] = 10,
    out: Annotated[Path | None, typer.Option("--out", help="Per-question JSONL.")] = None,
    index: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a question set once through the engine; print hits@1/5/10 and MRR@10."""
    from newsqa.cli.render import print_eval
    from newsqa.evaluation import load_questions, run_eval

    engine = make_engine(index)
    summary = run_eval(engine, load_questions(questions), k=k, out=out)
    if as_json:
        emit_json(summary)
    else:
        print_eval(summary)


@app.command()
def chat(
    conversation: Annotated[
        str | None, typer.Option("--conversation", help="Resume the conversation with this id.")
    ] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    source: SourceOpt = None,
    lang: LangOpt = None,
    k: KOpt = None,
    llm: LlmOpt = None,
    index: IndexOpt = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Read one question per stdin line, print one JSON answer per line.")
    ] = False,
) -> None:
    """Chat: each question is a follow-up of the ones before (/sources, /new, /quit)."""
    from newsqa.cli.chat import run_json, run_repl
    from newsqa.cli.render import console

    engine = make_engine(index, llm)
    engine.llm  # noqa: B018 (a bad --llm or a missing extra fails now, not mid-chat)
    filters = make_filters(engine, since, until, source, lang)
    if as_json:
        run_json(engine, conversation, sys.stdin, sys.stdout, filters=filters, k=k)
    else:
        run_repl(engine, conversation, console, filters=filters, k=k)


@app.command(name="bot")
def run_bot(
    sync: Annotated[bool, typer.Option("--sync", help="(Re)register the slash commands.")] = False,
    index: IndexOpt = None,
) -> None:
    """Run the Discord bot (token in DISCORD_TOKEN; setup in docs/discord.md)."""
    from newsqa_bot.app import main as bot_main

    rc = bot_main(sync=sync, settings=Settings(index=index) if index else Settings())
    if rc:
        raise typer.Exit(rc)


@app.command()
def feedback(
    out: Annotated[Path | None, typer.Option("--out", help="Write here, not stdout.")] = None,
    index: IndexOpt = None,
) -> None:
    """Export the bot's 👍/👎 feedback as JSON lines (question, answer, cited ids, vote)."""
    from newsqa_bot.feedback import export_jsonl

    settings = Settings(index=index) if index else Settings()
    if out is None:
        export_jsonl(Path(settings.index), sys.stdout)
        return
    with out.open("w", encoding="utf-8") as stream:
        n = export_jsonl(Path(settings.index), stream)
    typer.echo(f"wrote {n} feedback record(s) to {out}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry: one-line errors for bad usage and for engine errors."""
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


if __name__ == "__main__":
    main()
