"""The engine: the one object the CLI, the bot and the benchmarks talk to.

``Engine(settings)`` opens (or creates) the index lazily: nothing heavy happens until a method
needs it, so ``newsqa stats`` never loads the embedding model and ``newsqa --help`` loads
nothing.  Follow a question from :meth:`Engine.ask`: retriever → answerer → :class:`Answer`.

One writer at a time holds the index's write lock (index/writelock.py); any number of
engines in other processes keep answering meanwhile, and each notices new content by the
catalog's generation before a search (:meth:`Engine.refresh`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsqa.config import Settings
from newsqa.errors import IndexMissingError, NewsqaError
from newsqa.index.catalog import Catalog
from newsqa.questions import check_question
from newsqa.types import Answer, Article, Filters, IngestReport, Passage

if TYPE_CHECKING:
    from newsqa.conversations import Turn
    from newsqa.retrieve.followups import Resolution


# A reader reopens its view of a local Chroma at most this often while another process
# writes: reloading the vector graph costs time in proportion to the index.
REFRESH_INTERVAL_S = 2.0

# Removal deletes chunks by id, this many articles a Chroma call: a call has a fixed cost
# (~35 ms) besides ~1 ms a chunk, and progress is reported after each group.
REMOVE_GROUP = 32


def sample_archive_path() -> Path:
    """The bundled sample archive (shipped inside the package, with its ATTRIBUTION.md)."""
    return Path(str(resources.files("newsqa") / "sample_archive"))


@dataclass
class Removal:
    """What :meth:`Engine.remove_articles` did with each id.

    ``orphans`` had chunks in Chroma but no catalog row (never citable, now deleted);
    ``missing`` had neither.
    """

    removed: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


class Engine:
    """Ingests, searches and answers over one index."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.index_dir = Path(self.settings.index)
        self._generation: int | None = None  # the catalog generation the readers reflect
        self._refreshed = 0.0
        self._writes = 0  # writes of this engine in progress (its own views see them)

    # --- components, created on first use --------------------------------------
    def exists(self) -> bool:
        return (self.index_dir / Catalog.FILENAME).exists()

    def _require_index(self) -> None:
        if not self.exists():
            raise IndexMissingError(
                f"no index at {self.index_dir} (run 'newsqa ingest ARCHIVE' or set NEWSQA_INDEX)"
            )

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.index_dir)

    @cached_property
    def embedder(self):  # -> Embedder
        from newsqa.index.embedder import Embedder

        s = self.settings
        return Embedder(s.embed_model, batch_size=s.embed_batch_size, device=s.device,
                        backend=s.embed_backend, threads=s.embed_threads)

    @cached_property
    def store(self):  # -> ChunkStore
        from newsqa.index.store import ChunkStore, make_client

        client = make_client(self.index_dir, self.settings.chroma_url)
        return ChunkStore(client, self.settings.collection, self.embedder)

    def _checked_store(self):
        self.store.check_model(self.embedder.dim)
        return self.store

    @cached_property
    def retriever(self):  # -> Retriever
        from newsqa.retrieve.retriever import Retriever

        return Retriever(self.settings, self._checked_store(), self.catalog, self.embedder,
                         lexical=self.lexical, reranker=self.reranker)

    @cached_property
    def lexical(self):  # -> LexicalIndex
        from newsqa.index.lexical import LexicalIndex

        return LexicalIndex(self.index_dir, self.catalog)

    # --- one writer, many readers ---------------------------------------------------
    @contextmanager
    def writing(self, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the index's write lock for the block, with the lexical index caught up.

        Waits up to ``write_lock_timeout`` seconds for another writer (``on_wait`` hears
        once that it waits), then raises ``WriterBusyError``.  A block that ends normally
        on a local store saves the vector graph when that spares later readers more than
        it costs (index/graph_save.py).
        """
        from newsqa.index import graph_save
        from newsqa.index.writelock import WriteLock

        lock = WriteLock(self.index_dir)
        lock.acquire(self.settings.write_lock_timeout, on_wait=on_wait)
        self._writes += 1
        try:
            if (store := self._local_store()) is not None:
                graph_save.ready_to_write(store, self.index_dir)
            self.lexical.ensure()
            yield
            if (store := self._local_store()) is not None:
                graph_save.after_write(store, self.index_dir)
        finally:
            try:
                self.lexical.close_writer()
            finally:
                self._writes -= 1
                self._generation = self.catalog.generation()  # our views saw our writes
                lock.release()

    def _local_store(self):  # -> ChunkStore | None
        """The store if this engine has opened it and it is local (a server saves itself)."""
        return self.store if "store" in self.__dict__ and not self.settings.chroma_url else None

    def refresh(self) -> None:
        """Catch up with what other processes wrote since the last search.

        The catalog is SQLite (always current); a local Chroma and the lexical reader are
        reopened when the catalog's generation moved.  Journalled changes that no writer is
        applying (a writer was killed) are applied here, if nobody is writing.
        """
        gen = self.catalog.generation()
        if gen == self._generation or self._writes:
            return
        now = time.monotonic()
        if self._generation is not None:
            if now - self._refreshed < REFRESH_INTERVAL_S:
                return
            if "store" in self.__dict__ and self.settings.chroma_url:
                self.store.changed()
            elif "store" in self.__dict__:
                from newsqa.index.store import make_client

                self.store.reopen(make_client(self.index_dir, None, fresh=True))
            self.lexical.reload()
        self._generation, self._refreshed = gen, now
        if self.lexical.needs_repair():
            from newsqa.index.writelock import WriteLock

            lock = WriteLock(self.index_dir)
            if lock.try_acquire():
                try:
                    self.lexical.ensure()
                finally:
                    self.lexical.close_writer()
                    lock.release()

    @cached_property
    def reranker(self):  # -> Reranker | None
        from newsqa.retrieve.rerank import make_reranker

        return make_reranker(self.settings, self.embedder, self.store, self.sentence_vectors)

    @cached_property
    def sentence_vectors(self):  # -> SentenceVectors
        from newsqa.retrieve.rerank import SentenceVectors

        return SentenceVectors(self.embedder)

    @cached_property
    def answerer(self):  # -> ExtractiveAnswerer
        from newsqa.answer.extractive import ExtractiveAnswerer

        s = self.settings
        return ExtractiveAnswerer(self.embedder, self.catalog, max_sentences=s.answer_sentences,
                                  min_support=s.min_support, vectors=self.sentence_vectors)

    @cached_property
    def llm(self):  # -> BaseChatModel | None
        from newsqa.answer.backends import chat_model

        return chat_model(self.settings)

    @cached_property
    def generator(self):  # -> GenerativeAnswerer
        from newsqa.answer.generative import GenerativeAnswerer

        return GenerativeAnswerer(self.llm, self.answerer, self.settings)

    # --- ingest -------------------------------------------------------------------
    def ingest(self, paths: Iterable[str | Path], *, options=None, progress=None,
               on_wait: Callable[[str], None] | None = None) -> IngestReport:
        """Load, chunk, embed and store everything under ``paths`` (files, directories or
        ``http(s)://`` URLs given as strings); see ingest.py and urls.py."""
        from dataclasses import replace

        from newsqa.ingest.loaders import LoadOptions
        from newsqa.ingest.urls import load_inputs

        options = options or LoadOptions()
        if self.settings.allow_private_urls:
            options = replace(options, allow_private_urls=True)
        return self.ingest_articles(load_inputs(list(paths), options), progress=progress,
                                    on_wait=on_wait)

    def check_url(self, url: str) -> None:
        """Raise a LoadError when :meth:`ingest` would refuse to fetch ``url`` (not http(s),
        or a non-public address while ``allow_private_urls`` is off), so a face can refuse
        it before starting an ingest; fetching checks again on every redirect."""
        from newsqa.ingest.urls import check_url

        check_url(url, self.settings.allow_private_urls)

    def ingest_articles(self, items: Iterable[Any], *, progress=None,
                        on_wait: Callable[[str], None] | None = None) -> IngestReport:
        """Ingest already-loaded Articles (and LoadErrors, which are reported).

        Holds the write lock throughout (see :meth:`writing`; ``on_wait`` as there).
        """
        from newsqa.ingest.chunker import Chunker
        from newsqa.ingest.ingestor import Ingestor

        s = self.settings
        store = self._checked_store()
        chunker = Chunker(self.embedder.count_tokens, s.chunk_tokens, s.chunk_overlap_tokens)
        ingestor = Ingestor(self.catalog, store, chunker, self.embedder,
                            max_chars=s.max_article_chars, batch_chunks=s.ingest_batch_chunks,
                            neardup=self.neardup, pipelined=s.ingest_pipeline,
                            lexical=self.lexical)
        with self.writing(on_wait):
            return ingestor.run(items, progress)

    def follower(self, sources: Iterable[str], *, every: float, ingest=None):  # -> Follower
        """A :class:`~newsqa.ingest.follow.Follower` of ``sources`` (feed and sitemap URLs)
        into this index, one round every ``every`` seconds; ``ingest`` (default
        :meth:`ingest_articles`) is how a round stores what it found."""
        from newsqa.index.follows import FollowState
        from newsqa.ingest.follow import Follower
        from newsqa.ingest.loaders import LoadOptions

        s = self.settings
        return Follower(list(sources), FollowState(self.catalog.path),
                        ingest or self.ingest_articles,
                        LoadOptions(allow_private_urls=s.allow_private_urls), every=every,
                        host_delay=s.follow_host_delay, max_new=s.follow_max_new)

    @cached_property
    def neardup(self):  # -> NearDupIndex | None
        """Syndicated-copy detector, or None when ``near_duplicate_threshold`` is 0."""
        from newsqa.ingest.neardup import NearDupIndex

        threshold = self.settings.near_duplicate_threshold
        return NearDupIndex(self.catalog.db, threshold) if threshold > 0 else None

    def remove(self, article_ids: Iterable[str],
               progress: Callable[[int], None] | None = None) -> list[str]:
        """Delete articles; returns the ids that were not found.

        An id with chunks in Chroma but no catalog row (left by an ingest killed between
        the two writes) counts as found: its chunks are deleted.  :meth:`remove_articles`
        says which ids were such orphans.
        """
        return self.remove_articles(article_ids, progress).missing

    def remove_articles(self, article_ids: Iterable[str],
                        progress: Callable[[int], None] | None = None,
                        on_wait: Callable[[str], None] | None = None) -> Removal:
        """Delete articles and say, per id, what was deleted.

        The catalog row goes first (journalled), then the lexical entries, then the chunks:
        a removal killed midway leaves only chunks without a row, which are never cited,
        which re-ingest overwrites and which removing the id again deletes.  The chunks of an
        article with a row are deleted by id (the row counts them); Chroma's metadata is
        searched only when the catalog has no row, because chunks whose row was never
        written are otherwise beyond reach of any command.  ``progress`` receives the number
        of ids handled so far.
        """
        self._require_index()
        result = Removal()
        list_ids = list(article_ids)
        with self.writing(on_wait):
            counts = self.catalog.present(list_ids)
            rows = {aid for aid in list_ids if self.catalog.delete(aid)}
            self.lexical.sync()
            for lo in range(0, len(list_ids), REMOVE_GROUP):
                group = list_ids[lo:lo + REMOVE_GROUP]
                found = {aid: counts.get(aid, 0) for aid in group if aid in rows}
                rows -= found.keys()
                self.store.delete_chunks(found)
                for n, aid in enumerate(group, lo + 1):
                    if found.pop(aid, None) is not None:
                        result.removed.append(aid)
                    elif self.store.has_chunks(aid):
                        self.store.delete_article(aid)
                        result.orphans.append(aid)
                    else:
                        result.missing.append(aid)
                    if progress:
                        progress(n)
        return result

    def doctor(self, repair: bool = False,
               on_wait: Callable[[str], None] | None = None) -> dict[str, Any]:
        """Whether the catalog, the vector store and the lexical index agree (index/health.py),
        as ``Health.as_dict()`` plus ``repaired``: what was done, one line per repair.

        Read-only unless ``repair``: then, under the write lock (``on_wait`` as in
        :meth:`writing`), the lexical index catches up with the catalog (taking the lock
        does that), chunks without a catalog row or past its count are deleted, chunks the
        catalog records but the store lacks are embedded again from the catalog's text, and
        the report is of a fresh check.  Nothing the catalog holds is ever deleted.
        """
        from newsqa.index.health import check, counted
        from newsqa.index.writelock import WriteLock

        self._require_index()
        lock = WriteLock(self.index_dir)
        health = check(self.catalog, self.store.collection, self.lexical, lock)
        done: list[str] = []
        if not repair or not health.problems:
            return {**health.as_dict(), "repaired": done}
        with self.writing(on_wait):
            if health.lock == "stale":
                done.append(f"cleared the write lock left by {health.lock_holder}")
            if not health.lexical_ok:
                done.append("brought the lexical index in line with the catalog ("
                            f"{counted(health.lexical_pending, 'journalled change')} applied, "
                            f"{counted(self.lexical.count(), 'chunk')} indexed)")
            now = check(self.catalog, self.store.collection, self.lexical, lock)
            done += self._repair_store(now)
        final = check(self.catalog, self.store.collection, self.lexical, lock)
        return {**final.as_dict(), "repaired": done}

    def _repair_store(self, health) -> list[str]:  # health: Health
        """Under the write lock: delete orphan and extra chunks, re-embed missing ones."""
        from newsqa.index.health import counted
        from newsqa.ingest.ingestor import embed_text

        done = []
        for aid in health.orphans:
            self.store.delete_article(aid)
        if health.orphans:
            done.append(f"deleted {counted(sum(health.orphans.values()), 'chunk')} of "
                        f"{counted(len(health.orphans), 'article')} not in the catalog")
        rows = {aid: n for aid, *_, n in self.catalog.filter_rows()}
        for aid in health.extra:
            self.store.delete_article(aid, keep_below=rows[aid])
        if health.extra:
            done.append(f"deleted {counted(sum(health.extra.values()), 'chunk')} past the "
                        f"end of {counted(len(health.extra), 'article')}")
        if health.missing:
            store = self._checked_store()
            for aid in health.missing:
                art, chunks = self.catalog.get(aid), self.catalog.chunks_of(aid)
                vectors = self.embedder.encode([embed_text(art, c) for c in chunks])
                store.upsert({aid: art}, chunks, vectors)
            done.append(f"embedded {counted(sum(health.missing.values()), 'missing chunk')} "
                        f"of {counted(len(health.missing), 'article')} again")
        return done

    # --- questions ------------------------------------------------------------------
    def resolve_sources(self, names: Iterable[str] | None) -> list[str] | None:
        """Match user-typed outlet names ("rt", "kremlin") to stored sources.

        Exact (case-insensitive) matches win; otherwise every stored source containing the
        text matches.  An unknown name is an error listing what exists.
        """
        if not names:
            return None
        known = self.catalog.sources()
        out: list[str] = []
        for name in names:
            low = name.strip().lower()
            exact = [s for s in known if s.lower() == low]
            found = exact or [s for s in known if low in s.lower()]
            if not found:
                raise NewsqaError(
                    f"unknown source {name!r}; known: {', '.join(known[:12]) or '(none)'}"
                )
            out.extend(found)
        return list(dict.fromkeys(out))

    def time_frame(self, query: str, as_of: date | None = None):  # -> TimeFrame
        """The time words of ``query`` read against ``as_of`` (default today); timewords.py."""
        from newsqa.text.timewords import parse_time

        return parse_time(query, as_of)

    def search(self, query: str, *, k: int | None = None, filters: Filters | None = None,
               as_of: date | None = None, frame=None) -> list[Passage]:
        """The top passages for ``query`` (at most ``max_per_article`` per article).

        Time words in the query ("in 2019", "this week", "latest"), read against ``as_of``,
        narrow or reorder the result and are left out of the text that is matched; ``filters``
        (the user's ``--since``/``--until``/sources) always hold.  When nothing on the topic
        lies inside the words' period, passages from all dates come back and
        :meth:`compose` says so.
        """
        check_question(query, "query")
        self._require_index()
        self.embedder.warm_up()  # its sessions load while Chroma opens
        self.refresh()
        frame = frame or self.time_frame(query, as_of)
        return self.retriever.search(frame.query, k or self.settings.k, filters, frame=frame)

    def resolve(self, question: str, history: list[Turn] | None = None) -> Resolution:
        """The self-contained search for ``question`` after ``history`` (retrieve/followups.py):
        the lexical resolution, then a language model's rewrite when one is configured."""
        from newsqa.retrieve.followups import Resolution, condense_with_llm, resolve

        if not history:
            return Resolution(question)
        res = resolve(question, history, self.catalog.get_many(history[-1].cited))
        if self.llm is not None:
            rewrite = condense_with_llm(self.llm, question, history,
                                        retries=self.settings.llm_retries)
            if rewrite:
                res.query = rewrite
        return res

    def ask(self, question: str, *, history: list[Turn] | None = None, k: int | None = None,
            filters: Filters | None = None, as_of: date | None = None,
            on_text: Callable[[str], None] | None = None) -> Answer:
        """Answer ``question`` with numbered citations of verbatim excerpts.

        The one question path of every face: follow-up resolution against ``history`` (the
        conversation's earlier turns), search, answer, verification.  ``on_text`` receives the
        checked sentences of a generated answer as they stream.
        """
        from newsqa.retrieve.followups import gather, notes

        check_question(question)
        self._require_index()
        self.embedder.warm_up()  # its sessions load while Chroma opens
        res = self.resolve(question, history)
        frame = self.time_frame(res.query, as_of)

        def search(n: int, within: Filters) -> list[Passage]:
            return self.search(res.query, k=n, filters=within, frame=frame)

        passages = gather(res, search, k or self.settings.k, filters,
                          self.settings.max_per_article)
        answer = self.compose(res.query, passages, frame, on_text=on_text,
                              subject=question if res.kind == "refer" else None,
                              prefer=res.prefer)
        answer.question, answer.query = question, res.query
        answer.notes.extend(notes(question, res, filters, passages, answer.abstained))
        return answer

    def compose(self, question: str, passages: list[Passage], frame=None, *,
                on_text: Callable[[str], None] | None = None,
                subject: str | None = None, prefer: Collection[str] = ()) -> Answer:
        """The answer from retrieved passages, every citation verified (verify.py).

        Extractive by default; with ``settings.llm`` a generated answer whose sentences were
        each checked against their excerpt (generative.py).  ``subject`` is a follow-up's own
        words (see ``ExtractiveAnswerer.score``).  When the question named a time frame, the
        answer says which one it used, or that nothing cited lies inside it; when it asked for
        the latest news, the answer comes from the newest on-topic article if that answers.
        ``prefer`` are the articles a follow-up refers to (the extractive answer favours them).
        """
        from newsqa.answer.verify import verify_answer
        from newsqa.text.timewords import years_named

        # Time words were used as filters; left in, "week" or "latest" would be scored as
        # topic words of the sentences.
        asked = frame.query if frame is not None and frame.found else question
        years = years_named(question)

        def answer_from(ps: list[Passage]) -> Answer:
            if self.llm is None:
                return self.answerer.answer(asked, ps, subject=subject, years=years,
                                            prefer=prefer)
            return self.generator.answer(asked, ps, subject=subject, years=years,
                                         on_text=on_text)

        answer = None
        if frame is not None and frame.recency and passages and self.llm is None:
            answer = answer_from([p for p in passages if p.article_id == passages[0].article_id])
            answer.retrieved = list(dict.fromkeys(p.article_id for p in passages))
        if answer is None or answer.abstained:
            answer = answer_from(passages)
        answer.question = question
        answer = verify_answer(answer, self.catalog, self.embedder,
                               question=asked if self.llm is not None else None)
        if frame is not None and frame.found and not answer.abstained:
            note = frame.note(c.date for c in answer.citations)
            answer.notes.append(note)
            answer.answer = f"{note}: {answer.answer}"
        return answer

    # --- conversations ---------------------------------------------------------------
    @cached_property
    def conversations(self):  # -> ConversationStore
        from newsqa.conversations import ConversationStore

        return ConversationStore(self.index_dir)

    def conversation(self, conversation_id: str | None = None):  # -> Conversation
        """Resume (or start) a persisted conversation whose questions go through :meth:`ask`."""
        from newsqa.conversations import Conversation

        self._require_index()
        return Conversation(self.ask, self.conversations, conversation_id)

    # --- inspection -------------------------------------------------------------------
    def article(self, article_id: str) -> Article:
        self._require_index()
        art = self.catalog.get(article_id)
        if art is None:
            canonical = self.catalog.is_duplicate(article_id)
            if canonical:
                art = self.catalog.get(canonical)
        if art is None:
            raise NewsqaError(f"no article with id {article_id!r}")
        return art

    def stats(self) -> dict[str, Any]:
        """Counts, sources, date range, model and size on disk (no model load)."""
        self._require_index()
        st = self.catalog.stats()
        size = sum(p.stat().st_size for p in self.index_dir.rglob("*") if p.is_file())
        lo, hi = st.pop("date_min"), st.pop("date_max")
        from newsqa.text.dates import int_to_iso

        return {
            **st,
            "date_from": int_to_iso(lo) if lo else None,
            "date_to": int_to_iso(hi) if hi else None,
            "model": self.settings.embed_model,
            "index": str(self.index_dir),
            "chroma": self.settings.chroma_url or "local",
            "size_bytes": size,
            "followed": self.followed(),
        }

    def followed(self) -> list[dict[str, Any]]:
        """The sources followed into this index, each with when it was last checked, when
        it last brought an article and its last error (index/follows.py)."""
        from newsqa.index.follows import FollowState

        state = FollowState(self.catalog.path)
        try:
            return [s.to_dict() for s in state.all()]
        finally:
            state.close()

    def close(self) -> None:
        if "catalog" in self.__dict__:
            self.catalog.close()
