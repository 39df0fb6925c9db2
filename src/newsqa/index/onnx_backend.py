"""An int8 ONNX Runtime backend for the embedder (``Settings.embed_backend = "onnx-int8"``).

sentence-transformers 6.2's ``[onnx]`` extra cannot be installed with it (optimum-onnx pins an
older transformers), so the model is exported with ``torch.onnx.export`` (eager attention, so that
the graph has the pattern onnxruntime's BERT optimizer recognises), the optimizer fuses
embeddings + LayerNorm, each layer's attention, bias + GELU and residual + LayerNorm into
single kernels, and onnxruntime's ``quantize_dynamic`` turns the fused graph's matrix products
into int8 (VNNI) ones.  Fusion is what makes int8 pay: on 2 AVX-512 VNNI cores, unfused int8
runs at ~11k tokens/s, fused ~15k, fp32 torch ~6k (docs/benchmarks.md).
``per_channel=True`` matters: the default per-tensor scales drop the cosine to the fp32
vectors to ~0.93, per-channel keeps ~0.985.  ``reduce_range`` (7-bit weights) is
only needed where the CPU lacks VNNI and its 16-bit accumulators could saturate.
The export happens once per model and is cached on disk; later processes only load it, and
they need neither torch nor sentence-transformers: the tokenizer is read from the model's
``tokenizer.json`` with the ``tokenizers`` library, which takes ``newsqa ask``'s cold start
from "import torch" (seconds) to "import onnxruntime" (a fraction of that).

Only models whose sentence-transformers pipeline is ``Transformer → mean Pooling (→
Normalize)`` are supported, because pooling is redone here in numpy.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from newsqa.errors import NewsqaError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def cache_dir() -> Path:
    """Where exported models live: ``NEWSQA_MODEL_CACHE`` or ``~/.cache/newsqa/onnx``."""
    env = os.environ.get("NEWSQA_MODEL_CACHE")
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "newsqa" / "onnx"
    return Path(env).expanduser() if env else base


def _check_pipeline(model: SentenceTransformer) -> None:
    names = [type(m).__name__ for m in model]
    pooling = model[1] if len(model) > 1 else None
    mode = getattr(pooling, "pooling_mode", None) or getattr(
        getattr(pooling, "config", None), "pooling_mode", None)
    if names[:2] != ["Transformer", "Pooling"] or mode not in (None, "mean"):
        raise NewsqaError(
            f"embed_backend 'onnx-int8' supports Transformer + mean pooling models, not {names}"
        )


@lru_cache(maxsize=1)
def cpu_flags() -> str:
    """``/proc/cpuinfo`` (read once per process; empty where there is none)."""
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def has_vnni() -> bool:
    """Whether the CPU has int8 dot-product instructions (AVX512-VNNI, AVX-VNNI or AMX)."""
    return any(f in cpu_flags() for f in ("avx512_vnni", "avx_vnni", "amx_int8"))


def onnx_installed() -> bool:
    """Whether the ``onnx`` extra is there (found without importing it: cold start)."""
    return all(importlib.util.find_spec(m) for m in ("onnxruntime", "onnx", "onnxscript"))


# Bump when the export recipe changes: caches made by an older recipe are then ignored.
RECIPE = "fused2"


def export_path(model_path: str, precise: bool = False) -> Path:
    """Where the int8 (or, ``precise``, the fused fp32) export of a model is cached."""
    key = hashlib.sha1(str(Path(model_path).resolve()).encode()).hexdigest()[:12]
    kind = "fp32" if precise else ("vnni" if has_vnni() else "r7") + "-int8"
    return cache_dir() / f"{Path(model_path).name}-{key}-{RECIPE}-{kind}.onnx"


def export_int8(model: SentenceTransformer, model_path: str) -> Path:
    """The quantised ONNX file for ``model`` (exported and quantised on first call).

    The fused fp32 graph it is quantised from is kept too (``export_path(..., precise=True)``).
    """
    target = export_path(model_path)
    if target.exists() and export_path(model_path, precise=True).exists():
        return target
    _check_pipeline(model)
    out_dir = target.parent
    try:
        import torch
        from onnx import TensorProto
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from onnxruntime.transformers.optimizer import optimize_model
    except ImportError as err:
        raise NewsqaError(
            "embed_backend 'onnx-int8' needs onnxruntime, onnx and onnxscript: "
            "pip install 'newsqa[onnx]'"
        ) from err

    bert = model[0].auto_model.eval()
    config = bert.config
    attn = getattr(config, "_attn_implementation", None)
    bert.set_attn_implementation("eager")  # sdpa exports as a pattern the fuser misses

    class Hidden(torch.nn.Module):
        """Only the last hidden state; pooling happens outside the graph."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    out_dir.mkdir(parents=True, exist_ok=True)
    ids = torch.ones((2, 16), dtype=torch.long)
    axes = {0: "batch", 1: "seq"}
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        fp32 = Path(tmp) / "model.onnx"
        fused = Path(tmp) / "model-fused.onnx"
        int8 = Path(tmp) / "model-int8.onnx"
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer chatter about shapes; the graph is checked
            try:
                torch.onnx.export(
                    Hidden(), (ids, ids, torch.zeros_like(ids)), str(fp32), dynamo=False,
                    input_names=["input_ids", "attention_mask", "token_type_ids"],
                    output_names=["last_hidden_state"], opset_version=17,
                    dynamic_axes={"input_ids": axes, "attention_mask": axes,
                                  "token_type_ids": axes, "last_hidden_state": axes},
                )
            finally:
                if attn:
                    bert.set_attn_implementation(attn)
        optimize_model(str(fp32), model_type="bert", num_heads=config.num_attention_heads,
                       hidden_size=config.hidden_size).save_model_to_file(str(fused))
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # the quantiser logs advice on the root logger
        try:
            quantize_dynamic(str(fused), str(int8), per_channel=True,
                             reduce_range=not has_vnni(), weight_type=QuantType.QInt8,
                             extra_options={"DefaultTensorType": TensorProto.FLOAT})
        finally:
            root.setLevel(level)
        # atomic renames, fp32 first: a concurrent process sees all or nothing
        os.replace(fused, export_path(model_path, precise=True))
        os.replace(int8, target)
    return target


class LocalModelFiles:
    """Tokenizer and sizes straight from a local model directory, without importing torch."""

    def __init__(self, model_path: str) -> None:
        from tokenizers import Tokenizer

        root = Path(model_path)
        st_conf = json.loads((root / "sentence_bert_config.json").read_text())
        self.max_tokens = int(st_conf["max_seq_length"])
        pool = json.loads((root / "1_Pooling" / "config.json").read_text())
        self.dim = int(pool["word_embedding_dimension"])
        self.tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
        self.tokenizer.no_padding()
        self._counter = Tokenizer.from_file(str(root / "tokenizer.json"))
        self._counter.no_padding()
        self._counter.no_truncation()  # the chunker must see true lengths
        self.tokenizer.enable_truncation(self.max_tokens)

    @staticmethod
    def usable(model_path: str) -> bool:
        root = Path(model_path)
        return all((root / f).is_file() for f in (
            "tokenizer.json", "sentence_bert_config.json", "1_Pooling/config.json"))

    def ids(self, texts: list[str]) -> list[list[int]]:
        """Model inputs: special tokens added, truncated to the window."""
        return [e.ids for e in self.tokenizer.encode_batch(texts)]

    def count(self, text: str) -> int:
        return len(self._counter.encode(text, add_special_tokens=False).ids)


class OnnxInt8Encoder:
    """Runs the quantised (or fused fp32) graph and mean-pools; the embedder feeds it batches."""

    def __init__(self, model: Callable[[], SentenceTransformer], model_path: str,
                 threads: int | None = None, precise: bool = False) -> None:
        """``model`` is called (loading torch) only when the export is not cached yet."""
        import onnxruntime as ort

        path = export_path(model_path, precise)
        if not path.exists():
            export_int8(model(), model_path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or 0  # 0 = one per core
        opts.inter_op_num_threads = 1
        # The export is fused already (onnxruntime's transformer optimiser): the full
        # optimisation pass at load found nothing more (identical outputs, same speed) and
        # took ~0.15 s of every fresh process's fp32 session.
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        # Idle workers sleep instead of spinning: ingest chunks the next batch on the main
        # thread while the ONNX Runtime session embeds, and on 2 cores spinning workers starve
        # it (1,000 Kremlin articles: 19.6 s with spinning, 17.2 s without).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), opts,
                                            providers=["CPUExecutionProvider"])

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """Unit-length mean-pooled vectors for one padded batch."""
        hidden = self.session.run(None, {
            "input_ids": input_ids, "attention_mask": attention_mask,
            "token_type_ids": np.zeros_like(input_ids),
        })[0]
        mask = attention_mask[..., None].astype(np.float32)
        pooled = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
