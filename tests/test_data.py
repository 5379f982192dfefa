"""Tests for bptt.data: the toy tasks are seeded, shaped as the contract says, and correct."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bptt
from bptt.data import adding_problem, delayed_recall


@settings(max_examples=30, deadline=None)
@given(N=st.integers(1, 6), T=st.integers(2, 12), S=st.integers(2, 6), data=st.data())
def test_delayed_recall_shapes_and_targets(N, T, S, data):
    d = data.draw(st.integers(1, T - 1))
    X, Y = delayed_recall(N, T, d, S, seed=data.draw(st.integers(0, 10)))
    assert X.shape == (N, T, S) and X.dtype == np.float64
    assert Y.shape == (N, T) and np.issubdtype(Y.dtype, np.integer)
    assert np.all(X.sum(axis=2) == 1) and set(np.unique(X)) <= {0.0, 1.0}  # one-hot
    symbols = X.argmax(axis=2)
    assert np.array_equal(Y[:, d:], symbols[:, : T - d])  # y_t = s_{t-d}
    assert np.all(Y[:, :d] == S)  # "nothing yet"


def test_delayed_recall_fits_the_contract():
    X, Y = delayed_recall(5, 9, 3, 4, seed=1)
    params = bptt.init_params(4, 6, 5, seed=0)  # C = S + 1 classes
    loss, grads = bptt.many_to_many(params, X, Y, loss="nll")
    assert np.isfinite(loss) and grads.W.shape == (6, 6)


def test_delayed_recall_is_seeded_and_balanced():
    a = delayed_recall(50, 20, 4, 8, seed=3)
    b = delayed_recall(50, 20, 4, 8, seed=3)
    c = delayed_recall(50, 20, 4, 8, seed=4)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a[0], c[0])
    counts = np.bincount(a[1][:, 4:].ravel(), minlength=8)  # 800 draws over 8 symbols
    assert counts.min() > 60 and counts.max() < 140


def test_adding_problem():
    X, y = adding_problem(400, 10, seed=2)
    assert X.shape == (400, 10, 2) and y.shape == (400, 1)
    marks = X[:, :, 1]
    assert np.all(marks.sum(axis=1) == 2)
    assert np.all(marks[:, :5].sum(axis=1) == 1) and np.all(marks[:, 5:].sum(axis=1) == 1)
    assert np.allclose(y[:, 0], (X[:, :, 0] * marks).sum(axis=1))
    assert np.all((X[:, :, 0] >= 0) & (X[:, :, 0] < 1))
    assert abs(0.5 * np.mean((y - 1.0) ** 2) - 1 / 12) < 0.01  # chance loss 1/12
    loss, _ = bptt.many_to_one(bptt.init_params(2, 4, 1), X, y, loss="mse")
    assert np.isfinite(loss)
    assert np.array_equal(adding_problem(3, 4, seed=0)[0], adding_problem(3, 4, seed=0)[0])


@pytest.mark.parametrize(
    "args, exc, words",
    [
        ((0, 5, 1), ValueError, "n_sequences"),
        ((3, 1, 1), ValueError, "n_steps"),
        ((3, 5, 0), ValueError, "delay"),
        ((3, 5, 5), ValueError, "delay must be smaller than n_steps"),
        ((3, 5, 2, 1), ValueError, "n_symbols"),
        ((3.0, 5, 2), TypeError, "n_sequences"),
        ((3, "5", 2), TypeError, "n_steps"),
    ],
)
def test_delayed_recall_bad_input(args, exc, words):
    with pytest.raises(exc, match=words):
        delayed_recall(*args)


@pytest.mark.parametrize(
    "args, exc, words",
    [
        ((0, 5), ValueError, "n_sequences"),
        ((2, 1), ValueError, "n_steps"),
        ((2, None), TypeError, "n_steps"),
    ],
)
def test_adding_problem_bad_input(args, exc, words):
    with pytest.raises(exc, match=words):
        adding_problem(*args)


@pytest.mark.parametrize(
    "loss, last_only, shape",
    [("mse", False, (2, 3, 4)), ("mse", True, (2, 4)), ("nll", False, (2, 3)), ("nll", True, (2,))],
)
def test_random_problem_shapes_dtypes_and_seed(loss, last_only, shape):
    params, X, targets, h0 = bptt.data.random_problem(
        2, 3, 5, 6, 4, seed=1, loss=loss, last_only=last_only, dtype=np.float32
    )
    assert params.sizes == (5, 6, 4) and params.W.dtype == X.dtype == h0.dtype == np.float32
    assert X.shape == (2, 3, 5) and targets.shape == shape and h0.shape == (2, 6)
    if loss == "nll":
        assert np.issubdtype(targets.dtype, np.integer) and 0 <= targets.min() and targets.max() < 4
    again = bptt.data.random_problem(
        2, 3, 5, 6, 4, seed=1, loss=loss, last_only=last_only, dtype=np.float32
    )
    assert all(np.array_equal(a, b) for a, b in zip(again[1:], (X, targets, h0)))
    assert bptt.data.random_problem(2, 3, 5, 6, 4, with_h0=False)[3] is None


def test_random_problem_rejects_bad_arguments():
    with pytest.raises(ValueError, match="T must be"):
        bptt.data.random_problem(2, 0, 5, 6, 4)
    with pytest.raises(ValueError, match="loss must be one of"):
        bptt.data.random_problem(2, 3, 5, 6, 4, loss="hinge")
    with pytest.raises(TypeError, match="H must be an integer"):
        bptt.data.random_problem(2, 3, 5, 6.0, 4)
