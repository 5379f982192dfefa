"""The figures of chapter 7 (vanishing and exploding gradients)."""

import numpy as np

from .._validate import as_float_array, check_int, check_scalar, check_shape, check_square
from ..activations import sigmoid, sigmoid_grad_from_output, tanh, tanh_grad_from_output
from ..dynamics import impulse_response, norms_by_lag, spectral_norm, spectral_radius
from . import style


def plot_impulse_responses(ws=(-0.9, -1.1), n_steps=25):
    """One panel per w: the impulse response h_t = w^(t−1) (stems), envelope ±|w|^(t−1) (dashed).

    Drawn in chapter 7: h_t = w h_{t-1} + x_t with h_0 = 0 and x_t = [t = 1], t = 1..n_steps.

    Parameters
    ----------
    ws : sequence of float, optional
        One panel per weight (``bptt.examples.IIR_WEIGHTS`` by default values).
    n_steps : int, optional

    Returns
    -------
    matplotlib Figure
    """
    plt = style.plt()
    ws = [check_scalar(w, "ws[i]") for w in ws]
    n = check_int(n_steps, "n_steps", minimum=2)
    t = np.arange(1, n + 1)  # h_1..h_n, h_t = w^(t-1)
    fig, axes = plt.subplots(1, len(ws), figsize=(7, 3.5), squeeze=False)
    for ax, w in zip(axes[0], ws):
        h = impulse_response(w, n)
        ax.stem(t, h, basefmt=" ")
        env = np.abs(w) ** (t - 1)
        ax.plot(t, env, "k--", lw=1, label=r"envelope $\pm|w|^{t-1}$")
        ax.plot(t, -env, "k--", lw=1)
        kind = "decays" if abs(w) < 1 else ("grows" if abs(w) > 1 else "stays")
        ax.set_title(
            f"w = {w:g}: |w| {'<' if abs(w) < 1 else '>' if abs(w) > 1 else '='} 1, {kind}",
            fontsize=10,
        )
        ax.set_xlabel("t (impulse at t = 1)")
        ax.set_ylabel(r"$h_t$")
        ax.legend(fontsize=9, loc="upper right")
    fig.tight_layout()
    return fig


def plot_activation_derivatives(a_max=5.0):
    """tanh'(a) and sigmoid'(a) on [−a_max, a_max], with their maxima γ = 1 and 1/4.

    Drawn in chapter 7.

    Parameters
    ----------
    a_max : float, optional

    Returns
    -------
    matplotlib Figure
    """
    plt = style.plt()
    a = np.linspace(-check_scalar(a_max, "a_max", positive=True), a_max, 401)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(a, tanh_grad_from_output(tanh(a)), label=r"$\tanh'(a) = 1 - \tanh^2(a)$, max 1")
    ax.plot(
        a,
        sigmoid_grad_from_output(sigmoid(a)),
        label=r"$\sigma'(a) = \sigma(a)(1-\sigma(a))$, max 1/4",
    )
    ax.axhline(1.0, color="gray", lw=0.8, ls=":")
    ax.axhline(0.25, color="gray", lw=0.8, ls=":")
    ax.plot([0, 0], [0.25, 1.0], "ko", ms=4)
    ax.set_xlabel("pre-activation a")
    ax.set_ylabel("derivative")
    ax.set_ylim(0, 1.08)
    ax.set_title(
        r"Local gain of the activation: never above $\gamma$, close to it near $a = 0$", fontsize=10
    )
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_nonnormal(W, g_last, n_lags=100, W_normal=None):
    """‖(Wᵀ)ᵏ g_T‖ against k (log axis) for the linear network, with ‖W‖₂ᵏ and ρ(W)ᵏ.

    Drawn in chapter 7.

    Parameters
    ----------
    W : array_like, shape (H, H)
    g_last : array_like, shape (H,)
        g_T.
    n_lags : int, optional
    W_normal : array_like, shape (H, H), optional
        A second matrix drawn for comparison.

    Returns
    -------
    matplotlib Figure
    """
    plt = style.plt()
    W = check_square(W)
    n = check_int(n_lags, "n_lags", minimum=1)
    g = as_float_array(g_last, "g_last", 1, "(H,)")
    check_shape(g, "g_last", (W.shape[0],), "(H,)")
    ones = np.ones((1, n, W.shape[0]))
    k = np.arange(n + 1)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.semilogy(
        k, norms_by_lag(W, ones, g[None])[0], lw=2, label=r"non-normal $W$: $\|(W^\top)^k g_T\|$"
    )
    if W_normal is not None:
        Wn = check_square(W_normal, "W_normal")
        ax.semilogy(
            k,
            norms_by_lag(Wn, ones, g[None])[0],
            lw=4,
            alpha=0.5,
            label=r"normal $W$, same eigenvalues",
        )
    ax.semilogy(
        k,
        spectral_norm(W) ** k * np.linalg.norm(g),
        "k--",
        lw=1,
        label=rf"$\|W\|_2^k$ = {spectral_norm(W):.2f}$^k$ (bound)",
    )
    ax.semilogy(
        k,
        spectral_radius(W) ** k * np.linalg.norm(g),
        "k:",
        lw=1,
        label=rf"$\rho(W)^k$ = {spectral_radius(W):.2f}$^k$",
    )
    ax.set_ylim(1e-5, 1e2)
    ax.set_xlabel("lag k")
    ax.set_ylabel(r"$\|g_{T-k}\|$")
    ax.set_title("Eigenvalues below 1, yet the gradient grows before it decays", fontsize=10)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_norms_by_lag(panels, ylabel=r"$\|g_{T-k}\| \;/\; \|g_T\|$"):
    """Gradient norms against the lag k = 0..K−1, log y axis, one panel per entry of ``panels``.

    Drawn in chapter 7.

    Parameters
    ----------
    panels : list
        [(title, [(label, norms of shape (K,)), ...]), ...].
    ylabel : str, optional
        The quantity drawn.

    Returns
    -------
    matplotlib Figure
    """
    _check_panels(panels, "(title, [(label, norms), ...])")
    fig, axes = style.plt().subplots(1, len(panels), figsize=(7, 3.5), sharey=True, squeeze=False)
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
    """Heat maps of log10 ‖∂L_s/∂W through step t‖ (loss step s down, copy step t across).

    Exact zeros are drawn blank, entries below ``floor`` at the floor; the panels share one
    colour scale. Drawn in chapter 7.

    Parameters
    ----------
    panels : list
        [(title, M), ...] with M of shape (T, T), the Frobenius norms, zero above the diagonal.
    floor : float, optional

    Returns
    -------
    matplotlib Figure
    """
    _check_panels(panels, "(title, M (T, T))")
    logs = []
    for _, M in panels:
        M = as_float_array(M, "M", 2, "(T, T)")
        check_shape(M, "M", (M.shape[0], M.shape[0]), "(T, T)")
        logs.append(np.where(M > 0, np.log10(np.maximum(M, floor)), np.nan))
    finite = np.concatenate([L[np.isfinite(L)] for L in logs])
    vmin, vmax = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    fig, axes = style.plt().subplots(
        1, len(panels), figsize=(7, 3.5), squeeze=False, constrained_layout=True
    )
    for ax, (title, _), L in zip(axes[0], panels, logs):
        T = L.shape[0]
        im = ax.imshow(
            L,
            origin="upper",
            cmap="viridis",
            vmin=vmin,
            vmax=vmax,
            extent=(0.5, T + 0.5, T + 0.5, 0.5),
        )
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("step t of the copy of W")
    axes[0][0].set_ylabel("loss step s")
    cb = fig.colorbar(im, ax=list(axes[0]), shrink=0.9)
    cb.set_label(r"$\log_{10}\|\partial L_s/\partial W^{(t)}\|$", fontsize=9)
    return fig


def _check_panels(panels, item):
    """TypeError unless panels is a non-empty list (or tuple) of ``item``."""
    if not isinstance(panels, (list, tuple)) or not panels:
        raise TypeError(f"panels must be a non-empty list of {item}")
