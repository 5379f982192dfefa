"""Assignment 6, many-to-many BPTT: step_backward, many_to_many_grads."""
import numpy as np

from ..gradcheck import numerical_gradient
from ..rnn import many_to_many
from ..rnn import step_backward as _step_backward
from .engine import TOL, CheckFailed, _call, _check_outputs, _compare, _finish, _label, _Mismatch, _passed, _scalar, _unpack
from .mistakes import _MISTAKE_TEXT, _check_params_result, _numeric_params, _rnn_mutants, _tiny_rnn


def check_step_backward(fn, seed=0, N=3, D=3, H=4):
    """Check ``fn(dh, x, h_prev, h, W, U) -> (dx, dh_prev, dW, dU, db)`` for h = tanh(h_prev Wᵀ + x Uᵀ + b).

    dh (N, H) is the total dL/dh at this step; shapes as in bptt.rnn.step_backward.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, D))
    h_prev = rng.normal(0, 0.5, size=(N, H))
    W = rng.normal(size=(H, H)) / np.sqrt(H)
    U = rng.normal(size=(H, D)) / np.sqrt(D)
    b = rng.normal(0, 0.3, size=H)
    h = np.tanh(h_prev @ W.T + x @ U.T + b)
    dh = rng.normal(size=(N, H))
    refs = list(_step_backward(dh, (x, h_prev, W, U, h)))
    ws = [x.copy(), h_prev.copy(), W.copy(), U.copy(), b.copy()]
    loss = lambda: float(np.sum(dh * np.tanh(ws[1] @ ws[2].T + ws[0] @ ws[3].T + ws[4])))  # noqa: E731
    nums = [numerical_gradient(loss, a) for a in ws]
    got = _unpack(_call(fn, "step_backward", dh, x, h_prev, h, W, U), "step_backward",
                  ["dx", "dh_prev", "dW", "dU", "db"])
    d = dh * (1 - h ** 2)
    no_tanh = [dh @ U, dh @ W, dh.T @ h_prev, dh.T @ x, dh.sum(0)]
    t_text = _MISTAKE_TEXT["tanh"][1]
    labels = ["dx", "dh_prev", "dW", "dU", "db"]
    extra = {
        "dh_prev": [("transposed", _MISTAKE_TEXT["transposed_rec"][1], d @ W.T)],
        "dW": [("off_by_one", "It matches δᵀ h (this step's output); W multiplies h_prev, so dW = δᵀ h_prev.", d.T @ h)],
        "db": [("batch", "You averaged δ over the rows; dh already carries the 1/N of the mean loss, so db = Σ_rows δ.",
                d.mean(axis=0))],
    }
    specs = []
    for i, label in enumerate(labels):
        muts = [("tanh", t_text, no_tanh[i])] + extra.get(label, [])
        specs.append((label, refs[i], dict(mutants=muts, numeric=nums[i], n_batch=N, bias=label == "db")))
    num = _check_outputs("step_backward", got, specs)
    _passed("step_backward", "dx, dh_prev, dW, dU, db", num)


def check_many_to_many_grads(fn, seed=0, N=3, T=4, D=3, H=4, C=3):
    """Check ``fn(params, X, Y, h0) -> Params`` for many-to-many softmax-NLL: L = (1/N) Σ_n Σ_t -log ŷ_t[y_t].

    X (N, T, D), Y (N, T) integer labels, h0 (N, H).
    """
    params, X, Y, h0 = _tiny_rnn(seed, N, T, D, H, C, "nll")
    _, ref = many_to_many(params, X, Y, loss="nll", h0=h0)
    numeric = _numeric_params(lambda p: many_to_many(p, X, Y, loss="nll", h0=h0)[0], params)
    got = _call(fn, "many_to_many_grads", params.copy(), X, Y, h0.copy())
    muts = [(k, t, g) for k, t, g, _ in _rnn_mutants(
        params, X, Y, ["direct_only", "last_loss_only", "tanh", "off_by_one", "off_by_one_rec", "transposed_rec",
                       "sum", "ignore_h0"], loss="nll", h0=h0)]
    num = _check_params_result("many_to_many_grads", got, ref, muts, numeric, N)
    _passed("many_to_many_grads", "dW, dU, dV, db, dc", num)
