"""The extractive answer leads with the sentence that answers, on real sample stories.

Each case is a kind of question news readers ask (how many, what, when, latest, follow-ups)
over the small multi-story index of archive_subset.py, with the real model and Chroma.
"""

from __future__ import annotations

import pytest

from newsqa.answer.extractive import answer_kind, asked_clause, names_new
from newsqa.text.timewords import day_reference
from newsqa.text.words import content_words, overlap, related

from .archive_subset import NAVALNY, RT, make_engine

MAGNITOGORSK = "wikinews-e85e21a0a901"


def check_clean(engine, answer) -> None:
    """Verbatim quotes at exact offsets; no quote repeated or overlapping another."""
    spans: list[tuple[str, int, int]] = []
    for c in answer.citations:
        assert engine.article(c.article_id).text[c.start:c.end] == c.quote
        for aid, a, b in spans:
            assert aid != c.article_id or b <= c.start or c.end <= a, "overlapping quotes"
        spans.append((c.article_id, c.start, c.end))
    assert len({c.quote for c in answer.citations}) == len(answer.citations)


def test_how_many_leads_with_the_number_of_the_event_asked_about() -> None:
    eng = make_engine()
    answer = eng.ask("How many people died in the Magnitogorsk apartment building collapse?")
    first = answer.citations[0]
    # The lede's toll, not the three dead of a separate minibus blast in the same article.
    assert first.article_id == MAGNITOGORSK and "39" in first.quote
    assert answer.answer.startswith(first.quote)
    check_clean(eng, answer)


def test_what_question_leads_with_the_sentence_naming_it() -> None:
    eng = make_engine()
    answer = eng.ask("What poison was Navalny poisoned with?")
    assert "Novichok" in answer.citations[0].quote
    check_clean(eng, answer)


def test_latest_answers_from_the_newest_article_on_the_topic() -> None:
    eng = make_engine()
    answer = eng.ask("Latest news about Navalny")
    assert answer.citations[0].article_id == NAVALNY[1]  # 2020-09-05, the newer of the two
    # Asked for the news and nothing in particular: the story's opening sentence leads, not
    # the background further down its lede ("Navalny is an outspoken critic…").
    assert answer.citations[0].start == 0
    check_clean(eng, answer)


@pytest.mark.parametrize(("query", "topic"), [
    ("Latest news about Navalny", True), ("Magnitogorsk apartment collapse", True),
    ("What did Lavrov demand?", False), ("how many died in Magnitogorsk", False),
    ("Is Navalny alive", False), ("Tell me about Dorian?", False),
])
def test_a_query_that_asks_nothing_of_its_topic_is_told_apart(query: str, topic: bool) -> None:
    from newsqa.answer.extractive import asks_nothing

    assert asks_nothing(query) is topic


def test_when_answer_dates_the_weekday_of_its_quote() -> None:
    eng = make_engine()
    answer = eng.ask("When was Qasem Soleimani killed?")
    first = answer.citations[0]
    said, day = day_reference(first.quote, first.date)
    assert said.lower().strip() in first.quote.lower()
    assert any(f"{day.day} {day:%b} {day.year}" in n for n in answer.notes)
    assert f"{day.day} {day:%b} {day.year}" in answer.answer


def test_follow_ups_keep_the_thread_and_their_own_words() -> None:
    conv = make_engine().conversation()
    conv.ask("What did Lavrov demand?")
    warn = conv.ask("What did he warn would happen if they did not?")
    assert warn.citations[0].article_id == RT and "accomplices" in warn.citations[0].quote
    civ = conv.ask("And what did he say about civilians?")
    assert civ.citations[0].article_id == RT
    assert "civilians" in civ.citations[0].quote  # not "civilizational"


def test_inflections_match_but_longer_words_that_share_a_prefix_do_not() -> None:
    assert related("syria", "syrian") and related("civilian", "civilians")
    assert not related("civilians", "civilizational") and not related("state", "statement")
    assert overlap(content_words("what about civilians"), content_words("a civilizational choice")
                   ) == 0.0
    assert overlap(content_words("people died"), content_words("39 people confirmed dead")) == 1


@pytest.mark.parametrize(("question", "kind"), [
    ("A Russian court ruled this week. How many months was her detention extended?", "number"),
    ("When will NASA next attempt to launch Artemis I?", "when"),
    ("Liz Truss became prime minister of which country this week?", "where"),
    ("Who replaced the governor of Puerto Rico?", "who"),
    ("What did Lavrov demand?", "demand"),
    ("What are the protesters demanding?", "demand"),
    ("What did Putin say about missile defence?", "say"),
    ("What did he warn would happen if they did not?", "say"),
    ("Why did Ricardo Rosselló resign?", "why"),
    ("What happened in Hong Kong?", None),
])
def test_the_kind_of_answer_is_read_from_the_asking_clause(question: str, kind) -> None:
    assert answer_kind(question) == kind
    assert asked_clause(question).endswith("?")


def test_a_demand_is_answered_by_the_sentence_that_demands() -> None:
    from newsqa.answer.extractive import answer_type_bonus

    asked = "What did Lavrov demand?"
    assert answer_type_bonus(asked, "“We call on our international partners…,” he said.") > 0
    assert answer_type_bonus(asked, "Lavrov laid out the Russian position.") == 0


def test_a_new_name_counts_only_inside_the_sentence_and_not_from_the_question() -> None:
    q = content_words("What poison was Navalny poisoned with?")
    assert names_new(q, "The government said Navalny was poisoned with Novichok.")
    assert not names_new(q, "Navalny was poisoned on Thursday, his associates said.")


def test_a_restatement_of_the_question_is_not_its_answer() -> None:
    from newsqa.answer.extractive import restates

    q = content_words("What poison was Navalny poisoned with?")
    said = "His associates have alleged Navalny was poisoned."
    assert restates(q, content_words(said), said)
    named = "The government said Navalny was poisoned with Novichok."
    assert not restates(q, content_words(named), named)
    number = "Navalny was poisoned 2 times."
    assert not restates(q, content_words(number), number)


def test_context_names_who_but_the_sentence_must_say_what() -> None:
    eng = make_engine()
    answer = eng.ask("What did Lavrov demand?")
    first = answer.citations[0].quote
    assert first.startswith("“We call on") or "demand" in first  # a demand, in its own words


def test_a_name_of_the_question_counts_only_as_a_word() -> None:
    from newsqa.answer.extractive import focus_coverage

    assert focus_coverage({"us"}, "It failed because of the weather.") == 0.0
    assert focus_coverage({"us"}, "Talks with the US resumed.") == 1.0
    assert focus_coverage({"syria"}, "Syrian rebels") == 1.0  # a long name by its stem
    assert focus_coverage({"nusra"}, "the Al-Nusra Front") == 1.0
    assert focus_coverage({"us"}, "Talks with the U.S. resumed.") == 1.0  # the abbreviation


def test_names_every_retrieved_article_holds_weigh_less_than_the_rare_ones() -> None:
    """"Who is the CEO of Lego?" over articles on other companies' CEOs: "CEO" is in all of
    them and tells nothing; an article without "Lego" does not answer."""
    from newsqa.answer.extractive import focus_coverage, focus_weights

    texts = ["Rosneft CEO Igor Sechin met the president.", "The CEO of Gazprom said…",
             "Lego's CEO said sales grew."]
    weights = focus_weights({"ceo", "lego"}, texts)
    assert weights["lego"] > 2 * weights["ceo"] > 0
    assert focus_coverage(weights, texts[0]) < 0.5 <= focus_coverage(weights, texts[2])
    # A name every text holds still counts a little: nothing divides by zero.
    assert focus_weights({"ceo"}, texts)["ceo"] > 0 and focus_coverage({}, "x") == 1.0


def test_a_sentence_dated_to_other_years_is_background() -> None:
    from newsqa.answer.extractive import other_time

    assert other_time({"2019"}, "The British relinquished control of Hong Kong in 1997.")
    assert not other_time({"2019"}, "Protests began in June 2019, after the 1997 handover.")
    assert not other_time({"2019"}, "Thousands marched on Sunday.")  # no year: no verdict
    assert not other_time((), "Control passed to China in 1997.")  # the question names none


def test_a_question_in_an_article_never_answers() -> None:
    """A quiz article's "Which major change…?" repeats the question word for word (the best
    support of all) and states nothing: the sentence after it answers."""
    from dataclasses import replace

    from newsqa.answer.extractive import Candidate

    eng = make_engine()
    passage = eng.search("What did Lavrov demand?")[0]
    quiz = Candidate(passage, 0, 23, "What did Lavrov demand?", support=0.9, score=1.2)
    fact = Candidate(passage, 24, 60, "Lavrov demanded a separation.", support=0.5, score=0.8)
    assert quiz.asks and eng.answerer.answering([quiz, fact]) is fact
    assert eng.answerer.answering([quiz, replace(fact, support=0.1)]) is None


def test_a_story_about_the_question_outranks_a_roundup_that_mentions_it() -> None:
    """The headline says what the whole story is about: the same matching chunk under the
    story's own headline ranks above it under a roundup's list of topics, even when the
    roundup came first from retrieval."""
    from dataclasses import replace

    eng = make_engine()
    question = "What did Lavrov demand?"
    hit = next(p for p in eng.search(question) if p.article_id == RT)
    roundup = replace(hit, article_id="roundup", title="5 things to know for Monday: "
                      "weather, markets, football, elections, travel")
    ranked = eng.reranker.rerank(question, [roundup, hit])
    assert [p.article_id for p in ranked] == [RT, "roundup"]


def test_a_story_matching_in_several_passages_outranks_one_that_mentions_it_once() -> None:
    """The same matching chunk ranks higher in the article whose other chunks were found too
    (a story about the question) than alone in another (a passing mention), even when the
    lone copy came first from retrieval."""
    from dataclasses import replace

    eng = make_engine()
    question = "What did Lavrov demand?"
    story = [p for p in eng.retriever.candidates(question, 50, None) if p.article_id == RT]
    lone = replace(story[0], article_id="mention")
    ranked = [p.article_id for p in eng.reranker.rerank(question, [lone, *story[:4]])]
    assert len(story) >= 4 and ranked.index(RT) < ranked.index("mention")


def test_the_story_opening_follows_the_answering_sentence() -> None:
    """The sentence that answers leads; the opening of the story ranked first comes next
    (the inverted pyramid: what the toll is the toll of)."""
    eng = make_engine()
    answer = eng.ask("How many people died in the Magnitogorsk apartment building collapse?")
    assert "39" in answer.citations[0].quote and answer.citations[0].start > 0
    second = answer.citations[1]
    assert (second.article_id, second.start) == (MAGNITOGORSK, 0)


@pytest.mark.parametrize(("question", "terms"), [
    ("The world’s population reached a new milestone this week. Approximately how many people"
     " now live on Earth?", {"earth"}),
    ("Meta CEO Mark Zuckerberg announced layoffs. How many did Meta lay off?",
     {"ceo", "mark", "zuckerberg", "meta"}),
    # A follow-up widened with its topic: the words after the question are no sentence.
    ("What did he warn would happen if they did not? Lavrov demand", {"lavrov"}),
])
def test_focus_terms_are_names_not_words_that_open_a_sentence(question: str,
                                                              terms: set[str]) -> None:
    from newsqa.answer.extractive import focus_terms

    assert focus_terms(question) == terms


def test_what_someone_said_is_answered_by_the_sentence_that_reports_it() -> None:
    from newsqa.answer.extractive import answer_type_bonus

    asked = "What did Putin say about Syria?"
    assert answer_type_bonus(asked, "Mr Putin stressed the need for the opposition to…") > 0
    assert answer_type_bonus(asked, "“Our mission is fulfilled,” he told reporters.") > 0
    assert answer_type_bonus(asked, "Putin had a telephone conversation with Assad.") == 0


def test_a_sentence_that_opens_with_he_is_scored_and_quoted_with_whom_it_means() -> None:
    """"He was 95." answers "How old was Mugabe?" only together with the sentence before it,
    so the candidate is both: what is scored is what will be quoted."""
    from newsqa.answer.extractive import ExtractiveAnswerer
    from newsqa.types import Article, Passage

    text = ("Robert Mugabe, former president of Zimbabwe, has died. He was 95.\n\n"
            "He ruled for 37 years.")
    art = Article("m", "Mugabe dies", text)
    p = Passage("m::0", "m", 0, len(text), text, art.title, None, None, None, 1.0)
    spans = {c.text for c in ExtractiveAnswerer._window(p, art, 0, len(text))}
    assert "Robert Mugabe, former president of Zimbabwe, has died. He was 95." in spans
    assert "He ruled for 37 years." in spans  # a new paragraph: no antecedent taken along


def test_a_story_that_opens_with_the_matching_text_outranks_a_digest_ending_with_it(
        tiny_engine, tmp_path) -> None:
    """The same paragraph (same headline, same vector) ranks higher as an article's opening
    than as the last item of a long digest, even when the digest came first from retrieval:
    news puts what a story is about first."""
    import json

    lead = ("Flooding closed Yellowstone National Park on Monday after record rain washed out"
            " roads and bridges across the northern loop, stranding visitors in Gardiner and"
            " Cooke City while rangers evacuated campgrounds, lodges and trailheads as the"
            " Yellowstone and Lamar rivers rose to levels not seen in a century, the park's"
            " superintendent said, adding that the northern roads may stay shut for months.")
    # The lead and each item are over half a chunk long: no two share a chunk.
    filler = "\n\n".join("The city council met again on Tuesday evening to discuss " + ", ".join(
        f"the budget line for parks and schools in district {i + j}" for i in range(13)) + "."
        for j in range(7))
    rows = [{"id": "story", "title": "Flooding report", "text": lead},
            {"id": "digest", "title": "Flooding report",
             "text": f"{filler}\n\n{lead}"}]
    path = tmp_path / "two.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    tiny_engine.ingest([path])
    question = "Why was Yellowstone National Park closed?"
    found = tiny_engine.retriever.candidates(question, 50, None)
    story = next(p for p in found if p.article_id == "story")
    deep = next(p for p in found if p.article_id == "digest" and p.text == lead)
    assert deep.chunk_no > 0
    ranked = tiny_engine.reranker.rerank(question, [deep, story])
    assert [p.article_id for p in ranked] == ["story", "digest"]


def test_a_sentence_that_only_echoes_the_question_is_never_cited() -> None:
    """Quiz questions are written from digests: the digest's sentence repeats the question's
    preamble word for word, and answers nothing."""
    from newsqa.answer.extractive import echoes

    question = ("Rising prices have driven rents in the US far higher than a year ago. Which"
                " city saw the biggest increase?")
    assert echoes(question, "Rising prices have driven rents in the US far higher.")
    assert not echoes(question, "Rents in Austin rose 40% in a year, the highest in the US.")
    # A yes/no question is answered by the sentence that says it again.
    assert not echoes("Was Navalny poisoned with Novichok?", "Navalny was poisoned with Novichok.")


def test_the_hook_naming_the_headline_s_subject_is_cited_when_the_answer_does_not_name_it(
        tiny_engine, tmp_path) -> None:
    """A feature story opens with a short hook naming its subject ("“Moonfall” is officially
    coming back.") and tells the news in the next sentence without the name: the answer
    to "Which drama…?" must carry the name, so the hook is cited too; a newsletter plug or a
    photo credit opening another story is not."""
    import json

    rows = [{"id": "moonfall", "title": "Moonfall season two",
             "text": "“Moonfall” is officially coming back.\n\nThe streaming service announced"
                     " Sunday that the wildly popular space drama is green lit for a second"
                     " season.\n\nProduction starts in the spring in Vancouver, the studio said."},
            {"id": "other", "title": "Streaming news roundup",
             "text": "Sign up for our Streaming Weekly newsletter.\n\nA rival service"
                     " cancelled its own space drama after one season, the studio said."}]
    path = tmp_path / "shows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    tiny_engine.ingest([path])
    answer = tiny_engine.ask("Which wildly popular space drama was green lit for a second"
                             " season?")
    quotes = [c.quote for c in answer.citations]
    assert "green lit" in quotes[0] and "“Moonfall” is officially coming back." in quotes
    assert not any("newsletter" in q for q in quotes)
    check_clean(tiny_engine, answer)


def test_what_someone_demanded_is_not_padded_with_the_story_s_other_statements() -> None:
    """After the demand and the story's opening, a further sentence of the story is cited
    only if it demands something too: the rest of what Lavrov said tells the story but not
    what was asked."""
    import re

    eng = make_engine()
    answer = eng.ask("What did Lavrov demand?")
    demand = re.compile(r"\b(?:demand\w*|call(?:s|ed|ing)? (?:on|for)|urg\w+|insist\w*|must|"
                        r"should|requir\w+|ask\w*)\b", re.I)
    for c in answer.citations:
        assert c.start == 0 or demand.search(c.quote), c.quote
    check_clean(eng, answer)
