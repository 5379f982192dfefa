"""Training a small RNN: gradient clipping, SGD and Adam, a training loop, accuracy (chapter 8).

Gradients and parameters are ``bptt.Params`` (W, U, V, b, c). Clipping treats the five arrays
as one long vector g, the way Pascanu et al. (2013) state their Algorithm 1:

    norm clipping:        if ‖g‖ > τ:  g ← τ g / ‖g‖        (direction kept, length capped)
    elementwise clipping: g_i ← min(max(g_i, −κ), κ)         (as in min-char-rnn, κ = 5)

``window_truncated`` computes the other common truncated gradient (each loss propagated back
exactly k steps), to compare with the chunks of ``bptt.many_to_many(..., truncate=k)``.
"""

import numbers
from functools import partial
from typing import NamedTuple

import numpy as np

from ._problem import check_problem
from ._validate import as_float_array, check_choice, check_int, check_scalar
from .params import Params, check_params
from .rnn import backward_details, forward, many_to_many, many_to_one

OPTIMIZERS = ("sgd", "adam")


# ------------------------------------------------------------------- small helpers


def _positive(value, name):
    return check_scalar(value, name, positive=True)


def _as_params(p, name):
    """Check a Params-like 5-tuple (or an ``LSTMParams``) and name it ``name`` in the message."""
    from .lstm import LSTMParams, check_lstm_params  # the optimizers and clipping serve both

    try:
        return check_lstm_params(p) if isinstance(p, LSTMParams) else check_params(p)
    except (TypeError, ValueError) as exc:
        raise type(exc)(str(exc).replace("params", name, 1)) from None


def flatten(params):
    """All entries of W, U, V, b, c in that order: a float64 vector of H² + HD + CH + H + C."""
    params = _as_params(params, "params")
    return np.concatenate([np.ravel(p).astype(np.float64) for p in params])


def cosine(a, b):
    """cos of the angle between two gradients, aᵀb / (‖a‖ ‖b‖) over all entries, in [-1, 1].

    Parameters
    ----------
    a, b : Params, or array_like of one shape
        Neither of norm zero (ValueError: no direction).
    """
    if isinstance(a, tuple) and isinstance(b, tuple):
        va, vb = flatten(a), flatten(b)
    else:
        va = as_float_array(a, "a", shape_doc="(any shape)").ravel().astype(np.float64)
        vb = as_float_array(b, "b", shape_doc="(same shape as a)").ravel().astype(np.float64)
    if va.shape != vb.shape:
        raise ValueError(
            f"b must have the same shape as a ({va.size} entries), got {vb.size} entries"
        )
    na, nb = np.linalg.norm(va), np.linalg.norm(vb)
    if na == 0 or nb == 0:
        raise ValueError("cosine needs two non-zero vectors: a zero gradient has no direction")
    return float(np.clip(va @ vb / (na * nb), -1.0, 1.0))


# ------------------------------------------------------------------- clipping


def clip_by_norm(grads, threshold):
    """Norm clipping (Pascanu et al. 2013, Algorithm 1): if ‖g‖ > τ then g ← τ g / ‖g‖.

    ‖g‖ is the norm of all five arrays' entries together (``grads.norm()``); the result is a new
    Params, scaled by min(1, τ / ‖g‖), so the direction is kept.

    Parameters
    ----------
    grads : Params
    threshold : float
        τ > 0.
    """
    grads = _as_params(grads, "grads")
    return _clip_norm(grads, _positive(threshold, "threshold"), grads.norm())


def _clip_norm(grads, tau, norm):
    """clip_by_norm without the checks; ``norm`` is ``grads.norm()``."""
    return grads.copy() if norm <= tau else grads.scale(tau / norm)


def clip_by_value(grads, limit):
    """Elementwise clipping (as min-char-rnn does with κ = 5): every entry into [−κ, κ].

    A new Params; a gradient with some large and some small entries changes direction.

    Parameters
    ----------
    grads : Params
    limit : float
        κ > 0.
    """
    return _clip_value(_as_params(grads, "grads"), _positive(limit, "limit"))


def _clip_value(grads, kappa):
    """clip_by_value without the checks."""
    return type(grads)(*(np.clip(g, -kappa, kappa) for g in grads))


# ------------------------------------------------------------------- optimizers


def sgd_step(params, grads, lr):
    """One step of gradient descent, θ ← θ − lr · g: a new Params.

    Parameters
    ----------
    params, grads : Params
        Of equal shapes.
    lr : float
    """
    params = _as_params(params, "params")
    grads = _as_params(grads, "grads")
    lr = _positive(lr, "lr")
    for name, p, g in zip(type(params)._fields, params, grads):
        if p.shape != g.shape:
            raise ValueError(
                f"grads.{name} must have the shape of params.{name} = {p.shape}, got {g.shape}"
            )
    return _sgd(params, grads, lr)


def _sgd(params, grads, lr):
    """sgd_step without the checks."""
    return type(params)(*(p - lr * g for p, g in zip(params, grads)))


class Adam:
    """Adam (Kingma and Ba, 2015) on Params.

    m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − lr · m̂ / (√v̂ + ε) with the bias corrections
    m̂ = m / (1−β₁ᵗ), v̂ = v / (1−β₂ᵗ). ``step(params, grads)`` returns the new Params; the
    moments live in the object.

    Parameters
    ----------
    lr, beta1, beta2, eps : float, optional
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
        c1, c2 = 1 - self.beta1**self.t, 1 - self.beta2**self.t
        new = []
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            new.append(p - self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps))
        return type(params)(*new)


# ------------------------------------------------------------------- training


class History(NamedTuple):
    """What ``train`` returns.

    Attributes
    ----------
    params : Params
        The final parameters.
    loss, grad_norm : ndarray, shape (steps,)
        The minibatch loss before each update, and ‖g‖ of each gradient before clipping.
    clipped : ndarray of bool, shape (steps,)
        Whether clipping changed that gradient.
    stopped_at : int or None
        The step at which the loss, the gradient or the parameters overflowed (inf or NaN);
        training stopped there, ``params`` are the last finite ones and later entries NaN.
    """

    params: Params
    loss: np.ndarray
    grad_norm: np.ndarray
    clipped: np.ndarray
    stopped_at: object = None


def _check_training(params, X, Y, steps, batch_size, lr, optimizer, clip_norm, clip_value):
    """The arguments of ``train`` checked: (params, X, steps, batch_size, lr)."""
    params = _as_params(params, "params")
    X = as_float_array(X, "X", 3, "(N, T, D)")
    N = X.shape[0]
    if N == 0:
        raise ValueError("X must have shape (N, T, D) with N >= 1 examples, got N = 0")
    if np.shape(Y)[:1] != (N,):
        raise ValueError(
            f"Y must have one target row per sequence of X: first axis {N}, got shape {np.shape(Y)}"
        )
    steps = check_int(steps, "steps", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if batch_size > N:
        raise ValueError(
            f"batch_size must be at most N = {N} (the number of sequences in X), got {batch_size}"
        )
    check_choice(optimizer, "optimizer", OPTIMIZERS)
    if clip_norm is not None and clip_value is not None:
        raise ValueError("give clip_norm or clip_value, not both")
    for value, name in ((clip_norm, "clip_norm"), (clip_value, "clip_value")):
        if value is not None:
            _positive(value, name)
    return params, X, steps, batch_size, _positive(lr, "lr")


def _clip(grads, norm, clip_norm, clip_value):
    """(the clipped gradient, whether clipping changed it); norm is ``grads.norm()``."""
    if clip_norm is not None:
        return _clip_norm(grads, clip_norm, norm), norm > clip_norm
    if clip_value is not None:
        changed = any(np.any(np.abs(g) > clip_value) for g in grads)
        return _clip_value(grads, clip_value), changed
    return grads, False


def train(
    params,
    X,
    Y,
    loss="nll",
    steps=200,
    batch_size=32,
    lr=0.1,
    optimizer="sgd",
    truncate=None,
    clip_norm=None,
    clip_value=None,
    last_only=False,
    seed=0,
):
    """Train an RNN by minibatch gradient descent on (X, Y); nothing is printed.

    Each step draws ``batch_size`` rows of X (seeded), computes the gradient with ``truncate``,
    clips it by norm (τ = ``clip_norm``) or elementwise (κ = ``clip_value``) if asked, and updates
    with ``optimizer`` ("sgd" or "adam") at learning rate ``lr``. Should an update overflow (inf or
    NaN), training stops there and says so in ``History.stopped_at``.

    Parameters
    ----------
    params : Params
        The initial parameters (not changed).
    X : array_like, shape (N, T, D)
    Y : array_like, shape (N, T, C) or (N, T); (N, C) or (N,) with last_only
        The targets of ``bptt.many_to_many`` (or of ``many_to_one``).
    loss, optimizer : str, optional
    steps, batch_size, seed : int, optional
    lr : float, optional
    truncate : int, optional
    clip_norm, clip_value : float, optional
        τ or κ, at most one of them.
    last_only : bool, optional

    Returns
    -------
    History
    """
    params, X, steps, batch_size, lr = _check_training(
        params, X, Y, steps, batch_size, lr, optimizer, clip_norm, clip_value
    )
    grad_fn = partial(many_to_one if last_only else many_to_many, loss=loss, truncate=truncate)
    # one check of the whole problem before the loop (shapes, labels, truncate), so that a bad
    # argument fails here with the contract's message and not after many steps
    grad_fn(params, X[:1], Y[:1])
    update = Adam(lr)._step if optimizer == "adam" else partial(_sgd, lr=lr)
    rng = np.random.default_rng(seed)
    batches = [rng.choice(X.shape[0], size=batch_size, replace=False) for _ in range(steps)]
    return _descend(params, X, Y, grad_fn, update, batches, clip_norm, clip_value)


def _descend(params, X, Y, grad_fn, update, batches, clip_norm, clip_value):
    """The loop of ``train``: one update per batch of rows; stops at the first overflow."""
    steps = len(batches)
    losses, norms = np.full(steps, np.nan), np.full(steps, np.nan)
    clipped = np.zeros(steps, dtype=bool)
    with np.errstate(all="ignore"):  # a diverging run is detected below
        for i, rows in enumerate(batches):
            losses[i], grads = grad_fn(params, X[rows], Y[rows])
            norms[i] = grads.norm()
            if not (np.isfinite(losses[i]) and np.isfinite(norms[i])):
                return History(params, losses, norms, clipped, i)
            grads, clipped[i] = _clip(grads, norms[i], clip_norm, clip_value)
            new = update(params, grads)
            if not all(np.all(np.isfinite(p)) for p in new):
                return History(params, losses, norms, clipped, i)
            params = new
    return History(params, losses, norms, clipped, None)


def accuracy(params, X, Y, from_step=0):
    """The fraction of correct argmax predictions, in [0, 1].

    Parameters
    ----------
    params : Params
    X : array_like, shape (N, T, D)
    Y : array_like, shape (N, T) or (N,)
        Int labels per step (scored at the 0-based steps from_step..T-1), or one per sequence
        (many-to-one, scored at the last step; from_step must then be 0).
    from_step : int, optional
    """
    params = _as_params(params, "params")
    _, O, _ = forward(params, X)  # O (N, T, C)
    N, T, C = O.shape
    Y = np.asarray(Y)
    if not np.issubdtype(Y.dtype, np.integer):
        raise TypeError(
            f"Y must hold integer class labels with shape (N, T) or (N,), got dtype {Y.dtype}"
        )
    start = check_int(from_step, "from_step", minimum=0)
    if Y.shape == (N,):
        if start:
            raise ValueError(
                "from_step applies to (N, T) labels only; Y has shape (N,) (last step)"
            )
        return float(np.mean(O[:, -1].argmax(axis=1) == Y))
    if Y.shape != (N, T):
        raise ValueError(f"Y must have shape (N, T) = {(N, T)} or (N,) = {(N,)}, got {Y.shape}")
    if start >= T:
        raise ValueError(f"from_step must be smaller than T = {T}, got {start}")
    return float(np.mean(O[:, start:].argmax(axis=2) == Y[:, start:]))


# ------------------------------------------------------------------- truncation, window form


def window_truncated(params, X, Y, k, loss="mse"):
    """The truncated gradient in the *window* form: each L_s goes back exactly min(k, s) steps.

    (``bptt.many_to_many(..., truncate=k)`` uses *chunks* instead: a loss at the j-th step of its
    chunk goes back j steps, between 1 and k.) Both equal full BPTT when k >= T, and each other
    when k = 1. Each L_s is the many-to-one problem x_{s-k+1}..x_s started from the true state
    h_{s-k}, run by ``bptt.rnn.backward_details``: O(T k) steps instead of O(T). h_0 = 0.

    Parameters
    ----------
    params : Params
    X : array_like, shape (N, T, D)
    Y : array_like, shape (N, T, C) floats (mse) or (N, T) int labels (nll)
    k : int
        The window length, k >= 1.
    loss : str, optional

    Returns
    -------
    loss : float
        The full loss Σ_s L_s (truncation does not change it).
    grads : Params
    """
    k = check_int(k, "k", minimum=1)
    pb = check_problem(params, X, Y, loss)
    Hs = forward(pb.params, pb.X)[0]  # h_1..h_T, (N, T, H)
    total, grads = 0.0, Params(*(np.zeros_like(p) for p in pb.params))
    for s in range(1, pb.X.shape[1] + 1):  # the loss L_s ...
        a = max(s - k, 0)  # ... sees the steps a+1..s
        d = backward_details(
            pb.params,
            pb.X[:, a:s],
            pb.targets[:, s - 1],
            loss,
            h0=None if a == 0 else Hs[:, a - 1],
            last_only=True,
        )
        total, grads = total + d.loss, grads + d.grads
    return total, grads
