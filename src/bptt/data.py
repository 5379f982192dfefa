"""Toy sequence tasks whose answers are known, for training small RNNs (chapter 8).

Each generator is seeded and returns inputs ``X`` of shape (N, T, D) and targets in the shapes
of the package contract, ready for ``bptt.many_to_many`` or ``bptt.many_to_one``:

- ``delayed_recall``: a random symbol arrives at every step; at step t the network must name the
  symbol it saw ``delay`` steps earlier. Many-to-many, ``loss="nll"``, targets (N, T) ints.
  Nothing short of a memory of ``delay`` steps does better than chance (1 / n_symbols).
- ``adding_problem`` (Hochreiter and Schmidhuber, 1997): T random numbers, two of them marked;
  the target at the last step is their sum. Many-to-one, ``loss="mse"``, targets (N, 1) floats.

``random_problem`` draws a random network and data with no task behind them, for checking
gradients (tests, assignments' checks, the benchmark).
"""

import numpy as np

from ._validate import check_choice, check_int
from .params import init_params


def random_problem(
    N, T, D, H, C, seed=0, loss="nll", last_only=False, with_h0=True, scale=None, dtype=np.float64
):
    """A random network and data with no task behind them, for gradient checks.

    Weights by ``init_params(D, H, C, seed=seed, scale=scale)``; X, targets and h0 from one
    generator seeded with ``seed``, drawn in that order; floats cast to ``dtype``.

    Parameters
    ----------
    N, T, D, H, C : int
        Batch, steps, input, hidden and output sizes.
    seed : int, optional
    loss : str, optional
        "mse" (normal float targets) or "nll" (integer labels in [0, C)).
    last_only : bool, optional
        Many-to-one targets (one per sequence) instead of one per step.
    with_h0 : bool, optional
        Draw h0 ~ N(0, 0.5²), or return None.
    scale : float, optional
        Passed to ``init_params``.
    dtype : float32 or float64, optional

    Returns
    -------
    params : Params
    X : ndarray, shape (N, T, D)
    targets : ndarray
        mse (N, T, C) or (N, C) with last_only; nll (N, T) or (N,) with last_only.
    h0 : ndarray, shape (N, H), or None
    """
    for name, n in zip("NTDHC", (N, T, D, H, C)):
        check_int(n, name, minimum=1)
    check_choice(loss, "loss", ("mse", "nll"))
    rng = np.random.default_rng(seed)
    params = init_params(D, H, C, seed=seed, scale=scale, dtype=dtype)
    X = rng.normal(size=(N, T, D)).astype(dtype)
    if loss == "mse":
        targets = rng.normal(size=(N, C) if last_only else (N, T, C)).astype(dtype)
    else:
        targets = rng.integers(0, C, size=(N,) if last_only else (N, T))
    h0 = rng.normal(scale=0.5, size=(N, H)).astype(dtype) if with_h0 else None
    return params, X, targets, h0


def delayed_recall(n_sequences, n_steps, delay, n_symbols=4, seed=0):
    """Recall the symbol seen ``delay`` steps ago.

    Each sequence holds T symbols s_1..s_T drawn uniformly from {0, .., S-1}, fed one-hot. The
    target at step t is s_{t-d} for t > d, and the extra class S ("nothing to recall yet") for
    t <= d. Chance accuracy on the steps t > d is 1 / S; score with
    ``bptt.train.accuracy(..., from_step=d)``.

    Parameters
    ----------
    n_sequences : int
        N >= 1.
    n_steps : int
        T >= 2.
    delay : int
        d, with 1 <= d < T.
    n_symbols : int, optional
        S >= 2.
    seed : int, optional

    Returns
    -------
    X : ndarray, shape (N, T, S)
        One-hot inputs, float64.
    Y : ndarray, shape (N, T)
        Int labels in [0, S] (C = S + 1 classes): Y[:, t] == X[:, t - d].argmax(-1) for 0-based
        t >= d and Y[:, :d] == S.
    """
    N = check_int(n_sequences, "n_sequences", minimum=1)
    T = check_int(n_steps, "n_steps", minimum=2)
    d = check_int(delay, "delay", minimum=1)
    S = check_int(n_symbols, "n_symbols", minimum=2)
    if d >= T:
        raise ValueError(
            f"delay must be smaller than n_steps = {T} (a target needs a symbol d steps back), "
            f"got {d}"
        )
    rng = np.random.default_rng(seed)
    symbols = rng.integers(0, S, size=(N, T))
    X = np.zeros((N, T, S))
    X[np.arange(N)[:, None], np.arange(T)[None, :], symbols] = 1.0
    Y = np.full((N, T), S, dtype=np.intp)
    Y[:, d:] = symbols[:, : T - d]
    return X, Y


def adding_problem(n_sequences, n_steps, seed=0):
    """The adding problem (Hochreiter and Schmidhuber 1997): the sum of the two marked numbers.

    Channel 0 of X holds numbers drawn uniformly from [0, 1); channel 1 marks exactly two steps
    with 1.0, one in the first half of the sequence and one in the second half. Always answering
    the mean 1 gives the mse loss ½ E[(y − 1)²] = ½ · 1/6 = 1/12 ≈ 0.083. ``n_sequences`` (N >= 1),
    ``n_steps`` (T >= 2) and ``seed`` as in ``delayed_recall``.

    Returns
    -------
    X : ndarray, shape (N, T, 2)
    y : ndarray, shape (N, 1)
        The sum of the two marked numbers, reported at the last step.
    """
    N = check_int(n_sequences, "n_sequences", minimum=1)
    T = check_int(n_steps, "n_steps", minimum=2)
    rng = np.random.default_rng(seed)
    X = np.zeros((N, T, 2))
    X[:, :, 0] = rng.random((N, T))
    half = T // 2
    first = rng.integers(0, half, size=N)
    second = rng.integers(half, T, size=N)
    rows = np.arange(N)
    X[rows, first, 1] = 1.0
    X[rows, second, 1] = 1.0
    y = (X[rows, first, 0] + X[rows, second, 0])[:, None]
    return X, y
