# Two commands for a newcomer: `make demo` (set up, index the sample, ask) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check

.PHONY: setup demo test test-fast lint docs

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	# The CPU build of torch first (this pin resolves to the local CPU wheel): left to resolve
	# torch as newsqa's dependency, pip would pull the multi-GB CUDA build.
	$(PIP) torch==2.13.0
	$(PIP) -e '.[dev,onnx,openai,ollama]'
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(VENV)/bin/newsqa ingest --sample
	$(VENV)/bin/newsqa ask "What did Lavrov demand?"

test: setup
	$(VENV)/bin/pytest -q

# The quick loop: everything but the tests marked slow (whole-index builds, CLI subprocesses).
test-fast: setup
	$(VENV)/bin/pytest -q -m "not slow"

lint: setup
	$(VENV)/bin/ruff check .

# docs/configuration.md is generated from newsqa.config.Settings (tests/test_docs.py checks it).
docs: setup
	$(PY) -m newsqa.config --markdown > docs/configuration.md
