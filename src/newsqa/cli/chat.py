"""``newsqa chat``: a conversation in the terminal, or scripted as JSON lines.

Both forms drive one :class:`~newsqa.conversations.Conversation`, so every question is a
follow-up of the ones before and the turns are persisted under the index (resume with
``--conversation ID``).  With a language model configured the REPL streams the answer as
its sentences pass the citation checks; the JSON form writes one ``Answer.to_dict()`` line
(plus ``conversation_id``) per question line read.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from datetime import date
from typing import TextIO

from rich.console import Console
from rich.text import Text

from newsqa.cli.render import data, print_sources, source_line
from newsqa.cli.render import line as text_line
from newsqa.errors import NewsqaError
from newsqa.types import Answer, Filters

HELP = "/sources  quotes of the last answer · /history  this conversation · /new  start over" \
       " · /quit"


def run_json(engine, conversation_id: str | None, lines: Iterable[str], out: TextIO, *,
             filters: Filters | None = None, k: int | None = None,
             as_of: date | None = None) -> str:
    """Answer each non-empty line as a follow-up; one JSON object per line on ``out``.

    Returns the conversation id (also in every line) so a script can resume it later.
    """
    conv = engine.conversation(conversation_id)
    for line in lines:
        question = line.strip()
        if not question:
            continue
        data = conv.ask(question, filters=filters, k=k, as_of=as_of).to_dict()
        data["conversation_id"] = conv.id
        out.write(json.dumps(data, ensure_ascii=False) + "\n")
        out.flush()
    return conv.id


class _Stream:
    """Prints checked sentences as they arrive; a spinner covers the wait for the first."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.started = False
        self.status = console.status("searching…", spinner="dots")

    def __enter__(self) -> _Stream:
        self.status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.status.stop()
        if self.started:
            self.console.print()

    def write(self, text: str) -> None:
        if not self.started:
            self.status.stop()
            self.console.print("[bold green]newsqa>[/] ", end="")
            self.started = True
        self.console.print(data(text), end="")


def _show(console: Console, answer: Answer, streamed: bool) -> None:
    """After the answer: its notes and a one-line list of sources (quotes via /sources)."""
    if not streamed:
        console.print(text_line(Text("newsqa>", "bold green"), " ", answer.answer))
    for note in answer.notes:
        console.print(text_line("  ", data(note, "dim")))
    for c in answer.citations:
        console.print(text_line(f"  [{c.n}] ", source_line(c.source, c.title, c.date, c.url)))


def run_repl(engine, conversation_id: str | None, console: Console, *,
             filters: Filters | None = None, k: int | None = None,
             as_of: date | None = None) -> None:
    """The interactive loop; ends on /quit, Ctrl-D or Ctrl-C at the prompt."""
    with contextlib.suppress(ImportError):  # line editing and arrow-key history for input()
        import readline  # noqa: F401
    conv = engine.conversation(conversation_id)
    state = f"resumed, {len(conv.turns)} turns" if conv.turns else "new"
    llm = engine.settings.llm if engine.llm is not None else "none (extractive answers)"
    console.print(f"[bold]newsqa chat[/] · conversation {conv.id} ({state}) · LLM: {llm}")
    console.print(f"[dim]{HELP}[/]")
    last: Answer | None = None
    while True:
        try:
            line = console.input("[bold cyan]you>[/] ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            break
        if not line:
            continue
        if line in ("/quit", "/exit", "/q"):
            break
        if line == "/new":
            conv, last = engine.conversation(), None
            console.print(f"[dim]new conversation {conv.id}[/]")
        elif line == "/sources":
            if last is None or not last.citations:
                console.print("[dim]no sources yet[/]")
            else:
                print_sources(last)
        elif line == "/history":
            for i, t in enumerate(conv.turns, 1):
                console.print(text_line(data(f"{i}. {t.question}", "cyan"), "\n   ", t.answer))
        elif line.startswith("/"):
            console.print(data(f"unknown command {line}; {HELP}", "dim"))
        else:
            try:
                with _Stream(console) as stream:
                    on_text = stream.write if engine.llm is not None else None
                    last = conv.ask(line, filters=filters, k=k, as_of=as_of,
                                    on_text=on_text)
                _show(console, last, stream.started)
            except NewsqaError as err:
                console.print(text_line(Text("error:", "red"), f" {err}"))
            except KeyboardInterrupt:
                console.print("\n[dim]interrupted[/]")
    console.print(f"[dim]conversation {conv.id} saved; resume with --conversation {conv.id}[/]")

