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


def torch_lstm_kind(dtype):
    """How torch's nn.LSTM runs on the CPU in this dtype, read from its autograd graph.

    "oneDNN's fused layer" when a MkldnnRnnLayer node does the whole sequence (float32 here),
    else "per-step operations" (matrix products, sigmoid and tanh nodes for each step).
    """
    import torch

    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    out, _ = torch.nn.LSTM(3, 2, batch_first=True).to(tdtype)(torch.zeros(1, 2, 3, dtype=tdtype))
    seen, todo = set(), [out.grad_fn]
    while todo:
        node = todo.pop()
        if node is not None and node not in seen:
            seen.add(node)
            todo.extend(nxt for nxt, _ in node.next_functions)
    fused = any("Mkldnn" in type(node).__name__ for node in seen)
    return "oneDNN's fused layer" if fused else "per-step operations"


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
    kinds = "; ".join(f"{dtype_name(d)}: {torch_lstm_kind(d)}" for d in DTYPES)
    print(f"  torch's nn.LSTM on the CPU runs as {kinds}")
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
    per_core = float32_per_core(args)
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
    print_per_core(per_core)
    return targets


def _threads_at_once(f, n=2):
    """Seconds per call of f() when n threads call it at once (the median thread's best of REPS)."""
    import threading

    best = [0.0] * n

    def worker(k):
        f()
        best[k] = min(timed(f) for _ in range(REPS))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statistics.median(best)


_LANE_IN_A_PROCESS = """
import sys, time
import numpy as np
from threadpoolctl import threadpool_limits
import bptt
from benchmarks.common import timed
from benchmarks.lstm import REPS, SIZE, lstm_problem
N, T, D, H, C = SIZE
lp, X, Y = lstm_problem(N // 2, T, D, H, C, np.float32)
with threadpool_limits(1):
    f = lambda: bptt.lstm_many_to_many(lp, X, Y, loss="nll")
    f()
    time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
    print(min(timed(f) for _ in range(REPS)))
"""


def _processes_at_once(n=2):
    """Seconds per call of one lane in each of n processes at once (no GIL shared; the median).

    Each process builds the same problem, warms up, then waits for a common start time.
    """
    import subprocess
    import sys

    start = time.time() + 5.0  # time for the processes to import numpy and bptt
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _LANE_IN_A_PROCESS, str(start)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    return statistics.median(float(child.communicate()[0]) for child in children)


def float32_per_core(args):
    """Where float32's time goes: half the batch on one core, bptt and torch (ms, medians).

    Returns a dict: one lane of bptt alone, two such lanes at once in two threads (as
    ``bptt.lstm_fast`` runs them) and in two processes (no GIL shared; measured once), torch on
    the same half batch with one thread, and the per-step products of one lane, (32, 256) x
    (256, 1024) forward and (32, 1024) x (1024, 256) backward,
    100 calls each, NumPy (OpenBLAS) and torch (its BLAS).
    """
    import torch
    from threadpoolctl import threadpool_limits

    N, T, D, H, C = SIZE
    lp, X, Y = lstm_problem(N // 2, T, D, H, C, np.float32)
    rng = np.random.default_rng(0)
    h, dz = (rng.standard_normal(s).astype(np.float32) for s in ((N // 2, H), (N // 2, 4 * H)))
    WT = np.ascontiguousarray(lp.W.T)
    th, tdz, tW = torch.from_numpy(h), torch.from_numpy(dz), torch.from_numpy(lp.W)
    calls = {
        "lane": lambda: bptt.lstm_many_to_many(lp, X, Y, loss="nll"),
        "torch": torch_lstm(lp, X, Y),
        "numpy fwd": lambda: [h @ WT for _ in range(T)],
        "numpy bwd": lambda: [dz @ lp.W for _ in range(T)],
        "torch fwd": lambda: [th @ tW.T for _ in range(T)],
        "torch bwd": lambda: [tdz @ tW for _ in range(T)],
    }
    times = {name: [] for name in (*calls, "two lanes", "two processes")}
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            for _ in range(max(3, args.rounds // 3)):
                for name, f in calls.items():
                    time.sleep(args.pause)
                    f()
                    times[name].append(min(timed(f) for _ in range(REPS)))
                times["two lanes"].append(_threads_at_once(calls["lane"]))
        times["two processes"].append(_processes_at_once())
    finally:
        torch.set_num_threads(THREADS)
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


def print_per_core(ms):
    """The table of ``float32_per_core``."""
    print(f"  float32 on one core, half the batch (N = {SIZE[0] // 2}), one BLAS thread, ms:")
    print(
        f"    bptt: one lane alone {ms['lane']:.1f}; two lanes at once in two threads "
        f"{ms['two lanes']:.1f} each,\n          in two processes {ms['two processes']:.1f} each"
        f"; torch: {ms['torch']:.1f}"
    )
    print(
        f"    the {SIZE[1]} per-step products of a lane: forward NumPy {ms['numpy fwd']:.1f}, "
        f"torch {ms['torch fwd']:.1f}; backward NumPy {ms['numpy bwd']:.1f}, "
        f"torch {ms['torch bwd']:.1f}"
    )
