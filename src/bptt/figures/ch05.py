"""Chapter 5's figures: the softmax–NLL gradient as probability minus target, the softmax
Jacobian as it saturates, and the loss and its gradient for a growing wrong logit.

Each function draws one figure, returns its Figure, and leaves ``plt.show()`` to the chapter.
"""

import numpy as np

from .. import losses
from .._validate import as_float_array

_PROB, _TARGET, _GRAD, _SHORT = "#4c78a8", "#f2a541", "#2a7f3f", "#c0392b"


def _plt():
    import matplotlib.pyplot as plt

    return plt


def probability_minus_target(o, targets):
    """Bars of ŷ = softmax(o), of the target y, and of the gradient ∂L/∂o = (Σy) ŷ − y (chapter 5).

    o: (C,) logits. targets: a dict {name: (C,) target weights}, one panel each (as
    ``bptt.examples.soft_targets()`` returns). Where the weights do not sum to 1, open circles
    mark ŷ − y, which then misses the gradient. Returns the Figure.
    """
    o = as_float_array(o, "o", 1, "(C,)")
    if not isinstance(targets, dict) or not targets:
        raise TypeError("targets must be a non-empty dict {name: (C,) array}")
    p = losses.softmax(o)
    C = o.shape[0]
    plt = _plt()
    fig, axes = plt.subplots(
        1,
        len(targets),
        figsize=(2.6 * len(targets) + 0.6, 3.1),
        sharey=True,
        constrained_layout=True,
    )
    axes = np.atleast_1d(axes)
    k = np.arange(C)
    w = 0.26
    for ax, (name, y) in zip(axes, targets.items()):
        y = as_float_array(y, f"targets[{name!r}]", 1, "(C,)")
        if y.shape != o.shape:
            raise ValueError(f"targets[{name!r}] must have shape {o.shape}, got {y.shape}")
        grad = y.sum() * p - y
        ax.bar(k - w, p, w, color=_PROB, label=r"$\hat y_k$")
        ax.bar(k, y, w, color=_TARGET, label=r"$y_k$")
        ax.bar(k + w, grad, w, color=_GRAD, label=r"$\partial L/\partial o_k$")
        if abs(y.sum() - 1) > 1e-12:
            ax.plot(
                k + w, p - y, "o", mfc="none", mec=_SHORT, mew=1.6, ms=8, label=r"$\hat y_k - y_k$"
            )
        ax.axhline(0, color="0.3", lw=0.8)
        vec = ", ".join(f"{v:g}" for v in y)
        ax.set_title(rf"{name}: $y = ({vec})$", fontsize=10)
        ax.set_xticks(k, [f"k = {i + 1}" for i in k], fontsize=9)
        ax.tick_params(axis="y", labelsize=9)
    axes[0].set_ylabel("value", fontsize=10)
    handles, labels = [], []
    for ax in axes:
        for hnd, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(hnd)
                labels.append(lab)
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=9)
    return fig


def jacobian_saturation(o, scales=(1, 6)):
    """Heat maps of the softmax Jacobian diag(ŷ) − ŷŷᵀ at logits s·o, one per scale s (chapter 5).

    o: (C,) logits; scales: the factors s. Larger logits saturate the softmax and shrink every
    entry. Returns the Figure.
    """
    o = as_float_array(o, "o", 1, "(C,)")
    plt = _plt()
    fig, axes = plt.subplots(
        1, len(scales), figsize=(3.5 * len(scales), 3.3), constrained_layout=True
    )
    axes = np.atleast_1d(axes)
    C = o.shape[0]
    for ax, s in zip(axes, scales):
        J = losses.softmax_jacobian(losses.softmax(s * o))
        im = ax.imshow(J, cmap="RdBu_r", vmin=-0.25, vmax=0.25)
        ax.set_title(
            rf"logits ${s:g}\,o$: largest $|J_{{kj}}|$ = {np.abs(J).max():.3f}", fontsize=10
        )
        ax.set_xlabel("j (logit)", fontsize=10)
        ax.set_ylabel("k (output)", fontsize=10)
        ax.set_xticks(range(C), [str(i + 1) for i in range(C)], fontsize=9)
        ax.set_yticks(range(C), [str(i + 1) for i in range(C)], fontsize=9)
    fig.colorbar(im, ax=axes, shrink=0.8, label=r"$\partial \hat y_k / \partial o_j$")
    return fig


def wrong_logit_sweep(z_max=1000.0, n=401):
    """Two classes, target on the first, logits (0, z) for z in [0, z_max] (chapter 5).

    Left: the norm of ∂L/∂o for the NLL (ŷ − y, tends to √2) and for ½‖ŷ − y‖² (Jᵀ(ŷ − y),
    vanishes as the softmax saturates). Right: −log ŷ_1 computed naively (inf once exp
    overflows, z > 709.78 in float64) and with log-sum-exp. Returns the Figure.
    """
    z = np.linspace(0.0, float(z_max), int(n))
    y = np.array([1.0, 0.0])
    logits = np.stack([np.zeros_like(z), z], axis=1)  # (n, 2)
    P = losses.softmax(logits)
    grad_nll = np.linalg.norm(P - y, axis=1)
    grad_sq = np.linalg.norm([losses.softmax_jacobian(p) @ (p - y) for p in P], axis=1)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        naive = -np.log(losses.softmax_naive(logits)[:, 0])
    stable = -losses.log_softmax(logits)[:, 0]
    plt = _plt()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7.5, 3.3), constrained_layout=True)
    near = z <= 100
    ax1.semilogy(z[near], grad_nll[near], label=r"NLL: $\|\hat y - y\|$")
    ax1.semilogy(
        z[near], grad_sq[near], label=r"$\frac{1}{2}\|\hat y - y\|^2$: $\|J^\top(\hat y - y)\|$"
    )
    ax1.set_xlabel("wrong logit z", fontsize=10)
    ax1.set_ylabel(r"$\|\partial L/\partial o\|$", fontsize=10)
    ax1.set_title("gradient as the softmax saturates", fontsize=10)
    ax1.legend(fontsize=9)
    ax2.plot(z, stable, lw=3, alpha=0.5, label="log-sum-exp")
    ax2.plot(z, np.where(np.isfinite(naive), naive, np.nan), "--", label="naive")
    ax2.axvline(
        np.log(np.finfo(float).max),
        color="gray",
        lw=0.8,
        label="exp overflows:\nnaive = inf beyond",
    )
    ax2.set_xlabel("wrong logit z", fontsize=10)
    ax2.set_ylabel(r"$-\log \hat y_1$", fontsize=10)
    ax2.set_title("the loss computed two ways", fontsize=10)
    ax2.legend(fontsize=9, loc="upper left")
    return fig
