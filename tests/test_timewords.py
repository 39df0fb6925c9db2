"""Time words: periods read from questions, what stays in the query, and how a frame ranks."""

from __future__ import annotations

import json
from datetime import date

import pytest

from newsqa.engine import sample_archive_path
from newsqa.text.timewords import TimeFrame, parse_time, rank_by_time
from newsqa.types import Article, Filters, Passage

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
    ("What was said last Monday?", "2016-10-24", "2016-10-24", False),
    ("What happened since March 2016?", "2016-03-01", None, False),
    ("What happened after 2016-10-01?", "2016-10-02", None, False),
    ("What happened before the ceasefire of 9 September 2016?", None, "2016-09-08", False),
    ("What was decided until 2015?", None, "2015-12-31", False),
    ("What happened between March 2016 and May 2016?", "2016-03-01", "2016-05-31", False),
    ("What happened between March and May 2016?", "2016-03-01", "2016-05-31", False),
    ("What happened in early 2016?", "2016-01-01", "2016-05-01", False),
    ("What is the latest on Aleppo?", None, None, True),
    ("What has Russia said recently about Syria?", None, None, True),
    ("What is the most recent statement on the ceasefire?", None, None, True),
    ("Who is currently the foreign minister?", None, None, True),
    # Numeric, abbreviated and ordinal dates; seasons, quarters, halves, decades, ranges.
    ("What was agreed on 10/06/2016?", "2016-10-06", "2016-10-06", False),
    ("What was agreed on 6.10.2016?", "2016-10-06", "2016-10-06", False),
    ("What was agreed on Oct. 6?", "2016-10-06", "2016-10-06", False),
    ("What was agreed on the 6th of October?", "2016-10-06", "2016-10-06", False),
    ("What happened in the summer of 2016?", "2016-06-01", "2016-08-31", False),
    ("What were the results in Q3 2016?", "2016-07-01", "2016-09-30", False),
    ("What did Gazprom report for the third quarter of 2016?", "2016-07-01", "2016-09-30",
     False),
    ("What happened in the first half of 2016?", "2016-01-01", "2016-06-30", False),
    ("What happened in the 1990s?", "1990-01-01", "1999-12-31", False),
    ("What happened a fortnight ago?", "2016-10-14", "2016-10-20", False),
    ("What happened between 1 and 5 October 2016?", "2016-10-01", "2016-10-05", False),
    ("What happened on 1-5 October 2016?", "2016-10-01", "2016-10-05", False),
    ("What happened in mid-2016?", "2016-05-01", "2016-09-01", False),
    # Not time words: modal "may", the noun "march", a count, names, comparisons, the future.
    ("What may happen to the talks?", None, None, False),
    ("Who organised the march on Washington?", None, None, False),
    ("How many of the 2000 people were evacuated?", None, None, False),
    ("What did the Mail on Sunday report?", None, None, False),
    ("Are prices higher than they were a year ago?", None, None, False),
    ("Which team won the 2016 World Series?", None, None, False),
    ("Who had the most nominations for the 2016 Emmy Awards?", None, None, False),
    ("What did the January 6 committee find?", None, None, False),
    ("Which companies plan to merge in 2018?", None, None, False),
    ("Will the rocket launch early next month?", None, None, False),
]


@pytest.mark.parametrize(("question", "since", "until", "recency"), PHRASINGS)
def test_time_phrasings(question: str, since: str | None, until: str | None,
                        recency: bool) -> None:
    f = parse_time(question, AS_OF)
    assert (f.since.isoformat() if f.since else None) == since
    assert (f.until.isoformat() if f.until else None) == until
    assert f.recency is recency
    assert f.found is bool(since or until or recency)


# (question, query left for retrieval): names, places and topic words stay.
KEEPS = [
    ("What happened in Hong Kong in 2016?", "What happened in Hong Kong ?"),
    ("What happened in Paris in 2016?", "What happened in Paris ?"),
    ("What did May's government say in March?", "What did May's government say ?"),
    ("What did the Sunday Times report on Friday?", "What did the Sunday Times report ?"),
    ("What happened in March 2016 in Aleppo?", "What happened in Aleppo?"),
    ("What happened before the ceasefire of 9 September 2016?",
     "What happened before the ceasefire ?"),
    ("Why did protesters march in Paris in May 2016?", "Why did protesters march in Paris ?"),
    ("Which team won the 2016 World Series?", "Which team won the 2016 World Series?"),
    ("Which companies plan to merge in 2018?", "Which companies plan to merge in 2018?"),
    ("Who won in August Wilson's home town?", "Who won in August Wilson's home town?"),
]


@pytest.mark.parametrize(("question", "query"), KEEPS)
def test_only_time_words_leave_the_query(question: str, query: str) -> None:
    assert parse_time(question, AS_OF).query == query


def test_a_pasted_statement_is_not_scoped_by_its_own_weekday() -> None:
    pasted = "The foreign minister said on Friday that the talks in Geneva would go on."
    f = parse_time(pasted, AS_OF)
    assert not f.found and f.query == pasted
    # Asked as a question, the same weekday scopes it.
    asked = parse_time("What did the foreign minister say on Friday about Geneva?", AS_OF)
    assert asked.since == asked.until == date(2016, 10, 28) and asked.soft


def test_frames_read_against_the_as_of_date_are_soft() -> None:
    assert parse_time("What happened this week?", AS_OF).soft
    assert parse_time("What did Putin say in March?", AS_OF).soft
    assert not parse_time("What happened in 2016?", AS_OF).soft
    assert not parse_time("What happened between 1 and 5 October 2016?", AS_OF).soft


def test_time_frame_filters_and_query() -> None:
    f = parse_time("What did Putin say about Syria last month?", AS_OF)
    assert f.query == "What did Putin say about Syria ?"
    flt = f.filters(Filters(sources=["RT"]))
    # Reports of the last days of a month come out a few days later: slack, capped by as-of.
    assert (flt.since, flt.until, flt.sources) == ("2016-09-01", "2016-10-07", ["RT"])
    # "latest" never looks past the as-of date; "before X" has no slack.
    assert parse_time("latest news", AS_OF).filters().until == "2016-11-01"
    assert parse_time("latest news", AS_OF).cap().until == "2016-11-01"
    assert parse_time("before 9 September 2016", AS_OF).filters().until == "2016-09-08"
    assert parse_time("What happened this week?", AS_OF).describe() == \
        "As of 31 Oct 2016, articles from 25 Oct 2016 to 31 Oct 2016"
    # A user filter that is tighter wins.
    assert f.filters(Filters(since="2016-09-20")).since == "2016-09-20"


def test_note_says_when_nothing_fell_inside_the_frame() -> None:
    f = parse_time("What happened this week?", date(2026, 12, 1))
    assert f.note(["2026-11-30"]) == "As of 1 Dec 2026, articles from 25 Nov 2026 to 1 Dec 2026"
    assert f.note(["2016-10-31", None]) == \
        "As of 1 Dec 2026, nothing from 25 Nov 2026 to 1 Dec 2026; showing all dates"
    assert parse_time("What happened since March 2016?", AS_OF).note(["2015-01-02"]) == \
        "As of 31 Oct 2016, nothing since 1 Mar 2016; showing all dates"


def _p(cid: str, day: str, score: float) -> Passage:
    return Passage(chunk_id=f"{cid}::0", article_id=cid, start=0, end=1, text="x", title=cid,
                   date=day, url=None, source="T", score=score)


def _ids(ps: list[Passage]) -> list[str]:
    return [p.article_id for p in ps]


def test_a_hard_frame_keeps_its_period_only_when_it_is_on_the_topic() -> None:
    frame = parse_time("What happened in 2015?", AS_OF)
    ps = [_p("new", "2016-05-01", 1.0), _p("old", "2015-06-01", 0.9),
          _p("noise", "2014-01-01", 0.1)]
    assert _ids(rank_by_time(ps, frame)) == ["old"]
    weak = [_p("new", "2016-05-01", 1.0), _p("off", "2015-06-01", 0.2),
            _p("noise", "2014-01-01", 0.1)]
    assert _ids(rank_by_time(weak, frame)) == ["new", "off", "noise"]


def test_a_soft_frame_prefers_and_fades() -> None:
    frame = parse_time("What happened this week?", AS_OF)
    ps = [_p("month_ago", "2016-10-01", 1.0), _p("week_before", "2016-10-20", 0.95),
          _p("inside", "2016-10-28", 0.9), _p("noise", "2016-01-01", 0.0)]
    assert _ids(rank_by_time(ps, frame)) == ["inside", "week_before", "month_ago", "noise"]


def test_latest_counts_from_the_newest_on_topic_article() -> None:
    frame = parse_time("Latest news about Navalny", date(2026, 12, 1))
    ps = [_p("aug", "2020-08-22", 1.0), _p("sep", "2020-09-05", 0.95),
          _p("2019", "2019-03-01", 0.97), _p("off_topic", "2021-01-01", 0.1),
          _p("noise", "2018-01-01", 0.0)]
    assert _ids(rank_by_time(ps, frame))[:3] == ["sep", "aug", "2019"]
    # Without time words, asked years after the archive, a frame changes nothing ...
    assert rank_by_time(ps, TimeFrame(as_of=date(2026, 12, 1))) == ps
    # ... asked at the time of the news, the fresher of near-equals comes first.
    fresh = rank_by_time(ps, TimeFrame(as_of=date(2020, 9, 6)))
    assert _ids(fresh)[:2] == ["sep", "aug"]
    assert fresh[0].score > fresh[1].score


def _records(ids: set[str]) -> list[Article]:
    path = sample_archive_path() / "wikinews-2019-2020.jsonl"
    recs = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return [Article(id=r["id"], title=r["title"], date=r["date"], source=r["source"],
                    text=r["text"]) for r in recs if r["id"] in ids]


NAVALNY_AUG, NAVALNY_SEP = "wikinews-a49bbb8935a6", "wikinews-ea452728d5b9"
OTHERS = {"wikinews-f2c6e301d8d7", "wikinews-101942841ae4", "wikinews-9f88b121019f",
          "wikinews-3ec2835cea69", "wikinews-c192dbc75807", "wikinews-e4a7bcf9e6ae"}


def test_latest_and_empty_frames_on_an_archive_older_than_today(tiny_engine) -> None:
    eng = tiny_engine
    eng.ingest_articles(_records({NAVALNY_AUG, NAVALNY_SEP} | OTHERS))
    latest = eng.search("Latest news about Navalny", k=4)
    assert latest[0].article_id == NAVALNY_SEP
    # "this week" as of today finds nothing in a 2020 archive: all dates, and the answer
    # says so instead of coming back empty.
    ans = eng.ask("Why was Navalny airlifted to Germany this week?", as_of=date(2026, 12, 1))
    assert ans.retrieved and ans.retrieved[0] == NAVALNY_AUG
    assert "nothing from 25 Nov 2026 to 1 Dec 2026; showing all dates" in ans.answer
