"""A GGUF model run in-process by llama.cpp (the ``cyllama`` wheel: prebuilt, no compiler).

One model and one context per process, owned here rather than by a server: every answer
starts from a context cleared past the part of the prompt it shares with the previous one.
That shared part is the system prompt and its worked examples, the same for every
question, so after the first answer only the excerpts and the question are evaluated —
on a CPU, prompt evaluation is most of an answer's time.  Answers are serialised by a lock
(llama.cpp contexts are not thread-safe; the bot answers from worker threads).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from newsqa.errors import NewsqaError

# Room for the prompt (rules, examples, excerpts: ~1,500 tokens at most) and the answer.
N_CTX = 4096
N_BATCH = 512


@dataclass
class Generation:
    """What the last call did: for benchmarks and for the reasons in error messages."""

    prompt_tokens: int = 0
    reused_tokens: int = 0  # of the prompt, already in the context from the previous call
    generated_tokens: int = 0
    first_token_s: float | None = None
    total_s: float = 0.0


def check_gguf(path: Path) -> None:
    """Refuse a file that is not a GGUF model with a one-line error, before loading it
    (llama.cpp would fail inside its parser); reads only the header."""
    from cyllama.utils.validation import validate_gguf_file

    try:
        validate_gguf_file(str(path), kind="GGUF model")
    except (OSError, ValueError) as err:
        raise NewsqaError(f"{path}: not a usable GGUF model ({err})") from err


class GGUFRuntime:
    """Chat completion with a GGUF model; see the module docstring for its lifecycle."""

    def __init__(self, path: Path, *, threads: int, n_ctx: int = N_CTX) -> None:
        from cyllama.llama.llama_cpp import (
            LlamaContext,
            LlamaContextParams,
            LlamaModel,
            LlamaModelParams,
            LlamaSampler,
            LlamaSamplerChainParams,
            disable_logging,
            ggml_backend_load_all,
        )

        check_gguf(path)
        disable_logging()
        ggml_backend_load_all()
        self.model = LlamaModel(str(path), LlamaModelParams())
        self.vocab = self.model.get_vocab()
        cp = LlamaContextParams()
        cp.n_ctx, cp.n_batch = n_ctx, N_BATCH
        cp.n_threads = cp.n_threads_batch = threads
        cp.no_perf = True
        self.ctx = LlamaContext(self.model, cp)
        self.n_ctx = n_ctx
        params = LlamaSamplerChainParams()
        params.no_perf = True
        self.sampler = LlamaSampler(params)
        self.sampler.add_greedy()  # answers must be reproducible: temperature 0
        self.template = self.model.get_default_chat_template()
        self.last = Generation()
        self._tokens: list[int] = []  # what the context holds, position by position
        self._lock = threading.Lock()

    def prompt(self, messages: list[tuple[str, str]]) -> str:
        """``(role, content)`` messages in the model's own chat template."""
        from cyllama.llama.llama_cpp import LlamaChatMessage

        chat = [LlamaChatMessage(role=r, content=c) for r, c in messages]
        return self.model.chat_apply_template(self.template, chat, True)

    def stream(self, messages: list[tuple[str, str]], *, max_tokens: int,
               stop: list[str] | None = None) -> Iterator[str]:
        """The reply, piece by piece, greedily decoded."""
        with self._lock:
            try:
                yield from self._generate(self.prompt(messages), max_tokens, stop or [])
            except BaseException:
                self._clear()  # an interrupted answer leaves nothing behind for the next
                raise

    def _clear(self) -> None:
        self.ctx.memory_seq_rm(0, 0, -1)
        self._tokens = []

    def _generate(self, prompt: str, max_tokens: int, stop: list[str]) -> Iterator[str]:
        from cyllama.llama.llama_cpp import llama_batch_get_one

        start = time.perf_counter()
        tokens = self.vocab.tokenize(prompt, add_special=True, parse_special=True)
        if len(tokens) + 8 > self.n_ctx:
            raise ValueError(f"prompt of {len(tokens)} tokens exceeds the context "
                             f"of {self.n_ctx}")
        keep = 0
        for a, b in zip(self._tokens, tokens[:-1], strict=False):  # the last one gives logits
            if a != b:
                break
            keep += 1
        if not self.ctx.memory_seq_rm(0, keep, -1):
            self._clear()
            keep = 0
        self._tokens = tokens[:keep]
        self.last = Generation(prompt_tokens=len(tokens), reused_tokens=keep)
        for i in range(keep, len(tokens), N_BATCH):
            batch = tokens[i:i + N_BATCH]
            self.ctx.decode(llama_batch_get_one(batch, i))
            self._tokens.extend(batch)
        out: list[int] = []
        shown = 0
        for _ in range(min(max_tokens, self.n_ctx - len(tokens))):
            token = self.sampler.sample(self.ctx, -1)
            if self.vocab.is_eog(token):
                break
            out.append(token)
            text = self.vocab.detokenize(out)
            cut = min((p for p in (text.find(s, max(0, shown - len(s))) for s in stop)
                       if p >= 0), default=-1)
            if cut >= 0:
                text = text[:cut]
            if len(text) > shown and not text.endswith("\ufffd"):  # a character still partial
                if self.last.first_token_s is None:
                    self.last.first_token_s = time.perf_counter() - start
                yield text[shown:]
                shown = len(text)
            if cut >= 0:
                break
            self.ctx.decode(llama_batch_get_one([token], len(self._tokens)))
            self._tokens.append(token)
        self.last.generated_tokens = len(out)
        self.last.total_s = time.perf_counter() - start
