"""One step of a GRU (Cho et al. 2014), forward and backward (chapter 10).

Math (column vectors; the gates stacked (r, u, n) as PyTorch stacks them (r, z, n))::

    r_t = σ(W_r h_{t-1} + U_r x_t + b_r)              reset gate
    u_t = σ(W_u h_{t-1} + U_u x_t + b_u)              update gate
    n_t = tanh(W_n (r_t ⊙ h_{t-1}) + U_n x_t + b_n)   candidate
    h_t = (1 − u_t) ⊙ n_t + u_t ⊙ h_{t-1}

The update gate u_t plays the LSTM's forget gate: the direct path contributes diag(u_t) to
dh_t/dh_{t-1}. The reset gate acts before the product, W_n (r_t ⊙ h_{t-1}), as in Cho et al.;
PyTorch applies it after, r_t ⊙ (W_n h_{t-1} + b_hn), a slightly different network. The update
gate is written u_t because z_t is the LSTM's stacked pre-activation in this book.

    h, cache = gru_step_forward(x, h_prev, W, U, b)     W (3H, H), U (3H, D), b (3H,)
    dx, dh_prev, dW, dU, db = gru_step_backward(dh, cache)
"""

import numpy as np

from .lstm import sigmoid


def gru_step_forward(x, h_prev, W, U, b):
    """One GRU step, batch first.

    Parameters
    ----------
    x : ndarray, shape (N, D)
    h_prev : ndarray, shape (N, H)
    W : ndarray, shape (3H, H)
        Blocks W_r, W_u, W_n.
    U : ndarray, shape (3H, D)
    b : ndarray, shape (3H,)

    Returns
    -------
    h : ndarray, shape (N, H)
    cache : tuple
        For ``gru_step_backward``.
    """
    H = h_prev.shape[1]
    xu = x @ U.T + b  # (N, 3H): the input part of every gate
    r = sigmoid(xu[:, :H] + h_prev @ W[:H].T)
    u = sigmoid(xu[:, H : 2 * H] + h_prev @ W[H : 2 * H].T)
    rh = r * h_prev
    n = np.tanh(xu[:, 2 * H :] + rh @ W[2 * H :].T)
    h = (1.0 - u) * n + u * h_prev
    return h, (x, h_prev, W, U, r, u, n, rh)


def gru_step_backward(dh, cache):
    """Backward of ``gru_step_forward``.

    Parameters
    ----------
    dh : ndarray, shape (N, H)
        dL/dh_t, the total derivative.
    cache : tuple
        From ``gru_step_forward``.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dh_prev : ndarray, shape (N, H)
        u_t ⊙ dh (the direct path) plus what flows back through the three gates.
    dW, dU, db : ndarray, shapes (3H, H), (3H, D), (3H,)
    """
    x, h_prev, W, U, r, u, n, rh = cache
    H = h_prev.shape[1]
    dn = dh * (1.0 - u) * (1.0 - n * n)  # through h_t = (1 - u) n + ..., then tanh'
    du = dh * (h_prev - n) * u * (1.0 - u)  # ∂h_t/∂u_t = h_{t-1} - n_t, then σ'
    drh = dn @ W[2 * H :]  # into r ⊙ h_{t-1}
    dr = drh * h_prev * r * (1.0 - r)
    dz = np.concatenate([dr, du, dn], axis=1)  # the three pre-activations
    dh_prev = dh * u + drh * r + dr @ W[:H] + du @ W[H : 2 * H]
    dW = np.concatenate([dr.T @ h_prev, du.T @ h_prev, dn.T @ rh])
    return dz @ U, dh_prev, dW, dz.T @ x, dz.sum(axis=0)
