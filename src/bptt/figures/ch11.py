"""The figures of chapter 11 (a character-level language model)."""

import numpy as np

from .._validate import as_float_array, check_int
from . import style
from .style import axes


def draw_streams(text, n_streams, seq_len, n_batches=None, ax=None):
    """How ``charlm.stream_batches`` cuts a text: N rows (streams), batches of T columns.

    Each cell shows one input character; batch j is the j-th band of T columns, coloured in turn.
    An arrow at every band boundary marks the hidden state carried from batch j to batch j + 1 of
    the same stream (its value, not its gradient).

    Parameters
    ----------
    text : str
        At least N T + 1 characters.
    n_streams, seq_len : int
        N and T.
    n_batches : int, optional
        Batches to draw (default: all, at most 4).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    N = check_int(n_streams, "n_streams", minimum=1)
    T = check_int(seq_len, "seq_len", minimum=1)
    L = (len(text) - 1) // N
    B = L // T
    if B < 1:
        raise ValueError(f"text must hold at least N T + 1 = {N * T + 1} characters")
    B = min(B, 4) if n_batches is None else min(B, check_int(n_batches, "n_batches", minimum=1))
    ax = axes(ax, figsize=(7.5, 0.55 * N + 1.2))
    colors = ("#dbe9f6", "#fde7d3")
    for n in range(N):
        y = N - 1 - n
        for s in range(B * T):
            j = s // T
            ax.add_patch(_cell(s + 0.5 * j, y, colors[j % 2]))
            ch = text[n * L + s]
            shown = "⏎" if ch == "\n" else ("␣" if ch == " " else ch)
            ax.text(s + 0.5 * j + 0.5, y + 0.45, shown, ha="center", va="center", fontsize=8)
        for j in range(1, B):  # the carried state
            x = j * T + 0.5 * j
            ax.annotate(
                "",
                xy=(x + 0.25, y + 0.45),
                xytext=(x - 0.75, y + 0.45),
                arrowprops=dict(arrowstyle="->", color="tab:red", lw=1.4),
            )
        ax.text(-0.4, y + 0.45, f"stream {n + 1}", ha="right", va="center", fontsize=style.SMALL)
    for j in range(B):
        ax.text(j * T + 0.5 * j + T / 2, N + 0.3, f"batch {j + 1}", ha="center", fontsize=9)
    ax.set_xlim(-5.5, B * T + 0.5 * B)
    ax.set_ylim(-0.4, N + 0.8)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def _cell(x, y, color):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), 1, 0.9, facecolor=color, edgecolor="0.6", lw=0.5)


def plot_learning_curves(runs, baselines, smooth=20, ax=None):
    """Validation bits per character against the step, one line per run, baselines dashed.

    Parameters
    ----------
    runs : dict
        label -> ``bptt.charlm.Run``; the training loss (mean of ``smooth`` steps) is drawn
        thin in the same colour.
    baselines : dict
        label -> bits per character (horizontal dashed lines).
    smooth : int, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    if not runs:
        raise ValueError("runs must be a non-empty dict label -> Run")
    smooth = check_int(smooth, "smooth", minimum=1)
    ax = axes(ax, figsize=(7, 3.8))
    box = np.ones(smooth) / smooth
    for i, (label, run) in enumerate(runs.items()):
        train = as_float_array(run.train_bits, "train_bits", 1, "(steps,)")
        curve = np.convolve(train, box, mode="valid") if train.size >= smooth else train
        ax.plot(
            np.arange(curve.size) + train.size - curve.size + 1,
            curve,
            color=f"C{i}",
            lw=0.8,
            alpha=0.5,
        )
        ax.plot(
            run.eval_steps,
            run.valid_bits,
            "o-",
            color=f"C{i}",
            lw=1.6,
            ms=4,
            label=f"{label}: validation",
        )
    for k, (label, bits) in enumerate(baselines.items()):
        ax.axhline(bits, color=f"{0.2 + 0.25 * k}", ls="--", lw=1)
        last = max(len(run.train_bits) for run in runs.values())
        ax.text(
            last, bits + 0.03, f"{label} {bits:.2f}", fontsize=style.SMALL, va="bottom", ha="right"
        )
    ax.set_xlabel("training step")
    ax.set_ylabel("bits per character")
    ax.set_title(f"thin: training batches (mean of {smooth}); dots: validation", fontsize=9)
    ax.legend(fontsize=style.SMALL)
    return ax


def plot_temperatures(probs, chars, temperatures, top=12, ax=None):
    """The next-character distribution of one context at several temperatures, as bars.

    Parameters
    ----------
    probs : array_like, shape (K, C)
        One distribution per temperature.
    chars : str
        The C characters.
    temperatures : sequence of float
        K of them.
    top : int, optional
        The characters drawn: the ``top`` most likely at temperature 1 (or the middle one).

    Returns
    -------
    matplotlib Axes
    """
    probs = as_float_array(probs, "probs", 2, "(K, C)")
    K, C = probs.shape
    if len(chars) != C or len(temperatures) != K:
        raise ValueError(f"chars must have C = {C} characters and temperatures K = {K} values")
    top = check_int(top, "top", minimum=1)
    ax = axes(ax, figsize=(7, 3.2))
    order = np.argsort(probs[K // 2])[::-1][:top]
    width = 0.8 / K
    for k, tau in enumerate(temperatures):
        ax.bar(
            np.arange(len(order)) + (k - (K - 1) / 2) * width,
            probs[k, order],
            width,
            label=f"temperature {tau}",
        )
    labels = ["⏎" if chars[i] == "\n" else ("␣" if chars[i] == " " else chars[i]) for i in order]
    ax.set_xticks(np.arange(len(order)), labels)
    ax.set_ylabel("probability of the next character")
    ax.legend(fontsize=style.SMALL)
    return ax
