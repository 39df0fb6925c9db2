"""The built wheel: the bot installs as ``newsqa_bot``, never as a top-level ``bot``.

A package called ``bot`` would be shadowed by (or shadow) any other ``bot.py`` on
``sys.path``, so the repository's ``bot/`` folder holds the import package ``newsqa_bot``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from hatchling.builders.wheel import WheelBuilder

ROOT = Path(__file__).parent.parent


def test_wheel_has_newsqa_bot_and_no_top_level_bot(tmp_path: Path) -> None:
    (wheel,) = WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"])
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert "bot" not in top and "bot.py" not in top
    assert {"newsqa", "newsqa_bot"} <= top
    assert {"newsqa_bot/__main__.py", "newsqa_bot/bot.py", "newsqa_bot/cogs/ask.py",
            "newsqa_bot/cogs/utils/interactions.py"} <= set(names)
