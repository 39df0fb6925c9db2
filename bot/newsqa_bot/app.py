"""Start-up behind ``newsqa bot`` and ``python -m newsqa_bot``: settings, token, run loop.

Every way start-up can fail ends in one line on stderr and a non-zero exit code; the token is
never printed or logged.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Mapping

import discord

from newsqa.config import Settings
from newsqa.engine import Engine
from newsqa.errors import NewsqaError
from newsqa.logs import quiet_third_party_logs

from .config import BotConfig

log = logging.getLogger("newsqa.bot")


async def serve(engine: Engine, config: BotConfig, *, sync: bool = False) -> None:
    """Log in, optionally sync the commands, and run until closed."""
    from .bot import NewsqaBot

    async with NewsqaBot(engine, config, sync=sync) as bot:
        await bot.start(config.token)


def main(*, sync: bool = False, env: Mapping[str, str] | None = None,
         settings: Settings | None = None) -> int:
    """Run the bot; returns the process exit code."""
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
        asyncio.run(serve(engine, config, sync=sync))
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
    """``python -m newsqa_bot [--sync]``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m newsqa_bot",
        description="Run the newsqa Discord bot (token in DISCORD_TOKEN; setup in "
                    "docs/discord.md).")
    parser.add_argument("--sync", action="store_true",
                        help="(re)register the slash commands with Discord on start")
    args = parser.parse_args(argv)
    return main(sync=args.sync, env=os.environ)
