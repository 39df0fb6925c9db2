"""Start-up behind ``newsqa bot`` and ``python -m newsqa_bot``: settings, token, run loop.

Every way start-up can fail ends in one line on stderr and a non-zero exit code; the token is
never printed or logged.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import os
import re
import sys
from collections.abc import Mapping

import discord

from newsqa.config import Settings
from newsqa.engine import Engine
from newsqa.errors import NewsqaError
from newsqa.logs import quiet_third_party_logs

from .config import BotConfig

log = logging.getLogger("newsqa.bot")

_TOKEN_PART = re.compile(r"[A-Za-z0-9_-]+")


def token_application_id(token: str) -> int:
    """The application id a bot token starts with; NewsqaError if it is not shaped like one.

    A bot token is three dot-separated base64url parts, the first the application (bot user)
    id in decimal.  Only the shape is checked (Discord alone can say whether it is valid) and
    no message ever contains the token or a part of it.
    """
    if not token:
        raise NewsqaError("DISCORD_TOKEN is not set: copy the bot token from the Discord "
                          "Developer Portal (Bot > Reset Token) into that variable")
    parts = token.split(".")
    if len(parts) != 3 or not all(_TOKEN_PART.fullmatch(p) for p in parts):
        raise NewsqaError("DISCORD_TOKEN is not a bot token (expected three dot-separated "
                          "base64url parts; copy it again from Bot > Reset Token, not the "
                          "client secret or the public key)")
    try:
        first = base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        first = ""
    if not first.isdigit():
        raise NewsqaError("DISCORD_TOKEN is not a bot token (its first part does not decode to "
                          "an application id; copy it again from Bot > Reset Token)")
    return int(first)


def _check_limits(config: BotConfig) -> None:
    p = "NEWSQA_DISCORD_"
    for name, value, low in (("RATE_COUNT", config.rate_count, 1),
                             ("RATE_WINDOW", config.rate_window, 0.001),
                             ("MAX_CONCURRENT", config.max_concurrent, 1),
                             ("MAX_UPLOAD_MB", config.max_upload_bytes, 1)):
        if value < low:
            raise NewsqaError(f"{p}{name} must be positive, got {value:g}")


def check(*, env: Mapping[str, str] | None = None, settings: Settings | None = None,
          out=None, follow: list[str] | None = None, every: float = 900.0) -> int:
    """``--check``: validate token shape, index and settings without contacting Discord
    (``follow``: the sources ``--follow`` names, already read)."""
    out = out or sys.stdout
    quiet_third_party_logs()
    engine = None
    try:
        config = BotConfig.from_env(env)
        app_id = token_application_id(config.token)
        _check_limits(config)
        engine = Engine(settings or Settings())
        if not engine.exists():
            raise NewsqaError(f"no index at {engine.index_dir} (run 'newsqa ingest ARCHIVE' "
                              "first or set NEWSQA_INDEX)")
        try:
            stats = engine.stats()
        except NewsqaError:
            raise
        except Exception as err:  # a damaged catalog: sqlite3.DatabaseError and the like
            raise NewsqaError(f"the index at {engine.index_dir} does not open "
                              f"({type(err).__name__}: {err})") from None
    except NewsqaError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    finally:
        if engine is not None:
            engine.close()
    if config.guilds:
        sync = (f"per server, {len(config.guilds)} server(s): "
                + ", ".join(str(g) for g in config.guilds))
    else:
        sync = "global (NEWSQA_DISCORD_GUILDS unset; new commands may take up to an hour)"
    roles = ", ".join(config.ingest_roles) or "none (Manage Server only)"
    rows = [
        ("index", stats["index"]),
        ("articles", f"{stats['articles']} ({stats['chunks']} chunks)"),
        ("application id", f"{app_id} (token well-formed; Discord not contacted)"),
        ("command sync", sync),
        ("ingest roles", roles),
        ("limits", f"{config.rate_count} questions per {config.rate_window:g} s per user, "
                   f"{config.max_concurrent} at once, uploads up to "
                   f"{config.max_upload_bytes / 1e6:g} MB"),
        ("message content", "on (needs the intent in the portal)" if config.message_content
         else "off"),
    ]
    if follow:
        rows.append(("follow", f"{len(follow)} source(s), a round every {every:g} s"))
    lines = [f"{name + ':':<17}{value}" for name, value in rows] + ["ok"]
    print("\n".join(lines), file=out)
    return 0


async def serve(engine: Engine, config: BotConfig, *, sync: bool = False,
                follow: list[str] | None = None, every: float = 900.0) -> None:
    """Log in, optionally sync the commands, follow ``follow``, and run until closed."""
    from .bot import NewsqaBot

    async with NewsqaBot(engine, config, sync=sync, follow=follow, every=every) as bot:
        await bot.start(config.token)


def main(*, sync: bool = False, env: Mapping[str, str] | None = None,
         settings: Settings | None = None, follow: list[str] | None = None,
         every: float = 900.0) -> int:
    """Run the bot (following the feed and sitemap URLs ``follow`` every ``every`` seconds);
    returns the process exit code."""
    quiet_third_party_logs()  # also when started as python -m newsqa_bot, not by newsqa
    try:
        config = BotConfig.from_env(env)
        if not config.token:
            raise NewsqaError("DISCORD_TOKEN is not set: copy the bot token from the Discord "
                              "Developer Portal (Bot > Reset Token) into that variable")
        engine = Engine(settings or Settings())
        if not engine.exists():
            raise NewsqaError(f"no index at {engine.index_dir} (run 'newsqa ingest ARCHIVE' "
                              "first or set NEWSQA_INDEX)")
    except NewsqaError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not logging.getLogger().handlers:  # keep a host's (or pytest's) logging as it is
        discord.utils.setup_logging(level=logging.WARNING, root=True)
        logging.getLogger("newsqa").setLevel(logging.INFO)
    try:
        asyncio.run(serve(engine, config, sync=sync, follow=follow, every=every))
    except discord.LoginFailure:
        print("error: Discord rejected the token in DISCORD_TOKEN (reset it in the Developer "
              "Portal and update the variable)", file=sys.stderr)
        return 1
    except discord.PrivilegedIntentsRequired:
        print("error: NEWSQA_DISCORD_MESSAGE_CONTENT is on but the Message Content intent is "
              "not enabled for this bot in the Developer Portal", file=sys.stderr)
        return 1
    except (discord.HTTPException, discord.GatewayNotFound, OSError) as err:
        print(f"error: cannot reach Discord ({type(err).__name__}: {err})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        engine.close()
    return 0


def cli(argv: list[str] | None = None) -> int:
    """``python -m newsqa_bot [--sync] [--check] [--follow FILE [--every 15m]]``."""
    import argparse

    from newsqa.ingest.sources import read_sources
    from newsqa.text.dates import parse_duration

    parser = argparse.ArgumentParser(
        prog="python -m newsqa_bot",
        description="Run the newsqa Discord bot (token in DISCORD_TOKEN; setup in "
                    "docs/discord.md).")
    parser.add_argument("--sync", action="store_true",
                        help="(re)register the slash commands with Discord on start")
    parser.add_argument("--check", action="store_true",
                        help="validate the token's format, the index and the settings, print "
                             "a short report and exit (does not connect to Discord)")
    parser.add_argument("--follow", metavar="FILE",
                        help="follow the feed and sitemap URLs listed in FILE into the index")
    parser.add_argument("--every", metavar="DURATION", default="15m",
                        help="time between a followed source's rounds (default 15m)")
    args = parser.parse_args(argv)
    try:
        every = parse_duration("--every", args.every)
        follow = read_sources([args.follow]) if args.follow else None
    except NewsqaError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.check:
        return check(env=os.environ, follow=follow, every=every)
    return main(sync=args.sync, env=os.environ, follow=follow, every=every)
