"""Training a small RNN: gradient clipping, SGD and Adam, a training loop, accuracy (chapter 8).

Gradients and parameters are ``bptt.Params`` (W, U, V, b, c). Clipping treats the five arrays
as one long vector g, the way Pascanu et al. (2013) state their Algorithm 1:

    norm clipping:        if ‖g‖ ≥ τ:  g ← τ g / ‖g‖        (direction kept, length capped)
    elementwise clipping: g_i ← min(max(g_i, -κ), κ)         (as in min-char-rnn, κ = 5)

``window_truncated`` computes the other common truncated gradient (each loss propagated back
exactly k steps), to compare with the chunks of ``bptt.many_to_many(..., truncate=k)``.
"""
import numbers
from typing import NamedTuple

import numpy as np

from ._validate import as_float_array, check_choice, check_int
from .params import Params, check_params
from .plots import _axes
from .rnn import backward_details, forward, many_to_many, many_to_one

OPTIMIZERS = ("sgd", "adam")


# ----------------------------------------------------------------------------- small helpers

def _positive(value, name):
    """``value`` as a positive finite float, or TypeError/ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


def _as_params(p, name):
    """Check a Params-like 5-tuple and name it ``name`` in the message."""
    try:
        return check_params(p)
    except (TypeError, ValueError) as exc:
        raise type(exc)(str(exc).replace("params", name, 1)) from None


def flatten(params):
    """All entries of W, U, V, b, c in that order, as one float64 vector of length H²+HD+CH+H+C."""
    params = _as_params(params, "params")
    return np.concatenate([np.ravel(p).astype(np.float64) for p in params])


def cosine(a, b):
    """cos of the angle between two gradients: aᵀb / (‖a‖ ‖b‖) over all entries.

    a, b: two Params with the same shapes, or two arrays of the same shape. Returns a float in
    [-1, 1]; raises ValueError if either has norm zero (no direction).
    """
    if isinstance(a, tuple) and isinstance(b, tuple):
        va, vb = flatten(a), flatten(b)
    else:
        va = as_float_array(a, "a", shape_doc="(any shape)").ravel().astype(np.float64)
        vb = as_float_array(b, "b", shape_doc="(same shape as a)").ravel().astype(np.float64)
    if va.shape != vb.shape:
        raise ValueError(f"b must have the same shape as a ({va.size} entries), got {vb.size} entries")
    na, nb = np.linalg.norm(va), np.linalg.norm(vb)
    if na == 0 or nb == 0:
        raise ValueError("cosine needs two non-zero vectors: a zero gradient has no direction")
    return float(np.clip(va @ vb / (na * nb), -1.0, 1.0))


# ----------------------------------------------------------------------------- clipping

def clip_by_norm(grads, threshold):
    """Norm clipping (Pascanu et al. 2013, Algorithm 1): if ‖g‖ ≥ τ then g ← τ g / ‖g‖.

    grads: Params (W (H, H), U (H, D), V (C, H), b (H,), c (C,)); ‖g‖ is the Euclidean norm of all
    their entries together (``grads.norm()``). threshold: τ > 0.
    Returns a new Params: the same arrays scaled by min(1, τ / ‖g‖), so the direction is kept.
    """
    grads = _as_params(grads, "grads")
    return _clip_norm(grads, _positive(threshold, "threshold"), grads.norm())


def _clip_norm(grads, theta, norm):
    """clip_by_norm without the checks; ``norm`` is ``grads.norm()``."""
    return grads.copy() if norm <= theta else grads.scale(theta / norm)


def clip_by_value(grads, limit):
    """Elementwise clipping (as min-char-rnn does with κ = 5): every entry into [-κ, κ].

    grads: Params as in ``clip_by_norm``; limit: κ > 0. Returns a new Params; entries with
    |g_i| > κ become ±κ, so a gradient with some large and some small entries changes direction.
    """
    grads = _as_params(grads, "grads")
    return _clip_value(grads, _positive(limit, "limit"))


def _clip_value(grads, c):
    """clip_by_value without the checks."""
    return Params(*(np.clip(g, -c, c) for g in grads))


# ----------------------------------------------------------------------------- optimizers

def sgd_step(params, grads, lr):
    """One step of gradient descent: θ ← θ − lr · g. params, grads: Params of equal shapes."""
    params = _as_params(params, "params")
    grads = _as_params(grads, "grads")
    lr = _positive(lr, "lr")
    for name, p, g in zip(Params._fields, params, grads):
        if p.shape != g.shape:
            raise ValueError(f"grads.{name} must have the shape of params.{name} = {p.shape}, got {g.shape}")
    return _sgd(params, grads, lr)


def _sgd(params, grads, lr):
    """sgd_step without the checks."""
    return Params(*(p - lr * g for p, g in zip(params, grads)))


class Adam:
    """Adam (Kingma and Ba, 2015) on Params: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
    θ ← θ − lr · m̂ / (√v̂ + ε) with the bias corrections m̂ = m / (1−β₁ᵗ), v̂ = v / (1−β₂ᵗ).

    ``step(params, grads)`` returns the new Params; the moments live in the object.
    """

    def __init__(self, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr = _positive(lr, "lr")
        for value, name in ((beta1, "beta1"), (beta2, "beta2")):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
                raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
        self.beta1, self.beta2 = float(beta1), float(beta2)
        self.eps = _positive(eps, "eps")
        self.t, self.m, self.v = 0, None, None

    def step(self, params, grads):
        """One update: returns the new Params. params, grads: Params of the same shapes."""
        params = _as_params(params, "params")
        grads = _as_params(grads, "grads")
        if self.m is not None and any(m.shape != p.shape for m, p in zip(self.m, params)):
            raise ValueError("params must keep the shapes of the first call to Adam.step")
        return self._step(params, grads)

    def _step(self, params, grads):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        c1, c2 = 1 - self.beta1 ** self.t, 1 - self.beta2 ** self.t
        new = []
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            new.append(p - self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps))
        return Params(*new)


# ----------------------------------------------------------------------------- training

class History(NamedTuple):
    """What ``train`` returns.

    params: the final Params. loss (steps,): the minibatch loss before each update.
    grad_norm (steps,): ‖g‖ of each (truncated) gradient before clipping.
    clipped (steps,) bool: whether clipping changed that gradient.
    stopped_at: None, or the step at which the loss, the gradient or the updated parameters
    overflowed (inf or NaN); training stopped there, ``params`` are the last finite ones and
    later entries are NaN.
    """
    params: Params
    loss: np.ndarray
    grad_norm: np.ndarray
    clipped: np.ndarray
    stopped_at: object = None


def train(params, X, Y, loss="nll", steps=200, batch_size=32, lr=0.1, optimizer="sgd", truncate=None,
          clip_norm=None, clip_value=None, last_only=False, seed=0):
    """Train an RNN by minibatch gradient descent on (X, Y); no output is printed.

    params: the initial Params (not changed). X: (N, T, D). Y: the targets of
    ``bptt.many_to_many`` (mse (N, T, C) floats / nll (N, T) ints) or, with last_only=True, of
    ``bptt.many_to_one`` (mse (N, C) / nll (N,)). Each step draws ``batch_size`` rows of X at
    random (seeded), computes the gradient with ``truncate`` (None = full BPTT, k = chunks of k
    steps), clips it by norm (``clip_norm`` = τ) or elementwise (``clip_value`` = κ) if asked,
    and updates with ``optimizer`` "sgd" or "adam" at learning rate ``lr``. Should an update
    overflow (inf or NaN), training stops there and says so in ``History.stopped_at``.
    Returns History(params, loss (steps,), grad_norm (steps,), clipped (steps,), stopped_at).
    """
    params = _as_params(params, "params")
    X = as_float_array(X, "X", 3, "(N, T, D)")
    N = X.shape[0]
    if N == 0:
        raise ValueError("X must have shape (N, T, D) with N >= 1 examples, got N = 0")
    if np.shape(Y)[:1] != (N,):
        raise ValueError(f"Y must have one target row per sequence of X: first axis {N}, got shape {np.shape(Y)}")
    steps = check_int(steps, "steps", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if batch_size > N:
        raise ValueError(f"batch_size must be at most N = {N} (the number of sequences in X), got {batch_size}")
    check_choice(optimizer, "optimizer", OPTIMIZERS)
    lr = _positive(lr, "lr")
    if clip_norm is not None and clip_value is not None:
        raise ValueError("give clip_norm or clip_value, not both")
    if clip_norm is not None:
        _positive(clip_norm, "clip_norm")
    if clip_value is not None:
        _positive(clip_value, "clip_value")
    grad_fn = many_to_one if last_only else many_to_many
    # one check of the whole problem before the loop (shapes, labels, truncate), so that a bad
    # argument fails here with the contract's message and not after many steps
    grad_fn(params, X[:1], Y[:1], loss=loss, truncate=truncate)

    rng = np.random.default_rng(seed)
    opt = Adam(lr) if optimizer == "adam" else None
    losses, norms = np.full(steps, np.nan), np.full(steps, np.nan)
    clipped = np.zeros(steps, dtype=bool)
    stopped_at = None
    with np.errstate(all="ignore"):                         # a diverging run is detected below
        for i in range(steps):
            rows = rng.choice(N, size=batch_size, replace=False)
            value, grads = grad_fn(params, X[rows], Y[rows], loss=loss, truncate=truncate)
            losses[i] = value
            norms[i] = grads.norm()
            if not (np.isfinite(value) and np.isfinite(norms[i])):
                stopped_at = i
                break
            if clip_norm is not None:
                clipped[i] = norms[i] > clip_norm
                grads = _clip_norm(grads, clip_norm, norms[i])
            elif clip_value is not None:
                clipped[i] = any(np.any(np.abs(g) > clip_value) for g in grads)
                grads = _clip_value(grads, clip_value)
            new = opt._step(params, grads) if opt else _sgd(params, grads, lr)
            if not all(np.all(np.isfinite(p)) for p in new):
                stopped_at = i
                break
            params = new
    return History(params, losses, norms, clipped, stopped_at)


def accuracy(params, X, Y, from_step=0):
    """The fraction of correct argmax predictions.

    X: (N, T, D). Y: (N, T) int labels (scored at steps from_step .. T-1, 0-based) or (N,) int
    labels of a many-to-one task (scored at the last step; from_step must be 0).
    Returns a float in [0, 1].
    """
    params = _as_params(params, "params")
    _, O = forward(params, X)                                  # O (N, T, C)
    N, T, C = O.shape
    Y = np.asarray(Y)
    if not np.issubdtype(Y.dtype, np.integer):
        raise TypeError(f"Y must hold integer class labels with shape (N, T) or (N,), got dtype {Y.dtype}")
    start = check_int(from_step, "from_step", minimum=0)
    if Y.shape == (N,):
        if start:
            raise ValueError("from_step applies to (N, T) labels only; Y has shape (N,) (last step)")
        return float(np.mean(O[:, -1].argmax(axis=1) == Y))
    if Y.shape != (N, T):
        raise ValueError(f"Y must have shape (N, T) = {(N, T)} or (N,) = {(N,)}, got {Y.shape}")
    if start >= T:
        raise ValueError(f"from_step must be smaller than T = {T}, got {start}")
    return float(np.mean(O[:, start:].argmax(axis=2) == Y[:, start:]))


# ----------------------------------------------------------------------------- truncation, window form

def window_truncated(params, X, Y, k, loss="mse"):
    """Truncated gradient in the *window* form: each loss L_s is propagated back exactly
    min(k, s) steps, through h_s, h_{s-1}, .., h_{s-k+1}, and no further.

    (``bptt.many_to_many(..., truncate=k)`` uses *chunks* instead: a loss at the j-th step of
    its chunk goes back j steps, between 1 and k.) Both equal full BPTT when k >= T, and both
    equal each other when k = 1. Costs O(T k) step backward passes instead of O(T).
    X (N, T, D); Y as in ``many_to_many``; k >= 1. Returns (loss, grads: Params).
    """
    k = check_int(k, "k", minimum=1)
    det = backward_details(params, X, Y, loss=loss)         # Hs (N, T+1, H), direct (N, T, H)
    W, U = det.grads.W, det.grads.U                          # shapes only
    params = check_params(params)
    Xf = as_float_array(X, "X", 3, "(N, T, D)", dtype=params.W.dtype)
    T = Xf.shape[1]
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(params.b)
    for s in range(1, T + 1):                                # the loss L_s ...
        g = det.direct[:, s - 1]                             # ... enters at h_s
        for t in range(s, max(s - k, 0), -1):                # t = s, s-1, .., s-k+1
            h = det.Hs[:, t]
            delta = (1.0 - h * h) * g                        # δ_t of L_s alone
            dW += delta.T @ det.Hs[:, t - 1]
            dU += delta.T @ Xf[:, t - 1]
            db += delta.sum(axis=0)
            g = delta @ params.W                             # Wᵀ δ_t, batch first
    return det.loss, Params(dW, dU, det.grads.V, db, det.grads.c)


# ----------------------------------------------------------------------------- figures (chapter 8)

def draw_truncation(T, k, ax=None):
    """Picture of ``truncate=k`` on a sequence of T steps; returns the matplotlib Axes.

    Top row: the losses L_1..L_T. Middle row: the states h_0..h_T, joined left to right by the
    forward arrows (the state is carried everywhere). Bottom: the backward arrows g_t -> g_{t-1},
    drawn inside each chunk of k steps and cut (red cross) where a chunk begins.
    """
    T = check_int(T, "T", minimum=1)
    k = check_int(k, "k", minimum=1)
    ax = _axes(ax, figsize=(7, 2.6))
    colors = ("#dbe9f6", "#fde7d3")
    for m, start in enumerate(range(1, T + 1, k)):               # chunk m covers start .. start+k-1
        stop = min(start + k - 1, T)
        ax.axvspan(start - 0.45, stop + 0.45, color=colors[m % 2], zorder=0)
        ax.text((start + stop) / 2, -1.55, f"chunk {m + 1}", ha="center", va="center", fontsize=9)
    for t in range(T + 1):
        ax.add_patch(_circle(t, 0.0))
        ax.text(t, 0.0, f"$h_{{{t}}}$", ha="center", va="center", fontsize=9, zorder=3)
        if t >= 1:
            ax.annotate("", xy=(t - 0.3, 0.0), xytext=(t - 0.7, 0.0),
                        arrowprops=dict(arrowstyle="->", color="0.3", lw=1.2))
            ax.text(t, 1.1, f"$L_{{{t}}}$", ha="center", va="center", fontsize=9)
            ax.annotate("", xy=(t, 0.32), xytext=(t, 0.85),
                        arrowprops=dict(arrowstyle="->", color="tab:blue", lw=1.0))
            cut = t > 1 and (t - 1) % k == 0                    # no gradient from δ_t into h_{t-1}
            if cut:
                ax.plot(t - 0.5, -0.75, marker="x", color="tab:red", markersize=9, mew=2.5)
            else:
                ax.annotate("", xy=(t - 0.75, -0.75), xytext=(t - 0.25, -0.75),
                            arrowprops=dict(arrowstyle="->", color="tab:blue", lw=1.4))
    ax.text(-0.45, -0.75, "gradient", ha="right", va="center", fontsize=9, color="tab:blue")
    ax.text(-0.45, 0.42, "state", ha="right", va="center", fontsize=9, color="0.3")
    ax.set_xlim(-1.9, T + 0.6)
    ax.set_ylim(-1.9, 1.5)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"truncate={k}, T={T}: the state crosses every boundary, the gradient none", fontsize=10)
    return ax


def _circle(x, y):
    from matplotlib.patches import Circle
    return Circle((x, y), 0.3, facecolor="white", edgecolor="0.2", lw=1.0, zorder=2)


def draw_clipping(vectors, theta, c, ax=None):
    """2-D picture of norm clipping (τ = theta, circle) against elementwise clipping (κ = c, square).

    vectors: (M, 2) gradients. Each is drawn in grey, its norm-clipped version in blue (same
    direction, on the circle if it was longer than τ) and its elementwise-clipped version in
    orange (inside the square [-κ, κ]²). Returns the Axes.
    """
    G = as_float_array(vectors, "vectors", 2, "(M, 2)")
    if G.shape[1] != 2:
        raise ValueError(f"vectors must have shape (M, 2) (2-D gradients), got {G.shape}")
    theta, c = _positive(theta, "theta"), _positive(c, "c")
    ax = _axes(ax, figsize=(4.5, 4.5))
    phi = np.linspace(0, 2 * np.pi, 200)
    ax.plot(theta * np.cos(phi), theta * np.sin(phi), color="tab:blue", lw=1, ls="--", label=rf"$\|g\| = \tau = {theta:g}$")
    ax.plot([-c, c, c, -c, -c], [-c, -c, c, c, -c], color="tab:orange", lw=1, ls="--", label=rf"$|g_i| = \kappa = {c:g}$")
    kw = dict(angles="xy", scale_units="xy", scale=1, width=0.008)
    for i, g in enumerate(G):
        n = np.linalg.norm(g)
        gn = g * min(1.0, theta / n) if n > 0 else g
        gv = np.clip(g, -c, c)
        ax.quiver(0, 0, *g, color="0.6", **kw, label="g" if i == 0 else None)
        ax.quiver(0, 0, *gv, color="tab:orange", **kw, label="elementwise" if i == 0 else None)
        ax.quiver(0, 0, *gn, color="tab:blue", **kw, label="norm" if i == 0 else None)
    lim = 1.1 * max(np.abs(G).max(), theta, c)
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
    """Two panels: smoothed minibatch loss against step (left), final accuracy per run (right).

    histories: list of History; labels: one string per run; accuracies: one float per run.
    chance_loss, chance_accuracy: drawn as dashed lines. smooth: moving-average window.
    Returns the Figure.
    """
    import matplotlib.pyplot as plt
    if not (len(histories) == len(labels) == len(accuracies)) or not histories:
        raise ValueError("histories, labels and accuracies must be non-empty lists of the same length")
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
    """Relative error of chunked and window truncation against full BPTT, for each k (log scale).

    ks: the truncation lengths (K,); curves: {scale of W: (chunk errors (K,), window errors (K,))};
    T: the sequence length, for the label. Window errors of 0 are drawn at 1e-16. Returns the Axes.
    """
    ax = _axes(ax)
    styles = ("-", "--", ":", "-.")
    if not curves or len(curves) > len(styles):
        raise ValueError(f"curves must hold 1 to {len(styles)} scales, got {len(curves)}")
    for (scale, (e_c, e_w)), ls in zip(curves.items(), styles):
        ax.semilogy(ks, e_c, "o" + ls, color="tab:red", ms=4, label=f"chunks, {scale:g} W")
        ax.semilogy(ks, np.maximum(e_w, 1e-16), "s" + ls, color="tab:blue", ms=4, label=f"window, {scale:g} W")
    ax.set_xlabel(f"truncation length k  (T = {T}; k = T is exact for both)")
    ax.set_ylabel("relative error to full BPTT")
    ax.set_ylim(1e-7, 2)
    ax.set_title("How far the truncated gradient is from the full one")
    ax.legend(fontsize=9, ncol=2)
    return ax


def plot_grad_norms(histories, theta=None, ax=None):
    """‖g‖ before clipping against the training step, one line per run (log scale).

    histories: {label: History}; theta: a norm-clipping threshold τ to draw as a dashed line, or None.
    Returns the Axes.
    """
    if not histories:
        raise ValueError("histories must be a non-empty dict {label: History}")
    ax = _axes(ax)
    for name, h in histories.items():
        ax.semilogy(h.grad_norm, lw=0.8, label=name)
    if theta is not None:
        ax.axhline(theta, color="0.3", ls="--", lw=1, label=f"τ = {theta:g}")
    ax.set_xlabel("training step")
    ax.set_ylabel("||g|| before clipping")
    ax.set_title("Gradient norms during training")
    ax.legend(fontsize=9, ncol=2)
    return ax
