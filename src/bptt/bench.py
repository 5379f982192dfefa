"""``make bench``: how fast and how lean the fast path is, measured against PyTorch, in one process.

Run with ``python -m bptt.bench`` in an environment that has torch (``make bench`` makes
``.venv-bench`` for that; the book's ``.venv`` never has torch). It prints:

- **kernels**: ``bptt.many_to_many(..., loss="nll")`` forward+backward against PyTorch's CPU
  autograd (``nn.RNN`` tanh, batch_first, + ``nn.Linear`` + ``cross_entropy``, the same weights,
  data and loss: summed over time, averaged over the batch), ``torch.set_num_threads(2)``, at
  three sizes (N, T, D, H, C) in float32 and float64. The gradients are checked equal first.
  Rounds are interleaved (every configuration and a large square GEMM once per round, the order
  of bptt and torch alternating; a round keeps the best of a short burst of calls), and medians
  over the rounds are reported: the ratio bptt/torch, the achieved
  GFLOP/s (flops of the matrix products only), and its share of the GEMM peak of the same run:
  in each round, bptt's GFLOP/s over the 2048³ GEMM rate measured in that round, the median over
  rounds (the machine's speed drifts over minutes, so a peak from one moment and times from
  others would compare two machines; the best peak of the run is printed too);
- **memory**: the peak of NumPy's allocations during one call (tracemalloc, which NumPy reports
  its array buffers to), full BPTT against truncated (k = 20), beside the hidden states' own
  storage T·N·H·itemsize; "working" leaves out the returned gradients;
- **vectorising**: the batch in one call against a loop over single examples, and the fast path
  against the per-step teaching version ``many_to_many_loop``;
- **build** (unless ``--no-build``): each chapter's and exercise's execution time (kernel start
  included, as ``make notebooks`` runs it), ``make book`` and ``make test``, all in a private copy
  of the repository so that nothing touches ``_build/``.

The environment is used as it is (BLAS variables such as OPENBLAS_CORETYPE are not unset); the
BLAS that NumPy loaded is printed (threadpoolctl). Everything here is timing code: the numbers
in the README come from one run of it and only the ratios carry over to another machine.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import rnn
from .gradcheck import rel_error
from .data import random_problem
from .memory import peak_memory
from .params import Params

SIZES = ((32, 50, 64, 128, 64), (64, 100, 128, 256, 128), (128, 200, 256, 512, 256))
SIZE_NAMES = ("small", "middle", "large")
DTYPES = (np.float32, np.float64)
RATIO_TARGET = {"small": 0.7, "middle": 0.8, "large": 0.9}   # bptt time / torch time, at most
PEAK_TARGET = 0.65                                            # share of the GEMM peak, middle and large
FULL_MEMORY_TARGET = 2.0                                      # full BPTT peak / hidden states' storage
TRUNC_MEMORY_TARGET = 0.15                                    # truncated (k = 20) peak / full peak
TRUNCATE = 20
PEAK_N = 2048                                                 # the square GEMM that measures the peak
THREADS = 2


# ----------------------------------------------------------------------------- problems and counts

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
    N = X.shape[0]
    tdtype = torch.float32 if params.W.dtype == np.float32 else torch.float64
    cell = torch.nn.RNN(D, H, nonlinearity="tanh", batch_first=True).to(tdtype)
    head = torch.nn.Linear(H, C).to(tdtype)
    with torch.no_grad():
        cell.weight_hh_l0.copy_(torch.from_numpy(params.W))
        cell.weight_ih_l0.copy_(torch.from_numpy(params.U))
        cell.bias_ih_l0.copy_(torch.from_numpy(params.b))
        cell.bias_hh_l0.zero_()
        head.weight.copy_(torch.from_numpy(params.V))
        head.bias.copy_(torch.from_numpy(params.c))
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y).reshape(-1)
    weights = [cell.weight_hh_l0, cell.weight_ih_l0, head.weight, cell.bias_ih_l0, head.bias]
    everything = list(cell.parameters()) + list(head.parameters())

    def run():
        for w in everything:
            w.grad = None
        states, _ = cell(Xt)
        logits = head(states)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, C), Yt, reduction="sum") / N
        loss.backward()
        return float(loss.detach()), Params(*(w.grad.numpy() for w in weights))
    return run


def check_agreement(size, dtype):
    """Loss and gradients of bptt and torch on one problem: returns (loss rel. error, worst grad rel. error)."""
    params, X, Y, _ = random_problem(*size, loss="nll", with_h0=False, dtype=dtype)
    l1, g1 = rnn.many_to_many(params, X, Y, loss="nll")
    l2, g2 = torch_problem(params, X, Y)()
    return abs(l1 - l2) / abs(l2), max(rel_error(a.astype(np.float64), b.astype(np.float64))
                                       for a, b in zip(g1, g2))


# ----------------------------------------------------------------------------- timing

def _timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def gemm_peak(dtype, n=PEAK_N):
    """GFLOP/s of one n x n x n matrix product (NumPy, the BLAS it loaded)."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n)).astype(dtype), rng.standard_normal((n, n)).astype(dtype)
    out = np.empty((n, n), dtype=dtype)
    return 2 * n ** 3 / _timed(lambda: np.matmul(a, b, out=out)) / 1e9


REPS = {"small": 5, "middle": 3, "large": 1}                  # timed calls per burst, by size


def kernel_rounds(rounds, pause):
    """Time every (size, dtype) for bptt and torch, and the GEMM peak, in interleaved rounds.

    In each round every configuration runs a burst for bptt and one for torch (which goes first
    alternates from round to round): a pause, so that the other library's idle threads stop
    spinning, one untimed call (except at the large size), then REPS timed calls, of which the
    round keeps the fastest (a burst's other calls mostly measure what else the machine did).
    Returns {"peak": {dtype: [GF/s]}, (name, dtype): {"bptt": [s], "torch": [s]}}, one entry per round.
    """
    problems = {}
    for name, size in zip(SIZE_NAMES, SIZES):
        for dtype in DTYPES:
            params, X, Y, _ = random_problem(*size, loss="nll", with_h0=False, dtype=dtype)
            problems[name, dtype] = (lambda p=params, x=X, y=Y: rnn.many_to_many(p, x, y, loss="nll"),
                                     torch_problem(params, X, Y))
    times = {key: {"bptt": [], "torch": []} for key in problems}
    times["peak"] = {dtype: [] for dtype in DTYPES}
    for r in range(rounds):
        for dtype in DTYPES:
            time.sleep(pause)
            gemm_peak(dtype)                              # warm
            times["peak"][dtype].append(gemm_peak(dtype))
        for (name, dtype), (f_bptt, f_torch) in problems.items():
            order = (("bptt", f_bptt), ("torch", f_torch))
            for who, f in (order if r % 2 else order[::-1]):
                time.sleep(pause)
                if name != "large":
                    f()
                times[name, dtype][who].append(min(_timed(f) for _ in range(REPS[name])))
    return times


# ----------------------------------------------------------------------------- memory

def memory_table(size, dtype, truncate=TRUNCATE):
    """Peak memory of one many_to_many call, full and truncated, against the states' storage (bytes)."""
    params, X, Y, _ = random_problem(*size, loss="nll", with_h0=False, dtype=dtype)
    N, T, D, H, C = size
    full, full_kept = peak_memory(lambda: rnn.many_to_many(params, X, Y, loss="nll"))
    trunc, trunc_kept = peak_memory(lambda: rnn.many_to_many(params, X, Y, loss="nll", truncate=truncate))
    return {"states": T * N * H * np.dtype(dtype).itemsize, "full": full, "trunc": trunc,
            "full_working": full - full_kept, "trunc_working": trunc - trunc_kept}


# ----------------------------------------------------------------------------- vectorising

def per_example_speedup(size, dtype, rounds=3):
    """Median times (s) of: the batch in one call, a loop over its N examples, the per-step version.

    The per-example loop averages N single-example gradients, which equals the batch gradient
    (checked here before timing).
    """
    params, X, Y, _ = random_problem(*size, loss="nll", with_h0=False, dtype=dtype)
    N = X.shape[0]

    def batch():
        return rnn.many_to_many(params, X, Y, loss="nll")

    def loop():
        total, acc = 0.0, [np.zeros_like(p) for p in params]
        for n in range(N):
            loss, grads = rnn.many_to_many(params, X[n:n + 1], Y[n:n + 1], loss="nll")
            total += loss / N
            for a, g in zip(acc, grads):
                a += g / N
        return total, Params(*acc)

    def per_step():
        return rnn.many_to_many_loop(params, X, Y, loss="nll")

    tol = 1e-4 if dtype == np.float32 else 1e-10
    reference = batch()[1]
    for f in (loop, per_step):
        assert max(rel_error(a, b) for a, b in zip(f()[1], reference)) < tol, f.__name__
    times = {f.__name__: [] for f in (batch, loop, per_step)}
    for _ in range(rounds):
        for f in (batch, loop, per_step):
            times[f.__name__].append(_timed(f))
    return {k: statistics.median(v) for k, v in times.items()}


# ----------------------------------------------------------------------------- build and tests

def _copy_repo(repo, dest):
    """The repository's files without build output and git data; virtual environments are linked, not copied."""
    skip = shutil.ignore_patterns(".git", ".venv", ".venv-*", "_build", ".jupyter_cache", "__pycache__",
                                  ".pytest_cache", ".hypothesis", "*.egg-info", "release", "autograded",
                                  "feedback", "gradebook.db")
    shutil.copytree(repo, dest, ignore=skip, symlinks=True)
    for venv in Path(repo).glob(".venv-*"):          # e.g. .venv-grader, which tests use if it exists
        if venv.name != ".venv-bench" and venv.is_dir():
            (Path(dest) / venv.name).symlink_to(venv.resolve())


def build_times(repo, venv):
    """Seconds for each notebook (a fresh kernel's start and a top-to-bottom run, as
    tools/refresh_notebooks.py does it; not the ~2 s the ``jupyter`` command takes to start),
    ``make book`` and ``make test``.

    Everything runs in a private copy of the repository (a temporary folder) with ``venv`` (the
    book's .venv, reused, never reinstalled: ``make -o`` marks its stamp as up to date) and
    PYTHONPATH pointing at the copy's src/, so the shared _build/ and checkout are not touched.
    Returns ({notebook: (seconds, exit code)}, {target: (seconds, exit code)}).
    """
    venv = Path(venv).resolve()
    tmp = Path(tempfile.mkdtemp(prefix="bptt-bench-"))
    copy = tmp / "repo"
    try:
        _copy_repo(repo, copy)
        env = dict(os.environ, PYTHONPATH=str(copy / "src"))
        proc = subprocess.run([str(venv / "bin" / "python"), str(copy / "tools" / "refresh_notebooks.py")],
                              cwd=copy, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        notebooks = {}                                  # "  7.4 s  chapters/08_....ipynb" per notebook
        for line in proc.stdout.splitlines():
            sec, _, name = line.split(maxsplit=2)
            notebooks[name] = (float(sec), 0)
        if proc.returncode:
            notebooks["(the next notebook failed)"] = (0.0, proc.returncode)
        targets = {}
        for target in ("book", "test"):
            t = time.perf_counter()
            with open(tmp / f"make_{target}.log", "w") as log:
                proc = subprocess.run(["make", "-C", str(copy), target, f"VENV={venv}", "-o", f"{venv}/.installed"],
                                      env=env, stdout=log, stderr=subprocess.STDOUT)
            targets[f"make {target}"] = (time.perf_counter() - t, proc.returncode)
            if proc.returncode:
                print(f"  make {target} failed (exit {proc.returncode}); its last lines:")
                print("    " + "\n    ".join((tmp / f"make_{target}.log").read_text().splitlines()[-15:]))
        return notebooks, targets
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ----------------------------------------------------------------------------- report

def blas_description():
    """One line per BLAS/OpenMP library loaded in this process (threadpoolctl), or why not."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["threadpoolctl is not installed"]
    return [f"{i.get('internal_api')} {i.get('version')} kernel={i.get('architecture', '-')} "
            f"threads={i.get('num_threads')} ({Path(i.get('filepath', '')).name})" for i in threadpool_info()]


def _mark(ok):
    return "ok" if ok else "MISSED"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bptt.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9, help="interleaved timed rounds (default 9)")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds of pause before each burst of timed calls")
    parser.add_argument("--no-build", action="store_true", help="skip the notebook, make book and make test times")
    parser.add_argument("--main-venv", default=".venv", help="the book's virtual environment (for the build times)")
    parser.add_argument("--repo", default=".", help="the repository to copy for the build times")
    args = parser.parse_args(argv)

    import torch
    torch.set_num_threads(THREADS)
    started = time.perf_counter()
    print("== bptt benchmark (issue 9) ==")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, torch {torch.__version__} "
          f"(threads {torch.get_num_threads()}, CPU capability {torch.backends.cpu.get_cpu_capability()}), "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    blas_vars = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP", "MKL", "GOTO"))}
    print("BLAS environment (used as it is):", " ".join(f"{k}={v}" for k, v in sorted(blas_vars.items())) or "none")
    if os.getloadavg()[0] > 1.5:
        print(f"WARNING: 1-minute load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: other work is "
              "running. Timings of 2-thread code on a busy machine are unreliable (threads wait for each other).")
    np.ones((64, 64)) @ np.ones((64, 64))             # make sure NumPy's BLAS is loaded before asking
    for line in blas_description():
        print("  loaded:", line)

    print("\n-- gradients: bptt against torch (relative errors) --")
    for name, size in zip(SIZE_NAMES, SIZES):
        for dtype in DTYPES:
            el, eg = check_agreement(size, dtype)
            tol = 1e-3 if dtype == np.float32 else 1e-10
            print(f"  {name:6s} {np.dtype(dtype).name}: loss {el:.1e}, grads {eg:.1e}  {_mark(eg < tol and el < tol)}")
            if not (eg < tol and el < tol):
                raise SystemExit("bptt and torch disagree: not timing")

    print(f"\n-- forward+backward: medians over {args.rounds} interleaved rounds (each the best of a burst of "
          f"{REPS['small']}/{REPS['middle']}/{REPS['large']} calls); GFLOP/s from the median time; % peak: "
          "in each round, GFLOP/s over the GEMM peak measured in that round, the median over rounds "
          "(the machine's speed drifts over minutes) --")
    times = kernel_rounds(args.rounds, args.pause)
    peaks = {dtype: max(v) for dtype, v in times["peak"].items()}   # the peak: the best of the rounds
    for dtype in DTYPES:
        print(f"  GEMM peak {np.dtype(dtype).name} ({PEAK_N}³ matmul, best of {args.rounds}): {peaks[dtype]:.0f} GFLOP/s "
              f"(median {statistics.median(times['peak'][dtype]):.0f})")
    header = (f"  {'size':7s}{'(N,T,D,H,C)':27s}{'dtype':9s}{'bptt ms':>9s}{'torch ms':>10s}{'ratio':>7s}"
              f"{'target':>8s}{'GFLOP/s':>9s}{'% peak':>8s}{'torch GF':>9s}")
    print(header)
    results = []
    for name, size in zip(SIZE_NAMES, SIZES):
        for dtype in DTYPES:
            tb = statistics.median(times[name, dtype]["bptt"])
            tt = statistics.median(times[name, dtype]["torch"])
            gf = gemm_flops(*size) / tb / 1e9
            share = statistics.median(gemm_flops(*size) / t / 1e9 / pk
                                      for t, pk in zip(times[name, dtype]["bptt"], times["peak"][dtype]))
            results.append((name, dtype, tb / tt, share))
            print(f"  {name:7s}{str(size):27s}{np.dtype(dtype).name:9s}{tb * 1e3:9.1f}{tt * 1e3:10.1f}"
                  f"{tb / tt:7.2f}{'≤' + str(RATIO_TARGET[name]):>8s}{gf:9.0f}{100 * share:7.0f}%"
                  f"{gemm_flops(*size) / tt / 1e9:9.0f}")

    print(f"\n-- memory of one call (tracemalloc peak of NumPy allocations), full vs truncate={TRUNCATE} --")
    print(f"  {'size':7s}{'dtype':9s}{'states MB':>10s}{'full MB':>9s}{'full/states':>12s}"
          f"{'trunc MB':>9s}{'trunc/full':>11s}{'working: full/states':>22s}{'trunc/full':>11s}")
    memory = []
    for name, size in zip(SIZE_NAMES, SIZES):
        for dtype in DTYPES:
            m = memory_table(size, dtype)
            memory.append((name, dtype, m))
            print(f"  {name:7s}{np.dtype(dtype).name:9s}{m['states'] / 1e6:10.2f}{m['full'] / 1e6:9.2f}"
                  f"{m['full'] / m['states']:12.2f}{m['trunc'] / 1e6:9.2f}{m['trunc'] / m['full']:11.3f}"
                  f"{m['full_working'] / m['states']:22.2f}{m['trunc_working'] / m['full_working']:11.3f}")
    print("  (states = T·N·H·itemsize; working = peak less the returned gradients; "
          f"truncation keeps {TRUNCATE}+1 states of T, so trunc/full ≥ {TRUNCATE}/T)")

    print("\n-- vectorising: one batched call against a loop over examples, and the per-step version --")
    for name, size in zip(SIZE_NAMES[:2], SIZES[:2]):
        for dtype in DTYPES:
            s = per_example_speedup(size, dtype)
            print(f"  {name:7s}{np.dtype(dtype).name:9s} batch {s['batch'] * 1e3:7.1f} ms, per-example loop "
                  f"{s['loop'] * 1e3:8.1f} ms ({s['loop'] / s['batch']:5.1f}x), per-step many_to_many_loop "
                  f"{s['per_step'] * 1e3:7.1f} ms ({s['per_step'] / s['batch']:4.1f}x)")

    build = None
    if not args.no_build:
        print("\n-- build and test times (private copy of the repository) --")
        notebooks, targets = build_times(Path(args.repo).resolve(), args.main_venv)
        for nb, (sec, code) in notebooks.items():
            print(f"  {nb:60s}{sec:7.1f} s  {_mark(code == 0 and sec < 10)}"
                  + ("" if code == 0 else f" (exit {code})"))
        for target, (sec, code) in targets.items():
            print(f"  {target:56s}{sec:7.1f} s" + ("" if code == 0 else f"  (exit {code})"))
        build = notebooks, targets

    print(f"\n-- targets (load average {os.getloadavg()[0]:.1f} at the end; other work on the machine slows "
          "the small sequential matrix products most) --")
    for name, dtype, ratio, share in results:
        line = f"  {name:7s}{np.dtype(dtype).name:9s} ratio {ratio:.2f} ≤ {RATIO_TARGET[name]}: {_mark(ratio <= RATIO_TARGET[name])}"
        if name != "small":
            line += f";  {100 * share:.0f}% of peak ≥ {100 * PEAK_TARGET:.0f}%: {_mark(share >= PEAK_TARGET)}"
        print(line)
    for name, dtype, m in memory:
        f_ok = m["full"] <= FULL_MEMORY_TARGET * m["states"]
        line = f"  {name:7s}{np.dtype(dtype).name:9s} full {m['full'] / m['states']:.2f}x states ≤ 2: {_mark(f_ok)}"
        if name == "large":  # k/T = 0.1 here; at T = 50 and 100 the states kept alone are 0.4 and 0.2 of full
            line += (f";  truncated {m['trunc'] / m['full']:.3f} of full ≤ {TRUNC_MEMORY_TARGET}: "
                     f"{_mark(m['trunc'] <= TRUNC_MEMORY_TARGET * m['full'])} "
                     f"(working memory {m['trunc_working'] / m['full_working']:.3f}: "
                     f"{_mark(m['trunc_working'] <= TRUNC_MEMORY_TARGET * m['full_working'])})")
        print(line)
    if build:
        notebooks, targets = build
        slow = [nb for nb, (sec, _) in notebooks.items() if sec >= 10]
        print(f"  notebooks under 10 s each: {_mark(not slow)}" + (f" (slow: {', '.join(slow)})" if slow else ""))
        sec, code = targets["make book"]
        print(f"  make book {sec:.0f} s < 60 s: {_mark(sec < 60 and code == 0)}")
    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
