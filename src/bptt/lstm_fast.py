"""The fast path behind ``bptt.lstm_many_to_many`` and ``lstm_many_to_one``: bptt.lstm's numbers.

The arithmetic is the readable loop's (``bptt.lstm.lstm_backward``), tested equal to it to 1e-12
in float64; what changes is the layout:

- Only the recurrent product h_{t-1} Wᵀ (forward) and dz_t W (backward) loop over the steps. The
  input projections U x_t + b of all T steps are one matrix product, and so are the output
  layer, the direct terms Vᵀ ∂L_t/∂o_t and the weight gradients Σ_t dz_t h_{t-1}ᵀ, Σ_t dz_t x_tᵀ.
- Everything is stored time-major inside (``Z[t]`` is the (N, 4H) block of step t + 1), so that a
  run of steps is one (T·N, ·) matrix.
- The three sigmoids and the tanh of a step are one ``tanh`` over the whole (N, 4H) block:
  σ(z) = (1 + tanh(z/2))/2, with the halving folded into the rows of W, U and b once per call
  (multiplying by 1/2 is exact in binary floating point).
- The factors of the backward step that do not depend on the carry (s̃ ⊙ σ'(z^i), c_{t-1} ⊙
  σ'(z^f), ...) are computed for all steps at once before the loop, which then does a few
  multiplications and one product per step.
"""

from typing import NamedTuple

import numpy as np

from .losses import nll_in_place
from .lstm import LSTMParams, check_lstm_problem


class LSTMResult(NamedTuple):
    """What ``loss_and_grads`` returns.

    Attributes
    ----------
    loss : float
    grads : LSTMParams
    dh0, dc0 : ndarray, shape (N, H)
        dL/dh_0 and dL/dc_0 (zeros where truncation cut the gradient before step 1).
    hT, cT : ndarray, shape (N, H)
        The final states h_T and c_T (for stateful training: the next chunk's h0 and c0).
    """

    loss: float
    grads: LSTMParams
    dh0: np.ndarray
    dc0: np.ndarray
    hT: np.ndarray
    cT: np.ndarray


def _gate_vectors(H, dtype):
    """(half, add): z ⊙ half before tanh, then tanh ⊙ half + add gives (i, f, s̃, q)."""
    half = np.full(4 * H, 0.5, dtype=dtype)
    half[2 * H : 3 * H] = 1.0  # the candidate s̃ is a plain tanh
    add = np.where(half == 0.5, 0.5, 0.0).astype(dtype)
    return half, add


def forward_states(lp, X, h0, c0):
    """The forward pass, time-major: (Z, Hs, Cs, tanh_c), Z holding the gates.

    Parameters
    ----------
    lp : LSTMParams
        Checked.
    X : ndarray, shape (N, T, D)
    h0, c0 : ndarray, shape (N, H)

    Returns
    -------
    Z : ndarray, shape (T, N, 4H)
        The gates (i, f, s̃, q) of every step.
    Hs, Cs : ndarray, shape (T + 1, N, H)
        h_0..h_T and c_0..c_T.
    tanh_c : ndarray, shape (T, N, H)
        tanh(c_1)..tanh(c_T).
    """
    N, T, D = X.shape
    H = lp.W.shape[1]
    dtype = lp.W.dtype
    half, add = _gate_vectors(H, dtype)
    Wh = lp.W * half[:, None]
    Z = np.empty((T, N, 4 * H), dtype=dtype)
    Xt = np.ascontiguousarray(X.transpose(1, 0, 2)).reshape(T * N, D)
    np.matmul(Xt, (lp.U * half[:, None]).T, out=Z.reshape(T * N, 4 * H))  # all steps at once
    Z += lp.b * half
    Hs = np.empty((T + 1, N, H), dtype=dtype)
    Cs = np.empty_like(Hs)
    tanh_c = np.empty((T, N, H), dtype=dtype)
    Hs[0], Cs[0] = h0, c0
    rec = np.empty((N, 4 * H), dtype=dtype)
    tmp = np.empty((N, H), dtype=dtype)
    for t in range(T):
        z = Z[t]
        z += np.matmul(Hs[t], Wh.T, out=rec)  # the recurrent product, the only one per step
        np.tanh(z, out=z)
        z *= half
        z += add  # z now holds i, f, s̃, q
        c = Cs[t + 1]
        np.multiply(z[:, H : 2 * H], Cs[t], out=c)  # f ⊙ c_{t-1}
        c += np.multiply(z[:, :H], z[:, 2 * H : 3 * H], out=tmp)  # + i ⊙ s̃
        np.tanh(c, out=tanh_c[t])
        np.multiply(z[:, 3 * H :], tanh_c[t], out=Hs[t + 1])
    return Z, Hs, Cs, tanh_c


def _losses(pb, Hs):
    """(loss, dO, rows): dL/do_t (rows·N, C) for the steps with a loss, and their h_t rows."""
    N, T, _ = pb.X.shape
    H = pb.params.W.shape[1]
    Hr = Hs[T:] if pb.last_only else Hs[1:]
    Hr = Hr.reshape(-1, H)
    O = Hr @ pb.params.V.T
    O += pb.params.c
    if pb.last_only:
        Y = pb.targets
    else:
        Y = pb.targets.transpose(1, 0, 2) if pb.loss == "mse" else pb.targets.T
    if pb.loss == "mse":
        O -= Y.reshape(O.shape)
        total = 0.5 * float(np.vdot(O, O))
        O /= N
    else:
        total = float(
            nll_in_place(O, np.ascontiguousarray(Y).reshape(-1), 1.0 / N).sum(dtype=np.float64)
        )
    return total / N, O, Hr


def loss_and_grads(lp, X, targets, loss="mse", h0=None, c0=None, truncate=None, last_only=False):
    """Loss and BPTT gradients of an LSTM with a linear output layer, fast.

    Parameters
    ----------
    lp : LSTMParams
        W (4H, H), U (4H, D), b (4H,), V (C, H), c (C,); float32 stays float32.
    X : array_like, shape (N, T, D)
    targets : array_like
        Many-to-many: mse (N, T, C) floats, nll (N, T) int labels; many-to-one (last_only):
        (N, C) or (N,).
    loss : str
        "mse" or "nll".
    h0, c0 : array_like, shape (N, H), optional
        Zeros when None.
    truncate : int, optional
        k: no gradient flows from step t = k+1, 2k+1, ... into the step before it.
    last_only : bool
        True for many-to-one.

    Returns
    -------
    LSTMResult
    """
    pb = check_lstm_problem(lp, X, targets, loss, h0, c0, truncate, last_only)
    lp = pb.params
    N, T, D = pb.X.shape
    H = lp.W.shape[1]
    Z, Hs, Cs, tanh_c = forward_states(lp, pb.X, pb.h0, pb.c0)
    value, dO, Hr = _losses(pb, Hs)
    dV = dO.T @ Hr
    dc_out = dO.sum(axis=0)
    G = np.zeros((T, N, H), dtype=lp.W.dtype)  # direct terms Vᵀ ∂L_t/∂o_t, then g_t
    np.matmul(dO, lp.V, out=G[T - 1] if last_only else G.reshape(T * N, H))
    # the carry-free factors of every step, at once
    i, f, s, q = (Z[..., k * H : (k + 1) * H] for k in range(4))
    A = np.empty((T, N, 3, H), dtype=lp.W.dtype)
    np.multiply(s, i * (1 - i), out=A[:, :, 0])  # ∂c/∂z^i = s̃ σ'(z^i)
    np.multiply(Cs[:-1], f * (1 - f), out=A[:, :, 1])  # ∂c/∂z^f = c_{t-1} σ'(z^f)
    np.multiply(i, 1 - s * s, out=A[:, :, 2])  # ∂c/∂z^s̃ = i tanh'(z^s̃)
    P = q * (1 - tanh_c * tanh_c)  # ∂c-path of h: e_t gets g_t ⊙ q_t ⊙ (1 - tanh² c_t)
    Q = tanh_c * q * (1 - q)  # dz^q = g_t ⊙ tanh(c_t) σ'(z^q)
    F = f.copy()
    dZ = Z.reshape(T, N, 4, H)  # the gates are no longer needed: Z becomes dL/dz
    dh = np.zeros((N, H), dtype=lp.W.dtype)  # the carry Wᵀ dz_{t+1}
    dc = np.zeros((N, H), dtype=lp.W.dtype)  # the carry f_{t+1} ⊙ e_{t+1}
    e = np.empty((N, H), dtype=lp.W.dtype)
    k = pb.truncate
    for t in range(T - 1, -1, -1):
        g = G[t]
        g += dh  # g_t
        np.multiply(g, P[t], out=e)
        e += dc  # e_t, the cell junction
        np.multiply(A[t], e[:, None, :], out=dZ[t, :, :3])
        np.multiply(g, Q[t], out=dZ[t, :, 3])
        if k is not None and t > 0 and t % k == 0:
            dh.fill(0)  # a truncation window starts here
            dc.fill(0)
        else:
            np.multiply(e, F[t], out=dc)
            np.matmul(Z[t], lp.W, out=dh)
    Zr = Z.reshape(T * N, 4 * H)
    dW = Zr.T @ Hs[:-1].reshape(T * N, H)
    dU = Zr.T @ np.ascontiguousarray(pb.X.transpose(1, 0, 2)).reshape(T * N, D)
    grads = LSTMParams(dW, dU, Zr.sum(axis=0), dV, dc_out)
    return LSTMResult(value, grads, dh, dc, Hs[T].copy(), Cs[T].copy())
