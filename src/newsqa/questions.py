"""What a question may be: the checks every face (CLI, chat, bot, engine) applies first.

Kept in a module that imports nothing, so the command line refuses a bad question before
the settings, the model or the index are even imported.
"""

from __future__ import annotations

from newsqa.errors import NewsqaError

# Longer questions are refused: a question is a sentence or two, and the embedder reads only
# its first 256 tokens anyway, while a pasted article would be scored word by word.
MAX_QUESTION_CHARS = 1000


def check_question(question: str, what: str = "question") -> str:
    """``question`` stripped, or a one-line error when it is empty or over the cap; ``what``
    names it in the message (a search's "query" has the same cap)."""
    text = question.strip()
    if not text:
        raise NewsqaError(f"empty {what}")
    if len(text) > MAX_QUESTION_CHARS:
        raise NewsqaError(f"{what} too long ({len(text):,} characters; the limit is "
                          f"{MAX_QUESTION_CHARS:,})")
    return text
