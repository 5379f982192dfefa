"""Tests for bptt.train: clipping, optimizers, the training loop, accuracy, window truncation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bptt
from bptt import Params
from bptt.train import (
    Adam,
    accuracy,
    clip_by_norm,
    clip_by_value,
    cosine,
    flatten,
    sgd_step,
    train,
    window_truncated,
)


def random_grads(seed, D=3, H=4, C=2, scale=1.0):
    rng = np.random.default_rng(seed)
    return Params(*(scale * rng.standard_normal(s) for s in ((H, H), (H, D), (C, H), (H,), (C,))))


# ------------------------------------------------------------------- clipping


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.01, 100), theta=st.floats(0.1, 10))
def test_norm_clipping_caps_the_norm_and_keeps_the_direction(seed, scale, theta):
    g = random_grads(seed, scale=scale)
    before = [a.copy() for a in g]
    c = clip_by_norm(g, theta)
    assert abs(c.norm() - min(g.norm(), theta)) <= 1e-12 * max(1.0, g.norm())  # ‖ĝ‖ = min(‖g‖, θ)
    assert cosine(c, g) > 1 - 1e-12  # same direction
    if g.norm() <= theta:
        assert all(np.array_equal(a, b) for a, b in zip(c, g))
    assert all(np.array_equal(a, b) for a, b in zip(g, before))  # input untouched
    assert all(a.shape == b.shape for a, b in zip(c, g))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.01, 100), limit=st.floats(0.05, 10))
def test_elementwise_clipping(seed, scale, limit):
    g = random_grads(seed, scale=scale)
    c = clip_by_value(g, limit)
    v, w = flatten(g), flatten(c)
    assert np.all(np.abs(w) <= limit)
    small = np.abs(v) <= limit
    assert np.array_equal(w[small], v[small])  # small entries untouched
    assert np.all(np.sign(w) == np.sign(v))  # never flips a sign
    assert np.linalg.norm(w) <= limit * np.sqrt(v.size) + 1e-12  # ‖ĝ‖ ≤ c √P
    # cos(ĝ, g) = Σ |g_i| min(|g_i|, c) / (‖ĝ‖ ‖g‖) > 0
    formula = np.sum(np.abs(v) * np.minimum(np.abs(v), limit)) / (
        np.linalg.norm(w) * np.linalg.norm(v)
    )
    assert abs(cosine(c, g) - formula) < 1e-12 and formula > 0


def test_elementwise_clipping_turns_the_gradient():
    g = Params(
        np.array([[8.0]]), np.array([[1.0]]), np.array([[0.0]]), np.array([0.0]), np.array([0.0])
    )
    c = clip_by_value(g, 4.0)
    assert c.W[0, 0] == 4.0 and c.U[0, 0] == 1.0
    # angle of (8, 1) is 7.1 degrees, of (4, 1) 14.0 degrees: they differ by 6.9 degrees
    assert abs(np.degrees(np.arccos(cosine(c, g))) - 6.9) < 0.05
    assert cosine(clip_by_norm(g, 4.0), g) == pytest.approx(1.0, abs=1e-15)


def test_cosine_of_arrays_and_errors():
    assert cosine(np.array([1.0, 0.0]), np.array([0.0, 2.0])) == 0.0
    assert cosine(np.array([1.0, 1.0]), np.array([-3.0, -3.0])) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="zero"):
        cosine(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="same shape"):
        cosine(np.ones(3), np.ones(4))


@pytest.mark.parametrize("fn", [clip_by_norm, clip_by_value])
def test_clipping_bad_input(fn):
    g = random_grads(0)
    with pytest.raises(ValueError, match="positive"):
        fn(g, 0.0)
    with pytest.raises(ValueError, match="positive"):
        fn(g, float("nan"))
    with pytest.raises(TypeError, match="positive number"):
        fn(g, "1")
    with pytest.raises(TypeError, match="grads"):
        fn([1, 2, 3], 1.0)
    with pytest.raises(ValueError, match="grads.W"):
        fn(g._replace(W=np.ones((4, 5))), 1.0)


# ------------------------------------------------------------------- optimizers


def test_sgd_step():
    p, g = random_grads(1), random_grads(2)
    q = sgd_step(p, g, 0.1)
    assert all(np.allclose(a, b - 0.1 * c) for a, b, c in zip(q, p, g))
    with pytest.raises(ValueError, match="lr"):
        sgd_step(p, g, -0.1)
    with pytest.raises(ValueError, match="grads.b"):
        sgd_step(p, g._replace(b=np.ones(5)), 0.1)


def test_adam_first_step_is_lr_times_sign_and_it_minimises_a_quadratic():
    p, g = random_grads(3), random_grads(4)
    q = Adam(lr=0.01).step(p, g)  # m̂ = g, v̂ = g²: the step is lr g / (|g| + ε)
    assert all(np.allclose(b - a, -0.01 * np.sign(c), atol=1e-9) for a, b, c in zip(p, q, g))
    opt, target = Adam(lr=0.05), random_grads(5)
    x = random_grads(6)
    for _ in range(600):  # loss ½‖x - target‖², gradient x - target
        x = opt.step(x, x - target)
    assert (x - target).norm() < 1e-2
    with pytest.raises(ValueError, match="beta1"):
        Adam(beta1=1.0)
    with pytest.raises(ValueError, match="shapes of the first call"):
        opt.step(random_grads(0, H=5), random_grads(1, H=5))


# ------------------------------------------------------------------- training


@pytest.fixture(scope="module")
def task():
    X, Y = bptt.data.delayed_recall(64, 8, 1, 3, seed=0)
    return X, Y, bptt.init_params(3, 12, 4, seed=0)


def test_training_reduces_the_loss(task):
    X, Y, p = task
    for kw in (
        {"optimizer": "adam", "lr": 0.02},
        {"optimizer": "sgd", "lr": 0.5, "clip_norm": 2.0},
    ):
        h = train(p, X, Y, steps=60, batch_size=16, seed=0, **kw)
        assert h.loss.shape == h.grad_norm.shape == h.clipped.shape == (60,)
        assert h.loss[-10:].mean() < 0.6 * h.loss[:10].mean()
        assert accuracy(h.params, X, Y, from_step=1) > accuracy(p, X, Y, from_step=1)
    assert all(np.array_equal(a, b) for a, b in zip(p, task[2]))  # params not changed


def test_training_is_seeded_and_passes_truncate(task):
    X, Y, p = task
    a = train(p, X, Y, steps=5, batch_size=8, seed=1)
    b = train(p, X, Y, steps=5, batch_size=8, seed=1)
    c = train(p, X, Y, steps=5, batch_size=8, seed=1, truncate=1)
    assert np.array_equal(a.loss, b.loss) and np.array_equal(a.params.W, b.params.W)
    assert a.loss[0] == pytest.approx(c.loss[0], rel=1e-12)  # same forward pass, same loss ...
    assert not np.allclose(a.params.W, c.params.W)  # ... but a different (truncated) gradient
    one = train(p, X, Y, steps=1, batch_size=8, seed=1, truncate=1)
    rows = np.random.default_rng(1).choice(len(X), size=8, replace=False)
    _, g = bptt.many_to_many(p, X[rows], Y[rows], loss="nll", truncate=1)
    assert all(
        np.allclose(a, b - 0.1 * c) for a, b, c in zip(one.params, p, g)
    )  # one SGD step by hand


def test_training_records_clipping(task):
    X, Y, p = task
    h = train(p, X, Y, steps=20, batch_size=8, clip_norm=0.5, lr=0.05)
    assert np.array_equal(h.clipped, h.grad_norm > 0.5)
    h = train(p, X, Y, steps=1, batch_size=8, clip_norm=1e6, lr=0.05)
    assert not h.clipped.any()
    h = train(p, X, Y, steps=5, batch_size=8, clip_value=1e-3, lr=0.05)
    assert h.clipped.all()
    one = train(p, X, Y, steps=1, batch_size=8, clip_norm=1e-3, lr=1.0, seed=3)
    rows = np.random.default_rng(3).choice(len(X), size=8, replace=False)
    _, g = bptt.many_to_many(p, X[rows], Y[rows], loss="nll")
    assert (one.params - p).norm() == pytest.approx(1e-3, rel=1e-9)  # step length lr θ
    assert cosine(p - one.params, g) == pytest.approx(1.0, abs=1e-12)  # along -g


def test_training_stops_when_it_overflows(task):
    X, Y, p = task
    # the loss stays finite while the logits are huge (log-sum-exp); the update itself overflows
    h = train(p, X, Y, steps=40, batch_size=8, lr=1e305)
    assert h.stopped_at is not None and h.stopped_at < 40
    assert np.isnan(h.loss[h.stopped_at + 1 :]).all() and np.isfinite(h.loss[: h.stopped_at]).all()
    assert all(np.isfinite(a).all() for a in h.params)
    assert train(p, X, Y, steps=3, batch_size=8).stopped_at is None


def test_training_many_to_one():
    X, y = bptt.data.adding_problem(64, 6, seed=0)
    p = bptt.init_params(2, 8, 1, seed=0)
    h = train(
        p, X, y, loss="mse", last_only=True, steps=80, batch_size=16, optimizer="adam", lr=0.02
    )
    assert h.loss[-10:].mean() < h.loss[:10].mean()


@pytest.mark.parametrize(
    "kw, exc, words",
    [
        ({"clip_norm": 1.0, "clip_value": 1.0}, ValueError, "not both"),
        ({"clip_norm": -1.0}, ValueError, "clip_norm"),
        ({"clip_value": 0}, ValueError, "clip_value"),
        ({"batch_size": 1000}, ValueError, "batch_size"),
        ({"steps": 0}, ValueError, "steps"),
        ({"optimizer": "rmsprop"}, ValueError, "optimizer"),
        ({"truncate": 0}, ValueError, "truncate"),
        ({"lr": 0.0}, ValueError, "lr"),
        ({"loss": "mse"}, ValueError, r"\(N, T, C\)"),
    ],
)
def test_training_bad_input(task, kw, exc, words):
    X, Y, p = task
    with pytest.raises(exc, match=words):
        train(p, X, Y, **{"steps": 2, "batch_size": 4, **kw})


def test_training_bad_shapes(task):
    X, Y, p = task
    with pytest.raises(ValueError, match="one target row per sequence"):
        train(p, X, Y[:10], steps=1, batch_size=4)
    with pytest.raises(ValueError, match=r"\(N, T, D\)"):
        train(p, X[0], Y, steps=1, batch_size=4)
    with pytest.raises(ValueError, match="label 7"):
        train(p, X, np.full_like(Y, 7), steps=1, batch_size=4)


def test_accuracy(task):
    X, Y, p = task
    _, O, _ = bptt.rnn.forward(p, X)
    assert accuracy(p, X, Y) == np.mean(O.argmax(2) == Y)
    assert accuracy(p, X, Y, from_step=3) == np.mean(O[:, 3:].argmax(2) == Y[:, 3:])
    assert accuracy(p, X, O[:, -1].argmax(1)) == 1.0  # (N,) labels: last step
    with pytest.raises(ValueError, match="from_step"):
        accuracy(p, X, Y, from_step=8)
    with pytest.raises(ValueError, match=r"\(N, T\)"):
        accuracy(p, X, Y[:, :3])
    with pytest.raises(TypeError, match="integer"):
        accuracy(p, X, Y.astype(float))


# ------------------------------------------------------------------- window truncation


@pytest.mark.parametrize("loss", ["mse", "nll"])
def test_window_truncation_equals_full_for_long_windows_and_chunks_for_k1(loss):
    rng = np.random.default_rng(0)
    N, T, D, H, C = 3, 6, 2, 5, 3
    X = rng.standard_normal((N, T, D))
    Y = rng.standard_normal((N, T, C)) if loss == "mse" else rng.integers(0, C, (N, T))
    p = bptt.init_params(D, H, C, seed=1)
    lf, gf = bptt.many_to_many(p, X, Y, loss=loss)
    for k in (T, T + 3):
        lw, gw = window_truncated(p, X, Y, k, loss=loss)
        assert lw == pytest.approx(lf) and bptt.rel_error(flatten(gw), flatten(gf)) < 1e-12
    _, g1 = window_truncated(p, X, Y, 1, loss=loss)
    _, c1 = bptt.many_to_many(p, X, Y, loss=loss, truncate=1)
    assert bptt.rel_error(flatten(g1), flatten(c1)) < 1e-12
    _, g3 = window_truncated(p, X, Y, 3, loss=loss)
    assert bptt.rel_error(flatten(g3), flatten(gf)) > 1e-4  # k < T: not the full gradient


@settings(max_examples=8, deadline=None)
@given(T=st.integers(2, 6), k=st.integers(1, 6), seed=st.integers(0, 100))
def test_window_truncation_is_the_gradient_of_frozen_windows(T, k, seed):
    """Σ_s L_s computed from h_{s-k} held fixed: its central differences equal window_truncated."""
    rng = np.random.default_rng(seed)
    N, D, H, C = 2, 2, 3, 3
    X = rng.standard_normal((N, T, D))
    Y = rng.integers(0, C, (N, T))
    p = bptt.init_params(D, H, C, seed=seed)
    Hs = bptt.rnn.forward(p, X)[0]
    Hs = np.concatenate([np.zeros((N, 1, H)), Hs], axis=1)  # h_0 .. h_T, fixed

    def frozen_windows():
        total = 0.0
        for s in range(1, T + 1):
            a = max(s - k, 0)  # start from h_a, frozen
            total += bptt.many_to_one(p, X[:, a:s], Y[:, s - 1], loss="nll", h0=Hs[:, a])[0]
        return total

    _, g = window_truncated(p, X, Y, k, loss="nll")
    for name in ("W", "U", "b"):
        num = bptt.numerical_gradient(frozen_windows, getattr(p, name))
        assert bptt.rel_error(getattr(g, name), num) < 1e-7


def test_window_truncation_bad_input():
    p = bptt.init_params(2, 3, 2)
    X, Y = np.zeros((1, 4, 2)), np.zeros((1, 4, 2))
    with pytest.raises(ValueError, match="k must be"):
        window_truncated(p, X, Y, 0)
    with pytest.raises(ValueError, match=r"\(N, T, C\)"):
        window_truncated(p, X, Y[:, :2], 2)
