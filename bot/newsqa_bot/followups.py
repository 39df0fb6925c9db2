"""Chat-style follow-ups: a reply to the bot's answer, or a mention of the bot, is a question.

Needs the privileged message content intent (``NEWSQA_DISCORD_MESSAGE_CONTENT=1`` and the
switch in the Developer Portal); without it only slash commands are used.  The question
continues the same conversation as ``/ask`` in that channel, so "and what did he say about
civilians?" is understood after a question about Lavrov.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import TYPE_CHECKING

import discord

from newsqa.errors import NewsqaError

from . import render
from .client import Refused
from .commands import answer_question

if TYPE_CHECKING:
    from .client import NewsqaBot

log = logging.getLogger("newsqa.bot")


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


def register(bot: NewsqaBot) -> None:
    if not bot.config.message_content:
        return

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if message.author.bot or bot.user is None or not addressed_to(bot.user, message):
            return
        question = question_of(bot.user, message.content)
        if not question:
            return
        try:
            async with bot.fair_use(message.author.id), message.channel.typing():
                reply = await answer_question(bot, message.author.id, message.channel.id,
                                              question, None)
            await message.reply(**reply, mention_author=False,
                                allowed_mentions=render.NO_MENTIONS)
        except (Refused, NewsqaError) as err:
            await message.reply(render.text(str(err)), mention_author=False,
                                allowed_mentions=render.NO_MENTIONS)
        except Exception:
            error_id = secrets.token_hex(4)
            log.exception("error %s answering message %s", error_id, message.id)
            await message.reply(render.error_text(error_id), mention_author=False,
                                allowed_mentions=render.NO_MENTIONS)
