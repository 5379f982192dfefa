"""Backpropagation through time for a vanilla tanh RNN.

Math (column vectors, t = 1..T, h_0 given):

    a_t = W h_{t-1} + U x_t + b,   h_t = tanh(a_t),   o_t = V h_t + c
    g_t = dL/dh_t = Vᵀ dL/do_t + Wᵀ δ_{t+1},   δ_t = (1 - h_t²) ⊙ g_t
    dL/dW = Σ_t δ_t h_{t-1}ᵀ,  dL/dU = Σ_t δ_t x_tᵀ,  dL/db = Σ_t δ_t

Code puts the batch first: X (N, T, D), one step is ``A = H_prev @ W.T + X[:, t] @ U.T + b``.

Two implementations live here and are tested equal:
- the per-step one that the chapters teach (``step_forward``/``step_backward`` and
  ``many_to_many_loop``), short and literal;
- the fast one behind ``many_to_one``/``many_to_many``: only the recurrence stays in the time
  loop; the input projection, the output layer, the loss and the weight gradients are matrix
  products over many rows at once, in chunks of a few hundred rows whose buffers are reused.
  Hidden states are stored time-major, float32 stays float32.
"""
from typing import NamedTuple

import numpy as np

from ._validate import as_float_array, as_labels, check_choice, check_int, check_shape
from .params import Params, check_params

LOSSES = ("mse", "nll")
CHUNK_ROWS = 512  # rows (time steps x batch) per matrix product in the output layer and weight gradients


class Result(NamedTuple):
    """What ``loss_and_grads`` returns: the loss (float), grads (Params), dh0 = dL/dh_0 (N, H)."""
    loss: float
    grads: Params
    dh0: np.ndarray


# ----------------------------------------------------------------------------- input checks

def _check_inputs(params, X, targets, loss, h0, truncate, last_only):
    """Validate everything once; return (params, X, targets, h0, truncate) as clean arrays."""
    params = check_params(params)
    D, H, C = params.sizes
    dtype = params.W.dtype
    X = as_float_array(X, "X", 3, "(N, T, D)", dtype=dtype)
    N, T, Dx = X.shape
    if N == 0:
        raise ValueError("X must have shape (N, T, D) with N >= 1 examples, got N = 0")
    if T == 0:
        raise ValueError("X must have shape (N, T, D) with T >= 1 time steps: the sequence is empty")
    if Dx != D:
        raise ValueError(f"X must have shape (N, T, D) with D = {D} (from params.U), got {X.shape}")
    check_choice(loss, "loss", LOSSES)
    name = "y" if last_only else "Y"
    if loss == "mse":
        shape, doc = ((N, C), "(N, C)") if last_only else ((N, T, C), "(N, T, C)")
        targets = as_float_array(targets, name, len(shape), doc + " floats", dtype=dtype)
        check_shape(targets, name, shape, doc)
    else:
        shape, doc = ((N,), "(N,)") if last_only else ((N, T), "(N, T)")
        if np.ndim(targets) != len(shape):
            raise ValueError(f"{name} must hold integer labels with shape {doc}, got shape {np.shape(targets)}")
        targets = as_labels(targets, name, shape, doc, C)
    if h0 is None:
        h0 = np.zeros((N, H), dtype=dtype)
    else:
        h0 = as_float_array(h0, "h0", 2, "(N, H)", dtype=dtype)
        check_shape(h0, "h0", (N, H), "(N, H)")
    truncate = check_int(truncate, "truncate", minimum=1, allow_none=True)
    return params, X, targets, h0, truncate


# ----------------------------------------------------------------------------- fast path

def _forward_states(params, Xt, h0):
    """All hidden states, time-major: Hs (T+1, N, H) with Hs[0] = h0, Hs[t] = h_t."""
    W, U, b = params.W, params.U, params.b
    T, N, D = Xt.shape
    H = W.shape[0]
    Hs = np.empty((T + 1, N, H), dtype=W.dtype)
    Hs[0] = h0
    np.matmul(Xt.reshape(T * N, D), U.T, out=Hs[1:].reshape(T * N, H))  # U x_t for every t at once
    Hs[1:] += b
    WT = np.ascontiguousarray(W.T)
    tmp = np.empty((N, H), dtype=W.dtype)
    for t in range(1, T + 1):                       # only the recurrence stays in the loop
        np.matmul(Hs[t - 1], WT, out=tmp)
        Hs[t] += tmp
        np.tanh(Hs[t], out=Hs[t])
    return Hs


def _output_loss(O, tgt, loss, N):
    """Loss summed over rows / N and dL/dO (in place of O) for logits O (rows, C)."""
    if loss == "mse":
        O -= tgt
        value = 0.5 * float(np.einsum("ij,ij->", O, O))
        O /= N
        return value / N
    O -= O.max(axis=1, keepdims=True)
    np.exp(O, out=O)
    s = O.sum(axis=1, keepdims=True)
    rows = np.arange(O.shape[0])
    value = float(np.sum(np.log(s[:, 0]) - np.log(O[rows, tgt])))
    O /= s
    O[rows, tgt] -= 1.0
    O /= N
    return value / N


def loss_and_grads(params, X, targets, loss="mse", h0=None, truncate=None, last_only=False):
    """Loss and BPTT gradients of a tanh RNN with a linear output layer, fast path.

    X: (N, T, D). targets: many-to-many (last_only=False) mse (N, T, C) floats / nll (N, T) ints;
    many-to-one (last_only=True) mse (N, C) / nll (N,). h0: (N, H) or None (zeros).
    truncate=k cuts the gradient (not the state) every k steps, in chunks starting at t = 1.
    Returns Result(loss, grads: Params, dh0: (N, H)).
    """
    params, X, targets, h0, k = _check_inputs(params, X, targets, loss, h0, truncate, last_only)
    W, U, V, b, c = params
    N, T, D = X.shape
    H, C = W.shape[0], V.shape[0]
    dt = W.dtype
    Xt = np.ascontiguousarray(X.transpose(1, 0, 2))        # (T, N, D) time-major
    Hs = _forward_states(params, Xt, h0)                    # (T+1, N, H)

    dW, dU, dV = np.zeros_like(W), np.zeros_like(U), np.zeros_like(V)
    db, dc = np.zeros_like(b), np.zeros_like(c)
    total = 0.0
    if last_only:                                           # one output, at t = T
        O = Hs[T] @ V.T + c
        total = _output_loss(O, targets, loss, N)
        dV += O.T @ Hs[T]
        dc += O.sum(axis=0)
        g_last = O @ V
    else:
        tgt_t = np.ascontiguousarray(np.swapaxes(targets, 0, 1))  # (T, N, ...) time-major

    steps = max(1, min(T, CHUNK_ROWS // N))                 # time steps per chunk
    G = np.empty((steps, N, H), dtype=dt)                   # reused: direct terms, then δ_t
    carry = np.zeros((N, H), dtype=dt)                      # Wᵀ δ_{t+1}, batch-first: δ_{t+1} W
    for t1 in range(T, 0, -steps):                          # chunks (t0, t1], newest first
        t0 = max(0, t1 - steps)
        n = t1 - t0
        Hc = Hs[t0 + 1:t1 + 1].reshape(n * N, H)
        Gc = G[:n]
        if last_only:
            Gc.fill(0)
            if t1 == T:
                Gc[n - 1] = g_last
        else:
            O = Hc @ V.T
            O += c
            total += _output_loss(O, tgt_t[t0:t1].reshape((n * N,) + tgt_t.shape[2:]), loss, N)
            dV += O.T @ Hc
            dc += O.sum(axis=0)
            np.matmul(O, V, out=Gc.reshape(n * N, H))       # direct terms Vᵀ dL/do_t
        for j in range(n - 1, -1, -1):                      # the recurrence, backwards
            t = t0 + j + 1                                  # math time index 1..T
            d = Gc[j]
            d += carry                                      # g_t = direct + Wᵀ δ_{t+1}
            h = Hs[t]
            d *= 1.0 - h * h                                # δ_t = (1 - h_t²) ⊙ g_t
            if k is not None and (t - 1) % k == 0 and t > 1:
                carry.fill(0)                               # chunk boundary: no gradient into h_{t-1}
            else:
                np.matmul(d, W, out=carry)
        Dc = Gc.reshape(n * N, H)
        dW += Dc.T @ Hs[t0:t1].reshape(n * N, H)            # Σ δ_t h_{t-1}ᵀ
        dU += Dc.T @ Xt[t0:t1].reshape(n * N, D)            # Σ δ_t x_tᵀ
        db += Dc.sum(axis=0)
    # carry now holds dL/dh_0 (from δ_1 W), unless k cut it at t = 1 (it never does)
    return Result(float(total), Params(dW, dU, dV, db, dc), carry)


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
    Hs = _forward_states(params, np.ascontiguousarray(X.transpose(1, 0, 2)), h0)[1:]
    Hs = np.ascontiguousarray(Hs.transpose(1, 0, 2))
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
    hs, caches, dos = [h0], [], []
    total = 0.0
    for t in range(T):                                      # forward
        h, cache = step_forward(X[:, t], hs[-1], W, U, b)
        hs.append(h)
        caches.append(cache)
        o = h @ V.T + c
        if loss == "mse":
            diff = o - Y[:, t]
            total += 0.5 * np.sum(diff ** 2) / N
            dos.append(diff / N)
        else:
            p = np.exp(o - o.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            total += -np.sum(np.log(p[np.arange(N), Y[:, t]])) / N
            p[np.arange(N), Y[:, t]] -= 1.0
            dos.append(p / N)
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
    steps = [T - 1] if last_only else range(T)
    for t in steps:
        tgt = targets if last_only else targets[:, t]
        O = Hs[:, t + 1] @ V.T + c
        total += _output_loss(O, tgt, loss, N)               # O becomes dL/do_t
        dV += O.T @ Hs[:, t + 1]
        dc += O.sum(axis=0)
        direct[:, t] = O @ V
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
