"""Hostile input files: one bad record is one line in the report, never the end of a run,
and no small file may take minutes or gigabytes (the caps are in docs/formats.md).

Loader tests need no model; one end-to-end test ingests a folder of bad files among good
ones with the real model and Chroma and checks that every good record is stored.
"""

from __future__ import annotations

import gzip
import json
import os
import time
from pathlib import Path

import pytest

from newsqa.errors import LoadError, LoadSkip
from newsqa.ingest.loaders import LoadOptions, estimate_items, iter_files, load_paths
from newsqa.types import Article, IngestReport

GOOD = {"id": "good-1", "title": "Council votes", "date": "2021-02-03",
        "text": "The city council voted five to four on Tuesday to build the new bridge."}
NOT_ROOT = pytest.mark.skipif(os.geteuid() == 0, reason="root reads unreadable files")


def items_of(*paths: Path, **opts) -> tuple[list[Article], list[LoadError]]:
    items = list(load_paths(list(paths), LoadOptions(**opts)))
    arts = [i for i in items if isinstance(i, Article)]
    errors = [i for i in items if isinstance(i, LoadError)]
    for err in errors:  # every problem is one printable line
        assert "\n" not in str(err) and len(err.reason) <= 300
        str(err).encode("utf-8")
    return arts, errors


def jsonl(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bad_json_records_are_one_line_each_and_the_good_ones_load(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    nested = json.dumps({**GOOD, "id": "nested", "title": [[[["x"]]]] * 1})
    almost = '{"text": ' + "[" * 900 + '"a"' + "]" * 900 + ', "id": "deep-text"}'
    path = jsonl(tmp_path / "wire.jsonl", json.dumps(GOOD), deep,
                 '{"id": ' + "7" * 5000 + ', "text": "A story with a long number id."}',
                 almost, nested, json.dumps({**GOOD, "id": "good-2"}))
    arts, errors = items_of(path)
    assert [a.id for a in arts][0] == "good-1" and "good-2" in [a.id for a in arts]
    reasons = {e.where.rsplit(":", 1)[1]: e.reason for e in errors}
    assert "nested too deeply" in reasons["2"]
    assert reasons["3"] == "id too long (5,000 characters; at most 512)"
    assert "nested too deeply" in reasons["4"]


def test_front_matter_impossible_dates_numbers_and_year_zero(tmp_path):
    (tmp_path / "a.md").write_text("---\ntitle: Bridge\ndate: 2016-02-30\n---\nThe bridge "
                                   "opened after three years of work.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text(f"---\nid: {'9' * 5000}\ntitle: T\n---\nText.\n",
                                   encoding="utf-8")
    (tmp_path / "c.md").write_text("---\ntitle: Zero\ndate: 0000\n---\nNo year zero.\n",
                                   encoding="utf-8")
    jsonl(tmp_path / "d.jsonl", json.dumps({**GOOD, "date": "0000-05"}),
          json.dumps({**GOOD, "id": "  \x1b[2K ", "url": "https://e.example/x"}))
    arts, errors = items_of(tmp_path)
    by_origin = {Path(a.origin).name.split(":")[0]: a for a in arts}
    assert by_origin["a.md"].date is None and by_origin["c.md"].date is None
    assert [e.reason for e in errors] == ["id too long (5,000 characters; at most 512)"]
    dated, blank_id = [a for a in arts if a.origin.startswith(str(tmp_path / "d.jsonl"))]
    assert dated.date is None
    assert blank_id.id.startswith("url-")  # an empty id is no id: one is derived


def test_yaml_alias_bomb_is_refused_quickly(tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]"
              for i in range(8)]
    (tmp_path / "bomb.md").write_text("---\n" + "\n".join(lines) + "\ntitle: *i\n---\nBody.\n",
                                      encoding="utf-8")
    t0 = time.perf_counter()
    arts, errors = items_of(tmp_path / "bomb.md")
    assert time.perf_counter() - t0 < 2
    assert not arts and "aliases are not allowed" in errors[0].reason


def test_gzip_bomb_of_bad_lines_stops_quickly(tmp_path):
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write((json.dumps(GOOD) + "\n").encode())
        block = b'{"x": 1}\n' * 100_000
        for _ in range(120):  # 108 MB of lines from ~300 KB on disk
            out.write(block)
    assert path.stat().st_size < 400_000
    t0 = time.perf_counter()
    arts, errors = items_of(path)
    assert time.perf_counter() - t0 < 5
    assert [a.id for a in arts] == ["good-1"]
    assert len(errors) == 10_001
    assert errors[-1].reason == "10,000 bad records in a row; the rest of the file is not read"


def test_gzip_cap_reports_one_line_and_keeps_earlier_records(tmp_path):
    path = tmp_path / "big.jsonl.gz"
    path.write_bytes(gzip.compress((json.dumps(GOOD) + "\n" + " " * 5_000_000 + "\n").encode()))
    arts, errors = items_of(path, max_gz_floor_bytes=1 << 20)
    assert [a.id for a in arts] == ["good-1"]
    assert len(errors) == 1 and "decompresses to more than 1,048,576 bytes" in errors[0].reason


def test_overlong_lines_are_skipped_not_held(tmp_path):
    path = jsonl(tmp_path / "w.jsonl", json.dumps(GOOD), "x" * 5000,
                 json.dumps({**GOOD, "id": "good-2"}))
    arts, errors = items_of(path, max_line_bytes=1000)
    assert [a.id for a in arts] == ["good-1", "good-2"]
    assert [(e.where[-2:], e.reason) for e in errors] == [(":2", "line longer than 1,000 bytes")]
    csv = tmp_path / "w.csv"
    csv.write_text("id,text\na,First story text.\nb," + "y" * 5000 + "\nc,Third.\n", "utf-8")
    arts, errors = items_of(csv, max_line_bytes=1000)
    assert [a.id for a in arts] == ["a"] and "line longer than 1,000" in errors[0].reason


def test_warc_header_cap_and_no_stderr_noise(tmp_path, capfd):
    head = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://e.example/\r\n"
            b"X-Junk: " + b"j" * 3_000_000 + b"\r\n\r\n")
    (tmp_path / "huge.warc").write_bytes(head)
    # A record whose Content-Length is wrong: warcio warns on stderr with raw bytes.
    body = b"HTTP/1.1 404 Not Found\r\n\r\n"
    rec = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://e.example/a\r\n"
           b"Content-Length: %d\r\n\r\n" % (len(body) - 5) + body + b"\x1b]0;owned\x07\r\n\r\n")
    (tmp_path / "wrong.warc").write_bytes(rec * 2)
    _arts, errors = items_of(tmp_path / "huge.warc", tmp_path / "wrong.warc")
    assert "WARC record headers longer than 1,048,576 bytes" in errors[0].reason
    assert capfd.readouterr().err == ""


def test_failure_list_keeps_the_first_and_counts_the_rest(capsys):
    from newsqa.cli.render import print_failures

    report = IngestReport()
    for i in range(5_000):
        report.fail(f"f.jsonl:{i}", "bad JSON")
    assert len(report.failed) == 1000 and report.n_failed == 5_000
    assert report.to_dict()["failed_unlisted"] == 4_000
    print_failures(report)
    assert capsys.readouterr().err.splitlines()[-1] == "… and 4,980 more"


def test_names_not_utf8_or_with_newlines_print_as_one_line(tmp_path):
    root = os.fsencode(tmp_path)
    for name in (b"bad\xff\xfe.jsonl", b"two\nlines.jsonl"):
        with open(os.path.join(root, name), "w", encoding="utf-8") as f:
            f.write(json.dumps({"text": "A story about the harbour and its new crane."}) + "\n"
                    + "not json\n")
    arts, errors = items_of(tmp_path)
    origins = sorted(Path(a.origin).name for a in arts)
    assert origins == ["bad\\xff\\xfe.jsonl:1", "two\\nlines.jsonl:1"]
    assert sorted(Path(e.where).name for e in errors) == ["bad\\xff\\xfe.jsonl:2",
                                                          "two\\nlines.jsonl:2"]


def test_walks_stay_inside_the_tree(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("Secret\nroot:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    jsonl(tree / "sub" / "ok.jsonl", json.dumps(GOOD))
    (tree / "passwd.txt").symlink_to(outside)
    (tree / "inside.jsonl").symlink_to(tree / "sub" / "ok.jsonl")
    (tree / "etc").symlink_to(tmp_path, target_is_directory=True)
    found = list(iter_files([tree]))
    assert [p.name for p in found if isinstance(p, Path)] == ["inside.jsonl", "ok.jsonl"]
    skips = sorted((Path(e.where).name, e.reason) for e in found if isinstance(e, LoadSkip))
    assert skips == [("etc", "symbolic link to a directory, not followed"),
                     ("passwd.txt", "symbolic link out of the directory, not followed")]


def test_binary_without_nul_bytes_is_refused(tmp_path):
    import random

    rng = random.Random(7)
    noise = bytes(rng.randrange(1, 256) for _ in range(4000))
    (tmp_path / "noise.txt").write_bytes(noise)
    _arts, errors = items_of(tmp_path / "noise.txt")
    assert errors[0].reason == "binary data, not a text/news file"


@NOT_ROOT
def test_unreadable_files_and_subdirectories_are_reported(tmp_path):
    jsonl(tmp_path / "ok.jsonl", json.dumps(GOOD))
    locked = jsonl(tmp_path / "locked.jsonl", json.dumps({**GOOD, "id": "x"}))
    sub = tmp_path / "sub"
    sub.mkdir()
    jsonl(sub / "in.jsonl", json.dumps({**GOOD, "id": "y"}))
    locked.chmod(0)
    sub.chmod(0)
    try:
        assert estimate_items([tmp_path]) == 3
        arts, errors = items_of(tmp_path)
    finally:
        sub.chmod(0o755)
    assert [a.id for a in arts] == ["good-1"]
    assert sorted(e.reason.split(" (")[0] for e in errors) == ["cannot read",
                                                               "cannot read directory"]


def test_id_reuse_by_another_article_is_refused_a_new_version_replaces(tiny_engine, tmp_path):
    first = jsonl(tmp_path / "a.jsonl", json.dumps({**GOOD, "url": "https://e.example/1"}),
                  json.dumps({**GOOD, "title": "Other", "url": "https://e.example/2",
                              "text": "A different story about the harbour crane."}))
    report = tiny_engine.ingest([first])
    assert report.added == 1 and [r for _, r in report.failed] == [
        f"id 'good-1' is already used by another article in this run ({first}:1); "
        "not ingested"]
    other = jsonl(tmp_path / "b.jsonl", json.dumps({**GOOD, "title": "Other", "url":
                                                    "https://e.example/2", "text": "New."}))
    report = tiny_engine.ingest([other])
    assert report.n_failed == 1 and "already belongs to another article ('Council votes')" \
        in report.failed[0][1]
    fix = jsonl(tmp_path / "c.jsonl", json.dumps({**GOOD, "url": "https://e.example/1",
                                                  "text": GOOD["text"] + " Updated."}))
    assert tiny_engine.ingest([fix]).updated == 1


def test_one_ingest_of_hostile_files_stores_every_good_record(tiny_engine, tmp_path):
    tmp_path = tmp_path / "in"
    tmp_path.mkdir()
    jsonl(tmp_path / "a.jsonl", json.dumps(GOOD), "[" * 5000, '{"text": "\\ud800 ok"}',
          json.dumps({**GOOD, "id": "good-2", "text": "The harbour crane was delivered."}))
    (tmp_path / "b.md").write_text("---\ndate: 2016-02-30\ntitle: Feb\n---\nThe museum opened "
                                   "its new wing.\n", encoding="utf-8")
    (tmp_path / "c.md").write_text("---\na: &a [1]\nb: *a\n---\nx\n", encoding="utf-8")
    (tmp_path / "d.json").write_text("{" * 3000, encoding="utf-8")
    report = tiny_engine.ingest([tmp_path])
    assert report.added == 4, report
    assert report.n_failed == 3
    stored = {a for a, _ in tiny_engine.catalog.db.execute("SELECT id, 1 FROM articles")}
    assert {"good-1", "good-2", "b"} <= stored


def test_loader_failures_never_reach_stderr_as_tracebacks(tmp_path, capfd):
    (tmp_path / "e.csv").write_bytes(b"id,text\n" + b"\xff\xfe" * 10 + b",x\n")
    (tmp_path / "f.rss").write_bytes(b"<rss><channel><item><title>" + b"<b>" * 3000 + b"</item>")
    (tmp_path / "g.html").write_bytes(b"<html>" + b"<div>" * 50_000 + b"</html>")
    items_of(tmp_path)
    assert "Traceback" not in capfd.readouterr().err

