"""Time expressions in questions → date filters or a recency preference, without an LLM.

News questions carry their time frame in words: "in 2016", "last October", "this week", "the
latest", "since the election in March 2019", "before 9 September 2016".  Relative phrases only
mean something against the moment the question was asked: the *as-of* date (``--as-of``, a
question's ``date`` in ``newsqa eval``, else today).

Periods become filters with a little slack at the end (``REPORT_SLACK_DAYS``), because an
event "in October" is often reported in the first days of November; "before X" has none.
Words asking for the newest news ("latest", "recently", "now") add a recency preference and
exclude what was published after the as-of date.  The matched phrases are removed from the
text used for retrieval: "October" in a query would otherwise pull in every article that
merely mentions the month.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from newsqa.types import Filters, Passage

REPORT_SLACK_DAYS = 7
RECENCY_HALF_LIFE_DAYS = 30.0
RECENCY_WEIGHT = 0.3

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTHS["sept"] = 9
_MON = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_MON2 = _MON.replace("?P<mon>", "?P<mon2>")
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_WEEKDAYS = {d.lower(): i for i, d in enumerate(calendar.day_name)}
_NUMWORDS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
             "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "few": 3,
             "several": 5, "couple of": 2}
_NUM = r"(?P<num>\d+|" + "|".join(sorted(_NUMWORDS, key=len, reverse=True)) + r")"
_UNIT = r"(?P<unit>day|week|month|year)s?"

# A date phrase: "31 October 2016", "October 31, 2016", "2016-10-31", "October 2016", "2016".
_DATE_PHRASE = (
    r"(?:(?P<iso>(?:19|20)\d\d-\d\d(?:-\d\d)?)"
    r"|" + _DAY + r"\s+(?:of\s+)?" + _MON + r",?\s+" + _YEAR +
    r"|" + _MON2 + r"\s+(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<year2>(?:19|20)\d\d)"
    r"|(?P<mon3>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?,?\s+"
    r"(?P<year3>(?:19|20)\d\d)"
    r"|(?P<year4>(?:19|20)\d\d))"
)

_RECENT = re.compile(
    r"\b(?:(?:the\s+)?(?:latest|newest|most\s+recent(?:ly)?|recent(?:ly)?|lately|currently|"
    r"right\s+now|nowadays|these\s+days|so\s+far|to\s+date|as\s+of\s+now|now)|"
    r"at\s+the\s+moment|at\s+present|presently)\b", re.I)


@dataclass
class TimeFrame:
    """What a question's time words mean against ``as_of``.

    ``since``/``until`` are the period the words name (inclusive ISO days, either may be
    None); ``recency`` asks for the newest matching news; ``phrases`` are the words matched.
    """

    as_of: date
    since: date | None = None
    until: date | None = None
    recency: bool = False
    slack: bool = True  # allow REPORT_SLACK_DAYS after ``until`` (not for "before X")
    explicit_as_of: bool = False
    relative: bool = False  # some bound came from words relative to as_of: cap at as_of
    phrases: list[str] = field(default_factory=list)
    query: str = ""  # the question without the matched phrases, for retrieval

    @property
    def found(self) -> bool:
        return bool(self.phrases)

    def filters(self, base: Filters | None = None) -> Filters:
        """``base`` narrowed by this frame (the tighter bound wins on each side)."""
        f = replace(base) if base is not None else Filters()
        until = self.until
        if until is not None and self.slack:
            until += timedelta(days=REPORT_SLACK_DAYS)
        if self.recency and until is None:
            until = self.as_of
        if until is not None and (self.relative or self.recency) and until >= self.as_of:
            until = self.as_of + timedelta(days=1)  # the day's later editions / time zones
        if self.since is not None:
            f.since = max(filter(None, [f.since, self.since.isoformat()]))
        if until is not None:
            f.until = min(filter(None, [f.until, until.isoformat()]))
        return f

    def describe(self) -> str:
        """A human line such as 'As of 31 Oct 2016, articles from 1 Oct 2016 to 31 Oct 2016'."""
        head = f"As of {_fmt(self.as_of)}"
        if self.since and self.until:
            span = (_fmt(self.since) if self.since == self.until
                    else f"{_fmt(self.since)} to {_fmt(self.until)}")
            return f"{head}, articles from {span}"
        if self.since:
            return f"{head}, articles since {_fmt(self.since)}"
        if self.until:
            return f"{head}, articles up to {_fmt(self.until)}"
        return f"{head}, the most recent articles" if self.recency else head


def _fmt(d: date) -> str:
    return f"{d.day} {calendar.month_abbr[d.month]} {d.year}"


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _period(m: re.Match, prefix: str = "") -> tuple[date, date] | None:
    """The (first, last) day a ``_DATE_PHRASE`` match names."""
    g = {k[len(prefix):]: v for k, v in m.groupdict().items() if k.startswith(prefix) and v}
    try:
        if "iso" in g:
            parts = [int(p) for p in g["iso"].split("-")]
            if len(parts) == 3:
                d = date(*parts)
                return d, d
            return date(parts[0], parts[1], 1), _month_end(parts[0], parts[1])
        if "day" in g:
            d = date(int(g["year"]), _MONTHS[g["mon"].lower()], int(g["day"]))
            return d, d
        if "day2" in g:
            d = date(int(g["year2"]), _MONTHS[g["mon2"].lower()], int(g["day2"]))
            return d, d
        if "mon3" in g:
            y, mo = int(g["year3"]), _MONTHS[g["mon3"].lower()]
            return date(y, mo, 1), _month_end(y, mo)
        if "year4" in g:
            y = int(g["year4"])
            return date(y, 1, 1), date(y, 12, 31)
    except (ValueError, KeyError):
        return None
    return None


def _last_month_named(as_of: date, month: int, strictly_before: bool) -> tuple[date, date]:
    """The most recent ``month`` at or before as_of's month (before it if ``strictly_before``)."""
    y = as_of.year
    if month > as_of.month or (strictly_before and month == as_of.month):
        y -= 1
    return date(y, month, 1), _month_end(y, month)


def _shift_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def _ago(as_of: date, n: int, unit: str) -> date:
    if unit == "day":
        return as_of - timedelta(days=n)
    if unit == "week":
        return as_of - timedelta(weeks=n)
    if unit == "month":
        return _shift_months(as_of, -n)
    return _shift_months(as_of, -12 * n)


def _num(s: str) -> int:
    s = s.lower()
    return int(s) if s.isdigit() else _NUMWORDS.get(re.sub(r"\s+", " ", s), 1)


def _relative(text: str, as_of: date) -> list[tuple[re.Match, date, date]]:
    """Relative periods: this week, last month, past 3 days, two weeks ago, yesterday, …"""
    out: list[tuple[re.Match, date, date]] = []
    monday = as_of - timedelta(days=as_of.weekday())
    rules: list[tuple[str, object]] = [
        (r"\btoday\b|\bthis\s+(?:morning|afternoon|evening)\b|\btonight\b",
         lambda m: (as_of, as_of)),
        (r"\byesterday\b", lambda m: (as_of - timedelta(days=1),) * 2),
        (r"\b(?:this|the\s+current)\s+week(?:end)?\b|\bthis\s+week'?s\b",
         lambda m: (as_of - timedelta(days=6), as_of)),
        (r"\b(?:last|past|previous)\s+week(?:end)?\b|\ba\s+week\s+ago\b",
         lambda m: (monday - timedelta(days=7), monday - timedelta(days=1))),
        (r"\bthis\s+month\b|\bearlier\s+this\s+month\b",
         lambda m: (as_of.replace(day=1), as_of)),
        (r"\b(?:last|previous)\s+month\b|\ba\s+month\s+ago\b",
         lambda m: (_shift_months(as_of.replace(day=1), -1),
                    as_of.replace(day=1) - timedelta(days=1))),
        (r"\b(?:this|the\s+current)\s+year\b|\bearlier\s+this\s+year\b|\byear\s+to\s+date\b",
         lambda m: (date(as_of.year, 1, 1), as_of)),
        (r"\b(?:last|previous)\s+year\b|\ba\s+year\s+ago\b",
         lambda m: (date(as_of.year - 1, 1, 1), date(as_of.year - 1, 12, 31))),
        (r"\b(?:in\s+|over\s+|during\s+|within\s+)?(?:the\s+)?(?:last|past|previous)\s+"
         + _NUM + r"\s+" + _UNIT + r"\b",
         lambda m: (_ago(as_of, _num(m["num"]), m["unit"].lower()), as_of)),
        (_NUM + r"\s+" + _UNIT + r"\s+ago\b",
         lambda m: _around(_ago(as_of, _num(m["num"]), m["unit"].lower()), m["unit"].lower())),
        (r"\b(?:on\s+|last\s+|this\s+past\s+)(?P<wd>" + "|".join(_WEEKDAYS) + r")\b",
         lambda m: (_weekday_before(as_of, _WEEKDAYS[m["wd"].lower()]),) * 2),
        (r"\b(?P<rel>last|this|past)\s+" + _MON + r"(?!\s*\d)",
         lambda m: _last_month_named(as_of, _MONTHS[m["mon"].lower()],
                                     strictly_before=m["rel"].lower() != "this")),
    ]
    for pattern, fn in rules:
        for m in re.finditer(pattern, text, re.I):
            lo, hi = fn(m)  # type: ignore[operator]
            out.append((m, lo, hi))
    return out


def _around(d: date, unit: str) -> tuple[date, date]:
    """'N units ago' names a moment; allow half a unit either side."""
    half = {"day": 1, "week": 3, "month": 15, "year": 182}[unit]
    return d - timedelta(days=half), d + timedelta(days=half)


def _weekday_before(as_of: date, wd: int) -> date:
    back = (as_of.weekday() - wd) % 7
    return as_of - timedelta(days=back or 7) if back == 0 else as_of - timedelta(days=back)


_ANCHORED = re.compile(
    r"\b(?P<kw>since|after|from|before|prior\s+to|until|till|up\s+to|through|by|in|during|of|"
    r"on|for|around|early|late|mid|in\s+early|in\s+late|in\s+mid|at\s+the\s+end\s+of|"
    r"at\s+the\s+start\s+of|between)[\s-]+(?:(?:the\s+)?(?:\w+\s+){0,4}?(?:on|of|in)\s+)?"
    + _DATE_PHRASE + r"(?!\d)", re.I)
_BARE_DATE = re.compile(r"(?<![\w-])" + _DATE_PHRASE + r"(?![\w-])", re.I)
_MONTH_ONLY = re.compile(
    r"\b(?P<kw>in|during|since|after|before|until|by|early|late|mid|of)[\s-]+" + _MON
    + r"(?![\s,]*\d)", re.I)
_BETWEEN = re.compile(
    r"\b(?:between|from)\s+(?P<a>.{4,25}?)\s+(?:and|to|until|till|-)\s+(?P<b>.{4,25}?)(?=[\s?.,!]|$)",
    re.I)


def parse_time(question: str, as_of: date | None = None) -> TimeFrame:
    """Read the time frame of ``question`` relative to ``as_of`` (default: today)."""
    explicit = as_of is not None
    as_of = as_of or date.today()
    frame = TimeFrame(as_of=as_of, explicit_as_of=explicit, query=question)
    spans: list[tuple[int, int]] = []
    lo: date | None = None
    hi: date | None = None

    def take(m: re.Match, a: date | None, b: date | None, *, slack: bool = True,
             relative: bool = False) -> None:
        nonlocal lo, hi
        if any(m.start() < e and s < m.end() for s, e in spans):
            return
        spans.append((m.start(), m.end()))
        frame.phrases.append(m.group(0).strip())
        if a is not None:
            lo = a if lo is None else max(lo, a)
        if b is not None:
            hi = b if hi is None else min(hi, b)
        if not slack:
            frame.slack = False
        frame.relative |= relative

    for m in _BETWEEN.finditer(question):
        pa, pb = _single_date(m["a"], as_of), _single_date(m["b"], as_of)
        if pa and pb:
            take(m, pa[0], pb[1])
    for m, a, b in _relative(question, as_of):
        take(m, a, b, relative=True)
    for m in _ANCHORED.finditer(question):
        period = _period(m)
        if period is None or (m["year4"] and not _looks_like_year_use(question, m)):
            continue
        _apply_keyword(m["kw"], period, m, take)
    for m in _MONTH_ONLY.finditer(question):
        period = _last_month_named(as_of, _MONTHS[m["mon"].lower()], strictly_before=False)
        _apply_keyword(m["kw"], period, m, lambda *a, **k: take(*a, **k, relative=True))
    for m in _BARE_DATE.finditer(question):
        if m["year4"] and not _looks_like_year_use(question, m):
            continue
        period = _period(m)
        if period:
            take(m, *period)
    for m in _RECENT.finditer(question):
        if any(m.start() < e and s < m.end() for s, e in spans):
            continue
        spans.append((m.start(), m.end()))
        frame.phrases.append(m.group(0).strip())
        frame.recency = True
    if lo and hi and lo > hi:  # contradictory words: trust none of the bounds
        lo = hi = None
    frame.since, frame.until = lo, hi
    frame.query = _strip(question, spans)
    return frame


def _apply_keyword(kw: str, period: tuple[date, date], m: re.Match, take) -> None:
    kw = re.sub(r"\s+", " ", kw.lower())
    first, last = period
    if kw in ("since", "after", "from"):
        take(m, first if kw != "after" else last + timedelta(days=1), None)
    elif kw in ("before", "prior to"):
        take(m, None, first - timedelta(days=1), slack=False)
    elif kw in ("until", "till", "up to", "through", "by"):
        take(m, None, last)
    elif kw in ("early", "in early", "at the start of") and first != last:
        take(m, first, first + (last - first) / 3)
    elif kw in ("late", "in late", "at the end of") and first != last:
        take(m, last - (last - first) / 3, last)
    elif kw in ("mid", "in mid") and first != last:
        third = (last - first) / 3
        take(m, first + third, last - third)
    else:
        take(m, first, last)


def _single_date(text: str, as_of: date) -> tuple[date, date] | None:
    m = re.fullmatch(r"\s*" + _DATE_PHRASE + r"\s*", text, re.I)
    if m:
        return _period(m)
    m = re.fullmatch(r"\s*" + _MON + r"\s*", text, re.I)
    if m:
        return _last_month_named(as_of, _MONTHS[m["mon"].lower()], strictly_before=False)
    return None


def _looks_like_year_use(text: str, m: re.Match) -> bool:
    """A bare 4-digit number is a year unless it is a count ("2000 people") or an id."""
    after = text[m.end():m.end() + 12].lower()
    return not re.match(r"\s*(?:people|troops|soldiers|dead|killed|km|kilometres|miles|"
                        r"tons|tonnes|dollars|euros|members|votes|cases|%|percent)", after)


def _strip(text: str, spans: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for s, e in sorted(spans):
        out.append(text[pos:s])
        pos = e
    out.append(text[pos:])
    return re.sub(r"\s+", " ", "".join(out)).strip() or text


def recency_boost(passages: list[Passage], frame: TimeFrame) -> list[Passage]:
    """Re-sort so newer passages (relative to ``frame.as_of``) win among near-equals.

    The boost is multiplicative on the (positive) retrieval score with a 30-day half-life,
    so relevance still dominates: a fresh but off-topic article does not jump the queue.
    """
    from newsqa.text.dates import normalize_date

    def age_days(p: Passage) -> float | None:
        iso = normalize_date(p.date)
        if not iso:
            return None
        parts = [int(x) for x in iso.split("-")] + [1, 1]
        d = date(parts[0], parts[1], parts[2])
        return max(0.0, (frame.as_of - d).days)

    out = []
    for p in passages:
        age = age_days(p)
        boost = 0.0 if age is None else RECENCY_WEIGHT * 0.5 ** (age / RECENCY_HALF_LIFE_DAYS)
        out.append(replace(p, score=p.score * (1.0 + boost)))
    return sorted(out, key=lambda p: -p.score)
