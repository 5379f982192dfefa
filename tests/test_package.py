"""The bptt contract: gradients against central differences, equalities between modes, dtypes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bptt
from bptt.gradcheck import check_params_gradient, numerical_gradient, rel_error

TOL = 1e-7
EPS = 1e-5  # central-difference step: balances O(eps²) truncation against round-off / eps
sizes = st.tuples(
    st.integers(1, 3), st.integers(1, 5), st.integers(1, 4), st.integers(1, 5), st.integers(1, 4)
)


make_problem = bptt.data.random_problem


@settings(max_examples=25, deadline=None)
@given(
    sizes=sizes,
    seed=st.integers(0, 10_000),
    loss=st.sampled_from(["mse", "nll"]),
    with_h0=st.booleans(),
)
def test_many_to_many_matches_central_differences(sizes, seed, loss, with_h0):
    params, X, Y, h0 = make_problem(*sizes, seed, loss, with_h0=with_h0)
    _, grads = bptt.many_to_many(params, X, Y, loss=loss, h0=h0)
    errs = check_params_gradient(
        lambda p: bptt.many_to_many(p, X, Y, loss=loss, h0=h0)[0], params, grads, eps=EPS
    )
    assert max(errs.values()) < TOL, errs


@settings(max_examples=25, deadline=None)
@given(
    sizes=sizes,
    seed=st.integers(0, 10_000),
    loss=st.sampled_from(["mse", "nll"]),
    with_h0=st.booleans(),
)
def test_many_to_one_matches_central_differences(sizes, seed, loss, with_h0):
    params, X, y, h0 = make_problem(*sizes, seed, loss, last_only=True, with_h0=with_h0)
    _, grads = bptt.many_to_one(params, X, y, loss=loss, h0=h0)
    errs = check_params_gradient(
        lambda p: bptt.many_to_one(p, X, y, loss=loss, h0=h0)[0], params, grads, eps=EPS
    )
    assert max(errs.values()) < TOL, errs


@settings(max_examples=15, deadline=None)
@given(
    sizes=sizes,
    seed=st.integers(0, 10_000),
    loss=st.sampled_from(["mse", "nll"]),
    last_only=st.booleans(),
)
def test_dh0_matches_central_differences(sizes, seed, loss, last_only):
    params, X, tg, h0 = make_problem(*sizes, seed, loss, last_only=last_only)
    res = bptt.rnn.loss_and_grads(params, X, tg, loss=loss, h0=h0, last_only=last_only)
    num = numerical_gradient(
        lambda: bptt.rnn.loss_and_grads(params, X, tg, loss=loss, h0=h0, last_only=last_only).loss,
        h0,
        eps=EPS,
    )
    assert rel_error(res.dh0, num) < TOL


@pytest.mark.parametrize("loss", ["mse", "nll"])
def test_loss_value_is_sum_over_time_mean_over_batch(loss):
    params, X, Y, h0 = make_problem(4, 3, 2, 5, 3, 7, loss)
    Hs, O, _ = bptt.rnn.forward(params, X, h0)
    if loss == "mse":
        expected = 0.5 * np.sum((O - Y) ** 2) / 4
    else:
        logp = bptt.losses.log_softmax(O)
        expected = -np.take_along_axis(logp, Y[..., None], axis=2).sum() / 4
    assert bptt.many_to_many(params, X, Y, loss=loss, h0=h0)[0] == pytest.approx(
        expected, rel=1e-12
    )


@pytest.mark.parametrize("loss", ["mse", "nll"])
def test_many_to_one_equals_many_to_many_with_loss_on_last_step_only(loss):
    """Many-to-many whose earlier steps carry zero loss (mse targets equal to the outputs there)."""
    params, X, y, h0 = make_problem(3, 6, 2, 4, 3, 1, loss, last_only=True)
    Hs, O, _ = bptt.rnn.forward(params, X, h0)
    l1, g1 = bptt.many_to_one(params, X, y, loss=loss, h0=h0)
    d = bptt.rnn.backward_details(params, X, y, loss=loss, h0=h0, last_only=True)
    assert np.all(d.direct[:, :-1] == 0)
    if loss == "mse":
        Y = O.copy()
        Y[:, -1] = y
        l2, g2 = bptt.many_to_many(params, X, Y, loss="mse", h0=h0)
        assert l2 == pytest.approx(l1, rel=1e-12)
        for a, b in zip(g1, g2):
            assert rel_error(a, b) < 1e-12
    for a, b in zip(g1, d.grads):
        assert rel_error(a, b) < 1e-12


@settings(max_examples=20, deadline=None)
@given(
    sizes=sizes,
    seed=st.integers(0, 10_000),
    loss=st.sampled_from(["mse", "nll"]),
    k=st.integers(1, 6),
)
def test_fast_path_equals_per_step_loop(sizes, seed, loss, k):
    params, X, Y, h0 = make_problem(*sizes, seed, loss)
    for truncate in (None, k):
        l1, g1 = bptt.many_to_many(params, X, Y, loss=loss, h0=h0, truncate=truncate)
        l2, g2 = bptt.rnn.many_to_many_loop(params, X, Y, loss=loss, h0=h0, truncate=truncate)
        assert l1 == pytest.approx(l2, rel=1e-12)
        for a, b in zip(g1, g2):
            assert rel_error(a, b) < 1e-12


def test_backward_details_sums_to_grads_and_obeys_the_recursion():
    params, X, Y, h0 = make_problem(2, 5, 3, 4, 3, 3, "nll")
    d = bptt.rnn.backward_details(params, X, Y, loss="nll", h0=h0)
    _, g = bptt.many_to_many(params, X, Y, loss="nll", h0=h0)
    for a, b in zip(d.grads, g):
        assert rel_error(a, b) < 1e-12
    for t in range(4):  # g_t = direct_t + Wᵀ δ_{t+1}, batch first: δ_{t+1} W
        assert rel_error(d.G[:, t], d.direct[:, t] + d.Delta[:, t + 1] @ params.W) < 1e-12


@pytest.mark.parametrize("loss", ["mse", "nll"])
def test_truncation(loss):
    params, X, Y, h0 = make_problem(3, 7, 2, 4, 3, 5, loss)
    _, full = bptt.many_to_many(params, X, Y, loss=loss, h0=h0)
    for k in (7, 8, 100):  # k >= T is full BPTT
        _, g = bptt.many_to_many(params, X, Y, loss=loss, h0=h0, truncate=k)
        assert all(rel_error(a, b) == 0 for a, b in zip(g, full))
    # k = 1: the sum of one-step gradients, each step started from the true previous state
    Hs = bptt.rnn.forward(params, X, h0)[0]
    prev = np.concatenate([h0[:, None], Hs], axis=1)
    one_step = [
        bptt.many_to_many(params, X[:, t : t + 1], Y[:, t : t + 1], loss=loss, h0=prev[:, t])[1]
        for t in range(7)
    ]
    summed = [sum(g[i] for g in one_step) for i in range(5)]
    _, g1 = bptt.many_to_many(params, X, Y, loss=loss, h0=h0, truncate=1)
    assert all(rel_error(a, b) < 1e-12 for a, b in zip(g1, summed))
    # 1 < k < T differs from both
    _, g3 = bptt.many_to_many(params, X, Y, loss=loss, h0=h0, truncate=3)
    assert rel_error(g3.W, full.W) > 1e-3 and rel_error(g3.W, g1.W) > 1e-3
    # the loss value does not depend on truncation: the state is carried
    assert bptt.many_to_many(params, X, Y, loss=loss, h0=h0, truncate=2)[0] == pytest.approx(
        bptt.many_to_many(params, X, Y, loss=loss, h0=h0)[0], rel=1e-12
    )


@pytest.mark.parametrize("loss", ["mse", "nll"])
def test_float32_stays_float32_and_agrees_with_float64(loss):
    params, X, Y, h0 = make_problem(4, 10, 3, 8, 5, 11, loss)
    l64, g64 = bptt.many_to_many(params, X, Y, loss=loss, h0=h0)
    p32 = params.astype(np.float32)
    Y32 = Y.astype(np.float32) if loss == "mse" else Y
    l32, g32 = bptt.many_to_many(
        p32, X.astype(np.float32), Y32, loss=loss, h0=h0.astype(np.float32)
    )
    assert all(g.dtype == np.float32 for g in g32)
    assert abs(l32 - l64) / abs(l64) < 1e-5
    for a, b in zip(g32, g64):
        assert rel_error(a, b) < 1e-4


def test_init_params_shapes_and_seed():
    p = bptt.init_params(3, 5, 2, seed=4)
    assert [a.shape for a in p] == [(5, 5), (5, 3), (2, 5), (5,), (2,)]
    assert p.sizes == (3, 5, 2)
    q = bptt.init_params(3, 5, 2, seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(p, q))
    assert not np.array_equal(p.W, bptt.init_params(3, 5, 2, seed=5).W)
    assert bptt.init_params(3, 5, 2, dtype=np.float32).W.dtype == np.float32


def test_t1_is_a_dense_layer_on_stacked_input():
    """With T = 1, h_1 = tanh([W U] [h0; x] + b): the RNN step is the dense layer of chapter 1."""
    params, X, y, h0 = make_problem(3, 1, 2, 4, 3, 2, "mse", last_only=True)
    d = bptt.rnn.backward_details(params, X, y, loss="mse", h0=h0, last_only=True)
    Z, cache = bptt.dense.dense_forward(
        np.hstack([h0, X[:, 0]]), np.hstack([params.W, params.U]), params.b
    )
    assert rel_error(Z, d.Hs[:, 0]) < 1e-14
    dX, dWcat, db = bptt.dense.dense_backward(d.G[:, 0], cache)
    assert rel_error(dWcat, np.hstack([d.grads.W, d.grads.U])) < 1e-14
    assert rel_error(dX[:, :4], d.dh0) < 1e-14  # dL/dh_0, the W block
    assert rel_error(db, d.grads.b) < 1e-14
