"""newsqa: question answering over news archives, every claim cited to a verbatim excerpt.

The subpackages follow a question's and an article's path: ``ingest`` (loaders → articles →
chunks), ``index`` (embedder, Chroma store, catalog, lexical index), ``text`` (words,
sentences, dates, time words), ``retrieve`` (follow-ups, hybrid search, rerank), ``answer``
(extractive and generative answers, verification), and the faces: ``cli`` here and the
Discord bot in the repository's ``bot/``.  Both talk only to :class:`newsqa.engine.Engine`.
"""
