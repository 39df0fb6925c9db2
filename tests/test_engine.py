"""End to end over a small real index: the Lavrov question, exact quotes, filters, stats."""

from __future__ import annotations

import pytest

from newsqa.errors import IndexMissingError, ModelMismatchError, NewsqaError
from newsqa.types import Filters

from .conftest import RT_ID


def assert_quotes_exact(engine, answer):
    for c in answer.citations:
        art = engine.catalog.get(c.article_id)
        assert art.text[c.start:c.end] == c.quote
        assert f"[{c.n}]" in answer.answer


def test_lavrov_demand_cites_rt_and_quotes_the_call_to_separate(engine):
    answer = engine.ask("What did Lavrov demand?")
    assert not answer.abstained
    assert answer.citations, answer.answer
    c = answer.citations[0]
    assert c.article_id == RT_ID and c.source == "RT" and c.date == "2016-10-31"
    assert "separate" in c.quote and "Al-Nusra" in c.quote
    assert answer.retrieved[0] == RT_ID
    assert_quotes_exact(engine, answer)


@pytest.mark.parametrize("question", [
    "What did Lavrov say about civilians in Aleppo?",
    "What did Putin discuss with the Emir of Qatar?",
])
def test_other_answers_quote_exact_substrings(engine, question):
    answer = engine.ask(question)
    assert answer.citations
    assert_quotes_exact(engine, answer)


def test_unanswerable_question_abstains_without_citations(engine):
    answer = engine.ask("What is the recipe for sourdough pancakes with blueberries?")
    assert answer.abstained and not answer.citations
    assert "nothing" in answer.answer


def test_source_filter(engine):
    kremlin = engine.resolve_sources(["kremlin"])
    assert kremlin == ["President of Russia (en.kremlin.ru)"]
    passages = engine.search("Lavrov Al-Nusra Aleppo", k=10, filters=Filters(sources=kremlin))
    assert passages and all(p.source == kremlin[0] for p in passages)
    with pytest.raises(NewsqaError, match="unknown source"):
        engine.resolve_sources(["no such outlet"])


def test_date_filters_include_month_only_dates(engine):
    rt = engine.search("Al-Nusra Aleppo", k=10, filters=Filters(since="2016-10-01"))
    assert rt and all(p.date >= "2016-10" for p in rt)
    assert RT_ID in {p.article_id for p in rt}
    # UN speeches are dated "2016-09": a range inside September still finds them.
    un = engine.search("General Assembly", k=10,
                       filters=Filters(since="2016-09-15", until="2016-09-20"))
    assert un and all(p.article_id.startswith("ungdc-") for p in un)
    none = engine.search("Al-Nusra", k=5, filters=Filters(until="2015-12-31"))
    assert all(p.date and p.date <= "2015-12-31" for p in none)


def test_undated_texts_answer_questions_but_not_a_users_date_bound(tiny_engine, tmp_path):
    """Every question is capped at its as-of date; a text without a date (a plain file) was
    not published after it as far as anyone knows, so it still answers.  A user's own
    ``--until`` asks for dated news and leaves it out, in every retriever."""
    path = tmp_path / "memo.txt"
    path.write_text("Harbour repairs\n\nThe harbour wall in Port Ellen will be rebuilt with"
                    " granite from the old quarry, the council said.", encoding="utf-8")
    tiny_engine.ingest([path])
    answer = tiny_engine.ask("What will the harbour wall in Port Ellen be rebuilt with?")
    assert not answer.abstained and "granite" in answer.citations[0].quote
    for mode in ("dense", "lexical"):
        found = tiny_engine.retriever.search("harbour wall granite", 5, Filters(until="2030-01-01"),
                                             mode=mode)
        assert found == []


@pytest.mark.parametrize("flt", [Filters(since="2016-10-01"), Filters(until="2016-09-30"),
                                 Filters(since="2016-09-15", until="2016-09-20"),
                                 Filters(lang="en"), Filters(sources=("RT",)),
                                 Filters(until="2016-09-30", undated=True)])
def test_catalog_chunk_filter_agrees_with_chromas_metadata(engine, flt):
    """The post-filter's fast path (the catalog's article table) must judge chunks as
    ``where`` would."""
    from newsqa.index.store import filter_terms, matches

    got = engine.store.collection.get(include=["metadatas"])
    chunk_filter = engine.retriever.chunk_filters(flt)
    want = [matches(m, filter_terms(flt)) for m in got["metadatas"]]
    assert chunk_filter.verdicts(got["ids"]) == want and any(want)
    assert set(chunk_filter.passing()) == {c for c, ok in zip(got["ids"], want, strict=True) if ok}


def test_results_are_diversified_by_article(engine):
    passages = engine.search("Syria", k=8)
    counts = {}
    for p in passages:
        counts[p.article_id] = counts.get(p.article_id, 0) + 1
    assert max(counts.values()) <= engine.settings.max_per_article


def test_stats(engine):
    st = engine.stats()
    n = engine.catalog.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    assert st["articles"] == n == 45
    assert st["chunks"] == engine.store.count()
    assert st["date_from"] <= "2016-01-18" and st["date_to"] >= "2016-10-31"
    assert st["model"] == "all-MiniLM-L6-v2" and st["size_bytes"] > 0


def test_missing_index_is_a_clear_error(tmp_path):
    from newsqa.config import Settings
    from newsqa.engine import Engine

    with pytest.raises(IndexMissingError, match="no index at"):
        Engine(Settings(index=tmp_path / "nope")).ask("anything")


def test_other_model_is_refused(engine):
    from newsqa.config import Settings
    from newsqa.engine import Engine

    other = Engine(Settings(index=engine.index_dir, embed_model="some/other-model"))
    with pytest.raises(ModelMismatchError, match="all-MiniLM-L6-v2"):
        other.store.check_model(384)
