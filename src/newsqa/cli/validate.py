"""Checks of command-line options that need neither the model nor the index.

They run before the engine loads anything, so a mistake is one ``error: …`` line at once
instead of a wait of seconds, or worse a silent "nothing in the archive" (a reversed date
range or a language code that no article can carry matches nothing).
"""

from __future__ import annotations

import re
from functools import cache

from newsqa.errors import NewsqaError
from newsqa.questions import check_question


@cache
def language_codes() -> frozenset[str]:
    """ISO 639 language codes (two and three letters) known to CLDR, via babel.

    babel keeps CLDR's list of language names current and reads it in milliseconds, where
    the language identifier's own list would need its model loaded (~1 s).
    """
    from babel import Locale

    return frozenset(code.lower() for code in Locale("en").languages if "_" not in code)


def check_lang(lang: str | None) -> None:
    """``--lang`` must be an ISO 639 code, optionally with a region (``en``, ``pt-BR``)."""
    if not lang:
        return
    primary = re.split(r"[-_]", lang.strip().lower(), maxsplit=1)[0]
    if primary not in language_codes():
        raise NewsqaError(f"--lang: unknown language code {lang!r} (use an ISO 639 code "
                          "such as en, ru, de, zh)")


def check_range(since: str | None, until: str | None) -> None:
    """``--since`` must not be after ``--until``; unparseable dates are left to the parser,
    which names them."""
    from newsqa.text.dates import date_bounds, normalize_date

    lo, hi = normalize_date(since), normalize_date(until)
    if lo and hi and date_bounds(lo)[0] > date_bounds(hi)[1]:
        raise NewsqaError(f"--since {since} is after --until {until}: no article can match")


def check_options(question: str | None = None, since: str | None = None,
                  until: str | None = None, lang: str | None = None,
                  what: str = "question") -> None:
    """Every check above that applies, plus the question's (empty, over the length cap)."""
    if question is not None:
        check_question(question, what)
    check_range(since, until)
    check_lang(lang)
