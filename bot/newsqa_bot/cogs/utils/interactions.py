"""What every handler shares: replies, errors, fair use and the answer to a question.

Handlers run inside :func:`guard`, which turns any failure into one short ephemeral reply:
a refusal or a user's mistake as its own line, a bug as an error id that is logged with its
traceback.  Refusals (:class:`Refused`) are raised before anything is sent, so that reply is
the only one.  No reply ever pings anyone (``render.NO_MENTIONS``).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from math import ceil
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from newsqa.errors import NewsqaError
from newsqa.types import Answer, Filters

from ... import render

if TYPE_CHECKING:
    from ...bot import NewsqaBot

log = logging.getLogger("newsqa.bot")

BUSY = "I'm busy answering other questions right now; please try again in a few seconds."


class Refused(Exception):
    """A request turned away politely (rate limit, busy, not allowed): the text is shown."""


def conversation_key(channel_id: int | None, user_id: int) -> str:
    """One memory per channel or thread and user, so people in a channel don't mix."""
    return f"discord:{channel_id or 'dm'}:{user_id}"


# --- replies ---------------------------------------------------------------------------
async def defer(interaction: discord.Interaction, *, ephemeral: bool) -> None:
    """Acknowledge now ("thinking…"); the real reply edits this message later."""
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    interaction.extras["public_defer"] = not ephemeral


async def finish(interaction: discord.Interaction, **message: Any) -> None:
    """Replace the deferred "thinking…" message with the reply."""
    await interaction.edit_original_response(allowed_mentions=render.NO_MENTIONS, **message)
    interaction.extras["answered"] = True


class MessageReply:
    """The bot's one reply to a member's message: sent the first time it is shown, edited
    every later time (a streamed answer, then its final embed), like an interaction's
    deferred message is."""

    def __init__(self, message: discord.Message) -> None:
        self.message = message
        self.sent: discord.Message | None = None

    async def show(self, **message: Any) -> None:
        if self.sent is None:
            self.sent = await self.message.reply(**message, mention_author=False,
                                                 allowed_mentions=render.NO_MENTIONS)
        else:
            self.sent = await self.sent.edit(**message, allowed_mentions=render.NO_MENTIONS)


async def reply_ephemeral(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral message whatever state the interaction is in.

    After a *public* defer, Discord turns the first follow-up into an edit of the (public)
    "thinking" message and ignores the ephemeral flag, so that placeholder is deleted first.
    """
    if not interaction.response.is_done():
        await interaction.response.send_message(text, ephemeral=True,
                                                 allowed_mentions=render.NO_MENTIONS)
        return
    if interaction.extras.get("public_defer") and not interaction.extras.get("answered"):
        await interaction.delete_original_response()
    await interaction.followup.send(text, ephemeral=True, allowed_mentions=render.NO_MENTIONS)


def describe(interaction: discord.Interaction) -> str:
    """For the log: which command or button, where; never tokens or message text."""
    data = interaction.data or {}
    what = data.get("name") or data.get("custom_id") or interaction.type.name
    return f"{what} (interaction {interaction.id}, channel {interaction.channel_id})"


# --- errors ----------------------------------------------------------------------------
def explain(err: BaseException, where: str) -> str:
    """What to tell the user about ``err``: their mistake in one line, ours as an error id
    (logged with the traceback and ``where``, never shown)."""
    if isinstance(err, app_commands.CommandInvokeError):
        err = err.original
    if isinstance(err, app_commands.TransformerError) and isinstance(err.__cause__,
                                                                     NewsqaError):
        err = err.__cause__  # an option the engine's parser refused (a bad date)
    if isinstance(err, Refused | NewsqaError):
        return str(err)
    if isinstance(err, app_commands.CheckFailure | app_commands.TransformerError):
        return str(err) or "You can't use this command here."
    error_id = secrets.token_hex(4)
    log.error("error %s in %s", error_id, where, exc_info=err)
    return render.error_text(error_id)


async def report(interaction: discord.Interaction, err: BaseException) -> None:
    """Reply to ``interaction`` with :func:`explain`; also the command tree's error handler."""
    text = explain(err, describe(interaction))
    try:
        await reply_ephemeral(interaction, render.text(text))
    except discord.HTTPException:
        log.exception("could not deliver an error reply for %s", describe(interaction))


@asynccontextmanager
async def guard(interaction: discord.Interaction) -> AsyncIterator[None]:
    """Turn any failure inside an interaction handler into a short ephemeral reply."""
    try:
        yield
    except Exception as err:  # noqa: BLE001 - everything must reach the user as a reply
        await report(interaction, err)


# --- fair use --------------------------------------------------------------------------
def admit(bot: NewsqaBot, user_id: int) -> None:
    """Count a question against the user's rate; raise :class:`Refused` if over."""
    wait = bot.rate.retry_after(user_id)
    if wait > 0:
        raise Refused(f"You're asking faster than I can keep up: please wait {ceil(wait)} s "
                      "before the next question.")


@asynccontextmanager
async def engine_slot(bot: NewsqaBot) -> AsyncIterator[None]:
    """Hold one of the global engine slots, or refuse with the "busy" reply."""
    if not bot.slots.take():
        raise Refused(BUSY)
    try:
        yield
    finally:
        bot.slots.give()


@asynccontextmanager
async def fair_use(bot: NewsqaBot, user_id: int) -> AsyncIterator[None]:
    """A question's turn: counted against the user's rate, then an engine slot held.

    A refusal is raised on entry, before anything is sent, so the handler's guard replies
    with it once and nothing else runs.
    """
    admit(bot, user_id)
    async with engine_slot(bot):
        yield


# --- answers ---------------------------------------------------------------------------
# Discord takes about five edits of one message per five seconds: a streamed answer is
# edited at most once per EDIT_INTERVAL seconds, the final reply included.
EDIT_INTERVAL = 1.2


class LiveReply:
    """Shows a generated answer's sentences in the reply as they arrive, by editing it.

    The engine hands over only sentences that passed the verifier (``on_text``), from its
    worker thread; edits are coalesced to one per :data:`EDIT_INTERVAL`.
    """

    def __init__(self, edit: Callable[[str], Awaitable[Any]]) -> None:
        self.edit = edit
        self.loop = asyncio.get_running_loop()
        self.text = self.shown = ""
        self.last = float("-inf")
        self.wake = asyncio.Event()
        self.closing = False
        self.task: asyncio.Task | None = None

    def feed(self, sentence: str) -> None:
        """Called from the engine's thread with each checked sentence."""
        self.loop.call_soon_threadsafe(self._add, sentence)

    def _add(self, sentence: str) -> None:
        self.text += sentence
        self.wake.set()
        if self.task is None:
            self.task = asyncio.create_task(self._run())

    async def _pause(self) -> None:
        wait = self.last + EDIT_INTERVAL - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _run(self) -> None:
        while not self.closing:
            await self.wake.wait()
            self.wake.clear()
            await self._pause()
            if self.text != self.shown and not self.closing:
                self.shown = self.text
                try:
                    await self.edit(render.partial_answer(self.text))
                except discord.HTTPException:
                    log.warning("could not edit a streaming reply", exc_info=True)
                self.last = time.monotonic()

    async def close(self) -> bool:
        """Stop editing and wait until the final reply may be sent; whether any text was
        shown (then the final reply must clear it)."""
        self.closing = True
        self.wake.set()
        if self.task is not None:
            await self.task
        await self._pause()
        return bool(self.shown)


async def answer_question(bot: NewsqaBot, user_id: int, channel_id: int | None,
                          question: str, filters: Filters | None = None,
                          as_of: date | None = None,
                          show: Callable[[str], Awaitable[Any]] | None = None
                          ) -> dict[str, Any]:
    """Ask within this user's conversation in this channel; the message to send back.

    /ask and the follow-up messages both answer here, so they share one memory and every
    answer is stored (for its buttons), streamed and shown the same way.  With ``show``, a
    generated answer's checked sentences are shown through it by a :class:`LiveReply`
    while the rest is generated (an extractive answer streams nothing); the message
    returned then clears that text, so the final reply is the one an unstreamed answer gets.
    """
    key = conversation_key(channel_id, user_id)
    live = LiveReply(show) if show is not None else None
    on_text = live.feed if live is not None else None
    try:
        answer = await bot.call(lambda: bot.engine.conversation(key).ask(
            question, filters=filters, as_of=as_of, on_text=on_text))
    finally:
        shown = live is not None and await live.close()
    answer_id = None
    if answer.citations and not answer.abstained:
        answer_id = await bot.call(bot.feedback.add_answer, answer, user_id)
    message = answer_message(bot, answer, answer_id, await bot.stats())
    return {**message, "content": None} if shown else message


def answer_message(bot: NewsqaBot, answer: Answer, answer_id: str | None,
                   stats: dict[str, Any] | None) -> dict[str, Any]:
    """Embed and buttons for an answer; a helpful text when nothing was found."""
    if answer.abstained or not answer.citations or answer_id is None:
        return {"embed": render.nothing_found(answer, stats), "view": None}
    view = discord.ui.View(timeout=None)
    for make in bot.answer_buttons:
        view.add_item(make(answer_id))
    return {"embed": render.answer_embed(answer, stats), "view": view}


async def stored_answer(bot: NewsqaBot, answer_id: str) -> Answer:
    """The answer a button refers to, or a one-line error when it is no longer kept."""
    answer = await bot.call(bot.feedback.answer, answer_id)
    if answer is None:
        raise NewsqaError("I no longer have this answer; please ask again.")
    return answer
