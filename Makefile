# Two commands for a newcomer: `make demo` (set up, index the sample, ask) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check

.PHONY: setup demo test lint bench

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	# The CPU build of torch first (an unpinned torch would pull a multi-GB CUDA build).
	$(PIP) torch==2.13.0
	$(PIP) -e '.[dev,onnx,openai,ollama]'
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(VENV)/bin/newsqa ingest --sample
	$(VENV)/bin/newsqa ask "What did Lavrov demand?"

test: setup
	$(VENV)/bin/pytest -q

lint: setup
	$(VENV)/bin/ruff check .
