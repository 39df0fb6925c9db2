"""Answer quality: time words, fusion, lexical filters and updates, verification, abstention."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from newsqa.answer.verify import claims, verify_answer
from newsqa.evaluation import answer_metrics, ranking_metrics
from newsqa.retrieve.retriever import rrf
from newsqa.text.timewords import parse_time
from newsqa.types import Answer, Article, Citation, Filters

RT_ID = "rt-2016-10-31-lavrov-al-nusra"

AS_OF = date(2016, 10, 31)  # a Monday

# (question, since, until, recency) as read on AS_OF; None = unbounded.
PHRASINGS = [
    ("What did Lavrov demand?", None, None, False),
    ("What happened in 2016?", "2016-01-01", "2016-12-31", False),
    ("What did Putin say during 2015?", "2015-01-01", "2015-12-31", False),
    ("What did Putin say last October?", "2015-10-01", "2015-10-31", False),
    ("What did Putin say this October?", "2016-10-01", "2016-10-31", False),
    ("What did Putin say in March?", "2016-03-01", "2016-03-31", False),
    ("What did Putin say in November?", "2015-11-01", "2015-11-30", False),
    ("Who spoke in September 2016?", "2016-09-01", "2016-09-30", False),
    ("What was agreed on 6 October 2016?", "2016-10-06", "2016-10-06", False),
    ("What was agreed on October 6, 2016?", "2016-10-06", "2016-10-06", False),
    ("What was agreed on 2016-10-06?", "2016-10-06", "2016-10-06", False),
    ("What happened this week in Syria?", "2016-10-25", "2016-10-31", False),
    ("What was this week's news about Aleppo?", "2016-10-25", "2016-10-31", False),
    ("What happened last week?", "2016-10-24", "2016-10-30", False),
    ("What happened this month?", "2016-10-01", "2016-10-31", False),
    ("What happened last month?", "2016-09-01", "2016-09-30", False),
    ("What happened this year?", "2016-01-01", "2016-10-31", False),
    ("What happened last year?", "2015-01-01", "2015-12-31", False),
    ("What happened today?", "2016-10-31", "2016-10-31", False),
    ("What happened yesterday?", "2016-10-30", "2016-10-30", False),
    ("News from the past 3 days", "2016-10-28", "2016-10-31", False),
    ("What happened over the last two weeks?", "2016-10-17", "2016-10-31", False),
    ("What was said on Friday?", "2016-10-28", "2016-10-28", False),
    ("What happened since March 2016?", "2016-03-01", None, False),
    ("What happened after 2016-10-01?", "2016-10-02", None, False),
    ("What happened before the ceasefire of 9 September 2016?", None, "2016-09-08", False),
    ("What was decided until 2015?", None, "2015-12-31", False),
    ("What happened between March 2016 and May 2016?", "2016-03-01", "2016-05-31", False),
    ("What happened in early 2016?", "2016-01-01", "2016-05-01", False),
    ("What is the latest on Aleppo?", None, None, True),
    ("What has Russia said recently about Syria?", None, None, True),
    ("What is the most recent statement on the ceasefire?", None, None, True),
    ("Who is currently the foreign minister?", None, None, True),
    # Not time words: modal "may", the noun "march", a count.
    ("What may happen to the talks?", None, None, False),
    ("Who organised the march on Washington?", None, None, False),
    ("How many of the 2000 people were evacuated?", None, None, False),
]


@pytest.mark.parametrize(("question", "since", "until", "recency"), PHRASINGS)
def test_time_phrasings(question: str, since: str | None, until: str | None,
                        recency: bool) -> None:
    f = parse_time(question, AS_OF)
    assert (f.since.isoformat() if f.since else None) == since
    assert (f.until.isoformat() if f.until else None) == until
    assert f.recency is recency
    assert f.found is bool(since or until or recency)


def test_time_frame_filters_and_query() -> None:
    f = parse_time("What did Putin say about Syria last month?", AS_OF)
    assert f.query == "What did Putin say about Syria ?"
    flt = f.filters(Filters(sources=["RT"]))
    # Reports of the last days of a month come out a few days later: slack, capped by as-of.
    assert (flt.since, flt.until, flt.sources) == ("2016-09-01", "2016-10-07", ["RT"])
    # "latest" never looks past the as-of date; "before X" has no slack.
    assert parse_time("latest news", AS_OF).filters().until == "2016-11-01"
    assert parse_time("before 9 September 2016", AS_OF).filters().until == "2016-09-08"
    assert parse_time("What happened this week?", AS_OF).describe() == \
        "As of 31 Oct 2016, articles from 25 Oct 2016 to 31 Oct 2016"
    # A user filter that is tighter wins.
    assert f.filters(Filters(since="2016-09-20")).since == "2016-09-20"


def test_rrf_rewards_agreement_and_respects_weights() -> None:
    fused = rrf([(["a", "b", "c"], 1.0), (["c", "a", "d"], 1.0)], 60)
    assert max(fused, key=fused.get) == "a"  # 1st and 2nd beats 3rd and 1st
    assert fused["c"] > fused["b"] and fused["d"] < fused["b"]
    assert rrf([(["a"], 1.0), (["b"], 0.0)], 60) == {"a": 1 / 61}


def test_lexical_finds_rare_words_and_obeys_filters(engine) -> None:
    lex = engine.lexical
    hits = lex.search("Al-Nusra accomplice", 10)
    assert hits and hits[0][0].startswith(RT_ID + "::")
    # The RT article is dated 2016-10-31 with source RT: filters must exclude it.
    before = lex.search("Al-Nusra accomplice", 10, Filters(until="2016-10-30"))
    assert all(not cid.startswith(RT_ID) for cid, _ in before)
    other = [s for s in engine.catalog.sources() if s != "RT"]
    by_source = lex.search("Al-Nusra accomplice", 10, Filters(sources=other))
    assert all(not cid.startswith(RT_ID) for cid, _ in by_source)
    assert lex.search("Al-Nusra accomplice", 10, Filters(since="2016-10-31"))[0][0] \
        .startswith(RT_ID)


def test_hybrid_passages_are_exact_and_filtered(engine) -> None:
    ps = engine.retriever.search("Al-Nusra accomplice separate rebels", 8, mode="lexical")
    assert ps and ps[0].article_id == RT_ID
    for p in engine.search("Al-Nusra accomplice separate rebels", k=8):
        assert engine.article(p.article_id).text[p.start:p.end] == p.text
    ps = engine.search("Al-Nusra accomplice", k=8, filters=Filters(until="2016-10-30"))
    assert all(p.date and p.date <= "2016-10-30" for p in ps)


def test_lexical_index_follows_ingest_and_remove(tiny_engine) -> None:
    eng = tiny_engine
    arts = [Article(id="a1", title="Zanzibar clove harvest", date="2020-01-02", source="T",
                    text="The Zanzibar clove harvest doubled this season, officials said."),
            Article(id="a2", title="Harbour reopens", date="2020-01-03", source="T",
                    text="The harbour reopened after the storm, the port authority said.")]
    eng.ingest_articles(arts)
    assert (eng.index_dir / "lexical" / "meta.json").exists()
    assert eng.lexical.search("clove harvest", 5)[0][0] == "a1::0"
    eng.remove(["a1"])
    assert eng.lexical.search("clove harvest", 5) == []
    eng.ingest_articles([replace(arts[1], text=arts[1].text + " Clove ships wait.")])
    assert eng.lexical.search("clove ships", 5)[0][0] == "a2::0"


def test_verification_drops_a_fabricated_citation(engine) -> None:
    art = engine.article(RT_ID)
    a, b = 0, art.text.index(".") + 1
    real = Citation(1, RT_ID, art.title, art.source, art.date, art.url, art.text[a:b], a, b, 1.0)
    fake_quote = "Lavrov praised the rebels for their restraint."
    fake = replace(real, n=2, quote=fake_quote)
    answer = Answer("q", f"{real.quote} [1] {fake_quote} [2]", [real, fake], [RT_ID])
    assert claims(answer.answer) == {1: real.quote, 2: fake_quote}
    checked = verify_answer(answer, engine.catalog)
    assert [c.quote for c in checked.citations] == [real.quote]
    assert checked.answer == f"{real.quote} [1]"
    # A real quote that does not support the claim it is attached to is dropped too.
    wrong = Answer("q", "Putin visited Tokyo [1]", [real], [RT_ID])
    assert verify_answer(wrong, engine.catalog).abstained


def test_lavrov_answer_and_metrics(engine) -> None:
    ans = engine.ask("What did Lavrov demand?")
    assert not ans.abstained
    assert ans.citations[0].article_id == RT_ID
    assert any("separat" in c.quote and "Nusra" in c.quote for c in ans.citations)
    m = answer_metrics(ans, {"gold_doc_ids": [RT_ID], "evidence": ans.citations[0].quote})
    assert m["evidence_quoted"] == 1.0 and m["abstained"] == 0.0
    assert ranking_metrics(ans.retrieved, [RT_ID])["hits@1"] == 1.0


def test_time_frame_is_stated_and_applied(engine) -> None:
    ans = engine.ask("What did Lavrov demand this week?", as_of=date(2016, 11, 2))
    assert ans.citations and ans.citations[0].article_id == RT_ID
    assert ans.answer.startswith("As of 2 Nov 2016, articles from 27 Oct 2016 to 2 Nov 2016")
    assert ans.notes
    months_later = engine.ask("What did Lavrov demand this week?", as_of=date(2017, 3, 1))
    assert RT_ID not in months_later.retrieved


@pytest.mark.parametrize("question", [
    "Who won the women's singles Wimbledon in 2019?",
    "What is the best recipe for banana bread?",
])
def test_abstains_on_off_topic_questions(engine, question: str) -> None:
    ans = engine.ask(question)
    assert ans.abstained and not ans.citations
