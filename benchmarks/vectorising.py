"""One batched call against a loop over single examples, and the fast path against the loop.

The per-example loop averages N single-example gradients, which equals the batch gradient
(checked before timing); the per-step version is the teaching loop ``bptt.rnn.many_to_many_loop``.
"""

import statistics

import numpy as np

import bptt
from bptt.data import random_problem
from bptt.gradcheck import rel_error

from .common import DTYPES, SIZE_NAMES, SIZES, dtype_name, timed

TITLE = "vectorising: the batch in one call, a loop over examples, the per-step version"


def per_example_speedup(size, dtype, rounds=3):
    """Median times (s) of: the batch in one call, a loop over its N examples, the per-step loop."""
    params, X, Y, _ = random_problem(*size, loss="nll", with_h0=False, dtype=dtype)
    N = X.shape[0]

    def batch():
        return bptt.many_to_many(params, X, Y, loss="nll")

    def loop():
        total, acc = 0.0, [np.zeros_like(p) for p in params]
        for n in range(N):
            loss, grads = bptt.many_to_many(params, X[n : n + 1], Y[n : n + 1], loss="nll")
            total += loss / N
            for a, g in zip(acc, grads):
                a += g / N
        return total, bptt.Params(*acc)

    def per_step():
        return bptt.rnn.many_to_many_loop(params, X, Y, loss="nll")

    tol = 1e-4 if dtype == np.float32 else 1e-10
    reference = batch()[1]
    for f in (loop, per_step):
        assert max(rel_error(a, b) for a, b in zip(f()[1], reference)) < tol, f.__name__
    times = {f.__name__: [] for f in (batch, loop, per_step)}
    for _ in range(rounds):
        for f in (batch, loop, per_step):
            times[f.__name__].append(timed(f))
    return {k: statistics.median(v) for k, v in times.items()}


def run(args):
    """Print the three times at the small and middle sizes (no targets: the numbers explain)."""
    for name, size in zip(SIZE_NAMES[:2], SIZES[:2]):
        for dtype in DTYPES:
            s = per_example_speedup(size, dtype)
            print(
                f"  {name:7s}{dtype_name(dtype):9s} batch {s['batch'] * 1e3:7.1f} ms, per-example "
                f"loop {s['loop'] * 1e3:8.1f} ms ({s['loop'] / s['batch']:5.1f}x), per-step "
                f"many_to_many_loop {s['per_step'] * 1e3:7.1f} ms "
                f"({s['per_step'] / s['batch']:4.1f}x)"
            )
    return []
