"""Tests for bptt.gradcheck: differences, relative error, sampling, kinks, step sweeps."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import bptt
from bptt import gradcheck as gc

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


# ------------------------------------------------------------------- rel_error


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 10**6), k=st.floats(1e-3, 1e3))
def test_rel_error_properties(shape, seed, k):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=shape), rng.normal(size=shape)
    e = bptt.rel_error(a, b)
    assert e == bptt.rel_error(b, a)
    assert 0 <= e <= 2
    assert abs(bptt.rel_error(k * a, k * b) - e) < 1e-12
    by_hand = np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b))
    assert abs(e - by_hand) < 1e-14
    assert bptt.rel_error(a, -a) == pytest.approx(2.0)
    assert bptt.rel_error(a, np.zeros(shape)) == 1.0
    assert bptt.rel_error(a, a) == 0.0


def test_rel_error_zero_and_bad_shapes():
    assert bptt.rel_error(np.zeros(3), np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="b must have the same shape"):
        bptt.rel_error(np.zeros(3), np.zeros(4))
    with pytest.raises(TypeError, match="a must"):
        bptt.rel_error("abc", np.zeros(3))


# ------------------------------------------------------------------- numerical gradients


@settings(max_examples=30, deadline=None)
@given(shape=shapes, seed=st.integers(0, 10**6))
def test_numerical_gradient_of_a_smooth_function(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    A = rng.normal(size=shape)
    x_before = x.copy()

    def f():
        return float(np.sum(A * np.tanh(x)) + 0.5 * np.sum(x**2))

    exact = A * (1 - np.tanh(x) ** 2) + x
    num = bptt.numerical_gradient(f, x)
    np.testing.assert_array_equal(x, x_before)  # restored
    assert bptt.rel_error(num, exact) < 1e-8
    fwd = gc.forward_difference(f, x, eps=1e-6)
    np.testing.assert_array_equal(x, x_before)
    assert np.abs(fwd - exact).max() < 1e-5  # O(eps): |f''| eps / 2


def test_forward_and_central_error_orders():
    x = np.array([0.5])

    def f():
        return float(np.tanh(x[0]))

    exact = 1 - np.tanh(0.5) ** 2
    ef = [abs(gc.forward_difference(f, x, eps)[0] - exact) for eps in (1e-2, 1e-3)]
    ec = [abs(bptt.numerical_gradient(f, x, eps)[0] - exact) for eps in (1e-2, 1e-3)]
    assert 9 < ef[0] / ef[1] < 11  # O(eps)
    assert 90 < ec[0] / ec[1] < 110  # O(eps^2)


def test_numerical_gradient_with_indices_fills_only_those():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 6))

    def f():
        return float(np.sum(x**3))

    idx = gc.random_indices(x.shape, 7, seed=1)
    num = bptt.numerical_gradient(f, x, indices=idx)
    assert np.isnan(num).sum() == x.size - 7
    rows, cols = np.array(idx).T
    np.testing.assert_allclose(num[rows, cols], 3 * x[rows, cols] ** 2, rtol=1e-7, atol=1e-8)


def test_numerical_gradient_bad_input():
    x = np.zeros(3)
    with pytest.raises(TypeError, match="f must be a function"):
        bptt.numerical_gradient(3.0, x)
    with pytest.raises(TypeError, match="x must be a float ndarray"):
        bptt.numerical_gradient(lambda: 0.0, [0.0, 1.0])
    with pytest.raises(TypeError, match="x must be a float ndarray"):
        bptt.numerical_gradient(lambda: 0.0, np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="eps"):
        bptt.numerical_gradient(lambda: 0.0, x, eps=0)
    with pytest.raises(ValueError, match="eps"):
        gc.forward_difference(lambda: 0.0, x, eps=-1.0)
    with pytest.raises(TypeError, match="f must be a function"):
        gc.forward_difference(None, x)


# ------------------------------------------------------------------- random subsets


@settings(max_examples=30, deadline=None)
@given(shape=shapes, count=st.integers(1, 100), seed=st.integers(0, 1000))
def test_random_indices_are_distinct_and_in_range(shape, count, seed):
    idx = gc.random_indices(shape, count, seed)
    assert len(idx) == min(count, int(np.prod(shape)))
    assert len(set(tuple(int(i) for i in t) for t in idx)) == len(idx)
    for t in idx:
        assert len(t) == len(shape) and all(0 <= i < s for i, s in zip(t, shape))
    assert [tuple(map(int, t)) for t in gc.random_indices(shape, count, seed)] == [
        tuple(map(int, t)) for t in idx
    ]


def test_random_indices_bad_input():
    with pytest.raises(ValueError, match="count"):
        gc.random_indices((3, 3), 0)
    with pytest.raises(TypeError, match="count"):
        gc.random_indices((3, 3), 2.5)
    with pytest.raises(TypeError, match="shape"):
        gc.random_indices("3x3", 2)
    assert len(gc.random_indices([3, 3], 2)) == 2  # a list works like a tuple
    assert len(gc.random_indices(5, 2)) == 2  # so does an int


def test_sampled_rel_error_catches_a_wrong_gradient():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(20, 20))

    def f():
        return float(np.sum(np.sin(x)))

    good = np.cos(x)
    assert gc.sampled_rel_error(f, x, good, count=15) < 1e-8
    assert gc.sampled_rel_error(f, x, good.T, count=15) > 1e-2  # a transpose
    with pytest.raises(ValueError, match="grad must have the shape of x"):
        gc.sampled_rel_error(f, x, good[:3])
    with pytest.raises(ValueError, match="at least one entry"):
        gc.sampled_rel_error(f, np.zeros((0, 3)), np.zeros((0, 3)))


# ------------------------------------------------------------------- whole RNN


@pytest.fixture
def rnn_problem():
    rng = np.random.default_rng(0)
    params = bptt.init_params(3, 5, 2, seed=0)
    X = rng.normal(size=(2, 4, 3))
    Y = rng.normal(size=(2, 4, 2))
    return params, X, Y


def test_check_params_gradient_passes_right_and_fails_wrong(rnn_problem):
    params, X, Y = rnn_problem
    _, grads = bptt.many_to_many(params, X, Y)

    def loss_fn(p):
        return bptt.many_to_many(p, X, Y)[0]

    errs = gc.check_params_gradient(loss_fn, params, grads)
    assert set(errs) == {"W", "U", "V", "b", "c"} and max(errs.values()) < 1e-7
    wrong = grads._replace(W=grads.W.T)
    errs_wrong = gc.check_params_gradient(loss_fn, params, wrong)
    assert errs_wrong["W"] > 1e-2 and errs_wrong["U"] < 1e-7
    sampled = gc.check_params_gradient(loss_fn, params, grads, count=4, seed=3)
    assert max(sampled.values()) < 1e-7
    assert gc.check_params_gradient(loss_fn, params, wrong, count=25)["W"] > 1e-2
    # params are untouched by the check
    np.testing.assert_array_equal(params.W, bptt.init_params(3, 5, 2, seed=0).W)


def test_check_params_gradient_bad_input(rnn_problem):
    params, X, Y = rnn_problem
    _, grads = bptt.many_to_many(params, X, Y)

    def loss_fn(p):
        return bptt.many_to_many(p, X, Y)[0]

    with pytest.raises(TypeError, match="bptt.Params"):
        gc.check_params_gradient(loss_fn, tuple(params), grads)
    with pytest.raises(TypeError, match="loss_fn"):
        gc.check_params_gradient(None, params, grads)
    with pytest.raises(ValueError, match="grads.V"):
        gc.check_params_gradient(loss_fn, params, grads._replace(V=grads.V.T))


# ------------------------------------------------------------------- kinks


def test_crossed_kinks_flags_exactly_the_entries_near_a_kink():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 4))
    W = rng.normal(size=(3, 4))
    X[0] -= (X[0] @ W[1] - 2e-7) * W[1] / (W[1] @ W[1])  # Z[0, 1] = 2e-7
    W_before = W.copy()
    kinks = gc.crossed_kinks(lambda: X @ W.T, W, eps=1e-6)
    np.testing.assert_array_equal(W, W_before)
    expected = np.zeros_like(kinks)
    expected[1] = np.abs(X[0]) * 1e-6 > 2e-7
    np.testing.assert_array_equal(kinks, expected)
    assert not gc.crossed_kinks(lambda: X @ W.T, W, eps=1e-9).any()
    R = rng.normal(size=(10, 3))

    def f():
        return float(np.sum(R * np.maximum(X @ W.T, 0)))

    exact = (((X @ W.T) > 0) * R).T @ X
    num = bptt.numerical_gradient(f, W)
    assert bptt.rel_error(exact[~kinks], num[~kinks]) < 1e-8
    assert bptt.rel_error(exact[kinks], num[kinks]) > 1e-2


def test_crossed_kinks_bad_input():
    with pytest.raises(TypeError, match="pre_fn"):
        gc.crossed_kinks(1, np.zeros(2))
    with pytest.raises(TypeError, match="x must be a float ndarray"):
        gc.crossed_kinks(lambda: 0, [1.0])
    with pytest.raises(ValueError, match="eps"):
        gc.crossed_kinks(lambda: 0, np.zeros(2), eps=0)


# ------------------------------------------------------------------- step sweeps


def test_difference_quotient_orders_and_kinks():
    exact = 1 - np.tanh(0.5) ** 2
    e1 = abs(gc.difference_quotient(np.tanh, 0.5, 1e-3, "forward") - exact)
    e2 = abs(gc.difference_quotient(np.tanh, 0.5, 1e-3, "central") - exact)
    assert 1e-4 < e1 < 1e-3 and 1e-8 < e2 < 1e-6

    def relu(s):
        return np.maximum(s, 0.0)

    assert gc.difference_quotient(relu, 3e-7, 1e-6) == pytest.approx(0.65)
    assert gc.difference_quotient(np.abs, 3e-7, 1e-6) == pytest.approx(0.3)


def test_difference_quotient_float32_is_computed_in_float32():
    exact = 1 - np.tanh(0.5) ** 2
    e32 = abs(gc.difference_quotient(np.tanh, 0.5, 1e-6, dtype=np.float32) - exact)
    e64 = abs(gc.difference_quotient(np.tanh, 0.5, 1e-6, dtype=np.float64) - exact)
    assert e32 > 1e-2 and e64 < 1e-9
    seen = []
    gc.difference_quotient(lambda s: (seen.append(s.dtype), s)[1], 0.5, 1e-3, dtype=np.float32)
    assert set(seen) == {np.dtype(np.float32)}


def test_difference_quotient_bad_input():
    with pytest.raises(ValueError, match="kind"):
        gc.difference_quotient(np.tanh, 0.5, 1e-3, "backward")
    with pytest.raises(ValueError, match="dtype"):
        gc.difference_quotient(np.tanh, 0.5, 1e-3, dtype=np.float16)
    with pytest.raises(ValueError, match="eps"):
        gc.difference_quotient(np.tanh, 0.5, 0.0)
    with pytest.raises(TypeError, match="f must be"):
        gc.difference_quotient("tanh", 0.5, 1e-3)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_step_sweep_has_its_minimum_near_the_predicted_step(dtype):
    steps = np.logspace(-15, 0, 121)
    sw = gc.step_sweep(np.tanh, 0.5, 1 - np.tanh(0.5) ** 2, steps, dtype)
    assert set(sw) == {"steps", "forward", "central"} and sw["central"].shape == (121,)
    best = steps[np.argmin(sw["central"])]
    assert 0.1 < best / gc.optimal_step(dtype, "central") < 10
    best_f = steps[np.argmin(sw["forward"])]
    assert 0.01 < best_f / gc.optimal_step(dtype, "forward") < 100
    assert sw["central"].min() < sw["forward"].min()
    # truncation slopes 1 and 2
    trunc = (steps > 1e-4) & (steps < 1e-1)
    sf = np.polyfit(np.log10(steps[trunc]), np.log10(sw["forward"][trunc]), 1)[0]
    sc = np.polyfit(np.log10(steps[trunc]), np.log10(sw["central"][trunc]), 1)[0]
    if dtype is np.float64:
        assert abs(sf - 1) < 0.05 and abs(sc - 2) < 0.05


def test_optimal_step_values_and_bad_input():
    assert gc.optimal_step(np.float64) == pytest.approx(np.finfo(np.float64).eps ** (1 / 3))
    assert gc.optimal_step(np.float32, "forward") == pytest.approx(np.finfo(np.float32).eps ** 0.5)
    with pytest.raises(ValueError, match="kind"):
        gc.optimal_step(np.float64, "sideways")
    with pytest.raises(ValueError, match="steps"):
        gc.step_sweep(np.tanh, 0.5, 0.7, [1e-3, -1.0])
    with pytest.raises(ValueError, match="steps"):
        gc.step_sweep(np.tanh, 0.5, 0.7, np.zeros((2, 2)))
