"""Text made safe to store and to print: no terminal control, no unencodable code points.

Archives are written by others, and a title or body can carry what a terminal obeys (an
escape sequence that clears a line or retitles the window) or what no encoder accepts (a lone
surrogate from ``"\\ud800"`` in JSON or ``&#55296;`` in a feed).  The loaders clean every
field once, before an article exists, and the CLI cleans again what it prints, for indexes
built before this rule.
"""

from __future__ import annotations

import re

# Terminal escape sequences (CSI "\x1b[2K", OSC "\x1b]0;title\x07", two-byte ESC x) are
# removed whole, so no "[2K" residue is left in the text; then every other C0/C1 control
# character but newline and tab, and DEL.  Carriage returns, vertical tabs and form feeds
# end a line.
_ESCAPE_SEQ = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
                         r"|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x1b\x9c]*[\x07\x9c]?")
_LINE_ENDS = re.compile(r"\r\n?|[\x0b\x0c\x85]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """``value`` safe to store, index and print: terminal escape sequences and control
    characters removed (newline and tab kept), unpaired surrogates replaced by U+FFFD.

    Cleaning happens once, before an article exists, so the stored text is the cleaned text
    and every chunk and citation offset refers to it.  An escape sequence in a title or body
    would otherwise reach the terminal of whoever reads an answer (clear a line, retitle the
    window), and a lone surrogate ("\\ud800" in JSON, "&#55296;" in a feed) cannot be encoded
    as UTF-8 and would stop the tokenizer, the index and the JSON output.
    """
    if value.isprintable() and value.isascii():  # the common case: nothing to do
        return value
    value = _SURROGATE.sub("\ufffd", value)
    value = _ESCAPE_SEQ.sub("", value)
    value = _LINE_ENDS.sub("\n", value)
    return _CONTROL.sub("", value)


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group(0))
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return ascii(m.group(0))[1:-1]


def one_line(value: str, limit: int = 300) -> str:
    """``value`` as one printable line of at most ``limit`` characters, for messages.

    File names and reasons in an ingest report come from the input: a name with a newline
    would split a one-line report, a name that is not valid UTF-8 (Python hands it over with
    surrogate escapes) cannot even be printed, and a reason quoting a 1 GB line would be 1 GB.
    Newlines and other control characters are shown as ``\\n``-style escapes, undecodable
    bytes as ``\\xff``, and the rest is cut with an ellipsis.
    """
    if not value.isprintable() or not value.isascii():
        value = _UNPRINTABLE.sub(_escape, value)
    return value if len(value) <= limit else value[:limit - 1] + "…"
