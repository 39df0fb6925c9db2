"""Follow feeds and sitemaps: rounds that fetch each due source and ingest what is new.

One round, for every source (several sources at once, on a few threads):

1. the source document is fetched with a conditional request (the ``ETag`` and
   ``Last-Modified`` of its last response); a 304 ends the source's round;
2. its entries (ingest/sources.py) are compared with the keys already seen; at most
   ``max_new`` unseen ones are taken (the rest wait for the next round, which then asks
   unconditionally so it sees them again);
3. an entry whose feed carries only a summary, and every sitemap entry, is replaced by its
   linked page (trafilatura), fetched through the same URL guard, size cap and timeout as
   ``newsqa ingest URL``; a page that cannot be had leaves the summary, with a note;
4. the entries' articles are ingested (one ingest at a time, through the ``ingest`` callable:
   the engine's incremental ingest), and only then the source's state (validators, seen
   keys, times) is saved, so a round killed midway is redone, never half-remembered.

A source that fails (network error, HTTP error, a redirect loop, an oversized or garbage
document, a failed ingest) is reported with its reason and backs off: it is next due after
``every`` × 2^failures (at most ``MAX_BACKOFF``, or ``every`` if that is longer); the other
sources go on.  Requests are polite: one at a time per host, ``host_delay`` seconds apart,
with the project's User-Agent (urls.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from newsqa.errors import LoadError, NewsqaError
from newsqa.index.follows import FollowState, SourceState, iso_time
from newsqa.ingest.loaders import Item, LoadOptions
from newsqa.ingest.loaders.feeds import FeedEntry
from newsqa.ingest.sources import document_entries
from newsqa.ingest.urls import fetch, load_url, make_client
from newsqa.types import Article, IngestReport

MAX_BACKOFF = 6 * 3600.0
MAX_SITEMAPS = 5  # sitemaps of a sitemap index read per round (the newest)
WORKERS = 4  # sources fetched at once (each host still sees one request at a time)

IngestFn = Callable[[list[Item]], IngestReport]
RoundProgress = Callable[[int, int, int], None]  # (sources done, sources in the round, new)


@dataclass
class SourceRound:
    """What one round did with one source.

    ``status``: ``new`` (entries were taken and ingested), ``nothing new`` (every entry was
    seen before), ``not modified`` (a 304), or ``failed`` (``error`` says why).
    """

    url: str
    status: str
    entries: int = 0  # entries the document lists
    new: int = 0  # unseen entries taken this round
    waiting: int = 0  # unseen entries left for a later round
    report: IngestReport | None = None
    error: str | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)  # (page, why it was not used)
    next_due: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        r = self.report or IngestReport()
        return {"url": self.url, "status": self.status, "entries": self.entries,
                "new": self.new, "waiting": self.waiting, "added": r.added,
                "updated": r.updated, "unchanged": r.unchanged, "duplicate": r.duplicate,
                "failed": [{"where": w, "reason": why} for w, why in r.failed],
                "failed_unlisted": r.failed_unlisted,
                "notes": [{"where": w, "reason": why} for w, why in self.notes],
                "error": self.error, "next_due": iso_time(self.next_due)}


@dataclass
class RoundReport:
    """Every source of one round, in the order they were given."""

    sources: list[SourceRound]
    started: float
    seconds: float

    @property
    def failed(self) -> list[SourceRound]:
        return [s for s in self.sources if s.status == "failed"]

    def entry_failures(self) -> int:
        """How many entries were taken but could not be ingested (listed or not)."""
        return sum(s.report.n_failed for s in self.sources if s.report)

    def failures(self) -> IngestReport:
        """Every failure of the round as one report, for the CLI's failure list: each failed
        source (its URL and reason), then each failed entry; past the report's listing cap
        they are only counted (``failed_unlisted``), as in a source's own report."""
        out = IngestReport()
        for src in self.failed:
            out.fail(src.url, src.error or "")
        for src in self.sources:
            if src.report:
                for where, reason in src.report.failed:
                    out.fail(where, reason)
                out.failed_unlisted += src.report.failed_unlisted
        return out

    def total(self, name: str) -> int:
        """The sum of one ingest count (``added``, ``updated``, …) over the sources."""
        return sum(getattr(s.report, name) for s in self.sources if s.report)

    def to_dict(self) -> dict[str, Any]:
        return {"started": iso_time(self.started), "seconds": round(self.seconds, 3),
                **{n: self.total(n) for n in ("added", "updated", "unchanged", "duplicate")},
                "failed_sources": len(self.failed), "sources": [s.to_dict() for s in self.sources]}


class HostGate:
    """One request at a time per host, at least ``delay`` seconds after the previous one
    ended, whichever thread asks."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}

    @contextmanager
    def turn(self, url: str) -> Iterator[None]:
        host = (urlsplit(url).hostname or "").lower()
        with self._guard:
            lock = self._locks.setdefault(host, threading.Lock())
        with lock:
            wait = self._last.get(host, float("-inf")) + self.delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                yield
            finally:
                self._last[host] = time.monotonic()


class Follower:
    """Follows ``sources`` (feed and sitemap URLs) into an index, round by round."""

    def __init__(self, sources: Sequence[str], state: FollowState, ingest: IngestFn,
                 options: LoadOptions, *, every: float, host_delay: float,
                 max_new: int) -> None:
        self.sources = list(sources)
        self.state = state
        self.ingest = ingest
        self.options = options
        self.every = every
        self.max_new = max_new
        self.gate = HostGate(host_delay)
        self._writing = threading.Lock()
        state.register(self.sources)

    def due(self) -> list[str]:
        """The sources whose next round is due now (all of them, the first time)."""
        now = time.time()
        return [u for u in self.sources if self.state.get(u).next_due <= now]

    def wait_seconds(self) -> float:
        """Seconds until the next source is due (0: one is due now)."""
        due = min(self.state.get(u).next_due for u in self.sources)
        return max(0.0, due - time.time())

    def run_round(self, urls: Sequence[str] | None = None,
                  progress: RoundProgress | None = None) -> RoundReport:
        """Fetch and ingest ``urls`` (default: every source), whether due or not."""
        started = time.time()
        urls = self.sources if urls is None else list(urls)
        done: list[SourceRound] = []
        lock = threading.Lock()

        def one(url: str) -> SourceRound:
            result = self._follow(url, client)
            with lock:
                done.append(result)
                if progress:
                    progress(len(done), len(urls), sum(s.new for s in done))
            return result

        with make_client(self.options) as client, \
                ThreadPoolExecutor(max_workers=max(1, min(WORKERS, len(urls))),
                                   thread_name_prefix="newsqa-follow") as pool:
            results = list(pool.map(one, urls))
        return RoundReport(results, started, time.time() - started)

    # --- one source ----------------------------------------------------------------
    def _follow(self, url: str, client) -> SourceRound:
        state = self.state.get(url)
        now = time.time()
        try:
            with self.gate.turn(url):
                doc = fetch(url, self.options, client, etag=state.etag,
                            last_modified=state.last_modified)
            if doc.not_modified:
                return self._succeeded(state, now, SourceRound(url, "not modified"))
            entries, sitemaps = document_entries(url, doc, self.options)
            for child in sitemaps[:MAX_SITEMAPS]:
                with self.gate.turn(child):
                    entries += document_entries(child, fetch(child, self.options, client),
                                                self.options)[0]
        except LoadError as err:
            return self._failed(state, now, err.reason)
        fresh = [e for e in dict((e.key, e) for e in entries).values()
                 if e.key not in state.seen]
        taken = fresh[:self.max_new]
        result = SourceRound(url, "new" if taken else "nothing new", entries=len(entries),
                             new=len(taken), waiting=len(fresh) - len(taken))
        items = [self._entry_item(e, client, result.notes) for e in taken]
        if items:
            try:
                with self._writing:
                    result.report = self.ingest(items)
            except NewsqaError as err:
                return self._failed(state, now, f"ingest failed: {err}")
        backlog = result.waiting > 0  # ask in full next time, to see the waiting entries
        state.etag, state.last_modified = (None, None) if backlog else (doc.etag,
                                                                        doc.last_modified)
        seen = (state.seen & {e.key for e in entries}) | {e.key for e in taken}
        return self._succeeded(state, now, result, seen)

    def _entry_item(self, entry: FeedEntry, client, notes: list[tuple[str, str]]) -> Item:
        """The article to ingest for ``entry``: the feed's own when it carries the full text,
        else the linked page's text under the feed's title, date and id.  The dates a feed
        or sitemap gives are the publisher's; a page's is the extractor's guess."""
        summary = entry.article
        if entry.link is None or (summary is not None and entry.full):
            return summary if summary is not None else LoadError(entry.key, "entry has no link")
        with self.gate.turn(entry.link):
            items = list(load_url(entry.link, self.options, client))
        page = next((i for i in items if isinstance(i, Article)), items[0])
        if isinstance(page, LoadError):
            if isinstance(summary, Article):
                notes.append((page.where, f"{page.reason}; the feed's summary was ingested"))
                return summary
            return page
        if not isinstance(summary, Article):  # a sitemap's page: the publisher's date wins
            return replace(page, date=entry.date) if entry.date else page
        return replace(summary, text=page.text, lang=page.lang,
                       date=summary.date or page.date, authors=summary.authors or page.authors)

    def _succeeded(self, state: SourceState, now: float, result: SourceRound,
                   seen: set[str] | None = None) -> SourceRound:
        brought = (result.report.added + result.report.updated) if result.report else 0
        if brought:
            state.last_new, state.last_new_count = now, brought
            state.brought += brought
        state.last_checked, state.last_error, state.failures = now, None, 0
        state.next_due = result.next_due = now + self.every
        self.state.save(state, seen)
        return result

    def _failed(self, state: SourceState, now: float, reason: str) -> SourceRound:
        state.failures += 1
        state.last_checked, state.last_error = now, reason
        backoff = min(self.every * 2 ** state.failures, max(self.every, MAX_BACKOFF))
        state.next_due = now + backoff
        self.state.save(state)
        return SourceRound(state.url, "failed", error=reason, next_due=state.next_due)
