"""Chunks fit the model's window, overlap, and point exactly into the article text."""

from newsqa.ingest.chunker import Chunker


def test_chunks_are_exact_sized_and_overlapping(engine):
    art = next(a for a in engine.catalog.get_many(
        [r[0] for r in engine.catalog.db.execute("SELECT id FROM articles")]).values()
        if len(a.text) > 5000)
    tok = engine.embedder.count_tokens
    chunks = Chunker(tok, 200, 40).split(art)
    assert len(chunks) > 3
    for c in chunks:
        assert art.text[c.start:c.end] == c.text
        assert tok(c.text) <= 200
    # Consecutive chunks overlap by whole sentences (context is not lost at the boundary)
    # unless the sentence at the boundary is longer than the overlap; they cover the text.
    pairs = list(zip(chunks, chunks[1:], strict=False))
    assert sum(b.start < a.end for a, b in pairs) >= 0.5 * len(pairs)
    assert all(b.start <= a.end + 2 for a, b in pairs)
    assert chunks[0].start == 0 and chunks[-1].end == len(art.text.rstrip())
