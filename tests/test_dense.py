"""The dense tanh layer of chapter 1: every gradient against central differences, the
batch-first code against the column math, and every bad input named in its error."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import bptt
from bptt.dense import dense_backward, dense_forward

sizes = st.integers(min_value=1, max_value=5)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def make(N, D, H, seed, dtype=np.float64):
    """X (N, D), W (H, D), b (H,) and an upstream gradient R (N, H) bounded away from zero."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    W = rng.normal(scale=0.7, size=(H, D))
    b = rng.normal(scale=0.5, size=H)
    R = rng.uniform(0.5, 1.5, size=(N, H)) * rng.choice([-1.0, 1.0], size=(N, H))
    return [a.astype(dtype) for a in (X, W, b, R)]


@settings(max_examples=60, deadline=None)
@given(N=sizes, D=sizes, H=sizes, seed=seeds)
def test_gradients_match_central_differences(N, D, H, seed):
    X, W, b, R = make(N, D, H, seed)
    Z, cache = dense_forward(X, W, b)
    dX, dW, db = dense_backward(R, cache)
    assert dX.shape == (N, D) and dW.shape == (H, D) and db.shape == (H,)

    def loss():  # L = Σ R ⊙ Z, so dL/dZ = R
        return np.sum(R * dense_forward(X, W, b)[0])

    for name, analytic, param in (("dX", dX, X), ("dW", dW, W), ("db", db, b)):
        # a relative error means nothing for a gradient that is zero up to round-off
        assume(np.linalg.norm(analytic) > 1e-2)
        err = bptt.rel_error(analytic, bptt.numerical_gradient(loss, param))
        assert err < 1e-7, f"{name}: relative error {err:.1e} for N={N}, D={D}, H={H}"


@settings(max_examples=30, deadline=None)
@given(N=sizes, D=sizes, H=sizes, seed=seeds)
def test_code_rows_are_the_transpose_of_the_column_math(N, D, H, seed):
    """Z_code = (tanh(W X + b 1ᵀ))ᵀ; the gradients are the column formulas (transposed for X)."""
    X, W, b, R = make(N, D, H, seed)
    Xc, dZc = X.T, R.T  # math: one example per column
    Zc = np.tanh(W @ Xc + np.outer(b, np.ones(N)))
    dYc = (1 - Zc**2) * dZc
    Z, cache = dense_forward(X, W, b)
    dX, dW, db = dense_backward(R, cache)
    np.testing.assert_allclose(Z, Zc.T, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(dW, dYc @ Xc.T, rtol=1e-12, atol=1e-14)  # dL/dW = dL/dY Xᵀ
    np.testing.assert_allclose(db, dYc @ np.ones(N), rtol=1e-12, atol=1e-14)  # row sums
    np.testing.assert_allclose(dX, (W.T @ dYc).T, rtol=1e-12, atol=1e-14)  # dL/dX = Wᵀ dL/dY


@settings(max_examples=30, deadline=None)
@given(N=sizes, D=sizes, H=sizes, seed=seeds)
def test_diag_form_equals_elementwise_form(N, D, H, seed):
    """diag(1 - z²) dL/dz for each example, stacked, is exactly (1 - Z²) ⊙ dL/dZ."""
    X, W, b, R = make(N, D, H, seed)
    Z, cache = dense_forward(X, W, b)
    dY_diag = np.stack([np.diag(1 - Z[n] ** 2) @ R[n] for n in range(N)])
    _, dW, db = dense_backward(R, cache)
    np.testing.assert_allclose(dY_diag, (1 - Z**2) * R, rtol=1e-15, atol=0)
    np.testing.assert_allclose(dW, dY_diag.T @ X, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(db, dY_diag.sum(axis=0), rtol=1e-12, atol=1e-14)


@settings(max_examples=30, deadline=None)
@given(N=st.integers(2, 6), D=sizes, H=sizes, seed=seeds)
def test_batch_gradient_is_the_sum_of_per_example_gradients(N, D, H, seed):
    X, W, b, R = make(N, D, H, seed)
    dX, dW, db = dense_backward(R, dense_forward(X, W, b)[1])
    per = [dense_backward(R[n : n + 1], dense_forward(X[n : n + 1], W, b)[1]) for n in range(N)]
    np.testing.assert_allclose(dW, sum(p[1] for p in per), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(db, sum(p[2] for p in per), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dX, np.vstack([p[0] for p in per]), rtol=1e-12, atol=1e-14)


def test_float32_stays_float32_and_agrees_with_float64():
    X, W, b, R = make(7, 5, 4, seed=3)
    Z64, c64 = dense_forward(X, W, b)
    Z32, c32 = dense_forward(X.astype(np.float32), W.astype(np.float32), b.astype(np.float32))
    g64 = dense_backward(R, c64)
    g32 = dense_backward(R.astype(np.float32), c32)
    assert Z32.dtype == np.float32 and all(g.dtype == np.float32 for g in g32)
    assert bptt.rel_error(Z32, Z64) < 1e-6
    for a, b_ in zip(g32, g64):
        assert bptt.rel_error(a, b_) < 1e-5


def test_inputs_are_not_modified():
    X, W, b, R = make(3, 2, 4, seed=1)
    copies = [a.copy() for a in (X, W, b, R)]
    dense_backward(R, dense_forward(X, W, b)[1])
    for a, c in zip((X, W, b, R), copies):
        np.testing.assert_array_equal(a, c)


X0, W0, b0, R0 = make(3, 2, 4, seed=0)  # N = 3, D = 2, H = 4
CACHE = dense_forward(X0, W0, b0)[1]
NAN = X0.copy()
NAN[1, 1] = np.nan

BAD = [
    (lambda: dense_forward(X0[0], W0, b0), ValueError, ["X", "(N, D)", "1-D"]),
    (lambda: dense_forward(X0.T, W0, b0), ValueError, ["X", "(N, D)", "D = 2"]),
    (lambda: dense_forward(X0, W0[0], b0), ValueError, ["W", "(H, D)"]),
    (lambda: dense_forward(X0, W0, b0[:3]), ValueError, ["b", "(H,)", "(4,)"]),
    (lambda: dense_forward(X0, W0, b0[None]), ValueError, ["b", "(H,)", "2-D"]),
    (lambda: dense_forward(NAN, W0, b0), ValueError, ["X", "finite"]),
    (lambda: dense_forward("X", W0, b0), TypeError, ["X", "(N, D)"]),
    (lambda: dense_forward(X0, None, b0), TypeError, ["W", "(H, D)"]),
    (lambda: dense_forward(X0, W0 + 1j, b0), TypeError, ["W", "real"]),
    (lambda: dense_backward(R0[:2], CACHE), ValueError, ["dZ", "(N, H)", "(3, 4)"]),
    (lambda: dense_backward(R0.T, CACHE), ValueError, ["dZ", "(N, H)"]),
    (lambda: dense_backward(R0 * np.inf, CACHE), ValueError, ["dZ", "finite"]),
    (lambda: dense_backward(R0, [X0, W0]), TypeError, ["cache", "dense_forward"]),
    (
        lambda: dense_backward(R0, (W0, X0, CACHE[2])),
        TypeError,
        ["cache", "(X (N, D), W (H, D), Z (N, H))"],
    ),
]


@pytest.mark.parametrize("call, exc, words", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input_names_the_argument(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} not in {str(info.value)!r}"
