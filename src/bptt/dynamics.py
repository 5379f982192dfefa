"""How a gradient travels back through time: vanishing and exploding gradients (chapter 7).

Math (column vectors, t = 1..T, h_0 given, f the activation)::

    a_t = W h_{t-1} + U x_t + b,   h_t = f(a_t)
    J_t = ∂h_t/∂h_{t-1} = diag(f'(a_t)) W            (H, H), the one-step forward Jacobian
    g_{t-1} = J_tᵀ g_t = Wᵀ diag(f'(a_t)) g_t        (no loss at t-1: many-to-one)
    ∂h_T/∂h_{T-k} = J_T J_{T-1} ⋯ J_{T-k+1},   g_{T-k} = (J_T ⋯ J_{T-k+1})ᵀ g_T
    ‖g_{T-k}‖ ≤ (γ ‖W‖₂)ᵏ ‖g_T‖,   γ = sup |f'| (1 for tanh, 1/4 for sigmoid)

Code puts the batch first like the rest of the package: states ``Hs`` (N, T, H) hold h_1..h_T
(h_0 is ``h0``), derivatives ``Fp`` (N, T, H) hold f'(a_1)..f'(a_T), and an array indexed by
*lag* holds g_{T-k} at position k. The scalar infinite impulse response (IIR) filter
h_t = w h_{t-1} + x_t of *Simple RNNs* lives here too; the figures are in bptt.figures.ch07.
"""

from typing import NamedTuple

import numpy as np

from ._validate import (
    as_float_array,
    as_labels,
    check_choice,
    check_int,
    check_scalar,
    check_shape,
    check_square,
)
from .params import Params

ACTIVATIONS = ("tanh", "sigmoid", "linear")
GAMMA = {"tanh": 1.0, "sigmoid": 0.25, "linear": 1.0}  # sup |f'|, the γ of Pascanu et al. (2013)


# ------------------------------------------------------------------- the scalar IIR filter


def iir_filter(w, x, h_init=0.0):
    """Run h_t = w h_{t-1} + x_t for t = 1..T from h_0 = h_init (the scalar IIR filter).

    Parameters
    ----------
    w : float
    x : array_like, shape (T,)
        x[t-1] is x_t.
    h_init : float, optional
        h_0.

    Returns
    -------
    ndarray, shape (T,)
        h[t-1] is h_t.
    """
    w = check_scalar(w, "w")
    h_prev = check_scalar(h_init, "h_init")
    x = as_float_array(x, "x", 1, "(T,)")
    h = np.empty_like(x, dtype=np.float64)
    for t in range(x.shape[0]):
        h_prev = w * h_prev + x[t]
        h[t] = h_prev
    return h


def impulse_response(w, n_steps):
    """h_1..h_n of h_t = w h_{t-1} + x_t with h_0 = 0 and the impulse x_t = [t = 1]: h_t = w^{t−1}.

    Parameters
    ----------
    w : float
    n_steps : int
        n >= 1.

    Returns
    -------
    ndarray, shape (n_steps,)
        1, w, w², ...: for w = −0.9, 1, −0.9, 0.81, −0.729.
    """
    n = check_int(n_steps, "n_steps", minimum=1)
    x = np.zeros(n)
    x[0] = 1.0
    return iir_filter(w, x, h_init=0.0)


# ------------------------------------------------------------------- matrices


def spectral_norm(W):
    """‖W‖₂, the largest singular value of W (H, H): the most any vector can be stretched."""
    return float(np.linalg.norm(check_square(W), 2))


def spectral_radius(W):
    """ρ(W) = max |λ| over the eigenvalues λ of W (H, H). Always ρ(W) ≤ ‖W‖₂."""
    return float(np.max(np.abs(np.linalg.eigvals(check_square(W)))))


def rescale_to_spectral_radius(W, rho):
    """W (H, H) multiplied by a positive number so that its spectral radius is ``rho`` (> 0)."""
    W = check_square(W)
    rho = check_scalar(rho, "rho", positive=True)
    r = spectral_radius(W)
    if r == 0:
        raise ValueError("W has spectral radius 0 (it is nilpotent): no rescaling reaches rho")
    return W * (rho / r)


def random_recurrent(n_hidden, rho, seed=0):
    """A Gaussian H x H matrix (entries N(0, 1/H)) rescaled to spectral radius ``rho``: (H, H)."""
    H = check_int(n_hidden, "n_hidden", minimum=1)
    rng = np.random.default_rng(seed)
    return rescale_to_spectral_radius(rng.normal(0.0, 1.0 / np.sqrt(H), (H, H)), rho)


def nonnormal_example(eigenvalue=0.9, coupling=1.0):
    """The 2 x 2 W = [[λ, a], [0, λ]]: both eigenvalues λ, yet ‖W‖₂ > |λ| when a ≠ 0; (2, 2).

    Its powers are W^k = [[λᵏ, k a λ^(k-1)], [0, λᵏ]], so ‖W^k‖₂ grows with k before λᵏ wins.
    ``eigenvalue`` is λ, ``coupling`` is a.
    """
    lam = check_scalar(eigenvalue, "eigenvalue")
    a = check_scalar(coupling, "coupling")
    return np.array([[lam, a], [0.0, lam]])


# ------------------------------------------------------------------- states and Jacobians


def run_states(W, U, X, b=None, h0=None, activation="tanh"):
    """Forward pass h_t = f(W h_{t-1} + U x_t + b), batch first, for f in tanh / sigmoid / linear.

    Parameters
    ----------
    W : array_like, shape (H, H)
    U : array_like, shape (H, D)
    X : array_like, shape (N, T, D)
    b : array_like, shape (H,), optional
        Zeros when None.
    h0 : array_like, shape (N, H), optional
        Zeros when None.
    activation : str, optional
        "tanh", "sigmoid" or "linear".

    Returns
    -------
    Hs : ndarray, shape (N, T, H)
        h_1..h_T (Hs[:, t-1] is h_t).
    Fp : ndarray, shape (N, T, H)
        f'(a_t): 1 − h_t² for tanh, h_t (1 − h_t) for sigmoid, 1 for linear.
    """
    W = check_square(W)
    H = W.shape[0]
    U = as_float_array(U, "U", 2, "(H, D)", dtype=W.dtype)
    if U.shape[0] != H:
        raise ValueError(f"U must have shape (H, D) with H = {H} (from W), got {U.shape}")
    X = as_float_array(X, "X", 3, "(N, T, D)", dtype=W.dtype)
    N, T, D = X.shape
    if N == 0 or T == 0 or D != U.shape[1]:
        raise ValueError(
            f"X must have shape (N, T, D) with N, T >= 1 and D = {U.shape[1]} (from U), "
            f"got {X.shape}"
        )
    b = np.zeros(H) if b is None else as_float_array(b, "b", 1, "(H,)", dtype=W.dtype)
    check_shape(b, "b", (H,), "(H,)")
    h0 = np.zeros((N, H)) if h0 is None else as_float_array(h0, "h0", 2, "(N, H)", dtype=W.dtype)
    check_shape(h0, "h0", (N, H), "(N, H)")
    check_choice(activation, "activation", ACTIVATIONS)
    Hs = np.empty((N, T, H))
    Fp = np.empty((N, T, H))
    h = h0
    for t in range(T):
        A = h @ W.T + X[:, t] @ U.T + b
        if activation == "tanh":
            h = np.tanh(A)
            Fp[:, t] = 1.0 - h * h
        elif activation == "sigmoid":
            h = 1.0 / (1.0 + np.exp(-A))
            Fp[:, t] = h * (1.0 - h)
        else:
            h = A
            Fp[:, t] = 1.0
        Hs[:, t] = h
    return Hs, Fp


def _check_fprime(W, Fp):
    W = check_square(W)
    H = W.shape[0]
    Fp = as_float_array(Fp, "Fp", 3, "(N, T, H)")
    if Fp.shape[2] != H or Fp.shape[0] == 0:
        raise ValueError(
            f"Fp must have shape (N, T, H) with N >= 1 and H = {H} (from W), got {Fp.shape}"
        )
    return W, Fp


def jacobian_product(W, Fp, k):
    """∂h_T/∂h_{T-k} = J_T J_{T-1} ⋯ J_{T-k+1}, with J_t = diag(f'(a_t)) W, for each example.

    Parameters
    ----------
    W : array_like, shape (H, H)
    Fp : array_like, shape (N, T, H)
        Fp[:, t-1] is f'(a_t).
    k : int
        The lag, 0..T (k = 0 gives the identity).

    Returns
    -------
    ndarray, shape (N, H, H)
    """
    W, Fp = _check_fprime(W, Fp)
    N, T, H = Fp.shape
    k = check_int(k, "k", minimum=0)
    if k > T:
        raise ValueError(f"k must be at most T = {T} (the number of steps in Fp), got {k}")
    J = np.broadcast_to(np.eye(H), (N, H, H)).copy()
    for j in range(k):  # append one factor diag(f'_t) W on the right, t = T-j
        J = J @ (Fp[:, T - 1 - j, :, None] * W)
    return J


def backprop_by_lag(W, Fp, g_last):
    """g_{T-k} for k = 0..T through g_{t-1} = Wᵀ (f'(a_t) ⊙ g_t), with no direct terms.

    W and Fp as in ``jacobian_product``; g_last (N, H) is g_T = dL/dh_T. Returns (N, T+1, H)
    indexed by lag: entry [:, k] is g_{T-k} ([:, 0] is g_T, [:, T] is g_0 = dL/dh_0).
    """
    W, Fp = _check_fprime(W, Fp)
    N, T, H = Fp.shape
    g = as_float_array(g_last, "g_last", 2, "(N, H)")
    check_shape(g, "g_last", (N, H), "(N, H)")
    G = np.empty((N, T + 1, H))
    G[:, 0] = g
    for k in range(1, T + 1):
        G[:, k] = (Fp[:, T - k] * G[:, k - 1]) @ W  # batch first: row-vector form of Wᵀ diag(f') g
    return G


def norms_by_lag(W, Fp, g_last):
    """‖g_{T-k}‖ for k = 0..T: the Euclidean norms of ``backprop_by_lag``, shape (N, T+1)."""
    return np.linalg.norm(backprop_by_lag(W, Fp, g_last), axis=2)


def lag_bound(W, n_lags, gamma=1.0):
    """(γ ‖W‖₂)ᵏ for k = 0..n_lags, shape (n_lags+1,): the bound on ‖g_{T-k}‖ / ‖g_T‖."""
    n = check_int(n_lags, "n_lags", minimum=0)
    gamma = check_scalar(gamma, "gamma", positive=True)
    return (gamma * spectral_norm(W)) ** np.arange(n + 1)


# ------------------------------------------------------------------- the lag experiment


class LagRun(NamedTuple):
    """One run of ``lag_experiment``.

    Attributes
    ----------
    norms : ndarray, shape (T+1,)
        ‖g_{T-k}‖ for k = 0..T, with ‖g_T‖ = 1.
    spectral_norm, spectral_radius : float
        Of W.
    mean_fprime : float
        The average f'(a_t) over all units and steps.
    W : ndarray, shape (H, H)
    Fp : ndarray, shape (1, T, H)
    g_last : ndarray, shape (1, H)
    """

    norms: np.ndarray
    spectral_norm: float
    spectral_radius: float
    mean_fprime: float
    W: np.ndarray
    Fp: np.ndarray
    g_last: np.ndarray


def lag_experiment(
    rho, input_scale=1.0, n_hidden=64, n_steps=60, n_input=8, activation="tanh", seed=0
):
    """‖dL/dh_{T-k}‖ against the lag k for L = uᵀh_T with a random unit vector u: a LagRun.

    W is ``random_recurrent(n_hidden, rho, seed)``; U (H, D) has entries N(0, 1/D); one input
    sequence X (1, T, D) has entries N(0, input_scale²); b = 0, h_0 = 0. The same seed gives the
    same U, X and u for every rho, so runs differ only in the scale of W.

    Parameters
    ----------
    rho : float
        The spectral radius of W.
    input_scale : float, optional
    n_hidden, n_steps, n_input : int, optional
        H, T and D.
    activation : str, optional
    seed : int, optional
    """
    rho = check_scalar(rho, "rho", positive=True)
    scale = check_scalar(input_scale, "input_scale")
    if scale < 0:
        raise ValueError(f"input_scale must be >= 0, got {scale}")
    H = check_int(n_hidden, "n_hidden", minimum=1)
    T = check_int(n_steps, "n_steps", minimum=1)
    D = check_int(n_input, "n_input", minimum=1)
    check_choice(activation, "activation", ACTIVATIONS)
    W = random_recurrent(H, rho, seed)
    rng = np.random.default_rng(seed + 1)
    U = rng.normal(0.0, 1.0 / np.sqrt(D), (H, D))
    X = rng.normal(0.0, 1.0, (1, T, D)) * scale
    u = rng.normal(size=(1, H))
    u /= np.linalg.norm(u)
    _, Fp = run_states(W, U, X, activation=activation)
    norms = norms_by_lag(W, Fp, u)[0]
    return LagRun(norms, spectral_norm(W), spectral_radius(W), float(Fp.mean()), W, Fp, u)


# ------------------------------------------------------------------- per-step contributions


def dW_by_loss_and_step(params, X, Y, loss="mse", h0=None):
    """The part of dL/dW that each loss L_s sends through each step's copy of W.

    Built from one many-to-one ``backward_details`` run per loss step s on X[:, :s]. Summed over
    s it is ``bptt.rnn.backward_details(...).dW_steps``; summed over both, dL/dW.

    Parameters
    ----------
    params : Params
    X : array_like, shape (N, T, D)
    Y : array_like, shape (N, T, C) or (N, T)
        mse floats or nll int labels.
    loss : str, optional
    h0 : array_like, shape (N, H), optional

    Returns
    -------
    ndarray, shape (T, T, H, H)
        P[s-1, t-1] = ∂L_s/∂W through the copy used at step t (zero for t > s).
    """
    from .rnn import backward_details  # local import: rnn does not depend on this module

    if not isinstance(params, tuple) or len(params) != 5:
        raise TypeError(f"params must be a bptt.Params(W, U, V, b, c), got {type(params).__name__}")
    X = as_float_array(X, "X", 3, "(N, T, D)")
    N, T = X.shape[:2]
    check_choice(loss, "loss", ("mse", "nll"))
    H, C = np.shape(params.W)[0], np.shape(params.V)[0]
    if loss == "mse":
        Y = as_float_array(Y, "Y", 3, "(N, T, C) floats")
        check_shape(Y, "Y", (N, T, C), "(N, T, C)")
    else:
        Y = as_labels(Y, "Y", (N, T), "(N, T)", C)
    P = np.zeros((T, T, H, H))
    for s in range(1, T + 1):
        det = backward_details(
            Params(*params), X[:, :s], Y[:, s - 1], loss=loss, h0=h0, last_only=True
        )
        P[s - 1, :s] = det.dW_steps
    return P


def mean_by_lag(M):
    """The mean of M[s-1, t-1] (M of shape (T, T)) over the pairs with lag s − t = k, k = 0..T−1."""
    M = as_float_array(M, "M", 2, "(T, T)")
    check_shape(M, "M", (M.shape[0], M.shape[0]), "(T, T)")
    return np.array([np.mean(np.diagonal(M, offset=-k)) for k in range(M.shape[0])])
