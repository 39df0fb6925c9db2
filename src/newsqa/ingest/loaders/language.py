"""Language of an article's text, detected offline, so archives in many languages stay filterable.

py3langid (a maintained, faster fork of langid.py; its model ships in the wheel, ~97 languages)
returns ISO 639-1 codes such as ``en``, ``ru``, ``zh``.  Only the first couple of thousand
characters are read: plenty for a language, and it keeps detection at ~2-3 ms an article.
The model loads on first use (~1.5 s), never at import.
"""

from __future__ import annotations

_SAMPLE_CHARS = 2000
_MIN_LETTERS = 20


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text``, or None when there are too few letters to tell."""
    sample = text[:_SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < _MIN_LETTERS:
        return None
    import py3langid

    lang, _score = py3langid.classify(sample)
    return lang
