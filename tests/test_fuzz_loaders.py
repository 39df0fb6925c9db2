"""A seeded fuzz run over every loader: hundreds of hostile files (hostile_files.py), made
by damaging real fixtures and by writing noise, must each give
Articles or one-line LoadErrors — never an exception, never output on stderr — and the good
file in the same run must still load whole, all in bounded time.
"""

from __future__ import annotations

import io
import logging
import time

from newsqa.errors import LoadError
from newsqa.ingest.loaders import load_paths
from newsqa.types import Article

from .hostile_files import SEEDS, write_hostile


def test_hostile_files_give_only_articles_and_one_line_errors(tmp_path, capfd, caplog):
    write_hostile(tmp_path, 300, seed=20261202)
    good = tmp_path / "zz-good.jsonl"
    good.write_bytes(SEEDS[".jsonl"])
    t0 = time.perf_counter()
    items = list(load_paths([tmp_path]))  # raises if any loader lets an exception out
    assert time.perf_counter() - t0 < 30
    assert all(isinstance(i, Article | LoadError) for i in items)
    for item in items:
        if isinstance(item, LoadError):
            assert "\n" not in str(item) and len(item.reason) <= 300
            str(item).encode("utf-8")
        else:  # storable: every field encodes, no control characters but newline and tab
            for value in (item.id, item.title, item.text, item.origin or "", item.url or ""):
                value.encode("utf-8")
                assert not any(ord(c) < 32 and c not in "\n\t" for c in value)
    from_good = [i for i in items if isinstance(i, Article) and i.origin.startswith(str(good))]
    expected = sum(1 for line in io.StringIO(SEEDS[".jsonl"].decode()) if line.strip())
    assert len(from_good) == expected
    assert capfd.readouterr().err == ""
    # Nor do the libraries log what the report already says (a terminal would show it).
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
