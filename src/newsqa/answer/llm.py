"""Calling a language model: retries, streaming, and the in-process GGUF chat model.

Which backends exist and how each is built is the registry in ``backends.py``.  Calls go
through :func:`call_llm`, which owns timeouts' consequences: transient failures (connection
refused, timeout, HTTP 429/5xx) are retried with exponential backoff, and a failure after the
last retry raises :class:`LLMUnavailable` so the caller can fall back to the extractive answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from newsqa.errors import NewsqaError


class LLMUnavailable(NewsqaError):
    """The model could not be reached or failed after retries; answer without it."""


class LocalChat(BaseChatModel):
    """A GGUF model in-process (gguf_runtime.py), as a LangChain chat model (invoke, stream).

    Small on purpose: the runtime does the work; this only maps LangChain's messages and
    streaming onto it.  The model loads on first use and stays loaded.
    """

    model_path: str
    n_threads: int = 2
    max_tokens: int = 300
    _runtime: Any = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "gguf-local"

    @property
    def runtime(self):  # -> GGUFRuntime
        if self._runtime is None:
            from newsqa.answer.gguf_runtime import GGUFRuntime

            self._runtime = GGUFRuntime(Path(self.model_path), threads=self.n_threads)
        return self._runtime

    def _pieces(self, messages: list[BaseMessage], stop: list[str] | None) -> Iterator[str]:
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        chat = [(roles.get(m.type, "user"), str(m.text)) for m in messages]
        return self.runtime.stream(chat, max_tokens=self.max_tokens, stop=stop)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None,
                  **kwargs: Any) -> ChatResult:
        text = "".join(self._pieces(messages, stop))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for delta in self._pieces(messages, stop):
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
