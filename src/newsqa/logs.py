"""Keep third-party log chatter out of what newsqa prints.

discord.py warns at every start that PyNaCl is not installed, although newsqa never joins a
voice channel.  A filter is attached rather than a level set, so that discord.py's other
warnings still reach the user.
"""

from __future__ import annotations

import logging

_NO_VOICE = "PyNaCl is not installed"


def _not_voice_notice(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith(_NO_VOICE)


_FILTERS = (("discord.client", _not_voice_notice),)


def quiet_third_party_logs() -> None:
    """Drop discord.py's voice notice (idempotent).

    Called by the ``newsqa`` command before anything runs; a process that starts the bot
    by another way calls it before the bot starts.
    """
    for name, keep in _FILTERS:
        logger = logging.getLogger(name)
        if keep not in logger.filters:
            logger.addFilter(keep)
