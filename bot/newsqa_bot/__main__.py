"""``python -m newsqa_bot``: run the Discord bot (same as ``newsqa bot``)."""

import sys

from .app import cli

sys.exit(cli())
