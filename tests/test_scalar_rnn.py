"""Tests for bptt.scalar_rnn: one copy of the shared weight per step, and its backward pass."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bptt
from bptt import scalar_rnn as sr


@settings(max_examples=30, deadline=None)
@given(T=st.integers(1, 6), seed=st.integers(0, 1000), last_only=st.booleans())
def test_scalar_rnn_backward_matches_central_differences(T, seed, last_only):
    rng = np.random.default_rng(seed)
    w, u, h0 = rng.normal(), rng.normal(), rng.normal() * 0.5
    x, y = rng.normal(size=T), rng.normal(size=T)
    back = sr.scalar_rnn_backward(w, u, x, y, h0, last_only=last_only)
    assert abs(back.loss - sr.scalar_rnn_loss(w, u, x, y, h0, last_only=last_only)) < 1e-14
    ww, uu, hh = np.array([w]), np.array([u]), np.array([h0])
    fw = bptt.numerical_gradient(lambda: sr.scalar_rnn_loss(ww[0], u, x, y, h0, last_only), ww)[0]
    fu = bptt.numerical_gradient(lambda: sr.scalar_rnn_loss(w, uu[0], x, y, h0, last_only), uu)[0]
    fh = bptt.numerical_gradient(lambda: sr.scalar_rnn_loss(w, u, x, y, hh[0], last_only), hh)[0]
    scale = max(1.0, abs(fw), abs(fu), abs(fh))
    assert abs(back.dw - fw) < 1e-8 * scale
    assert abs(back.du - fu) < 1e-8 * scale
    assert abs(back.dh0 - fh) < 1e-8 * scale
    # the shared weight's gradient is the sum over its copies, each a partial derivative
    copies = np.full(T, w)
    fd_copies = bptt.numerical_gradient(
        lambda: sr.scalar_rnn_loss(copies, u, x, y, h0, last_only), copies
    )
    np.testing.assert_allclose(back.dw_copies, fd_copies, rtol=0, atol=1e-8 * scale)
    assert abs(back.dw - back.dw_copies.sum()) < 1e-14 * scale


def test_scalar_rnn_g_is_the_total_derivative():
    w, u, h0 = 0.8, 0.5, 0.0
    x, y = np.array([1.0, -0.5]), np.array([0.3, -0.5])
    back = sr.scalar_rnn_backward(w, u, x, y, h0)
    h1, h2 = back.h[0], back.h[1]  # h_1, h_2: aligned with x
    assert abs(back.g[0] - ((h1 - y[0]) + (h2 - y[1]) * (1 - h2**2) * w)) < 1e-15
    assert abs(back.g[1] - (h2 - y[1])) < 1e-15
    np.testing.assert_allclose(back.delta, (1 - back.h**2) * back.g, rtol=0, atol=1e-15)
    assert back.h0 == h0
    # many-to-one: no direct term before the last step
    b1 = sr.scalar_rnn_backward(w, u, x, y, h0, last_only=True)
    assert b1.direct[0] == 0.0 and b1.direct[1] == h2 - y[1]


def test_scalar_rnn_copies_differ_from_shared_when_unequal():
    x, y = np.array([1.0, -0.5, 0.3]), np.array([0.1, 0.2, 0.3])
    shared = sr.scalar_rnn_loss(0.7, 0.4, x, y)
    assert shared == sr.scalar_rnn_loss([0.7, 0.7, 0.7], 0.4, x, y)
    assert shared != sr.scalar_rnn_loss([0.7, 0.7, 0.9], 0.4, x, y)


def test_scalar_rnn_bad_input():
    x, y = np.array([1.0, 2.0]), np.array([0.0, 1.0])
    with pytest.raises(ValueError, match="w must be a number"):
        sr.scalar_rnn_loss([0.5, 0.5, 0.5], 0.1, x, y)
    with pytest.raises(ValueError, match="u must be a number"):
        sr.scalar_rnn_backward(0.5, np.ones((2, 2)), x, y)
    with pytest.raises(ValueError, match=r"x must have shape \(T,\)"):
        sr.scalar_rnn_loss(0.5, 0.1, np.zeros(0), np.zeros(0))
    with pytest.raises(ValueError, match="x"):
        sr.scalar_rnn_loss(0.5, 0.1, np.zeros((2, 2)), y)
    with pytest.raises(ValueError, match="y"):
        sr.scalar_rnn_loss(0.5, 0.1, x, np.zeros(3))
    with pytest.raises(ValueError, match="h0"):
        sr.scalar_rnn_loss(0.5, 0.1, x, y, h0=np.zeros(2))
    with pytest.raises(TypeError, match="last_only"):
        sr.scalar_rnn_loss(0.5, 0.1, x, y, last_only="yes")
    with pytest.raises(ValueError, match="finite"):
        sr.scalar_rnn_backward(np.inf, 0.1, x, y)
    assert sr.scalar_rnn_loss(0.5, 0.1, x, 0.3, last_only=True) == sr.scalar_rnn_loss(
        0.5, 0.1, x, [9.0, 0.3], last_only=True
    )
