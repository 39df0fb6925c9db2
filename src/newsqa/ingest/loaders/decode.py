"""Bytes to text: UTF-8 first, then a detected encoding, never a crash on odd bytes.

Detection on short texts is a coin toss between close code pages (mac_latin2 vs cp1252
for "café"); among results about as plausible as the best, Windows-1252 wins, since it is
what non-UTF-8 Western news exports nearly always are.
"""

from __future__ import annotations

from charset_normalizer import from_bytes

# C0 control bytes no text encoding uses for text (tab, newlines, form feed and ESC aside).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\x0b\x0c\r\x1b")
_BINARY_SHARE = 0.01


def is_binary(head: bytes) -> bool:
    """Whether a file's first block is binary data, whatever its extension: a NUL byte, or
    more than 1% control bytes (random or compressed data has about 10%; text has none)."""
    head = head[:8192]
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > _BINARY_SHARE * len(head)


def decode(data: bytes) -> str:
    """Decode ``data``; UTF-8 (with or without BOM) is tried first, then detection."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        results = list(from_bytes(data))
        if not results:
            return data.decode("utf-8", errors="replace")
        best = results[0]
        preferred = next((r for r in results if r.encoding == "cp1252"
                          and r.chaos <= best.chaos + 0.05 and r.coherence >= best.coherence),
                         best)
        return str(preferred)
