"""How a gradient travels back through time: vanishing and exploding gradients (chapter 7).

Math (column vectors, t = 1..T, h_0 given, f the activation):

    a_t = W h_{t-1} + U x_t + b,   h_t = f(a_t)
    J_t = ∂h_t/∂h_{t-1} = diag(f'(a_t)) W                   (H, H), the forward Jacobian of one step
    g_{t-1} = J_tᵀ g_t = Wᵀ diag(f'(a_t)) g_t                (no loss at t-1: many-to-one)
    ∂h_T/∂h_{T-k} = J_T J_{T-1} ··· J_{T-k+1},   g_{T-k} = (∂h_T/∂h_{T-k})ᵀ g_T
    ‖g_{T-k}‖ ≤ (γ ‖W‖₂)ᵏ ‖g_T‖,   γ = sup |f'| (1 for tanh, 1/4 for sigmoid)

Code puts the batch first like the rest of the package: states ``Hs`` (N, T+1, H) hold h_0..h_T,
derivatives ``Fp`` (N, T, H) hold f'(a_1)..f'(a_T), and a gradient indexed by *lag* holds
g_{T-k} at position k. The scalar infinite impulse response (IIR) filter (h_0 = 0, impulse at
t = 1) lives here too, and the figures of chapter 7.
"""
import numbers
from typing import NamedTuple

import numpy as np

from ._validate import as_float_array, as_labels, check_choice, check_int, check_shape
from .params import Params

ACTIVATIONS = ("tanh", "sigmoid", "linear")
GAMMA = {"tanh": 1.0, "sigmoid": 0.25, "linear": 1.0}   # sup |f'|, the γ of Pascanu et al. (2013)


def _check_scalar(x, name, positive=False):
    """A finite real number as a float, or TypeError/ValueError naming ``name``."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number (a scalar), got {type(x).__name__}")
    x = float(x)
    if not np.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x}")
    if positive and x <= 0:
        raise ValueError(f"{name} must be positive, got {x}")
    return x


def _check_square(W, name="W"):
    W = as_float_array(W, name, 2, "(H, H)")
    check_shape(W, name, (W.shape[0], W.shape[0]), "(H, H)")
    if W.shape[0] == 0:
        raise ValueError(f"{name} must have shape (H, H) with H >= 1, got {W.shape}")
    return W


# ----------------------------------------------------------------------------- the scalar IIR filter

def iir_filter(w, x, h_init=0.0):
    """Run h_t = w h_{t-1} + x_t for t = 1..T, starting from h_0 = h_init.

    w: a real scalar. x: (T,) inputs, x[t-1] = x_t. Returns h (T,) with h[t-1] = h_t.
    """
    w = _check_scalar(w, "w")
    h_prev = _check_scalar(h_init, "h_init")
    x = as_float_array(x, "x", 1, "(T,)")
    h = np.empty_like(x, dtype=np.float64)
    for t in range(x.shape[0]):
        h_prev = w * h_prev + x[t]
        h[t] = h_prev
    return h


def impulse_response(w, n_steps):
    """h_1..h_{n_steps} of h_t = w h_{t-1} + x_t with h_0 = 0 and x_t = [t = 1]: equals w^(t-1).

    [t = 1] is the unit impulse (1 at t = 1, 0 otherwise). Returns (n_steps,), h[t-1] = h_t.
    """
    n = check_int(n_steps, "n_steps", minimum=1)
    x = np.zeros(n)
    x[0] = 1.0
    return iir_filter(w, x, h_init=0.0)


# ----------------------------------------------------------------------------- matrices

def spectral_norm(W):
    """‖W‖₂, the largest singular value of W (H, H): the most any vector can be stretched."""
    return float(np.linalg.norm(_check_square(W), 2))


def spectral_radius(W):
    """ρ(W) = max |λ| over the eigenvalues λ of W (H, H). Always ρ(W) ≤ ‖W‖₂."""
    return float(np.max(np.abs(np.linalg.eigvals(_check_square(W)))))


def rescale_to_spectral_radius(W, rho):
    """W (H, H) multiplied by a positive number so that its spectral radius is ``rho`` (> 0)."""
    W = _check_square(W)
    rho = _check_scalar(rho, "rho", positive=True)
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
    lam = _check_scalar(eigenvalue, "eigenvalue")
    a = _check_scalar(coupling, "coupling")
    return np.array([[lam, a], [0.0, lam]])


# ----------------------------------------------------------------------------- states and Jacobians

def run_states(W, U, X, b=None, h0=None, activation="tanh"):
    """Forward pass h_t = f(W h_{t-1} + U x_t + b), batch first, for f in tanh / sigmoid / linear.

    W (H, H), U (H, D), X (N, T, D), b (H,) or None (zeros), h0 (N, H) or None (zeros).
    Returns Hs (N, T+1, H) with Hs[:, t] = h_t (Hs[:, 0] = h_0) and Fp (N, T, H) with
    Fp[:, t-1] = f'(a_t): 1 - h_t² for tanh, h_t (1 - h_t) for sigmoid, 1 for linear.
    """
    W = _check_square(W)
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
    Hs = np.empty((N, T + 1, H))
    Fp = np.empty((N, T, H))
    Hs[:, 0] = h0
    for t in range(T):
        A = Hs[:, t] @ W.T + X[:, t] @ U.T + b
        if activation == "tanh":
            h = np.tanh(A)
            Fp[:, t] = 1.0 - h * h
        elif activation == "sigmoid":
            h = 1.0 / (1.0 + np.exp(-A))
            Fp[:, t] = h * (1.0 - h)
        else:
            h = A
            Fp[:, t] = 1.0
        Hs[:, t + 1] = h
    return Hs, Fp


def _check_fprime(W, Fp):
    W = _check_square(W)
    H = W.shape[0]
    Fp = as_float_array(Fp, "Fp", 3, "(N, T, H)")
    if Fp.shape[2] != H or Fp.shape[0] == 0:
        raise ValueError(f"Fp must have shape (N, T, H) with N >= 1 and H = {H} (from W), got {Fp.shape}")
    return W, Fp


def jacobian_product(W, Fp, k):
    """∂h_T/∂h_{T-k} = J_T J_{T-1} ··· J_{T-k+1}, J_t = diag(f'(a_t)) W, for each example.

    W (H, H); Fp (N, T, H) with Fp[:, t-1] = f'(a_t); k an integer in 0..T (k = 0 gives I).
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
    gamma = _check_scalar(gamma, "gamma", positive=True)
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
    rho = _check_scalar(rho, "rho", positive=True)
    scale = _check_scalar(input_scale, "input_scale")
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


# ----------------------------------------------------------------------------- figures of chapter 7

def _plt():
    import matplotlib.pyplot as plt
    return plt


def plot_impulse_responses(ws=(-0.9, -1.1), n_steps=25):
    """One panel per w: the impulse response h_t = w^(t-1), t = 1..n_steps (stems), and its
    envelope ±|w|^(t-1) (dashed)."""
    plt = _plt()
    ws = [_check_scalar(w, "ws[i]") for w in ws]
    n = check_int(n_steps, "n_steps", minimum=2)
    t = np.arange(1, n + 1)
    fig, axes = plt.subplots(1, len(ws), figsize=(7, 3.5), squeeze=False)
    for ax, w in zip(axes[0], ws):
        h = impulse_response(w, n)
        ax.stem(t, h, basefmt=" ")
        env = np.abs(w) ** (t - 1)
        ax.plot(t, env, "k--", lw=1, label=r"envelope $\pm|w|^{t-1}$")
        ax.plot(t, -env, "k--", lw=1)
        kind = "decays" if abs(w) < 1 else ("grows" if abs(w) > 1 else "stays")
        ax.set_title(f"w = {w:g}: |w| {'<' if abs(w) < 1 else '>' if abs(w) > 1 else '='} 1, {kind}", fontsize=10)
        ax.set_xlabel("t (impulse at t = 1)")
        ax.set_ylabel(r"$h_t$")
        ax.legend(fontsize=9, loc="upper right")
    fig.tight_layout()
    return fig


def plot_activation_derivatives(a_max=5.0):
    """tanh'(a) = 1 - tanh²(a) and sigmoid'(a) on [-a_max, a_max], with their maxima γ = 1 and 1/4."""
    from .activations import sigmoid, sigmoid_grad_from_output, tanh, tanh_grad_from_output
    plt = _plt()
    a = np.linspace(-_check_scalar(a_max, "a_max", positive=True), a_max, 401)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(a, tanh_grad_from_output(tanh(a)), label=r"$\tanh'(a) = 1 - \tanh^2(a)$, max 1")
    ax.plot(a, sigmoid_grad_from_output(sigmoid(a)), label=r"$\sigma'(a) = \sigma(a)(1-\sigma(a))$, max 1/4")
    ax.axhline(1.0, color="gray", lw=0.8, ls=":")
    ax.axhline(0.25, color="gray", lw=0.8, ls=":")
    ax.plot([0, 0], [0.25, 1.0], "ko", ms=4)
    ax.set_xlabel("pre-activation a")
    ax.set_ylabel("derivative")
    ax.set_ylim(0, 1.08)
    ax.set_title(r"Local gain of the activation: never above $\gamma$, close to it near $a = 0$", fontsize=10)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_nonnormal(W, g_last, n_lags=100, W_normal=None):
    """‖(Wᵀ)ᵏ g_T‖ against k (log axis) for the linear network, with ‖W‖₂ᵏ and ρ(W)ᵏ for reference.

    W (H, H); g_last (H,); W_normal (H, H) or None: a second matrix drawn for comparison.
    """
    plt = _plt()
    W = _check_square(W)
    n = check_int(n_lags, "n_lags", minimum=1)
    g = as_float_array(g_last, "g_last", 1, "(H,)")
    check_shape(g, "g_last", (W.shape[0],), "(H,)")
    ones = np.ones((1, n, W.shape[0]))
    k = np.arange(n + 1)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.semilogy(k, norms_by_lag(W, ones, g[None])[0], lw=2, label=r"non-normal $W$: $\|(W^\top)^k g_T\|$")
    if W_normal is not None:
        Wn = _check_square(W_normal, "W_normal")
        ax.semilogy(k, norms_by_lag(Wn, ones, g[None])[0], lw=4, alpha=0.5, label=r"normal $W$, same eigenvalues")
    ax.semilogy(k, spectral_norm(W) ** k * np.linalg.norm(g), "k--", lw=1,
                label=rf"$\|W\|_2^k$ = {spectral_norm(W):.2f}$^k$ (bound)")
    ax.semilogy(k, spectral_radius(W) ** k * np.linalg.norm(g), "k:", lw=1,
                label=rf"$\rho(W)^k$ = {spectral_radius(W):.2f}$^k$")
    ax.set_ylim(1e-5, 1e2)
    ax.set_xlabel("lag k")
    ax.set_ylabel(r"$\|g_{T-k}\|$")
    ax.set_title("Eigenvalues below 1, yet the gradient grows before it decays", fontsize=10)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_norms_by_lag(panels, ylabel=r"$\|g_{T-k}\| \;/\; \|g_T\|$"):
    """One panel per entry of ``panels``: a list of (title, [(label, norms (K,)), ...]) against the lag
    k = 0..K-1, log y axis; ``ylabel`` names the quantity."""
    plt = _plt()
    if not isinstance(panels, (list, tuple)) or not panels:
        raise TypeError("panels must be a non-empty list of (title, [(label, norms), ...])")
    fig, axes = plt.subplots(1, len(panels), figsize=(7, 3.5), sharey=True, squeeze=False)
    for ax, (title, curves) in zip(axes[0], panels):
        for label, norms in curves:
            norms = as_float_array(norms, "norms", 1, "(K,)")
            ax.semilogy(np.arange(norms.shape[0]), norms, lw=1.8, label=label)
        ax.axhline(1.0, color="gray", lw=0.8, ls=":")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("lag k")
    axes[0][0].set_ylabel(ylabel)
    axes[0][0].legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_contributions(panels, floor=1e-12):
    """Heatmaps of log10 ‖∂L_s/∂W through step t‖ (loss step s down, copy step t across).

    panels: a list of (title, M) with M (T, T) the Frobenius norms, zero above the diagonal.
    Exact zeros are drawn blank, entries below ``floor`` at the floor; all panels share one
    colour scale.
    """
    plt = _plt()
    if not isinstance(panels, (list, tuple)) or not panels:
        raise TypeError("panels must be a non-empty list of (title, M (T, T))")
    logs = []
    for _, M in panels:
        M = as_float_array(M, "M", 2, "(T, T)")
        check_shape(M, "M", (M.shape[0], M.shape[0]), "(T, T)")
        logs.append(np.where(M > 0, np.log10(np.maximum(M, floor)), np.nan))
    finite = np.concatenate([L[np.isfinite(L)] for L in logs])
    vmin, vmax = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    fig, axes = plt.subplots(1, len(panels), figsize=(7, 3.5), squeeze=False, constrained_layout=True)
    for ax, (title, _), L in zip(axes[0], panels, logs):
        T = L.shape[0]
        im = ax.imshow(L, origin="upper", cmap="viridis", vmin=vmin, vmax=vmax,
                       extent=(0.5, T + 0.5, T + 0.5, 0.5))
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("step t of the copy of W")
    axes[0][0].set_ylabel("loss step s")
    cb = fig.colorbar(im, ax=list(axes[0]), shrink=0.9)
    cb.set_label(r"$\log_{10}\|\partial L_s/\partial W_t\|$", fontsize=9)
    return fig
