"""Follow-up resolution without a language model, on multi-turn scripts over the sample archive."""

from __future__ import annotations

import pytest

from newsqa.conversations import Turn
from newsqa.retrieve.followups import follow_up_kind, names, resolve
from newsqa.types import Article

from .archive_subset import DORIAN, PUERTO_RICO, RT, SOLEIMANI, UN_LAVROV, make_engine


def check_quotes(engine, answer) -> None:
    """Every citation is the exact article text at its recorded offsets."""
    for c in answer.citations:
        assert engine.article(c.article_id).text[c.start:c.end] == c.quote


@pytest.mark.parametrize(("question", "kind"), [
    ("What did Lavrov demand?", "new"),
    ("And what did he say about civilians?", "refer"),
    ("What did Germany say about him?", "refer"),
    ("Why?", "refer"),
    ("What happened next?", "next"),
    ("What happened after that?", "next"),
    ("Who else reported it?", "others"),
    ("Did other outlets cover the story?", "others"),
    ("What did Hurricane Dorian do in the Bahamas?", "new"),
])
def test_follow_up_kind(question, kind):
    assert follow_up_kind(question) == kind


def test_names_skip_question_words():
    assert names("What did Lavrov say to Sergey Shoigu in Moscow?") == [
        "Lavrov", "Sergey Shoigu", "Moscow"]


def test_resolve_uses_on_topic_cited_article_not_a_stray_citation():
    """The first answer cited a stray Navalny sentence first; 'he' still means Lavrov."""
    stray = Article("n1", "Germany says Alexei Navalny poisoned with Novichok", "…",
                    date="2020-09-05")
    rt = Article(RT, "Lavrov: West will be ‘Al-Nusra accomplice’ if it fails to separate "
                 "Syrian rebels from terrorists", "…", date="2016-10-31")
    history = [Turn("What did Lavrov demand?", "What did Lavrov demand?", "…", ["n1", RT])]
    res = resolve("And what did he say about civilians?", history, {"n1": stray, RT: rt})
    assert res.kind == "refer"
    assert res.prefer == [RT]
    assert "Lavrov" in res.query and "Navalny" not in res.query
    assert res.query.startswith("And what did he say about civilians?")


def test_a_titles_names_do_not_swamp_a_follow_up_that_already_has_its_subject():
    """A speech's title is all names; added to the follow-up they would make every sentence
    of the speech look like its answer."""
    un = Article("un", "Statement by Mr Sergey Lavrov, Minister for Foreign Affairs of the "
                 "Russian Federation", "…", date="2016-09-23")
    history = [Turn("What did Lavrov demand?", "What did Lavrov demand?", "…", ["un"])]
    res = resolve("What did he warn would happen if they did not?", history, {"un": un})
    assert res.query == "What did he warn would happen if they did not? Lavrov demand"
    assert res.prefer == ["un"]
    untitled = [Turn("What happened in the collapse?", "What happened in the collapse?", "…",
                     ["m"])]
    m = Article("m", "Magnitogorsk apartment building collapses", "…", date="2018-12-31")
    assert "Magnitogorsk" in resolve("How many died there?", untitled, {"m": m}).query


def test_resolve_next_is_dated_from_the_cited_story():
    a = Article("p1", "Puerto Rico governor announces resignation following protests", "…",
                date="2019-07-28")
    history = [Turn("Why did the governor of Puerto Rico resign?",
                    "Why did the governor of Puerto Rico resign?", "…", ["p1"])]
    res = resolve("What happened next?", history, {"p1": a})
    assert (res.kind, res.since, res.avoid) == ("next", "2019-07-28", ["p1"])
    assert "Puerto" in res.about and "Rico" in res.about


def test_new_question_is_left_alone():
    history = [Turn("What did Lavrov demand?", "What did Lavrov demand?", "…", [RT])]
    res = resolve("What did Hurricane Dorian do in the Bahamas?", history, {})
    assert (res.kind, res.query, res.prefer, res.avoid) == (
        "new", "What did Hurricane Dorian do in the Bahamas?", [], [])


def test_pronoun_follow_up_stays_on_the_cited_article():
    engine = make_engine()
    conv = engine.conversation()
    first = conv.ask("What did Lavrov demand?")
    assert RT in {c.article_id for c in first.citations}
    second = conv.ask("And what did he say about civilians?")
    assert "Lavrov" in conv.turns[-1].query
    assert second.citations and {c.article_id for c in second.citations} == {RT}
    assert any("civilians" in c.quote for c in second.citations)
    check_quotes(engine, second)


def test_what_happened_next_moves_forward_in_time():
    engine = make_engine()
    conv = engine.conversation()
    first = conv.ask("Why did the governor of Puerto Rico announce his resignation?")
    assert first.citations[0].article_id == PUERTO_RICO[0]
    nxt = conv.ask("What happened next?")
    cited = {c.article_id for c in nxt.citations}
    assert cited and cited <= set(PUERTO_RICO) - {PUERTO_RICO[0]}
    assert all(c.date > "2019-07-28" for c in nxt.citations)
    assert "Follow-up: reports from 2019-07-28 on." in nxt.notes
    check_quotes(engine, nxt)
    who = conv.ask("Who replaced him?")
    assert "Vázquez" in who.answer or "Pierluisi" in who.answer


def test_who_else_reported_it_cites_other_articles_on_the_same_story():
    engine = make_engine()
    conv = engine.conversation()
    first = conv.ask("What happened to Qasem Soleimani?")
    before = {c.article_id for c in first.citations}
    assert before and before <= set(SOLEIMANI)
    other = conv.ask("Who else reported it?")
    after = {c.article_id for c in other.citations}
    assert after and after <= set(SOLEIMANI) - before
    check_quotes(engine, other)


def test_who_else_abstains_when_no_other_article_covers_the_story():
    engine = make_engine()
    conv = engine.conversation()
    conv.ask("What did Lavrov demand?")
    # The subset has no report of it but these two: "who else" leaves both out.
    assert RT in conv.turns[-1].cited and set(conv.turns[-1].cited) <= {RT, UN_LAVROV}
    other = conv.ask("Who else reported it?")
    assert conv.turns[-1].query == "What did Lavrov demand?"  # cue words are no topic
    assert other.abstained and not other.citations
    assert "No other article on this story was found." in other.notes


def test_topic_switch_and_resume_by_id():
    engine = make_engine()
    conv = engine.conversation()
    conv.ask("Where was Navalny airlifted?")
    switched = conv.ask("What did Hurricane Dorian do in the Bahamas?")
    assert {c.article_id for c in switched.citations} <= set(DORIAN)
    assert conv.turns[-1].query == "What did Hurricane Dorian do in the Bahamas?"
    resumed = make_engine().conversation(conv.id)  # e.g. the bot after a restart
    assert [t.question for t in resumed.turns] == [t.question for t in conv.turns]
    again = resumed.ask("How strong was it when it made landfall?")
    assert "Dorian" in resumed.turns[-1].query
    assert {c.article_id for c in again.citations} <= set(DORIAN)
    assert "Category 5" in again.answer
    assert len(make_engine().conversation(conv.id).turns) == 3
    resumed.reset()
    assert make_engine().conversation(conv.id).turns == []
