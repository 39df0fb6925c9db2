# Two commands for a newcomer: `make demo` (set up, index the sample, ask) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check
# Where the CPU build of torch comes from: PyPI alone serves Linux the multi-GB CUDA build.
# `make setup TORCH_INDEX=` leaves it out (a mirror or wheel folder that has the CPU wheel).
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: setup demo test test-fast lint docs

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	# The CPU build of torch first, so that installing newsqa finds torch already there;
	# without its dependencies, which the next line installs from the usual index.
	$(PIP) --no-deps torch==2.13.0 $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX))
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
