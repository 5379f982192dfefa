"""bptt's LSTM forward + backward against PyTorch's nn.LSTM + Linear + cross_entropy (CPU).

``bptt.lstm_many_to_many(..., loss="nll")`` against ``nn.LSTM`` (batch_first) + ``nn.Linear`` +
``cross_entropy`` (summed over time, averaged over the batch) with the same weights and data,
``torch.set_num_threads(2)``, at the middle size, float32 and float64. The gradients of all five
parameters are checked equal first (``check_agreement``, also run by tests_torch/). Rounds are
interleaved (the order of bptt and torch alternating; a round keeps the best of a short burst)
and medians over the rounds are reported.
"""

import statistics
import time

import numpy as np

import bptt
from bptt.gradcheck import rel_error

from .common import DTYPES, Target, dtype_name, mark, timed, torch_run

TITLE = "LSTM forward+backward against PyTorch's nn.LSTM"
SIZE = (64, 100, 128, 256, 128)  # N, T, D, H, C: the middle size
RATIO_TARGET = 1.0  # bptt time / torch time, at most
THREADS = 2
REPS = 3


def lstm_problem(N, T, D, H, C, dtype, seed=0):
    """(lp, X, Y): an LSTM with forget bias 1, standard-normal inputs and random labels."""
    rng = np.random.default_rng(seed)
    lp = bptt.init_lstm_params(D, H, C, seed=seed, dtype=dtype, forget_bias=1.0)
    X = rng.standard_normal((N, T, D)).astype(dtype)
    return lp, X, rng.integers(0, C, size=(N, T))


def torch_lstm(lp, X, Y):
    """A closure running PyTorch's forward+backward on the same problem: () -> (loss, grads).

    nn.LSTM with weight_hh = W, weight_ih = U, bias_ih = b, bias_hh = 0 (both stack the gates
    i, f, g, o), nn.Linear (V, c), cross_entropy summed over all steps and divided by N.
    """
    import torch

    D, H, C = lp.sizes
    tdtype = torch.float32 if lp.W.dtype == np.float32 else torch.float64
    cell = torch.nn.LSTM(D, H, batch_first=True).to(tdtype)
    return torch_run(cell, torch.nn.Linear(H, C).to(tdtype), lp, X, Y)


def check_agreement(size, dtype, seed=0):
    """(loss rel. error, worst grad rel. error) between bptt's LSTM and torch's on one problem."""
    lp, X, Y = lstm_problem(*size, dtype, seed)
    l1, g1 = bptt.lstm_many_to_many(lp, X, Y, loss="nll")
    l2, g2 = torch_lstm(lp, X, Y)()
    worst = max(rel_error(a.astype(np.float64), b.astype(np.float64)) for a, b in zip(g1, g2))
    return abs(l1 - l2) / abs(l2), worst


def run(args):
    """Check the gradients, time interleaved rounds, print the table; returns the ratio targets."""
    import os

    import torch

    torch.set_num_threads(THREADS)
    print("  gradients, bptt against torch (relative errors):")
    for dtype in DTYPES:
        el, eg = check_agreement(SIZE, dtype)
        tol = 1e-3 if dtype == np.float32 else 1e-10
        print(
            f"  {dtype_name(dtype)}: loss {el:.1e}, grads {eg:.1e}  {mark(eg < tol and el < tol)}"
        )
        if not (eg < tol and el < tol):
            raise SystemExit("bptt's LSTM and torch's disagree: not timing")
    problems = {}
    for dtype in DTYPES:
        lp, X, Y = lstm_problem(*SIZE, dtype)
        problems[dtype] = (
            lambda lp=lp, X=X, Y=Y: bptt.lstm_many_to_many(lp, X, Y, loss="nll"),
            torch_lstm(lp, X, Y),
        )
    times = {dtype: {"bptt": [], "torch": []} for dtype in DTYPES}
    for r in range(args.rounds):
        for dtype, (f_bptt, f_torch) in problems.items():
            order = (("bptt", f_bptt), ("torch", f_torch))
            for who, f in order if r % 2 else order[::-1]:
                time.sleep(args.pause)
                f()
                times[dtype][who].append(min(timed(f) for _ in range(REPS)))
    bptt.lstm_fast.release_buffers()  # the sections after this one measure memory
    print(
        f"  medians over {args.rounds} interleaved rounds (each the best of {REPS} calls), "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"  {'(N,T,D,H,C)':27s}{'dtype':9s}{'bptt ms':>9s}{'torch ms':>10s}{'ratio':>7s}")
    targets = []
    for dtype in DTYPES:
        tb, tt = (statistics.median(times[dtype][who]) for who in ("bptt", "torch"))
        print(
            f"  {str(SIZE):27s}{dtype_name(dtype):9s}{tb * 1e3:9.1f}{tt * 1e3:10.1f}{tb / tt:7.2f}"
        )
        targets.append(
            Target(
                f"LSTM {dtype_name(dtype)}: time ratio bptt/torch ≤ {RATIO_TARGET}",
                tb / tt <= RATIO_TARGET,
                f"{tb / tt:.2f}",
            )
        )
    return targets
