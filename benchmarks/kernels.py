"""bptt's forward + backward against PyTorch's CPU autograd, and the GEMM peak of the same run.

``bptt.many_to_many(..., loss="nll")`` against ``nn.RNN`` (tanh, batch_first) + ``nn.Linear`` +
``cross_entropy`` with the same weights, data and loss (summed over time, averaged over the
batch), ``torch.set_num_threads(2)``, at three sizes in float32 and float64. The gradients are
checked equal first. Rounds are interleaved (every configuration and a 2048³ GEMM once per round,
the order of bptt and torch alternating; a round keeps the best of a short burst of calls) and
medians over the rounds are reported: the ratio bptt/torch, the achieved GFLOP/s (flops of the
matrix products only) and its share of the GEMM peak measured in the same round (the machine's
speed drifts over minutes, so a peak from one moment and times from others would compare two
machines).
"""

import statistics
import time
from functools import partial

import numpy as np

import bptt
from bptt.data import random_problem
from bptt.gradcheck import rel_error

from .common import DTYPES, SIZE_NAMES, SIZES, Target, dtype_name, mark, timed, torch_run

TITLE = "forward+backward against PyTorch"
RATIO_TARGET = {"small": 0.7, "middle": 0.8, "large": 0.9}  # bptt time / torch time, at most
PEAK_TARGET = 0.65  # share of the GEMM peak, middle, large
PEAK_N = 2048  # the square GEMM that measures the peak
THREADS = 2
REPS = {"small": 5, "middle": 3, "large": 1}  # timed calls per burst, by size


def gemm_flops(N, T, D, H, C):
    """Flops of the matrix products in one forward+backward pass (multiply and add counted as 2).

    Forward: U x_t, W h_{t-1}, V h_t. Backward: dL/dV, Vᵀ dL/do_t, Wᵀ δ_t, dL/dW, dL/dU.
    Elementwise work (tanh, softmax, sums) is not counted.
    """
    return 2 * N * T * (2 * D * H + 3 * H * H + 3 * H * C)


def torch_problem(params, X, Y):
    """A closure running PyTorch's forward+backward on the same problem; it returns (loss, grads).

    nn.RNN (tanh, batch_first) with weight_hh = W, weight_ih = U, bias_ih = b, bias_hh = 0, then
    nn.Linear (V, c), then cross_entropy summed over all steps and divided by N.
    """
    import torch

    D, H, C = params.sizes
    tdtype = torch.float32 if params.W.dtype == np.float32 else torch.float64
    cell = torch.nn.RNN(D, H, nonlinearity="tanh", batch_first=True).to(tdtype)
    return torch_run(cell, torch.nn.Linear(H, C).to(tdtype), params, X, Y)


def check_agreement(size, dtype):
    """(loss rel. error, worst grad rel. error) between bptt and torch on one problem."""
    params, X, Y, _ = random_problem(*size, loss="nll", with_h0=False, dtype=dtype)
    l1, g1 = bptt.many_to_many(params, X, Y, loss="nll")
    l2, g2 = torch_problem(params, X, Y)()
    worst = max(rel_error(a.astype(np.float64), b.astype(np.float64)) for a, b in zip(g1, g2))
    return abs(l1 - l2) / abs(l2), worst


def gemm_peak(dtype, n=PEAK_N):
    """GFLOP/s of one n x n x n matrix product (NumPy, the BLAS it loaded)."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n)).astype(dtype), rng.standard_normal((n, n)).astype(dtype)
    out = np.empty((n, n), dtype=dtype)
    return 2 * n**3 / timed(lambda: np.matmul(a, b, out=out)) / 1e9


def kernel_rounds(rounds, pause):
    """Time every (size, dtype) for bptt and torch, and the GEMM peak, in interleaved rounds.

    In each round every configuration runs a burst for bptt and one for torch (which goes first
    alternates from round to round): a pause, so that the other library's idle threads stop
    spinning, one untimed call (except at the large size), then REPS timed calls, of which the
    round keeps the fastest. Returns {"peak": {dtype: [GF/s]}, (name, dtype): {"bptt": [s],
    "torch": [s]}}, one entry per round.
    """
    problems = {}
    for name, size in zip(SIZE_NAMES, SIZES):
        for dtype in DTYPES:
            params, X, Y, _ = random_problem(*size, loss="nll", with_h0=False, dtype=dtype)
            problems[name, dtype] = (
                partial(bptt.many_to_many, params, X, Y, loss="nll"),
                torch_problem(params, X, Y),
            )
    times = {key: {"bptt": [], "torch": []} for key in problems}
    times["peak"] = {dtype: [] for dtype in DTYPES}
    for r in range(rounds):
        for dtype in DTYPES:
            time.sleep(pause)
            gemm_peak(dtype)  # warm
            times["peak"][dtype].append(gemm_peak(dtype))
        for (name, dtype), (f_bptt, f_torch) in problems.items():
            order = (("bptt", f_bptt), ("torch", f_torch))
            for who, f in order if r % 2 else order[::-1]:
                time.sleep(pause)
                if name != "large":
                    f()
                times[name, dtype][who].append(min(timed(f) for _ in range(REPS[name])))
    return times


def _agreement():
    print("  gradients, bptt against torch (relative errors):")
    for name, size in zip(SIZE_NAMES, SIZES):
        for dtype in DTYPES:
            el, eg = check_agreement(size, dtype)
            tol = 1e-3 if dtype == np.float32 else 1e-10
            print(
                f"  {name:6s} {dtype_name(dtype)}: loss {el:.1e}, grads {eg:.1e}  "
                f"{mark(eg < tol and el < tol)}"
            )
            if not (eg < tol and el < tol):
                raise SystemExit("bptt and torch disagree: not timing")


def run(args):
    """Check the gradients, time the rounds, print the table; returns the ratio and peak targets."""
    import torch

    torch.set_num_threads(THREADS)
    _agreement()
    print(
        f"  medians over {args.rounds} interleaved rounds (each the best of a burst of "
        f"{REPS['small']}/{REPS['middle']}/{REPS['large']} calls); % peak: in each round, GFLOP/s "
        "over the GEMM peak of that round, the median over rounds"
    )
    times = kernel_rounds(args.rounds, args.pause)
    for dtype in DTYPES:
        peaks = times["peak"][dtype]
        print(
            f"  GEMM peak {dtype_name(dtype)} ({PEAK_N}³ matmul): best {max(peaks):.0f} GFLOP/s, "
            f"median {statistics.median(peaks):.0f}"
        )
    print(
        f"  {'size':7s}{'(N,T,D,H,C)':27s}{'dtype':9s}{'bptt ms':>9s}{'torch ms':>10s}{'ratio':>7s}"
        f"{'target':>8s}{'GFLOP/s':>9s}{'% peak':>8s}{'torch GF':>9s}"
    )
    targets = []
    for name, size in zip(SIZE_NAMES, SIZES):
        flops = gemm_flops(*size)
        for dtype in DTYPES:
            tb, tt = (statistics.median(times[name, dtype][who]) for who in ("bptt", "torch"))
            share = statistics.median(
                flops / t / 1e9 / pk
                for t, pk in zip(times[name, dtype]["bptt"], times["peak"][dtype])
            )
            print(
                f"  {name:7s}{str(size):27s}{dtype_name(dtype):9s}{tb * 1e3:9.1f}{tt * 1e3:10.1f}"
                f"{tb / tt:7.2f}{'≤' + str(RATIO_TARGET[name]):>8s}{flops / tb / 1e9:9.0f}"
                f"{100 * share:7.0f}%{flops / tt / 1e9:9.0f}"
            )
            label = f"{name} {dtype_name(dtype)}"
            targets.append(
                Target(
                    f"{label}: time ratio bptt/torch ≤ {RATIO_TARGET[name]}",
                    tb / tt <= RATIO_TARGET[name],
                    f"{tb / tt:.2f}",
                )
            )
            if name != "small":
                targets.append(
                    Target(
                        f"{label}: share of the GEMM peak ≥ {100 * PEAK_TARGET:.0f}%",
                        share >= PEAK_TARGET,
                        f"{100 * share:.0f}%",
                    )
                )
    return targets
