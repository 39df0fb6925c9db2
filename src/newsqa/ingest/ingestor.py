"""Ingest: loaded articles → decisions (new, changed, unchanged, duplicate) → chunks → vectors.

Order of writes, which is what makes a killed ingest safe to re-run:
1. chunks and vectors are upserted into Chroma under deterministic ids (``article::n``);
2. stale chunks of the article (numbers past its new count, whether or not the catalog
   knew of them) are deleted;
3. only then the article's catalog row (with its content hash) is committed, journalled for
   the lexical index in the same transaction;
4. the lexical index re-indexes the batch's journalled articles and commits (lexical.py).
An article without a row is redone next time and overwrites the same chunk ids, so the index
never holds duplicate chunks and never cites an article whose chunks are half written; a
journal entry left by a kill after step 3 is replayed by the next writer.  An article that
becomes a copy of another loses its row first and its chunks second, as in a removal.

Speed: decisions and chunking run on the calling thread while the previous batch is embedded
and written on a background thread (pipeline.py), through its own catalog connection so each
article's row commits in its own transaction.  Batches are large (Chroma's write cost is per
call) and few are in flight, so memory does not grow with the archive.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from newsqa.errors import LoadError, LoadSkip
from newsqa.index.catalog import Catalog
from newsqa.index.embedder import Embedder
from newsqa.index.lexical import LexicalIndex
from newsqa.index.store import ChunkStore
from newsqa.ingest.chunker import Chunker
from newsqa.ingest.neardup import NearDupIndex
from newsqa.ingest.pipeline import BackgroundWriter
from newsqa.types import Article, Chunk, IngestReport

Batch = list[tuple[Article, list[Chunk], bool]]  # (article, chunks, is_update)


@dataclass
class Progress:
    """Counters handed to the progress callback as work finishes.

    ``articles`` counts the items read; ``done`` the items finished, which is what a progress
    bar shows: an item settles at once when nothing is written for it (unchanged, duplicate,
    failed, skipped), a new or changed article once its chunks are embedded.  While a batch
    is embedded ``done`` grows by fractions of its articles, so a bar moves steadily through a
    large batch instead of jumping once it is stored.
    """

    articles: int = 0
    chunks: int = 0
    settled: int = 0  # items that needed no write (counted on the reading thread)
    written: float = 0.0  # articles embedded (counted on the writing thread)
    report: IngestReport = field(default_factory=IngestReport)

    @property
    def done(self) -> float:
        return self.settled + self.written


ProgressFn = Callable[[Progress], None]


def embed_text(article: Article, chunk: Chunk) -> str:
    """What is embedded: the title gives a chunk its context; citations use ``chunk.text``."""
    return f"{article.title}\n\n{chunk.text}" if article.title else chunk.text


def another_article(old: Article | None, new: Article) -> bool:
    """Whether ``new`` is another story than ``old`` under the same id, not a new version.

    A corrected or extended version keeps its link (or, without links, its headline); a
    record reusing some other article's id does not, and must not silently replace it.
    """
    if old is None:
        return False
    if old.url and new.url:
        return old.url != new.url
    return old.title != new.title


class Ingestor:
    """Runs one ingest over a stream of articles; collects a report."""

    def __init__(self, catalog: Catalog, store: ChunkStore, chunker: Chunker,
                 embedder: Embedder, *, max_chars: int, batch_chunks: int = 512,
                 on_change: Callable[[], None] | None = None,
                 neardup: NearDupIndex | None = None, pipelined: bool = True,
                 lexical: LexicalIndex | None = None) -> None:
        self.catalog = catalog
        self.store = store
        self.chunker = chunker
        self.embedder = embedder
        self.max_chars = max_chars
        self.batch_chunks = batch_chunks
        self.on_change = on_change
        self.neardup = neardup
        self.pipelined = pipelined
        self.lexical = lexical

    def run(self, items: Iterable[Article | LoadError],
            progress: ProgressFn | None = None) -> IngestReport:
        t0 = time.perf_counter()
        state = Progress()
        report = state.report
        pending: Batch = []
        run_texts: dict[str, str] = {}  # text hash -> id, for duplicates within this run
        run_ids: dict[str, Article] = {}  # id -> the first article of this run with it
        changed = False
        writes = Catalog(self.catalog.path.parent) if self.pipelined else self.catalog

        def write(batch: Batch) -> None:
            base, n_chunks = state.written, sum(len(c) for _, c, _ in batch)

            def embedded(rows: int) -> None:
                state.written = base + len(batch) * rows / n_chunks
                if progress:
                    progress(state)

            self._write(batch, report, writes, embedded)
            state.written = base + len(batch)
            state.chunks += n_chunks

        writer = BackgroundWriter(write) if self.pipelined else None

        def flush(wait: bool = False) -> None:
            nonlocal changed
            if pending:
                if writer:
                    writer.submit(list(pending))
                else:
                    write(pending)
                changed = True
                pending.clear()
            if writer and wait:
                writer.drain()
            if progress:
                progress(state)

        try:
            self._decide(items, state, pending, run_texts, run_ids, flush, progress)
            flush(wait=True)
            if self.lexical is not None:  # removals (an article become a copy) since
                self.lexical.sync(self.catalog)
        finally:
            if writer:
                writer.close()
                writes.close()
        if changed and self.on_change:
            self.on_change()
        report.chunks = state.chunks
        report.seconds = time.perf_counter() - t0
        return report

    def _decide(self, items: Iterable[Article | LoadError], state: Progress, pending: Batch,
                run_texts: dict[str, str], run_ids: dict[str, Article],
                flush: Callable[..., None], progress: ProgressFn | None) -> None:
        """Classify each item; new and changed articles are chunked into ``pending``."""
        for item in items:
            state.articles += 1
            if not self._classify(item, state.report, pending, run_texts, run_ids, flush):
                state.settled += 1
                if progress:
                    progress(state)
            elif sum(len(c) for _, c, _ in pending) >= self.batch_chunks:
                flush()

    def _classify(self, item: Article | LoadError, report: IngestReport, pending: Batch,
                  run_texts: dict[str, str], run_ids: dict[str, Article],
                  flush: Callable[..., None]) -> bool:
        """Record what ``item`` is; True when it was queued in ``pending`` to be written."""
        if isinstance(item, LoadSkip):
            report.skip(item.where, item.reason)
            return False
        if isinstance(item, LoadError):
            report.fail(item.where, item.reason)
            return False
        art = item
        if len(art.text) > self.max_chars:
            report.fail(art.origin or art.id,
                        f"text too long ({len(art.text):,} chars > {self.max_chars:,} limit)")
            return False
        where = art.origin or art.id
        if (first := run_ids.get(art.id)) is not None:
            if another_article(first, art):
                report.fail(where, f"id {art.id!r} is already used by another article in "
                                   f"this run ({first.origin}); not ingested")
                return False
            flush(wait=True)  # a new version under the same id: the later record wins
        old_hash = self.catalog.record_hash(art.id)
        if old_hash is not None and old_hash != art.record_hash and first is None \
                and another_article(stored := self.catalog.get(art.id), art):
            report.fail(where, f"id {art.id!r} already belongs to another article "
                               f"({stored.title!r}); not replaced (remove it first or give "
                               "this record an id of its own)")
            return False
        run_ids.setdefault(art.id, art)
        if old_hash == art.record_hash:
            report.unchanged += 1
            return False
        canonical = run_texts.get(art.text_hash) or self.catalog.id_with_text(art.text_hash)
        sig = None
        if not canonical and self.neardup is not None:
            # A syndicated copy: not the same text, but nearly (see neardup.py).
            sig = self.neardup.signature(art.text)
            if sig is not None:
                canonical = self.neardup.find(
                    sig, art.id,
                    alive=lambda i: i in run_ids or self.catalog.record_hash(i) is not None)
        if canonical and canonical != art.id:
            if old_hash is not None:  # it was its own article before; now a copy
                self._remove(art.id)
            self.catalog.add_duplicate(art, canonical)
            report.duplicate += 1
            return False
        run_texts[art.text_hash] = art.id
        chunks = self.chunker.split(art)
        if not chunks:
            report.fail(art.origin or art.id, "no text to index")
            return False
        if sig is not None:
            self.neardup.add(art.id, sig)
        pending.append((art, chunks, old_hash is not None))
        return True

    def _write(self, batch: Batch, report: IngestReport, catalog: Catalog,
               embedded: Callable[[int], None]) -> None:
        articles = {a.id: a for a, _, _ in batch}
        chunks = [c for _, cs, _ in batch for c in cs]
        vectors = self.embedder.encode([embed_text(articles[c.article_id], c) for c in chunks],
                                       progress=embedded)
        self.store.upsert(articles, chunks, vectors)
        # Chunks past an article's new count are stale, whether the catalog knows of them
        # (a shorter update) or not (a longer version whose ingest died before its row).
        self.store.delete_tails({a.id: len(cs) for a, cs, _ in batch})
        for art, cs, is_update in batch:
            catalog.upsert(art, cs)
            if is_update:
                report.updated += 1
            else:
                report.added += 1
        if self.lexical is not None:
            self.lexical.sync(catalog)

    def _remove(self, article_id: str) -> None:
        n = self.catalog.n_chunks(article_id)
        self.catalog.delete(article_id)
        self.store.delete_chunks({article_id: n})
