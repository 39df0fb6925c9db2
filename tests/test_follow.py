"""``newsqa follow`` against a feed server on 127.0.0.1: new entries in, seen ones skipped
(304 or unchanged ids), failing sources reported and backed off, state kept across runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsqa.cli import app, main
from newsqa.config import Settings
from newsqa.engine import Engine
from newsqa.errors import NewsqaError
from newsqa.ingest.follow import HostGate
from newsqa.ingest.sources import read_sources
from newsqa.text.dates import parse_duration

from .feed_server import RECORDS, FeedHandler, feed_server, news_sitemap, rss, serve_stories

FIX = Path(__file__).parent / "fixtures" / "formats"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with feed_server() as url:
        yield url


@pytest.fixture
def stories(server: str) -> list[dict]:
    """Six short stories whose pages the server serves."""
    return serve_stories(server, RECORDS)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("NEWSQA_ALLOW_PRIVATE_URLS", "true")
    monkeypatch.setenv("NEWSQA_FOLLOW_HOST_DELAY", "0")
    monkeypatch.setenv("NEWSQA_PROGRESS_INTERVAL", "0")
    return tmp_path / "index"


def follow_once(index: Path, *sources: str) -> tuple[int, dict, str]:
    result = CliRunner().invoke(app, ["follow", *sources, "--once", "--json", "--index",
                                      str(index)])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        result.exception
    return result.exit_code, json.loads(result.stdout.splitlines()[-1]), result.stderr


def by_url(report: dict, server: str) -> dict[str, dict]:
    return {s["url"].removeprefix(server): s for s in report["sources"]}


def test_follow_once_ingests_new_skips_seen_and_survives_bad_sources(
        server: str, stories: list[dict], env: Path, tmp_path: Path) -> None:
    FeedHandler.routes["/full.rss"] = ("application/rss+xml", rss(stories[:2], full=True),
                                       '"v1"')
    FeedHandler.routes["/summary.rss"] = ("application/rss+xml",
                                          rss(stories[2:4], full=False), None)
    FeedHandler.routes["/garbage"] = ("text/html", b"<html><body>no feed here</body></html>",
                                      None)
    listing = tmp_path / "sources.txt"
    listing.write_text(f"# wire feeds\n{server}/full.rss\n\n{server}/summary.rss\n"
                       f"{server}/500\n{server}/loop\n{server}/huge\n{server}/garbage\n")

    status, first, err = follow_once(env, str(listing))
    assert status == 1, err  # some sources failed, the others were followed
    src = by_url(first, server)
    assert (src["/full.rss"]["status"], src["/full.rss"]["added"]) == ("new", 2)
    assert (src["/summary.rss"]["status"], src["/summary.rss"]["added"]) == ("new", 2)
    assert src["/500"]["error"] == "HTTP 500 Internal Server Error"
    assert "redirects" in src["/loop"]["error"]
    assert "too large" in src["/huge"]["error"]
    assert "not an RSS/Atom feed or a sitemap (text/html)" in src["/garbage"]["error"]
    assert "error: 4 of 6 sources failed; the others were followed" in err
    assert FeedHandler.hits["/story/2"] == FeedHandler.hits["/story/3"] == 1  # summaries
    assert FeedHandler.hits["/story/0"] == 0  # the feed carried the full text
    assert any(a.startswith("newsqa/") for a in FeedHandler.agents)

    eng = Engine(Settings(index=env))
    summarised = eng.catalog.get(first_id(eng, stories[2]["link"]))
    assert summarised.text.startswith(stories[2]["text"][:200].split("\n")[0])
    assert summarised.title == stories[2]["title"] and summarised.source == "Test Wire"
    assert len(summarised.text) > 200  # the page's text, not the feed's 120-char summary

    # Second run, a new process as far as state goes: the ETag feed answers 304; the other
    # lists the same entries plus one, and only the new one's page is fetched.
    FeedHandler.routes["/summary.rss"] = ("application/rss+xml",
                                          rss(stories[2:5], full=False), None)
    status, second, err = follow_once(env, str(listing))
    src = by_url(second, server)
    assert src["/full.rss"]["status"] == "not modified"
    assert FeedHandler.conditional["/full.rss"] == 1
    assert (src["/summary.rss"]["status"], src["/summary.rss"]["new"],
            src["/summary.rss"]["added"]) == ("new", 1, 1)
    assert FeedHandler.hits["/story/2"] == 1 and FeedHandler.hits["/story/4"] == 1
    status, third, _ = follow_once(env, f"{server}/summary.rss")
    assert status == 0 and third["sources"][0]["status"] == "nothing new"
    assert sum(FeedHandler.hits[f"/story/{n}"] for n in range(6)) == 3  # no page twice

    stats = eng.stats()
    followed = {f["url"].removeprefix(server): f for f in stats["followed"]}
    assert followed["/summary.rss"]["brought"] == 3 and followed["/summary.rss"]["last_new"]
    assert followed["/500"]["failures"] == 2 and followed["/500"]["last_error"]
    assert stats["articles"] == 5


def first_id(eng: Engine, url: str) -> str:
    (aid,) = [r[0] for r in eng.catalog.db.execute("SELECT id FROM articles WHERE url=?",
                                                     (url,))]
    return aid


def test_follow_once_exits_2_when_every_source_fails(server: str, env: Path) -> None:
    status, report, err = follow_once(env, f"{server}/500", f"{server}/loop",
                                      f"{server}/missing")
    assert status == 2
    assert [s["status"] for s in report["sources"]] == ["failed"] * 3
    assert "error: nothing followed: all 3 sources failed" in err
    assert f"failed {server}/missing: HTTP 404 Not Found" in err


def test_follow_refuses_private_addresses_unless_allowed(server: str, env: Path,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    FeedHandler.routes["/private.rss"] = ("application/rss+xml", rss([], full=True), None)
    monkeypatch.setenv("NEWSQA_ALLOW_PRIVATE_URLS", "false")
    status, report, err = follow_once(env, f"{server}/private.rss")
    assert status == 2
    (src,) = report["sources"]
    assert src["status"] == "failed" and "not a public address" in src["error"]
    assert src["failed_unlisted"] == 0


def test_sitemap_pages_get_the_sitemaps_dates(server: str, stories: list[dict],
                                              env: Path) -> None:
    items = [{**r, "date": f"2019-0{n + 1}-1{n}T08:00:00+00:00"}
             for n, r in enumerate(stories[:2])]
    FeedHandler.routes["/news-sitemap.xml"] = ("application/xml", news_sitemap(items), None)
    FeedHandler.routes["/sitemap-index.xml"] = ("application/xml", (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/'
        f'0.9"><sitemap><loc>{server}/news-sitemap.xml</loc><lastmod>2019-02-11</lastmod>'
        "</sitemap></sitemapindex>").encode(), None)
    status, report, err = follow_once(env, f"{server}/news-sitemap.xml")
    assert status == 0, err
    assert (report["added"], report["sources"][0]["entries"]) == (2, 2)
    eng = Engine(Settings(index=env))
    assert eng.catalog.get(first_id(eng, stories[1]["link"])).date == "2019-02-11"
    result = CliRunner().invoke(app, ["follow", f"{server}/sitemap-index.xml", "--once",
                                      "--index", str(env)])  # the same pages, listed again
    assert result.exit_code == 0, result.stderr
    assert "2 new: 0 added, 0 updated, 2 unchanged, 0 duplicate" in result.stdout
    assert "round at " in result.stdout and "1 sources, 0 failed" in result.stdout


def test_failing_source_backs_off_and_a_missing_page_keeps_the_summary(
        server: str, stories: list[dict], env: Path) -> None:
    eng = Engine(Settings(index=env))
    gone = {**stories[5], "link": f"{server}/story/gone"}
    FeedHandler.routes["/one.rss"] = ("application/rss+xml", rss([gone], full=False), None)
    follower = eng.follower([f"{server}/one.rss", f"{server}/500"], every=60)
    before = time.time()
    report = follower.run_round()
    ok, bad = report.sources
    assert ok.report.added == 1 and "HTTP 404" in ok.notes[0][1]
    assert "summary was ingested" in ok.notes[0][1]
    assert bad.status == "failed" and bad.next_due >= before + 120  # 60 s × 2^1
    assert follower.due() == []  # both wait: one for its interval, one for its back-off
    state = eng.follower([f"{server}/500"], every=60).state.get(f"{server}/500")
    assert (state.failures, state.last_error) == (1, "HTTP 500 Internal Server Error")
    assert 0 < follower.wait_seconds() <= 60


def test_one_request_at_a_time_per_host_with_a_delay() -> None:
    gate = HostGate(0.15)
    spans: list[tuple[float, float]] = []

    def request() -> None:
        with gate.turn("http://example.org/feed"):
            start = time.monotonic()
            time.sleep(0.02)
            spans.append((start, time.monotonic()))

    threads = [threading.Thread(target=request) for _ in range(3)]
    for t in threads:
        t.start()
    with gate.turn("http://other.example/feed"):  # another host does not wait
        other = time.monotonic()
    for t in threads:
        t.join()
    spans.sort()
    assert all(b[0] - a[1] >= 0.14 for a, b in zip(spans, spans[1:], strict=False))
    assert other - spans[0][0] < 0.1


def test_sources_and_durations_are_checked_before_anything_runs(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    listing = tmp_path / "feeds.txt"
    listing.write_text("https://a.example/rss\n# off\nhttps://a.example/rss\n")
    assert read_sources([str(listing), "https://b.example/sitemap.xml"]) == [
        "https://a.example/rss", "https://b.example/sitemap.xml"]
    with pytest.raises(NewsqaError, match="neither an http"):
        read_sources(["nope.txt"])
    listing.write_text("ftp://a.example/rss\n")
    with pytest.raises(NewsqaError, match="not an http"):
        read_sources([str(listing)])
    assert parse_duration("--every", "15m") == 900 and parse_duration("--every", "2h") == 7200
    with pytest.raises(NewsqaError, match="expected a duration"):
        parse_duration("--every", "soon")
    for args, message in (([str(FIX / "feed.rss")], "not an http(s) feed or sitemap URL"),
                          (["https://a.example/rss", "--every", "0s"], "at least 1 second")):
        with pytest.raises(SystemExit) as exc:
            main(["follow", *args, "--once", "--index", str(tmp_path / "index")])
        assert exc.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "index").exists()


def run_until(proc: subprocess.Popen, wanted: str, timeout: float = 120) -> list[str]:
    """stderr lines of ``proc`` up to the first that contains ``wanted``."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if wanted in line:
            return lines
    raise AssertionError(f"no {wanted!r} in {lines}")


@pytest.mark.slow
def test_follow_keeps_running_and_a_restart_waits_until_sources_are_due(
        server: str, stories: list[dict], env: Path) -> None:
    FeedHandler.routes["/live.rss"] = ("application/rss+xml", rss(stories[:1], full=True),
                                       '"live"')
    def command(every: str) -> list[str]:
        return [sys.executable, "-m", "newsqa.cli", "follow", f"{server}/live.rss",
                "--every", every, "--json", "--index", str(env)]

    def until_waiting(every: str, rounds: int, wanted: str) -> list[dict]:
        """Run ``follow`` for ``rounds`` rounds until it says ``wanted``; then interrupt it."""
        # Ctrl-C's default handling in the child: an ignored SIGINT is inherited across exec
        # (a test process may have set it so), and Python then never raises KeyboardInterrupt.
        proc = subprocess.Popen(command(every), env=os.environ, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        try:
            reports = [json.loads(proc.stdout.readline()) for _ in range(rounds)]
            run_until(proc, wanted)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(30)
        assert proc.returncode == 130  # interrupted
        return reports

    first, second = until_waiting("2s", 2, "next round in")
    assert (first["added"], second["sources"][0]["status"]) == (1, "not modified")
    (third,) = until_waiting("1h", 1, "next round in 59m")  # due when its 2 s are past
    assert third["sources"][0]["status"] == "not modified"
    hits = FeedHandler.hits["/live.rss"]
    # Restarted: the source is not due for an hour, so nothing is fetched.
    until_waiting("1h", 0, "next round in 59m")
    assert FeedHandler.hits["/live.rss"] == hits
