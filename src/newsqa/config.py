"""Settings: one object read from defaults, an optional TOML file and ``NEWSQA_*`` variables.

Every face of newsqa (CLI, bot, benchmarks) builds its engine from a :class:`Settings`, so a
deployment is configured the same way whichever face it uses.  Precedence, highest first:
explicit arguments, environment variables, the config file (``NEWSQA_CONFIG`` or
``./newsqa.toml``), defaults.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from newsqa.answer.backends import usage as llm_usage

DEFAULT_MODEL = "all-MiniLM-L6-v2"


def _config_file() -> Path:
    return Path(os.environ.get("NEWSQA_CONFIG", "newsqa.toml"))


class Settings(BaseSettings):
    """All knobs of the engine; field ``foo`` is read from ``NEWSQA_FOO``."""

    model_config = SettingsConfigDict(env_prefix="NEWSQA_", extra="ignore")

    index: Path = Field(Path("index"), description="Directory of the on-disk index.")
    chroma_url: str | None = Field(
        None, description="URL of a Chroma server (scale-out); the index dir keeps the rest."
    )
    collection: str = "newsqa"
    embed_model: str = Field(
        DEFAULT_MODEL,
        description="Sentence-transformers model: the packaged default, a local path or a name.",
    )
    embed_batch_size: int = 64
    embed_backend: str = Field(
        "auto",
        description="auto (GPU: torch-bf16; CPU with VNNI and the onnx extra: onnx-int8;"
        " CPU with native bf16: torch-bf16; else torch) | torch | torch-bf16 | onnx-int8;"
        " README Speed and scale.",
    )
    embed_threads: int | None = Field(
        None, description="Threads for embedding; None = one per core (torch's default)."
    )
    ingest_batch_chunks: int = Field(
        512, description="Chunks embedded and written per batch; an article's row follows."
    )
    ingest_pipeline: bool = Field(
        True, description="Embed and write on a background thread while the next batch is"
        " chunked (on 2 cores a ~3% gain: the model already uses both; README, Speed).")
    progress_interval: float = Field(
        5.0, description="Seconds between progress lines of long commands when stderr is not"
        " a terminal (on a terminal a live bar is drawn instead).")
    device: str | None = Field(None, description="torch device; None picks cuda when present.")
    chunk_tokens: int = Field(200, description="Chunk size in embedder tokens (window is 256).")
    chunk_overlap_tokens: int = Field(
        0, description="Tokens repeated between neighbouring chunks.  0: chunks are whole"
        " sentences, so overlap only re-embeds text; 50 gave the same dev metrics for 18%"
        " more chunks (README, Speed and scale).")
    max_article_chars: int = Field(
        2_000_000, description="Longer texts are refused with a reason, not truncated."
    )
    k: int = Field(8, description="Passages retrieved for an answer.")
    candidates: int = Field(50, description="Candidates per retriever before fusion.")
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    rrf_k: int = 60
    rerank: bool = Field(True, description="Rerank the fused candidates (see rerank.py).")
    rerank_model: str | None = Field(
        None, description="Cross-encoder path/name (sentence_transformers.CrossEncoder); "
        "None uses the offline fallback: bi-encoder on sentences + lexical features.")
    rerank_candidates: int = Field(30, description="How many fused candidates are reranked.")
    rerank_sentences: bool = Field(
        False, description="Fallback reranker also scores each candidate's best sentence "
        "with the bi-encoder (slower; see README).")
    max_per_article: int = Field(2, description="Passages kept per article in a result list.")
    answer_sentences: int = Field(3, description="At most this many cited sentences per answer.")
    min_support: float = Field(
        0.48, description="Below this sentence score the answerer abstains instead of answering "
        "(calibrated on answerable vs absent questions; see README)."
    )
    llm: str = Field("none", description=f"Language model for answers: {llm_usage()}.")
    llm_model_path: Path | None = Field(
        None, description="GGUF file for llm=local; default: the packaged SmolLM2-135M."
    )
    llm_threads: int = Field(2, description="CPU threads for llm=local (1 while embedding).")
    llm_timeout: float = Field(60.0, description="Seconds one LLM request may take.")
    llm_retries: int = Field(2, description="Retries of a failed LLM request (with backoff).")
    llm_max_tokens: int = Field(300, description="Longest generated answer, in tokens.")
    llm_context_tokens: int = Field(
        1200, description="Token budget for the numbered excerpts in the prompt."
    )
    allow_private_urls: bool = Field(
        False, description="Let URL ingest fetch private, loopback and link-local addresses."
    )
    near_duplicate_threshold: float = Field(
        0.6, description="Word-3-gram Jaccard from which a text is a syndicated copy (0 = off)."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Add the TOML file below the environment so variables override it."""
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml, file_secret_settings)
