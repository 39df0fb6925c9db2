"""Dates as stored: ISO strings of day, month or year precision, plus integer bounds.

Chroma ``where`` filters compare numbers only, so each article carries ``date_start`` and
``date_end`` as ``YYYYMMDD`` integers: a month-only date ("2016-09") spans the whole month
and matches ``--since 2016-09-15`` as well as ``--until 2016-09-01``.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime

from dateutil import parser as dateutil_parser

from newsqa.errors import NewsqaError

DATE_FORMS = "YYYY-MM-DD, YYYY-MM or YYYY"  # what a date option accepts, as its help says

_YEAR = re.compile(r"^\s*(\d{4})\s*$")
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_DAY = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})")
_EPOCH = re.compile(r"^\s*\d{9,13}(\.\d+)?\s*$")


def normalize_date(value: object) -> str | None:
    """Return ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` for a date-like value, else None.

    Accepts ISO strings (with or without time and zone), month or year only, epoch seconds
    or milliseconds, ``datetime``/``date`` objects and free forms such as
    ``31 Oct, 2016 13:22`` or ``Mon, 31 Oct 2016 13:22:00 GMT``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    s = value.strip()
    if m := _YEAR.match(s):  # there is no year 0000: the calendar starts at 1
        return m.group(1) if int(m.group(1)) >= 1 else None
    if m := _MONTH.match(s):
        y, mo = int(m.group(1)), int(m.group(2))
        return f"{y:04d}-{mo:02d}" if y >= 1 and 1 <= mo <= 12 else None
    if m := _DAY.match(s):
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            return None
    if _EPOCH.match(s):
        secs = float(s) / (1000 if len(s.split(".")[0].strip()) > 10 else 1)
        return datetime.utcfromtimestamp(secs).date().isoformat()
    try:
        # ignoretz: only the day is kept, and an unknown zone name ("GBT") would warn on stderr
        return dateutil_parser.parse(s, fuzzy=False, ignoretz=True).date().isoformat()
    except (ValueError, OverflowError, TypeError):
        return None


def date_bounds(iso: str | None) -> tuple[int, int]:
    """First and last day covered by an ISO date, as ``YYYYMMDD`` ints; (0, 0) if unknown."""
    if not iso:
        return (0, 0)
    parts = [int(p) for p in iso.split("-")]
    if len(parts) == 1:
        return (parts[0] * 10000 + 101, parts[0] * 10000 + 1231)
    if len(parts) == 2:
        y, m = parts
        last = calendar.monthrange(y, m)[1]
        return (y * 10000 + m * 100 + 1, y * 10000 + m * 100 + last)
    y, m, d = parts
    n = y * 10000 + m * 100 + d
    return (n, n)


def parse_date_option(name: str, value: str | None, *, forms: str = DATE_FORMS) -> str | None:
    """A date a user typed for option ``name`` (``--since``, ``until``, …), as stored dates are.

    The CLI and the bot both read their date options here, so a date one accepts the other
    does too, with the same one-line error (naming the option and the accepted ``forms``).
    """
    if not value:
        return None
    iso = normalize_date(value)
    if iso is None:
        raise NewsqaError(f"{name}: not a date: {value!r} (use {forms})")
    return iso


def parse_as_of_option(name: str, value: str | None) -> date | None:
    """An as-of option (the day a question is asked) as a day; a month or year means its
    first day."""
    iso = parse_date_option(name, value, forms="YYYY-MM-DD")
    return None if iso is None else date.fromisoformat(int_to_iso(date_bounds(iso)[0]))


def int_to_iso(n: int) -> str:
    """Inverse of a day-precision bound: 20161031 -> '2016-10-31'."""
    return f"{n // 10000:04d}-{n // 100 % 100:02d}-{n % 100:02d}"


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h|d)?", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(option: str, value: str) -> float:
    """``30s``, ``15m``, ``2h``, ``1d`` (a bare number is seconds) as seconds; at least 1 s."""
    m = _DURATION.fullmatch(value.strip())
    if not m:
        raise NewsqaError(f"{option}: expected a duration such as 30s, 15m or 2h, got {value!r}")
    seconds = float(m.group(1)) * _UNIT_SECONDS[(m.group(2) or "s").lower()]
    if seconds < 1:
        raise NewsqaError(f"{option}: must be at least 1 second, got {value!r}")
    return seconds
