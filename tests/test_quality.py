"""Answer quality: fusion, lexical filters and updates, time frames, verification, abstention.

The time parser itself is tested in test_timewords.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from newsqa.answer.verify import claims, verify_answer
from newsqa.evaluation import answer_metrics, ranking_metrics
from newsqa.retrieve.retriever import rrf
from newsqa.types import Answer, Article, Citation, Filters

RT_ID = "rt-2016-10-31-lavrov-al-nusra"

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
    assert eng.lexical.usable() and not eng.catalog.lexical_pending()[1]
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
    # Months later "this week" holds nothing on the topic: all dates, and the answer says so.
    months_later = engine.ask("What did Lavrov demand this week?", as_of=date(2017, 3, 1))
    assert months_later.retrieved[0] == RT_ID
    assert months_later.answer.startswith(
        "As of 1 Mar 2017, nothing from 23 Feb 2017 to 1 Mar 2017; showing all dates")
    # Never news published after the as-of date.
    before = engine.ask("What did Lavrov demand this week?", as_of=date(2016, 10, 20))
    assert RT_ID not in before.retrieved


def test_a_pasted_sentence_finds_its_article(engine) -> None:
    """Its "on Monday" is the article's, not last Monday before today."""
    ps = engine.search("Lavrov said at a news briefing in Moscow on Monday", k=4)
    assert ps and ps[0].article_id == RT_ID


@pytest.mark.parametrize("question", [
    "Who won the women's singles Wimbledon in 2019?",
    "What is the best recipe for banana bread?",
])
def test_abstains_on_off_topic_questions(engine, question: str) -> None:
    ans = engine.ask(question)
    assert ans.abstained and not ans.citations
