"""👍/👎 under answers: each vote is kept with the answer for ``newsqa feedback`` to export.

The votes and the answers they are about live in the feedback store (``feedback.py``); a
vote on an answer the store no longer has is refused in one line.
"""

from __future__ import annotations

import re
from functools import partial
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from .. import render
from .utils.interactions import guard, stored_answer

if TYPE_CHECKING:
    from ..bot import NewsqaBot


class VoteButton(discord.ui.DynamicItem[discord.ui.Button],
                 template=r"newsqa:vote:(?P<aid>[0-9a-f]+):(?P<vote>up|down)"):
    """👍 or 👎 on one answer; pressing again changes that user's vote (ids in custom_id)."""

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
        async with guard(interaction):
            await stored_answer(bot, self.answer_id)
            await bot.call(bot.feedback.vote, self.answer_id, interaction.user.id,
                           self.vote == "up")
            await interaction.response.send_message(
                f"Thanks, your {'👍' if self.vote == 'up' else '👎'} is recorded.",
                ephemeral=True, allowed_mentions=render.NO_MENTIONS)


class Feedback(commands.Cog):
    """The vote buttons under every answer."""

    def __init__(self, bot: NewsqaBot) -> None:
        self.bot = bot
        self.buttons = [partial(VoteButton, vote="up"), partial(VoteButton, vote="down")]

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(VoteButton)
        self.bot.answer_buttons.extend(self.buttons)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(VoteButton)
        for make in self.buttons:
            self.bot.answer_buttons.remove(make)


async def setup(bot: NewsqaBot) -> None:
    await bot.add_cog(Feedback(bot))
