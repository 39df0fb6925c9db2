"""The bot's layout: each cog's ``setup`` registers its part, and the modules form no cycle.

The bots here never log in: loading an extension only adds commands, listeners and buttons.
"""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from newsqa.config import Settings
from newsqa.engine import Engine
from newsqa_bot.bot import NewsqaBot
from newsqa_bot.config import BotConfig

PACKAGE = Path(__file__).parent.parent / "bot" / "newsqa_bot"


def with_cog(tmp_path: Path, name: str,
             check: Callable[[NewsqaBot], Coroutine[Any, Any, None]]) -> None:
    """Load ``cogs/<name>`` alone into a fresh bot and run ``check`` on it."""
    async def scenario() -> None:
        bot = NewsqaBot(Engine(Settings(index=tmp_path)), BotConfig())
        try:
            await bot.load_extension(f"newsqa_bot.cogs.{name}")
            await check(bot)
        finally:
            await bot.close()

    asyncio.run(scenario())


def command_names(bot: NewsqaBot) -> set[str]:
    return {c.name for c in bot.tree.get_commands()}


def test_ask_cog_registers_the_question_commands(tmp_path: Path) -> None:
    async def check(bot: NewsqaBot) -> None:
        assert command_names(bot) == {"ask", "search", "article", "stats", "forget"}
        ask = {p.name: p for p in bot.tree.get_command("ask").parameters}
        assert ask["question"].required and not ask["since"].required
        assert {"since", "until", "as_of", "source", "private"} <= set(ask)
        assert bot.answer_buttons == []

    with_cog(tmp_path, "ask", check)


def test_ingest_cog_registers_ingest(tmp_path: Path) -> None:
    async def check(bot: NewsqaBot) -> None:
        assert command_names(bot) == {"ingest"}
        assert bot.tree.get_command("ingest").default_permissions.manage_guild

    with_cog(tmp_path, "ingest", check)


def test_follow_cog_is_idle_without_sources(tmp_path: Path) -> None:
    async def check(bot: NewsqaBot) -> None:
        assert command_names(bot) == set() and bot.get_cog("Follow").task is None

    with_cog(tmp_path, "follow", check)


def test_feedback_cog_adds_the_vote_buttons(tmp_path: Path) -> None:
    async def check(bot: NewsqaBot) -> None:
        assert command_names(bot) == set()
        ids = [make("ab12").item.custom_id for make in bot.answer_buttons]
        assert ids == ["newsqa:vote:ab12:up", "newsqa:vote:ab12:down"]
        await bot.unload_extension("newsqa_bot.cogs.feedback")
        assert bot.answer_buttons == []

    with_cog(tmp_path, "feedback", check)


def test_followups_cog_adds_sources_and_the_message_listener(tmp_path: Path) -> None:
    async def check(bot: NewsqaBot) -> None:
        assert command_names(bot) == set()
        assert [make("ab12").item.custom_id for make in bot.answer_buttons] == [
            "newsqa:src:ab12"]
        listeners = [name for cog in bot.cogs.values() for name, _ in cog.get_listeners()]
        assert listeners == ["on_message"]

    with_cog(tmp_path, "followups", check)


def runtime_imports(path: Path) -> set[str]:
    """The newsqa_bot modules ``path`` imports when run (not under ``TYPE_CHECKING``)."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and ast.unparse(child.test) == "TYPE_CHECKING":
                continue
            if isinstance(child, ast.ImportFrom):
                base = package.rsplit(".", child.level - 1)[0] if child.level else ""
                target = ".".join(p for p in (base, child.module) if p)
                if target.startswith("newsqa_bot"):
                    found.add(target)
                    found.update(f"{target}.{a.name}" for a in child.names
                                 if (PACKAGE.parent / target.replace(".", "/") / a.name
                                     ).with_suffix(".py").exists())
            visit(child)

    visit(ast.parse(path.read_text("utf-8")))
    return {m.removesuffix(".__init__") for m in found} - {module.removesuffix(".__init__")}


@pytest.fixture(scope="module")
def import_graph() -> dict[str, set[str]]:
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        graph[name.removesuffix(".__init__")] = runtime_imports(path)
    return graph


def test_no_import_cycles_and_cogs_import_no_cog_or_bot(import_graph) -> None:
    cogs = [m for m in import_graph if m.startswith("newsqa_bot.cogs.")
            and ".utils" not in m]
    # A cog module is loaded because initial_extensions names it: no module is left out.
    assert sorted(cogs) == sorted(f"newsqa_bot.cogs.{n}" for n in NewsqaBot.initial_extensions)
    assert {"newsqa_bot.cogs.ask", "newsqa_bot.cogs.ingest"} <= set(cogs)
    for cog in cogs:
        tree = ast.parse((PACKAGE.parent / (cog.replace(".", "/") + ".py")).read_text("utf-8"))
        assert any(isinstance(node, ast.AsyncFunctionDef) and node.name == "setup"
                   for node in tree.body), f"{cog} has no async def setup(bot)"
    for cog in cogs:
        assert not import_graph[cog] & {*cogs, "newsqa_bot.bot"}, cog

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in import_graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    assert not [m for m in import_graph if reaches(m, m, set())]
