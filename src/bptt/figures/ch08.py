"""The figures of chapter 8 (truncated BPTT, clipping, training)."""

import numpy as np

from .._validate import as_float_array, check_int, check_scalar
from ..switches import window_starts
from . import style
from .style import axes


def draw_truncation(T, k, ax=None):
    """A picture of ``truncate=k`` on a sequence of T steps; drawn in chapter 8.

    Top row: the losses L_1..L_T. Middle row: the states h_0..h_T, joined by the forward arrows
    (the state is carried everywhere). Bottom: the backward arrows g_t -> g_{t-1}, drawn inside
    each window of k steps and cut (red cross) where a window begins.

    Parameters
    ----------
    T, k : int
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    T = check_int(T, "T", minimum=1)
    k = check_int(k, "k", minimum=1)
    ax = axes(ax, figsize=(7, 2.6))
    colors = ("#dbe9f6", "#fde7d3")
    for m, start in enumerate(range(1, T + 1, k)):  # chunk m covers start .. start+k-1
        stop = min(start + k - 1, T)
        ax.axvspan(start - 0.45, stop + 0.45, color=colors[m % 2], zorder=0)
        ax.text((start + stop) / 2, -1.55, f"chunk {m + 1}", ha="center", va="center", fontsize=9)
    for t in range(T + 1):
        ax.add_patch(_circle(t, 0.0))
        ax.text(t, 0.0, f"$h_{{{t}}}$", ha="center", va="center", fontsize=9, zorder=3)
        if t >= 1:
            ax.annotate(
                "",
                xy=(t - 0.3, 0.0),
                xytext=(t - 0.7, 0.0),
                arrowprops=dict(arrowstyle="->", color="0.3", lw=1.2),
            )
            ax.text(t, 1.1, f"$L_{{{t}}}$", ha="center", va="center", fontsize=9)
            ax.annotate(
                "",
                xy=(t, 0.32),
                xytext=(t, 0.85),
                arrowprops=dict(arrowstyle="->", color="tab:blue", lw=1.0),
            )
            if window_starts(t - 1, k):  # no gradient from δ_t into h_{t-1}
                ax.plot(t - 0.5, -0.75, marker="x", color="tab:red", markersize=9, mew=2.5)
            else:
                ax.annotate(
                    "",
                    xy=(t - 0.75, -0.75),
                    xytext=(t - 0.25, -0.75),
                    arrowprops=dict(arrowstyle="->", color="tab:blue", lw=1.4),
                )
    ax.text(-0.45, -0.75, "gradient", ha="right", va="center", fontsize=9, color="tab:blue")
    ax.text(-0.45, 0.42, "state", ha="right", va="center", fontsize=9, color="0.3")
    ax.set_xlim(-1.9, T + 0.6)
    ax.set_ylim(-1.9, 1.5)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(
        f"truncate={k}, T={T}: the state crosses every boundary, the gradient none", fontsize=10
    )
    return ax


def _circle(x, y):
    from matplotlib.patches import Circle

    return Circle((x, y), 0.3, facecolor="white", edgecolor="0.2", lw=1.0, zorder=2)


def draw_clipping(vectors, tau, kappa, ax=None):
    """Norm clipping (τ, circle) against elementwise clipping (κ, square) in 2-D; chapter 8.

    Each vector is drawn in grey, its norm-clipped version in blue (same direction, on the
    circle if it was longer than τ) and its elementwise-clipped one in orange (in [−κ, κ]²).

    Parameters
    ----------
    vectors : array_like, shape (M, 2)
        2-D gradients.
    tau : float
        The norm-clipping threshold τ.
    kappa : float
        The elementwise clip value κ.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    G = as_float_array(vectors, "vectors", 2, "(M, 2)")
    if G.shape[1] != 2:
        raise ValueError(f"vectors must have shape (M, 2) (2-D gradients), got {G.shape}")
    tau, kappa = (
        check_scalar(tau, "tau", positive=True),
        check_scalar(kappa, "kappa", positive=True),
    )
    ax = axes(ax, figsize=(4.5, 4.5))
    phi = np.linspace(0, 2 * np.pi, 200)
    circle = rf"$\|g\| = \tau = {tau:g}$"
    ax.plot(tau * np.cos(phi), tau * np.sin(phi), color="tab:blue", lw=1, ls="--", label=circle)
    k, square = kappa, rf"$|g_i| = \kappa = {kappa:g}$"
    ax.plot([-k, k, k, -k, -k], [-k, -k, k, k, -k], color="tab:orange", lw=1, ls="--", label=square)
    kw = dict(angles="xy", scale_units="xy", scale=1, width=0.008)
    for i, g in enumerate(G):
        n = np.linalg.norm(g)
        gn = g * min(1.0, tau / n) if n > 0 else g
        gv = np.clip(g, -kappa, kappa)
        ax.quiver(0, 0, *g, color="0.6", **kw, label="g" if i == 0 else None)
        ax.quiver(0, 0, *gv, color="tab:orange", **kw, label="elementwise" if i == 0 else None)
        ax.quiver(0, 0, *gn, color="tab:blue", **kw, label="norm" if i == 0 else None)
    lim = 1.1 * max(np.abs(G).max(), tau, kappa)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.axhline(0, color="0.85", lw=0.8, zorder=0)
    ax.axvline(0, color="0.85", lw=0.8, zorder=0)
    ax.set_xlabel("$g_1$")
    ax.set_ylabel("$g_2$")
    ax.legend(fontsize=9, loc="lower left")
    return ax


def plot_training(histories, labels, accuracies, chance_loss, chance_accuracy, smooth=20, title=""):
    """Smoothed minibatch loss against step (left), final accuracy per run (right); chapter 8.

    Parameters
    ----------
    histories : list of bptt.train.History
    labels : list of str
        One per run.
    accuracies : list of float
        One per run.
    chance_loss, chance_accuracy : float
        Drawn as dashed lines.
    smooth : int, optional
        The moving-average window.
    title : str, optional

    Returns
    -------
    matplotlib Figure
    """
    plt = style.plt()
    if not (len(histories) == len(labels) == len(accuracies)) or not histories:
        raise ValueError(
            "histories, labels and accuracies must be non-empty lists of the same length"
        )
    smooth = check_int(smooth, "smooth", minimum=1)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(7.5, 3.8), gridspec_kw={"width_ratios": [1.5, 1]})
    box = np.ones(smooth) / smooth
    for h, lab in zip(histories, labels):
        loss = np.asarray(h.loss, dtype=float)
        curve = np.convolve(loss, box, mode="valid") if loss.size >= smooth else loss
        a1.plot(np.arange(curve.size) + (loss.size - curve.size), curve, lw=1.3, label=lab)
    a1.axhline(chance_loss, color="0.3", ls="--", lw=1, label="chance")
    a1.set_yscale("log")
    a1.set_xlabel("training step")
    a1.set_ylabel(f"loss (mean of {smooth} steps)")
    a1.legend(fontsize=9, ncol=2)
    x = np.arange(len(labels))
    bars = a2.bar(x, accuracies, color=[f"C{i}" for i in range(len(labels))])
    for b, acc in zip(bars, accuracies):
        a2.text(b.get_x() + b.get_width() / 2, acc + 0.02, f"{acc:.2f}", ha="center", fontsize=9)
    a2.axhline(chance_accuracy, color="0.3", ls="--", lw=1)
    a2.set_xticks(x, labels, fontsize=9, rotation=30, ha="right")
    a2.set_ylim(0, 1.12)
    a2.set_ylabel("test accuracy")
    a2.set_title(f"dashed: chance {chance_accuracy:.3g}", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def plot_truncation_gap(ks, curves, T, ax=None):
    """Relative error of window and chunk truncation against full BPTT, for each k; chapter 8.

    Window errors of 0 are drawn at 1e-16 (log scale).

    Parameters
    ----------
    ks : array_like, shape (K,)
        The truncation lengths.
    curves : dict
        {scale of W: (chunk errors (K,), window errors (K,))}, 1 to 4 entries.
    T : int
        The sequence length, for the label.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = axes(ax)
    styles = ("-", "--", ":", "-.")
    if not curves or len(curves) > len(styles):
        raise ValueError(f"curves must hold 1 to {len(styles)} scales, got {len(curves)}")
    for (scale, (e_c, e_w)), ls in zip(curves.items(), styles):
        ax.semilogy(ks, e_c, "o" + ls, color="tab:red", ms=4, label=f"chunks, {scale:g} W")
        ax.semilogy(
            ks,
            np.maximum(e_w, 1e-16),
            "s" + ls,
            color="tab:blue",
            ms=4,
            label=f"window, {scale:g} W",
        )
    ax.set_xlabel(f"truncation length k  (T = {T}; k = T is exact for both)")
    ax.set_ylabel("relative error to full BPTT")
    ax.set_ylim(1e-7, 2)
    ax.set_title("How far the truncated gradient is from the full one")
    ax.legend(fontsize=9, ncol=2)
    return ax


def plot_grad_norms(histories, tau=None, ax=None):
    """‖g‖ before clipping against the training step, one line per run (log scale); chapter 8.

    Parameters
    ----------
    histories : dict
        {label: bptt.train.History}.
    tau : float, optional
        A norm-clipping threshold τ, drawn as a dashed line.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    if not histories:
        raise ValueError("histories must be a non-empty dict {label: History}")
    ax = axes(ax)
    for name, h in histories.items():
        ax.semilogy(h.grad_norm, lw=0.8, label=name)
    if tau is not None:
        ax.axhline(tau, color="0.3", ls="--", lw=1, label=f"τ = {tau:g}")
    ax.set_xlabel("training step")
    ax.set_ylabel("||g|| before clipping")
    ax.set_title("Gradient norms during training")
    ax.legend(fontsize=9, ncol=2)
    return ax
