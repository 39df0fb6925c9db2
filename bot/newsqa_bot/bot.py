"""The bot: a ``commands.Bot`` holding the engine, the fair-use limits and a thread pool.

Every feature is a cog in ``cogs/`` (one module each, loaded in :meth:`NewsqaBot.setup_hook`);
what their handlers share is ``cogs/utils/interactions.py``.  All answering happens in
:class:`newsqa.engine.Engine`, whose blocking calls run on the pool (:meth:`NewsqaBot.call`)
so the gateway heartbeat never stalls.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from newsqa.engine import Engine

from . import render
from .cogs.utils.interactions import report
from .config import BotConfig
from .feedback import FeedbackStore
from .limits import RateLimiter, Slots

log = logging.getLogger("newsqa.bot")
T = TypeVar("T")


class NewsqaBot(commands.Bot):
    """A gateway client whose slash commands, buttons and listeners come from its cogs."""

    # Modules of cogs/, loaded in this order; the buttons under an answer follow it too
    # ("Sources" from the follow-ups, then the feedback votes).
    initial_extensions = ("ask", "followups", "feedback", "ingest", "follow")

    def __init__(self, engine: Engine, config: BotConfig, *, sync: bool = False,
                 follow: list[str] | None = None, every: float = 900.0) -> None:
        intents = discord.Intents.default()
        intents.message_content = config.message_content
        # Slash commands only: the prefix is required but never read (see on_message).
        super().__init__(command_prefix=commands.when_mentioned, help_command=None,
                         intents=intents, allowed_mentions=render.NO_MENTIONS,
                         guild_ready_timeout=config.guild_ready_timeout)
        self.engine = engine
        self.config = config
        self.sync_on_start = sync
        self.follow_sources = follow or []  # feeds and sitemaps the follow cog follows
        self.follow_every = every
        self._writing = threading.Lock()
        self.tree.on_error = report
        self.feedback = FeedbackStore(engine.index_dir)
        self.rate = RateLimiter(config.rate_count, config.rate_window)
        self.slots = Slots(config.max_concurrent)
        self.pool = ThreadPoolExecutor(max_workers=config.max_concurrent + 2,
                                       thread_name_prefix="newsqa-engine")
        # Makers of the buttons under an answer (answer id -> button); cogs add theirs.
        self.answer_buttons: list[Callable[[str], discord.ui.Item]] = []
        self.background: set[asyncio.Task] = set()
        self._stats: tuple[float, dict[str, Any]] | None = None
        self.warm_up: asyncio.Task | None = None

    # --- start-up -------------------------------------------------------------------
    async def setup_hook(self) -> None:
        for name in self.initial_extensions:
            await self.load_extension(f".cogs.{name}", package=__package__)
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

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: messages reach only the cogs' listeners (the follow-ups)."""

    async def close(self) -> None:
        await super().close()
        self.pool.shutdown(wait=False, cancel_futures=True)

    # --- engine calls -----------------------------------------------------------------
    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking engine call on the pool; the event loop stays free."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, functools.partial(fn, *args, **kwargs))

    def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run an engine call that writes the index, one at a time in this process (an
        /ingest and a follower's round take turns); called on the pool, via :meth:`call`."""
        with self._writing:
            return fn(*args, **kwargs)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
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
        """Drop the cached statistics (after an ingest, or for /stats itself)."""
        self._stats = None
