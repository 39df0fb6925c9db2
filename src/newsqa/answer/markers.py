"""Citation markers belong to the answerer: a bracketed number in article text is prose.

Answers mark each claim with ``[n]``, and the verifier and the Discord renderer read those
markers back.  Articles have their own brackets ("next year [2]", a footnote, an editor's
"[1]"), and a quote carried into an answer unchanged would add markers that cite nothing or
the wrong source.  Quotes are therefore written into an answer's prose with their bracketed
numbers in round brackets, "(2)", which a reader still reads as the article wrote it; the
:class:`~newsqa.types.Citation` keeps the verbatim quote and its exact offsets.
"""

from __future__ import annotations

import re

# "[2]", "[ 3 ]", "[1, 2]", "[4–6]": anything a reader or a parser could take for a marker.
_BRACKETED_NUMBER = re.compile(r"\[(\s*\d+(?:\s*[,;–-]\s*\d+)*\s*)\]")


def as_prose(quote: str) -> str:
    """``quote`` as it may appear in an answer's text: bracketed numbers in round brackets,
    so that only the answerer's own ``[n]`` markers are markers."""
    return _BRACKETED_NUMBER.sub(r"(\1)", quote)
