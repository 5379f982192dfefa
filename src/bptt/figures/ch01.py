"""The figures of chapter 1 (the dense layer): tanh, its derivative and its Jacobian.

Each function draws into an Axes it is given (or a new one) and returns what it drew on, so a
chapter can combine panels.
"""

import numpy as np

from .._validate import as_float_array
from . import style
from .style import FONT, SMALL, axes, short


def tanh_and_derivative(ax=None, points=None, a_max=4.0, saturation=0.1):
    """tanh(a) and tanh'(a) = 1 − tanh²(a) on [−a_max, a_max], the saturated region shaded.

    Drawn in chapter 1 (a panel of ``tanh_jacobian_figure``).

    Parameters
    ----------
    ax : matplotlib Axes, optional
        A new figure when None.
    points : array_like, shape (K,), optional
        Pre-activations to mark on the derivative curve.
    a_max : float, optional
    saturation : float, optional
        Shade where tanh'(a) < saturation: less than that fraction of the gradient passes.

    Returns
    -------
    matplotlib Axes
    """
    if not (isinstance(a_max, (int, float)) and a_max > 0):
        raise ValueError(f"a_max must be a positive number, got {a_max!r}")
    if not (isinstance(saturation, (int, float)) and 0 < saturation < 1):
        raise ValueError(f"saturation must be a number in (0, 1), got {saturation!r}")
    ax = axes(ax)
    a = np.linspace(-a_max, a_max, 801)
    z = np.tanh(a)
    a_sat = float(np.arctanh(np.sqrt(1.0 - saturation)))  # tanh'(a_sat) = saturation
    for lo, hi in ((-a_max, -a_sat), (a_sat, a_max)):
        if hi > lo:
            ax.axvspan(lo, hi, color="0.9", zorder=0)
    ax.plot(a, z, color="C0", lw=2, label=r"$\tanh(y)$")
    ax.plot(a, 1.0 - z * z, color="C1", lw=2, label=r"$\tanh'(y) = 1 - \tanh^2(y)$")
    ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    ax.axhline(0.0, color="0.5", lw=0.8)
    if points is not None:
        p = as_float_array(points, "points", 1, "(K,)")
        zp = np.tanh(p)
        ax.plot(p, 1.0 - zp * zp, "o", color="k", ms=5, zorder=3, label=r"entries of $y$ (right)")
    if a_sat < a_max:
        ax.text(
            -0.97 * a_max,
            0.55,
            f"saturated:\n$\\tanh' < {saturation:g}$",
            ha="left",
            va="center",
            fontsize=SMALL,
            color="0.3",
        )
    ax.set_xlim(-a_max, a_max)
    ax.set_ylim(-1.1, 1.15)
    ax.set_xlabel("pre-activation $y$", fontsize=FONT)
    ax.set_title(r"$\tanh'$ lies in $(0, 1]$, largest at $y = 0$", fontsize=FONT)
    ax.tick_params(labelsize=SMALL)
    ax.legend(fontsize=SMALL, loc="lower right", framealpha=0.9)
    return ax


def matrix_heatmap(M, ax=None, title=None, xlabel="column", ylabel="row", annotate_diagonal=True):
    """Heat map of a 2-D array with a colorbar; rows and columns numbered from 1.

    Non-negative matrices use a white-to-blue scale from 0; others a red-blue scale centred on 0.
    Drawn in chapter 1 (a panel of ``tanh_jacobian_figure``).

    Parameters
    ----------
    M : array_like, shape (R, C)
    ax : matplotlib Axes, optional
    title, xlabel, ylabel : str, optional
    annotate_diagonal : bool, optional
        Print the diagonal entries (2 decimals) on the cells.

    Returns
    -------
    matplotlib Axes
    """
    M = as_float_array(M, "M", 2, "(R, C)")
    ax = axes(ax, figsize=(4, 3.5))
    if M.min() >= 0:
        im = ax.imshow(M, cmap="Blues", vmin=0.0, vmax=max(float(M.max()), 1e-300))
    else:
        v = float(np.abs(M).max())
        im = ax.imshow(M, cmap="RdBu_r", vmin=-v, vmax=v)
    cbar = ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    cbar.ax.tick_params(labelsize=SMALL)
    if annotate_diagonal:
        hi = float(np.abs(M).max()) or 1.0
        for k in range(min(M.shape)):
            ax.text(
                k,
                k,
                short(M[k, k]),
                ha="center",
                va="center",
                fontsize=SMALL,
                color="white" if abs(M[k, k]) > 0.6 * hi else "black",
            )
    ax.set_xticks(range(M.shape[1]), [str(j + 1) for j in range(M.shape[1])])
    ax.set_yticks(range(M.shape[0]), [str(i + 1) for i in range(M.shape[0])])
    ax.tick_params(labelsize=SMALL)
    ax.set_xlabel(xlabel, fontsize=FONT)
    ax.set_ylabel(ylabel, fontsize=FONT)
    if title:
        ax.set_title(title, fontsize=FONT)
    return ax


def tanh_jacobian_figure(y, J):
    """tanh and tanh' with the entries of y marked (left), and the Jacobian dz/dy (right).

    Drawn in chapter 1.

    Parameters
    ----------
    y : array_like, shape (H,)
        Pre-activations.
    J : array_like, shape (H, H)
        The Jacobian of z = tanh(y), e.g. by central differences.

    Returns
    -------
    matplotlib Figure
    """
    y = as_float_array(y, "y", 1, "(H,)")
    J = as_float_array(J, "J", 2, "(H, H)")
    if J.shape != (y.size, y.size):
        raise ValueError(f"J must have shape (H, H) = {(y.size, y.size)} to match y, got {J.shape}")
    plt = style.plt()
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(8, 3.6), gridspec_kw={"width_ratios": [1.35, 1]}
    )
    tanh_and_derivative(left, points=y)
    matrix_heatmap(
        J,
        right,
        title=r"Jacobian $\partial z_i / \partial y_k$ (central differences)",
        xlabel=r"$k$ (entry of $y$)",
        ylabel=r"$i$ (entry of $z$)",
    )
    fig.tight_layout()
    return fig
