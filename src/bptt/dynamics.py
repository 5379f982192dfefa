"""How a gradient travels back through time: vanishing and exploding gradients (chapter 7).

Math (column vectors, t = 1..T, h_0 given, f the activation):

    a_t = W h_{t-1} + U x_t + b,   h_t = f(a_t)
    ∂h_t/∂h_{t-1} = diag(f'(a_t)) W                         (H, H), the forward Jacobian of one step
    g_{t-1} = Wᵀ diag(f'(a_t)) g_t                           (no loss at t-1: many-to-one)
    g_{T-k} = J_kᵀ g_T,   J_k = ∂h_T/∂h_{T-k} = diag(f'_T) W ··· diag(f'_{T-k+1}) W
    ‖g_{T-k}‖ ≤ (γ ‖W‖₂)ᵏ ‖g_T‖,   γ = sup |f'| (1 for tanh, 1/4 for sigmoid)

Code puts the batch first like the rest of the package: states ``Hs`` (N, T, H) hold h_1..h_T,
derivatives ``Fp`` (N, T, H) hold f'(a_1)..f'(a_T), and a gradient indexed by *lag* holds
g_{T-k} at position k. The scalar infinite impulse response (IIR) filter of source 004 lives here
too, and the figures of chapter 7.
"""
from typing import NamedTuple

import numpy as np

from ._validate import (
    as_float_array, as_labels, check_choice, check_int, check_scalar, check_shape, check_square,
)
from .params import Params

ACTIVATIONS = ("tanh", "sigmoid", "linear")
GAMMA = {"tanh": 1.0, "sigmoid": 0.25, "linear": 1.0}   # sup |f'|, the γ of Pascanu et al. (2013)


# ----------------------------------------------------------------------------- the scalar IIR filter

def iir_filter(w, x, h_init=0.0):
    """Run h_t = w h_{t-1} + x_t for t = 0..len(x)-1, starting from h_{-1} = h_init.

    w: a real scalar. x: (T,) inputs. Returns h (T,) with h[t] = h_t.
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
    """h_0..h_{n_steps-1} of h_t = w h_{t-1} + δ_t with h_{-1} = 0: equals wᵗ.

    δ_t is the unit impulse (1 at t = 0, 0 otherwise). Returns an array of shape (n_steps,).
    """
    n = check_int(n_steps, "n_steps", minimum=1)
    x = np.zeros(n)
    x[0] = 1.0
    return iir_filter(w, x, h_init=0.0)


# ----------------------------------------------------------------------------- matrices

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
    """A Gaussian H x H matrix (entries N(0, 1/H)) rescaled to spectral radius ``rho``. Returns (H, H)."""
    H = check_int(n_hidden, "n_hidden", minimum=1)
    rng = np.random.default_rng(seed)
    return rescale_to_spectral_radius(rng.normal(0.0, 1.0 / np.sqrt(H), (H, H)), rho)


def nonnormal_example(eigenvalue=0.9, coupling=1.0):
    """The 2 x 2 upper-triangular W = [[λ, a], [0, λ]]: both eigenvalues λ, but ‖W‖₂ > |λ| when a ≠ 0.

    Its powers are W^k = [[λᵏ, k a λ^(k-1)], [0, λᵏ]], so ‖W^k‖₂ grows with k before λᵏ wins.
    Returns (2, 2).
    """
    lam = check_scalar(eigenvalue, "eigenvalue")
    a = check_scalar(coupling, "coupling")
    return np.array([[lam, a], [0.0, lam]])


# ----------------------------------------------------------------------------- states and Jacobians

def run_states(W, U, X, b=None, h0=None, activation="tanh"):
    """Forward pass h_t = f(W h_{t-1} + U x_t + b), batch first, for f in tanh / sigmoid / linear.

    W (H, H), U (H, D), X (N, T, D), b (H,) or None (zeros), h0 (N, H) or None (zeros).
    Returns Hs (N, T, H) with Hs[:, t-1] = h_t (h_1..h_T; h_0 is h0) and Fp (N, T, H) with
    Fp[:, t-1] = f'(a_t): 1 - h_t² for tanh, h_t (1 - h_t) for sigmoid, 1 for linear.
    """
    W = check_square(W)
    H = W.shape[0]
    U = as_float_array(U, "U", 2, "(H, D)", dtype=W.dtype)
    if U.shape[0] != H:
        raise ValueError(f"U must have shape (H, D) with H = {H} (from W), got {U.shape}")
    X = as_float_array(X, "X", 3, "(N, T, D)", dtype=W.dtype)
    N, T, D = X.shape
    if N == 0 or T == 0 or D != U.shape[1]:
        raise ValueError(f"X must have shape (N, T, D) with N, T >= 1 and D = {U.shape[1]} (from U), got {X.shape}")
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
        raise ValueError(f"Fp must have shape (N, T, H) with N >= 1 and H = {H} (from W), got {Fp.shape}")
    return W, Fp


def jacobian_product(W, Fp, k):
    """J_k = ∂h_T/∂h_{T-k} = diag(f'_T) W diag(f'_{T-1}) W ··· diag(f'_{T-k+1}) W for each example.

    W (H, H); Fp (N, T, H) with Fp[:, t-1] = f'(a_t); k an integer in 0..T (J_0 = I).
    Returns (N, H, H).
    """
    W, Fp = _check_fprime(W, Fp)
    N, T, H = Fp.shape
    k = check_int(k, "k", minimum=0)
    if k > T:
        raise ValueError(f"k must be at most T = {T} (the number of steps in Fp), got {k}")
    J = np.broadcast_to(np.eye(H), (N, H, H)).copy()
    for j in range(k):                       # append one factor diag(f'_t) W on the right, t = T-j
        J = J @ (Fp[:, T - 1 - j, :, None] * W)
    return J


def backprop_by_lag(W, Fp, g_last):
    """g_{T-k} for k = 0..T through the recursion g_{t-1} = Wᵀ (f'(a_t) ⊙ g_t), no direct terms.

    W (H, H); Fp (N, T, H) with Fp[:, t-1] = f'(a_t); g_last (N, H) = g_T = dL/dh_T.
    Returns G (N, T+1, H) with G[:, k] = g_{T-k} (G[:, 0] = g_T, G[:, T] = g_0 = dL/dh_0).
    """
    W, Fp = _check_fprime(W, Fp)
    N, T, H = Fp.shape
    g = as_float_array(g_last, "g_last", 2, "(N, H)")
    check_shape(g, "g_last", (N, H), "(N, H)")
    G = np.empty((N, T + 1, H))
    G[:, 0] = g
    for k in range(1, T + 1):
        G[:, k] = (Fp[:, T - k] * G[:, k - 1]) @ W   # batch first: row-vector form of Wᵀ diag(f') g
    return G


def norms_by_lag(W, Fp, g_last):
    """‖g_{T-k}‖ for k = 0..T: the Euclidean norms of ``backprop_by_lag``, shape (N, T+1)."""
    return np.linalg.norm(backprop_by_lag(W, Fp, g_last), axis=2)


def lag_bound(W, n_lags, gamma=1.0):
    """(γ ‖W‖₂)ᵏ for k = 0..n_lags, shape (n_lags+1,): the bound on ‖g_{T-k}‖ / ‖g_T‖."""
    n = check_int(n_lags, "n_lags", minimum=0)
    gamma = check_scalar(gamma, "gamma", positive=True)
    return (gamma * spectral_norm(W)) ** np.arange(n + 1)


# ----------------------------------------------------------------------------- the lag experiment

class LagRun(NamedTuple):
    """One run of ``lag_experiment``.

    norms (T+1,): ‖g_{T-k}‖ for k = 0..T with ‖g_T‖ = 1.  spectral_norm, spectral_radius of W.
    mean_fprime: the average f'(a_t) over all units and steps.  W (H, H), Fp (1, T, H), g_last (1, H).
    """
    norms: np.ndarray
    spectral_norm: float
    spectral_radius: float
    mean_fprime: float
    W: np.ndarray
    Fp: np.ndarray
    g_last: np.ndarray


def lag_experiment(rho, input_scale=1.0, n_hidden=64, n_steps=60, n_input=8, activation="tanh", seed=0):
    """‖dL/dh_{T-k}‖ against the lag k for L = uᵀh_T with a random unit vector u.

    W: ``random_recurrent(n_hidden, rho, seed)``; U (H, D) with entries N(0, 1/D); one input
    sequence X (1, T, D) with entries N(0, input_scale²); b = 0, h_0 = 0. The same seed gives the
    same U, X and u for every rho, so runs differ only in the scale of W.
    Returns a LagRun whose ``norms`` has shape (T+1,).
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


# ----------------------------------------------------------------------------- per-step contributions

def dW_by_loss_and_step(params, X, Y, loss="mse", h0=None):
    """The part of dL/dW that each loss L_s sends through each step's copy of W.

    params: Params; X (N, T, D); Y (N, T, C) floats for mse, (N, T) int labels for nll.
    Returns P (T, T, H, H) with P[s-1, t-1] = ∂L_s/∂W through the copy used at step t
    (zero for t > s). Summed over s it is ``bptt.rnn.backward_details(...).dW_steps``; summed over
    both it is dL/dW. Built from one many-to-one ``backward_details`` run per loss step s on X[:, :s].
    """
    from .rnn import backward_details            # local import: rnn does not depend on this module
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
        det = backward_details(Params(*params), X[:, :s], Y[:, s - 1], loss=loss, h0=h0, last_only=True)
        P[s - 1, :s] = det.dW_steps
    return P


def mean_by_lag(M):
    """Average of a (T, T) array M[s-1, t-1] over the pairs with the same lag s - t >= 0.

    Returns (T,) with entry k the mean of the diagonal M[s-1, s-1-k].
    """
    M = as_float_array(M, "M", 2, "(T, T)")
    check_shape(M, "M", (M.shape[0], M.shape[0]), "(T, T)")
    return np.array([np.mean(np.diagonal(M, offset=-k)) for k in range(M.shape[0])])


