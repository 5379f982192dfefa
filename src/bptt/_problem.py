"""The arguments of every sequence function, checked once (shared by bptt.rnn and bptt.fast)."""

from typing import NamedTuple

import numpy as np

from ._validate import as_float_array, as_labels, check_choice, check_int, check_shape
from .params import Params, check_params

LOSSES = ("mse", "nll")


class Problem(NamedTuple):
    """A checked problem: every array finite and of the parameters' dtype.

    Attributes
    ----------
    params : Params
        W (H, H), U (H, D), V (C, H), b (H,), c (C,).
    X : ndarray, shape (N, T, D)
        Inputs, batch first.
    targets : ndarray
        Many-to-many: mse (N, T, C) floats, nll (N, T) labels; many-to-one (N, C) or (N,).
    loss : str
        "mse" or "nll".
    h0 : ndarray, shape (N, H)
        The initial state (a read-only view of zeros when the caller gave None).
    truncate : int or None
        The truncation length k, or None for full BPTT.
    last_only : bool
        True for many-to-one (one loss, at the last step).
    """

    params: Params
    X: np.ndarray
    targets: np.ndarray
    loss: str
    h0: np.ndarray
    truncate: object
    last_only: bool


def check_targets(targets, loss, N, T, C, last_only, dtype):
    """Targets as floats (mse) or integer labels (nll) of the contract's shape."""
    name = "y" if last_only else "Y"
    if loss == "mse":
        shape, doc = ((N, C), "(N, C)") if last_only else ((N, T, C), "(N, T, C)")
        targets = as_float_array(targets, name, len(shape), doc + " floats", dtype=dtype)
        check_shape(targets, name, shape, doc)
        return targets
    shape, doc = ((N,), "(N,)") if last_only else ((N, T), "(N, T)")
    if np.ndim(targets) != len(shape):
        raise ValueError(
            f"{name} must hold integer labels with shape {doc}, got shape {np.shape(targets)}"
        )
    return as_labels(targets, name, shape, doc, C)


def check_h0(h0, N, H, dtype):
    """h0 (N, H) as a finite array, or a read-only view of zeros (no memory) when None."""
    if h0 is None:
        return np.broadcast_to(np.zeros((), dtype=dtype), (N, H))
    h0 = as_float_array(h0, "h0", 2, "(N, H)", dtype=dtype)
    check_shape(h0, "h0", (N, H), "(N, H)")
    return h0


def check_X(X, params):
    """X (N, T, D) with N, T >= 1 and D from params.U, in the parameters' dtype."""
    D = params.U.shape[1]
    X = as_float_array(X, "X", 3, "(N, T, D)", dtype=params.W.dtype)
    N, T, Dx = X.shape
    if N == 0:
        raise ValueError("X must have shape (N, T, D) with N >= 1 examples, got N = 0")
    if T == 0:
        raise ValueError(
            "X must have shape (N, T, D) with T >= 1 time steps: the sequence is empty"
        )
    if Dx != D:
        raise ValueError(f"X must have shape (N, T, D) with D = {D} (from params.U), got {X.shape}")
    return X


def check_problem(params, X, targets, loss="mse", h0=None, truncate=None, last_only=False):
    """Validate the arguments of a sequence function once; return them as a Problem.

    Parameters
    ----------
    params : Params
        W (H, H), U (H, D), V (C, H), b (H,), c (C,), one float dtype.
    X : array_like, shape (N, T, D)
        Inputs, batch first.
    targets : array_like
        Many-to-many: mse (N, T, C) floats, nll (N, T) int labels; many-to-one: (N, C), (N,).
    loss : str
        "mse" or "nll".
    h0 : array_like, shape (N, H), or None
        The initial state; zeros when None.
    truncate : int or None
        The truncation length k >= 1.
    last_only : bool
        True for many-to-one.

    Returns
    -------
    Problem
        The same arguments as clean arrays; bad input raises TypeError or ValueError naming the
        argument and its expected shape.
    """
    params = check_params(params)
    X = check_X(X, params)
    N, T, _ = X.shape
    H, C = params.W.shape[0], params.V.shape[0]
    check_choice(loss, "loss", LOSSES)
    targets = check_targets(targets, loss, N, T, C, last_only, params.W.dtype)
    h0 = check_h0(h0, N, H, params.W.dtype)
    truncate = check_int(truncate, "truncate", minimum=1, allow_none=True)
    return Problem(params, X, targets, loss, h0, truncate, bool(last_only))
