"""Assignment 4, many-to-one BPTT: hidden_grads, many_to_one_grads."""

import numpy as np

from ..gradcheck import numerical_gradient
from ..losses import mse_loss
from ..rnn import backward_details, many_to_one
from .engine import _check_outputs, _passed, call
from .mistakes import _numeric_params, _rnn_mutants, _tiny_rnn, check_rnn_grads

# the sizes every check also tries, after the ones it is given: one example, one step, a larger T
EDGES = [dict(N=1, T=1, D=2, H=3, C=2), dict(N=4, T=6, D=2, H=3, C=1)]


def _cases(seed, sizes):
    for i, s in enumerate([sizes] + EDGES):
        yield seed + 7919 * i, s


def _hidden_numeric(params, X, y, Hs):
    """Central differences of L with respect to each h_t (perturb h_t, run the remaining steps)."""
    W, U, V, b, c = params
    T = X.shape[1]
    numeric = np.zeros_like(Hs)
    for t in range(1, T + 1):
        ht = Hs[:, t - 1].copy()  # Hs holds h_1..h_T

        def rest():
            h = ht
            for s in range(t, T):
                h = np.tanh(h @ W.T + X[:, s] @ U.T + b)
            return mse_loss(h @ V.T + c, y)[0]

        numeric[:, t - 1] = numerical_gradient(rest, ht)
    return numeric


def check_hidden_grads(fn, seed=0, N=3, T=4, D=3, H=4, C=2):
    """Check ``fn(params, X, y) -> G`` (N, T, H): g_t = dL/dh_t, the total derivative, many-to-one
    MSE.

    L = (1/N) Σ_n ½‖o_T - y_n‖² with h_0 = 0; G[:, t-1] is g_t. Tried on the sizes given and on
    N = 1, T = 1 and a longer sequence.
    """
    worst = 0.0
    for s, sz in _cases(seed, dict(N=N, T=T, D=D, H=H, C=C)):
        params, X, y, _ = _tiny_rnn(s, loss="mse", last_only=True, **sz)
        d = backward_details(params, X, y, loss="mse", last_only=True)
        numeric = _hidden_numeric(params, X, y, d.Hs)
        got = call(fn, "hidden_grads", params, X, y)
        names = [
            "direct_only",
            "tanh",
            "tanh_carry",
            "one_minus_h",
            "off_by_one_rec",
            "transposed_rec",
            "sum",
        ]
        muts = [
            (kind, text, G)
            for kind, text, _, G in _rnn_mutants(params, X, y, names, loss="mse", last_only=True)
        ]
        num = _check_outputs(
            "hidden_grads",
            [got],
            [("G", d.G, dict(mutants=muts, numeric=numeric, n_batch=sz["N"], time_axis=1))],
            note=f"(N = {sz['N']}, T = {sz['T']}; G[:, t-1] holds g_t, t = 1 is the first step.)",
        )
        worst = max(worst, num)
    _passed("hidden_grads", "g_1, ..., g_T", worst)


def check_many_to_one_grads(fn, seed=0, N=3, T=4, D=3, H=4, C=2):
    """Check ``fn(params, X, y) -> Params`` (dW, dU, dV, db, dc) for many-to-one MSE with h_0 = 0.

    L = (1/N) Σ_n ½‖V h_T + c - y_n‖²; X (N, T, D), y (N, C). Tried on the sizes given and on
    N = 1, T = 1 and a longer sequence.
    """
    worst = 0.0
    for s, sz in _cases(seed, dict(N=N, T=T, D=D, H=H, C=C)):
        params, X, y, _ = _tiny_rnn(s, loss="mse", last_only=True, **sz)
        _, ref = many_to_one(params, X, y, loss="mse")
        numeric = _numeric_params(lambda p: many_to_one(p, X, y, loss="mse")[0], params)
        got = call(fn, "many_to_one_grads", params, X, y)
        problem = dict(params=params, X=X, targets=y, loss="mse", last_only=True)
        num = check_rnn_grads(
            "many_to_one_grads", got, ref, numeric, problem, note=f"(N = {sz['N']}, T = {sz['T']}.)"
        )
        worst = max(worst, num)
    _passed("many_to_one_grads", "dW, dU, dV, db, dc", worst)
