"""Time expressions in questions → a time frame that filters or prefers, without an LLM.

News questions carry their time frame in words: "in 2016", "last October", "this week", "the
latest", "since the election in March 2019", "between 1 and 5 October 2016", "Q3 2016".
Relative words only mean something against the moment the question was asked: the *as-of*
date (``--as-of``, a question's ``date`` in ``newsqa eval``, else today).

What the words become:

* An absolute period ("in 2019", "on 6 October 2016", "before 9 September 2016") is a
  *hard* frame: retrieval keeps the passages inside it, unless none of them is on the topic,
  in which case all dates are searched and the answer says so.  An event year in a question
  ("where did he work in the 1950s?") need not be a publication date; that fallback is what
  keeps such a question from an empty result.
* A period read against the as-of date ("this week", "last month", "in March", "on Friday",
  "yesterday") is a *soft* frame: passages inside it are preferred, those near it a little
  less, and nothing is removed but what the as-of date rules out (news published after it).
  Quiz and chat questions say "this week" of a story from the week before, and "in March"
  of a month that is context rather than a constraint.
* "Latest", "recent", "newest", "now" rank the on-topic passages by recency, counted from
  the newest on-topic article: an archive that ends years before the as-of date still gets
  its newest story first.
* Periods are widened by ``REPORT_SLACK_DAYS`` at the end, because an event "in October" is
  often reported in the first days of November; "before X" has no slack.

A phrase is taken out of the text used for retrieval only when it is a time expression:
"in Hong Kong in 2019" keeps "in Hong Kong", "May's government" and "the Sunday Times" are
names, "the 2022 Emmy Awards" and "the January 6 committee" name events, a year after the
as-of date ("merge in 2024") is the event's time, not the news's, and stays.  A statement
pasted as a query (no question mark, no question or request word, eight words or more) is
searched as written: its "said on Monday" belongs to the article it was copied from.

``dateparser.search_dates`` was measured for this and not used: it returns points rather than
periods (no quarters, seasons, halves or ranges), and reads "may", "the march on" and "the
Sunday" (of the Sunday Times) as dates.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from newsqa.text.dates import date_bounds, normalize_date
from newsqa.types import Filters, Passage

REPORT_SLACK_DAYS = 7
# Ranking weights are in units of the candidates' score range (best minus worst), so they
# mean the same for the feature reranker, a cross-encoder's logits and raw fused scores.
ON_TOPIC = 0.5  # share of the score range a passage needs to count as on the topic
SOFT_FRAME_WEIGHT = 0.3  # bonus for a passage inside a soft frame
SOFT_FRAME_HALF_LIFE_DAYS = 7.0  # the bonus halves every week outside the frame
RECENCY_WEIGHT = 0.5  # bonus for the newest on-topic passage
RECENCY_HALF_LIFE_DAYS = 30.0
# Every question is asked at a moment (its as-of date): nothing published later can answer
# it, and among equally relevant reports the ones of that moment are likelier what it is
# about, as in any news search.  The bonus fades with a week's half-life, so over an archive
# older than the as-of date it is zero for all.
FRESH_WEIGHT = 0.3
FRESH_HALF_LIFE_DAYS = 7.0
FRESH_HORIZON_DAYS = 90  # older than this, the bonus (under 0.1%) is left out

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTHS["sept"] = 9
_WEEKDAYS = {d.lower(): i for i, d in enumerate(calendar.day_name)}
_NUMWORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
             "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "few": 3,
             "several": 5, "couple of": 2}
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
             "4th": 4}
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}  # first month

_MON = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DAYNUM = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_NUM = r"(?P<num>\d+|" + "|".join(sorted(_NUMWORDS, key=len, reverse=True)) + r")"
_UNIT = r"(?P<unit>day|week|fortnight|month|year)s?"
_WD = r"(?P<wd>" + "|".join(_WEEKDAYS) + r")"
_ORD = r"(?P<ord>" + "|".join(_ORDINALS) + r")"
_SEASON = r"(?P<season>" + "|".join(_SEASONS) + r")"


def _pattern(p: str) -> str:
    """``p`` with its named groups made anonymous, to embed in a larger pattern."""
    return re.sub(r"\(\?P<\w+>", "(?:", p)


# Date phrases, each read by its own handler.  Names not followed by a capitalised word
# ("in May Day protests", "in August Wilson's plays") and not possessive ("May's").
_NOT_NAME = r"(?!['’]s\b)(?!\s+(?-i:[A-Z][a-z]))(?![\w-])"
_FORMS: list[tuple[str, str]] = [
    ("iso_day", r"(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)"),
    ("iso_month", r"(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)"),
    ("numeric", r"(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>(?:19|20)?\d\d)"),
    ("dotted", r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>(?:19|20)\d\d)"),
    ("day_mon_year", _DAYNUM + r"\s+(?:of\s+)?" + _MON + r",?\s+" + _YEAR),
    ("mon_day_year", _MON + r"\s+" + _DAYNUM + r",?\s+" + _YEAR),
    ("mon_year", _MON + r",?\s+(?:of\s+)?" + _YEAR),
    ("quarter", r"(?:Q(?P<q>[1-4])\s*" + _YEAR + r"|(?:the\s+)?" + _ORD
     + r"\s+quarter\s+(?:of\s+)?(?P<y2>(?:19|20)\d\d))"),
    ("half", r"(?:H(?P<h>[12])\s*" + _YEAR + r"|(?:the\s+)?(?P<hw>first|second|1st|2nd)"
     r"\s+half\s+(?:of\s+)?(?P<y2>(?:19|20)\d\d))"),
    ("season_year", r"(?:the\s+)?" + _SEASON + r"\s+(?:of\s+)?" + _YEAR),
    ("decade", r"(?:the\s+)?(?:(?P<dec>(?:19|20)\d0)|['’](?P<dec2>\d0))['’]?s"),
    ("day_mon", _DAYNUM + r"\s+(?:of\s+)?" + _MON + _NOT_NAME),
    ("mon_day", _MON + r"\s+" + _DAYNUM + r"(?![\w,.]*\s*(?:19|20)\d\d)(?![\w-])"),
    ("year", _YEAR),
    ("mon", _MON + _NOT_NAME),
]
_FORM_RE = {name: re.compile(p, re.I) for name, p in _FORMS}
_MOD = r"(?:(?P<mod>early|mid|late|the\s+(?:start|beginning|middle|end)\s+of)[\s-]+(?:the\s+)?)?"
# Any date phrase, with an optional early/mid/late.  Longer forms first.
_DATE = (_MOD + r"(?P<date>" + "|".join(_pattern(p) for _, p in _FORMS) + r")")

# A month name alone needs a preposition ("in May", not "May said"); the other forms carry a
# number and are dates wherever they stand.
_BARE_FORMS = {name for name, _ in _FORMS} - {"mon"}
# Forms whose year comes from the as-of date: they are read against it (soft).
_ASOF_FORMS = {"day_mon", "mon_day", "mon"}

_KEYWORDS = (r"since|after|from|before|prior\s+to|until|till|up\s+to|through|by|in|during|"
             r"on|of|for|around|throughout|at")
_ANCHORED = re.compile(r"(?<![\w-])(?P<kw>" + _KEYWORDS + r")\s+(?:the\s+)?" + _DATE
                       + r"(?![\w-])", re.I)
# "before the ceasefire of 9 September 2016": a few lower-case words between the keyword and
# the date; only "of 9 September 2016" is a time expression, "the ceasefire" stays.
_GAPPED = re.compile(
    r"(?<![\w-])(?P<kw>since|after|before|prior\s+to|until|till|by)\s+"
    r"(?P<gap>(?-i:(?:[a-z]+\s+){1,4}?))(?P<inner>(?:on|of|in)\s+(?:the\s+)?" + _DATE
    + r")(?![\w-])", re.I)
_BARE = re.compile(r"(?<![\w'’/.-])" + _DATE + r"(?![\w-])", re.I)
_RANGE = re.compile(
    r"(?<![\w-])(?:between|from)\s+(?:the\s+)?"
    r"(?P<a>" + _pattern(_DATE) + r"|[0-3]?\d(?:st|nd|rd|th)?)"
    r"\s+(?:and|to|until|till|through)\s+(?:the\s+)?(?P<b>" + _pattern(_DATE) + r")(?![\w-])"
    r"|(?<![\w-])(?P<a2>[0-3]?\d)\s*[-–]\s*(?P<b2>[0-3]?\d(?:st|nd|rd|th)?\s+(?:of\s+)?"
    + _pattern(_MON) + r"(?:,?\s+(?:19|20)\d\d)?)(?![\w-])"
    r"|(?<![\w-])(?P<mon_a>" + _pattern(_MON) + r")\s+(?P<a3>[0-3]?\d)\s*[-–]\s*"
    r"(?P<b3>[0-3]?\d)(?P<y3>,?\s+(?:19|20)\d\d)?(?![\w-])", re.I)

_RECENT = re.compile(
    r"\b(?:(?:in\s+)?recent\s+(?:days|weeks|months)|(?:the\s+)?(?:latest|newest|"
    r"most\s+recent(?:ly)?|recent(?:ly)?|lately|currently|right\s+now|nowadays|these\s+days|"
    r"so\s+far|to\s+date|as\s+of\s+now|now)|at\s+the\s+moment|at\s+present|presently)\b", re.I)
# "than a year ago", "compared with two weeks ago": a baseline of a comparison, not a frame.
_COMPARISON = re.compile(r"\b(?:than|compared\s+(?:to|with)|versus|vs\.?)\s+(?:\S+\s+){0,3}$",
                         re.I)
# Newspapers named after a weekday; the weekday in them is no time word.
_WEEKDAY_TITLES = re.compile(r"\b(?:mail|independent)\s+$", re.I)

# What a question (or a request for news) starts with; anything else of eight words or more
# without a question mark reads as a statement.
_REQUEST_START = re.compile(
    r"^\W*(?:what|who|whom|whose|which|when|where|why|how|is|are|was|were|do|does|did|has|"
    r"have|had|can|could|will|would|should|tell|show|find|give|list|search|get|any|news|"
    r"latest|newest|recent|articles?|reports?|stories|headlines|updates?|summari[sz]e|"
    r"explain|describe|compare|please|i|we|me)\b",
    re.I)
STATEMENT_MIN_WORDS = 8


@dataclass
class TimeFrame:
    """What a question's time words mean against ``as_of``.

    ``since``/``until`` are the period the words name (inclusive days, either may be None);
    ``soft`` when the period was read against the as-of date (a preference, not a filter);
    ``recency`` asks for the newest matching news; ``phrases`` are the words matched and
    ``query`` the text without them.
    """

    as_of: date
    since: date | None = None
    until: date | None = None
    recency: bool = False
    slack: bool = True  # allow REPORT_SLACK_DAYS after ``until`` (not for "before X")
    relative: bool = False  # some bound was read against as_of: soft, and capped at as_of
    phrases: list[str] = field(default_factory=list)
    query: str = ""  # the question without the matched phrases, for retrieval

    @property
    def found(self) -> bool:
        return bool(self.phrases)

    @property
    def has_period(self) -> bool:
        return self.since is not None or self.until is not None

    @property
    def soft(self) -> bool:
        """A period read against the as-of date: preferred rather than required."""
        return self.relative

    def _until(self) -> date | None:
        """The last day a matching report may carry: ``until`` plus slack, capped by as-of."""
        until = self.until
        if until is not None and self.slack:
            until += timedelta(days=REPORT_SLACK_DAYS)
        if self.recency and until is None:
            until = self.as_of
        if until is not None and (self.relative or self.recency) and until >= self.as_of:
            until = self.as_of + timedelta(days=1)  # the day's later editions / time zones
        return until

    def filters(self, base: Filters | None = None) -> Filters:
        """``base`` narrowed to the frame (the tighter bound wins on each side)."""
        f = replace(base) if base is not None else Filters()
        until = self._until()
        if self.since is not None:
            f.since = max(filter(None, [f.since, self.since.isoformat()]))
        if until is not None:
            f.until = min(filter(None, [f.until, until.isoformat()]))
        return f

    def cap(self, base: Filters | None = None) -> Filters:
        """``base`` without news published after the as-of date (a day's slack for later
        editions and time zones): what any search asked at that moment may return.  Undated
        texts stay, unless the user bounded the dates themselves."""
        f = replace(base) if base is not None else Filters()
        f.undated = not (f.since or f.until)
        cap = (self.as_of + timedelta(days=1)).isoformat()
        f.until = min(filter(None, [f.until, cap]))
        return f

    def distance(self, iso: str | None) -> int | None:
        """Days between a published date and the frame (0 inside it); None if undated."""
        lo_i, hi_i = date_bounds(normalize_date(iso))
        if not lo_i:
            return None
        lo, hi = _from_int(lo_i), _from_int(hi_i)
        until = self._until()
        if self.since is not None and hi < self.since:
            return (self.since - hi).days
        if until is not None and lo > until:
            return (lo - until).days
        return 0

    def contains(self, iso: str | None) -> bool:
        return self.distance(iso) == 0

    def span(self) -> str:
        """The period in words: '1 Oct 2016 to 31 Oct 2016', 'since 1 Mar 2016', …"""
        if self.since and self.until:
            return (_fmt(self.since) if self.since == self.until
                    else f"{_fmt(self.since)} to {_fmt(self.until)}")
        if self.since:
            return f"since {_fmt(self.since)}"
        return f"up to {_fmt(self.until)}" if self.until else ""

    def describe(self) -> str:
        """A human line such as 'As of 31 Oct 2016, articles from 1 Oct 2016 to 31 Oct 2016'."""
        head = f"As of {_fmt(self.as_of)}"
        if self.since and self.until:
            return f"{head}, articles from {self.span()}"
        if self.since or self.until:
            return f"{head}, articles {self.span()}"
        return f"{head}, the most recent articles" if self.recency else head

    def note(self, dates: Iterable[str | None]) -> str:
        """The line for an answer built from passages of ``dates``: the frame, or that
        nothing fell inside it and all dates were searched."""
        dates = list(dates)
        if self.has_period and dates and not any(self.contains(d) for d in dates):
            what = f"from {self.span()}" if self.since and self.until else self.span()
            return f"As of {_fmt(self.as_of)}, nothing {what}; showing all dates"
        return self.describe()


def _fmt(d: date) -> str:
    return f"{d.day} {calendar.month_abbr[d.month]} {d.year}"


def _from_int(n: int) -> date:
    return date(n // 10000, n // 100 % 100, n % 100)


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _shift_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def _last_month_named(as_of: date, month: int, strictly_before: bool) -> tuple[date, date]:
    """The most recent ``month`` at or before as_of's month (before it if ``strictly_before``)."""
    y = as_of.year
    if month > as_of.month or (strictly_before and month == as_of.month):
        y -= 1
    return date(y, month, 1), _month_end(y, month)


def _last_day_named(as_of: date, month: int, day: int) -> date:
    """The most recent ``day`` of ``month`` on or before as_of ("6 October" as of 2016-10-31)."""
    d = date(as_of.year, month, day)
    return d if d <= as_of else date(as_of.year - 1, month, day)


Period = tuple[date, date]


def _read_form(text: str, as_of: date) -> tuple[Period, str] | None:
    """The period a date phrase names, and the name of its form; None if it names none."""
    for name, rx in _FORM_RE.items():
        m = rx.fullmatch(text.strip())
        if m:
            try:
                period = _FORM_READERS[name](m, as_of)
            except (ValueError, KeyError):
                return None
            return (period, name) if period else None
    return None


def _mon(m: re.Match) -> int:
    return _MONTHS[m["mon"].lower().rstrip(".")]


def _numeric(m: re.Match, as_of: date) -> Period:
    """10/06/2016 is month first (US usage) unless the first number cannot be a month
    (dotted 6.10.2016 is day first, the European usage: the "dotted" form)."""
    a, b = int(m["a"]), int(m["b"])
    y = int(m["y"]) if len(m["y"]) == 4 else 2000 + int(m["y"])
    if a > 12:
        a, b = b, a
    return _day(y, a, b)


def _decade(m: re.Match, as_of: date) -> Period:
    if m["dec"]:
        start = int(m["dec"])
    else:  # '90s: the most recent such decade
        start = 2000 + int(m["dec2"])
        if start > as_of.year:
            start -= 100
    return date(start, 1, 1), date(start + 9, 12, 31)


def _season(m: re.Match, as_of: date) -> Period:
    y, first = int(m["year"]), _SEASONS[m["season"].lower()]
    start = date(y, first, 1)
    return start, _month_end(*_month_add(y, first + 2))


def _month_add(y: int, m: int) -> tuple[int, int]:
    """(year, month) for a month number that may run past December."""
    return y + (m - 1) // 12, (m - 1) % 12 + 1


def _quarter(m: re.Match, as_of: date) -> Period:
    q = int(m["q"]) if m["q"] else _ORDINALS[m["ord"].lower()]
    y = int(m["year"] or m["y2"])
    return date(y, 3 * q - 2, 1), _month_end(y, 3 * q)


def _half(m: re.Match, as_of: date) -> Period:
    h = int(m["h"]) if m["h"] else _ORDINALS[m["hw"].lower()]
    y = int(m["year"] or m["y2"])
    return (date(y, 1, 1), date(y, 6, 30)) if h == 1 else (date(y, 7, 1), date(y, 12, 31))


def _day(y: int, mo: int, d: int) -> Period:
    day = date(y, mo, d)
    return day, day


_FORM_READERS: dict[str, Callable[[re.Match, date], Period]] = {
    "iso_day": lambda m, a: _day(int(m["y"]), int(m["m"]), int(m["d"])),
    "iso_month": lambda m, a: (date(int(m["y"]), int(m["m"]), 1),
                               _month_end(int(m["y"]), int(m["m"]))),
    "numeric": _numeric,
    "dotted": lambda m, a: _day(int(m["y"]), int(m["m"]), int(m["d"])),
    "day_mon_year": lambda m, a: _day(int(m["year"]), _mon(m), int(m["day"])),
    "mon_day_year": lambda m, a: _day(int(m["year"]), _mon(m), int(m["day"])),
    "mon_year": lambda m, a: (date(int(m["year"]), _mon(m), 1),
                              _month_end(int(m["year"]), _mon(m))),
    "quarter": _quarter,
    "half": _half,
    "season_year": _season,
    "decade": _decade,
    "day_mon": lambda m, a: (_last_day_named(a, _mon(m), int(m["day"])),) * 2,
    "mon_day": lambda m, a: (_last_day_named(a, _mon(m), int(m["day"])),) * 2,
    "year": lambda m, a: (date(int(m["year"]), 1, 1), date(int(m["year"]), 12, 31)),
    "mon": lambda m, a: _last_month_named(a, _mon(m), strictly_before=False),
}


def _modified(mod: str | None, period: Period) -> Period:
    """early / mid / late / the start or end of a period: its first, middle or last third."""
    if not mod:
        return period
    first, last = period
    third = (last - first) / 3
    mod = " ".join(mod.lower().split())
    if first == last:
        return period
    if mod in ("early", "the start of", "the beginning of"):
        return first, first + third
    if mod in ("late", "the end of"):
        return last - third, last
    return first + third, last - third


def _ago(as_of: date, n: int, unit: str) -> date:
    if unit == "day":
        return as_of - timedelta(days=n)
    if unit == "week":
        return as_of - timedelta(weeks=n)
    if unit == "fortnight":
        return as_of - timedelta(weeks=2 * n)
    if unit == "month":
        return _shift_months(as_of, -n)
    return _shift_months(as_of, -12 * n)


def _around(d: date, unit: str) -> Period:
    """'N units ago' names a moment; allow about half a unit either side ("a fortnight
    ago" as "two weeks ago")."""
    half = {"day": 1, "week": 3, "fortnight": 3, "month": 15, "year": 182}[unit]
    return d - timedelta(days=half), d + timedelta(days=half)


def _num(s: str) -> int:
    s = " ".join(s.lower().split())
    return int(s) if s.isdigit() else _NUMWORDS.get(s, 1)


def _weekday(as_of: date, wd: int, strictly_before: bool) -> date:
    """The named weekday on or before as_of (before it for "last Friday")."""
    back = (as_of.weekday() - wd) % 7
    if back == 0 and strictly_before:
        back = 7
    return as_of - timedelta(days=back)


def _season_named(as_of: date, season: str, rel: str) -> Period | None:
    """this summer / last winter: the season of as_of's year (if it has begun) or the one
    before; "last" is the most recent one that has ended."""
    first = _SEASONS[season]
    y = as_of.year - (1 if first == 12 and as_of.month <= 2 else 0)
    start = date(y, first, 1)
    if start > as_of:
        start = date(y - 1, first, 1)
    end = _month_end(*_month_add(start.year, first + 2))
    if rel != "this" and end >= as_of:
        start = date(start.year - 1, first, 1)
        end = _month_end(*_month_add(start.year, first + 2))
    return start, end


Rule = tuple[str, Callable[[re.Match, date], Period | None]]


def _relative_rules() -> list[Rule]:
    """Periods read against the as-of date: this week, last month, past 3 days, yesterday,
    on Friday, a fortnight ago, last March, this summer, …"""
    def week_of(a: date) -> date:
        return a - timedelta(days=a.weekday())

    return [
        (r"\btoday\b|\bthis\s+(?:morning|afternoon|evening)\b|\btonight\b",
         lambda m, a: (a, a)),
        (r"\byesterday\b", lambda m, a: (a - timedelta(days=1),) * 2),
        (r"\b(?:earlier\s+)?(?:this|the\s+current)\s+week(?:end)?(?:['’]s)?\b",
         lambda m, a: (a - timedelta(days=6), a)),
        (r"\b(?:over\s+|in\s+|during\s+)?the\s+past\s+week\b",
         lambda m, a: (a - timedelta(days=7), a)),
        (r"\b(?:last|previous)\s+week(?:end)?(?:['’]s)?\b|\ba\s+week\s+ago\b",
         lambda m, a: (week_of(a) - timedelta(days=7), week_of(a) - timedelta(days=1))),
        (r"\b(?:earlier\s+)?this\s+month\b", lambda m, a: (a.replace(day=1), a)),
        (r"\b(?:last|previous)\s+month(?:['’]s)?\b|\ba\s+month\s+ago\b",
         lambda m, a: (_shift_months(a.replace(day=1), -1), a.replace(day=1) - timedelta(1))),
        (r"\b(?:earlier\s+)?(?:this|the\s+current)\s+year\b|\byear\s+to\s+date\b",
         lambda m, a: (date(a.year, 1, 1), a)),
        (r"\b(?:last|previous)\s+year(?:['’]s)?\b",
         lambda m, a: (date(a.year - 1, 1, 1), date(a.year - 1, 12, 31))),
        (r"\b(?:(?:in|over|during|within)\s+)?(?:the\s+)?(?:last|past|previous)\s+"
         + _NUM + r"\s+" + _UNIT + r"\b",
         lambda m, a: (_ago(a, _num(m["num"]), m["unit"].lower()), a)),
        (r"\b(?:(?:in|over|during|within)\s+)?the\s+(?:last|past)\s+(?P<unit>fortnight|"
         r"month|year)\b",
         lambda m, a: (_ago(a, 1, m["unit"].lower()), a)),
        (r"\b" + _NUM + r"\s+" + _UNIT + r"\s+ago\b",
         lambda m, a: _around(_ago(a, _num(m["num"]), m["unit"].lower()), m["unit"].lower())),
        (r"\b(?:(?P<rel>on|last|this\s+past|early|late|since|by)\s+)?" + _WD
         + r"(?:['’]s)?(?(rel)(?:\s+(?:morning|afternoon|evening|night))?|"
           r"\s+(?:morning|afternoon|evening|night))\b(?!\s+(?-i:[A-Z]))",
         lambda m, a: _weekday_period(m, a)),
        (r"\b(?P<rel>last|this|past)\s+" + _MON + r"(?!\s*\d)",
         lambda m, a: _last_month_named(a, _mon(m), strictly_before=m["rel"].lower() != "this")),
        (r"\b(?P<rel>last|this|past)\s+" + _SEASON + r"\b",
         lambda m, a: _season_named(a, m["season"].lower(), m["rel"].lower())),
    ]


def _weekday_period(m: re.Match, as_of: date) -> Period:
    rel = (m["rel"] or "").lower()
    day = _weekday(as_of, _WEEKDAYS[m["wd"].lower()], strictly_before=rel == "last")
    if rel == "since":
        return day, as_of
    if rel == "by":
        return as_of - timedelta(days=7), day
    return day, day


_RELATIVE = [(re.compile(p, re.I), fn) for p, fn in _relative_rules()]


@dataclass
class _Found:
    start: int
    end: int
    since: date | None
    until: date | None
    relative: bool
    slack: bool = True


def reads_as_statement(text: str) -> bool:
    """A pasted sentence rather than a question or a request for news: its time words
    belong to the article it came from."""
    return ("?" not in text and not _REQUEST_START.match(text)
            and len(text.split()) >= STATEMENT_MIN_WORDS)


def parse_time(question: str, as_of: date | None = None) -> TimeFrame:
    """Read the time frame of ``question`` relative to ``as_of`` (default: today)."""
    as_of = as_of or date.today()
    frame = TimeFrame(as_of=as_of, query=question)
    if reads_as_statement(question):
        return frame
    found = _periods(question, as_of)
    taken: list[_Found] = []
    for f in sorted(found, key=lambda f: (-(f.end - f.start), f.start)):
        if not any(f.start < t.end and t.start < f.end for t in taken):
            taken.append(f)
    spans = [(f.start, f.end) for f in taken]
    for m in _RECENT.finditer(question):
        if not any(m.start() < e and s < m.end() for s, e in spans):
            spans.append((m.start(), m.end()))
            frame.recency = True
    lo = max((f.since for f in taken if f.since), default=None)
    hi = min((f.until for f in taken if f.until), default=None)
    if lo and hi and lo > hi:  # contradictory words: trust none of the bounds
        lo = hi = None
    frame.since, frame.until = lo, hi
    frame.slack = all(f.slack for f in taken)
    frame.relative = any(f.relative for f in taken)
    frame.phrases = [question[s:e].strip() for s, e in sorted(spans)]
    frame.query = _strip(question, spans)
    return frame


def _periods(text: str, as_of: date) -> list[_Found]:
    """Every time expression of ``text`` that names a period up to ``as_of``; overlapping
    ones are resolved by the caller (the longest wins)."""
    out: list[_Found] = []

    def add(start: int, end: int, period: Period | None, kw: str = "", *,
            relative: bool) -> None:
        if period is None or period[0] > as_of:  # the future: the event's time, not news
            return
        first, last = period
        kw = " ".join(kw.lower().split())
        if kw in ("since", "from"):
            out.append(_Found(start, end, first, None, relative))
        elif kw == "after":
            out.append(_Found(start, end, last + timedelta(days=1), None, relative))
        elif kw in ("before", "prior to"):
            out.append(_Found(start, end, None, first - timedelta(days=1), relative, False))
        elif kw in ("until", "till", "up to", "through", "by"):
            out.append(_Found(start, end, None, last, relative))
        else:
            out.append(_Found(start, end, first, last, relative))

    def date_of(m: re.Match) -> tuple[Period, str] | None:
        got = _read_form(m["date"], as_of)
        if got is None or (got[1] == "year" and _year_modifies(text, m)):
            return None
        return _modified(m["mod"], got[0]), got[1]

    for m in _RANGE.finditer(text):
        period = _range(m, as_of)
        if period:
            add(m.start(), m.end(), period[:2], relative=period[2])
    for m in _GAPPED.finditer(text):  # before _ANCHORED: equal spans keep the first found
        got = date_of(m)
        if got:
            add(m.start("inner"), m.end(), got[0], m["kw"], relative=got[1] in _ASOF_FORMS)
    for m in _ANCHORED.finditer(text):
        got = date_of(m)
        if got:
            add(m.start(), m.end(), got[0], m["kw"], relative=got[1] in _ASOF_FORMS)
    for m in _BARE.finditer(text):
        got = date_of(m)
        if got is None or got[1] not in _BARE_FORMS or _after_article(text, m.start()):
            continue
        if got[1] == "year" and not _ends_clause(text, m.end()):
            continue  # "the 2022 Emmy Awards": part of a name
        add(m.start(), m.end(), got[0], relative=got[1] in _ASOF_FORMS)
    for rx, fn in _RELATIVE:
        for m in rx.finditer(text):
            if _COMPARISON.search(text[:m.start()]) or _WEEKDAY_TITLES.search(text[:m.start()]):
                continue
            add(m.start(), m.end(), fn(m, as_of), relative=True)
    return out


def _range(m: re.Match, as_of: date) -> tuple[date, date, bool] | None:
    """'between 1 and 5 October 2016', '1-5 October', 'October 1-5, 2016', 'from March to
    May 2016': the first day of one end to the last of the other, the ends sharing what the
    first leaves out."""
    if m["a2"]:
        end = _read_form(m["b2"], as_of)
        if end is None:
            return None
        (last, _), form = end
        first = last.replace(day=int(m["a2"]))
        return (first, last, form in _ASOF_FORMS) if first <= last else None
    if m["mon_a"]:
        year = m["y3"].strip(" ,") if m["y3"] else ""
        a = _read_form(f"{m['mon_a']} {m['a3']} {year}".strip(), as_of)
        b = _read_form(f"{m['mon_a']} {m['b3']} {year}".strip(), as_of)
        if a is None or b is None or a[0][0] > b[0][1]:
            return None
        return a[0][0], b[0][1], not year
    b = _read_form(m["b"], as_of)
    if b is None:
        return None
    (b_first, b_last), b_form = b
    a_text = m["a"].strip()
    if re.fullmatch(r"[0-3]?\d(?:st|nd|rd|th)?", a_text):  # "between 1 and 5 October"
        if b_first != b_last:
            return None
        first = b_first.replace(day=int(re.sub(r"\D", "", a_text)))
        return (first, b_last, b_form in _ASOF_FORMS) if first <= b_last else None
    a = _read_form(a_text, as_of)
    if a is None:
        return None
    (a_first, _), a_form = a
    if a_form in ("mon", "day_mon", "mon_day") and b_form not in _ASOF_FORMS:
        a_first = a_first.replace(year=b_first.year)  # "between March and May 2016"
    if a_first > b_last:
        return None
    return a_first, b_last, a_form in _ASOF_FORMS and b_form in _ASOF_FORMS


def _after_article(text: str, start: int) -> bool:
    """'the January 6 committee', 'a 2016 report': a date used as a modifier."""
    return bool(re.search(r"\b(?:the|a|an)\s+$", text[:start], re.I))


def _ends_clause(text: str, end: int) -> bool:
    """A bare year is a frame only at the end of a clause ("Navalny poisoning 2020")."""
    return bool(re.match(r"\s*(?:$|[?!.,;:)])", text[end:]))


def _year_modifies(text: str, m: re.Match) -> bool:
    """A year (or a number) that belongs to what follows it, not to when: "for the 2022 Emmy
    Awards", "in 2016 World Series games", "of the 2000 people", "over 2000 km"."""
    after = text[m.end():]
    return bool(re.search(r"\bthe\s+$", text[:m.start("date")], re.I)
                or re.match(r"\s+(?-i:[A-Z])", after)
                or re.match(r"\s*(?:people|troops|soldiers|dead|killed|km|kilometres|miles|"
                            r"tons|tonnes|dollars|euros|members|votes|cases|%|percent)",
                            after, re.I))


def _strip(text: str, spans: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for s, e in sorted(spans):
        out.append(text[pos:s])
        pos = e
    out.append(text[pos:])
    return re.sub(r"\s+", " ", "".join(out)).strip() or text


def rank_by_time(passages: list[Passage], frame: TimeFrame) -> list[Passage]:
    """Apply ``frame`` to ranked candidates (best first, scores comparable).

    A hard frame keeps the passages inside it when one of them is on the topic, and all of
    them otherwise (the answer's note then says nothing fell inside).  A soft frame adds a
    bonus that fades with the distance from the frame.  Recency adds a bonus that fades
    with age counted from the newest on-topic passage (capped at the as-of date), so an
    archive older than the as-of date still ranks its newest story first.  Bonuses are in
    units of the score range, so relevance still dominates: a fresh but off-topic article
    does not jump the queue.
    """
    if not passages:
        return passages
    best = max(p.score for p in passages)
    scale = best - min(p.score for p in passages) or 1.0

    def on_topic(p: Passage) -> bool:
        return p.score >= best - (1 - ON_TOPIC) * scale

    if frame.has_period and not frame.soft:
        inside = [p for p in passages if frame.contains(p.date)]
        if any(on_topic(p) for p in inside):
            passages = inside
    bonus = [0.0] * len(passages)
    if frame.has_period and frame.soft:
        for i, p in enumerate(passages):
            dist = frame.distance(p.date)
            if dist is not None:
                bonus[i] += SOFT_FRAME_WEIGHT * 0.5 ** (dist / SOFT_FRAME_HALF_LIFE_DAYS)
    dated = [(_published(p), p) for p in passages]
    if frame.recency:
        newest = max((d for d, p in dated if d and on_topic(p)), default=None)
        if newest is not None:
            newest = min(newest, frame.as_of)
            for i, (d, _) in enumerate(dated):
                if d is not None:
                    age = abs((newest - d).days)
                    bonus[i] += RECENCY_WEIGHT * 0.5 ** (age / RECENCY_HALF_LIFE_DAYS)
    else:
        for i, (d, _) in enumerate(dated):
            age = None if d is None else max(0, (frame.as_of - d).days)
            if age is not None and age < FRESH_HORIZON_DAYS:
                bonus[i] += FRESH_WEIGHT * 0.5 ** (age / FRESH_HALF_LIFE_DAYS)
    if not any(bonus):
        return passages
    out = [replace(p, score=p.score + b * scale) for p, b in zip(passages, bonus, strict=True)]
    return sorted(out, key=lambda p: -p.score)


def _published(p: Passage) -> date | None:
    """The last day a passage's (day, month or year precision) date may stand for."""
    hi = date_bounds(normalize_date(p.date))[1]
    return _from_int(hi) if hi else None


_DAY_REFERENCE = re.compile(
    r"\b(?:(?P<rel>last|this\s+past|on|early|late)\s+)?(?P<wd>" + "|".join(_WEEKDAYS)
    + r")\b|\b(?P<word>yesterday|today|tonight|this\s+(?:morning|afternoon|evening))\b", re.I)


def day_reference(text: str, published: str | None) -> tuple[str, date] | None:
    """The first day named relative to publication in ``text`` ("on Monday", "yesterday")
    and the date it means, read against the article's own date ``published``.

    A report's "on Monday" is the last Monday on or before its date (before it for "last
    Monday"); a reader of the archive needs the date, not the weekday.
    """
    iso = normalize_date(published)
    if not iso or len(iso) != 10:
        return None
    day = date.fromisoformat(iso)
    m = _DAY_REFERENCE.search(text)
    if m is None:
        return None
    if m["word"]:
        word = m["word"].lower()
        return m["word"], day - timedelta(days=1) if word == "yesterday" else day
    rel = (m["rel"] or "").lower()
    return m.group(0), _weekday(day, _WEEKDAYS[m["wd"].lower()], strictly_before=rel == "last")


def describe_day(d: date) -> str:
    """'Monday 10 Oct 2016'."""
    return f"{calendar.day_name[d.weekday()]} {_fmt(d)}"


_YEAR_NAMED = re.compile(r"(?<![\w-])(?:19|20)\d\d(?![\w-])")


def years_named(text: str) -> set[str]:
    """The years ``text`` names ("the 2010 final", "in 2019"), as written."""
    return set(_YEAR_NAMED.findall(text))
