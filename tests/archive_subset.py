"""A small index over stories of the sample archive that unfold over several articles.

Built once per test process (a few seconds): the RT Lavrov article, three Puerto Rico
governor articles, two on Navalny, two on Hurricane Dorian, three on Qasem Soleimani, and a
few unrelated ones as distractors.  Follow-up scripts ("what happened next?", "who else
reported it?") need exactly such chains.
"""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
from pathlib import Path

from newsqa.config import Settings
from newsqa.engine import Engine, sample_archive_path

from .conftest import RT_ID as RT

PUERTO_RICO = ["wikinews-97da59a5a3de", "wikinews-dccba56d3962", "wikinews-342486c81a45"]
NAVALNY = ["wikinews-a49bbb8935a6", "wikinews-ea452728d5b9"]
DORIAN = ["wikinews-3c6426b66362", "wikinews-3f72dd6b88b1"]
SOLEIMANI = ["wikinews-b70e6218f7e2", "wikinews-cc1a871ecca3", "wikinews-44c50bbbefc1"]
OTHERS = ["wikinews-e85e21a0a901", "wikinews-77ea900641b0", "wikinews-5d17cdc9b6e4",
          "wikinews-b716493d179e", "kremlin-51378"]
# Lavrov's 2016 UN speech: the same speaker on Syria, whose title is all names ("Statement by
# Mr Sergey Lavrov, Minister for Foreign Affairs"); follow-ups about the RT story must not
# drift into it.
UN_LAVROV = "ungdc-RUS-71-2016"
# The RT lede (always an excerpt for the Lavrov question) and claims a good model would make.
LEDE = "If the West fails to exert pressure on opposition groups"
CLAIM = ("Lavrov demanded that the West pressure opposition groups in Syria to separate from "
         "Al-Nusra Front")
CLAIM2 = "Otherwise, he said, the West would become an accomplice of terrorists"
IDS = set(PUERTO_RICO + NAVALNY + DORIAN + SOLEIMANI + OTHERS + [UN_LAVROV])


@functools.cache
def subset_index() -> Path:
    """Directory of the built index (reused by every test of the process)."""
    root = Path(tempfile.mkdtemp(prefix="newsqa-subset-"))
    src, archive = sample_archive_path(), root / "archive"
    archive.mkdir()
    for name in (f"{RT}.txt", f"{RT}.txt.meta.json"):
        shutil.copy(src / name, archive / name)
    with open(archive / "subset.jsonl", "w", encoding="utf-8") as out:
        for path in sorted(src.glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip() and json.loads(line)["id"] in IDS:
                    out.write(line + "\n")
    engine = Engine(Settings(index=root / "index"))
    report = engine.ingest([archive])
    assert report.added == len(IDS) + 1, report
    engine.close()
    return root / "index"


@functools.cache
def _base() -> Engine:
    return Engine(Settings(index=subset_index()))


def make_engine(**settings) -> Engine:
    """An engine over the subset index; the embedding model is loaded once and shared."""
    if not settings:
        return _base()
    engine = Engine(Settings(index=subset_index(), **settings))
    engine.__dict__["embedder"] = _base().embedder
    return engine


def excerpt_number(engine: Engine, question: str, needle: str) -> int:
    """The number the LLM prompt gives the excerpt containing ``needle`` (for scripting a
    fake model's reply before the question is asked)."""
    found = engine.search(question)
    ex = engine.generator.excerpts(question, found, engine.answerer.rank(question, found))
    return next(i for i, c in enumerate(ex, 1) if needle in c.text)
