"""Loaders on small real fixtures: formats, aliases, dates, ids and bad input."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from newsqa.engine import sample_archive_path
from newsqa.errors import LoadError, NewsqaError
from newsqa.ingest.loaders import LoadOptions, load_paths
from newsqa.text.dates import (
    date_bounds,
    normalize_date,
    parse_as_of_option,
    parse_date_option,
)
from newsqa.types import Article

from .conftest import RT_ID


def load(*paths: Path, **opts) -> tuple[list[Article], list[LoadError]]:
    items = list(load_paths(list(paths), LoadOptions(**opts)))
    return ([i for i in items if isinstance(i, Article)],
            [i for i in items if isinstance(i, LoadError)])


def test_rt_text_file_title_dateline_body_and_sidecar():
    arts, errs = load(sample_archive_path() / f"{RT_ID}.txt")
    assert not errs
    (a,) = arts
    assert a.id == RT_ID
    assert a.title.startswith("Lavrov: West will be")
    assert a.date == "2016-10-31"
    assert a.source == "RT"  # from the .meta.json sidecar
    assert a.text.startswith("If the West fails to exert pressure")
    assert "31 Oct, 2016" not in a.text


def test_jsonl_keeps_record_ids_and_month_dates(archive_dir):
    arts, errs = load(archive_dir / "un-general-debate-2016.jsonl")
    assert not errs and len(arts) == 4
    assert all(a.id.startswith("ungdc-") and a.date == "2016-09" for a in arts)


def test_json_aliases_list_container_and_single(tmp_path):
    rec = {"headline": "Storm hits coast", "body": "A storm hit the coast on Monday.",
           "published_at": "2020-03-05T10:00:00Z", "link": "https://www.example.org/a",
           "byline": "By Ann Lee and Bo Chen", "publisher": {"name": "Example News"}}
    (tmp_path / "one.json").write_text(json.dumps(rec))
    (tmp_path / "list.json").write_text(json.dumps([rec, {**rec, "id": "x2"}]))
    (tmp_path / "wrapped.json").write_text(json.dumps({"articles": [{**rec, "id": "x3"}]}))
    arts, errs = load(tmp_path / "one.json", tmp_path / "list.json", tmp_path / "wrapped.json")
    assert not errs and len(arts) == 4
    a = arts[0]
    assert (a.title, a.date, a.url, a.source) == (
        "Storm hits coast", "2020-03-05", "https://www.example.org/a", "Example News")
    assert a.authors == ["Ann Lee", "Bo Chen"]
    # No id in the record: a stable id from the URL, the same every time.
    assert a.id == arts[1].id and a.id.startswith("url-")
    assert [x.id for x in arts[2:]] == ["x2", "x3"]


def test_gz_variants_and_directory_walk(tmp_path):
    lines = [json.dumps({"id": f"g{i}", "title": f"T{i}", "text": f"Body {i}."}) for i in range(3)]
    sub = tmp_path / "nested" / "deeper"
    sub.mkdir(parents=True)
    with gzip.open(sub / "a.jsonl.gz", "wt") as f:
        f.write("\n".join(lines))
    with gzip.open(tmp_path / "b.txt.gz", "wt") as f:
        f.write("A title\n\n2019-05-01\n\nThe body text.")
    (tmp_path / "README.md").write_text("# About this archive\n\nNot an article.")
    arts, errs = load(tmp_path)
    assert not errs
    assert sorted(a.id for a in arts) == ["b", "g0", "g1", "g2"]
    assert next(a for a in arts if a.id == "b").date == "2019-05-01"


def test_markdown_front_matter(tmp_path):
    (tmp_path / "post.md").write_text(
        "---\ntitle: Council votes\ndate: 2021-02-03\nsource: City Gazette\n"
        "url: https://gazette.example/council\n---\nThe council voted 5-4.\n")
    (a,), errs = load(tmp_path / "post.md")
    assert not errs
    assert (a.title, a.date, a.source) == ("Council votes", "2021-02-03", "City Gazette")
    assert a.text == "The council voted 5-4."


def test_bad_lines_are_reported_and_good_records_kept(tmp_path):
    f = tmp_path / "mixed.jsonl"
    f.write_text('{"id": "ok1", "title": "A", "text": "Fine."}\n{not json\n'
                 '{"id": "empty", "title": "B", "text": "  "}\n[1, 2]\n'
                 '{"id": "ok2", "title": "C", "text": "Also fine."}\n')
    arts, errs = load(f)
    assert [a.id for a in arts] == ["ok1", "ok2"]
    where = {e.where: e.reason for e in errs}
    assert where[f"{f}:2"].startswith("bad JSON")
    assert where[f"{f}:3"] == "empty text"
    assert "expected an object" in where[f"{f}:4"]


def test_unsupported_binary_missing_and_wrong_encoding(tmp_path):
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "fake.jsonl").write_bytes(b"\x00\x01\x02binary")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Café crème\n\nLe café était fermé à Zürich.".encode("latin-1"))
    arts, errs = load(tmp_path / "scan.pdf", tmp_path / "fake.jsonl", latin,
                      tmp_path / "missing.jsonl")
    reasons = [e.reason for e in errs]
    assert any("unsupported file type '.pdf'" in r for r in reasons)
    assert any("binary" in r for r in reasons)
    assert any("no such file" in r for r in reasons)
    (a,) = arts
    assert "café était fermé à Zürich" in a.text


def test_truncated_gzip_reports_the_file(tmp_path):
    data = gzip.compress(b"\n".join(
        json.dumps({"id": f"t{i}", "title": "t", "text": "x " * 200}).encode() for i in range(50)))
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    arts, errs = load(tmp_path / "cut.jsonl.gz")
    assert len(errs) == 1 and "cannot read" in errs[0].reason
    assert len(arts) < 50


def test_dates_normalise_to_iso_and_bounds():
    assert normalize_date("31 Oct, 2016 13:22") == "2016-10-31"
    assert normalize_date("Mon, 31 Oct 2016 13:22:00 GMT") == "2016-10-31"
    assert normalize_date("2016-09") == "2016-09"
    assert normalize_date("2016") == "2016"
    assert normalize_date(1477920000) == "2016-10-31"
    assert normalize_date("not a date") is None
    assert date_bounds("2016-09") == (20160901, 20160930)
    assert date_bounds("2016-02") == (20160201, 20160229)
    assert date_bounds("2016-10-31") == (20161031, 20161031)


def test_date_options_are_iso_or_one_line_errors():
    assert parse_date_option("--since", "31 Oct 2016") == "2016-10-31"
    assert parse_date_option("until", "2016-09") == "2016-09"
    assert parse_date_option("--since", None) is None and parse_date_option("x", "") is None
    with pytest.raises(NewsqaError) as err:
        parse_date_option("since", "someday")
    assert str(err.value) == "since: not a date: 'someday' (use YYYY-MM-DD, YYYY-MM or YYYY)"
    assert parse_as_of_option("--as-of", "2016-09") == date(2016, 9, 1)
    assert parse_as_of_option("--as-of", None) is None
    with pytest.raises(NewsqaError, match=r"^--as-of: not a date: 'x' \(use YYYY-MM-DD\)$"):
        parse_as_of_option("--as-of", "x")


def test_a_record_without_title_gets_the_url_slug_or_its_first_real_line():
    from newsqa.ingest.loaders.records import article_from_record

    body = "New York CNN —\n\n“Squid Game” is officially coming back. Netflix said so."
    url = "https://www.cnn.com/2022/06/12/media/squid-game-season-2/index.html"
    a = article_from_record({"text": body, "url": url}, "t")
    assert a.title == "Squid game season 2"
    b = article_from_record({"text": body, "url": "https://example.com/a/12345"}, "t")
    assert b.title == "“Squid Game” is officially coming back."  # not the dateline
    c = article_from_record({"text": body, "title": "Own headline", "url": url}, "t")
    assert c.title == "Own headline"


def test_a_format_module_is_picked_up_without_being_named(tmp_path, monkeypatch):
    """A new module in the loaders package registers itself: no list of formats to edit."""
    import sys

    from newsqa.ingest import loaders
    from newsqa.ingest.loaders import registry

    assert {".csv", ".json", ".jsonl", ".html", ".rss", ".txt", ".md", ".warc"} <= set(
        loaders.supported_extensions())
    assert loaders.register is registry.register and loaders.LoadOptions is registry.LoadOptions
    (tmp_path / "fakefmt.py").write_text(
        "from newsqa.ingest.loaders.registry import register\n\n"
        "@register('.fakefmt')\n"
        "def load(stream, origin, options):\n"
        "    yield from ()\n")
    monkeypatch.setattr(loaders, "__path__", [*loaders.__path__, str(tmp_path)])
    try:
        loaders._register_formats.__wrapped__()  # the cached first-use discovery, once more
        assert ".fakefmt" in loaders.supported_extensions()
    finally:
        registry.LOADERS.pop(".fakefmt", None)
        sys.modules.pop("newsqa.ingest.loaders.fakefmt", None)
