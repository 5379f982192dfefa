"""Training a small RNN: gradient clipping, SGD and Adam, a training loop, accuracy (chapter 8).

Gradients and parameters are ``bptt.Params`` (W, U, V, b, c). Clipping treats the five arrays
as one long vector g, the way Pascanu et al. (2013) state their Algorithm 1:

    norm clipping:        if ‖g‖ ≥ θ:  g ← θ g / ‖g‖        (direction kept, length capped)
    elementwise clipping: g_i ← min(max(g_i, -c), c)         (as in min-char-rnn, c = 5)

``window_truncated`` computes the other common truncated gradient (each loss propagated back
exactly k steps), to compare with the chunks of ``bptt.many_to_many(..., truncate=k)``.
"""
import numbers
from typing import NamedTuple

import numpy as np

from ._validate import as_float_array, check_choice, check_int
from .params import Params, check_params
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
    """Norm clipping (Pascanu et al. 2013, Algorithm 1): if ‖g‖ ≥ θ then g ← θ g / ‖g‖.

    grads: Params (W (H, H), U (H, D), V (C, H), b (H,), c (C,)); ‖g‖ is the Euclidean norm of all
    their entries together (``grads.norm()``). threshold: θ > 0.
    Returns a new Params: the same arrays scaled by min(1, θ / ‖g‖), so the direction is kept.
    """
    grads = _as_params(grads, "grads")
    theta = _positive(threshold, "threshold")
    norm = grads.norm()
    if norm <= theta:
        return grads.copy()
    return grads.scale(theta / norm)


def clip_by_value(grads, limit):
    """Elementwise clipping (as min-char-rnn does with c = 5): every entry into [-c, c].

    grads: Params as in ``clip_by_norm``; limit: c > 0. Returns a new Params; entries with
    |g_i| > c become ±c, so a gradient with some large and some small entries changes direction.
    """
    grads = _as_params(grads, "grads")
    c = _positive(limit, "limit")
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
        params = _as_params(params, "params")
        grads = _as_params(grads, "grads")
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
    """
    params: Params
    loss: np.ndarray
    grad_norm: np.ndarray
    clipped: np.ndarray


def train(params, X, Y, loss="nll", steps=200, batch_size=32, lr=0.1, optimizer="sgd", truncate=None,
          clip_norm=None, clip_value=None, last_only=False, seed=0):
    """Train an RNN by minibatch gradient descent on (X, Y); no output is printed.

    params: the initial Params (not changed). X: (N, T, D). Y: the targets of
    ``bptt.many_to_many`` (mse (N, T, C) floats / nll (N, T) ints) or, with last_only=True, of
    ``bptt.many_to_one`` (mse (N, C) / nll (N,)). Each step draws ``batch_size`` rows of X at
    random (seeded), computes the gradient with ``truncate`` (None = full BPTT, k = chunks of k
    steps), clips it by norm (``clip_norm`` = θ) or elementwise (``clip_value`` = c) if asked,
    and updates with ``optimizer`` "sgd" or "adam" at learning rate ``lr``.
    Returns History(params, loss (steps,), grad_norm (steps,), clipped (steps,)).
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
    losses, norms = np.empty(steps), np.empty(steps)
    clipped = np.zeros(steps, dtype=bool)
    for i in range(steps):
        rows = rng.choice(N, size=batch_size, replace=False)
        value, grads = grad_fn(params, X[rows], Y[rows], loss=loss, truncate=truncate)
        losses[i] = value
        norms[i] = grads.norm()
        if clip_norm is not None:
            clipped[i] = norms[i] > clip_norm
            grads = clip_by_norm(grads, clip_norm)
        elif clip_value is not None:
            clipped[i] = any(np.any(np.abs(g) > clip_value) for g in grads)
            grads = clip_by_value(grads, clip_value)
        params = opt.step(params, grads) if opt else sgd_step(params, grads, lr)
    return History(params, losses, norms, clipped)


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
