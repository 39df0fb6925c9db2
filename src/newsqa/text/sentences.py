"""Sentence spans with exact character offsets, for picking and citing answer sentences.

A quote is only trustworthy if it is a verbatim slice of the article, so this works on
offsets (``text[start:end]``), never on re-joined strings.
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? … (plus closing quotes/brackets) followed by space and a likely
# sentence start, or at a line break.
_BOUNDARY = re.compile(
    r"""(?<=[.!?…])[\"'”’»)\]]*\s+(?=[\"'“‘«(\[]?[A-Z0-9À-ÖØ-Þ])|\n+"""
)
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Gen|Col|Lt|Sgt|Capt|Gov|Sen|Rep|Pres|Rev|Hon|No|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|vs|etc|Inc|Ltd|Co|Corp|approx|"
    r"e\.g|i\.e|U\.S|U\.K|U\.N|a\.m|p\.m)|\b[A-Z])\.$"
)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of the sentences of ``text[start:end]``, whitespace trimmed."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    pos = start
    for m in _BOUNDARY.finditer(text, start, end):
        cut = m.start()
        # Keep closing quotes with the sentence they close.
        while cut < m.end() and not text[cut].isspace():
            cut += 1
        tail = text[max(pos, cut - 12):cut].rstrip("\"'”’»)]")
        if m.group(0).strip("\n") and _ABBREV.search(tail):
            continue
        _add(text, pos, cut, spans)
        pos = m.end()
    _add(text, pos, end, spans)
    return spans


def _add(text: str, a: int, b: int, spans: list[tuple[int, int]]) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b - a >= 2:
        spans.append((a, b))
