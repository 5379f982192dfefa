"""bptt.switches: every mistake model of the teaching loop against a reference written out here.

The reference is a second, independent loop (plain NumPy, one formula per switch, in the
book's column-vector reading transposed to rows) so that each switch is checked to do exactly
what the table in bptt.switches says, and the right switches are checked against the fast path.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bptt
from bptt import rnn
from bptt.gradcheck import rel_error
from bptt.switches import CHOICES, RIGHT, Switches, check_switches, window_starts

EXACT = 1e-12


def reference(params, X, Y, loss, h0, last_only, k, sw):
    """(loss, grads, G) of BPTT with the mistakes of sw, written out independently."""
    W, U, V, b, c = params
    N, T, D = X.shape
    h = np.zeros_like(h0) if sw.ignore_h0 else h0
    hs, prev = [], []
    for t in range(T):
        start = k is not None and t - sw.window_shift > 0 and (t - sw.window_shift) % k == 0
        if sw.reset_state and start:
            h = np.zeros_like(h)
        prev.append(h)
        h = np.tanh(h @ W.T + X[:, t] @ (W if sw.input_matrix == "W" else U).T + b)
        hs.append(h)
    scale = 1.0 if sw.batch == "sum" else 1.0 / N
    total, dos = 0.0, [np.zeros((N, V.shape[0])) for _ in range(T)]
    for t in [T - 1] if last_only or sw.loss_steps == "last_step" else range(T):
        o = hs[t] @ V.T + c
        tgt = Y if last_only else Y[:, t]
        if loss == "mse":
            total += 0.5 * np.sum((o - tgt) ** 2) * scale
            dos[t] = (o - tgt) * scale
        else:
            p = np.exp(o - o.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            total += -np.sum(np.log(p[np.arange(N), tgt])) * scale
            p[np.arange(N), tgt] -= 1.0
            dos[t] = p * scale
    direct = [
        do @ V if sw.direct_terms == "every_step" or t == T - 1 else 0 * (do @ V)
        for t, do in enumerate(dos)
    ]
    terms, G, carry = [], np.zeros((N, T, W.shape[0])), np.zeros_like(h0)
    for t in reversed(range(T)):
        g = direct[t] + carry
        G[:, t] = g
        right = g * (1 - hs[t] ** 2)
        wrong = {
            "1-h^2": right,
            "1": g,
            "1-h": g * (1 - hs[t]),
            "1-h_prev^2": g * (1 - prev[t] ** 2),
            "1-g^2": 1 - g**2,
        }[sw.tanh_prime]
        dw = wrong if sw.tanh_prime_in != "carry" else right
        dc = wrong if sw.tanh_prime_in != "weights" else right
        carry = {
            "W^T delta": dc @ W,
            "W delta": dc @ W.T,
            "none": 0 * g,
            "next loss only": (direct[t] * (1 - hs[t] ** 2)) @ W,
            "delta h_prev^T": dc @ prev[t].T,
        }[sw.carry]
        start = k is not None and t - sw.window_shift > 0 and (t - sw.window_shift) % k == 0
        if sw.cut_carry and start:
            carry = 0 * carry
        terms.append(
            (
                dw.T @ (hs[t] if sw.dW_input == "h" else prev[t]),
                dw.T @ (prev[t] if sw.dU_input == "h_prev" else X[:, t]),
                dw.sum(axis=0),
            )
        )
    if sw.weight_steps == "last_step":
        keep = [terms[0]]  # terms run newest first: terms[0] is step T's
    elif not sw.accumulate:
        keep = [terms[-1]]  # "=": the last one written, step 1's
    else:
        keep = terms
    dW, dU, db = (sum(x[i] for x in keep) for i in range(3))
    dV = sum(do.T @ hh for do, hh in zip(dos, hs))
    dcv = sum(do.sum(axis=0) for do in dos)
    return total, bptt.Params(dW, dU, dV, db, dcv), G


ONE_SWITCH = [
    Switches(**{name: value})
    for name, values in CHOICES.items()
    for value in values[1:]
    if name != "tanh_prime_in"
]  # tanh_prime_in acts with a wrong tanh_prime
ONE_SWITCH += [
    Switches(tanh_prime=f, tanh_prime_in=w) for f in ("1", "1-h") for w in ("weights", "carry")
]


@pytest.mark.parametrize(
    "sw",
    ONE_SWITCH,
    ids=[str({k: v for k, v in s._asdict().items() if v != getattr(RIGHT, k)}) for s in ONE_SWITCH],
)
@pytest.mark.parametrize("loss", ["mse", "nll"])
@pytest.mark.parametrize("last_only", [False, True])
def test_each_switch_does_what_its_table_says(sw, loss, last_only):
    sizes = (4, 7, 4, 4, 3)  # N = D = H, so that every switch's products conform
    for seed, k in ((0, None), (1, 3), (2, 2)):
        params, X, Y, h0 = bptt.data.random_problem(
            *sizes, seed=seed, loss=loss, last_only=last_only
        )
        d = rnn.backward_details(params, X, Y, loss, h0, last_only, truncate=k, switches=sw)
        L, g, G = reference(params, X, Y, loss, h0, last_only, k, sw)
        assert d.loss == pytest.approx(L, rel=EXACT)
        assert max(rel_error(a, b) for a, b in zip(d.grads, g)) < EXACT
        assert rel_error(d.G, G) < EXACT


def test_each_switch_changes_the_gradient():
    """No switch is a no-op on a generic problem (truncation ones need truncate)."""
    params, X, Y, h0 = bptt.data.random_problem(4, 7, 4, 4, 3, seed=5, loss="nll")
    right = rnn.backward_details(params, X, Y, "nll", h0, truncate=3).grads
    for sw in ONE_SWITCH:
        if sw.loss_steps != "every_step" or sw.batch != "mean":
            continue  # these change the loss too: covered above
        g = rnn.backward_details(params, X, Y, "nll", h0, truncate=3, switches=sw).grads
        assert max(rel_error(a, b) for a, b in zip(g, right)) > 1e-3, sw


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.tuples(*(st.integers(1, 4) for _ in range(5))),
    seed=st.integers(0, 1000),
    loss=st.sampled_from(["mse", "nll"]),
    last_only=st.booleans(),
    k=st.one_of(st.none(), st.integers(1, 5)),
)
def test_the_right_switches_are_the_fast_path(sizes, seed, loss, last_only, k):
    params, X, Y, h0 = bptt.data.random_problem(*sizes, seed=seed, loss=loss, last_only=last_only)
    d = rnn.backward_details(params, X, Y, loss, h0, last_only, truncate=k)
    res = bptt.fast.loss_and_grads(params, X, Y, loss, h0, truncate=k, last_only=last_only)
    assert d.loss == pytest.approx(res.loss, rel=EXACT)
    assert max(rel_error(a, b) for a, b in zip(d.grads, res.grads)) < EXACT
    assert rel_error(d.dh0, res.dh0) < EXACT


def test_window_starts():
    assert [t for t in range(10) if window_starts(t, 3)] == [3, 6, 9]
    assert [t for t in range(10) if window_starts(t, 3, Switches(window_shift=1))] == [4, 7]
    assert [t for t in range(10) if window_starts(t, 3, Switches(window_shift=-1))] == [2, 5, 8]
    assert not any(window_starts(t, None) for t in range(10))


def test_bad_switches_are_named():
    with pytest.raises(TypeError, match="Switches"):
        check_switches({"carry": "none"})
    with pytest.raises(ValueError, match="switches.carry"):
        check_switches(Switches(carry="Wt"))
    with pytest.raises(ValueError, match="switches.accumulate"):
        check_switches(Switches(accumulate=0))
    params, X, Y, _ = bptt.data.random_problem(2, 3, 3, 4, 3)
    with pytest.raises(ValueError, match="D == H"):
        rnn.backward_details(params, X, Y, "nll", switches=Switches(input_matrix="W"))
    with pytest.raises(ValueError, match="N == H"):
        rnn.backward_details(params, X, Y, "nll", switches=Switches(carry="delta h_prev^T"))
