"""Real-time recurrent learning (Williams and Zipser 1989): the BPTT gradient in forward mode.

Alongside the state, each example carries the sensitivities S_t = dh_t/dθ of its state to the
recurrent parameters θ = (W, U, b), an (H, H² + HD + H) matrix, updated as the steps arrive::

    S_t = diag(1 − h_t²) (W S_{t-1} + ∂a_t/∂θ),   S_0 = 0
    ∂a_t,i/∂W_jk = [i = j] h_{t-1,k},   ∂a_t,i/∂U_jk = [i = j] x_t,k,   ∂a_t,i/∂b_j = [i = j]
    dL/dθ += (Vᵀ ∂L_t/∂o_t)ᵀ S_t          (the direct term times the sensitivity, at step t)

V and c get their gradients directly, as in BPTT. Nothing of the past is stored, so memory does
not grow with T; the W S_{t-1} product costs 2·H·H·(H² + HD + H) flops per example and step.
"""

import numpy as np

from ._problem import check_problem
from .losses import mse_loss, nll_loss
from .params import Params


def rtrl(params, X, Y, loss="mse", h0=None):
    """Many-to-many loss and gradients by forward-mode sensitivities, one step at a time.

    Parameters
    ----------
    params : Params
        W (H, H), U (H, D), V (C, H), b (H,), c (C,).
    X : array_like, shape (N, T, D)
    Y : array_like, shape (N, T, C) or (N, T)
        mse floats or nll int labels.
    loss : str
        "mse" or "nll".
    h0 : array_like, shape (N, H), optional
        Zeros when None (h_0 does not depend on θ: S_0 = 0).

    Returns
    -------
    loss : float
        Σ_t L_t averaged over the batch, equal to ``bptt.many_to_many``'s.
    grads : Params
        Equal to ``bptt.many_to_many``'s to round-off.
    """
    pb = check_problem(params, X, Y, loss, h0)
    W, U, V, b, c = pb.params
    N, T, D = pb.X.shape
    H = W.shape[0]
    loss_fn = mse_loss if pb.loss == "mse" else nll_loss
    S = np.zeros((N, H, H * H + H * D + H), dtype=W.dtype)  # dh_t/d(W, U, b) per example
    S_W = S[:, :, : H * H].reshape(N, H, H, H)  # views: [n, i, j, k] = dh_i / dW_jk
    S_U = S[:, :, H * H : H * H + H * D].reshape(N, H, H, D)
    S_b = S[:, :, H * H + H * D :]
    i = np.arange(H)
    d_rec = np.zeros(S.shape[2], dtype=W.dtype)  # dL/d(W, U, b), flattened
    dV, dc = np.zeros_like(V), np.zeros_like(c)
    h, total = np.array(pb.h0), 0.0
    for t in range(T):
        x = pb.X[:, t]
        h_new = np.tanh(h @ W.T + x @ U.T + b)
        S[...] = np.matmul(W, S)  # W S_{t-1}
        S_W[:, i, i, :] += h[:, None, :]  # + ∂a_t/∂W: row i gets h_{t-1} in block j = i
        S_U[:, i, i, :] += x[:, None, :]
        S_b[:, i, i] += 1.0
        S *= (1.0 - h_new * h_new)[:, :, None]  # diag(1 − h_t²)
        h = h_new
        loss_t, dO = loss_fn(h @ V.T + c, pb.targets[:, t])  # the loss arrives now
        total += loss_t
        d_rec += np.einsum("nh,nhp->p", dO @ V, S)  # (Vᵀ ∂L_t/∂o_t)ᵀ S_t, over the batch
        dV += dO.T @ h
        dc += dO.sum(axis=0)
    dW = d_rec[: H * H].reshape(H, H)
    dU = d_rec[H * H : H * H + H * D].reshape(H, D)
    return total, Params(dW, dU, dV, d_rec[H * H + H * D :].copy(), dc)


def sensitivity_entries(D, H):
    """Entries of one example's sensitivity matrix dh_t/d(W, U, b): H·(H² + HD + H)."""
    return H * (H * H + H * D + H)
