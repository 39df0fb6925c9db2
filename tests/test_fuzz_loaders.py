"""A seeded fuzz run over every loader: hundreds of hostile files, made by damaging real
fixtures (cut, bit flips, spliced hostile fragments) and by writing noise, must each give
Articles or one-line LoadErrors — never an exception, never output on stderr — and the good
file in the same run must still load whole, all in bounded time.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import random
import time
from pathlib import Path

from newsqa.errors import LoadError
from newsqa.ingest.loaders import load_paths
from newsqa.types import Article

FIX = Path(__file__).parent / "fixtures" / "formats"
SEEDS = {  # a real file of each format, the material the damage is done to
    ".jsonl": (FIX / "wire-copies.jsonl").read_bytes(),
    ".json": json.dumps([json.loads(line) for line in
                         (FIX / "wire-copies.jsonl").read_text("utf-8").splitlines()
                         if line.strip()][:3]).encode(),
    ".csv": (FIX / "articles.csv").read_bytes(),
    ".tsv": (FIX / "custom-columns.tsv").read_bytes(),
    ".rss": (FIX / "feed.rss").read_bytes(),
    ".atom": (FIX / "feed.atom").read_bytes(),
    ".html": (FIX / "pages" / "escape-room-fire.html").read_bytes(),
    ".md": b"---\ntitle: Bridge opens\ndate: 2021-02-03\nsource: Gazette\n---\n"
           + b"The new bridge opened on Tuesday after three years of work. " * 8,
    ".txt": b"Bridge opens\n31 Oct, 2016 13:22\n\n" + b"The council met again today. " * 10,
}
FRAGMENTS = [  # what hostile archives were seen to carry
    b"[" * 3000, b"{" * 3000, b'"\\ud800"', b"&#55296;", b"&#x110000;", b"\x1b[2K\x1b]0;x\x07",
    b"7" * 5000, b"date: 2016-02-30\n", b"id: ''\n", b"a: &a [1]\nb: *a\n", b"\x00", b"\xff\xfe",
    b"\r\n\r\n", b"<![CDATA[", b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]>&a;", b"\"\"\"", b",,,,\n",
    b"\t\t\n", b"\xed\xa0\x80", b"0000-00-00", "\u2028".encode(),
]


def _mutate(rng: random.Random, data: bytes) -> bytes:
    kind = rng.randrange(5)
    if kind == 0:  # cut anywhere
        return data[:rng.randrange(len(data) + 1)]
    if kind == 1:  # flip bytes
        out = bytearray(data)
        for _ in range(rng.randrange(1, 20)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    if kind == 2:  # splice hostile fragments in
        out = data
        for _ in range(rng.randrange(1, 4)):
            at = rng.randrange(len(out) + 1)
            out = out[:at] + rng.choice(FRAGMENTS) + out[at:]
        return out
    if kind == 3:  # noise
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000)))
    return rng.choice(FRAGMENTS) * rng.randrange(1, 50)  # nothing but a fragment


def _warc(rng: random.Random) -> bytes:
    body = SEEDS[".html"]
    head = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://e.example/a\r\n"
            b"Content-Length: %d\r\n\r\n")
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + body
    return _mutate(rng, head % len(http) + http + b"\r\n\r\n")


def write_hostile(dest: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    exts = [*SEEDS, ".warc"]
    for i in range(n):
        ext = exts[i % len(exts)]
        data = _warc(rng) if ext == ".warc" else _mutate(rng, SEEDS[ext])
        if rng.random() < 0.2:  # compressed, sometimes then damaged
            data = gzip.compress(data)
            if rng.random() < 0.5:
                data = data[:rng.randrange(len(data) + 1)]
            ext += ".gz"
        (dest / f"f{i:03d}{ext}").write_bytes(data)


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
