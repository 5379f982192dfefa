# Two commands set everything up on a fresh machine (Python 3.10+ with venv and pip):
#   make book   build the site into _build/html (creates .venv and installs on first use)
#   make test   every check: ruff (lint and format) over the code, both editions built with -W,
#               package tests, nbval strict over every notebook, assignments released and graded,
#               every page in headless Chromium, the PDFs and the course bundles (mk/pdf.mk,
#               mk/bundle.mk: built first)
#   make format ruff's fixes and formatting applied to the code (src, tests, tools, benchmarks)
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
QUIET_PIP := 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JB_FLAGS := --all -W -n --keep-going
PYTEST_NB := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
CODE := src tests tools benchmarks
# KaTeX (npm package, pinned in package-lock.json) renders every formula when the site is built.
NODE_STAMP := node_modules/.installed
NPM_MISSING := node and npm are needed to render the math at build time: apt-get install -y nodejs npm

.PHONY: book test lab notebooks clean format lint

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements.txt $(QUIET_PIP)
	$(BIN)/python -m pip install -q --no-deps -e . $(QUIET_PIP)
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "$(NPM_MISSING)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

book: $(STAMP) $(NODE_STAMP)
	@start=$$(date +%s); \
	$(BIN)/jupyter-book build . $(JB_FLAGS) || { echo "build failed: see _build/html/reports/*.err.log"; exit 1; }; \
	echo "Built in $$(( $$(date +%s) - start )) s. Open: file://$(CURDIR)/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)

format: $(STAMP)
	$(BIN)/ruff check --fix $(CODE)
	$(BIN)/ruff format $(CODE)

test: $(STAMP) $(NODE_STAMP) lint
	@start=$$(date +%s); \
	$(BIN)/jupyter-book build . $(JB_FLAGS) || { cat _build/html/reports/*.err.log 2>/dev/null; exit 1; }; \
	echo "Book built with -W in $$(( $$(date +%s) - start )) s"
	$(MAKE) --no-print-directory book-student
	$(BIN)/python -m pytest tests $(wildcard chapters exercises) $(PYTEST_NB)

lab: $(STAMP)
	$(BIN)/jupyter lab chapters $(if $(filter 0,$(shell id -u)),--allow-root,)

notebooks: $(STAMP)
	@set -o pipefail; $(BIN)/python tools/refresh_notebooks.py $(NB) 2>&1 | grep -v "Kernel is running over TCP" 

clean:
	rm -rf _build

# Further targets (assignments, grading, student edition, benchmark) live in mk/*.mk.
-include mk/*.mk
