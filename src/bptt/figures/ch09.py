"""The figures of chapter 9 (what BPTT costs: time, memory, checkpointing, RTRL)."""

import numpy as np

from .._validate import as_float_array, check_shape
from . import style


def _series(x, name, n=None):
    """x as a 1-D float array of positive values (n of them if given)."""
    arr = as_float_array(x, name, 1, "(K,)")
    if n is not None:
        check_shape(arr, name, (n,), "(K,)")
    if arr.size == 0 or np.any(arr <= 0):
        raise ValueError(f"{name} must hold K >= 1 positive numbers (shape (K,)), got {arr}")
    return arr


def _ticks(ax, x):
    """Ticks at the measured sizes, labelled plainly, and no minor ticks."""
    from matplotlib.ticker import NullLocator

    ax.set_xticks(x, [f"{v:g}" for v in x])
    ax.xaxis.set_minor_locator(NullLocator())


def _loglog(ax, x, ys, labels, slopes, xlabel, ylabel):
    """Measured curves with dashed reference slopes through their first points."""
    for y, label in zip(ys, labels):
        ax.loglog(x, y, "o-", label=label)
    for y, p in zip(ys, slopes):  # through the largest size, where the products dominate
        ax.loglog(x, y[-1] * (x / x[-1]) ** p, "k--", lw=0.8, alpha=0.6)
    _ticks(ax, x)
    ax.set_xlabel(xlabel, fontsize=style.FONT)
    ax.set_ylabel(ylabel, fontsize=style.FONT)
    ax.legend(fontsize=style.SMALL)


def plot_bill(Ts, fwd_T, bwd_T, Hs, fwd_H, bwd_H):
    """Time of the forward and the backward pass against T (left) and against H (right).

    Parameters
    ----------
    Ts : array_like, shape (K,)
    fwd_T, bwd_T : array_like, shape (K,)
        Seconds at each T.
    Hs : array_like, shape (M,)
    fwd_H, bwd_H : array_like, shape (M,)
        Seconds at each H.

    Returns
    -------
    matplotlib Figure
    """
    Ts, Hs = _series(Ts, "Ts"), _series(Hs, "Hs")
    fT, bT = _series(fwd_T, "fwd_T", Ts.size), _series(bwd_T, "bwd_T", Ts.size)
    fH, bH = _series(fwd_H, "fwd_H", Hs.size), _series(bwd_H, "bwd_H", Hs.size)
    fig, (left, right) = style.plt().subplots(1, 2, figsize=(8, 3.2))
    _loglog(left, Ts, (fT, bT), ("forward", "forward + backward"), (1, 1), "T", "seconds")
    _loglog(right, Hs, (fH, bH), ("forward", "forward + backward"), (2, 2), "H", "seconds")
    left.set_title("against T (dashed: slope 1)", fontsize=style.FONT)
    right.set_title("against H (dashed: slope 2)", fontsize=style.FONT)
    fig.tight_layout()
    return fig


def plot_checkpoint(ks, peak_mb, seconds, T, state_mb, full_mb, full_seconds):
    """Peak memory (left) and time (right) of checkpointed BPTT against the interval k.

    Parameters
    ----------
    ks : array_like, shape (K,)
    peak_mb, seconds : array_like, shape (K,)
        Measured peak memory (MB) and time (s) at each k.
    T : int
    state_mb : float
        The memory of one hidden state (N·H numbers), MB: the model (T/k + k) states is drawn.
    full_mb, full_seconds : float
        Full BPTT's peak memory and time, drawn as horizontal lines.

    Returns
    -------
    matplotlib Figure
    """
    ks = _series(ks, "ks")
    mem, sec = _series(peak_mb, "peak_mb", ks.size), _series(seconds, "seconds", ks.size)
    fig, (left, right) = style.plt().subplots(1, 2, figsize=(8, 3.2))
    left.loglog(ks, mem, "o-", label="measured peak")
    left.loglog(ks, (T / ks + ks) * state_mb, "k--", lw=0.8, label="(T/k + k) states")
    left.axhline(full_mb, color="C3", lw=1, label="full BPTT")
    left.axvline(np.sqrt(T), color="0.6", lw=0.8, ls=":")
    left.set_xlabel("checkpoint interval k", fontsize=style.FONT)
    left.set_ylabel("MB", fontsize=style.FONT)
    left.legend(fontsize=style.SMALL)
    _ticks(left, ks)
    right.semilogx(ks, sec / full_seconds, "o-", label="checkpointed")
    _ticks(right, ks)
    right.axhline(1.0, color="C3", lw=1, label="full BPTT")
    right.set_xlabel("checkpoint interval k", fontsize=style.FONT)
    right.set_ylabel("time / full BPTT", fontsize=style.FONT)
    right.legend(fontsize=style.SMALL)
    fig.tight_layout()
    return fig


def plot_rtrl(Hs, rtrl_seconds, bptt_seconds, ax=None):
    """Seconds per step of RTRL and of BPTT against H, log-log, with slopes 4 and 2 dashed.

    Parameters
    ----------
    Hs, rtrl_seconds, bptt_seconds : array_like, shape (K,)
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    Hs = _series(Hs, "Hs")
    r = _series(rtrl_seconds, "rtrl_seconds", Hs.size)
    b = _series(bptt_seconds, "bptt_seconds", Hs.size)
    ax = style.axes(ax, figsize=(5.5, 3.5))
    _loglog(ax, Hs, (r, b), ("RTRL", "BPTT"), (4, 2), "H", "seconds per step")
    ax.set_title("dashed: slopes 4 and 2", fontsize=style.FONT)
    return ax
