"""Assignment 6, many-to-many BPTT: step_backward, many_to_many_grads."""

import numpy as np

from ..gradcheck import numerical_gradient
from ..rnn import many_to_many
from ..rnn import step_backward as _step_backward
from ..switches import Switches, mistaken_step
from .engine import _check_outputs, _passed, _unpack, call
from .mistakes import RNN_MISTAKES, _numeric_params, _tiny_rnn, check_rnn_grads

STEP_EDGES = [dict(N=1, D=2, H=3), dict(N=5, D=4, H=2)]
EDGES = [dict(N=1, T=1, D=2, H=2, C=2), dict(N=4, T=6, D=2, H=3, C=4)]
_LABELS = ["dx", "dh_prev", "dW", "dU", "db"]


def _step_case(seed, N, D, H):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, D))
    h_prev = rng.normal(0, 0.5, size=(N, H))
    W = rng.normal(size=(H, H)) / np.sqrt(H)
    U = rng.normal(size=(H, D)) / np.sqrt(D)
    b = rng.normal(0, 0.3, size=H)
    h = np.tanh(h_prev @ W.T + x @ U.T + b)
    dh = rng.normal(size=(N, H))
    return dh, x, h_prev, h, W, U, b


def _one_step(fn, seed, N, D, H):
    dh, x, h_prev, h, W, U, b = _step_case(seed, N, D, H)
    refs = list(_step_backward(dh, (x, h_prev, W, U, h)))
    ws = [x.copy(), h_prev.copy(), W.copy(), U.copy(), b.copy()]

    def loss():
        return float(np.sum(dh * np.tanh(ws[1] @ ws[2].T + ws[0] @ ws[3].T + ws[4])))

    nums = [numerical_gradient(loss, a) for a in ws]
    got = _unpack(call(fn, "step_backward", dh, x, h_prev, h, W, U), "step_backward", _LABELS)
    mutants = []  # each mistake of the teaching loop, for this one step
    for name in [
        "tanh",
        "tanh_weights",
        "tanh_carry",
        "one_minus_h",
        "off_by_one_rec",
        "transposed_rec",
        "off_by_one",
    ]:
        kind, text, fields = RNN_MISTAKES[name]
        sw = Switches(**fields)
        delta, carry, dW, dU, db = mistaken_step(dh, np.zeros_like(dh), (x, h_prev, W, U, h), sw)
        d_x = (dh if sw.tanh_prime == "1" and sw.tanh_prime_in != "carry" else delta) @ U
        mutants.append((kind, text, [d_x, carry, dW, dU, db]))
    d = dh * (1 - h**2)
    mutants.append(
        (
            "batch",
            "You averaged δ over the rows; dh already carries the 1/N of the mean loss, "
            "so db = Σ_rows δ.",
            [None, None, None, None, d.mean(axis=0)],
        )
    )
    specs = []
    for i, label in enumerate(_LABELS):
        muts = [(k, t, v[i]) for k, t, v in mutants if v[i] is not None]
        specs.append(
            (label, refs[i], dict(mutants=muts, numeric=nums[i], n_batch=N, bias=label == "db"))
        )
    return _check_outputs("step_backward", got, specs, note=f"(N = {N}, D = {D}, H = {H}.)")


def check_step_backward(fn, seed=0, N=3, D=3, H=4):
    """Check ``fn(dh, x, h_prev, h, W, U) -> (dx, dh_prev, dW, dU, db)`` for h = tanh(h_prev Wᵀ + x
    Uᵀ + b).

    dh (N, H) is the total dL/dh at this step; shapes as in bptt.rnn.step_backward. Tried on the
    sizes given and on N = 1 and D > H.
    """
    worst = 0.0
    for i, sz in enumerate([dict(N=N, D=D, H=H)] + STEP_EDGES):
        worst = max(worst, _one_step(fn, seed + 7919 * i, **sz))
    _passed("step_backward", "dx, dh_prev, dW, dU, db", worst)


def check_many_to_many_grads(fn, seed=0, N=3, T=4, D=3, H=4, C=3):
    """Check ``fn(params, X, Y, h0) -> Params`` for many-to-many softmax-NLL: L = (1/N) Σ_n Σ_t -log
    ŷ_t[y_t].

    X (N, T, D), Y (N, T) integer labels, h0 (N, H). Tried on the sizes given and on N = 1,
    T = 1 and a longer sequence.
    """
    worst = 0.0
    for i, sz in enumerate([dict(N=N, T=T, D=D, H=H, C=C)] + EDGES):
        params, X, Y, h0 = _tiny_rnn(seed + 7919 * i, loss="nll", **sz)
        _, ref = many_to_many(params, X, Y, loss="nll", h0=h0)
        numeric = _numeric_params(lambda p: many_to_many(p, X, Y, loss="nll", h0=h0)[0], params)
        got = call(fn, "many_to_many_grads", params, X, Y, h0)
        problem = dict(params=params, X=X, targets=Y, loss="nll", h0=h0)
        num = check_rnn_grads(
            "many_to_many_grads",
            got,
            ref,
            numeric,
            problem,
            extra=["last_loss_only", "ignore_h0"],
            note=f"(N = {sz['N']}, T = {sz['T']}.)",
        )
        worst = max(worst, num)
    _passed("many_to_many_grads", "dW, dU, dV, db, dc", worst)
