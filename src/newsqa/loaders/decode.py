"""Bytes to text: UTF-8 first, then a detected encoding, never a crash on odd bytes."""

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
        best = from_bytes(data).best()
        if best is not None:
            return str(best)
        return data.decode("utf-8", errors="replace")
