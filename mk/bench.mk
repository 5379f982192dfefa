# make bench   speed and memory of bptt's fast path against PyTorch's CPU autograd, the GEMM peak,
#              and (unless BENCH_FULL=0) each notebook's execution time, `make book` and `make test`,
#              timed in a private copy of the repository. Prints the figures of the README's
#              "Performance" section. Code: benchmarks/ (one module per section, listed in
#              benchmarks/__init__.py; how to add one: benchmarks/README.md), never in the package.
#   make bench BENCH_FULL=0        kernels, memory and vectorising only (about 2 minutes)
#   make bench BENCH_ROUNDS=15     more interleaved rounds (medians are reported; default 9)
#   make bench BENCH_ONLY=memory   only the named sections (comma-separated)
# torch lives only in its own environment .venv-bench (requirements-bench.txt), never in .venv.
# The environment is used as it is: BLAS variables (OPENBLAS_CORETYPE, ...) are not unset.

BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
BENCH_FULL ?= 1
BENCH_ROUNDS ?= 9
BENCH_ONLY ?=
BENCH_BUILD_ARGS := $(if $(filter 0,$(BENCH_FULL)),--no-build,--main-venv $(CURDIR)/$(VENV) --repo $(CURDIR))

.PHONY: bench

$(BENCH_STAMP): requirements.txt requirements-bench.txt pyproject.toml
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q -r requirements-bench.txt $(QUIET_PIP)
	$(BENCH_VENV)/bin/python -m pip install -q --no-deps -e . $(QUIET_PIP)
	@touch $@

bench: $(BENCH_STAMP) $(if $(filter 0,$(BENCH_FULL)),,$(STAMP))
	$(BENCH_VENV)/bin/python -m benchmarks --rounds $(BENCH_ROUNDS) $(BENCH_BUILD_ARGS) \
	  $(if $(BENCH_ONLY),--only $(BENCH_ONLY),)
