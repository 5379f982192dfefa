"""What BPTT costs (chapter 9): checkpointing's memory and time against full BPTT, and RTRL.

Checkpointing: at N = 32, T = 400, D = C = 64, H = 128, float64, the peak of NumPy's
allocations (``bptt.memory.peak_memory``) and the median time of ``many_to_many`` with
``checkpoint=20`` against full BPTT, in interleaved rounds. RTRL: seconds per step of
``bptt.rtrl`` against ``many_to_many`` for N = 1, D = C = 8 and growing H (RTRL ∝ H⁴, BPTT ∝ H²).
"""

import time

import numpy as np

import bptt
from bptt.data import random_problem
from bptt.memory import peak_memory

from .common import Target

TITLE = "what BPTT costs: checkpointing and RTRL"
SIZE = (32, 400, 64, 128, 64)  # N, T, D, H, C
CHECKPOINT = 20
MEMORY_TARGET = 0.5  # checkpoint=20 peak / full peak, at most
TIME_TARGET = 1.5  # checkpoint=20 time / full time, at most
RTRL_H = (8, 16, 32, 64)
RTRL_T = 20


def _median_times(calls, rounds):
    """Median wall time of each call over interleaved rounds."""
    times = [[] for _ in calls]
    for _ in range(rounds):
        for i, f in enumerate(calls):
            t = time.perf_counter()
            f()
            times[i].append(time.perf_counter() - t)
    return [float(np.median(t)) for t in times]


def run(args):
    """Print the checkpointing and RTRL tables; returns the checkpointing targets."""
    params, X, Y, _ = random_problem(*SIZE, loss="nll", with_h0=False)

    def full():
        return bptt.many_to_many(params, X, Y, loss="nll")

    def ck():
        return bptt.many_to_many(params, X, Y, loss="nll", checkpoint=CHECKPOINT)

    m_full, m_ck = peak_memory(full)[0], peak_memory(ck)[0]
    t_full, t_ck = _median_times([full, ck], max(3, args.rounds))
    states = SIZE[0] * SIZE[1] * SIZE[3] * 8
    print(f"  N, T, D, H, C = {SIZE}, float64; states T·N·H·8 = {states / 1e6:.1f} MB")
    print(f"  {'':22s}{'peak MB':>9s}{'ms':>9s}")
    print(f"  {'full BPTT':22s}{m_full / 1e6:9.2f}{t_full * 1e3:9.1f}")
    print(f"  {f'checkpoint={CHECKPOINT}':22s}{m_ck / 1e6:9.2f}{t_ck * 1e3:9.1f}")
    mem, tim = m_ck / m_full, t_ck / t_full
    print(f"  ratios: memory {mem:.3f}, time {tim:.2f}")
    try:  # one BLAS thread: the ratio without the threads' overhead on small products
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            t1_full, t1_ck = _median_times([full, ck], max(3, args.rounds))
        print(
            f"  on one BLAS thread: {t1_full * 1e3:.1f} ms and {t1_ck * 1e3:.1f} ms, "
            f"time ratio {t1_ck / t1_full:.2f}"
        )
    except ImportError:
        print("  (threadpoolctl is not installed: no one-thread timing)")
    print("\n  RTRL against BPTT, N = 1, D = C = 8, ms per step (median)")
    print(f"  {'H':>5s}{'RTRL':>10s}{'BPTT':>10s}{'RTRL/BPTT':>11s}")
    for H in RTRL_H:
        p, Xr, Yr, _ = random_problem(1, RTRL_T, 8, H, 8, loss="nll", with_h0=False)
        t_r, t_b = _median_times(
            [
                lambda: bptt.rtrl(p, Xr, Yr, loss="nll"),
                lambda: bptt.many_to_many(p, Xr, Yr, loss="nll"),
            ],
            3,
        )
        print(f"  {H:5d}{t_r / RTRL_T * 1e3:10.3f}{t_b / RTRL_T * 1e3:10.4f}{t_r / t_b:11.1f}")
    return [
        Target(
            f"checkpoint={CHECKPOINT}: peak memory ≤ {MEMORY_TARGET} x full",
            mem <= MEMORY_TARGET,
            f"{mem:.3f}x",
        ),
        Target(
            f"checkpoint={CHECKPOINT}: time ≤ {TIME_TARGET} x full",
            tim <= TIME_TARGET,
            f"{tim:.2f}x",
        ),
    ]
