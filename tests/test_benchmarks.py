"""benchmarks/: every section is registered and has the interface of benchmarks/README.md.

The timings themselves need torch and a quiet machine (``make bench``); here only what can be
checked in the book's environment: the registry, the flop count, and one memory measurement.
"""

import importlib
from pathlib import Path

import numpy as np

import benchmarks
from benchmarks.__main__ import _parser
from benchmarks.kernels import gemm_flops
from benchmarks.memory import memory_table

HERE = Path(benchmarks.__file__).parent


def test_every_section_module_is_registered_and_has_the_interface():
    files = {p.stem for p in HERE.glob("*.py")} - {"__init__", "__main__", "common"}
    assert files == set(benchmarks.SECTIONS)
    for name in benchmarks.SECTIONS:
        module = importlib.import_module(f"benchmarks.{name}")
        assert isinstance(module.TITLE, str) and module.TITLE
        assert callable(module.run)
    for path in HERE.glob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path.name


def test_command_line():
    modules = {n: importlib.import_module(f"benchmarks.{n}") for n in benchmarks.SECTIONS}
    args = _parser(modules).parse_args(["--rounds", "3", "--no-build", "--only", "memory"])
    assert args.rounds == 3 and args.no_build and args.only == "memory"


def test_gemm_flops_counts_the_eight_products():
    N, T, D, H, C = 2, 3, 5, 7, 11
    forward = N * T * (D * H + H * H + H * C)  # U x_t, W h_{t-1}, V h_t
    backward = N * T * (C * H + C * H + H * H + H * H + H * D)  # dV, Vᵀ dO, δ W, dW, dU
    assert gemm_flops(N, T, D, H, C) == 2 * (forward + backward)


def test_memory_table_on_a_small_problem():
    m = memory_table((4, 60, 3, 16, 3), np.float64, truncate=6)
    assert m["states"] == 60 * 4 * 16 * 8
    assert 0 < m["trunc"] < m["full"]
    assert m["full_working"] <= m["full"] and m["trunc_working"] <= m["trunc"]
