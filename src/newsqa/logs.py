"""Keep third-party log chatter out of what newsqa prints.

Two libraries log things a user should not see.  bm25s sets its own logger to DEBUG when it is
imported, so "DEBUG:bm25s:Building index from tokens" appears on every lexical rebuild as soon
as anything has given the root logger a handler (any module-level ``logging.warning`` call
does, and the first ONNX export makes one).  discord.py warns at every start that PyNaCl is
not installed, although newsqa never joins a voice channel.

Filters are attached rather than levels set: bm25s resets its level at import, after which a
level set earlier is lost, while a filter stays on the logger object.
"""

from __future__ import annotations

import logging

_NO_VOICE = "PyNaCl is not installed"


def _warnings_and_up(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


def _not_voice_notice(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith(_NO_VOICE)


_FILTERS = (("bm25s", _warnings_and_up), ("discord.client", _not_voice_notice))


def quiet_third_party_logs() -> None:
    """Drop bm25s's debug and info records and discord.py's voice notice (idempotent).

    Called by the ``newsqa`` command before anything runs; a process that starts the bot
    by another way calls it before the bot starts.
    """
    for name, keep in _FILTERS:
        logger = logging.getLogger(name)
        if keep not in logger.filters:
            logger.addFilter(keep)
