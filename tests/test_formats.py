"""Input formats (HTML, feeds, CSV/TSV, WARC, URLs), attribution, language, near-duplicates.

Loader tests read the small real fixtures in tests/fixtures/formats (Wikinews texts, see its
ATTRIBUTION.md) and need no model; the end-to-end tests build one tiny index with the real
model and Chroma.  URL ingest is served by a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import io
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsqa.cli import app, main
from newsqa.config import Settings
from newsqa.engine import Engine
from newsqa.errors import LoadError, LoadSkip, NewsqaError
from newsqa.ingest.loaders import LoadOptions, load_file, parse_field_map
from newsqa.ingest.loaders.language import detect_language
from newsqa.ingest.loaders.outlets import outlet_for_url
from newsqa.ingest.loaders.records import article_from_record
from newsqa.ingest.urls import load_inputs, read_url_list
from newsqa.types import Article, Filters

FIX = Path(__file__).parent / "fixtures" / "formats"
PAGE = FIX / "pages" / "escape-room-fire.html"
WIKI = "https://en.wikinews.org/wiki/"
RUSSIAN = ("Правительство России в понедельник объявило о новых мерах поддержки регионов, "
           "пострадавших от наводнения. По словам министра, из бюджета будет выделено более "
           "двух миллиардов рублей на восстановление дорог, мостов и жилых домов. Жители "
           "затопленных сёл получат компенсации до конца месяца.")


def load(path: Path, **opts) -> tuple[list[Article], list[LoadError]]:
    items = list(load_file(path, LoadOptions(**opts)))
    return ([i for i in items if isinstance(i, Article)],
            [i for i in items if isinstance(i, LoadError)])


# --- HTML -------------------------------------------------------------------------------
def test_html_page_main_text_and_jsonld_metadata():
    (art,), errors = load(PAGE)
    assert not errors
    assert art.title == "Escape room fire kills five teen girls in Koszalin, Poland"
    assert art.date == "2019-01-05"
    assert art.url == WIKI + "Escape_room_fire_kills_five_teen_girls_in_Koszalin,_Poland"
    assert art.source == "Wikinews"
    assert art.authors == ["Wikinews contributors"]
    assert art.lang == "en"
    assert art.text.startswith("A fire yesterday afternoon")
    for boilerplate in ("Advertisement", "outrageous", "Privacy policy", "Main page",
                        "Sports"):
        assert boilerplate not in art.text


def test_html_page_open_graph_metadata():
    (art,), _ = load(FIX / "pages" / "florida-pileup.htm")
    assert art.source == "Wikinews"
    assert art.date == "2019-01-05"
    assert art.url.startswith(WIKI + "Florida_highway_pileup")
    assert "Gainesville" in art.text
    assert "Related stories" not in art.text and "First!" not in art.text


def test_html_without_article_text_is_a_clear_error():
    arts, (err,) = load(FIX / "pages" / "empty-page.html")
    assert not arts
    assert "no article text" in err.reason


@pytest.mark.parametrize("name", ["photo.html", "feed.rss", "dump.csv", "a.jsonl"])
def test_binary_file_with_news_extension_is_refused(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    arts, (err,) = load(path)
    assert not arts and "binary" in err.reason


def test_oversized_whole_file_is_refused_with_the_limit():
    arts, (err,) = load(PAGE, max_file_bytes=1000)
    assert not arts
    assert "too large" in err.reason and "1,000" in err.reason


# --- feeds ------------------------------------------------------------------------------
def test_rss_entries_content_over_summary_and_broken_dates():
    arts, errors = load(FIX / "feed.rss")
    assert not errors
    assert [a.title for a in arts] == [
        "State-run bus crashes in Cuba en route to Havana, killing seven",
        "Iranian cargo plane crashes into Karaj houses",
        "Block of flats collapses in Aleppo, killing eleven"]
    cuba, iran, aleppo = arts
    assert cuba.date == "2019-01-12" and cuba.authors == ["Wikinews contributors"]
    assert len(cuba.text) > 1000 and "track()" not in cuba.text and "<p>" not in cuba.text
    assert iran.date is None  # "Tuesday, 45 Febtember 2019": kept, undated
    assert "<p>" not in aleppo.text and "\n\n" in aleppo.text  # HTML description, stripped
    assert {a.source for a in arts} == {"Wikinews"}
    assert all(a.url.startswith(WIKI) for a in arts)


def test_atom_feed_uses_full_content():
    arts, _ = load(FIX / "feed.atom")
    assert len(arts) == 2
    assert arts[0].date == "2019-02-06"  # published wins over updated
    assert arts[0].text.endswith("Dozens of occupants required extricated.")


def test_feed_with_wrong_declared_encoding_still_loads(tmp_path):
    body = ("<p>Le café de la place a rouvert ses portes après trois années de travaux, "
            "a annoncé la mairie lundi. Les habitants du quartier se sont réjouis.</p>")
    rss = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Le '
           'Journal</title><item><title>Réouverture du café</title><link>https://example.fr/'
           f'cafe</link><pubDate>not a date</pubDate><description>{body}</description></item>'
           '</channel></rss>').replace("<p>", "&lt;p&gt;").replace("</p>", "&lt;/p&gt;")
    path = tmp_path / "latin1.rss"
    path.write_bytes(rss.encode("latin-1"))  # declared utf-8, really latin-1
    (art,), errors = load(path)
    assert not errors
    assert art.date is None and art.lang == "fr" and "caf" in art.text
    assert art.source == "Le Journal"


def test_xml_that_is_no_feed_is_a_clear_error(tmp_path):
    path = tmp_path / "config.xml"
    path.write_text("<config><option>1</option></config>")
    _, (err,) = load(path)
    assert "feed" in err.reason


# --- CSV / TSV --------------------------------------------------------------------------
def test_csv_header_aliases_and_per_row_errors():
    arts, (err,) = load(FIX / "articles.csv")
    assert [a.date for a in arts] == ["2019-02-11", "2019-02-11", "2019-02-12"]
    assert arts[0].title.startswith("Pioneering oceanographer Walter Munk")
    assert arts[0].source == "Wikinews" and arts[0].url.startswith(WIKI)
    assert "\n" in arts[0].text  # quoted multi-line cells survive
    assert err.where.endswith("articles.csv:41") and err.reason == "empty text"


def test_tsv_with_field_map():
    path = FIX / "custom-columns.tsv"
    arts, errors = load(path)
    assert not arts and len(errors) == 2  # no alias matches "story_text"
    arts, errors = load(path, field_map=parse_field_map("text=story_text, date=when"))
    assert not errors and len(arts) == 2
    assert arts[0].date == "2019-02-13" and "Karol Bagh" in arts[0].text
    assert arts[0].source == "Wikinews"  # from the link's host, the file has no outlet column


def test_field_map_naming_a_missing_column_is_one_error():
    _, (err,) = load(FIX / "articles.csv", field_map={"text": "story"})
    assert "story" in err.reason and "headline" in err.reason


def test_parse_field_map_rejects_typos():
    with pytest.raises(NewsqaError, match="unknown field"):
        parse_field_map("txt=body")
    with pytest.raises(NewsqaError, match="FIELD=COLUMN"):
        parse_field_map("text")


def test_csv_in_legacy_encoding_with_semicolons(tmp_path):
    path = tmp_path / "export.csv"
    text = ("Titel;Inhalt;Datum\nWahl in München;" + "Die Wähler in München haben am Sonntag "
            "über den neuen Stadtrat abgestimmt. Die Beteiligung lag höher als erwartet. " * 2
            + ";2020-03-15\n")
    path.write_bytes(text.encode("cp1252"))
    (art,), errors = load(path, field_map={"title": "Titel", "text": "Inhalt", "date": "Datum"})
    assert not errors
    assert art.title == "Wahl in München" and art.lang == "de" and art.date == "2020-03-15"


# --- WARC -------------------------------------------------------------------------------
def write_warc(path: Path, gz: bool) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=gz)

        def response(url: str, status: str, ctype: str, body: bytes) -> None:
            http = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=http,
                warc_headers_dict={"WARC-Date": "2019-01-06T10:00:00Z"}))

        writer.write_record(writer.create_warc_record(
            "https://news.example.org/", "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n")))
        response("https://news.example.org/koszalin", "200 OK", "text/html; charset=utf-8",
                 PAGE.read_bytes())
        response("https://news.example.org/gone", "404 Not Found", "text/html", b"<h1>404</h1>")
        response("https://news.example.org/logo.png", "200 OK", "image/png", b"\x89PNG....")
        response("https://news.example.org/index", "200 OK", "text/html",
                 (FIX / "pages" / "empty-page.html").read_bytes())
        response("https://www.reuters.com/world/florida", "200 OK", "text/html",
                 (FIX / "pages" / "florida-pileup.htm").read_bytes()
                 .replace(b'<meta property="og:site_name" content="Wikinews">', b"")
                 .replace(b'<meta property="og:url"', b'<meta property="og:nourl"'))


@pytest.mark.parametrize("gz", [False, True])
def test_warc_html_responses_become_articles_others_skipped(tmp_path, gz):
    path = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    write_warc(path, gz)
    items = list(load_file(path))
    arts = [i for i in items if isinstance(i, Article)]
    skips = [i for i in items if isinstance(i, LoadSkip)]
    errors = [i for i in items if isinstance(i, LoadError) and not isinstance(i, LoadSkip)]
    assert [a.title for a in arts] == [
        "Escape room fire kills five teen girls in Koszalin, Poland",
        "Florida highway pileup, fire kills five children, two truck drivers"]
    assert arts[0].url.startswith(WIKI)  # the page's canonical URL beats the record's
    # No site name or canonical URL on the page: the record's URL and its outlet are used.
    assert arts[1].url == "https://www.reuters.com/world/florida" and arts[1].source == "Reuters"
    assert sorted(s.reason for s in skips) == ["HTTP status 404, not a page",
                                               "not an HTML page (image/png)"]
    assert len(errors) == 1 and "no article text" in errors[0].reason


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize(("keep", "reason"), [
    (0.85, "record truncated"),  # cut inside the last page's body
    (0.5, "truncated or corrupt WARC"),  # cut inside a record's headers
    (0.003, "truncated or corrupt WARC"),  # cut inside the first record
])
def test_truncated_warc_keeps_what_was_read_and_says_so(tmp_path, gz, keep, reason):
    whole = tmp_path / "whole.warc"
    write_warc(whole, gz)
    data = whole.read_bytes()
    cut = tmp_path / ("cut.warc.gz" if gz else "cut.warc")
    cut.write_bytes(data[: int(len(data) * keep)])
    items = list(load_file(cut))
    assert reason in items[-1].reason
    if keep > 0.4:
        assert isinstance(items[0], Article)


@pytest.mark.parametrize(("name", "data"), [
    ("text.warc", b"hello, this is not a web archive\n"),
    ("noise.warc.gz", bytes(range(7, 256)) * 12),
])
def test_garbage_warc_is_one_clear_error(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    (err,) = list(load_file(path))
    assert type(err) is LoadError and ("corrupt" in err.reason or "not a WARC" in err.reason)
    assert len(err.reason) < 250


def test_truncated_gzip_jsonl_keeps_earlier_records(tmp_path):
    path = tmp_path / "wire.jsonl.gz"
    data = gzip.compress((FIX / "wire-copies.jsonl").read_bytes())
    path.write_bytes(data[: len(data) // 2])
    items = list(load_file(path))
    assert isinstance(items[0], Article)
    assert "cannot read" in items[-1].reason


# --- attribution and language -----------------------------------------------------------
@pytest.mark.parametrize(("url", "outlet"), [
    ("https://www.cnn.com/2019/x", "CNN"), ("https://edition.cnn.com/x", "CNN"),
    ("https://www.bbc.co.uk/news/x", "BBC"), ("https://apnews.com/article/x", "AP"),
    ("https://www.nytimes.com/x", "The New York Times"), ("https://www.rt.com/news/1", "RT"),
    ("https://www.theguardian.com/world/x", "The Guardian"),
    ("https://www.reuters.com/x", "Reuters"), ("https://news.local-paper.example/x",
                                                "news.local-paper.example"),
    ("https://www.small-town.example/x", "small-town.example"), ("not a url", None)])
def test_outlet_for_url(url, outlet):
    assert outlet_for_url(url) == outlet


def test_source_precedence_record_then_site_then_host():
    base = {"text": "Some text of an article.", "url": "https://www.cnn.com/a"}
    assert article_from_record({**base, "source": "Own"}, "x").source == "Own"
    assert article_from_record({**base, "site_name": "CNN International"}, "x").source \
        == "CNN International"
    assert article_from_record(base, "x").source == "CNN"


def test_language_detection_and_declared_language():
    assert detect_language(RUSSIAN) == "ru"
    assert detect_language("Hi!") is None
    assert article_from_record({"text": RUSSIAN}, "x").lang == "ru"
    assert article_from_record({"text": RUSSIAN, "lang": "uk"}, "x").lang == "uk"


# --- URLs -------------------------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, str, bytes]] = {}
    redirects = {"/redirect": "/article.html", "/redirect-loop": "/loop", "/loop": "/loop"}

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/slow":
            time.sleep(1.5)
        if self.path in self.redirects:
            self.send_response(302)
            self.send_header("Location", self.redirects[self.path])
            self.end_headers()
            return
        status, ctype, body = self.routes.get(self.path, (404, "text/html", b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # the client gave up on /slow (that is the test); nothing to report


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    _Handler.routes = {
        "/article.html": (200, "text/html; charset=utf-8", PAGE.read_bytes()),
        "/feed": (200, "application/rss+xml", (FIX / "feed.rss").read_bytes()),
        "/feed-as-text": (200, "text/plain", (FIX / "feed.atom").read_bytes()),
        "/big": (200, "text/html", b"<p>" + b"x" * 50_000 + b"</p>"),
        "/slow": (200, "text/html", PAGE.read_bytes()),
        "/doc.pdf": (200, "application/pdf", b"%PDF-1.4 ..."),
        "/files/wire-copies.jsonl": (200, "application/octet-stream",
                                     (FIX / "wire-copies.jsonl").read_bytes()),
        "/files/articles.csv.gz": (200, "application/gzip",
                                   gzip.compress((FIX / "articles.csv").read_bytes())),
    }
    httpd = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def fetch_all(urls: list[str], **opts) -> list[Article | LoadError]:
    return list(load_inputs(urls, LoadOptions(**opts)))


def test_urls_private_addresses_refused_by_default(server):
    (err,) = fetch_all([server + "/article.html"])
    assert "not a public address" in err.reason and "NEWSQA_ALLOW_PRIVATE_URLS" in err.reason
    (err,) = fetch_all(["http://169.254.169.254/latest/meta-data/"])
    assert "not a public address" in err.reason
    (err,) = fetch_all(["ftp://example.org/file.html"], allow_private_urls=True)
    assert "only http and https" in err.reason


def test_urls_pages_feeds_and_errors(server):
    items = fetch_all([server + p for p in (
        "/article.html", "/redirect", "/feed", "/feed-as-text", "/missing", "/redirect-loop",
        "/big", "/doc.pdf", "/slow")], allow_private_urls=True, max_url_bytes=20_000,
        url_timeout=0.5)
    arts = [i for i in items if isinstance(i, Article)]
    errors = {e.where.removeprefix(server): e.reason for e in items if isinstance(e, LoadError)}
    assert arts[0].title.startswith("Escape room fire") and arts[0].url.startswith(WIKI)
    assert arts[1].id == arts[0].id  # redirected to the same page
    assert len(arts) == 2 + 3 + 2  # page, redirect, RSS by type, Atom sniffed from content
    assert errors["/missing"].startswith("HTTP 404")
    assert "redirects" in errors["/redirect-loop"]
    assert "too large" in errors["/big"]
    assert errors["/doc.pdf"] == "not an HTML page or feed (application/pdf)"
    assert "timed out" in errors["/slow"]


def test_urls_naming_archive_files_load_as_those_files(server):
    for served, name in (("wire-copies.jsonl", "wire-copies.jsonl"),
                         ("articles.csv.gz", "articles.csv")):
        fetched = fetch_all([f"{server}/files/{served}"], allow_private_urls=True)
        local = list(load_file(FIX / name))
        assert [getattr(i, "id", None) for i in fetched] == [getattr(i, "id", None)
                                                              for i in local]
        assert all(i.where.startswith(server) for i in fetched if isinstance(i, LoadError))
        assert sum(isinstance(i, Article) for i in fetched) >= 3


def test_inputs_mix_files_directories_and_url_lists(tmp_path, server):
    lst = tmp_path / "urls.txt"
    lst.write_text(f"# wire\n\n{server}/article.html\n  {server}/feed  \n")
    assert read_url_list(lst) == [f"{server}/article.html", f"{server}/feed"]
    items = list(load_inputs([str(FIX / "pages"), *read_url_list(lst)],
                             LoadOptions(allow_private_urls=True)))
    assert sum(isinstance(i, Article) for i in items) == 2 + 1 + 3
    with pytest.raises(NewsqaError, match="cannot read URL list"):
        read_url_list(tmp_path / "nope.txt")


# --- end to end: ingest, near-duplicates, search, ask, CLI ------------------------------
@pytest.fixture(scope="module")
def formats_engine(tmp_path_factory) -> tuple[Engine, object]:
    """One tiny index over every format, with wire copies and a Russian article."""
    root = tmp_path_factory.mktemp("formats")
    write_warc(root / "crawl.warc.gz", gz=True)
    (root / "ru.jsonl").write_text(json.dumps(
        {"id": "ru-flood", "title": "Помощь регионам", "text": RUSSIAN, "date": "2019-03-01",
         "url": "https://tass.ru/x"}, ensure_ascii=False) + "\n")
    inputs = [FIX / "wire-copies.jsonl", FIX / "feed.atom", FIX / "articles.csv",
              root / "crawl.warc.gz", root / "ru.jsonl"]
    eng = Engine(Settings(index=root / "index"))
    return eng, eng.ingest(inputs)


def test_ingest_every_format_with_reasons(formats_engine):
    eng, report = formats_engine
    assert report.added == 2 + 2 + 3 + 2 + 1  # wire (1 story + 1 other), atom, csv, warc, ru
    assert report.duplicate == 2  # the CNN and Guardian copies of the AP story
    failed = dict(report.failed)
    assert any(w.endswith("articles.csv:41") for w in failed)
    assert any("no article text" in r for r in failed.values())
    assert len(report.skipped) == 2
    assert eng.stats()["duplicates"] == 2


def test_syndicated_copies_retrieved_once_and_credited(formats_engine):
    eng, _ = formats_engine
    passages = eng.search("Bruce McArthur pleaded guilty to eight murders in Toronto", k=8)
    ids = [p.article_id for p in passages]
    assert ids[0] == "wire-ap"
    assert not {"wire-cnn", "wire-guardian"} & set(ids)
    answer = eng.ask("How many murders did Bruce McArthur plead guilty to?")
    cited = [c for c in answer.citations if c.article_id == "wire-ap"]
    assert cited, answer.to_dict()
    assert {d["source"] for d in cited[0].also} == {"CNN", "The Guardian"}
    assert answer.to_dict()["citations"][0]["also"]


def test_language_filter(formats_engine):
    eng, _ = formats_engine
    hits = eng.search("наводнение помощь регионам", k=5, filters=Filters(lang="ru"))
    assert {p.article_id for p in hits} == {"ru-flood"}
    assert "ru-flood" not in {p.article_id for p in eng.search(
        "наводнение помощь регионам", k=20, filters=Filters(lang="en"))}


def test_near_duplicates_persist_across_engines(formats_engine, tmp_path):
    eng, _ = formats_engine
    rec = json.loads((FIX / "wire-copies.jsonl").read_text().splitlines()[0])
    rec.update(id="wire-bbc", url="https://www.bbc.co.uk/news/mcarthur",
               text=rec["text"].replace("TORONTO (AP) — ", "") + "\nBBC News contributed.")
    path = tmp_path / "bbc.jsonl"
    path.write_text(json.dumps(rec) + "\n")
    fresh = Engine(Settings(index=eng.settings.index))  # signatures reloaded from disk
    report = fresh.ingest([path])
    assert (report.added, report.duplicate) == (0, 1)
    assert "BBC" in {d["source"] for d in fresh.catalog.duplicates_of("wire-ap")}


def test_cli_ingest_map_and_urls(tmp_path, server, monkeypatch, capsys):
    monkeypatch.setenv("NEWSQA_ALLOW_PRIVATE_URLS", "true")
    lst = tmp_path / "urls.txt"
    lst.write_text(f"{server}/article.html\n")
    result = CliRunner().invoke(app, [
        "ingest", str(FIX / "custom-columns.tsv"), f"{server}/missing", "--urls", str(lst),
        "--map", "text=story_text,date=when", "--index", str(tmp_path / "index"), "--json"])
    assert result.exit_code == 1, result.output  # one input failed, the others are in
    report = json.loads(result.stdout)
    assert report["added"] == 3
    assert [f["reason"] for f in report["failed"]] == ["HTTP 404 Not Found"]
    with pytest.raises(SystemExit) as exc:
        main(["ingest", str(FIX / "articles.csv"), "--map", "txt=body",
              "--index", str(tmp_path / "index")])
    assert exc.value.code == 2
    assert "error: --map: unknown field 'txt'" in capsys.readouterr().err
