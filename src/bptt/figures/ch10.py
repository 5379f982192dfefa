"""The figures of chapter 10 (gated units). Its learning curves reuse ``ch08.plot_training``."""

import numpy as np

from .._validate import as_float_array
from . import style


def plot_gradient_survival(curves):
    """‖dL/dh_{T-k}‖ (left) and ‖dL/dc_{T-k}‖ (right) against the lag k, log scale; chapter 10.

    Parameters
    ----------
    curves : dict
        {label: (norms_h, norms_c)}, each an array of shape (K,) indexed by the lag k = 0..K-1;
        norms_c is None for a network without a cell state (the vanilla RNN).

    Returns
    -------
    matplotlib Figure
    """
    if not isinstance(curves, dict) or not curves:
        raise ValueError("curves must be a non-empty dict {label: (norms_h, norms_c or None)}")
    plt = style.plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(7.5, 3.4), sharey=True)
    for m, (label, (nh, nc)) in enumerate(curves.items()):
        nh = as_float_array(nh, f"curves[{label!r}][0]", 1, "(K,)")
        a1.semilogy(np.arange(nh.size), nh, color=f"C{m}", lw=1.5, label=label)
        if nc is not None:
            nc = as_float_array(nc, f"curves[{label!r}][1]", 1, "(K,)")
            a2.semilogy(np.arange(nc.size), nc, color=f"C{m}", lw=1.5, label=label)
    a1.set_title(r"$\|dL/dh_{T-k}\|$", fontsize=style.FONT)
    a2.set_title(r"$\|dL/dc_{T-k}\|$ (the cell state)", fontsize=style.FONT)
    for ax in (a1, a2):
        ax.set_xlabel("lag $k$ (steps back from the loss)")
        ax.grid(alpha=0.3)
    a1.set_ylabel("norm, mean over the batch")
    a1.legend(fontsize=style.SMALL)
    fig.tight_layout()
    return fig
