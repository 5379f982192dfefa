"""Assignment 4, many-to-one BPTT: hidden_grads, many_to_one_grads."""
import numpy as np

from ..gradcheck import numerical_gradient
from ..losses import mse_loss
from ..rnn import backward_details, many_to_one
from .engine import TOL, CheckFailed, _call, _check_outputs, _compare, _finish, _label, _Mismatch, _passed, _scalar, _unpack
from .mistakes import _check_params_result, _numeric_params, _rnn_mutants, _tiny_rnn


def check_hidden_grads(fn, seed=0, N=3, T=4, D=3, H=4, C=2):
    """Check ``fn(params, X, y) -> G`` (N, T, H): g_t = dL/dh_t, the total derivative, many-to-one MSE.

    L = (1/N) Σ_n ½‖o_T - y_n‖² with h_0 = 0; G[:, t-1] is g_t.
    """
    params, X, y, _ = _tiny_rnn(seed, N, T, D, H, C, "mse", last_only=True)
    ref = backward_details(params, X, y, loss="mse", last_only=True).G
    # central differences: perturb h_t and run the remaining steps
    W, U, V, b, c = params
    Hs = backward_details(params, X, y, loss="mse", last_only=True).Hs
    numeric = np.zeros_like(ref)
    for t in range(1, T + 1):
        ht = Hs[:, t - 1].copy()                     # Hs holds h_1..h_T

        def rest():
            h = ht
            for s in range(t, T):
                h = np.tanh(h @ W.T + X[:, s] @ U.T + b)
            return mse_loss(h @ V.T + c, y)[0]
        numeric[:, t - 1] = numerical_gradient(rest, ht)
    got = _call(fn, "hidden_grads", params.copy(), X, y)
    muts = [(kind, text, G) for kind, text, _, G in _rnn_mutants(
        params, X, y, ["direct_only", "tanh", "off_by_one_rec", "transposed_rec", "sum"], loss="mse", last_only=True)]
    num = _check_outputs("hidden_grads", [got], [("G", ref, dict(mutants=muts, numeric=numeric, n_batch=N, time_axis=1))],
                   note="(G[:, t-1] holds g_t; t = 1 is the first step.)")
    _passed("hidden_grads", "g_1, ..., g_T", num)


def check_many_to_one_grads(fn, seed=0, N=3, T=4, D=3, H=4, C=2):
    """Check ``fn(params, X, y) -> Params`` (dW, dU, dV, db, dc) for many-to-one MSE with h_0 = 0.

    L = (1/N) Σ_n ½‖V h_T + c - y_n‖²; X (N, T, D), y (N, C).
    """
    params, X, y, _ = _tiny_rnn(seed, N, T, D, H, C, "mse", last_only=True)
    _, ref = many_to_one(params, X, y, loss="mse")
    numeric = _numeric_params(lambda p: many_to_one(p, X, y, loss="mse")[0], params)
    got = _call(fn, "many_to_one_grads", params.copy(), X, y)
    muts = [(k, t, g) for k, t, g, _ in _rnn_mutants(
        params, X, y, ["last_step_only", "tanh", "off_by_one", "transposed_rec", "off_by_one_rec", "sum"],
        loss="mse", last_only=True)]
    num = _check_params_result("many_to_one_grads", got, ref, muts, numeric, N)
    _passed("many_to_one_grads", "dW, dU, dV, db, dc", num)
