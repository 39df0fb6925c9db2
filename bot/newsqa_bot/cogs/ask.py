"""The question commands: /ask, /search, /article, /stats and /forget.

/ask continues the asker's conversation in that channel, so a follow-up is understood, and
/forget clears it.  Date options go through the engine's own parser
(``newsqa.text.dates``) as :class:`DateOption`: they accept what the CLI accepts, and a bad
one is refused with the same message before anything else happens.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from newsqa.errors import NewsqaError
from newsqa.questions import check_question
from newsqa.text.dates import DATE_FORMS, parse_as_of_option, parse_date_option
from newsqa.types import Filters

from .. import render
from .utils.interactions import (
    answer_question,
    conversation_key,
    defer,
    engine_slot,
    fair_use,
    finish,
    guard,
)

if TYPE_CHECKING:
    from ..bot import NewsqaBot


class DateOption(app_commands.Transformer):
    """A since/until option as an ISO date (day, month or year), read by the engine."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def transform(self, interaction: discord.Interaction, value: str) -> str | None:
        return parse_date_option(self.name, value)


class AsOfOption(DateOption):
    """The day a question counts as asked on ("this week", "latest"); default today."""

    async def transform(self, interaction: discord.Interaction, value: str) -> date | None:
        return parse_as_of_option(self.name, value)


QUERY_CHARS = 500  # declared to Discord as the option's length limit, and enforced here


class QueryOption(app_commands.Transformer):
    """A question or query of 1 to :data:`QUERY_CHARS` characters, checked on arrival.

    Discord's client enforces an option's declared length, but discord.py does not check what
    arrives, and an interaction can be sent by other means; so the length is checked here,
    before the engine's own rule (:func:`check_question`: not empty).
    """

    def __init__(self, what: str) -> None:
        self.what = what

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.string

    @property
    def min_value(self) -> int:
        return 1

    @property
    def max_value(self) -> int:
        return QUERY_CHARS

    async def transform(self, interaction: discord.Interaction, value: str) -> str:
        text = value.strip()
        if len(text) > QUERY_CHARS:
            raise NewsqaError(f"{self.what} too long ({len(text):,} characters; the limit "
                              f"here is {QUERY_CHARS})")
        return check_question(text, self.what)


Since = app_commands.Transform[str, DateOption("since")]
Until = app_commands.Transform[str, DateOption("until")]
AsOf = app_commands.Transform[date, AsOfOption("as_of")]
Question = app_commands.Transform[str, QueryOption("question")]
Query = app_commands.Transform[str, QueryOption("query")]
SINCE_HELP = f"Only articles from this date on ({DATE_FORMS})"
UNTIL_HELP = f"Only articles up to this date ({DATE_FORMS})"
AS_OF_HELP = "The day to read 'this week' or 'latest' against (YYYY-MM-DD; default today)"


class Questions(commands.Cog):
    """Questions and look-ups over the archive."""

    def __init__(self, bot: NewsqaBot) -> None:
        self.bot = bot

    async def source_choices(self, interaction: discord.Interaction, current: str
                             ) -> list[app_commands.Choice[str]]:
        sources = await self.bot.call(self.bot.engine.catalog.sources)
        low = current.lower()
        return [app_commands.Choice(name=render.clip(s, 100), value=s[:100])
                for s in sources if low in s.lower()][:25]

    async def filters(self, since: str | None, until: str | None, source: str | None
                      ) -> Filters | None:
        """Filters from the options; an unknown outlet is a one-line user error."""
        sources = (await self.bot.call(self.bot.engine.resolve_sources, [source])
                   if source else None)
        filters = Filters(since=since, until=until, sources=sources)
        return None if filters.is_empty() else filters

    @app_commands.command(name="ask",
                          description="Ask the news archive; the answer cites its sources.")
    @app_commands.describe(
        question="Your question, e.g. What did Lavrov demand?",
        since=SINCE_HELP, until=UNTIL_HELP, source="Only articles from this outlet",
        as_of=AS_OF_HELP, private="Show the answer only to you",
    )
    @app_commands.autocomplete(source=source_choices)
    async def ask(self, interaction: discord.Interaction, question: Question,
                  since: Since | None = None, until: Until | None = None,
                  source: str | None = None, as_of: AsOf | None = None,
                  private: bool = False) -> None:
        async with guard(interaction), fair_use(self.bot, interaction.user.id):
            await defer(interaction, ephemeral=private)
            filters = await self.filters(since, until, source)
            message = await answer_question(
                self.bot, interaction.user.id, interaction.channel_id, question, filters,
                as_of, show=lambda text: interaction.edit_original_response(
                    content=text, allowed_mentions=render.NO_MENTIONS))
            await finish(interaction, **message)

    @app_commands.command(name="search",
                          description="The archive passages that best match a query.")
    @app_commands.describe(query="What to look for", since=SINCE_HELP, until=UNTIL_HELP,
                           source="Only this outlet", as_of=AS_OF_HELP,
                           private="Show the results only to you")
    @app_commands.autocomplete(source=source_choices)
    async def search(self, interaction: discord.Interaction, query: Query,
                     since: Since | None = None, until: Until | None = None,
                     source: str | None = None, as_of: AsOf | None = None,
                     private: bool = False) -> None:
        async with guard(interaction), fair_use(self.bot, interaction.user.id):
            await defer(interaction, ephemeral=private)
            filters = await self.filters(since, until, source)
            passages = await self.bot.call(self.bot.engine.search, query, filters=filters,
                                           as_of=as_of)
            await finish(interaction,
                         embed=render.search_embed(query, passages, await self.bot.stats()))

    @app_commands.command(name="article", description="Details of one article by its id.")
    @app_commands.describe(article_id="The id shown in /search results or Sources")
    @app_commands.rename(article_id="id")
    async def article(self, interaction: discord.Interaction, article_id: str) -> None:
        async with guard(interaction), engine_slot(self.bot):
            await defer(interaction, ephemeral=True)
            art = await self.bot.call(self.bot.engine.article, article_id.strip())
            await finish(interaction, embed=render.article_embed(art))

    @app_commands.command(name="stats", description="What the archive holds: size, outlets, dates.")
    async def stats(self, interaction: discord.Interaction) -> None:
        async with guard(interaction), engine_slot(self.bot):
            await defer(interaction, ephemeral=True)
            self.bot.forget_stats()
            await finish(interaction, embed=render.stats_embed(await self.bot.stats()))

    @app_commands.command(name="forget", description="Clear my memory of our conversation here.")
    async def forget(self, interaction: discord.Interaction) -> None:
        async with guard(interaction):
            key = conversation_key(interaction.channel_id, interaction.user.id)
            await self.bot.call(lambda: self.bot.engine.conversation(key).reset())
            await interaction.response.send_message(
                "Done: I forgot our conversation in this channel. The next question starts fresh.",
                ephemeral=True, allowed_mentions=render.NO_MENTIONS)


async def setup(bot: NewsqaBot) -> None:
    await bot.add_cog(Questions(bot))
