"""The question commands (/ask, /search, /article, /stats, /forget) and the answer buttons."""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from newsqa.errors import NewsqaError
from newsqa.text.dates import normalize_date
from newsqa.types import Answer, Filters

from . import render
from .client import conversation_key, defer, finish

if TYPE_CHECKING:
    from .client import NewsqaBot

DATE_HELP = "YYYY, YYYY-MM or YYYY-MM-DD"


def parse_date(value: str | None, name: str) -> str | None:
    if not value:
        return None
    iso = normalize_date(value)
    if iso is None:
        raise NewsqaError(f"{name}: {value!r} is not a date (use {DATE_HELP})")
    return iso


async def make_filters(bot: NewsqaBot, since: str | None, until: str | None,
                       source: str | None) -> Filters | None:
    """Filters from the command options; unknown outlets are a one-line user error."""
    sources = await bot.call(bot.engine.resolve_sources, [source]) if source else None
    filters = Filters(since=parse_date(since, "since"), until=parse_date(until, "until"),
                      sources=sources)
    return None if filters.is_empty() else filters


def answer_message(answer: Answer, answer_id: str | None,
                   stats: dict | None) -> dict:
    """Embed (and buttons) for an answer; a helpful text when nothing was found."""
    if answer.abstained or not answer.citations or answer_id is None:
        return {"embed": render.nothing_found(answer, stats), "view": None}
    return {"embed": render.answer_embed(answer, stats), "view": answer_view(answer_id)}


async def answer_question(bot: NewsqaBot, user_id: int, channel_id: int | None,
                          question: str, filters: Filters | None) -> dict:
    """Ask the engine within this channel's conversation; the message to send back."""
    key = conversation_key(channel_id, user_id)
    answer = await bot.call(bot.ask_blocking, key, question, filters)
    answer_id = None
    if answer.citations and not answer.abstained:
        answer_id = await bot.call(bot.feedback.add_answer, answer, user_id)
    return answer_message(answer, answer_id, await bot.stats())


def register(bot: NewsqaBot) -> None:
    tree = bot.tree
    bot.add_dynamic_items(SourcesButton, VoteButton)

    async def source_choices(interaction: discord.Interaction, current: str
                             ) -> list[app_commands.Choice[str]]:
        sources = await bot.call(bot.engine.catalog.sources)
        low = current.lower()
        return [app_commands.Choice(name=render.clip(s, 100), value=s[:100])
                for s in sources if low in s.lower()][:25]

    @tree.command(name="ask", description="Ask the news archive; the answer cites its sources.")
    @app_commands.describe(
        question="Your question, e.g. What did Lavrov demand?",
        since=f"Only articles from this date on ({DATE_HELP})",
        until=f"Only articles up to this date ({DATE_HELP})",
        source="Only articles from this outlet",
        private="Show the answer only to you",
    )
    @app_commands.autocomplete(source=source_choices)
    async def ask(interaction: discord.Interaction, question: app_commands.Range[str, 1, 500],
                  since: str | None = None, until: str | None = None,
                  source: str | None = None, private: bool = False) -> None:
        async with bot.guard(interaction), bot.fair_use(interaction.user.id):
            await defer(interaction, ephemeral=private)
            filters = await make_filters(bot, since, until, source)
            message = await answer_question(bot, interaction.user.id, interaction.channel_id,
                                            question, filters)
            await finish(interaction, **message)

    @tree.command(name="search", description="The archive passages that best match a query.")
    @app_commands.describe(query="What to look for", since=f"From this date ({DATE_HELP})",
                           until=f"Up to this date ({DATE_HELP})", source="Only this outlet",
                           private="Show the results only to you")
    @app_commands.autocomplete(source=source_choices)
    async def search(interaction: discord.Interaction, query: app_commands.Range[str, 1, 500],
                     since: str | None = None, until: str | None = None,
                     source: str | None = None, private: bool = False) -> None:
        async with bot.guard(interaction), bot.fair_use(interaction.user.id):
            await defer(interaction, ephemeral=private)
            filters = await make_filters(bot, since, until, source)
            passages = await bot.call(bot.engine.search, query, filters=filters)
            await finish(interaction,
                         embed=render.search_embed(query, passages, await bot.stats()))

    @tree.command(name="article", description="Details of one article by its id.")
    @app_commands.describe(article_id="The id shown in /search results or Sources")
    @app_commands.rename(article_id="id")
    async def article(interaction: discord.Interaction, article_id: str) -> None:
        async with bot.guard(interaction), bot.slot():
            await defer(interaction, ephemeral=True)
            art = await bot.call(bot.engine.article, article_id.strip())
            await finish(interaction, embed=render.article_embed(art))

    @tree.command(name="stats", description="What the archive holds: size, outlets, dates.")
    async def stats(interaction: discord.Interaction) -> None:
        async with bot.guard(interaction), bot.slot():
            await defer(interaction, ephemeral=True)
            bot.forget_stats()
            await finish(interaction, embed=render.stats_embed(await bot.stats()))

    @tree.command(name="forget", description="Clear my memory of our conversation here.")
    async def forget(interaction: discord.Interaction) -> None:
        async with bot.guard(interaction):
            key = conversation_key(interaction.channel_id, interaction.user.id)
            await bot.call(lambda: bot.engine.conversation(key).reset())
            await interaction.response.send_message(
                "Done: I forgot our conversation in this channel. The next question starts fresh.",
                ephemeral=True, allowed_mentions=render.NO_MENTIONS)


def answer_view(answer_id: str) -> discord.ui.View:
    """"Sources", 👍 and 👎 under an answer; they work after restarts (ids in custom_id)."""
    view = discord.ui.View(timeout=None)
    view.add_item(SourcesButton(answer_id))
    view.add_item(VoteButton(answer_id, "up"))
    view.add_item(VoteButton(answer_id, "down"))
    return view


async def stored_answer(bot: NewsqaBot, answer_id: str) -> Answer:
    answer = await bot.call(bot.feedback.answer, answer_id)
    if answer is None:
        raise NewsqaError("I no longer have this answer; please ask again.")
    return answer


class SourcesButton(discord.ui.DynamicItem[discord.ui.Button],
                    template=r"newsqa:src:(?P<aid>[0-9a-f]+)"):
    """Shows the cited excerpts in full, with context, to the one who pressed it."""

    def __init__(self, answer_id: str) -> None:
        super().__init__(discord.ui.Button(label="Sources", emoji="📚",
                                           style=discord.ButtonStyle.secondary,
                                           custom_id=f"newsqa:src:{answer_id}"))
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> SourcesButton:
        return cls(match["aid"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: NewsqaBot = interaction.client  # type: ignore[assignment]
        async with bot.guard(interaction):
            await interaction.response.defer(ephemeral=True, thinking=True)
            answer = await stored_answer(bot, self.answer_id)
            articles = {}
            for c in answer.citations[:render.EMBEDS]:
                with contextlib.suppress(NewsqaError):  # removed since: the quote alone
                    articles[c.article_id] = await bot.call(bot.engine.article, c.article_id)
            await interaction.followup.send(embeds=render.sources_embeds(answer.citations,
                                                                         articles),
                                            ephemeral=True, allowed_mentions=render.NO_MENTIONS)


class VoteButton(discord.ui.DynamicItem[discord.ui.Button],
                 template=r"newsqa:vote:(?P<aid>[0-9a-f]+):(?P<vote>up|down)"):
    """👍/👎: recorded with the answer for later evaluation (``newsqa feedback``)."""

    def __init__(self, answer_id: str, vote: str) -> None:
        super().__init__(discord.ui.Button(emoji="👍" if vote == "up" else "👎",
                                           style=discord.ButtonStyle.secondary,
                                           custom_id=f"newsqa:vote:{answer_id}:{vote}"))
        self.answer_id = answer_id
        self.vote = vote

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> VoteButton:
        return cls(match["aid"], match["vote"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: NewsqaBot = interaction.client  # type: ignore[assignment]
        async with bot.guard(interaction):
            await stored_answer(bot, self.answer_id)
            await bot.call(bot.feedback.vote, self.answer_id, interaction.user.id,
                           self.vote == "up")
            await interaction.response.send_message(
                f"Thanks, your {'👍' if self.vote == 'up' else '👎'} is recorded.",
                ephemeral=True, allowed_mentions=render.NO_MENTIONS)
