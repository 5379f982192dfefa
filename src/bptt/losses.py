"""Softmax, log-softmax and the two losses of the course, each with its gradient (chapter 5).

Rows are examples: logits ``O`` have shape (N, C). The losses are summed over classes and
averaged over the N rows, matching the sequence functions (which sum over time steps).
Single-vector helpers (``softmax_jacobian``, ``output_jacobian``, ``asker_gradient``,
``entropy``, ``kl_divergence``) take one column vector of shape (C,), as the math does.
"""

import numpy as np

from ._validate import as_float_array, as_labels, check_shape


def _logits(O, axis):
    """O as a finite float array with at least one class along ``axis`` (ValueError otherwise)."""
    O = as_float_array(O, "O", shape_doc="(..., C)")
    if O.ndim == 0:
        raise ValueError("O must have shape (..., C) with at least one axis, got a 0-D scalar")
    if not isinstance(axis, (int, np.integer)) or not -O.ndim <= axis < O.ndim:
        raise ValueError(
            f"axis must be an integer in [-{O.ndim}, {O.ndim}) for O of shape {O.shape}, "
            f"got {axis!r}"
        )
    if O.shape[axis] == 0:
        raise ValueError(
            f"O must have shape (..., C) with C >= 1 classes along axis {axis}, got {O.shape}"
        )
    return O


def _rows(O, name="O"):
    """O as an (N, C) float array with N >= 1 and C >= 1 (ValueError otherwise)."""
    O = as_float_array(O, name, 2, "(N, C)")
    if O.shape[0] == 0 or O.shape[1] == 0:
        raise ValueError(f"{name} must have shape (N, C) with N >= 1 and C >= 1, got {O.shape}")
    return O


def logsumexp(O, axis=-1):
    """log Σ_i exp(o_i) along ``axis``, as m + log Σ_i exp(o_i − m) with m = max_i o_i.

    Every exp(o_i − m) lies in [0, 1] and the largest is 1: nothing overflows, the sum is ≥ 1.

    Parameters
    ----------
    O : array_like, shape (..., C)
        Logits.
    axis : int, optional
        The class axis (the last by default).

    Returns
    -------
    ndarray or float
        O's shape with ``axis`` removed (a float for a 1-D O).
    """
    O = _logits(O, axis)
    m = O.max(axis=axis, keepdims=True)
    out = np.squeeze(m, axis=axis) + np.log(np.exp(O - m).sum(axis=axis))
    return float(out) if out.ndim == 0 else out


def softmax_naive(O, axis=-1):
    """exp(O) / Σ exp(O) along ``axis`` with **no** shift: for demonstrating overflow only.

    In float64, exp overflows to inf above o ≈ 709.78 (float32: 88.72), and inf / inf gives nan,
    with a RuntimeWarning from NumPy. O (..., C) and ``axis`` as in ``softmax``, which real code
    uses.
    """
    O = _logits(O, axis)
    e = np.exp(O)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(O, axis=-1):
    """log softmax(O) along ``axis`` by the log-sum-exp shift, so that large logits never overflow.

    O (..., C) and ``axis`` as in ``softmax``; the result has O's shape.
    """
    O = _logits(O, axis)
    shifted = O - O.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(O, axis=-1):
    """softmax(O) along ``axis``, shifted by the maximum first so that exp never overflows.

    Parameters
    ----------
    O : array_like, shape (..., C)
    axis : int, optional

    Returns
    -------
    ndarray, the shape of O
        Each slice along ``axis`` sums to 1.
    """
    O = _logits(O, axis)
    e = np.exp(O - O.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_jacobian(p):
    """The Jacobian d softmax / d o = diag(p) − p pᵀ of one probability vector.

    Parameters
    ----------
    p : array_like, shape (C,)
        softmax(o).

    Returns
    -------
    ndarray, shape (C, C)
    """
    p = as_float_array(p, "p", 1, "(C,)")
    return np.diag(p) - np.outer(p, p)


def output_jacobian(p, V):
    """dŷ/dh = (diag(p) − p pᵀ) V for ŷ = softmax(V h + c), evaluated at p = ŷ.

    Row k equals −p_k Vᵀ(p − e_k) transposed, the per-component form of the Cross Validated
    question on Goodfellow et al.'s §10.2.2.

    Parameters
    ----------
    p : array_like, shape (C,)
        The softmax output ŷ.
    V : array_like, shape (C, H)

    Returns
    -------
    ndarray, shape (C, H)
        Entry (k, j) is ∂ŷ_k/∂h_j.
    """
    p = as_float_array(p, "p", 1, "(C,)")
    V = as_float_array(V, "V", 2, "(C, H)", dtype=p.dtype)
    if V.shape[0] != p.shape[0]:
        raise ValueError(f"V must have shape (C, H) with C = {p.shape[0]} (from p), got {V.shape}")
    return softmax_jacobian(p) @ V


def asker_gradient(p, y):
    """(p 1ᵀ − I) y: ∂L/∂o of L = −Σ_i y_i log softmax(o)_i, as the Q&A's asker wrote it.

    Entry k is −[y_k (1 − p_k) − Σ_{i≠k} y_i p_k] = (Σ_i y_i) p_k − y_k, so the result is
    (Σy) p − y: it equals p − y exactly when Σ_i y_i = 1.

    Parameters
    ----------
    p : array_like, shape (C,)
        softmax(o).
    y : array_like, shape (C,)
        Target weights (any real numbers).

    Returns
    -------
    ndarray, shape (C,)
    """
    p = as_float_array(p, "p", 1, "(C,)")
    y = as_float_array(y, "y", 1, "(C,)", dtype=p.dtype)
    check_shape(y, "y", p.shape, "(C,)")
    C = p.shape[0]
    return (np.outer(p, np.ones(C)) - np.eye(C)) @ y


def nll_in_place(O, y, scale):
    """−log softmax(O)[y] per row, with O overwritten by scale · (softmax(O) − onehot(y)).

    No checks (callers validate). The label's shifted logit is read before exp, so −log p_y stays
    finite when p_y underflows to 0. The core of ``nll_loss`` and of ``bptt.fast``, which calls it
    on its own buffers.

    Parameters
    ----------
    O : ndarray, shape (R, C)
        Logits, overwritten.
    y : ndarray, shape (R,)
        Integer labels in [0, C).
    scale : float
        The factor of the gradient (1/N for a mean over N examples).

    Returns
    -------
    ndarray, shape (R,)
        The loss of each row.
    """
    rows = np.arange(O.shape[0])
    O -= O.max(axis=1, keepdims=True)  # log-sum-exp shift: exp never overflows
    picked = O[rows, y]  # o_y - max o
    np.exp(O, out=O)
    s = O.sum(axis=1, keepdims=True)
    per_row = np.log(s[:, 0]) - picked  # log Σ exp(o - max) - (o_y - max)
    O *= scale / s  # scale · softmax, one pass
    O[rows, y] -= scale
    return per_row


def nll_loss(O, y):
    """Mean negative log-likelihood of integer labels under softmax(O), and its gradient.

    Parameters
    ----------
    O : array_like, shape (N, C)
        Logits.
    y : array_like, shape (N,)
        Integer labels in [0, C).

    Returns
    -------
    loss : float
    dO : ndarray, shape (N, C)
        (softmax(O) − onehot(y)) / N.
    """
    O = _rows(O)
    N, C = O.shape
    y = as_labels(y, "y", (N,), "(N,)", C)
    dO = np.array(O, dtype=O.dtype)  # a copy: nll_in_place overwrites it
    loss = nll_in_place(dO, y, 1.0 / N).sum() / N
    return float(loss), dO


def cross_entropy(O, Y):
    """Mean cross-entropy −Σ_i y_i log softmax(o)_i against target *vectors*, and its gradient.

    The gradient is (Σ_i y_i) softmax(o) − y per row, divided by N: it is softmax(o) − y only
    when each target row sums to 1.

    Parameters
    ----------
    O : array_like, shape (N, C)
        Logits.
    Y : array_like, shape (N, C)
        Target weights.

    Returns
    -------
    loss : float
    dO : ndarray, shape (N, C)
    """
    O, Y = _rows_and_targets(O, Y)
    N = O.shape[0]
    logp = log_softmax(O)
    loss = -(Y * logp).sum() / N
    dO = (Y.sum(axis=1, keepdims=True) * np.exp(logp) - Y) / N
    return float(loss), dO


def mse_loss(O, Y):
    """½‖o − y‖² per row, averaged over the N rows, and its gradient (O − Y) / N.

    Parameters
    ----------
    O, Y : array_like, shape (N, C)
        Outputs and targets.

    Returns
    -------
    (loss, dO) : float and ndarray of shape (N, C)
    """
    O, Y = _rows_and_targets(O, Y)
    N = O.shape[0]
    diff = O - Y
    return float(0.5 * np.sum(diff * diff) / N), diff / N


def _rows_and_targets(O, Y):
    """O (N, C) as in ``_rows`` and Y as a float array of O's shape and dtype."""
    O = _rows(O)
    Y = as_float_array(Y, "Y", 2, "(N, C)", dtype=O.dtype)
    check_shape(Y, "Y", O.shape, "(N, C)")
    return O, Y


def _as_distribution(p, name):
    """A (C,) float array with non-negative entries that sum to 1, or ValueError naming ``name``."""
    p = as_float_array(p, name, 1, "(C,)")
    if p.size == 0:
        raise ValueError(
            f"{name} must be a probability vector of shape (C,) with C >= 1, got shape (0,)"
        )
    if np.any(p < 0):
        raise ValueError(
            f"{name} must be a probability vector of shape (C,): entries >= 0, "
            f"got min {p.min():.3g}"
        )
    tol = 1e-5 if p.dtype == np.float32 else 1e-9
    if abs(float(p.sum()) - 1.0) > tol * p.size:
        raise ValueError(
            f"{name} must be a probability vector of shape (C,) summing to 1, "
            f"got sum {float(p.sum()):.6g}"
        )
    return p


def entropy(p):
    """Shannon entropy −Σ p log p (natural log) of a probability vector; 0 log 0 = 0.

    Parameters
    ----------
    p : array_like, shape (C,)
        Non-negative, summing to 1 (ValueError otherwise).

    Returns
    -------
    float
    """
    p = _as_distribution(p, "p")
    nz = p[p > 0]
    return float(-np.sum(nz * np.log(nz))) + 0.0  # + 0.0 turns -0.0 (one-hot) into 0.0


def kl_divergence(p, q):
    """KL(p ‖ q) = Σ p log(p / q) for two probability vectors; 0 log 0 = 0.

    For any q = softmax(o): cross-entropy(o, p) = entropy(p) + KL(p ‖ q).

    Parameters
    ----------
    p, q : array_like, shape (C,)
        Non-negative, each summing to 1.

    Returns
    -------
    float
        inf when q_i = 0 where p_i > 0.
    """
    p = _as_distribution(p, "p")
    q = _as_distribution(q, "q")
    check_shape(q, "q", p.shape, "(C,)")
    m = p > 0
    if np.any(q[m] == 0):
        return float("inf")
    return float(np.sum(p[m] * (np.log(p[m]) - np.log(q[m]))))
