"""The registry of language-model backends behind ``NEWSQA_LLM`` / ``--llm``.

Every backend is a LangChain chat model, so the answerer does not care which one runs.  Each
entry says how it is written (``openai:MODEL``), what it is, which optional extra it needs and
how it is built; the setting's description, the ``--llm`` help and the errors are all derived
from this table, so adding a backend is one :func:`register` call in one module.

This module imports nothing heavy: builders import their client libraries when called, so the
CLI's start-up and ``newsqa --help`` stay fast.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from newsqa.errors import NewsqaError

if TYPE_CHECKING:
    from newsqa.config import Settings

@dataclass(frozen=True)
class Backend:
    """One way of getting a chat model."""

    name: str
    summary: str
    build: Callable[[Settings, str | None], Any]  # (settings, model part of the spec)
    needs_model: bool = False  # "openai:MODEL": the part after ':' is required
    extra: str | None = None  # pip extra that provides it
    module: str | None = None  # import name that shows the extra is installed

    @property
    def usage(self) -> str:
        return f"{self.name}:MODEL" if self.needs_model else self.name


BACKENDS: dict[str, Backend] = {}


def register(backend: Backend) -> Backend:
    BACKENDS[backend.name] = backend
    return backend


def usage(*, prose: bool = False) -> str:
    """How the setting is written: ``none | local | openai:MODEL | ollama:MODEL``, or with
    ``prose`` "none, local, openai:MODEL or ollama:MODEL" (for errors)."""
    forms = ["none", *(b.usage for b in BACKENDS.values())]
    return f"{', '.join(forms[:-1])} or {forms[-1]}" if prose else " | ".join(forms)


def parse_spec(spec: str) -> tuple[str, str | None]:
    """``"openai:gpt-4o-mini"`` -> ``("openai", "gpt-4o-mini")``; validates the backend name."""
    kind, _, model = spec.strip().partition(":")
    kind = kind.lower()
    if kind in ("", "none", "off"):
        return "none", None
    backend = BACKENDS.get(kind)
    if backend is None:
        raise NewsqaError(f"unknown LLM backend {spec!r}; use {usage(prose=True)}")
    if backend.needs_model and not model:
        raise NewsqaError(f"NEWSQA_LLM={spec!r} names no model; use {backend.usage}")
    return kind, model or None


def chat_model(settings: Settings) -> Any:
    """The chat model ``settings.llm`` names, or None for the extractive default."""
    kind, model = parse_spec(settings.llm)
    if kind == "none":
        return None
    backend = BACKENDS[kind]
    if backend.module and importlib.util.find_spec(backend.module) is None:
        raise NewsqaError(f"this LLM backend needs the '{backend.extra}' extra: "
                          f"pip install 'newsqa[{backend.extra}]'")
    return backend.build(settings, model)


def _openai(settings: Settings, model: str | None) -> Any:
    from langchain_openai import ChatOpenAI

    base_url = os.environ.get("OPENAI_BASE_URL") or None
    key = os.environ.get("OPENAI_API_KEY")
    if not key and not base_url:
        raise NewsqaError("llm=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL of a server)")
    # Retries are ours (call_llm), so that streaming and non-streaming behave alike.
    return ChatOpenAI(model=model, base_url=base_url, api_key=key or "unused",
                      timeout=settings.llm_timeout, max_retries=0, temperature=0,
                      max_tokens=settings.llm_max_tokens)


def _ollama(settings: Settings, model: str | None) -> Any:
    from langchain_ollama import ChatOllama

    host = os.environ.get("OLLAMA_HOST") or "http://127.0.0.1:11434"
    if "://" not in host:
        host = f"http://{host}"
    return ChatOllama(model=model, base_url=host, temperature=0,
                      num_predict=settings.llm_max_tokens,
                      client_kwargs={"timeout": settings.llm_timeout})


def _local(settings: Settings, model: str | None) -> Any:
    from newsqa.answer.gguf_models import default_cache, resolve
    from newsqa.answer.gguf_runtime import check_gguf
    from newsqa.answer.llm import LocalChat

    spec = model or (str(settings.llm_model_path) if settings.llm_model_path else None)
    path = resolve(spec, settings.llm_model_cache or default_cache())
    check_gguf(path)  # a wrong file is a setup error, not a reason to fall back per answer
    return LocalChat(model_path=str(path), n_threads=settings.llm_threads or cpu_count(),
                     max_tokens=settings.llm_max_tokens)


def cpu_count() -> int:
    """The cores this process may run on (a container's share, not the host's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        (os.cpu_count() or 1)


register(Backend("local", "a GGUF model in-process (llama.cpp via cyllama): the best packaged"
                 " model, local:NAME or local:/path/model.gguf", _local,
                 extra="local", module="cyllama"))
register(Backend("openai", "any OpenAI-compatible endpoint (OPENAI_BASE_URL, OPENAI_API_KEY)",
                 _openai, needs_model=True, extra="openai", module="langchain_openai"))
register(Backend("ollama", "an Ollama server (OLLAMA_HOST)", _ollama, needs_model=True,
                 extra="ollama", module="langchain_ollama"))
