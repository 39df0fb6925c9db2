"""/ingest: admins add a file (attachment or URL) to the archive from Discord.

An upload is checked (type, size) before it is read; a URL is checked by the engine's URL
guard (http(s) only, no private addresses unless ``allow_private_urls``) before anything is
fetched, and is then fetched by :meth:`newsqa.engine.Engine.ingest` itself, which checks
every redirect again and caps the size.  The ingest runs in the background while a public
progress message is edited every few seconds; the interaction is answered at once.  One
ingest runs at a time.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from newsqa.errors import NewsqaError
from newsqa.ingest.ingestor import Progress
from newsqa.ingest.loaders import LoadOptions, format_of, supported_extensions
from newsqa.types import IngestReport

from .. import render
from .utils.interactions import Refused, defer, finish, guard

if TYPE_CHECKING:
    from ..bot import NewsqaBot

KINDS = "a file newsqa reads (.jsonl, .json, .csv, .txt, .html, RSS…)"
_SAFE = re.compile(r"[^\w.-]+")


def allowed(interaction: discord.Interaction, roles: list[str]) -> bool:
    """Manage Server permission, or one of the configured roles (by id or name)."""
    member = interaction.user
    if not isinstance(member, discord.Member):
        return False
    if interaction.permissions.manage_guild:
        return True
    wanted = {r.lower() for r in roles}
    return any(str(r.id) in wanted or r.name.lower() in wanted for r in member.roles)


def check_file(name: str, size: int, limit: int) -> str:
    """A safe local file name for an upload, or a one-line refusal naming the problem."""
    ext, _gz = format_of(Path(name))
    kinds = supported_extensions()
    if ext not in kinds:
        raise NewsqaError(f"{name!r} is not a supported type; send one of "
                          f"{', '.join(kinds)} (optionally .gz)")
    if size > limit:
        raise NewsqaError(f"{name!r} is {size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB")
    return _SAFE.sub("_", Path(name).name).lstrip(".") or "upload" + ext


def progress_text(name: str, state: Progress | None, seconds: float) -> str:
    done = f"{state.articles:,} articles, {state.chunks:,} passages" if state else "starting"
    return f"📥 Ingesting `{name}`… {done} ({seconds:.0f} s)"


def summary_text(name: str, r: IngestReport) -> str:
    """The final edit: counts and the first few failures with their reasons."""
    lines = [f"✅ Ingested `{name}` in {r.seconds:.1f} s: {r.added} added, {r.updated} updated, "
             f"{r.unchanged} unchanged, {r.duplicate} duplicates, {r.chunks} passages, "
             f"{r.n_failed:,} failed."]
    lines += [f"• {where}: {reason}" for where, reason in r.failed[:10]]
    if r.n_failed > 10:
        lines.append(f"… and {r.n_failed - 10:,} more failures")
    return render.text("\n".join(lines))


class Ingest(commands.Cog):
    """/ingest and the one background ingest it may be running."""

    progress_every = 2.0  # seconds between edits of the progress message

    def __init__(self, bot: NewsqaBot) -> None:
        self.bot = bot
        self.lock = asyncio.Lock()

    @app_commands.command(name="ingest", description="Add articles to the archive (admins only).")
    @app_commands.describe(url=f"Link to an article page, a feed or {KINDS}",
                           attachment=f"Upload of {KINDS}")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def ingest(self, interaction: discord.Interaction, url: str | None = None,
                     attachment: discord.Attachment | None = None) -> None:
        async with guard(interaction):
            roles = self.bot.config.ingest_roles
            if not allowed(interaction, roles):
                raise Refused("Only members with the Manage Server permission"
                              + (" or an ingest role" if roles else "")
                              + " can add to the archive.")
            if (url is None) == (attachment is None):
                raise NewsqaError("give either a url or an attachment (one of them)")
            if self.lock.locked():
                raise Refused("An ingest is already running; try again when it has finished.")
            if attachment is not None:
                name = check_file(attachment.filename, attachment.size,
                                  self.bot.config.max_upload_bytes)
            await self.lock.acquire()  # released when the background job ends
            try:
                await defer(interaction, ephemeral=False)
                if attachment is not None:
                    job = self.ingest_upload(interaction, name, await attachment.read())
                else:
                    url = url.strip()
                    await self.bot.call(self.bot.engine.check_url, url)
                    job = self.run_ingest(interaction, url, [url])
            except BaseException:
                self.lock.release()
                raise
            self.bot.spawn(self.background(interaction, job))

    async def background(self, interaction: discord.Interaction,
                         job: Coroutine[Any, Any, None]) -> None:
        try:
            async with guard(interaction):
                await job
        finally:
            self.lock.release()

    async def ingest_upload(self, interaction: discord.Interaction, name: str,
                            data: bytes) -> None:
        with tempfile.TemporaryDirectory(prefix="newsqa-bot-") as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            await self.run_ingest(interaction, name, [path])

    async def run_ingest(self, interaction: discord.Interaction, name: str,
                         inputs: list[str | Path]) -> None:
        """Ingest on the pool, editing the progress message until the report is in."""
        latest: list[Progress] = []
        options = LoadOptions(max_url_bytes=self.bot.config.max_upload_bytes)
        loop = asyncio.get_running_loop()
        started = loop.time()
        job = asyncio.ensure_future(self.bot.call(self.bot.write, self.bot.engine.ingest,
                                                  inputs, options=options,
                                                  progress=latest.append))
        while not job.done():
            await asyncio.wait([job], timeout=self.progress_every)
            if not job.done():
                await finish(interaction, content=progress_text(
                    name, latest[-1] if latest else None, loop.time() - started))
        report = job.result()
        self.bot.forget_stats()
        await finish(interaction, content=summary_text(name, report))


async def setup(bot: NewsqaBot) -> None:
    await bot.add_cog(Ingest(bot))
