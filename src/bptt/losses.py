"""Softmax, log-softmax and the two losses of the course, each with its gradient.

Rows are examples: logits ``O`` have shape (N, C). The losses are summed over classes and
averaged over the N rows, matching the sequence functions (which sum over time steps).
"""
import numpy as np

from ._validate import as_float_array, as_labels, check_shape


def log_softmax(O, axis=-1):
    """log softmax(O) along ``axis``, by the log-sum-exp shift: no overflow for large logits."""
    O = as_float_array(O, "O", shape_doc="(..., C)")
    shifted = O - O.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(O, axis=-1):
    """softmax(O) along ``axis`` (shifted by the maximum first, so exp never overflows)."""
    O = as_float_array(O, "O", shape_doc="(..., C)")
    e = np.exp(O - O.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_jacobian(p):
    """The Jacobian d softmax / d o = diag(p) - p pᵀ for one probability vector p of shape (C,)."""
    p = as_float_array(p, "p", 1, "(C,)")
    return np.diag(p) - np.outer(p, p)


def nll_loss(O, y):
    """Mean negative log-likelihood of integer labels under softmax(O), and its gradient.

    O: (N, C) logits; y: (N,) integer labels in [0, C).
    Returns (loss, dO) with dO = (softmax(O) - onehot(y)) / N of shape (N, C).
    """
    O = as_float_array(O, "O", 2, "(N, C)")
    N, C = O.shape
    y = as_labels(y, "y", (N,), "(N,)", C)
    logp = log_softmax(O)
    loss = -logp[np.arange(N), y].sum() / N
    dO = np.exp(logp)
    dO[np.arange(N), y] -= 1.0
    return float(loss), dO / N


def cross_entropy(O, Y):
    """Mean cross-entropy -Σ_i y_i log softmax(o)_i against target *vectors* Y, and its gradient.

    O, Y: (N, C). The gradient is (Σ_i y_i) softmax(o) - y per row, divided by N: it is
    softmax(o) - y only when each target row sums to 1.
    """
    O = as_float_array(O, "O", 2, "(N, C)")
    Y = as_float_array(Y, "Y", 2, "(N, C)", dtype=O.dtype)
    check_shape(Y, "Y", O.shape, "(N, C)")
    N = O.shape[0]
    logp = log_softmax(O)
    loss = -(Y * logp).sum() / N
    dO = (Y.sum(axis=1, keepdims=True) * np.exp(logp) - Y) / N
    return float(loss), dO


def mse_loss(O, Y):
    """½‖o - y‖² per row, averaged over the N rows, and its gradient (O - Y) / N.

    O, Y: (N, C) floats.
    """
    O = as_float_array(O, "O", 2, "(N, C)")
    Y = as_float_array(Y, "Y", 2, "(N, C)", dtype=O.dtype)
    check_shape(Y, "Y", O.shape, "(N, C)")
    N = O.shape[0]
    diff = O - Y
    return float(0.5 * np.sum(diff * diff) / N), diff / N


def entropy(p):
    """Shannon entropy -Σ p log p (natural log) of a probability vector p (C,); 0 log 0 = 0."""
    p = as_float_array(p, "p", 1, "(C,)")
    nz = p[p > 0]
    return float(-np.sum(nz * np.log(nz)))


def kl_divergence(p, q):
    """KL(p ‖ q) = Σ p log(p / q) for probability vectors p, q of shape (C,)."""
    p = as_float_array(p, "p", 1, "(C,)")
    q = as_float_array(q, "q", 1, "(C,)")
    check_shape(q, "q", p.shape, "(C,)")
    m = p > 0
    return float(np.sum(p[m] * (np.log(p[m]) - np.log(q[m]))))
