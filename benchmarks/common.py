"""What the benchmark sections share: the problem sizes, timing, and the targets they report."""

import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

SIZES = (
    (32, 50, 64, 128, 64),
    (64, 100, 128, 256, 128),
    (128, 200, 256, 512, 256),
)  # N, T, D, H, C
SIZE_NAMES = ("small", "middle", "large")
DTYPES = (np.float32, np.float64)


class Target(NamedTuple):
    """One performance target: what it is (one line), whether it held, and the measured text."""

    name: str
    ok: bool
    text: str


def timed(f):
    """Seconds of one call of f()."""
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def mark(ok):
    """The word a table prints for a target: ok or MISSED."""
    return "ok" if ok else "MISSED"


def dtype_name(dtype):
    """float32 or float64."""
    return np.dtype(dtype).name


def blas_description():
    """One line per BLAS/OpenMP library loaded in this process (threadpoolctl), or why not."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["threadpoolctl is not installed"]
    return [
        f"{i.get('internal_api')} {i.get('version')} kernel={i.get('architecture', '-')} "
        f"threads={i.get('num_threads')} ({Path(i.get('filepath', '')).name})"
        for i in threadpool_info()
    ]
