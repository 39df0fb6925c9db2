"""newsqa_bot/render.py: every text cut to Discord's limits without breaking a citation."""

from __future__ import annotations

import discord

from newsqa.types import Answer, Article, Citation, Passage
from newsqa_bot import render
from newsqa_bot.config import BotConfig
from newsqa_bot.limits import RateLimiter, Slots

from .fake_discord import limit_problems


def citation(n: int, quote: str = "Lavrov said the West must separate rebels.", **kw) -> Citation:
    base = dict(n=n, article_id=f"a{n}", title="Lavrov: West will be 'Al-Nusra accomplice'",
                source="RT", date="2016-10-31", url="https://www.rt.com/news/364637/",
                quote=quote, start=0, end=len(quote), score=0.5)
    return Citation(**{**base, **kw})


def payload(*embeds: discord.Embed, content: str = "") -> dict:
    return {"content": content, "embeds": [e.to_dict() for e in embeds]}


def test_clip_keeps_limit_and_never_leaves_half_a_marker() -> None:
    text = "word " * 100 + "claim [12]"
    for limit in range(5, 520, 7):
        out = render.clip(text, limit)
        assert len(out) <= limit
        assert not out.rstrip("…").rstrip().endswith(("[", "[1"))
    assert render.clip("short", 10) == "short"


def test_clip_answer_cuts_after_a_whole_marker() -> None:
    text = " ".join(f"Sentence number {n} is here. [{n}]" for n in range(1, 400))
    out = render.clip_answer(text, render.DESCRIPTION)
    assert len(out) <= render.DESCRIPTION and out.endswith("] …")
    body = out[:-2]
    last = body[body.rindex("[") + 1:-1]
    assert f"Sentence number {last} is here. [{last}]" in body


def test_answer_embed_fields_and_footer() -> None:
    answer = Answer("What did Lavrov demand?", "They must separate. [1]", [citation(1)], ["a1"],
                    notes=["Searched for: Lavrov demand"])
    embed = render.answer_embed(answer, {"articles": 1234, "date_from": "2016-01-01",
                                         "date_to": "2016-12-31"})
    d = embed.to_dict()
    assert d["fields"][0]["name"] == "[1] RT · 2016-10-31"
    assert d["fields"][0]["value"].startswith("[Lavrov: West will be 'Al-Nusra accomplice']"
                                              "(https://www.rt.com/news/364637/)\n> ")
    assert d["footer"]["text"] == ("Searched for: Lavrov demand | Archive: 1,234 articles · "
                                   "2016-01-01 – 2016-12-31")
    assert not limit_problems(payload(embed))


def test_oversized_answer_respects_every_limit() -> None:
    long_quote = "An extremely long quoted sentence about Syria and Al-Nusra. " * 60
    cites = [citation(n, long_quote, title="T" * 400, source="S" * 300,
                      url="https://example.org/" + "p" * 50) for n in range(1, 41)]
    text = " ".join(f"{long_quote} [{n}]" for n in range(1, 41))
    answer = Answer("Q" * 600, text, cites, [])
    embed = render.answer_embed(answer, {"articles": 5, "date_from": None})
    d = embed.to_dict()
    assert not limit_problems(payload(embed)), limit_problems(payload(embed))
    assert render.embed_length(embed) <= render.EMBED_TOTAL
    assert d["fields"][-1]["value"].startswith("+") and "Sources" in d["fields"][-1]["value"]
    shown = [f for f in d["fields"] if f["name"].startswith("[")]
    for f in shown:  # each citation field is whole: link line, then the quote
        head, quote = f["value"].split("\n", 1)
        assert head.startswith("[") and head.endswith(")") and quote.startswith("> ")


def test_sources_and_search_embeds_fit_one_message() -> None:
    cites = [citation(n, "x" * 3000) for n in range(1, 15)]
    embeds = render.sources_embeds(cites, {})
    assert len(embeds) == 10 and not limit_problems(payload(*embeds))
    text = "Before * the quote. " * 100 + "The quoted_sentence here." + " After it." * 100
    art = Article(id="a1", title="T", text=text)
    start = text.index("The quoted")
    cite = citation(1, "The quoted_sentence here.", start=start, end=start + 25)
    desc = render.sources_embeds([cite], {"a1": art})[0].description
    assert "**The quoted\\_sentence here.**" in desc and desc.startswith("> …")
    assert desc.endswith("…") and len(desc) <= render.DESCRIPTION
    passages = [Passage(f"a{i}::0", f"a{i}", 0, 10, "y " * 900, "Title " * 80, "2016", None,
                        "RT", 0.5) for i in range(30)]
    embed = render.search_embed("q" * 300, passages, None)
    assert not limit_problems(payload(embed))


def test_article_embed_and_markdown_escaping() -> None:
    art = Article(id="x1", title="**Bold** @everyone", text="Body with `code` and *stars* " * 500,
                  date="2016", url="javascript:alert(1)", source="RT", authors=["A"] * 500)
    embed = render.article_embed(art)
    d = embed.to_dict()
    assert "url" not in d  # only http(s) links
    assert d["title"].startswith("**Bold**")  # titles are not markdown-rendered
    assert "\\*stars\\*" in d["description"]
    assert not limit_problems(payload(embed))


def test_link_refuses_odd_urls() -> None:
    assert render.link("T", None, 100) == "**T**"
    assert render.link("T", "ftp://x", 100) == "**T**"
    assert render.link("T", "https://x.org/a b)", 100) == "[T](https://x.org/a%20b%29)"


def test_rate_limiter_and_slots() -> None:
    rl = RateLimiter(2, 10)
    assert rl.retry_after(1, now=0) == 0 and rl.retry_after(1, now=1) == 0
    assert rl.retry_after(1, now=2) == 8
    assert rl.retry_after(2, now=2) == 0  # per user
    assert rl.retry_after(1, now=10.5) == 0  # window slid
    slots = Slots(1)
    assert slots.take() and not slots.take()
    slots.give()
    assert slots.take()


def test_config_from_env_hides_token() -> None:
    cfg = BotConfig.from_env({"DISCORD_TOKEN": " secret ", "NEWSQA_DISCORD_GUILDS": "1, 2",
                              "NEWSQA_DISCORD_INGEST_ROLES": "Archivists,123",
                              "NEWSQA_DISCORD_MESSAGE_CONTENT": "true"})
    assert cfg.token == "secret" and cfg.guilds == [1, 2] and cfg.message_content
    assert cfg.ingest_roles == ["Archivists", "123"] and "secret" not in repr(cfg)


def test_a_crafted_title_cannot_rewrite_a_citation_link() -> None:
    evil = "Title](https://evil.example) (\x1b[2K"
    name, value = render.citation_field(citation(1, title=evil))
    head = value.splitlines()[0]
    assert head == r"[Title\]\(https://evil.example\) \(](https://www.rt.com/news/364637/)"
    assert "\x1b" not in value
    assert render.link("a [x](http://y) b", None, 300) == r"**a \[x\]\(http://y\) b**"
