"""Split article text into sentence-aware chunks that fit the embedder's window.

Sizes are counted in the embedder's own tokens (not characters), so no chunk is silently
truncated by the model.  Offsets are exact: ``article.text[chunk.start:chunk.end] == chunk.text``.
"""

from __future__ import annotations

from collections.abc import Callable

from langchain_text_splitters import RecursiveCharacterTextSplitter

from newsqa.types import Article, Chunk

# Sentences and paragraphs are the units (one level, so the overlap is whole sentences);
# a sentence longer than a chunk falls back to clauses, then words.
SEPARATORS = [r"\s*\n\s*|(?<=[.!?…])[\"'”’»)\]]* +", r"(?<=[;:]) +", r"(?<=,) +", r" ", r""]


class Chunker:
    """Token-sized recursive splitter; ``length`` counts tokens of the embedding model."""

    def __init__(self, length: Callable[[str], int], size: int, overlap: int) -> None:
        self._splitter = RecursiveCharacterTextSplitter(
            separators=SEPARATORS,
            is_separator_regex=True,
            keep_separator="end",
            chunk_size=size,
            chunk_overlap=overlap,
            length_function=length,
            strip_whitespace=True,
        )

    def split(self, article: Article) -> list[Chunk]:
        """Chunks of ``article.text`` with offsets located left to right."""
        text = article.text
        chunks: list[Chunk] = []
        pos = 0
        for piece in self._splitter.split_text(text):
            start = text.find(piece, pos)
            if start < 0:  # overlap moved us past it; search from the last start
                start = text.find(piece, chunks[-1].start if chunks else 0)
            if start < 0:
                continue
            chunks.append(Chunk(article.id, len(chunks), start, start + len(piece), piece))
            pos = start + 1
        return chunks
