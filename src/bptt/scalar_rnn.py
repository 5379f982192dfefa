"""A scalar recurrence with one copy of the shared weight per step (chapter 2).

    h_t = tanh(w_t h_{t-1} + u_t x_t),  t = 1..T,  L = ½ Σ_t (h_t − y_t)²

Each step uses its own *copy* w_t of the shared weight (*Back Propagation in Recurrent Neural
Networks*' W_1 = W_2 = W_3 = W): the gradient of the shared weight is the sum of the gradients
of its copies. Arrays over time are 0-based and aligned with x: ``h[t]``, ``g[t]``, ``delta[t]``
belong to step t + 1; h_0 is ``h0``.
"""

from typing import NamedTuple

import numpy as np

from ._validate import as_float_array


class ScalarBackward(NamedTuple):
    """The backward pass of the scalar recurrence, arrays over time aligned with x.

    Attributes
    ----------
    loss : float
    h0 : float
        h_0.
    h : ndarray, shape (T,)
        h_1..h_T.
    direct : ndarray, shape (T,)
        ∂L_t/∂h_t, the loss term at step t alone (0 where a step has no loss).
    g : ndarray, shape (T,)
        The total dL/dh_t.
    delta : ndarray, shape (T,)
        δ_t = (1 − h_t²) g_t.
    dw_copies, du_copies : ndarray, shape (T,)
        ∂L/∂w_t = δ_t h_{t-1} and ∂L/∂u_t = δ_t x_t, one per copy.
    dw, du : float
        Their sums: the gradients of the shared weights.
    dh0 : float
        dL/dh_0.
    """

    loss: float
    h0: float
    h: np.ndarray
    direct: np.ndarray
    g: np.ndarray
    delta: np.ndarray
    dw_copies: np.ndarray
    du_copies: np.ndarray
    dw: float
    du: float
    dh0: float


def _check_scalar_rnn(w, u, x, y, h0, last_only):
    x = as_float_array(x, "x", 1, "(T,)", dtype=np.float64)
    T = x.shape[0]
    if T == 0:
        raise ValueError("x must have shape (T,) with T >= 1 steps: the sequence is empty")
    w = as_float_array(w, "w", shape_doc="() or (T,)", dtype=np.float64)
    u = as_float_array(u, "u", shape_doc="() or (T,)", dtype=np.float64)
    for name, a in (("w", w), ("u", u)):
        if a.ndim not in (0, 1) or (a.ndim == 1 and a.shape[0] != T):
            raise ValueError(
                f"{name} must be a number (shared) or have shape (T,) = ({T},), one copy "
                f"per step, got shape {a.shape}"
            )
    y = as_float_array(y, "y", shape_doc="() or (T,)", dtype=np.float64)
    if last_only and y.ndim == 0:
        y = np.full(T, float(y))
    if y.shape != (T,):
        raise ValueError(
            f"y must have shape (T,) = ({T},)"
            + (" or be a number" if last_only else "")
            + f", got shape {y.shape}"
        )
    h0 = as_float_array(h0, "h0", 0, "() (a number)", dtype=np.float64)
    if not isinstance(last_only, bool):
        raise TypeError(f"last_only must be True or False, got {last_only!r}")
    return np.broadcast_to(w, (T,)), np.broadcast_to(u, (T,)), x, y, float(h0)


def scalar_rnn_loss(w, u, x, y, h0=0.0, last_only=False):
    """L for h_t = tanh(w_t h_{t-1} + u_t x_t), t = 1..T, with L = ½ Σ_t (h_t − y_t)².

    Parameters
    ----------
    w, u : float or array_like, shape (T,)
        One shared weight, or a separate copy per step.
    x : array_like, shape (T,)
    y : float or array_like, shape (T,)
        The targets (a number is allowed with last_only).
    h0 : float, optional
    last_only : bool, optional
        Keep only the last step's term ½ (h_T − y_T)².

    Returns
    -------
    float
    """
    w, u, x, y, h = _check_scalar_rnn(w, u, x, y, h0, last_only)
    T = x.shape[0]
    loss = 0.0
    for t in range(T):
        h = np.tanh(w[t] * h + u[t] * x[t])
        if not last_only or t == T - 1:
            loss += 0.5 * (h - y[t]) ** 2
    return float(loss)


def scalar_rnn_backward(w, u, x, y, h0=0.0, last_only=False):
    """BPTT for the scalar recurrence of ``scalar_rnn_loss``, one weight copy per step.

    g_t = (h_t − y_t) + w_{t+1} δ_{t+1} (the direct term only where the step has a loss),
    δ_t = (1 − h_t²) g_t, ∂L/∂w_t = δ_t h_{t-1}, ∂L/∂u_t = δ_t x_t.

    Parameters
    ----------
    w, u, x, y, h0, last_only
        As in ``scalar_rnn_loss``.

    Returns
    -------
    ScalarBackward
    """
    w, u, x, y, h0 = _check_scalar_rnn(w, u, x, y, h0, last_only)
    T = x.shape[0]
    h = np.empty(T)  # h[t] is h_{t+1}
    prev = h0
    for t in range(T):
        h[t] = prev = np.tanh(w[t] * prev + u[t] * x[t])
    h_prev = np.concatenate([[h0], h[:-1]])  # h_0..h_{T-1}
    direct = h - y
    if last_only:
        direct[:-1] = 0.0
    loss = 0.5 * float(np.sum(direct**2))
    g, delta = np.zeros(T), np.zeros(T)
    carry = 0.0
    for t in range(T - 1, -1, -1):  # array index t is math step t + 1
        g[t] = direct[t] + carry
        delta[t] = (1.0 - h[t] ** 2) * g[t]
        carry = w[t] * delta[t]
    dw_copies = delta * h_prev
    du_copies = delta * x
    return ScalarBackward(
        loss,
        h0,
        h,
        direct,
        g,
        delta,
        dw_copies,
        du_copies,
        float(dw_copies.sum()),
        float(du_copies.sum()),
        float(carry),
    )
