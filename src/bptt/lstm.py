"""Backpropagation through time for an LSTM, one step at a time (chapter 10).

Math (column vectors, t = 1..T, h_0 and c_0 given; σ the logistic function)::

    z_t = W h_{t-1} + U x_t + b                    stacked (i, f, s̃, q), 4H rows
    i_t = σ(z_t^i),  f_t = σ(z_t^f),  s̃_t = tanh(z_t^s̃),  q_t = σ(z_t^q)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ s̃_t,   h_t = q_t ⊙ tanh(c_t),   o_t = V h_t + c

i_t, f_t and q_t are the input, forget and output gates (the output gate is q_t because o_t is
the output layer's logits everywhere in this book), s̃_t the candidate cell state. The blocks of
W, U and b are stacked as PyTorch stacks them (i, f, g, o): ``W[:H]`` feeds i_t, ``W[H:2H]``
f_t, ``W[2H:3H]`` s̃_t and ``W[3H:]`` q_t. Backward, with g_t = dL/dh_t and e_t = dL/dc_t (both
total derivatives)::

    g_t = Vᵀ ∂L_t/∂o_t + Wᵀ dz_{t+1}
    e_t = f_{t+1} ⊙ e_{t+1} + g_t ⊙ q_t ⊙ (1 − tanh²(c_t))        the cell junction
    dz_t^i = e_t ⊙ s̃_t ⊙ i_t(1 − i_t),   dz_t^f = e_t ⊙ c_{t-1} ⊙ f_t(1 − f_t)
    dz_t^s̃ = e_t ⊙ i_t ⊙ (1 − s̃_t²),     dz_t^q = g_t ⊙ tanh(c_t) ⊙ q_t(1 − q_t)
    dL/dW = Σ_t dz_t h_{t-1}ᵀ,  dL/dU = Σ_t dz_t x_tᵀ,  dL/db = Σ_t dz_t

Code puts the batch first, as ``bptt.rnn`` does: ``Hs[:, t]`` and ``Cs[:, t]`` are h and c of
math step t + 1; h0 and c0 (N, H) are kept apart. The functions, in the shape of CS231n's
``rnn_layers.py``::

    h, c, cache = lstm_step_forward(x, h_prev, c_prev, W, U, b)       one step
    dx, dh_prev, dc_prev, dW, dU, db = lstm_step_backward(dh, dc, cache)
    Hs, Cs, O, cache = lstm_forward(lp, X, h0, c0)                      the whole sequence
    back = lstm_backward(dO, cache)                                     BPTT: grads, dh0, dc0, G, E
    d = lstm_details(lp, X, targets, loss, h0, c0)                      everything kept

``lstm_many_to_many`` and ``lstm_many_to_one`` return the same numbers from ``bptt.lstm_fast``,
tested equal to ``lstm_details``; ``lstm_final_state`` gives (h_T, c_T) for stateful training.
"""

from typing import NamedTuple

import numpy as np

from ._problem import LOSSES, check_h0, check_targets, check_X
from ._validate import as_float_array, check_choice, check_int, check_shape
from .rnn import step_losses


class LSTMParams(NamedTuple):
    """The five parameters of an LSTM with a linear output layer; gradients use the same container.

    Attributes
    ----------
    W : ndarray, shape (4H, H)
        Recurrent weights, blocks (i, f, s̃, q).
    U : ndarray, shape (4H, D)
        Input weights, same blocks.
    b : ndarray, shape (4H,)
        Gate biases, same blocks (``b[H:2H]`` is the forget-gate bias).
    V : ndarray, shape (C, H)
        Output weights.
    c : ndarray, shape (C,)
        Output bias.
    """

    W: np.ndarray
    U: np.ndarray
    b: np.ndarray
    V: np.ndarray
    c: np.ndarray

    @property
    def sizes(self):
        """(D, H, C): input, hidden and output sizes."""
        return self.U.shape[1], self.W.shape[1], self.V.shape[0]

    def norm(self):
        """The Euclidean norm of all entries together (a float)."""
        return float(np.sqrt(sum(float(np.sum(p.astype(np.float64) ** 2)) for p in self)))

    def astype(self, dtype):
        """A copy with every array converted to ``dtype``."""
        return LSTMParams(*(np.array(p, dtype=dtype) for p in self))

    def copy(self):
        return LSTMParams(*(np.array(p) for p in self))

    def __add__(self, other):
        return LSTMParams(*(a + b for a, b in zip(self, other)))

    def __sub__(self, other):
        return LSTMParams(*(a - b for a, b in zip(self, other)))

    def scale(self, s):
        """Every array multiplied by the number ``s``."""
        return LSTMParams(*(s * p for p in self))


def init_lstm_params(n_input, n_hidden, n_output, seed=0, dtype=np.float64, forget_bias=0.0):
    """Random LSTM parameters for D = n_input, H = n_hidden, C = n_output.

    Weights are drawn from N(0, 1/fan_in); the biases from N(0, 0.1²) (small, so that their
    gradients are not trivially zero in checks), with ``forget_bias`` added to the forget block
    b[H:2H] (Jozefowicz et al. 2015 recommend +1).

    Parameters
    ----------
    n_input, n_hidden, n_output : int
        D, H and C, each >= 1.
    seed : int, optional
    dtype : float32 or float64, optional
    forget_bias : float, optional

    Returns
    -------
    LSTMParams
        W (4H, H), U (4H, D), b (4H,), V (C, H), c (C,).
    """
    D = check_int(n_input, "n_input", minimum=1)
    H = check_int(n_hidden, "n_hidden", minimum=1)
    C = check_int(n_output, "n_output", minimum=1)
    if isinstance(forget_bias, bool) or not np.isfinite(np.float64(forget_bias)):
        raise ValueError(f"forget_bias must be a finite number, got {forget_bias!r}")
    rng = np.random.default_rng(seed)
    b = rng.normal(0, 0.1, 4 * H)
    b[H : 2 * H] += float(forget_bias)
    lp = LSTMParams(
        W=rng.normal(0, 1 / np.sqrt(H), (4 * H, H)),
        U=rng.normal(0, 1 / np.sqrt(D), (4 * H, D)),
        b=b,
        V=rng.normal(0, 1 / np.sqrt(H), (C, H)),
        c=rng.normal(0, 0.1, C),
    )
    return lp.astype(dtype)


def check_lstm_params(lp):
    """Validate an LSTMParams and return it with finite float arrays of one dtype.

    Parameters
    ----------
    lp : LSTMParams
        W (4H, H), U (4H, D), b (4H,), V (C, H), c (C,).

    Returns
    -------
    LSTMParams
        TypeError when ``lp`` is not an LSTMParams or dtypes mix, ValueError when the shapes do
        not fit together.
    """
    if not isinstance(lp, LSTMParams):
        raise TypeError(
            "params must be a bptt.LSTMParams(W, U, b, V, c), e.g. from bptt.init_lstm_params, "
            f"got {type(lp).__name__}"
        )
    W = as_float_array(lp.W, "params.W", 2, "(4H, H)")
    H = W.shape[1]
    if H == 0 or W.shape[0] != 4 * H:
        raise ValueError(f"params.W must have shape (4H, H) with H >= 1, got {W.shape}")
    U = as_float_array(lp.U, "params.U", 2, "(4H, D)")
    if U.shape[0] != 4 * H:
        raise ValueError(
            f"params.U must have shape (4H, D) with 4H = {4 * H} (from W), got {U.shape}"
        )
    b = as_float_array(lp.b, "params.b", 1, "(4H,)")
    check_shape(b, "params.b", (4 * H,), "(4H,)")
    V = as_float_array(lp.V, "params.V", 2, "(C, H)")
    if V.shape[1] != H:
        raise ValueError(f"params.V must have shape (C, H) with H = {H} (from W), got {V.shape}")
    c = as_float_array(lp.c, "params.c", 1, "(C,)")
    check_shape(c, "params.c", (V.shape[0],), "(C,)")
    dtypes = {a.dtype for a in (W, U, b, V, c)}
    if len(dtypes) > 1:
        raise TypeError(
            f"params must all share one dtype (float32 or float64), got {sorted(map(str, dtypes))}"
        )
    return LSTMParams(W, U, b, V, c)


class LSTMProblem(NamedTuple):
    """The checked arguments of an LSTM sequence function (see ``check_lstm_problem``)."""

    params: LSTMParams
    X: np.ndarray
    targets: np.ndarray
    loss: str
    h0: np.ndarray
    c0: np.ndarray
    truncate: object
    last_only: bool


def _check_state(s, name, N, H, dtype):
    """An initial state (N, H), or a read-only view of zeros when None."""
    if s is None:
        return np.broadcast_to(np.zeros((), dtype=dtype), (N, H))
    s = as_float_array(s, name, 2, "(N, H)", dtype=dtype)
    check_shape(s, name, (N, H), "(N, H)")
    return s


def check_lstm_problem(
    lp, X, targets, loss="mse", h0=None, c0=None, truncate=None, last_only=False
):
    """Validate the arguments of an LSTM sequence function once, as ``bptt.rnn``'s are.

    Parameters
    ----------
    lp : LSTMParams
    X : array_like, shape (N, T, D)
    targets : array_like
        Many-to-many: mse (N, T, C) floats, nll (N, T) int labels; many-to-one (N, C), (N,).
    loss : str
        "mse" or "nll".
    h0, c0 : array_like, shape (N, H), or None
        The initial hidden and cell states; zeros when None.
    truncate : int or None
    last_only : bool

    Returns
    -------
    LSTMProblem
    """
    lp = check_lstm_params(lp)
    X = check_X(X, lp)
    N, T, _ = X.shape
    H, C = lp.W.shape[1], lp.V.shape[0]
    check_choice(loss, "loss", LOSSES)
    targets = check_targets(targets, loss, N, T, C, last_only, lp.W.dtype)
    h0 = check_h0(h0, N, H, lp.W.dtype)
    c0 = _check_state(c0, "c0", N, H, lp.W.dtype)
    truncate = check_int(truncate, "truncate", minimum=1, allow_none=True)
    return LSTMProblem(lp, X, targets, loss, h0, c0, truncate, bool(last_only))


# ------------------------------------------------------------------- one step


def sigmoid(z):
    """σ(z) = 1 / (1 + exp(−z)), computed as (1 + tanh(z/2)) / 2 so that nothing overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def lstm_step_forward(x, h_prev, c_prev, W, U, b):
    """One step of the LSTM, batch first.

    Parameters
    ----------
    x : ndarray, shape (N, D)
        x_t.
    h_prev, c_prev : ndarray, shape (N, H)
        h_{t-1} and c_{t-1}.
    W : ndarray, shape (4H, H)
    U : ndarray, shape (4H, D)
    b : ndarray, shape (4H,)

    Returns
    -------
    h, c : ndarray, shape (N, H)
        h_t = q_t ⊙ tanh(c_t) and c_t = f_t ⊙ c_{t-1} + i_t ⊙ s̃_t.
    cache : tuple
        (x, h_prev, c_prev, W, U, i, f, s, q, tanh_c), for ``lstm_step_backward``.
    """
    H = h_prev.shape[1]
    z = h_prev @ W.T + x @ U.T + b  # z_t, (N, 4H), blocks i, f, s̃, q
    i = sigmoid(z[:, :H])
    f = sigmoid(z[:, H : 2 * H])
    s = np.tanh(z[:, 2 * H : 3 * H])  # s̃_t
    q = sigmoid(z[:, 3 * H :])
    c = f * c_prev + i * s
    tanh_c = np.tanh(c)
    h = q * tanh_c
    return h, c, (x, h_prev, c_prev, W, U, i, f, s, q, tanh_c)


def lstm_gate_grads(dh, dc, cache):
    """The cell junction and the four gate pre-activations' gradients of one step.

    Parameters
    ----------
    dh : ndarray, shape (N, H)
        g_t = dL/dh_t, the total derivative.
    dc : ndarray, shape (N, H)
        f_{t+1} ⊙ e_{t+1}, what step t + 1 sends back into c_t (zeros at the last step).
    cache : tuple
        From ``lstm_step_forward``.

    Returns
    -------
    e : ndarray, shape (N, H)
        e_t = dL/dc_t = dc + g_t ⊙ q_t ⊙ (1 − tanh²(c_t)).
    dz : ndarray, shape (N, 4H)
        dL/dz_t, blocks (i, f, s̃, q).
    """
    x, h_prev, c_prev, W, U, i, f, s, q, tanh_c = cache
    e = dc + dh * q * (1.0 - tanh_c * tanh_c)  # e_t: the cell path plus the path through h_t
    dz = np.concatenate(
        [
            e * s * i * (1.0 - i),  # dz^i:  ∂c_t/∂i_t = s̃_t, σ' = i(1 - i)
            e * c_prev * f * (1.0 - f),  # dz^f:  ∂c_t/∂f_t = c_{t-1}
            e * i * (1.0 - s * s),  # dz^s̃:  ∂c_t/∂s̃_t = i_t, tanh' = 1 - s̃²
            dh * tanh_c * q * (1.0 - q),  # dz^q:  ∂h_t/∂q_t = tanh(c_t)
        ],
        axis=1,
    )
    return e, dz


def lstm_step_backward(dh, dc, cache):
    """Backward of ``lstm_step_forward``: one step of BPTT through the LSTM.

    Parameters
    ----------
    dh : ndarray, shape (N, H)
        g_t = dL/dh_t, the total derivative (direct term plus what step t + 1 sends back).
    dc : ndarray, shape (N, H)
        f_{t+1} ⊙ e_{t+1}: what step t + 1 sends back into c_t (zeros at the last step).
    cache : tuple
        From ``lstm_step_forward``.

    Returns
    -------
    dx : ndarray, shape (N, D)
        dL/dx_t = Uᵀ dz_t per row.
    dh_prev : ndarray, shape (N, H)
        Wᵀ dz_t per row: the carry into h_{t-1}.
    dc_prev : ndarray, shape (N, H)
        f_t ⊙ e_t: the carry into c_{t-1}.
    dW, dU, db : ndarray, shapes (4H, H), (4H, D), (4H,)
        dz_t h_{t-1}ᵀ, dz_t x_tᵀ and dz_t summed over the batch.
    """
    x, h_prev, _, W, U, _, f = cache[:7]
    e, dz = lstm_gate_grads(dh, dc, cache)
    return dz @ U, dz @ W, e * f, dz.T @ h_prev, dz.T @ x, dz.sum(axis=0)


# ------------------------------------------------------------------- the sequence


class LSTMCache(NamedTuple):
    """What ``lstm_forward`` keeps for ``lstm_backward``: params, X, h0, c0, Hs, Cs, steps."""

    params: LSTMParams
    X: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    Hs: np.ndarray
    Cs: np.ndarray
    steps: tuple


def lstm_forward(lp, X, h0=None, c0=None):
    """Run the LSTM over the whole sequence, one ``lstm_step_forward`` per step.

    Parameters
    ----------
    lp : LSTMParams
    X : array_like, shape (N, T, D)
    h0, c0 : array_like, shape (N, H), optional
        Zeros when None.

    Returns
    -------
    Hs, Cs : ndarray, shape (N, T, H)
        h_1..h_T and c_1..c_T.
    O : ndarray, shape (N, T, C)
        o_t = V h_t + c.
    cache : LSTMCache
    """
    lp = check_lstm_params(lp)
    X = check_X(X, lp)
    N, T, _ = X.shape
    H = lp.W.shape[1]
    h = h0 = check_h0(h0, N, H, lp.W.dtype)
    c = c0 = _check_state(c0, "c0", N, H, lp.W.dtype)
    Hs = np.empty((N, T, H), dtype=lp.W.dtype)
    Cs = np.empty_like(Hs)
    steps = []
    for t in range(T):
        h, c, step = lstm_step_forward(X[:, t], h, c, lp.W, lp.U, lp.b)
        Hs[:, t], Cs[:, t] = h, c
        steps.append(step)
    return Hs, Cs, Hs @ lp.V.T + lp.c, LSTMCache(lp, X, h0, c0, Hs, Cs, tuple(steps))


class LSTMBackward(NamedTuple):
    """What ``lstm_backward`` returns, batch first.

    Attributes
    ----------
    grads : LSTMParams
        dL/dW (4H, H), dL/dU (4H, D), dL/db (4H,), dL/dV (C, H), dL/dc (C,).
    dh0, dc0 : ndarray, shape (N, H)
        dL/dh_0 and dL/dc_0.
    G : ndarray, shape (N, T, H)
        g_t = dL/dh_t, the total derivative.
    E : ndarray, shape (N, T, H)
        e_t = dL/dc_t, the total derivative.
    dZ : ndarray, shape (N, T, 4H)
        dz_t, the gradients of the four gate pre-activations.
    """

    grads: LSTMParams
    dh0: np.ndarray
    dc0: np.ndarray
    G: np.ndarray
    E: np.ndarray
    dZ: np.ndarray


def _cut(t, truncate):
    """True when 0-based step t starts a truncation window (no gradient into the step before)."""
    return truncate is not None and t > 0 and t % truncate == 0


def lstm_backward(dO, cache, truncate=None):
    """BPTT through the cached LSTM forward pass, newest step first.

    Parameters
    ----------
    dO : array_like, shape (N, T, C)
        dL/do_t at every step (zero where a step has no loss).
    cache : LSTMCache
        From ``lstm_forward``.
    truncate : int, optional
        k: no gradient flows (through h or c) from a step that starts a window of k steps
        (t = k+1, 2k+1, ...) into the step before it; None for full BPTT.

    Returns
    -------
    LSTMBackward
    """
    if not isinstance(cache, LSTMCache):
        raise TypeError(f"cache must be the LSTMCache that lstm_forward returns, got {type(cache)}")
    lp = cache.params
    N, T, H = cache.Hs.shape
    dO = as_float_array(dO, "dO", 3, "(N, T, C)", dtype=lp.W.dtype)
    check_shape(dO, "dO", (N, T, lp.V.shape[0]), "(N, T, C)")
    truncate = check_int(truncate, "truncate", minimum=1, allow_none=True)
    direct = dO @ lp.V  # Vᵀ ∂L_t/∂o_t, every step at once
    G, E = np.zeros_like(direct), np.zeros_like(direct)
    dZ = np.zeros((N, T, 4 * H), dtype=lp.W.dtype)
    dW, dU, db = (np.zeros_like(p) for p in (lp.W, lp.U, lp.b))
    dh_carry = np.zeros((N, H), dtype=lp.W.dtype)
    dc_carry = np.zeros_like(dh_carry)
    for t in reversed(range(T)):
        G[:, t] = direct[:, t] + dh_carry  # g_t = Vᵀ ∂L_t/∂o_t + Wᵀ dz_{t+1}
        step = cache.steps[t]
        x, h_prev, _, W, _, _, f = step[:7]
        E[:, t], dZ[:, t] = lstm_gate_grads(G[:, t], dc_carry, step)
        dh_carry = dZ[:, t] @ W  # Wᵀ dz_t: into h_{t-1}
        dc_carry = E[:, t] * f  # f_t ⊙ e_t: into c_{t-1}
        dW += dZ[:, t].T @ h_prev
        dU += dZ[:, t].T @ x
        db += dZ[:, t].sum(axis=0)
        if _cut(t, truncate):
            dh_carry, dc_carry = np.zeros_like(dh_carry), np.zeros_like(dc_carry)
    grads = LSTMParams(dW, dU, db, np.einsum("ntc,nth->ch", dO, cache.Hs), dO.sum(axis=(0, 1)))
    return LSTMBackward(grads, dh_carry, dc_carry, G, E, dZ)


# ------------------------------------------------------------------- everything at once


class LSTMDetails(NamedTuple):
    """Every intermediate of one LSTM BPTT run, batch first (small sizes: for the chapter).

    loss (float); h0, c0 (N, H); Hs, Cs (N, T, H); O, dO (N, T, C); then LSTMBackward's grads,
    dh0, dc0, G = dL/dh_t, E = dL/dc_t (N, T, H) and dZ (N, T, 4H).
    """

    loss: float
    h0: np.ndarray
    c0: np.ndarray
    Hs: np.ndarray
    Cs: np.ndarray
    O: np.ndarray
    dO: np.ndarray
    grads: LSTMParams
    dh0: np.ndarray
    dc0: np.ndarray
    G: np.ndarray
    E: np.ndarray
    dZ: np.ndarray


def lstm_details(lp, X, targets, loss="mse", h0=None, c0=None, last_only=False, truncate=None):
    """``lstm_forward``, the step losses and ``lstm_backward`` in a row, everything kept.

    Parameters
    ----------
    lp, X, h0, c0
        As in ``lstm_forward``.
    targets, loss, last_only
        As in ``bptt.rnn.step_losses``.
    truncate
        As in ``lstm_backward``.

    Returns
    -------
    LSTMDetails
    """
    pb = check_lstm_problem(lp, X, targets, loss, h0, c0, truncate, last_only)
    Hs, Cs, O, cache = lstm_forward(pb.params, pb.X, pb.h0, pb.c0)
    value, dO = step_losses(O, pb.targets, pb.loss, pb.last_only)
    back = lstm_backward(dO, cache, pb.truncate)
    return LSTMDetails(value, cache.h0, cache.c0, Hs, Cs, O, dO, *back)


# ------------------------------------------------------------------- the contract, fast


def lstm_many_to_many(lp, X, Y, loss="mse", h0=None, c0=None, truncate=None):
    """A loss at every step, summed over t and averaged over the batch (from ``bptt.lstm_fast``).

    Parameters
    ----------
    lp : LSTMParams
        W (4H, H), U (4H, D), b (4H,), V (C, H), c (C,).
    X : array_like, shape (N, T, D)
    Y : array_like, shape (N, T, C) or (N, T)
        mse floats or nll int labels.
    loss : str
        "mse" or "nll".
    h0, c0 : array_like, shape (N, H), optional
        Zeros when None.
    truncate : int, optional
        k: the gradient (not the state) stops every k steps; None for full BPTT.

    Returns
    -------
    loss : float
    grads : LSTMParams
        Shaped like lp.
    """
    from .lstm_fast import loss_and_grads  # the fast path imports this module

    res = loss_and_grads(lp, X, Y, loss=loss, h0=h0, c0=c0, truncate=truncate)
    return res.loss, res.grads


def lstm_many_to_one(lp, X, y, loss="mse", h0=None, c0=None):
    """The loss on the last step only, and its gradients (from ``bptt.lstm_fast``).

    Parameters
    ----------
    lp, X, loss, h0, c0
        As in ``lstm_many_to_many``.
    y : array_like, shape (N, C) or (N,)
        mse floats or nll int labels: the target of the last step.

    Returns
    -------
    loss : float
    grads : LSTMParams
    """
    from .lstm_fast import loss_and_grads

    res = loss_and_grads(lp, X, y, loss=loss, h0=h0, c0=c0, last_only=True)
    return res.loss, res.grads


def lstm_final_state(lp, X, h0=None, c0=None):
    """(h_T, c_T), each (N, H): the state to start the next chunk from in stateful training.

    lp, X (N, T, D), h0 and c0 (N, H) as in ``lstm_many_to_many``.
    """
    from .lstm_fast import forward_states

    lp = check_lstm_params(lp)
    X = check_X(X, lp)
    N, _, _ = X.shape
    H = lp.W.shape[1]
    h0 = check_h0(h0, N, H, lp.W.dtype)
    c0 = _check_state(c0, "c0", N, H, lp.W.dtype)
    _, Hs, Cs, _ = forward_states(lp, X, h0, c0)
    return Hs[-1].copy(), Cs[-1].copy()
