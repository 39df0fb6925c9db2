"""The lexical index: BM25 (tantivy) over Snowball-stemmed chunk texts, next to Chroma.

Dense vectors miss rare names, numbers and exact phrases that news questions are full of
("Al-Nusra", "Deir ez-Zor", "resolution 2254"); BM25 finds them.  The index lives in
``INDEX/lexical/`` as a tantivy index: segments that take added and deleted documents, so an
ingest or removal costs time in proportion to the articles it changed, not to the archive.

Text is analysed here, in Python, and handed to tantivy as space-separated terms (a
whitespace tokenizer on its side), so chunks and queries go through one analyser: lower
case, words of two or more letters or digits, stopwords (Lucene's English list and the
question words the answerer ignores) dropped, then the English Snowball stemmer.

Consistency with the catalog: every change of an article row journals its id in the same
SQLite transaction (catalog.py).  :meth:`LexicalIndex.sync` deletes and re-adds the
journalled articles, commits, and only then clears their entries, so a writer killed at any
step leaves entries that the next writer (or a reader finding no writer) replays; replaying
is idempotent.  An index that is missing, in the older bm25s layout, or whose document count
disagrees with the catalog is rebuilt from the catalog once, with a message.

Filters are fast fields (date bounds, source, language) applied inside the query, so lexical
hits obey ``--since``/``--source`` exactly as dense hits do.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from newsqa.index.catalog import Catalog
from newsqa.text.dates import date_bounds
from newsqa.types import Filters

DIRNAME = "lexical"
_TOKENIZER = "newsqa_terms"
_WORD = re.compile(r"(?u)\b\w\w+\b")
# Lucene's English stopwords (what the index used before tantivy, kept for equal recall).
_LUCENE_STOPWORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
    "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "will", "with"))
_WRITER_HEAP = 64_000_000
log = logging.getLogger("newsqa")


def _stopwords() -> frozenset[str]:
    from newsqa.text.words import STOPWORDS

    return _LUCENE_STOPWORDS | frozenset(STOPWORDS)


_STOPWORDS = _stopwords()


class Analyzer:
    """Lower case, words of 2+ characters, stopwords out, Snowball English stems."""

    def __init__(self) -> None:
        import Stemmer

        self._stem = Stemmer.Stemmer("english").stemWords

    def __call__(self, text: str) -> list[str]:
        return self._stem([w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS])


def _schema():
    import tantivy

    b = tantivy.SchemaBuilder()
    b.add_text_field("chunk_id", stored=True, tokenizer_name="raw", index_option="basic")
    b.add_text_field("article_id", tokenizer_name="raw", index_option="basic")
    b.add_text_field("text", tokenizer_name=_TOKENIZER, index_option="freq")
    b.add_integer_field("date_start", indexed=True, fast=True)
    b.add_integer_field("date_end", indexed=True, fast=True)
    b.add_text_field("source", tokenizer_name="raw", fast=True, index_option="basic")
    b.add_text_field("lang", tokenizer_name="raw", fast=True, index_option="basic")
    return b.build()


def _open(path: Path, create: bool = False):
    """A tantivy index at ``path`` with newsqa's analyser registered (it is not persisted)."""
    import tantivy

    index = tantivy.Index(_schema(), str(path)) if create else tantivy.Index.open(str(path))
    index.register_tokenizer(
        _TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
    return index


def is_old_format(path: Path) -> bool:
    """The bm25s layout (``chunks.npz`` + ``bm25/``) that came before tantivy."""
    return (path / "chunks.npz").exists() or (path / "bm25").is_dir()


class LexicalIndex:
    """BM25 over every chunk of the catalog, updated by the catalog's journal.

    Readers call :meth:`search` (and :meth:`reload` when the catalog's generation moved);
    writers, holding the index's write lock (writelock.py), call :meth:`ensure` once, then
    :meth:`sync` after each batch of catalog writes, then :meth:`close_writer`.
    """

    def __init__(self, index_dir: Path, catalog: Catalog,
                 notify: Callable[[str], None] | None = None) -> None:
        self.dir = index_dir / DIRNAME
        self.catalog = catalog
        self.analyze = Analyzer()
        self.notify = notify or log.warning
        self._index = None  # the reader's view, reopened by reload()
        self._writer_index = None
        self._writer = None

    # --- state ----------------------------------------------------------------
    def usable(self) -> bool:
        """Whether ``lexical/`` holds a tantivy index of the current layout."""
        import tantivy

        return (self.dir.is_dir() and not is_old_format(self.dir)
                and tantivy.Index.exists(str(self.dir)))

    def needs_repair(self) -> bool:
        """Whether the index lags the catalog (a missing or old index, or journalled changes
        not yet applied: a writer is busy or was killed)."""
        return not self.usable() or bool(self.catalog.lexical_pending()[1])

    def ensure(self, catalog: Catalog | None = None) -> None:
        """Under the write lock: make the index agree with the catalog, cheaply when it does.

        Replays the journal; rebuilds once when the index is missing, old or miscounted.
        """
        catalog = catalog or self.catalog
        if is_old_format(self.dir):
            self.notify(f"the lexical index in {self.dir} is in the older bm25s format;"
                        " rebuilding it from the catalog once")
            self.rebuild(catalog)
            return
        if not self.usable():
            if catalog.total_chunks():
                self.notify(f"no lexical index in {self.dir}; building it from the catalog")
            self.rebuild(catalog)
            return
        self.sync(catalog)
        have, want = self.count(), catalog.total_chunks()
        if have != want:
            self.notify(f"the lexical index holds {have:,} chunks but the catalog {want:,};"
                        " rebuilding it from the catalog")
            self.rebuild(catalog)

    def count(self) -> int:
        """Documents (chunks) in the index as of its latest commit."""
        index = _open(self.dir)
        index.reload()
        return index.searcher().num_docs

    # --- writes -----------------------------------------------------------------
    def _add(self, writer, docs: Iterable[tuple[str, str, str, int, int, str, str]]) -> int:
        import tantivy

        n = 0
        for cid, aid, text, lo, hi, source, lang in docs:
            writer.add_document(tantivy.Document(
                chunk_id=cid, article_id=aid, text=" ".join(self.analyze(text)),
                date_start=lo, date_end=hi, source=source, lang=lang))
            n += 1
        return n

    def sync(self, catalog: Catalog | None = None) -> int:
        """Re-index the articles the catalog journalled, commit, clear them; returns #chunks
        added.  The caller holds the write lock; ``catalog`` is its connection."""
        catalog = catalog or self.catalog
        upto, ids = catalog.lexical_pending()
        if not ids:
            return 0
        if self._writer is None:
            create = not self.usable()
            if create:
                self.dir.mkdir(parents=True, exist_ok=True)
            self._writer_index = _open(self.dir, create=create)
            self._writer = self._writer_index.writer(_WRITER_HEAP, 1)
        for aid in ids:
            self._writer.delete_documents_by_term("article_id", aid)
        n = self._add(self._writer, catalog.lexical_docs(ids))
        self._writer.commit()
        catalog.lexical_done(upto)
        self._index = None  # this process's searches see the commit at once
        return n

    def close_writer(self) -> None:
        """Let pending segment merges finish and release tantivy's own writer lock."""
        if self._writer is not None:
            self._writer.wait_merging_threads()
        self._writer = self._writer_index = None

    def rebuild(self, catalog: Catalog | None = None) -> int:
        """Index every chunk of the catalog anew and swap it in; returns #chunks.

        Built in a temporary directory, so a reader never sees half an index and a killed
        rebuild leaves the old one (its leftover ``.lexical-*`` directory is removed next time).
        """
        catalog = catalog or self.catalog
        self.close_writer()
        upto = catalog.generation()
        self.dir.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.dir.parent.glob(f".{DIRNAME}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{DIRNAME}-", dir=self.dir.parent))
        tmp.chmod(0o755)  # mkdtemp's 0700 would hide the index from other users of it
        try:
            index = _open(tmp, create=True)
            writer = index.writer(_WRITER_HEAP, 1)
            n = self._add(writer, catalog.lexical_docs())
            writer.commit()
            writer.wait_merging_threads()
            old = self.dir.with_name(f".{DIRNAME}-old-{os.getpid()}")
            if self.dir.exists():
                os.replace(self.dir, old)
            os.replace(tmp, self.dir)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        catalog.lexical_done(upto)
        self._index = None
        return n

    # --- reads ------------------------------------------------------------------
    def reload(self) -> None:
        """See the latest commit (another process may have written, or rebuilt, the index)."""
        self._index = None

    def _reader(self):
        """The index as of its latest commit (None: there is none yet)."""
        index = self._index
        if index is None:
            if not self.usable():
                return None
            index = self._index = _open(self.dir)
        return index

    def search(self, query: str, n: int, filters: Filters | None = None
               ) -> list[tuple[str, float]]:
        """``(chunk_id, bm25_score)`` of the best ``n`` chunks with a positive score."""
        import tantivy

        index = self._reader()  # a local: another thread may reload meanwhile
        terms = self.analyze(query)
        if index is None or not terms or n <= 0:
            return []
        searcher, schema = index.searcher(), index.schema
        text = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "text", t, "freq"))
             for t in terms])
        clauses = [(tantivy.Occur.Must, text)]
        clauses += [(tantivy.Occur.Must, tantivy.Query.const_score_query(q, 0.0))
                    for q in self._filter_queries(schema, filters)]
        query_ = clauses[0][1] if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)
        hits = searcher.search(query_, n, count=False).hits
        return [(searcher.doc(addr)["chunk_id"][0], float(score))
                for score, addr in hits if score > 0]

    @staticmethod
    def _filter_queries(schema, filters: Filters | None) -> list:
        """The filters as tantivy queries on the fast fields (the same terms as store.py's)."""
        import tantivy

        if filters is None or filters.is_empty():
            return []
        i64 = tantivy.FieldType.Integer
        out = []
        if filters.since:
            out.append(tantivy.Query.range_query(schema, "date_end", i64,
                                                 date_bounds(filters.since)[0], None))
        if filters.until:
            out.append(tantivy.Query.range_query(schema, "date_start", i64,
                                                 0 if filters.undated else 1,
                                                 date_bounds(filters.until)[1]))
        if filters.sources:
            out.append(tantivy.Query.term_set_query(schema, "source", list(filters.sources)))
        if filters.lang:
            out.append(tantivy.Query.term_query(schema, "lang", filters.lang))
        if filters.article_ids:
            out.append(tantivy.Query.term_set_query(schema, "article_id",
                                                    list(filters.article_ids)))
        return out
