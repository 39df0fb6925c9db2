"""Bytes to text: UTF-8 first, then a detected encoding, never a crash on odd bytes.

Detection on short texts is a coin toss between close code pages (mac_latin2 vs cp1252
for "café"); among results about as plausible as the best, Windows-1252 wins, since it is
what non-UTF-8 Western news exports nearly always are.
"""

from __future__ import annotations

from charset_normalizer import from_bytes


def is_binary(head: bytes) -> bool:
    """A NUL byte in the first block means this is no text file, whatever its extension."""
    return b"\x00" in head[:8192]


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
