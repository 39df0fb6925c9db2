"""/ingest: admins add a file (attachment or URL) to the archive from Discord.

The file is checked (type, size) before anything is downloaded in full, then ingested in
the background by the engine while a progress message is edited every few seconds; the
interaction itself is answered at once.  One ingest runs at a time.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from newsqa.errors import NewsqaError
from newsqa.ingest.ingestor import Progress
from newsqa.ingest.loaders import format_of, supported_extensions
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


def check_file(name: str, size: int | None, limit: int) -> str:
    """A safe local file name for an upload, or a one-line refusal naming the problem."""
    ext, _gz = format_of(Path(name))
    kinds = supported_extensions()
    if ext not in kinds:
        raise NewsqaError(f"{name!r} is not a supported type; send one of "
                          f"{', '.join(kinds)} (optionally .gz)")
    if size is not None and size > limit:
        raise NewsqaError(f"{name!r} is {size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB")
    return _SAFE.sub("_", Path(name).name).lstrip(".") or "upload" + ext


async def download(url: str, limit: int) -> bytes:
    """GET ``url`` (http/https only), refusing bodies over ``limit`` bytes."""
    if urlparse(url).scheme not in ("http", "https"):
        raise NewsqaError(f"not an http(s) URL: {url!r}")
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as resp:
        if resp.status != 200:
            raise NewsqaError(f"could not fetch {url} (HTTP {resp.status})")
        if (resp.content_length or 0) > limit:
            raise NewsqaError(f"{url} is {resp.content_length / 1e6:.1f} MB; the limit is "
                              f"{limit / 1e6:.0f} MB")
        data = await resp.content.read(limit + 1)
        if len(data) > limit:
            raise NewsqaError(f"{url} is larger than the {limit / 1e6:.0f} MB limit")
        return data


def progress_text(name: str, state: Progress | None, seconds: float) -> str:
    done = f"{state.articles:,} articles, {state.chunks:,} passages" if state else "starting"
    return f"📥 Ingesting `{name}`… {done} ({seconds:.0f} s)"


def summary_text(name: str, r: IngestReport) -> str:
    """The final edit: counts and the first few failures with their reasons."""
    lines = [f"✅ Ingested `{name}` in {r.seconds:.1f} s: {r.added} added, {r.updated} updated, "
             f"{r.unchanged} unchanged, {r.duplicate} duplicates, {r.chunks} passages, "
             f"{len(r.failed)} failed."]
    lines += [f"• {where}: {reason}" for where, reason in r.failed[:10]]
    if len(r.failed) > 10:
        lines.append(f"… and {len(r.failed) - 10} more failures")
    return render.text("\n".join(lines))


class Ingest(commands.Cog):
    """/ingest and the one background ingest it may be running."""

    progress_every = 2.0  # seconds between edits of the progress message

    def __init__(self, bot: NewsqaBot) -> None:
        self.bot = bot
        self.lock = asyncio.Lock()

    @app_commands.command(name="ingest", description="Add articles to the archive (admins only).")
    @app_commands.describe(url=f"Link to {KINDS}", attachment=f"Upload of {KINDS}")
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
            limit = self.bot.config.max_upload_bytes
            name = attachment.filename if attachment else unquote(urlparse(url).path) or url
            local = check_file(name, attachment.size if attachment else None, limit)
            await self.lock.acquire()  # released when the background job ends
            try:
                await defer(interaction, ephemeral=False)
                data = await attachment.read() if attachment else await download(url, limit)
            except BaseException:
                self.lock.release()
                raise
            job = self.ingest_upload(interaction, local, data)
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
        loop = asyncio.get_running_loop()
        started = loop.time()
        job = asyncio.ensure_future(self.bot.call(self.bot.engine.ingest, inputs,
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
