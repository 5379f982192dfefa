"""bptt.checks for the BPTT assignments (4, 6 and truncation in 8): right answers pass under
several seeds, each wrong BPTT (written here, one bug at a time, as a student would) fails
naming its cause; the mistake models agree with independent code."""

import numpy as np
import pytest
from _checks_support import SEEDS, common_wrong, passes, run_cases

from bptt import Params, checks, many_to_many
from bptt.checks import a08_truncation_clipping, mistakes


def softmax(O):
    E = np.exp(O - O.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def bptt(params, X, Y, loss="mse", last_only=False, h0=None, k=None, bug=None):
    """A student's BPTT with one bug; returns (grads, G)."""
    W, U, V, b, c = params
    N, T, _ = X.shape
    h = np.zeros((N, W.shape[0])) if h0 is None or bug == "zero_h0" else h0
    hs = [h]
    for t in range(T):
        if bug == "reset" and k and t % k == 0 and t > 0:
            h = np.zeros_like(h)
        h = np.tanh(h @ W.T + X[:, t] @ U.T + b)
        hs.append(h)
    dW, dU, dV, db, dc = (np.zeros_like(p) for p in params)
    G = np.zeros((N, T, W.shape[0]))
    carry = np.zeros_like(hs[0])
    div = 1 if bug == "sum" else N
    for t in range(T, 0, -1):
        g = carry.copy()
        if (not last_only or t == T) and not (bug == "last_loss" and t < T):
            o = hs[t] @ V.T + c
            tgt = Y if last_only else Y[:, t - 1]
            if loss == "mse":
                dO = (o - tgt) / div
            else:
                dO = softmax(o)
                dO[np.arange(N), tgt] -= 1
                dO /= div
            if bug == "sign":
                dO = -dO
            dV += dO.T @ hs[t]
            dc += dO.sum(0)
            g = g + dO @ V
        G[:, t - 1] = g
        fp = {"1-h": 1 - hs[t], "h_prev": 1 - hs[t - 1] ** 2}.get(bug, 1 - hs[t] ** 2)
        delta = g if bug in ("tanh", "tanh_w") else fp * g
        d_carry = g if bug in ("tanh", "tanh_c") else fp * g
        if bug == "assign":
            dW, dU, db = delta.T @ hs[t - 1], delta.T @ X[:, t - 1], delta.sum(0)
        elif bug != "last_only" or t == T:
            dW += delta.T @ (hs[t] if bug == "off_by_one" else hs[t - 1])
            dU += delta.T @ X[:, t - 1]
            if bug != "no_bias":
                db += delta.sum(0)
        carry = d_carry @ W.T if bug == "transposed_rec" else d_carry @ W
        if bug == "no_carry":
            carry = np.zeros_like(carry)
        if k is not None and bug != "no_truncation":
            s = (t - 1) - {"late": 1, "early": -1}.get(bug, 0)
            if s > 0 and s % k == 0:
                carry = np.zeros_like(carry)
    if bug == "dW_T":
        dW = dW.T
    return Params(dW, dU, dV, db, dc), G


def many_to_one_grads(params, X, y, bug=None):
    return bptt(params, X, y, last_only=True, bug=bug)[0]


def hidden_grads(params, X, y, bug=None):
    return bptt(params, X, y, last_only=True, bug=bug)[1]


def many_to_many_grads(params, X, Y, h0, bug=None):
    return bptt(params, X, Y, loss="nll", h0=h0, bug=bug)[0]


def truncated_grads(params, X, Y, k, bug=None):
    return bptt(params, X, Y, k=k, bug=bug)[0]


def step_backward(dh, x, h_prev, h, W, U, bug=None):
    fp = {"1-h": 1 - h, "h_prev": 1 - h_prev**2}.get(bug, 1 - h**2)
    d = dh if bug == "tanh" else fp * dh
    dx = (dh if bug == "tanh_dx" else d) @ U
    dh_prev = d @ W.T if bug == "transposed" else d @ W
    dW = d.T @ (h if bug == "off_by_one" else h_prev)
    db = d.mean(0) if bug == "mean" else d.sum(0)
    return dx, dh_prev, dW, d.T @ x, db


def bugged(fn, bug):
    return lambda *a: fn(*a, bug=bug)


def test_the_bptt_written_here_is_right():
    params, X, Y, h0 = mistakes._tiny_rnn(7, loss="nll")
    mine, _ = bptt(params, X, Y, loss="nll", h0=h0)
    assert all(
        np.allclose(a, b) for a, b in zip(mine, many_to_many(params, X, Y, loss="nll", h0=h0)[1])
    )
    for k in (1, 2, 3, 9):
        p, X2, Y2, _ = mistakes._tiny_rnn(8, T=7)
        ref = many_to_many(p, X2, Y2, truncate=k)[1]
        assert all(np.allclose(a, b) for a, b in zip(truncated_grads(p, X2, Y2, k), ref))


def test_truncated_surrogate_matches_the_package():
    params, X, Y, _ = mistakes._tiny_rnn(3, N=2, T=7, D=2, H=3, C=2)
    hs = [np.zeros((2, 3))] + [h for h in np.moveaxis(bptt_states(params, X), 1, 0)]
    loss = a08_truncation_clipping._surrogate_truncated_loss
    num = mistakes._numeric_params(lambda p: loss(p, X, Y, 3, hs), params)
    ref = many_to_many(params, X, Y, truncate=3)[1]
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(num, ref)) < 1e-7


def bptt_states(params, X):
    import bptt.rnn

    return bptt.rnn.forward(params, X)[0]


@pytest.mark.parametrize("seed", SEEDS)
def test_right_bptt_passes(capsys, seed):
    passes(checks.check_hidden_grads, hidden_grads, capsys, seed=seed)
    passes(checks.check_many_to_one_grads, many_to_one_grads, capsys, seed=seed)
    passes(checks.check_step_backward, step_backward, capsys, seed=seed)
    passes(checks.check_many_to_many_grads, many_to_many_grads, capsys, seed=seed)
    passes(checks.check_truncated_grads, truncated_grads, capsys, seed=seed)


COMMON_BPTT = {  # bug -> (kind, phrase) for any BPTT check
    "tanh": ("tanh", "without the factor tanh'"),
    "tanh_w": ("tanh", "weight gradients only"),
    "1-h": ("tanh", "1 - h_t where"),
    "off_by_one": ("off_by_one", "Σ_t δ_t h_tᵀ"),
    "h_prev": ("off_by_one", "tanh' at h_{t-1}"),
    "transposed_rec": ("transposed", "W instead of Wᵀ"),
    "sum": ("batch", "summed over the batch"),
    "no_carry": ("accumulation", "direct term only"),
    "assign": ("accumulation", "`=` where `+=`"),
    "no_bias": ("bias", "all zeros"),
    "dW_T": ("transposed", "right answer transposed"),
}


def cases(fn, bugs):
    return {bug: (bugged(fn, bug), kind, phrase) for bug, (kind, phrase) in bugs.items()}


def test_hidden_grads_names_each_mistake():
    bugs = {
        b: COMMON_BPTT[b] for b in ["tanh", "1-h", "h_prev", "transposed_rec", "sum", "no_carry"]
    }
    bugs["sign"] = ("sign", "times -1")
    run_cases(
        checks.check_hidden_grads, {**cases(hidden_grads, bugs), **common_wrong(hidden_grads)}
    )


def test_many_to_one_grads_names_each_mistake():
    # with one loss at step T, no carry and "only the last step's term" are the same answer
    bugs = dict(
        COMMON_BPTT,
        last_only=("accumulation", "last step's term alone"),
        no_carry=("accumulation", "last step's term alone"),
    )
    run_cases(
        checks.check_many_to_one_grads,
        {**cases(many_to_one_grads, bugs), **common_wrong(many_to_one_grads)},
    )


def test_many_to_many_grads_names_each_mistake():
    bugs = dict(
        COMMON_BPTT,
        last_loss=("accumulation", "last step's loss L_T alone"),
        zero_h0=("h0", "h_0 = 0"),
        tanh_c=("tanh", "in the carry only"),
    )
    run_cases(
        checks.check_many_to_many_grads,
        {**cases(many_to_many_grads, bugs), **common_wrong(many_to_many_grads)},
    )


def test_truncated_grads_names_each_mistake():
    bugs = {
        "no_truncation": ("no_truncation", "equals full BPTT"),
        "late": ("off_by_one", "one step late"),
        "early": ("off_by_one", "one step early"),
        "reset": ("reset_state", "the state h_t is carried"),
        "tanh": COMMON_BPTT["tanh"],
        "no_carry": COMMON_BPTT["no_carry"],
        "sum": COMMON_BPTT["sum"],
    }
    window = (
        lambda p, X, Y, k: __import__("bptt.train").train.window_truncated(p, X, Y, k)[1],
        "sliding_window",
        "fixed chunks",
    )
    run_cases(
        checks.check_truncated_grads,
        {**cases(truncated_grads, bugs), "window": window, **common_wrong(truncated_grads)},
    )


def test_step_backward_names_each_mistake():
    bugs = {
        "tanh": ("tanh", "without the factor tanh'"),
        "tanh_dx": ("tanh", "dx: Likely mistake: missing tanh'"),
        "1-h": ("tanh", "1 - h_t where"),
        "h_prev": ("off_by_one", "tanh' at h_{t-1}"),
        "transposed": ("transposed", "W instead of Wᵀ"),
        "off_by_one": ("off_by_one", "Σ_t δ_t h_tᵀ"),
        "mean": ("batch", "averaged δ"),
    }
    run_cases(
        checks.check_step_backward, {**cases(step_backward, bugs), **common_wrong(step_backward)}
    )
