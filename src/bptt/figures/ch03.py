"""The figures of chapter 3 (checking gradients): the step-size sweep and the difference maps."""

import numpy as np

from .._validate import as_float_array
from ..gradcheck import optimal_step, step_sweep
from . import style


def plot_step_sweep(f, x, exact, dtypes=(np.float64, np.float32), steps=None):
    """Log-log error of ``bptt.gradcheck.step_sweep`` against the step, one panel per dtype.

    Forward and central differences; dotted vertical lines mark ε_mach^(1/2) and ε_mach^(1/3).
    f, x, exact and steps as in ``step_sweep`` (steps default to 121 from 1e-15 to 1); ``dtypes``
    defaults to float64 and float32. Drawn in chapter 3. Returns the Figure.
    """
    plt = style.plt()
    if steps is None:
        steps = np.logspace(-15, 0, 121)
    fig, axes = plt.subplots(1, len(dtypes), figsize=(8, 3.5), sharey=True, constrained_layout=True)
    axes = np.atleast_1d(axes)
    for ax, dt in zip(axes, dtypes):
        sw = step_sweep(f, x, exact, steps, dt)
        floor = 1e-17
        ax.loglog(sw["steps"], np.maximum(sw["forward"], floor), "-", lw=1.2, label="forward")
        ax.loglog(sw["steps"], np.maximum(sw["central"], floor), "-", lw=1.2, label="central")
        for kind, ls in (("forward", ":"), ("central", "--")):
            e = optimal_step(dt, kind)
            ax.axvline(
                e,
                color="gray",
                ls=ls,
                lw=1,
                label=r"$\varepsilon_\mathrm{mach}^{1/2}$"
                if kind == "forward"
                else r"$\varepsilon_\mathrm{mach}^{1/3}$",
            )
        ax.set(xlabel="step ε", title=f"{np.dtype(dt).name}", ylim=(1e-14, 10))
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("|difference quotient − f′(x)|")
    axes[-1].legend(fontsize=9, loc="lower left")
    return fig


def plot_difference_maps(maps, suptitle=None):
    """Heat maps side by side (e.g. analytic − numerical gradient), symmetric colour scales.

    Drawn in chapter 3.

    Parameters
    ----------
    maps : dict
        {title: array of shape (rows, cols)}.
    suptitle : str, optional

    Returns
    -------
    matplotlib Figure
    """
    plt = style.plt()
    if not isinstance(maps, dict) or not maps:
        raise TypeError("maps must be a non-empty dict {title: 2-D array}")
    arrays = {k: as_float_array(v, f"maps[{k!r}]", 2, "(rows, cols)") for k, v in maps.items()}
    ncols = min(2, len(arrays))
    nrows = -(-len(arrays) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(3.7 * ncols, 3.1 * nrows), constrained_layout=True, squeeze=False
    )
    axes = axes.ravel()
    for ax in axes[len(arrays) :]:
        ax.set_visible(False)
    for ax, (title, a) in zip(axes, arrays.items()):
        m = float(np.abs(a).max()) or 1.0
        im = ax.imshow(a, cmap="RdBu_r", vmin=-m, vmax=m)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("column j")
        ax.set_ylabel("row i")
        fig.colorbar(im, ax=ax, shrink=0.8, format="%.1g")
    if suptitle:
        fig.suptitle(suptitle, fontsize=11)
    return fig
