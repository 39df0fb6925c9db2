"""The real discord.py client, running the newsqa bot against the fake Discord on 127.0.0.1.

Only ``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` are redirected; everything else is
the unmodified library talking HTTP and websocket to ``tests/fake_discord.py`` (which
enforces the 3 s ack, single ack, ack-before-follow-up and message limits).  The bot runs on
its own event loop in a thread, over a small real index built once for this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl

from newsqa.answer.backends import chat_model
from newsqa.cli import main as cli_main
from newsqa.config import Settings
from newsqa.engine import Engine
from newsqa.ingest.sources import read_sources
from newsqa.types import Citation, sha
from newsqa_bot.app import main as bot_main
from newsqa_bot.bot import NewsqaBot
from newsqa_bot.cogs.utils.interactions import EDIT_INTERVAL, answer_message
from newsqa_bot.config import BotConfig
from newsqa_bot.feedback import export_jsonl
from newsqa_bot.limits import RateLimiter, Slots

from .archive_subset import CLAIM, CLAIM2, LEDE, excerpt_number
from .conftest import RT_ID, jsonl_records, write_slice
from .fake_discord import MANAGE_GUILD, FakeDiscord
from .fake_openai import FakeOpenAI, Reply
from .feed_server import RECORDS, FeedHandler, feed_server, rss, serve_stories

LAVROV = "What did Lavrov demand?"
EVERYONE_ID = "test-everyone-notice"
EVERYONE_RECORD = {
    "id": EVERYONE_ID, "title": "Residents told to register @everyone before the deadline",
    "date": "2016-03-02", "source": "Town Crier", "url": "https://example.org/notice",
    "text": "The town council said that @everyone living on the island must register their "
            "boats with the harbour office before the end of March. @here the harbour office "
            "is open daily. Fishermen who miss the boat registration deadline pay a fine.",
}


class LoopThread:
    """An event loop in a daemon thread; tests hand it coroutines and wait for results."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class Harness:
    """The fake Discord, the running bot and helpers to talk to it."""

    def __init__(self, lt: LoopThread, fake: FakeDiscord, bot: NewsqaBot) -> None:
        self.lt, self.fake, self.bot = lt, fake, bot

    def run(self, coro: Coroutine, timeout: float = 30) -> Any:
        return self.lt.run(coro, timeout)

    def command(self, name: str, **kw: Any):
        return self.run(self.fake.command(name, **kw))

    def wait(self, rec, done: Callable[[Any], bool], timeout: float = 30) -> None:
        """Wait until ``done(rec)`` holds (checked whenever the fake records a change)."""
        async def waiter() -> None:
            while not done(rec):
                rec.changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(rec.changed.wait(), 0.5)
        self.run(waiter(), timeout)

    def answered(self, rec, timeout: float = 30):
        """Wait for the deferred reply to be filled in (or deleted for an error)."""
        self.wait(rec, lambda r: r.ack_type == 4 or bool(r.followups) or bool(
            r.original and not r.original_pending and (r.original["embeds"]
                                                       or r.original["content"])), timeout)
        return rec


@pytest.fixture(scope="module")
def bot_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RT article + 20 Kremlin items + one record full of mentions, ingested once."""
    archive = write_slice(tmp_path_factory.mktemp("bot-archive"), {"kremlin-2016.jsonl": 20})
    (archive / "town-crier.jsonl").write_text(json.dumps(EVERYONE_RECORD) + "\n", "utf-8")
    index = tmp_path_factory.mktemp("bot-index")
    engine = Engine(Settings(index=index))
    report = engine.ingest([archive])
    assert not report.failed and report.added == 22, report
    engine.close()
    return index


@pytest.fixture(scope="module")
def h(bot_index: Path) -> Harness:
    mp = pytest.MonkeyPatch()
    lt = LoopThread()
    fake = FakeDiscord()
    lt.run(fake.start())
    mp.setattr(discord.http.Route, "BASE", fake.api_base)
    mp.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
    config = BotConfig(token=FakeDiscord.TOKEN, guilds=[int(fake.guild_id)], rate_count=100,
                       message_content=True, guild_ready_timeout=0.1)

    async def start() -> NewsqaBot:
        # k=4 passages (NEWSQA_K) keeps each answer quick on a busy 2-core machine.
        bot = NewsqaBot(Engine(Settings(index=bot_index, k=4)), config, sync=True)
        bot.runner = asyncio.create_task(bot.start(config.token))
        await asyncio.wait_for(bot.wait_until_ready(), 20)
        await asyncio.wait_for(bot.warm_up, 60)
        return bot

    bot = lt.run(start(), 90)
    yield Harness(lt, fake, bot)
    assert not fake.violations  # no test made the bot break a Discord rule
    acks = sorted(r.ack_latency for r in fake.interactions.values() if r.acked_at
                  and r.payload["type"] in (2, 3))
    if acks:  # none when only message tests ran
        print(f"\n{len(acks)} acks: median {acks[len(acks) // 2] * 1000:.0f} ms, "
              f"max {acks[-1] * 1000:.0f} ms")
    lt.run(bot.close())
    lt.run(fake.stop())
    lt.stop()
    mp.undo()


def embed_of(rec) -> dict:
    assert rec.original and rec.original["embeds"], (rec.original, rec.followups)
    return rec.original["embeds"][0]


def cited_ids(embed: dict) -> str:
    return " ".join(f["name"] + f["value"] for f in embed.get("fields", []))


def test_command_sync_payload(h: Harness) -> None:
    scope, commands = h.fake.command_syncs[-1]
    assert scope == h.fake.guild_id  # NEWSQA_DISCORD_GUILDS -> instant guild sync
    by_name = {c["name"]: c for c in commands}
    assert set(by_name) == {"ask", "search", "article", "stats", "forget", "ingest"}
    ask = {o["name"]: o for o in by_name["ask"]["options"]}
    assert ask["question"]["required"] and ask["question"]["type"] == 3
    assert (ask["question"]["min_length"], ask["question"]["max_length"]) == (1, 500)
    assert ask["source"].get("autocomplete") is True
    assert ask["private"]["type"] == 5
    assert int(by_name["ingest"]["default_member_permissions"]) == MANAGE_GUILD
    assert h.fake.heartbeats >= 1


@pytest.fixture(scope="module")
def lavrov(h: Harness) -> tuple[Any, list[float]]:
    """One public /ask of the project's example question, with event-loop lag measured."""
    lags: list[float] = []

    async def probe(stop: asyncio.Event) -> None:  # the loop must stay free (heartbeats)
        while not stop.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.02)
            lags.append(time.perf_counter() - t - 0.02)

    stop = asyncio.Event()
    probe_task = asyncio.run_coroutine_threadsafe(probe(stop), h.lt.loop)
    rec = h.answered(h.command("ask", question=LAVROV, user_id=1001))
    h.lt.loop.call_soon_threadsafe(stop.set)
    probe_task.result(5)
    return rec, lags


def test_ask_is_acked_fast_and_answers_with_cited_embed(lavrov) -> None:
    rec, lags = lavrov
    assert rec.ack_type == 5 and rec.ack_latency < 1.0, rec.ack_latency
    print(f"ack latency {rec.ack_latency * 1000:.0f} ms, max loop lag {max(lags) * 1000:.0f} ms")
    assert max(lags) < 0.5
    embed = embed_of(rec)
    assert embed["title"] == LAVROV
    assert "[1]" in embed["description"] and "separate" in embed["description"]
    first = embed["fields"][0]
    assert first["name"].startswith("[1] RT · 2016-10-31")
    assert "Al-Nusra" in first["value"] and first["value"].splitlines()[1].startswith("> ")
    assert "Archive: 22 articles" in embed["footer"]["text"]
    assert "2016-01-18 – 2016-10-31" in embed["footer"]["text"]
    custom_ids = [c["custom_id"] for row in rec.original["components"]
                  for c in row["components"]]
    assert [c.split(":")[1] for c in custom_ids] == ["src", "vote", "vote"]
    assert rec.original["flags"] == 0  # public


def test_answer_cites_the_rt_article(h: Harness, lavrov) -> None:
    rec = lavrov[0]
    assert not h.fake.violations
    aid = rec.original["components"][0]["components"][0]["custom_id"].split(":")[2]
    answer = h.bot.feedback.answer(aid)
    assert RT_ID in [c.article_id for c in answer.citations]


def test_filters_private_and_bad_date(h: Harness) -> None:
    before = h.answered(h.command("ask", question=LAVROV, until="2016-06", user_id=1003))
    assert "RT ·" not in cited_ids(embed_of(before))  # the RT article is from October
    only_rt = h.answered(h.command("ask", question=LAVROV, source="rt", private=True,
                                   user_id=1004))
    assert only_rt.ephemeral and only_rt.original["flags"] == 64
    names = [f["name"] for f in embed_of(only_rt)["fields"]]
    assert names and all(" RT · " in n for n in names)
    bad = h.answered(h.command("ask", question=LAVROV, since="someday", user_id=1005))
    assert bad.ack_type == 4 and not bad.followups  # refused before any public "thinking" ...
    assert bad.original["flags"] == 64  # ... and the error shown only to the user
    assert "since: not a date: 'someday'" in bad.original["content"]  # the CLI's parser
    unknown = h.answered(h.command("ask", question=LAVROV, source="bbc", user_id=1005))
    assert "unknown source 'bbc'" in unknown.followups[0]["content"]


def test_overlong_text_options_are_refused_on_arrival(h: Harness) -> None:
    # Discord's client stops at the declared 500 characters; discord.py checks nothing.
    for command, option in (("ask", "question"), ("search", "query")):
        rec = h.answered(h.command(command, **{option: "why " * 300}, user_id=1040))
        assert rec.ephemeral and not rec.followups
        assert rec.original["content"] == (f"{option} too long (1,199 characters; the limit "
                                           "here is 500)")
    rec = h.answered(h.command("search", query="   ", user_id=1040))
    assert rec.original["content"] == "empty query"


def test_as_of_reads_time_words_against_that_day(h: Harness) -> None:
    week = "What did Lavrov demand this week?"
    then = h.answered(h.command("search", query=week, as_of="2016-11-02", user_id=1023))
    assert RT_ID in cited_ids(embed_of(then))
    before = h.answered(h.command("search", query=week, as_of="2016-10-29", user_id=1023))
    assert RT_ID not in cited_ids(embed_of(before))  # asked before it was published
    bad = h.answered(h.command("search", query=week, as_of="soon", user_id=1023))
    assert bad.ephemeral and not bad.followups
    assert bad.original["content"] == "as_of: not a date: 'soon' (use YYYY-MM-DD)"


def test_source_autocomplete(h: Harness) -> None:
    rec = h.run(h.fake.autocomplete("ask", "source", "kreml", question="x"))
    h.wait(rec, lambda r: r.autocomplete is not None)
    assert [c["value"] for c in rec.autocomplete] == ["President of Russia (en.kremlin.ru)"]


def test_nothing_found_is_helpful(h: Harness) -> None:
    rec = h.answered(h.command("ask", question="Who won the 1998 curling world cup final?",
                               since="2016-10-31", source="Town Crier", user_id=1006))
    embed = embed_of(rec)
    assert "found nothing" in embed["description"] and "/stats" in embed["description"]
    assert not rec.original["components"]


def test_sources_button_and_feedback(h: Harness, lavrov, capsys: pytest.CaptureFixture
                                     ) -> None:
    rec = lavrov[0]
    buttons = [c["custom_id"] for c in rec.original["components"][0]["components"]]
    sources = h.answered(h.run(h.fake.click(rec.original, buttons[0], user_id=1008)))
    assert sources.ephemeral
    embeds = sources.original["embeds"]
    full = h.bot.feedback.answer(buttons[0].split(":")[2]).citations[0].quote
    assert " ".join(full.split()) in embeds[0]["description"].replace("\\", "")
    assert RT_ID in embeds[0]["footer"]["text"]

    up = h.run(h.fake.click(rec.original, buttons[1], user_id=1008))
    h.wait(up, lambda r: r.original is not None)
    assert up.ephemeral and "👍" in up.original["content"]
    down = h.run(h.fake.click(rec.original, buttons[2], user_id=1009))
    h.wait(down, lambda r: r.original is not None)

    out = io.StringIO()
    export_jsonl(h.bot.engine.index_dir, out)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    cli_main(["feedback", "--index", str(h.bot.engine.index_dir)])  # `newsqa feedback`
    assert capsys.readouterr().out == out.getvalue()
    mine = [r for r in records if r["answer_id"] == buttons[0].split(":")[2]]
    assert sorted(r["vote"] for r in mine) == ["down", "up"]
    assert mine[0]["question"] == LAVROV and RT_ID in mine[0]["cited"]
    assert all(r["user"] not in ("1008", "1009") and len(r["user"]) == 16 for r in mine)


def test_follow_up_memory_and_forget(h: Harness) -> None:
    channel = "555000111"
    h.answered(h.command("ask", question=LAVROV, user_id=1010, channel_id=channel))
    follow = h.answered(h.command("ask", question="and what did he say about civilians?",
                                  user_id=1010, channel_id=channel))
    embed = embed_of(follow)
    assert "Searched for:" in embed["footer"]["text"] and "Lavrov" in embed["footer"]["text"]
    assert "RT ·" in cited_ids(embed)
    # Another user in the same channel has a memory of their own.
    other = h.answered(h.command("ask", question="and what did he say about civilians?",
                                 user_id=1011, channel_id=channel))
    assert "Searched for:" not in embed_of(other)["footer"]["text"]
    key = f"discord:{channel}:1010"
    assert len(h.bot.engine.conversation(key).turns) == 2
    forget = h.command("forget", user_id=1010, channel_id=channel)
    h.wait(forget, lambda r: r.original is not None)
    assert forget.ephemeral and "forgot" in forget.original["content"]
    assert h.bot.engine.conversation(key).turns == []


def test_mention_and_reply_are_follow_ups(h: Harness) -> None:
    fake = h.fake
    before = len(fake.channel_messages)
    mention = fake.user_message(f"<@{fake.app_id}> {LAVROV}", user_id=1012, mention_bot=True)
    h.run(fake.dispatch("MESSAGE_CREATE", mention))
    deadline = time.monotonic() + 30
    while len(fake.channel_messages) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    reply = fake.channel_messages[-1]
    assert str(reply["message_reference"]["message_id"]) == mention["id"]
    assert "RT ·" in cited_ids(reply["embeds"][0])
    assert reply["allowed_mentions"]["parse"] == []
    follow = fake.user_message("and what did he say about civilians?", user_id=1012,
                               reply_to=reply)
    h.run(fake.dispatch("MESSAGE_CREATE", follow))
    while len(fake.channel_messages) == before + 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "Lavrov" in fake.channel_messages[-1]["embeds"][0]["footer"]["text"]


def test_search_article_stats(h: Harness) -> None:
    search = h.answered(h.command("search", query="Al-Nusra separation", user_id=1013))
    embed = embed_of(search)
    assert RT_ID in cited_ids(embed) and embed["fields"][0]["name"].startswith("1. ")
    art = h.answered(h.command("article", id=RT_ID, user_id=1013))
    assert art.ephemeral and embed_of(art)["title"].startswith("Lavrov")
    missing = h.answered(h.command("article", id="nope", user_id=1013))
    assert "no article with id 'nope'" in missing.original["content"] and missing.ephemeral
    stats = h.answered(h.command("stats", user_id=1013))
    fields = {f["name"]: f["value"] for f in embed_of(stats)["fields"]}
    assert fields["Articles"] == "22" and "RT: 1" in fields["Outlets"]


def test_ingest_admin_only(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(h.bot.get_cog("Ingest"), "progress_every", 0.05)  # see the edits
    records = jsonl_records(Path(__file__).parent.parent / "src/newsqa/sample_archive"
                            / "kremlin-2016.jsonl")
    body = "".join(json.dumps(r) + "\n" for r in records[100:102]).encode()
    aid, resolved = h.fake.attachment("new.jsonl", body)
    refused = h.command("ingest", attachment=aid, resolved=resolved, user_id=1014)
    h.wait(refused, lambda r: r.original is not None)
    assert refused.ack_type == 4 and refused.ephemeral
    assert "Manage Server" in refused.original["content"]
    bad_id, bad = h.fake.attachment("scan.pdf", b"%PDF-1.4")
    wrong = h.command("ingest", attachment=bad_id, resolved=bad, user_id=1015, admin=True)
    h.wait(wrong, lambda r: r.original is not None)
    assert "not a supported type" in wrong.original["content"]

    rec = h.command("ingest", attachment=aid, resolved=resolved, user_id=1015, admin=True)
    h.wait(rec, lambda r: "✅" in ((r.original or {}).get("content") or ""), timeout=60)
    assert "2 added" in rec.original["content"] and "0 failed" in rec.original["content"]
    assert any((p.get("content") or "").startswith("📥 Ingesting `new.jsonl`…")
               for p in h.fake.payloads)
    assert rec.original["flags"] == 0
    assert h.bot.engine.article(records[100]["id"]).title == records[100]["title"]
    monkeypatch.setattr(h.bot.engine.settings, "allow_private_urls", True)  # the fake's host
    again = h.command("ingest", url=f"http://127.0.0.1:{h.fake.port}/files/new.jsonl",
                      user_id=1015, admin=True)  # same file by URL: nothing changes
    h.wait(again, lambda r: "✅" in ((r.original or {}).get("content") or ""), timeout=60)
    assert "2 unchanged" in again.original["content"]
    ftp = h.command("ingest", url="ftp://example.org/a.jsonl", user_id=1015, admin=True)
    h.answered(ftp)
    assert "only http and https" in ftp.followups[0]["content"] and ftp.followups[0]["flags"]
    h.bot.engine.remove([records[100]["id"], records[101]["id"]])  # back to 22 for others


def test_ingest_url_of_a_private_address_is_refused(h: Harness) -> None:
    """/ingest url goes through the engine's URL guard: loopback is refused while
    ``allow_private_urls`` is off, in one message, and nothing is fetched or stored."""
    assert not h.bot.engine.settings.allow_private_urls
    body = json.dumps({**EVERYONE_RECORD, "id": "private-url-test"}).encode() + b"\n"
    h.fake.attachment("private.jsonl", body)  # served by the fake on 127.0.0.1
    before = h.bot.engine.stats()["articles"]
    rec = h.answered(h.command("ingest", url=f"http://127.0.0.1:{h.fake.port}/files/"
                               "private.jsonl", user_id=1022, admin=True))
    h.answered(h.command("stats", user_id=1022))  # the bot has caught up
    assert rec.original is None and len(rec.followups) == 1  # no public message left
    msg = rec.followups[0]
    assert msg["flags"] == 64 and "not a public address" in msg["content"]
    assert "NEWSQA_ALLOW_PRIVATE_URLS" in msg["content"] and "error id" not in msg["content"]
    assert "private.jsonl" not in h.fake.file_requests
    assert h.bot.engine.stats()["articles"] == before
    assert h.bot.engine.catalog.get("private-url-test") is None


def test_rate_limit_and_busy(h: Harness) -> None:
    saved = h.bot.rate, h.bot.slots
    try:
        h.bot.rate = RateLimiter(1, 60)
        h.answered(h.command("search", query="Lavrov", user_id=1016))
        again = h.command("ask", question=LAVROV, user_id=1016)
        h.wait(again, lambda r: r.original is not None)
        assert again.ack_type == 4 and again.ephemeral
        assert "please wait" in again.original["content"]
        h.bot.rate, h.bot.slots = RateLimiter(100, 60), Slots(1)
        first = h.command("ask", question=LAVROV, user_id=1017)
        second = h.command("ask", question="Who met the Emir of Qatar?", user_id=1018)
        h.wait(second, lambda r: r.original is not None)
        assert "busy" in second.original["content"] and second.ephemeral
        h.answered(first)
        assert embed_of(first)["fields"]
    finally:
        h.bot.rate, h.bot.slots = saved


def test_refusals_in_a_burst_are_one_message_each(h: Harness,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """Busy and rate-limited replies are the whole answer: no error reply, nothing logged."""
    saved = h.bot.rate, h.bot.slots
    try:
        h.bot.rate, h.bot.slots = RateLimiter(2, 60), Slots(1)
        with caplog.at_level(logging.ERROR, logger="newsqa.bot"):
            first = h.command("ask", question=LAVROV, user_id=1030)  # holds the one slot
            busy = [h.command("search", query="Lavrov", user_id=1031),
                    h.command("ask", question=LAVROV, user_id=1030)]
            limited = h.command("ask", question=LAVROV, user_id=1030)  # third in a minute
            h.answered(first)
            for rec in [*busy, limited]:
                h.wait(rec, lambda r: r.original is not None)
            h.answered(h.command("stats", user_id=1032))  # the bot has caught up
    finally:
        h.bot.rate, h.bot.slots = saved
    assert embed_of(first)["fields"]
    for rec, text in [(busy[0], "busy"), (busy[1], "busy"), (limited, "please wait")]:
        assert rec.ack_type == 4 and rec.ephemeral
        assert len(rec.messages()) == 1 and text in rec.original["content"], rec.messages()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_mentions_are_never_pinged_and_429_is_survived(h: Harness) -> None:
    h.fake.rate_limit_next = 1  # the answer's edit is rate limited once, then retried
    rec = h.answered(h.command("ask", question="When must boats be registered with the harbour "
                                               "office?", user_id=1019))
    assert h.fake.rate_limited == 1
    text = json.dumps(embed_of(rec))
    assert "@everyone" in text or "@here" in text  # archive text shown as is ...
    assert rec.original["allowed_mentions"] == {"parse": []}
    unsafe = [p for p in h.fake.payloads if (p.get("allowed_mentions") or {}).get("parse") != []
              or (p.get("allowed_mentions") or {}).get("replied_user")]
    assert not unsafe  # ... and inert everywhere


def test_oversized_answer_is_cut_to_limits(h: Harness) -> None:
    engine = h.bot.engine
    real_ask = engine.ask

    def huge(question, **kw):
        answer = real_ask(LAVROV, **kw)
        answer.question = question
        c = answer.citations[0]
        answer.citations = [Citation(**{**c.to_dict(), "n": n, "quote": c.quote * 20,
                                        "title": c.title * 5}) for n in range(1, 31)]
        answer.answer = " ".join(f"{c.quote} [{n}]" for n in range(1, 31))
        return answer

    engine.ask = huge
    try:
        rec = h.answered(h.command("ask", question=LAVROV + " " + "x" * 300, user_id=1020))
    finally:
        del engine.ask
    embed = embed_of(rec)
    assert not h.fake.violations
    assert len(embed["title"]) <= 256 and len(embed["fields"]) <= 25
    assert embed["description"].endswith("] …")  # cut after a whole [n] marker
    assert embed["fields"][-1]["value"].startswith("+")  # dropped sources are announced
    total = len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"]) + sum(
        len(f["name"]) + len(f["value"]) for f in embed["fields"])
    assert total <= 6000


def test_engine_failure_gives_error_id(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    engine = h.bot.engine

    def broken(*a, **kw):
        raise RuntimeError("chroma exploded at /secret/path")

    engine.ask = broken
    try:
        with caplog.at_level(logging.ERROR, logger="newsqa.bot"):
            rec = h.answered(h.command("ask", question=LAVROV, user_id=1021))
    finally:
        del engine.ask
    assert rec.original is None and len(rec.followups) == 1
    msg = rec.followups[0]
    assert msg["flags"] == 64 and "error id `" in msg["content"]
    assert "exploded" not in msg["content"] and "Traceback" not in msg["content"]
    error_id = msg["content"].split("`")[1]
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and logged[0].exc_info and "exploded" in str(logged[0].exc_info[1])


def test_start_with_bad_or_missing_token(h: Harness, bot_index: Path,
                                         capsys: pytest.CaptureFixture) -> None:
    settings = Settings(index=bot_index)
    assert bot_main(env={}, settings=settings) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "DISCORD_TOKEN is not set" in err
    t0 = time.monotonic()
    assert bot_main(env={"DISCORD_TOKEN": "wrong.token.value"}, settings=settings) == 1
    out = capsys.readouterr()
    assert out.err.count("\n") == 1 and "rejected the token" in out.err
    assert "wrong.token.value" not in out.err + out.out
    assert time.monotonic() - t0 < 10
    assert BotConfig(token="wrong.token.value").__repr__().count("wrong") == 0


def test_fake_discord_enforces_the_rules(h: Harness) -> None:
    """The harness itself: late, double and missing acks are refused as Discord does."""
    import aiohttp

    from .fake_discord import Interaction

    fake = h.fake

    async def scenario() -> list[int]:
        statuses = []
        late = Interaction("1", "t-late", {"type": 2}, time.monotonic() - 3.5)
        fresh = Interaction("2", "t-fresh", {"type": 2}, time.monotonic())
        fake.interactions.update({"t-late": late, "t-fresh": fresh})
        async with aiohttp.ClientSession() as s:
            follow = f"{fake.api_base}/webhooks/{fake.app_id}/t-fresh"
            calls = [("post", follow, {"content": "too early"}),
                     ("post", f"{fake.api_base}/interactions/1/t-late/callback", {"type": 5}),
                     ("post", f"{fake.api_base}/interactions/2/t-fresh/callback", {"type": 5}),
                     ("post", f"{fake.api_base}/interactions/2/t-fresh/callback", {"type": 5}),
                     ("post", follow, {"content": "x" * 2001})]
            for method, url, body in calls:
                async with s.request(method, url, json=body) as resp:
                    statuses.append(resp.status)
        return statuses

    before = len(fake.violations)
    assert h.run(scenario()) == [404, 404, 200, 400, 400]
    assert len(fake.violations) == before + 4
    del fake.violations[before:]


def test_follow_in_process_while_answering(h: Harness, monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path,
                                           capsys: pytest.CaptureFixture) -> None:
    """A bot started with sources to follow (``--follow FILE``) ingests their new entries
    in the background, keeps answering meanwhile, and /stats lists them."""
    with feed_server() as server:
        stories = serve_stories(server, RECORDS[:2])
        FeedHandler.routes["/wire.rss"] = ("application/rss+xml", rss(stories, full=False),
                                           None)
        listing = tmp_path / "follow.txt"
        listing.write_text(f"# the wire\n{server}/wire.rss\n")
        assert cli_main_status(["bot", "--follow", str(tmp_path / "none.txt")]) == 2
        assert "neither an http(s) URL nor a file" in capsys.readouterr().err

        settings = h.bot.engine.settings
        monkeypatch.setattr(settings, "allow_private_urls", True)
        monkeypatch.setattr(settings, "follow_host_delay", 0.5)  # the round takes a while
        monkeypatch.setattr(h.bot, "follow_sources", read_sources([str(listing)]))
        monkeypatch.setattr(h.bot, "follow_every", 3600.0)
        h.run(h.bot.reload_extension("newsqa_bot.cogs.follow"))  # as started with --follow
        cog = h.bot.get_cog("Follow")
        assert cog.task is not None and not cog.task.done()
        busy = h.answered(h.command("stats", user_id=1040))  # answered during the round
        assert busy.ack_latency < 1.5

        deadline = time.monotonic() + 60  # the source's state is saved after its ingest
        while not h.bot.engine.followed()[0]["last_new"] and time.monotonic() < deadline:
            time.sleep(0.2)
        ids = [f"url-{sha(s['link'])[:16]}" for s in stories]
        assert len(h.bot.engine.catalog.present(ids)) == 2
        assert FeedHandler.hits["/story/0"] == FeedHandler.hits["/story/1"] == 1
        stats = h.answered(h.command("stats", user_id=1040))
        fields = {f["name"]: f["value"] for f in embed_of(stats)["fields"]}
        assert f"{server}/wire.rss" in fields["Followed"]
        assert "last brought 2 <t:" in fields["Followed"]

        monkeypatch.setattr(h.bot, "follow_sources", [])
        h.run(h.bot.reload_extension("newsqa_bot.cogs.follow"))  # stops the follower
        assert cog.task.cancelled() or cog.task.done()
        h.bot.engine.remove(ids)  # back to 22 articles


def cli_main_status(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exc:
        cli_main(argv)
    return exc.value.code


# What a language model streams for LAVROV, ``n`` being the number the prompt gives the RT
# lede: supported sentences around one its excerpt does not support (the verifier drops it).
UNSUPPORTED = "Putin met the Emir of Qatar in Moscow"
CLAIM3 = "Lavrov said Western failure to do so would make them accomplices of terrorists"


@contextlib.contextmanager
def generating(h: Harness, monkeypatch: pytest.MonkeyPatch, sentences: list[str],
               pace: float) -> Iterator[None]:
    """The bot's engine answers with a language model: the fake OpenAI server streams
    ``sentences``, each citing the RT lede's excerpt, one word per ``pace`` seconds."""
    engine = h.bot.engine
    with FakeOpenAI() as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        engine.__dict__["llm"] = chat_model(Settings(llm="openai:fake", llm_retries=0,
                                                     llm_timeout=10))
        try:
            n = excerpt_number(engine, LAVROV, LEDE)
            srv.replies = [Reply(" ".join(f"{s} [{n}]." for s in sentences), pace=pace)]
            yield
        finally:
            engine.__dict__.pop("llm")
            engine.__dict__.pop("generator")


def paced(times: list[float]) -> bool:
    """No two writes to one message closer than the bot's edit interval."""
    return all(b - a >= EDIT_INTERVAL - 0.05 for a, b in zip(times, times[1:], strict=False))


def test_ask_with_a_language_model_streams_only_checked_sentences(h: Harness, monkeypatch
                                                                   ) -> None:
    """The reply is edited as sentences pass the verifier, never faster than Discord allows,
    and never shows the sentence the verifier drops; the final reply replaces the text."""
    with generating(h, monkeypatch, [CLAIM, UNSUPPORTED, CLAIM2], pace=0.06):
        rec = h.command("ask", question=LAVROV, user_id=1077)
        h.wait(rec, lambda r: bool(r.original and r.original["embeds"]), 60)
    partial = [body["content"] for _, body in rec.edits if body.get("content")]
    assert partial and partial[0].startswith("Lavrov demanded") and partial[0].endswith("…")
    assert not any("Emir" in p for p in partial)
    assert paced([t for t, _ in rec.edits])
    assert rec.original["content"] == "" and "Emir" not in rec.original["embeds"][0][
        "description"]


def test_mention_reply_streams_like_ask(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """A mention's reply is sent with the first checked sentence and edited as more pass,
    paced like /ask; it never shows a sentence the answer does not keep, and its last edit
    is exactly the reply an answer that was not streamed gets (embed, citations, buttons)."""
    fake = h.fake
    before = len(fake.channel_messages)
    mention = fake.user_message(f"<@{fake.app_id}> {LAVROV}", user_id=1078, mention_bot=True)
    with generating(h, monkeypatch, [CLAIM, UNSUPPORTED, CLAIM2, CLAIM3], pace=0.1):
        h.run(fake.dispatch("MESSAGE_CREATE", mention))
        deadline = time.monotonic() + 60
        while not (len(fake.channel_messages) > before and fake.channel_messages[-1]["embeds"]
                   ) and time.monotonic() < deadline:
            time.sleep(0.1)
    reply = fake.channel_messages[-1]
    assert str(reply["message_reference"]["message_id"]) == mention["id"]
    writes = fake.channel_writes[reply["id"]]  # the send, then every edit
    assert len(writes) >= 3 and paced([t for t, _ in writes])
    final = reply["embeds"][0]["description"]
    for _, body in writes[:-1]:  # streamed: checked sentences the final answer begins with
        shown = body["content"]
        assert shown.endswith(" …") and final.startswith(shown.removesuffix(" …"))
        assert not body.get("embeds") and "Emir" not in shown
    assert writes[-2][1]["content"] != writes[0][1]["content"]  # a sentence was added
    assert "Emir" not in final and CLAIM3 in final

    async def unstreamed() -> dict[str, Any]:
        aid = reply["components"][0]["components"][0]["custom_id"].split(":")[2]
        answer = await h.bot.call(h.bot.feedback.answer, aid)
        message = answer_message(h.bot, answer, aid, await h.bot.stats())
        return {"content": "", "embeds": [message["embed"].to_dict()],
                "components": message["view"].to_components()}

    expected = json.loads(json.dumps(h.run(unstreamed())))
    assert {k: reply[k] for k in expected} == expected
    assert writes[-1][1]["content"] is None  # the final edit clears the streamed text
