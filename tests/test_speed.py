"""Speed features must not change results: own batching, the int8 backend, pipelined ingest."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from newsqa.config import Settings
from newsqa.engine import Engine, sample_archive_path
from newsqa.index.embedder import Embedder
from newsqa.index.onnx_backend import onnx_installed
from newsqa.ingest.ingestor import Ingestor
from newsqa.ingest.loaders import load_paths
from newsqa.ingest.pipeline import BackgroundWriter

TEXTS = [
    "Lavrov said the West would be an accomplice of al-Nusra.",
    "The President met the Prime Minister of Japan in the Kremlin to discuss trade.",
    "Short.",
    "Scientists found that ants cooperate when they build bridges out of their own bodies, "
    "a behaviour that lets a colony cross gaps many times longer than a single worker.",
    "Gas supplies to Europe were discussed at length.",
]


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return Embedder(backend="torch")


@pytest.mark.slow
def test_encode_matches_sentence_transformers_in_input_order(torch_embedder):
    """Length-sorted batching must hand vectors back in the caller's order."""
    ours = torch_embedder.encode(TEXTS)
    ref = torch_embedder.model.encode(TEXTS, normalize_embeddings=True)
    assert ours.shape == (len(TEXTS), 384)
    assert np.allclose((ours * ref).sum(1), 1.0, atol=1e-4)
    assert torch_embedder.tokens_embedded > len(TEXTS) * 2


@pytest.mark.skipif(not onnx_installed(), reason="onnx extra not installed")
@pytest.mark.slow
def test_onnx_int8_vectors_close_to_torch_and_rank_alike(torch_embedder):
    onnx = Embedder(backend="onnx-int8")
    a, b = torch_embedder.encode(TEXTS), onnx.encode(TEXTS)
    assert (a * b).sum(1).min() > 0.97
    q = "What did Lavrov say about al-Nusra?"
    assert np.argmax(a @ torch_embedder.encode([q])[0]) == np.argmax(b @ onnx.encode([q])[0]) == 0
    # The speed comes from fusion: attention, embeddings+LayerNorm and bias+GELU are single
    # kernels and the matrix products are int8; an unfused export would still pass the above.
    import onnx as onnx_lib

    from newsqa.index.embedder import resolve_model
    from newsqa.index.onnx_backend import export_path

    ops = {n.op_type for n in onnx_lib.load(str(export_path(resolve_model(onnx.name)))).graph.node}
    assert {"QAttention", "QEmbedLayerNormalization", "SkipLayerNormalization",
            "BiasGelu", "MatMulInteger"} <= ops
    assert "Softmax" not in ops
    # Questions go through the fused graph in fp32: as exact as torch, unlike int8.
    fp32_q = np.asarray(torch_embedder.embed_query(q))
    assert float(np.asarray(onnx.embed_query(q)) @ fp32_q) > 0.9999
    assert float(onnx.encode([q])[0] @ fp32_q) < 0.9999


@pytest.mark.skipif(not onnx_installed(), reason="onnx extra not installed")
def test_sessions_warmed_up_in_the_background_encode_as_cold_ones(engine):
    """A fresh process builds its ONNX sessions on a thread while it opens Chroma; the
    thread's sessions then serve the process, with the same vectors as sessions built on the
    spot.  ``engine`` has run the first export already."""
    warm = Embedder(backend="onnx-int8")
    warm.warm_up()
    assert warm._warming is not None  # the exports exist: the thread was started
    q = "What did Lavrov say about al-Nusra?"
    got = np.asarray(warm.embed_query(q)), warm.encode(TEXTS)
    assert not warm._warming.is_alive()
    cold = Embedder(backend="onnx-int8")
    assert np.allclose(got[0], cold.embed_query(q)) and np.allclose(got[1], cold.encode(TEXTS))
    thread = warm._warming
    warm.warm_up()  # once only: a warm engine starts no second thread
    assert warm._warming is thread


@pytest.mark.slow
def test_bf16_backend_is_within_rounding_of_fp32(torch_embedder):
    b = Embedder(backend="torch-bf16").encode(TEXTS)
    assert b.dtype == np.float32
    assert (torch_embedder.encode(TEXTS) * b).sum(1).min() > 0.999


def test_unknown_backend_is_a_clear_error():
    from newsqa.errors import NewsqaError

    with pytest.raises(NewsqaError, match="unknown embed backend"):
        Embedder(backend="tpu")


def test_background_writer_keeps_order_and_surfaces_errors():
    seen: list[int] = []

    def write(n: int) -> None:
        if n == 3:
            raise ValueError("disk full")
        seen.append(n)

    w = BackgroundWriter(write, depth=1)
    for n in range(3):
        w.submit(n)
    w.drain()
    assert seen == [0, 1, 2]
    w.submit(3)
    w.submit(4)  # skipped: nothing is written after a failure
    with pytest.raises(ValueError, match="disk full"):
        w.close()
    assert seen == [0, 1, 2]


def archive_with_repeats(dest: Path) -> Path:
    """Kremlin records, one id repeated with new text and one text under a second id."""
    src = sample_archive_path() / "kremlin-2016.jsonl"
    recs = [json.loads(ln) for ln in itertools.islice(src.open(encoding="utf-8"), 8)]
    changed = {**recs[2], "text": recs[2]["text"] + "\n\nA later correction."}
    copy = {**recs[5], "id": "kremlin-copy", "url": "http://example.org/copy"}
    out = dest / "a.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in [*recs, changed, copy]), "utf-8")
    return out


def ingest_contents(index: Path, archive: Path, pipelined: bool) -> tuple:
    eng = Engine(Settings(index=index))
    s = eng.settings
    from newsqa.ingest.chunker import Chunker

    chunker = Chunker(eng.embedder.count_tokens, s.chunk_tokens, s.chunk_overlap_tokens)
    # Small batches so the pipelined run really has several batches in flight.
    report = Ingestor(eng.catalog, eng._checked_store(), chunker, eng.embedder,
                      max_chars=s.max_article_chars, batch_chunks=8,
                      pipelined=pipelined).run(load_paths([archive]))
    got = eng.store.collection.get(include=["documents", "metadatas", "embeddings"])
    order = np.argsort(got["ids"])
    rows = eng.catalog.db.execute(
        "SELECT id, text_hash, n_chunks FROM articles ORDER BY id").fetchall()
    dups = eng.catalog.db.execute("SELECT id, canonical_id FROM duplicates").fetchall()
    eng.close()
    return (report, [got["ids"][i] for i in order], [got["documents"][i] for i in order],
            [got["metadatas"][i] for i in order], np.asarray(got["embeddings"])[order], rows,
            dups)


@pytest.mark.slow
def test_pipelined_ingest_equals_sequential(tmp_path):
    archive = archive_with_repeats(tmp_path)
    seq = ingest_contents(tmp_path / "seq", archive, pipelined=False)
    pipe = ingest_contents(tmp_path / "pipe", archive, pipelined=True)
    rs, rp = seq[0], pipe[0]
    assert (rp.added, rp.updated, rp.duplicate, rp.chunks) == \
        (rs.added, rs.updated, rs.duplicate, rs.chunks)
    assert rp.updated == 1 and rp.duplicate == 1  # the repeated id, the copied text
    assert pipe[1] == seq[1] and pipe[2] == seq[2] and pipe[3] == seq[3]
    assert np.allclose(pipe[4], seq[4], atol=1e-5)
    assert pipe[5] == seq[5]
    assert pipe[6] == seq[6] and [d[0] for d in seq[6]] == ["kremlin-copy"]


@pytest.mark.slow
def test_post_filtered_search_equals_chromas_where_at_every_selectivity(tmp_path):
    """The over-fetch-and-filter path must give exactly what Chroma's ``where`` gives.

    2,000 chunks over 20 years (clustered vectors, as text gives): a 10-year filter is
    served by over-fetching, a 1-year one by the larger over-fetch, a 1-month one falls
    through to ``where``; a source and a language filter exercise the other terms.  Each
    filter runs with Chroma's metadata and with a chunk filter that does not know every
    chunk (as when another process has ingested since the lexical index was loaded).
    """
    from newsqa.index import store as store_mod
    from newsqa.index.store import (
        ChunkStore,
        chunk_metadata,
        filter_terms,
        make_client,
        matches,
        where_clause,
    )
    from newsqa.types import Article, Chunk, Filters

    class NoModel:
        name = "synthetic"

    rng = np.random.default_rng(7)
    centres = rng.normal(size=(40, 32))
    st = ChunkStore(make_client(tmp_path, None), "filtered", NoModel())
    arts, chunks = {}, []
    for i in range(2000):
        aid = f"a{i}"
        arts[aid] = Article(aid, f"title {i}", "x" * 10,
                            date=f"{2000 + i % 20}-{1 + i // 20 % 12:02d}-03",
                            source=("Outlet A", "Outlet B")[i % 2],
                            lang=("en", "fr")[i % 3 == 0])
        chunks.append(Chunk(aid, 0, 0, 10, f"text {i}"))
    vecs = centres[np.arange(2000) % 40] + rng.normal(scale=0.5, size=(2000, 32))
    st.upsert(arts, chunks, (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).tolist())
    meta = {c.id: chunk_metadata(arts[c.article_id], c) for c in chunks}
    wheres: list[dict | None] = []
    real = st._query

    def spy(v, k, where, include=("documents", "metadatas", "distances"), ids=None):
        wheres.append(where)
        return real(v, k, where, include, ids)

    st._query = spy
    for flt in (Filters(since="2005-01-01", until="2014-12-31"), Filters(since="2011-01-01",
                until="2011-12-31"), Filters(since="2011-04-01", until="2011-04-30"),
                Filters(sources=("Outlet B",)), Filters(lang="fr", since="2010-01-01")):
        terms = filter_terms(flt)

        class Known:
            """Knows every chunk, or (partial) not every 7th: written since it was loaded."""

            def __init__(self, partial: bool, terms=terms) -> None:
                self.ids = [c for c in meta if not (partial and int(c[1:-3]) % 7 == 0)]
                self.size, self.terms = len(self.ids), terms

            def verdicts(self, ids):
                known = set(self.ids)
                return [matches(meta[c], self.terms) if c in known else None for c in ids]

            def passing(self):
                return [c for c in self.ids if matches(meta[c], self.terms)]

        for allowed in (None, Known(partial=True), Known(partial=False)):
            for q in centres[:5]:
                q = (q / np.linalg.norm(q)).tolist()
                wheres.clear()
                got = st.query(q, 20, flt, allowed=allowed)
                want = real(q, 20, where_clause(flt))
                assert [h[0] for h in got] == [h[0] for h in want]
                assert [h[1:3] for h in got] == [h[1:3] for h in want]  # texts and metadata
                assert got
            if flt.since == "2011-04-01":  # ~8 matching chunks of 2,000: cannot fill k
                # a filter that knows every chunk searches among its ids; others use where
                full = allowed is not None and allowed.size == 2000
                assert len(got) < 20 and (wheres[-1] is None) == full
            elif flt.until == "2014-12-31":
                assert len(got) == 20 and wheres == [None]  # half match: one over-fetch
            elif flt.until == "2011-12-31":
                assert len(got) == 20 and wheres == [None, None]  # 1/20: the larger one
    assert store_mod.POST_FILTER_FACTORS[0] * 20 < 2000  # the test really over-fetches


@pytest.mark.slow
def test_upsert_splits_batches_larger_than_chromas_limit(tmp_path):
    """A batch of long articles can exceed Chroma's 5,461-row limit; the store splits it."""
    from newsqa.index.store import ChunkStore, make_client
    from newsqa.types import Article, Chunk

    class NoModel:
        name = "synthetic"

    client = make_client(tmp_path, None)
    st = ChunkStore(client, "big-batch", NoModel())
    n = client.get_max_batch_size() + 100
    art = Article("long", "A long article", "x")
    vecs = np.random.default_rng(0).normal(size=(n, 8)).astype(np.float32)
    st.upsert({"long": art}, [Chunk("long", i, 0, 1, "x") for i in range(n)], vecs)
    assert st.count() == n


def test_an_ask_loads_no_langchain(engine):
    """Cold start: a question needs Chroma's client and the embedder, not LangChain
    (its Chroma wrapper brought langchain_core.retrievers and langsmith, ~1/3 of a cold ask;
    subclassing its ``Embeddings`` brought its runnables and callbacks, another 0.3 s)."""
    import subprocess
    import sys

    code = ("import sys; from newsqa.config import Settings; from newsqa.engine import Engine;"
            f"e = Engine(Settings(index={str(engine.index_dir)!r}));"
            "assert e.ask('What did Lavrov demand?').citations; "
            "print(sorted(m for m in sys.modules if m.startswith(('langchain', 'langsmith'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
