"""Archive text written to break things: rich markup, terminal escapes, lone surrogates and
bracketed numbers in titles, ids, URLs and bodies must be stored, shown and cited literally."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from newsqa.answer.extractive import Candidate
from newsqa.answer.generative import GenerativeAnswerer
from newsqa.answer.markers import as_prose
from newsqa.answer.verify import claims, support
from newsqa.cli import app
from newsqa.config import Settings
from newsqa.engine import Engine
from newsqa.ingest.loaders.records import article_from_record
from newsqa.text.control import clean_text
from newsqa.types import Passage

ESCAPES = "\x1b[2K\x1b]0;owned\x07\x1b[31m"
FLOOD = {"id": "x[/]", "title": "Floods [/nope] hit [bold]the valley",
         "url": "https://example.org/a[/nope]b", "source": "Val[/]ley Post",
         "date": "2020-05-01", "authors": "Ann [/] Lee",
         "text": f"The river flooded the valley town after three days of rain. {ESCAPES}"
                 "Officials said the dam held through the night.\r\nNobody was hurt."}
BUDGET = {"id": "b2", "title": "Budget plan", "date": "2020-05-02", "source": "Daily",
          "text": "The finance minister said the farm budget will grow next year [2]. "
                  "Critics said the plan [1] was unfunded."}


def write_jsonl(path: Path, records: list[dict], raw_lines: tuple[str, ...] = ()) -> Path:
    lines = [json.dumps(r) for r in records] + list(raw_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    return result


def test_clean_text_removes_escape_sequences_whole_and_replaces_lone_surrogates() -> None:
    assert clean_text(f"a{ESCAPES}b") == "ab"  # no "[2K" residue
    assert clean_text("x\ud800y\udfffz") == "x\ufffdy\ufffdz"
    assert clean_text("one\r\ntwo\rthree\x0cfour") == "one\ntwo\nthree\nfour"
    assert clean_text("tab\tnew\nnul\x00del\x7fc1\x9bA") == "tab\tnew\nnuldelc1"
    plain = "Città [1] «quote» 日本 — fine"
    assert clean_text(plain) == plain


def test_every_field_of_a_record_is_cleaned_before_the_article_exists() -> None:
    rec = {**FLOOD, "title": "Bad\x1b[2K \ud800 title", "source": "Wire\x07",
           "url": "https://e.example/\x1b]0;x\x07a", "authors": ["Ann\x00 Lee"]}
    art = article_from_record(rec, "t.jsonl")
    assert (art.title, art.source, art.url, art.authors) == (
        "Bad \ufffd title", "Wire", "https://e.example/a", ["Ann Lee"])
    assert "\x1b" not in art.text and "\r" not in art.text
    assert "rain. Officials said the dam held" in art.text
    art.text.encode("utf-8")  # nothing left that UTF-8 refuses


def test_a_record_with_a_lone_surrogate_does_not_stop_the_ingest(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "mixed.jsonl", [FLOOD, BUDGET], raw_lines=(
        '{"id": "s1", "title": "Harvest \\ud800", "text": "Farmers said \\udc00 the harvest '
        'was late this year."}',))
    engine = Engine(Settings(index=tmp_path / "index"))
    report = engine.ingest([path])
    assert (report.added, report.failed) == (3, [])
    assert engine.article("s1").text == "Farmers said \ufffd the harvest was late this year."
    flood = engine.article("x[/]")
    assert "\x1b" not in flood.text
    for chunk in engine.search("dam held valley flood", k=3):  # offsets index stored text
        assert engine.article(chunk.article_id).text[chunk.start:chunk.end] == chunk.text


def test_a_feed_with_a_surrogate_character_reference_is_ingested(tmp_path: Path) -> None:
    feed = tmp_path / "feed.rss"
    feed.write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        "<item><title>Storm &#55296; warning</title><link>https://w.example/storm</link>"
        "<description>A storm &#55296; warning was issued for the coast on Monday."
        "</description><pubDate>Mon, 04 May 2020 10:00:00 GMT</pubDate></item>"
        "</channel></rss>", encoding="utf-8")
    engine = Engine(Settings(index=tmp_path / "index"))
    report = engine.ingest([feed])
    assert report.failed == [] and report.added == 1
    (art,) = engine.catalog.get_many(engine.catalog.article_meta()).values()
    assert "\ud800" not in art.title + art.text and "storm" in art.text.lower()


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("hostile")
    index = str(tmp / "index")
    path = write_jsonl(tmp / "hostile.jsonl", [FLOOD, BUDGET])
    result = run("ingest", str(path), "--index", index)
    assert result.exit_code == 0, result.output
    return index


@pytest.mark.parametrize("args", [
    ("ask", "Did the dam hold after the flood?"),
    ("search", "river flooded valley dam"),
    ("stats",),
])
def test_markup_and_escapes_in_stored_fields_print_literally(hostile_index, args) -> None:
    result = run(*args, "--index", hostile_index)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "\x1b" not in out and "\x07" not in out
    assert "Val[/]ley Post" in out
    if args[0] != "stats":
        assert "Floods [/nope] hit [bold]the valley" in out
        assert "https://example.org/a[/nope]b" in out
    if args[0] == "ask":
        assert "x[/] · chars" in out


def test_ingest_report_prints_markup_in_reasons_literally(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "bad[red]x.jsonl", [BUDGET], raw_lines=("{broken [/x]",))
    result = run("ingest", str(path), "--index", str(tmp_path / "index"))
    assert result.exit_code == 1, result.output  # one record failed, the other is in
    assert "bad[red]x.jsonl" in result.output


def test_bracketed_numbers_in_article_text_are_not_citation_markers(hostile_index) -> None:
    result = run("ask", "What did the finance minister say about the farm budget?", "--json",
                 "--index", hostile_index)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    numbers = [c["n"] for c in answer["citations"]]
    assert numbers == list(range(1, len(numbers) + 1)) and numbers
    quote = answer["citations"][0]["quote"]
    assert "next year [2]." in quote  # the citation stays verbatim
    assert "next year (2). [1]" in answer["answer"]  # the prose does not pass it as a marker
    assert claims(answer["answer"], set(numbers)).keys() == set(numbers)


def test_claims_reads_only_the_answers_own_markers() -> None:
    text = "Growth next year [2] was promised. [1] Critics objected. [3]"
    assert claims(text, {1, 3}) == {1: "Growth next year [2] was promised.",
                                    3: "Critics objected."}
    assert claims(text) == {2: "Growth next year", 1: "was promised.", 3: "Critics objected."}
    quote = "The budget will grow next year [2]."
    assert support(as_prose(quote), quote) == 1.0
    assert as_prose("next year [2], or [1, 3] and [4–6]") == "next year (2), or (1, 3) and (4–6)"


def test_the_model_sees_an_excerpts_brackets_as_prose() -> None:
    text = BUDGET["text"]
    p = Passage("b2::0", "b2", 0, len(text), text, "Budget plan", "2020-05-02", None, "Daily",
                1.0)
    gen = GenerativeAnswerer(None, SimpleNamespace(max_sentences=3), Settings())
    messages = gen.messages("What about the budget?", [Candidate(p, 0, len(text), text)])
    prompt = messages[-1].content
    assert "next year (2)." in prompt and "plan (1) was" in prompt and "[2]" not in prompt
