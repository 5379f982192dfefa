"""Backpropagation through time for a vanilla tanh RNN.

Math (column vectors, t = 1..T, h_0 given):

    a_t = W h_{t-1} + U x_t + b,   h_t = tanh(a_t),   o_t = V h_t + c
    g_t = dL/dh_t = Vᵀ dL/do_t + Wᵀ δ_{t+1},   δ_t = (1 - h_t²) ⊙ g_t
    dL/dW = Σ_t δ_t h_{t-1}ᵀ,  dL/dU = Σ_t δ_t x_tᵀ,  dL/db = Σ_t δ_t

Code puts the batch first: X (N, T, D), one step is ``A = H_prev @ W.T + X[:, t] @ U.T + b``.

The per-step version that the chapters teach lives here (``step_forward``/``step_backward``,
``many_to_many_loop``, ``backward_details``); ``many_to_one``/``many_to_many`` call the fast path,
``bptt.fast``, tested equal to it.
"""
from typing import NamedTuple

import numpy as np

from ._problem import check_problem
from ._validate import as_float_array, check_shape
from .fast import Result, Workspace, forward_segment, loss_and_grads  # noqa: F401  (Result: re-exported)
from .losses import mse_loss, nll_loss
from .params import Params, check_params


def _check_inputs(params, X, targets, loss, h0, truncate, last_only):
    """Validate everything once; return (params, X, targets, h0, truncate) as clean arrays."""
    pb = check_problem(params, X, targets, loss, h0, truncate, last_only)
    return pb.params, pb.X, pb.targets, pb.h0, pb.truncate


def many_to_one(params, X, y, loss="mse", h0=None, truncate=None):
    """Loss on the last step only. X (N, T, D); y: mse (N, C) floats, nll (N,) int labels.

    Returns (loss, grads) with grads a Params shaped like params. See ``loss_and_grads``.
    """
    res = loss_and_grads(params, X, y, loss=loss, h0=h0, truncate=truncate, last_only=True)
    return res.loss, res.grads


def many_to_many(params, X, Y, loss="mse", h0=None, truncate=None):
    """A loss at every step, summed over t and averaged over the batch.

    X (N, T, D); Y: mse (N, T, C) floats, nll (N, T) int labels; h0 (N, H) or None;
    truncate=k stops the gradient (not the state) every k steps. Returns (loss, grads).
    """
    res = loss_and_grads(params, X, Y, loss=loss, h0=h0, truncate=truncate, last_only=False)
    return res.loss, res.grads


def forward(params, X, h0=None):
    """Hidden states and outputs, batch first: returns (Hs (N, T, H), O (N, T, C))."""
    params = check_params(params)
    D, H, C = params.sizes
    X = as_float_array(X, "X", 3, "(N, T, D)", dtype=params.W.dtype)
    N, T, Dx = X.shape
    if N == 0 or T == 0 or Dx != D:
        raise ValueError(f"X must have shape (N, T, D) with N, T >= 1 and D = {D}, got {X.shape}")
    if h0 is None:
        h0 = np.zeros((N, H), dtype=params.W.dtype)
    else:
        h0 = as_float_array(h0, "h0", 2, "(N, H)", dtype=params.W.dtype)
        check_shape(h0, "h0", (N, H), "(N, H)")
    Hs = np.empty((T + 1, N, H), dtype=params.W.dtype)  # time-major, Hs[0] = h0
    Hs[0] = h0
    ws = Workspace(max(1, min(T, 1024 // N)), N, D, H, 0, params.W.dtype)
    forward_segment(params, X, 0, Hs, ws)
    Hs = np.ascontiguousarray(Hs[1:].transpose(1, 0, 2))
    return Hs, Hs @ params.V.T + params.c


# ----------------------------------------------------------------------------- teaching path

def step_forward(x, h_prev, W, U, b):
    """One step, batch first. x (N, D), h_prev (N, H), W (H, H), U (H, D), b (H,).

    Returns h (N, H) = tanh(h_prev Wᵀ + x Uᵀ + b) and the cache for step_backward.
    """
    h = np.tanh(h_prev @ W.T + x @ U.T + b)
    return h, (x, h_prev, W, U, h)


def step_backward(dh, cache):
    """Backward of step_forward. dh (N, H) = total dL/dh_t.

    Returns dx (N, D), dh_prev (N, H), dW (H, H), dU (H, D), db (H,).
    """
    x, h_prev, W, U, h = cache
    da = dh * (1.0 - h * h)                  # δ_t = (1 - h_t²) ⊙ g_t
    return da @ U, da @ W, da.T @ h_prev, da.T @ x, da.sum(axis=0)


def many_to_many_loop(params, X, Y, loss="mse", h0=None, truncate=None):
    """The same result as ``many_to_many``, one step at a time: the version the book reads.

    Five lines carry the backward pass: the direct term, the carry from step t+1, the tanh',
    the three weight sums. Slow on long sequences; tested equal to the fast path.
    """
    params, X, Y, h0, k = _check_inputs(params, X, Y, loss, h0, truncate, last_only=False)
    W, U, V, b, c = params
    N, T, _ = X.shape
    loss_fn = mse_loss if loss == "mse" else nll_loss       # each returns (loss, dL/do_t)
    hs, caches, dos = [h0], [], []
    total = 0.0
    for t in range(T):                                      # forward
        h, cache = step_forward(X[:, t], hs[-1], W, U, b)
        hs.append(h)
        caches.append(cache)
        loss_t, do = loss_fn(h @ V.T + c, Y[:, t])
        total += loss_t
        dos.append(do)
    grads = [np.zeros_like(p) for p in params]
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):                            # backward
        do = dos[t]
        grads[2] += do.T @ hs[t + 1]
        grads[4] += do.sum(axis=0)
        dh = do @ V + dh_next                               # g_t: direct term + carry from t+1
        _, dh_prev, dW, dU, db = step_backward(dh, caches[t])
        grads[0] += dW
        grads[1] += dU
        grads[3] += db
        cut = k is not None and t % k == 0 and t > 0
        dh_next = np.zeros_like(dh_prev) if cut else dh_prev
    return float(total), Params(*grads)


class Details(NamedTuple):
    """Every intermediate of one backward pass, batch first, for the chapters' pictures and checks.

    Hs (N, T+1, H): h_0..h_T.  direct (N, T, H): Vᵀ dL/do_t (zero where a step has no loss).
    G (N, T, H): total g_t = dL/dh_t.  Delta (N, T, H): δ_t = (1 - h_t²) ⊙ g_t.
    dW_steps (T, H, H), dU_steps (T, H, D), db_steps (T, H): each step's copy's gradient
    (summed over the batch); their sums over t are grads.W, grads.U, grads.b.
    """
    loss: float
    grads: Params
    Hs: np.ndarray
    direct: np.ndarray
    G: np.ndarray
    Delta: np.ndarray
    dW_steps: np.ndarray
    dU_steps: np.ndarray
    db_steps: np.ndarray


def backward_details(params, X, targets, loss="mse", h0=None, last_only=False):
    """Run BPTT one step at a time and keep everything (see ``Details``). Full BPTT, no truncation.

    Arguments as in ``loss_and_grads``. Meant for small sizes: it stores T matrices of size H x H.
    """
    params, X, targets, h0, _ = _check_inputs(params, X, targets, loss, h0, None, last_only)
    W, U, V, b, c = params
    N, T, D = X.shape
    Hs, caches = [h0], []
    for t in range(T):
        h, cache = step_forward(X[:, t], Hs[-1], W, U, b)
        Hs.append(h)
        caches.append(cache)
    Hs = np.stack(Hs, axis=1)                                # (N, T+1, H)
    direct = np.zeros((N, T, W.shape[0]), dtype=W.dtype)
    dV, dc = np.zeros_like(V), np.zeros_like(c)
    total = 0.0
    loss_fn = mse_loss if loss == "mse" else nll_loss        # each returns (loss, dL/do_t)
    steps = [T - 1] if last_only else range(T)
    for t in steps:
        tgt = targets if last_only else targets[:, t]
        loss_t, dO = loss_fn(Hs[:, t + 1] @ V.T + c, tgt)
        total += loss_t
        dV += dO.T @ Hs[:, t + 1]
        dc += dO.sum(axis=0)
        direct[:, t] = dO @ V
    G, Delta = np.zeros_like(direct), np.zeros_like(direct)
    dW_s = np.zeros((T,) + W.shape, dtype=W.dtype)
    dU_s = np.zeros((T,) + U.shape, dtype=W.dtype)
    db_s = np.zeros((T,) + b.shape, dtype=W.dtype)
    carry = np.zeros_like(h0)
    for t in reversed(range(T)):
        G[:, t] = direct[:, t] + carry
        _, carry, dW_s[t], dU_s[t], db_s[t] = step_backward(G[:, t], caches[t])
        Delta[:, t] = G[:, t] * (1.0 - Hs[:, t + 1] ** 2)
    grads = Params(dW_s.sum(0), dU_s.sum(0), dV, db_s.sum(0), dc)
    return Details(float(total), grads, Hs, direct, G, Delta, dW_s, dU_s, db_s)
