"""Activations of chapter 1: derivatives against central differences over random shapes
(0-d included), the ranges the chapters quote, stability, dtypes and bad input; and the
bad-input paths of the tanh figure helpers in bptt.plots."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import bptt
from bptt import activations as act

shapes = array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def draw(shape, seed, low=-3.0, high=3.0):
    """a uniform in [low, high] and a weight R with |R| in [0.5, 1.5] (never near zero)."""
    rng = np.random.default_rng(seed)
    a = np.asarray(rng.uniform(low, high, size=shape))
    R = rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return a, R


@settings(max_examples=60, deadline=None)
@given(shape=shapes, seed=seeds)
def test_tanh_derivative_matches_central_differences(shape, seed):
    a, R = draw(shape, seed)
    z = act.tanh(a)
    assert z.shape == a.shape
    numeric = bptt.numerical_gradient(lambda: np.sum(R * act.tanh(a)), a)
    for analytic in (R * act.tanh_grad_from_output(z), R * act.tanh_grad(a)):
        err = bptt.rel_error(analytic, numeric)
        assert err < 1e-7, f"relative error {err:.1e} for shape {shape}"


@settings(max_examples=60, deadline=None)
@given(shape=shapes, seed=seeds)
def test_sigmoid_derivative_matches_central_differences(shape, seed):
    a, R = draw(shape, seed)
    s = act.sigmoid(a)
    assert s.shape == a.shape
    numeric = bptt.numerical_gradient(lambda: np.sum(R * act.sigmoid(a)), a)
    err = bptt.rel_error(R * act.sigmoid_grad_from_output(s), numeric)
    assert err < 1e-7, f"relative error {err:.1e} for shape {shape}"


def test_derivative_ranges_quoted_in_the_chapters():
    a = np.linspace(-6, 6, 1201)  # contains 0 exactly
    t = act.tanh_grad(a)
    assert np.all(t > 0) and np.all(t <= 1) and t.max() == 1.0 and a[t.argmax()] == 0.0
    s = act.sigmoid_grad_from_output(act.sigmoid(a))
    assert np.all(s > 0) and s.max() == 0.25 and a[s.argmax()] == 0.0
    # saturation: the values chapter 1 prints
    np.testing.assert_allclose(act.tanh_grad(np.array([2.0, 3.0])), [0.0707, 0.00987], rtol=1e-3)


def test_sigmoid_is_stable_and_correct():
    a = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(act.sigmoid(a), 1 / (1 + np.exp(-a)), rtol=1e-15, atol=1e-300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would raise here
        big = act.sigmoid(np.array([-1000.0, 1000.0]))
    np.testing.assert_array_equal(big, [0.0, 1.0])
    np.testing.assert_allclose(act.sigmoid(-a) + act.sigmoid(a), 1.0, rtol=1e-15)


def test_dtypes():
    a32 = np.linspace(-2, 2, 5, dtype=np.float32)
    for f in (act.tanh, act.tanh_grad, act.sigmoid):
        assert f(a32).dtype == np.float32
    assert act.tanh_grad_from_output(act.tanh(a32)).dtype == np.float32
    assert act.tanh(np.arange(3)).dtype == np.float64  # integers become float64
    assert act.tanh(0.5).shape == ()  # a number gives a 0-d array


BAD = [
    (lambda: act.tanh("a"), TypeError, ["a", "any shape"]),
    (lambda: act.tanh(None), TypeError, ["a"]),
    (lambda: act.tanh(np.array([1.0, np.nan])), ValueError, ["a", "finite"]),
    (lambda: act.tanh_grad(np.array([np.inf])), ValueError, ["a", "finite"]),
    (lambda: act.sigmoid(np.array([1 + 2j])), TypeError, ["a", "real"]),
    (lambda: act.tanh_grad_from_output(np.array([0.5, 1.5])), ValueError, ["z", "[-1, 1]"]),
    (lambda: act.tanh_grad_from_output([[0.1], ["x"]]), TypeError, ["z"]),
    (lambda: act.sigmoid_grad_from_output(np.array([-0.1])), ValueError, ["s", "[0, 1]"]),
    (lambda: act.sigmoid_grad_from_output(np.array([np.nan])), ValueError, ["s", "finite"]),
]


@pytest.mark.parametrize("call, exc, words", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input_names_the_argument(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} not in {str(info.value)!r}"
