"""Follow-ups on an answer: its "Sources" button, and questions asked by reply or mention.

A reply to one of the bot's answers, or a message mentioning the bot, is a question in the
same conversation as ``/ask`` in that channel, so "and what did he say about civilians?",
"what happened next?" or "who else reported it?" continue the story.  Reading messages
needs the privileged message content intent (``NEWSQA_DISCORD_MESSAGE_CONTENT=1`` and the
switch in the Developer Portal); without it only the button and slash commands are used.
The reply streams a generated answer as ``/ask`` does (``answer_question``), sent with the
first checked sentence and then edited (:class:`MessageReply`).
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from newsqa.errors import NewsqaError

from .. import render
from .utils.interactions import (
    MessageReply,
    answer_question,
    explain,
    fair_use,
    guard,
    stored_answer,
)

if TYPE_CHECKING:
    from ..bot import NewsqaBot


def addressed_to(bot_user: discord.ClientUser, message: discord.Message) -> bool:
    """True for a mention of the bot or a reply to one of its messages."""
    if bot_user in message.mentions:
        return True
    ref = message.reference
    resolved = ref.resolved if ref else None
    return isinstance(resolved, discord.Message) and resolved.author.id == bot_user.id


def question_of(bot_user: discord.ClientUser, content: str) -> str:
    """The message text without the bot's mention."""
    return re.sub(rf"<@!?{bot_user.id}>", "", content).strip()


class SourcesButton(discord.ui.DynamicItem[discord.ui.Button],
                    template=r"newsqa:src:(?P<aid>[0-9a-f]+)"):
    """Shows the cited excerpts in full, with context, to the one who pressed it.

    The answer id is in the ``custom_id``, so the button works after a restart.
    """

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
        async with guard(interaction):
            await interaction.response.defer(ephemeral=True, thinking=True)
            answer = await stored_answer(bot, self.answer_id)
            articles = {}
            for c in answer.citations[:render.EMBEDS]:
                with contextlib.suppress(NewsqaError):  # removed since: the quote alone
                    articles[c.article_id] = await bot.call(bot.engine.article, c.article_id)
            await interaction.followup.send(embeds=render.sources_embeds(answer.citations,
                                                                         articles),
                                            ephemeral=True, allowed_mentions=render.NO_MENTIONS)


class FollowUps(commands.Cog):
    """The "Sources" button under answers, and replies and mentions as questions."""

    def __init__(self, bot: NewsqaBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SourcesButton)
        self.bot.answer_buttons.append(SourcesButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(SourcesButton)
        self.bot.answer_buttons.remove(SourcesButton)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if (not self.bot.config.message_content or message.author.bot or me is None
                or not addressed_to(me, message)):
            return
        question = question_of(me, message.content)
        if not question:
            return
        reply = MessageReply(message)
        try:
            async with fair_use(self.bot, message.author.id), message.channel.typing():
                final = await answer_question(self.bot, message.author.id, message.channel.id,
                                              question,
                                              show=lambda text: reply.show(content=text))
        except Exception as err:  # noqa: BLE001 - every failure is answered with a reply
            final = {"content": render.text(explain(err, f"message {message.id}")),
                     "embed": None, "view": None}  # replaces any streamed text
        await reply.show(**final)


async def setup(bot: NewsqaBot) -> None:
    await bot.add_cog(FollowUps(bot))
