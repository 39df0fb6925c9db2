"""The Discord client: glue between interactions and the engine, nothing more.

All answering happens in :class:`newsqa.engine.Engine`; this module acknowledges
interactions at once, runs the (blocking) engine calls on a thread pool so the gateway
heartbeat never stalls, applies fair-use limits, and hands results to ``render``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from math import ceil
from typing import Any, TypeVar

import discord
from discord import app_commands

from newsqa.engine import Engine
from newsqa.errors import NewsqaError
from newsqa.types import Answer

from . import render
from .config import BotConfig
from .feedback import FeedbackStore
from .limits import RateLimiter, Slots

log = logging.getLogger("newsqa.bot")
T = TypeVar("T")

BUSY = "I'm busy answering other questions right now; please try again in a few seconds."


class Refused(Exception):
    """A request turned away politely (rate limit, busy, not allowed): the text is shown."""


def conversation_key(channel_id: int | None, user_id: int) -> str:
    """One memory per channel or thread and user, so people in a channel don't mix."""
    return f"discord:{channel_id or 'dm'}:{user_id}"


class NewsqaBot(discord.Client):
    """A gateway client with the newsqa slash commands (see ``commands.py``)."""

    def __init__(self, engine: Engine, config: BotConfig, *, sync: bool = False) -> None:
        intents = discord.Intents.default()
        intents.message_content = config.message_content
        super().__init__(intents=intents, allowed_mentions=render.NO_MENTIONS,
                         guild_ready_timeout=config.guild_ready_timeout)
        self.engine = engine
        self.config = config
        self.sync_on_start = sync
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self.on_tree_error
        self.feedback = FeedbackStore(engine.index_dir)
        self.rate = RateLimiter(config.rate_count, config.rate_window)
        self.slots = Slots(config.max_concurrent)
        self.pool = ThreadPoolExecutor(max_workers=config.max_concurrent + 2,
                                       thread_name_prefix="newsqa-engine")
        self.ingest_lock = asyncio.Lock()
        self.background: set[asyncio.Task] = set()
        self._stats: tuple[float, dict[str, Any]] | None = None
        self.warm_up: asyncio.Task | None = None
        from . import commands, followups, ingest

        commands.register(self)
        ingest.register(self)
        followups.register(self)

    # --- start-up -------------------------------------------------------------------
    async def setup_hook(self) -> None:
        if self.sync_on_start:
            await self.sync_commands()
        # Load the model and lexical index now, off the loop, so the first question is fast.
        self.warm_up = self.spawn(self.call(self.engine.search, "warm up", k=1))

    async def sync_commands(self) -> list[app_commands.AppCommand]:
        """Register the commands: per guild (instant) when guilds are configured, else global."""
        if not self.config.guilds:
            synced = await self.tree.sync()
            log.info("synced %d global commands (may take up to an hour to appear)", len(synced))
            return synced
        synced = []
        for gid in self.config.guilds:
            guild = discord.Object(gid)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), gid)
        return synced

    async def on_ready(self) -> None:
        log.info("ready as %s in %d guilds", self.user, len(self.guilds))

    async def close(self) -> None:
        await super().close()
        self.pool.shutdown(wait=False, cancel_futures=True)

    # --- engine calls -----------------------------------------------------------------
    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking engine call on the pool; the event loop stays free."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, functools.partial(fn, *args, **kwargs))

    def spawn(self, coro) -> asyncio.Task:
        """A background task that is kept referenced until done and whose errors are logged."""
        task = asyncio.create_task(coro)
        self.background.add(task)

        def done(t: asyncio.Task) -> None:
            self.background.discard(t)
            if not t.cancelled() and t.exception():
                log.error("background task failed", exc_info=t.exception())

        task.add_done_callback(done)
        return task

    async def stats(self) -> dict[str, Any] | None:
        """Archive statistics for footers, cached for a minute (they walk the index dir)."""
        if self._stats is None or time.monotonic() - self._stats[0] > 60:
            self._stats = (time.monotonic(), await self.call(self.engine.stats))
        return self._stats[1]

    def forget_stats(self) -> None:
        self._stats = None

    def ask_blocking(self, key: str, question: str, filters) -> Answer:
        """One turn of the persisted conversation ``key`` (runs on the pool)."""
        return self.engine.conversation(key).ask(question, filters=filters)

    # --- fair use -----------------------------------------------------------------------
    def admit(self, user_id: int) -> None:
        """Count a question against the user's rate; raise :class:`Refused` if over."""
        wait = self.rate.retry_after(user_id)
        if wait > 0:
            raise Refused(f"You're asking faster than I can keep up: please wait {ceil(wait)} s "
                          "before the next question.")

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the global engine slots, or refuse with the "busy" reply."""
        if not self.slots.take():
            raise Refused(BUSY)
        try:
            yield
        finally:
            self.slots.give()

    @asynccontextmanager
    async def fair_use(self, user_id: int) -> AsyncIterator[None]:
        """A question's turn: counted against the user's rate, then an engine slot held.

        A refusal is raised on entry, before anything is sent, so the handler's guard
        replies with it once and nothing else runs.
        """
        self.admit(user_id)
        async with self.slot():
            yield

    # --- errors ---------------------------------------------------------------------------
    @asynccontextmanager
    async def guard(self, interaction: discord.Interaction) -> AsyncIterator[None]:
        """Turn any failure inside an interaction handler into a short ephemeral reply."""
        try:
            yield
        except Exception as err:  # noqa: BLE001 - everything must reach the user as a reply
            await self.report(interaction, err)

    async def on_tree_error(self, interaction: discord.Interaction,
                            error: app_commands.AppCommandError) -> None:
        await self.report(interaction, getattr(error, "original", error))

    async def report(self, interaction: discord.Interaction, err: BaseException) -> None:
        """Tell the user what went wrong: their mistake in one line, ours with an error id."""
        if isinstance(err, Refused | NewsqaError):
            text = str(err)
        elif isinstance(err, app_commands.CheckFailure | app_commands.TransformerError):
            text = str(err) or "You can't use this command here."
        else:
            error_id = secrets.token_hex(4)
            log.error("error %s in %s", error_id, describe(interaction), exc_info=err)
            text = render.error_text(error_id)
        try:
            await self.reply_ephemeral(interaction, render.text(text))
        except discord.HTTPException:
            log.exception("could not deliver an error reply for %s", describe(interaction))

    async def reply_ephemeral(self, interaction: discord.Interaction, text: str) -> None:
        """An ephemeral message whatever state the interaction is in.

        After a *public* defer, Discord turns the first follow-up into an edit of the
        (public) "thinking" message and ignores the ephemeral flag, so that placeholder is
        deleted first.
        """
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True,
                                                     allowed_mentions=render.NO_MENTIONS)
            return
        if interaction.extras.get("public_defer") and not interaction.extras.get("answered"):
            await interaction.delete_original_response()
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=render.NO_MENTIONS)


async def defer(interaction: discord.Interaction, *, ephemeral: bool) -> None:
    """Acknowledge now ("thinking…"); the real reply edits this message later."""
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    interaction.extras["public_defer"] = not ephemeral


async def finish(interaction: discord.Interaction, **message: Any) -> None:
    """Replace the deferred "thinking…" message with the reply."""
    await interaction.edit_original_response(allowed_mentions=render.NO_MENTIONS, **message)
    interaction.extras["answered"] = True


def describe(interaction: discord.Interaction) -> str:
    """For the log: which command or button, where; never tokens or message text."""
    data = interaction.data or {}
    what = data.get("name") or data.get("custom_id") or interaction.type.name
    return f"{what} (interaction {interaction.id}, channel {interaction.channel_id})"
