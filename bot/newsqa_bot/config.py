"""The bot's own settings, read from the environment (the engine keeps its ``NEWSQA_*``).

``DISCORD_TOKEN`` is the one Discord convention; everything else is ``NEWSQA_DISCORD_*`` so a
deployment's environment file reads as one block.  The token is kept out of ``repr`` so it
never reaches a log line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from newsqa.errors import NewsqaError


def _ints(value: str, name: str) -> list[int]:
    try:
        return [int(v) for v in value.replace(",", " ").split()]
    except ValueError:
        raise NewsqaError(f"{name} must be Discord ids separated by commas, got {value!r}") \
            from None


@dataclass
class BotConfig:
    """What the bot needs besides the engine's settings."""

    token: str = field(default="", repr=False)
    guilds: list[int] = field(default_factory=list)  # instant guild-scoped command sync
    ingest_roles: list[str] = field(default_factory=list)  # role ids or names allowed /ingest
    rate_count: int = 5  # questions per user ...
    rate_window: float = 60.0  # ... per this many seconds
    max_concurrent: int = 2  # engine calls at once; more get a "busy" reply
    max_upload_bytes: int = 20_000_000
    message_content: bool = False  # replies/mentions as follow-ups (privileged intent)
    guild_ready_timeout: float = 2.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BotConfig:
        env = os.environ if env is None else env
        p = "NEWSQA_DISCORD_"

        def num(name: str, default: float) -> float:
            raw = env.get(p + name)
            try:
                return float(raw) if raw else default
            except ValueError:
                raise NewsqaError(f"{p}{name} must be a number, got {raw!r}") from None

        return cls(
            token=env.get("DISCORD_TOKEN", "").strip(),
            guilds=_ints(env.get(p + "GUILDS", ""), p + "GUILDS"),
            ingest_roles=[r.strip() for r in env.get(p + "INGEST_ROLES", "").split(",")
                          if r.strip()],
            rate_count=int(num("RATE_COUNT", cls.rate_count)),
            rate_window=num("RATE_WINDOW", cls.rate_window),
            max_concurrent=int(num("MAX_CONCURRENT", cls.max_concurrent)),
            max_upload_bytes=int(num("MAX_UPLOAD_MB", cls.max_upload_bytes / 1e6) * 1e6),
            message_content=env.get(p + "MESSAGE_CONTENT", "").lower() in ("1", "true", "yes"),
        )
