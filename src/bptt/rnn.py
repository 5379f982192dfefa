"""Backpropagation through time for a vanilla tanh RNN, one step at a time (chapters 4 and 6).

Math (column vectors, t = 1..T, h_0 given)::

    a_t = W h_{t-1} + U x_t + b,   h_t = tanh(a_t),   o_t = V h_t + c,   L = Σ_t L_t
    g_t = dL/dh_t = Vᵀ ∂L_t/∂o_t + Wᵀ δ_{t+1},   δ_t = (1 − h_t²) ⊙ g_t
    dL/dW = Σ_t δ_t h_{t-1}ᵀ,   dL/dU = Σ_t δ_t x_tᵀ,   dL/db = Σ_t δ_t

Code puts the batch first and counts time from 0, aligned with X: ``X[:, t]``, ``Hs[:, t]``,
``G[:, t]`` and ``Delta[:, t]`` belong to math step t + 1. ``Hs`` is always h_1..h_T, shape
(N, T, H); the initial state ``h0`` (N, H) is kept apart. One step is
``h = tanh(h_prev @ W.T + x @ U.T + b)``, so ``grads.W`` *is* dL/dW.

The functions, in the shape of CS231n's ``rnn_layers.py`` (a forward pass that keeps a cache, a
backward pass that reads it)::

    h, cache = step_forward(x, h_prev, W, U, b)            one step
    dx, dh_prev, dW, dU, db = step_backward(dh, cache)
    Hs, O, cache = forward(params, X, h0)                   the whole sequence
    loss, dO = step_losses(O, targets, loss)                Σ_t L_t, averaged over the batch
    back = backward(dO, cache)                              BPTT: back.grads, back.dh0, back.G, ...
    d = backward_details(params, X, targets, loss, h0)      all three, everything kept (Details)

``backward`` is the package's one readable BPTT loop. With ``switches`` (a ``Switches``) the same
loop computes a named mistake instead (tanh' missing, W for Wᵀ in the carry, ...): ``bptt.variants``
and the assignments' checks build their wrong gradients from it. ``many_to_one`` and
``many_to_many`` return the same numbers from ``bptt.fast``, tested equal to ``backward_details``.
"""

from collections import namedtuple
from typing import NamedTuple

import numpy as np

from ._problem import check_h0, check_problem, check_targets, check_X
from ._validate import as_float_array, check_int, check_shape
from .fast import loss_and_grads
from .losses import mse_loss, nll_loss
from .params import Params, check_params
from .switches import RIGHT, check_switches, mistaken_step, weight_sum, window_starts

# ------------------------------------------------------------------- one step


def step_forward(x, h_prev, W, U, b):
    """One step of the RNN, batch first.

    Parameters
    ----------
    x : ndarray, shape (N, D)
        x_t, one row per example.
    h_prev : ndarray, shape (N, H)
        h_{t-1}.
    W : ndarray, shape (H, H)
    U : ndarray, shape (H, D)
    b : ndarray, shape (H,)

    Returns
    -------
    h : ndarray, shape (N, H)
        h_t = tanh(h_prev Wᵀ + x Uᵀ + b).
    cache : tuple
        (x, h_prev, W, U, h), for ``step_backward``.
    """
    h = np.tanh(h_prev @ W.T + x @ U.T + b)
    return h, (x, h_prev, W, U, h)


def step_backward(dh, cache):
    """Backward of ``step_forward``: one step of BPTT.

    Parameters
    ----------
    dh : ndarray, shape (N, H)
        g_t = dL/dh_t, the total derivative (direct term plus carry).
    cache : tuple
        From ``step_forward``.

    Returns
    -------
    dx : ndarray, shape (N, D)
        dL/dx_t: Uᵀ δ_t per row.
    dh_prev : ndarray, shape (N, H)
        Wᵀ δ_t per row: the carry into step t - 1.
    dW, dU, db : ndarray, shapes (H, H), (H, D), (H,)
        δ_t h_{t-1}ᵀ, δ_t x_tᵀ and δ_t summed over the batch: the gradients of this step's copies.
    """
    x, h_prev, W, U, h = cache
    da = dh * (1.0 - h * h)  # δ_t = (1 - h_t²) ⊙ g_t
    return da @ U, da @ W, da.T @ h_prev, da.T @ x, da.sum(axis=0)


# ------------------------------------------------------------------- the sequence


class Cache(NamedTuple):
    """What ``forward`` keeps for ``backward``.

    Attributes
    ----------
    params : Params
    X : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H)
        The state the pass started from.
    Hs : ndarray, shape (N, T, H)
        h_1..h_T.
    steps : tuple
        The T caches of ``step_forward``.
    """

    params: Params
    X: np.ndarray
    h0: np.ndarray
    Hs: np.ndarray
    steps: tuple


def forward(params, X, h0=None, truncate=None, switches=RIGHT):
    """Run the RNN over the whole sequence, one ``step_forward`` per step.

    Parameters
    ----------
    params : Params
        W (H, H), U (H, D), V (C, H), b (H,), c (C,).
    X : array_like, shape (N, T, D)
    h0 : array_like, shape (N, H), optional
        Zeros when None.
    truncate : int, optional
        Read only by the mistake ``switches.reset_state``.
    switches : Switches, optional
        ``input_matrix``, ``ignore_h0`` and ``reset_state`` act here.

    Returns
    -------
    Hs : ndarray, shape (N, T, H)
        h_1..h_T.
    O : ndarray, shape (N, T, C)
        o_t = V h_t + c.
    cache : Cache
        For ``backward``.
    """
    params = check_params(params)
    X = check_X(X, params)
    N, T, D = X.shape
    H = params.W.shape[0]
    h0 = np.zeros((N, H), params.W.dtype) if h0 is None else check_h0(h0, N, H, params.W.dtype)
    truncate = check_int(truncate, "truncate", minimum=1, allow_none=True)
    sw = check_switches(switches, N, D, H)
    W, U, V, b, c = params
    if sw.ignore_h0:  # the mistake: start from zeros
        h0 = np.zeros_like(h0)
    h = h0
    Hs = np.empty((N, T, H), dtype=W.dtype)
    steps = []
    for t in range(T):
        if sw.reset_state and window_starts(t, truncate, sw):
            h = np.zeros_like(h0)  # the mistake: the state is not carried
        h, step = step_forward(X[:, t], h, W, W if sw.input_matrix == "W" else U, b)
        Hs[:, t] = h
        steps.append(step)
    return Hs, Hs @ V.T + c, Cache(params, X, h0, Hs, tuple(steps))


def step_losses(O, targets, loss="mse", last_only=False, switches=RIGHT):
    """The loss L = Σ_t L_t averaged over the batch, and dL/do_t at every step.

    Parameters
    ----------
    O : array_like, shape (N, T, C)
        The outputs o_t.
    targets : array_like, shape (N, T, C) or (N, T); (N, C) or (N,) with last_only
        mse floats or nll int labels.
    loss : str
        "mse" (½‖o_t − y_t‖² per step) or "nll" (softmax and negative log-likelihood).
    last_only : bool
        True: only the last step carries a loss (many-to-one).
    switches : Switches, optional
        ``batch`` and ``loss_steps`` act here.

    Returns
    -------
    loss : float
        Σ_t L_t, averaged over the N examples.
    dO : ndarray, shape (N, T, C)
        dL/do_t, zero at the steps without a loss.
    """
    O = as_float_array(O, "O", 3, "(N, T, C)")
    N, T, C = O.shape
    targets = check_targets(targets, loss, N, T, C, last_only, O.dtype)
    sw = check_switches(switches)
    loss_fn = mse_loss if loss == "mse" else nll_loss  # each returns (loss, dL/do_t)
    steps = [T - 1] if last_only or sw.loss_steps == "last_step" else range(T)
    dO = np.zeros_like(O)
    total = 0.0
    for t in steps:
        loss_t, dO[:, t] = loss_fn(O[:, t], targets if last_only else targets[:, t])
        total += loss_t
    if sw.batch == "sum":  # the mistake: no 1/N
        total, dO = total * N, dO * N
    return float(total), dO


class Backward(NamedTuple):
    """What ``backward`` returns: the gradients and every intermediate, batch first.

    Attributes
    ----------
    grads : Params
        dL/dW (H, H), dL/dU (H, D), dL/dV (C, H), dL/db (H,), dL/dc (C,).
    dh0 : ndarray, shape (N, H)
        dL/dh_0 (zero where truncation cut the gradient before step 1).
    direct : ndarray, shape (N, T, H)
        The direct terms Vᵀ ∂L_t/∂o_t (zero where a step has no loss).
    G : ndarray, shape (N, T, H)
        g_t = dL/dh_t, the total derivative.
    Delta : ndarray, shape (N, T, H)
        δ_t = (1 − h_t²) ⊙ g_t.
    dW_steps, dU_steps, db_steps : ndarray, shapes (T, H, H), (T, H, D), (T, H)
        Each step's copies' gradients δ_t h_{t-1}ᵀ, δ_t x_tᵀ, δ_t (summed over the batch); their
        sums over t are grads.W, grads.U, grads.b.
    """

    grads: Params
    dh0: np.ndarray
    direct: np.ndarray
    G: np.ndarray
    Delta: np.ndarray
    dW_steps: np.ndarray
    dU_steps: np.ndarray
    db_steps: np.ndarray


def backward(dO, cache, truncate=None, switches=RIGHT):
    """BPTT through the cached forward pass, newest step first.

    Parameters
    ----------
    dO : array_like, shape (N, T, C)
        dL/do_t at every step (zero where a step has no loss), e.g. from ``step_losses``.
    cache : Cache
        From ``forward``.
    truncate : int, optional
        k: no gradient flows from a step that starts a window of k steps (t = 1, k+1, 2k+1, ...)
        into the step before it; None for full BPTT.
    switches : Switches, optional
        A mistake model (see ``Switches``); RIGHT, the default, is BPTT.

    Returns
    -------
    Backward
        grads, dh0 and the per-step g_t, δ_t and copy gradients.
    """
    if not isinstance(cache, Cache):
        raise TypeError(f"cache must be the Cache that bptt.rnn.forward returns, got {type(cache)}")
    W, U, V, b, c = cache.params
    Hs, caches = cache.Hs, cache.steps
    N, T, H = Hs.shape
    dO = as_float_array(dO, "dO", 3, "(N, T, C)", dtype=W.dtype)
    check_shape(dO, "dO", (N, T, V.shape[0]), "(N, T, C)")
    truncate = check_int(truncate, "truncate", minimum=1, allow_none=True)
    sw = check_switches(switches, N, U.shape[1], H)
    direct = dO @ V  # Vᵀ ∂L_t/∂o_t, every step at once
    if sw.direct_terms == "last_step":  # the mistake: no direct term before T
        direct[:, :-1] = 0.0
    G, Delta = np.zeros_like(direct), np.zeros_like(direct)
    dW_s, dU_s, db_s = (np.zeros((T,) + p.shape, dtype=W.dtype) for p in (W, U, b))
    carry = np.zeros((N, H), dtype=W.dtype)
    for t in reversed(range(T)):
        G[:, t] = direct[:, t] + carry  # g_t = Vᵀ ∂L_t/∂o_t + Wᵀ δ_{t+1}
        _, carry, dW_s[t], dU_s[t], db_s[t] = step_backward(G[:, t], caches[t])
        Delta[:, t] = G[:, t] * (1.0 - Hs[:, t] ** 2)
        if sw != RIGHT:  # a mistake model redoes the step its way
            Delta[:, t], carry, dW_s[t], dU_s[t], db_s[t] = mistaken_step(
                G[:, t], direct[:, t], caches[t], sw
            )
        if sw.cut_carry and window_starts(t, truncate, sw):
            carry = np.zeros_like(carry)  # truncation: no gradient into step t - 1
    dV = np.einsum("ntc,nth->ch", dO, Hs)  # Σ_t (∂L_t/∂o_t) h_tᵀ over the batch
    dW, dU, db = (weight_sum(s, sw) for s in (dW_s, dU_s, db_s))  # Σ_t of the copies' gradients
    grads = Params(dW, dU, dV, db, dO.sum(axis=(0, 1)))
    return Backward(grads, carry, direct, G, Delta, dW_s, dU_s, db_s)


# ------------------------------------------------------------------- everything at once


Details = namedtuple("Details", ("loss", "h0", "Hs", "O", "dO") + Backward._fields)
Details.__doc__ = """Every intermediate of one BPTT run, batch first, for the chapters' pictures.

Attributes
----------
loss : float
    Σ_t L_t averaged over the batch.
h0 : ndarray, shape (N, H)
Hs : ndarray, shape (N, T, H)
    h_1..h_T.
O, dO : ndarray, shape (N, T, C)
    The outputs o_t and dL/do_t (zero at steps without a loss).
grads, dh0, direct, G, Delta, dW_steps, dU_steps, db_steps
    As in ``Backward``.
"""


def backward_details(
    params, X, targets, loss="mse", h0=None, last_only=False, truncate=None, switches=RIGHT
):
    """``forward``, ``step_losses`` and ``backward`` in a row, everything kept.

    Parameters
    ----------
    params, X, h0
        As in ``forward``.
    targets, loss, last_only
        As in ``step_losses``.
    truncate, switches
        As in ``backward``.

    Returns
    -------
    Details
        Meant for small sizes: it keeps T matrices of size H x H.
    """
    pb = check_problem(params, X, targets, loss, h0, truncate, last_only)
    Hs, O, cache = forward(pb.params, pb.X, h0, pb.truncate, switches)
    value, dO = step_losses(O, pb.targets, pb.loss, pb.last_only, switches)
    back = backward(dO, cache, pb.truncate, switches)
    return Details(value, cache.h0, Hs, O, dO, *back)


def many_to_many_loop(params, X, Y, loss="mse", h0=None, truncate=None):
    """``many_to_many`` one step at a time: ``backward_details``'s loss and gradients.

    Returns (loss, grads) as ``many_to_many`` does, from the same arguments.
    """
    d = backward_details(params, X, Y, loss=loss, h0=h0, truncate=truncate)
    return d.loss, d.grads


# ------------------------------------------------------------------- the contract, fast


def many_to_one(params, X, y, loss="mse", h0=None, truncate=None):
    """The loss on the last step only, and its gradients (from ``bptt.fast``).

    Parameters
    ----------
    params, X, loss, h0, truncate
        As in ``many_to_many``.
    y : array_like, shape (N, C) or (N,)
        mse floats or nll int labels: the target of the last step.

    Returns
    -------
    loss : float
        L_T averaged over the batch.
    grads : Params
    """
    res = loss_and_grads(params, X, y, loss=loss, h0=h0, truncate=truncate, last_only=True)
    return res.loss, res.grads


def many_to_many(params, X, Y, loss="mse", h0=None, truncate=None, checkpoint=None):
    """A loss at every step, summed over t and averaged over the batch (from ``bptt.fast``).

    Parameters
    ----------
    params : Params
        W (H, H), U (H, D), V (C, H), b (H,), c (C,).
    X : array_like, shape (N, T, D)
    Y : array_like, shape (N, T, C) or (N, T)
        mse floats or nll int labels.
    loss : str
        "mse" or "nll".
    h0 : array_like, shape (N, H), optional
        Zeros when None.
    truncate : int, optional
        k: the gradient (not the state) stops every k steps; None for full BPTT.
    checkpoint : int, optional
        k: keep every k-th hidden state and recompute the others in the backward pass
        (``bptt.checkpoint``); the same result, with less memory and one more forward pass.

    Returns
    -------
    loss : float
    grads : Params
        Shaped like params.
    """
    if checkpoint is not None:
        from .checkpoint import loss_and_grads as checkpointed

        k = check_int(checkpoint, "checkpoint", minimum=1)
        res = checkpointed(params, X, Y, loss=loss, h0=h0, truncate=truncate, k=k)
        return res.loss, res.grads
    res = loss_and_grads(params, X, Y, loss=loss, h0=h0, truncate=truncate, last_only=False)
    return res.loss, res.grads
