"""Assignment 10, gated units: the LSTM step backward pass (check_lstm_step_backward)."""

import numpy as np

from ..gradcheck import numerical_gradient, rel_error
from ..lstm import init_lstm_params, lstm_step_backward, lstm_step_forward
from .engine import call, compare_all, each_size, fail, passed, unpack

OUTPUTS = ["dx", "dh_prev", "dc_prev", "dW", "dU", "db"]


def _mistaken(dh, dc, cache, kind):
    """The six outputs a named mistake gives (built from the cache, for the messages)."""
    x, h_prev, c_prev, W, U, i, f, s, q, tanh_c = cache
    c_t = f * c_prev + i * s
    tanh_c_used = c_t if kind == "c_for_tanh_c" else tanh_c  # in ∂h_t/∂q_t = tanh(c_t)
    q_path = 1.0 if kind == "missing_q" else q
    e = dh * q_path * (1.0 - tanh_c**2)
    if kind != "no_cell_path":
        e = e + dc
    ds = s * (1.0 - s) if kind == "sigmoid_for_tanh" else 1.0 - s * s
    di = 1.0 - i * i if kind == "tanh_for_sigmoid" else i * (1.0 - i)
    blocks = [e * s * di, e * c_prev * f * (1.0 - f), e * i * ds, dh * tanh_c_used * q * (1 - q)]
    if kind == "gate_order":  # the candidate and output-gate blocks swapped
        blocks = [blocks[0], blocks[1], blocks[3], blocks[2]]
    dz = np.concatenate(blocks, axis=1)
    dc_prev = e if kind == "dc_prev_no_f" else e * f
    return dz @ U, dz @ W, dc_prev, dz.T @ h_prev, dz.T @ x, dz.sum(axis=0)


MISTAKES = {
    "gate_order": "The gate blocks are in the wrong order: W, U and b stack (i, f, s̃, q), as "
    "PyTorch's (i, f, g, o); your candidate and output-gate blocks are swapped.",
    "sigmoid_for_tanh": "The candidate s̃_t = tanh(z^s̃) needs tanh' = 1 − s̃², not the sigmoid's "
    "s̃(1 − s̃).",
    "tanh_for_sigmoid": "The input gate i_t = σ(z^i) needs σ' = i(1 − i), not tanh's 1 − i².",
    "no_cell_path": "dL/dc_t misses the cell path: e_t = dc + g_t ⊙ q_t ⊙ (1 − tanh² c_t), where "
    "dc (from step t + 1, f_{t+1} ⊙ e_{t+1}) must be added.",
    "c_for_tanh_c": "You used c_t where tanh(c_t) belongs: h_t = q_t ⊙ tanh(c_t), so dz^q has the "
    "factor tanh(c_t) (the cache's tanh_c), not c_t.",
    "missing_q": "The path through h_t into c_t misses the output gate: ∂h_t/∂c_t = q_t ⊙ "
    "(1 − tanh² c_t), so e_t needs the factor q_t.",
    "dc_prev_no_f": "dc_prev must be f_t ⊙ e_t: c_t = f_t ⊙ c_{t-1} + ..., so the gradient into "
    "c_{t-1} passes through the forget gate.",
}


def _problem(seed, N, D, H):
    rng = np.random.default_rng(seed)
    lp = init_lstm_params(D, H, 2, seed=seed + 10, forget_bias=0.5)
    x, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    _, _, cache = lstm_step_forward(x, h_prev, c_prev, lp.W, lp.U, lp.b)
    return dh, dc, cache, lp.b


def _numeric_db(dh, dc, cache, b):
    """dL/db by central differences for L = <dh, h_t> + <dc, c_t> (the step's own loss)."""
    x, h_prev, c_prev, W, U = cache[:5]
    b = b.copy()

    def loss():
        h_t, c_t, _ = lstm_step_forward(x, h_prev, c_prev, W, U, b)
        return float(np.sum(dh * h_t) + np.sum(dc * c_t))

    return numerical_gradient(loss, b)


# sizes every check also runs (the hidden tests only add seeds)
EDGES = [dict(N=2, D=3, H=2), dict(N=1, D=1, H=4)]


def check_lstm_step_backward(fn, seed=0, N=3, D=4, H=5):
    """Check ``fn(dh, dc, cache) -> (dx, dh_prev, dc_prev, dW, dU, db)``: one LSTM step backward.

    dh, dc (N, H): dL/dh_t and what step t + 1 sends into c_t; cache: the tuple
    (x, h_prev, c_prev, W, U, i, f, s, q, tanh_c) of ``bptt.lstm.lstm_step_forward``, with W
    (4H, H), U (4H, D) stacked (i, f, s̃, q). Returns dx (N, D), dh_prev (N, H), dc_prev (N, H),
    dW (4H, H), dU (4H, D), db (4H,).
    """
    base = dict(N=N, D=D, H=H)
    passed(*each_size(_lstm_step_backward_once, fn, seed, base, EDGES))


def _lstm_step_backward_once(fn, seed=0, N=3, D=4, H=5):
    """One size of ``check_lstm_step_backward``; returns what ``passed`` prints."""
    dh, dc, cache, b = _problem(seed, N, D, H)
    ref = lstm_step_backward(dh, dc, cache)
    kept = [a.copy() for a in (dh, dc, *cache)]
    got = unpack(call(fn, "lstm_step_backward", dh, dc, cache), "lstm_step_backward", OUTPUTS)
    if not all(np.array_equal(a, k) for a, k in zip((dh, dc, *cache), kept)):
        fail(
            "lstm_step_backward",
            "lstm_step_backward changed an array of its inputs (dh, dc or "
            "the cache): compute new arrays instead of writing into them (x = x * 2, not x *= 2).",
            kind="changed_input",
        )
    wrong = {kind: _mistaken(dh, dc, cache, kind) for kind in MISTAKES}
    num = rel_error(ref[5], _numeric_db(dh, dc, cache, b))
    outputs = []
    for k, (label, g, r) in enumerate(zip(OUTPUTS, got, ref)):
        mistakes = {
            MISTAKES[kind]: w[k]
            for kind, w in wrong.items()
            if not np.allclose(w[k], r, rtol=1e-9, atol=1e-12)
        }
        outputs.append((label, g, r, {"mistakes": mistakes}))
    compare_all("lstm_step_backward", outputs)
    return "lstm_step_backward", ", ".join(OUTPUTS), num
