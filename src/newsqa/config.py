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

    index: Path = Field(
        Path("index"), description="Directory of the on-disk index: the article catalog, Chroma's"
        " files (unless chroma_url is set), the lexical index, conversations, bot feedback.")
    chroma_url: str | None = Field(
        None, description="URL of a Chroma server (http://host:port) that holds the vectors;"
        " the index directory keeps the catalog and the lexical index.")
    collection: str = Field("newsqa", description="Name of the Chroma collection.")
    embed_model: str = Field(
        DEFAULT_MODEL,
        description="Sentence-transformers model: the packaged default, a local path or a name"
        " in the offline Hugging Face cache.  An index remembers its model and refuses another.",
    )
    embed_batch_size: int = Field(64, description="Texts per forward pass of the embedder.")
    embed_backend: str = Field(
        "auto",
        description="auto | torch | torch-bf16 | onnx-int8.  auto picks the fastest one the"
        " machine has: torch-bf16 on a GPU; onnx-int8 on CPUs with VNNI when the onnx extra is"
        " installed; torch-bf16 on CPUs with native bf16; else torch (fp32).",
    )
    embed_threads: int | None = Field(
        None, description="Threads for embedding; unset = one per core."
    )
    ingest_batch_chunks: int = Field(
        512, description="Chunks embedded and written per batch (one Chroma upsert); bounds"
        " ingest memory.  An article's catalog row is written after all its chunks.")
    ingest_pipeline: bool = Field(
        True, description="Embed and write each batch on a background thread while the next"
        " batch is chunked.")
    write_lock_timeout: float = Field(
        600.0, ge=0, description="Seconds a second writer (ingest, remove, follow) waits for"
        " the one writing to the index before giving up; 0: fail at once.")
    progress_interval: float = Field(
        5.0, description="Seconds between progress lines of long commands when stderr is not"
        " a terminal (on a terminal a live bar is drawn instead).")
    device: str | None = Field(
        None, description="torch device (cpu, cuda, cuda:1); unset picks cuda when present.")
    chunk_tokens: int = Field(
        200, description="Chunk size in embedder tokens; the default model reads at most 256"
        " and the title is embedded with each chunk.")
    chunk_overlap_tokens: int = Field(
        0, description="Tokens repeated between neighbouring chunks.  Chunks are whole"
        " sentences, so no sentence is cut at 0; overlap adds chunks to embed and store.")
    max_article_chars: int = Field(
        2_000_000, description="Longer texts are refused with a reason, not truncated."
    )
    k: int = Field(8, description="Passages retrieved for an answer.")
    candidates: int = Field(
        90, description="Candidates each retriever (dense, BM25) returns before fusion.")
    dense_weight: float = Field(
        1.0, description="Weight of the dense ranking in reciprocal rank fusion (0 = BM25 only).")
    lexical_weight: float = Field(
        1.0, description="Weight of the BM25 ranking in reciprocal rank fusion (0 = dense only).")
    rrf_k: int = Field(
        60, description="Rank offset of reciprocal rank fusion: a chunk scores the sum of"
        " weight / (rrf_k + rank) over the rankings; larger flattens the top ranks.")
    rerank: bool = Field(
        True, description="Rerank the best fused candidates (retrieve/rerank.py); false keeps"
        " the fused order.")
    rerank_model: str | None = Field(
        None, description="Cross-encoder path or name (sentence_transformers.CrossEncoder);"
        " unset uses the offline feature reranker: the chunk's dense similarity, content-word"
        " overlap and the fused rank.")
    rerank_candidates: int = Field(
        30, description="How many fused candidates are reranked (bounds the added latency).")
    rerank_sentences: bool = Field(
        False, description="The feature reranker also scores each candidate's best sentence"
        " with the embedder: one more encoder pass per candidate sentence.")
    max_per_article: int = Field(2, description="Passages kept per article in a result list.")
    answer_sentences: int = Field(3, description="At most this many cited sentences per answer.")
    min_support: float = Field(
        0.42, description="Support score a sentence needs to be quoted; when none reaches it"
        " the answerer abstains.  Higher abstains more often, on answerable questions too.")
    llm: str = Field("none", description=f"Language model for answers: {llm_usage()}.")
    llm_model_path: Path | None = Field(
        None, description="GGUF file for llm=local; unset: the best packaged model installed"
        " (docs/cli.md#local-model).")
    llm_model_cache: Path | None = Field(
        None, description="Where a packaged model shipped in parts is joined and verified,"
        " once; unset: $XDG_CACHE_HOME/newsqa/models (~/.cache/newsqa/models).")
    llm_threads: int | None = Field(
        None, description="CPU threads for llm=local; unset: one per core (use fewer when an"
        " ingest embeds on the same cores).")
    llm_timeout: float = Field(60.0, description="Seconds one LLM request may take.")
    llm_retries: int = Field(
        2, description="Retries of a failed LLM request (connection errors, timeouts, HTTP"
        " 429/5xx), with exponential backoff, never after text was streamed.")
    llm_max_tokens: int = Field(
        160, description="Longest generated answer, in tokens (answers are one or two"
        " sentences).")
    llm_context_tokens: int = Field(
        600, description="Token budget for the numbered excerpts in the prompt; an excerpt"
        " that does not fit is left out, never cut.")
    allow_private_urls: bool = Field(
        False, description="Let URL ingest fetch private, loopback and link-local addresses."
    )
    follow_host_delay: float = Field(
        1.0, description="Seconds between two requests to one host while following sources"
        " (newsqa follow, newsqa bot --follow); one request at a time per host.")
    follow_max_new: int = Field(
        50, description="New entries taken from one source per round; the rest wait for the"
        " next round.")
    near_duplicate_threshold: float = Field(
        0.6, description="Estimated word-3-gram Jaccard similarity (MinHash) from which an"
        " article is stored as a syndicated copy of an earlier one (0 = off).")

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


DOC_HEADER = """\
# Configuration

<!-- Generated from newsqa.config.Settings by `python -m newsqa.config --markdown`
     (`make docs`); tests/test_docs.py fails when this file is out of date.
     Edit the field descriptions in src/newsqa/config.py, not this file. -->

Every face of newsqa (the CLI, the Discord bot, the benchmarks) builds its engine from one
`newsqa.config.Settings`.  Each field is read, highest precedence first, from explicit
arguments (`--index`, `--llm`), the environment variable `NEWSQA_<FIELD>`, the TOML file named
by `NEWSQA_CONFIG` (default `./newsqa.toml`), else the default below.  Booleans accept
`true`/`false`/`1`/`0`; unset means the setting is off or chosen at run time.

```toml
# newsqa.toml
index = "/srv/newsqa/index"
k = 10
llm = "openai:gpt-4o-mini"
```

The Discord bot's own variables (`DISCORD_TOKEN`, `NEWSQA_DISCORD_*`) are listed in
[discord.md](discord.md); the LLM backends' (`OPENAI_BASE_URL`, `OPENAI_API_KEY`,
`OLLAMA_HOST`) in [cli.md](cli.md#llm-answers).

| field | environment variable | default | description |
|---|---|---|---|
"""


def _default_text(value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    return f"`{value}`"


def settings_markdown() -> str:
    """docs/configuration.md: every Settings field with its variable, default and purpose."""
    prefix = Settings.model_config["env_prefix"]
    rows = []
    for name, info in Settings.model_fields.items():
        desc = (info.description or "").replace("|", "\\|")
        rows.append(f"| `{name}` | `{prefix}{name.upper()}` | {_default_text(info.default)} "
                    f"| {desc} |")
    return DOC_HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--markdown"]:
        sys.exit("usage: python -m newsqa.config --markdown > docs/configuration.md")
    sys.stdout.write(settings_markdown())
