"""``python -m benchmarks``: run the sections of ``benchmarks.SECTIONS`` and print every target.

Run it in an environment that has torch (``make bench`` makes ``.venv-bench``; the book's
``.venv`` never has torch). The environment is used as it is (BLAS variables such as
OPENBLAS_CORETYPE are not unset); the BLAS that NumPy loaded is printed. The numbers in the
README's "Performance" section come from one run of it; only the ratios carry over to another
machine.
"""

import argparse
import importlib
import os
import sys
import time

import numpy as np

from . import SECTIONS
from .common import blas_description, mark


def _parser(modules):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--rounds", type=int, default=9, help="interleaved timed rounds (default 9)"
    )
    parser.add_argument(
        "--pause",
        type=float,
        default=0.05,
        help="seconds of pause before each burst of timed calls",
    )
    parser.add_argument(
        "--only",
        default="",
        help=f"comma-separated sections to run (default all: {', '.join(SECTIONS)})",
    )
    for module in modules.values():
        if hasattr(module, "add_arguments"):
            module.add_arguments(parser)
    return parser


def _header():
    try:
        import torch

        versions = (
            f"torch {torch.__version__} (CPU capability {torch.backends.cpu.get_cpu_capability()})"
        )
    except ImportError:
        versions = "no torch"
    load = os.getloadavg()[0]
    print("== bptt benchmark ==")
    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}, {versions}, "
        f"{os.cpu_count()} CPUs, load average {load:.1f} at start"
    )
    blas_vars = {
        k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP", "MKL", "GOTO"))
    }
    print(
        "BLAS environment (used as it is):",
        " ".join(f"{k}={v}" for k, v in sorted(blas_vars.items())) or "none",
    )
    if load > 1.5:
        print(
            f"WARNING: 1-minute load average {load:.1f} on {os.cpu_count()} CPUs: other work is "
            "running. Timings of 2-thread code on a busy machine are unreliable."
        )
    np.ones((64, 64)) @ np.ones((64, 64))  # make sure NumPy's BLAS is loaded before asking
    for line in blas_description():
        print("  loaded:", line)


def main(argv=None):
    modules = {name: importlib.import_module(f".{name}", __package__) for name in SECTIONS}
    args = _parser(modules).parse_args(argv)
    chosen = [s for s in args.only.split(",") if s] or list(SECTIONS)
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        raise SystemExit(f"--only: unknown sections {unknown}; the sections are {list(SECTIONS)}")
    started = time.perf_counter()
    _header()
    results = []
    for name in chosen:
        print(f"\n-- {name}: {modules[name].TITLE} --")
        results += [(name, target) for target in modules[name].run(args)]
    print(
        f"\n-- targets (load average {os.getloadavg()[0]:.1f} at the end; other work on the "
        "machine slows the small sequential matrix products most) --"
    )
    for name, t in results:
        print(f"  {name:12s}{t.name}: {t.text}  {mark(t.ok)}")
    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
