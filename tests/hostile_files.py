"""Hostile input files for the fuzz test and the hostile-ingest benchmark: real fixtures of
every format damaged (cut, bytes flipped, hostile fragments spliced in), noise, and gzip
(sometimes truncated), all from one seed, so a failure can be reproduced exactly.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

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
