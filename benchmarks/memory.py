"""The peak memory of one ``bptt.many_to_many`` call, full BPTT against ``truncate=20``.

The peak of NumPy's allocations during the call (``bptt.memory.peak_memory``, tracemalloc, to
which NumPy reports its array buffers), beside the hidden states' own storage T·N·H·itemsize;
"working" leaves out the returned gradients.
"""

import numpy as np

import bptt
from bptt.data import random_problem
from bptt.memory import peak_memory

from .common import DTYPES, SIZE_NAMES, SIZES, Target, dtype_name

TITLE = "memory of one call, full against truncated"
TRUNCATE = 20
FULL_MEMORY_TARGET = 2.0  # full BPTT peak / hidden states' storage, at most
TRUNC_MEMORY_TARGET = 0.15  # truncated (k = 20) peak / full peak, at most (large size)


def memory_table(size, dtype, truncate=TRUNCATE):
    """Peak memory of one many_to_many call, full and truncated, and the states' storage (bytes)."""
    params, X, Y, _ = random_problem(*size, loss="nll", with_h0=False, dtype=dtype)
    N, T, D, H, C = size
    full, full_kept = peak_memory(lambda: bptt.many_to_many(params, X, Y, loss="nll"))
    trunc, trunc_kept = peak_memory(
        lambda: bptt.many_to_many(params, X, Y, loss="nll", truncate=truncate)
    )
    return {
        "states": T * N * H * np.dtype(dtype).itemsize,
        "full": full,
        "trunc": trunc,
        "full_working": full - full_kept,
        "trunc_working": trunc - trunc_kept,
    }


def run(args):
    """Print the memory table; returns the full-BPTT and truncation targets."""
    print(
        f"  {'size':7s}{'dtype':9s}{'states MB':>10s}{'full MB':>9s}{'full/states':>12s}"
        f"{'trunc MB':>9s}{'trunc/full':>11s}{'working: full/states':>22s}{'trunc/full':>11s}"
    )
    targets = []
    for name, size in zip(SIZE_NAMES, SIZES):
        for dtype in DTYPES:
            m = memory_table(size, dtype)
            full, trunc = m["full"] / m["states"], m["trunc"] / m["full"]
            working = m["trunc_working"] / m["full_working"]
            print(
                f"  {name:7s}{dtype_name(dtype):9s}{m['states'] / 1e6:10.2f}{m['full'] / 1e6:9.2f}"
                f"{full:12.2f}{m['trunc'] / 1e6:9.2f}{trunc:11.3f}"
                f"{m['full_working'] / m['states']:22.2f}{working:11.3f}"
            )
            label = f"{name} {dtype_name(dtype)}"
            targets.append(
                Target(
                    f"{label}: full BPTT peak ≤ {FULL_MEMORY_TARGET} x the states",
                    full <= FULL_MEMORY_TARGET,
                    f"{full:.2f}x",
                )
            )
            if name == "large":  # k/T = 0.1 here; at T = 50 and 100 the states alone are 0.4, 0.2
                targets.append(
                    Target(
                        f"{label}: truncated peak ≤ {TRUNC_MEMORY_TARGET} x full",
                        trunc <= TRUNC_MEMORY_TARGET,
                        f"{trunc:.3f} (working memory {working:.3f})",
                    )
                )
    print(
        f"  (states = T·N·H·itemsize; working = peak less the returned gradients; truncation "
        f"keeps {TRUNCATE}+1 states of T, so trunc/full ≥ {TRUNCATE}/T)"
    )
    return targets
