"""Following feeds from the bot (``newsqa bot --follow FILE``): new articles without commands.

The follower (:meth:`newsqa.engine.Engine.follower`) runs its rounds on the bot's pool, so the
event loop keeps answering while a round fetches and ingests; its ingests take turns with
/ingest (:meth:`NewsqaBot.write`).  Between rounds the task sleeps until the next source is
due.  /stats lists the followed sources and when each last brought something.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from discord.ext import commands

from newsqa.ingest.loaders import Item
from newsqa.types import IngestReport

if TYPE_CHECKING:
    from newsqa.ingest.follow import Follower

    from ..bot import NewsqaBot

log = logging.getLogger("newsqa.bot")


class Follow(commands.Cog):
    """The follower of the sources the bot was started with (idle when there are none)."""

    retry_after = 60.0  # seconds before trying again after a round that raised

    def __init__(self, bot: NewsqaBot) -> None:
        self.bot = bot
        self.follower: Follower | None = None
        self.task: asyncio.Task | None = None

    async def cog_load(self) -> None:
        if self.bot.follow_sources:
            self.follower = await self.bot.call(
                self.bot.engine.follower, self.bot.follow_sources,
                every=self.bot.follow_every, ingest=self.ingest)
            self.task = self.bot.spawn(self.follow())

    async def cog_unload(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def ingest(self, items: list[Item]) -> IngestReport:
        return self.bot.write(self.bot.engine.ingest_articles, items)

    async def follow(self) -> None:
        """Round after round until the bot closes; a failed round is logged, not fatal."""
        assert self.follower is not None
        while True:
            wait = self.retry_after
            try:
                due = await self.bot.call(self.follower.due)
                if due:
                    report = await self.bot.call(self.follower.run_round, due)
                    self.bot.forget_stats()
                    log.info("follow: %d sources, %d failed, %d added, %d updated",
                             len(report.sources), len(report.failed),
                             report.total("added"), report.total("updated"))
                wait = await self.bot.call(self.follower.wait_seconds)
            except Exception:
                log.exception("follow round failed; trying again in %.0f s", self.retry_after)
            await asyncio.sleep(max(wait, 1.0))


async def setup(bot: NewsqaBot) -> None:
    await bot.add_cog(Follow(bot))
