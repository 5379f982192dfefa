"""bptt.losses: every gradient and Jacobian against central differences, the identities chapter 5
relies on, numerical stability, and the messages of bad input."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bptt
from bptt import losses as L
from bptt.gradcheck import numerical_gradient, rel_error

TOL = 1e-7
seeds = st.integers(0, 10_000)
n_rows = st.integers(1, 4)
n_classes = st.integers(1, 6)
n_hidden = st.integers(1, 5)


def fd_jacobian(f, x):
    """Central-difference Jacobian (len f, len x) of the vector function f() (reading x)."""
    out = np.asarray(f())
    return np.stack([numerical_gradient(lambda k=k: f()[k], x) for k in range(out.size)])


def logits(rng, *shape, scale=2.0):
    return rng.normal(scale=scale, size=shape)


# ------------------------------------------------------------------- softmax family


@settings(max_examples=40, deadline=None)
@given(seed=seeds, N=n_rows, C=n_classes)
def test_softmax_is_a_distribution_and_matches_naive_and_log_softmax(seed, N, C):
    O = logits(np.random.default_rng(seed), N, C)
    P = L.softmax(O)
    assert np.all(P > 0) and np.allclose(P.sum(axis=1), 1.0, atol=1e-14)
    assert rel_error(P, L.softmax_naive(O)) < 1e-14
    assert rel_error(L.log_softmax(O), np.log(P)) < 1e-13
    assert rel_error(L.logsumexp(O), np.log(np.exp(O).sum(axis=1))) < 1e-14
    assert rel_error(L.softmax(O + 7.5), P) < 1e-14  # shift invariance along each row


@settings(max_examples=25, deadline=None)
@given(
    seed=seeds,
    shape=st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4)),
    axis=st.integers(-3, 2),
)
def test_softmax_along_any_axis(seed, shape, axis):
    O = logits(np.random.default_rng(seed), *shape)
    P = L.softmax(O, axis=axis)
    assert np.allclose(P.sum(axis=axis), 1.0, atol=1e-14)
    expected = np.exp(O) / np.exp(O).sum(axis=axis, keepdims=True)
    assert rel_error(P, expected) < 1e-14
    assert rel_error(L.logsumexp(O, axis=axis), np.log(np.exp(O).sum(axis=axis))) < 1e-14


def test_large_logits_overflow_the_naive_softmax_but_not_the_stable_one():
    o = np.array([1000.0, 999.0, 990.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        naive = L.softmax_naive(o)
    assert np.all(np.isnan(naive))
    assert any(issubclass(w.category, RuntimeWarning) for w in caught)
    ref = L.softmax(o - 1000.0)
    assert rel_error(L.softmax(o), ref) < 1e-15
    assert L.logsumexp(o) == pytest.approx(1000.0 + L.logsumexp(o - 1000.0), rel=1e-15)
    assert np.all(np.isfinite(L.log_softmax(np.array([1e300, -1e300, 0.0])[None])))
    # float32 overflows much earlier: exp(89) > 3.4e38
    with np.errstate(over="ignore", invalid="ignore"):
        naive32 = L.softmax_naive(np.array([89.0, 0.0], dtype=np.float32))
    assert np.isnan(naive32[0]) and naive32[1] == 0.0  # inf / inf and 1 / inf
    assert np.all(np.isfinite(L.softmax(np.array([89.0, 0.0], dtype=np.float32))))


@settings(max_examples=40, deadline=None)
@given(seed=seeds, C=n_classes)
def test_softmax_jacobian_matches_central_differences(seed, C):
    o = logits(np.random.default_rng(seed), C)
    J = L.softmax_jacobian(L.softmax(o))
    assert J.shape == (C, C)
    assert rel_error(J, fd_jacobian(lambda: L.softmax(o), o)) < TOL
    assert np.allclose(J, J.T) and np.allclose(J.sum(axis=0), 0, atol=1e-15)


@settings(max_examples=25, deadline=None)
@given(seed=seeds, C=n_classes)
def test_log_softmax_jacobian_is_identity_minus_one_p_transposed(seed, C):
    o = logits(np.random.default_rng(seed), C)
    p = L.softmax(o)
    assert (
        rel_error(np.eye(C) - np.outer(np.ones(C), p), fd_jacobian(lambda: L.log_softmax(o), o))
        < TOL
    )


@settings(max_examples=40, deadline=None)
@given(seed=seeds, C=n_classes, H=n_hidden)
def test_output_jacobian_matches_central_differences(seed, C, H):
    rng = np.random.default_rng(seed)
    V, c, h = rng.normal(size=(C, H)), rng.normal(size=C), rng.normal(size=H)
    J = L.output_jacobian(L.softmax(V @ h + c), V)
    assert J.shape == (C, H)
    assert rel_error(J, fd_jacobian(lambda: L.softmax(V @ h + c), h)) < TOL


# ------------------------------------------------------------------- losses and their gradients


@settings(max_examples=40, deadline=None)
@given(seed=seeds, N=n_rows, C=n_classes)
def test_nll_loss_value_and_gradient(seed, N, C):
    rng = np.random.default_rng(seed)
    O, y = logits(rng, N, C), rng.integers(0, C, size=N)
    loss, dO = L.nll_loss(O, y)
    assert loss == pytest.approx(-np.mean(np.log(L.softmax(O))[np.arange(N), y]), rel=1e-12)
    assert rel_error(dO, numerical_gradient(lambda: L.nll_loss(O, y)[0], O)) < TOL
    onehot = np.eye(C)[y]
    assert rel_error(dO, (L.softmax(O) - onehot) / N) < 1e-14
    l2, d2 = L.cross_entropy(O, onehot)  # the same loss with one-hot vectors
    assert l2 == pytest.approx(loss, rel=1e-12) and rel_error(d2, dO) < 1e-14


@settings(max_examples=40, deadline=None)
@given(seed=seeds, N=n_rows, C=n_classes, total=st.sampled_from([None, 1.0, 1.5, 0.3]))
def test_cross_entropy_gradient_is_sum_y_times_p_minus_y(seed, N, C, total):
    rng = np.random.default_rng(seed)
    O, Y = logits(rng, N, C), rng.uniform(0.05, 1.0, size=(N, C))
    if total is not None:
        Y *= total / Y.sum(axis=1, keepdims=True)
    loss, dO = L.cross_entropy(O, Y)
    assert rel_error(dO, numerical_gradient(lambda: L.cross_entropy(O, Y)[0], O)) < TOL
    s = Y.sum(axis=1, keepdims=True)
    assert rel_error(dO, (s * L.softmax(O) - Y) / N) < 1e-13
    if C > 1 and total is not None and total != 1.0:  # then p - y is wrong, by a visible amount
        assert rel_error((L.softmax(O) - Y) / N, dO) > 1e-3


@settings(max_examples=40, deadline=None)
@given(seed=seeds, N=n_rows, C=n_classes)
def test_mse_loss_value_and_gradient(seed, N, C):
    rng = np.random.default_rng(seed)
    O, Y = rng.normal(size=(N, C)), rng.normal(size=(N, C))
    loss, dO = L.mse_loss(O, Y)
    assert loss == pytest.approx(0.5 * np.sum((O - Y) ** 2) / N, rel=1e-12)
    assert rel_error(dO, numerical_gradient(lambda: L.mse_loss(O, Y)[0], O)) < TOL


@settings(max_examples=40, deadline=None)
@given(seed=seeds, C=st.integers(2, 6), total=st.floats(0.2, 3.0))
def test_asker_gradient_is_right_and_is_p_minus_y_only_when_targets_sum_to_one(seed, C, total):
    rng = np.random.default_rng(seed)
    o = logits(rng, C)
    y = rng.uniform(0.05, 1.0, size=C)
    y *= total / y.sum()
    p = L.softmax(o)
    g = L.asker_gradient(p, y)
    fd = numerical_gradient(lambda: -np.sum(y * L.log_softmax(o)), o)
    assert rel_error(g, fd) < TOL
    assert rel_error(g, y.sum() * p - y) < 1e-13
    assert rel_error(g, L.cross_entropy(o[None], y[None])[1][0]) < 1e-13
    gap = rel_error(p - y, g)
    if abs(total - 1.0) > 0.05:
        assert gap > 1e-3
    y1 = y / y.sum()  # normalised: p - y is exact
    assert rel_error(L.asker_gradient(p, y1), p - y1) < 1e-13


@settings(max_examples=30, deadline=None)
@given(seed=seeds, C=st.integers(2, 6), H=n_hidden)
def test_gradient_with_respect_to_h_is_V_transposed_times_p_minus_y(seed, C, H):
    rng = np.random.default_rng(seed)
    V, c, h = rng.normal(size=(C, H)), rng.normal(size=C), rng.normal(size=H)
    y = np.eye(C)[rng.integers(C)]
    p = L.softmax(V @ h + c)
    fd = numerical_gradient(lambda: L.cross_entropy((V @ h + c)[None], y[None])[0], h)
    assert rel_error(V.T @ (p - y), fd) < TOL
    # the chain rule through ŷ: dL/dŷ = -y/ŷ, then the Jacobian; the ŷ_i cancel
    assert rel_error(L.output_jacobian(p, V).T @ (-y / p), fd) < TOL


# ------------------------------------------------------------------- entropy and KL


@settings(max_examples=40, deadline=None)
@given(seed=seeds, C=st.integers(1, 6), onehot=st.booleans())
def test_cross_entropy_is_entropy_plus_kl(seed, C, onehot):
    rng = np.random.default_rng(seed)
    o = logits(rng, C)
    y = np.eye(C)[rng.integers(C)] if onehot else rng.dirichlet(np.ones(C))
    ce = L.cross_entropy(o[None], y[None])[0]
    kl = L.kl_divergence(y, L.softmax(o))
    H = L.entropy(y)
    assert ce == pytest.approx(H + kl, rel=1e-12, abs=1e-13)
    assert kl >= -1e-15 and H >= 0
    if onehot:
        assert H == 0.0 and kl == pytest.approx(ce, rel=1e-12, abs=1e-15)
    assert L.kl_divergence(y, y) == pytest.approx(0.0, abs=1e-15)


def test_entropy_and_kl_known_values():
    assert L.entropy(np.full(4, 0.25)) == pytest.approx(np.log(4), rel=1e-15)
    assert L.entropy(np.array([0.0, 1.0])) == 0.0
    assert L.kl_divergence(np.array([0.5, 0.5]), np.array([0.25, 0.75])) == pytest.approx(
        0.5 * np.log(2) + 0.5 * np.log(2 / 3), rel=1e-14
    )
    assert L.kl_divergence(np.array([0.5, 0.5]), np.array([0.0, 1.0])) == np.inf


def test_float32_in_float32_out():
    O = np.array([[1.0, 2.0, 0.5]], dtype=np.float32)
    assert L.softmax(O).dtype == np.float32 and L.log_softmax(O).dtype == np.float32
    assert L.cross_entropy(O, np.array([[0.2, 0.3, 0.5]], dtype=np.float32))[1].dtype == np.float32
    assert L.nll_loss(O, np.array([1]))[1].dtype == np.float32
    assert L.output_jacobian(L.softmax(O[0]), np.ones((3, 2), dtype=np.float32)).dtype == np.float32


# ------------------------------------------------------------------- the RNN uses the same gradient


def test_many_to_one_nll_direct_term_is_V_transposed_times_p_minus_y():
    N, T, D, H, C = 3, 4, 2, 5, 3
    rng = np.random.default_rng(0)
    params = bptt.init_params(D, H, C, seed=0)
    X, y = rng.normal(size=(N, T, D)), rng.integers(0, C, size=N)
    d = bptt.rnn.backward_details(params, X, y, loss="nll", last_only=True)
    P = L.softmax(d.Hs[:, -1] @ params.V.T + params.c)
    assert rel_error(d.direct[:, -1], (P - np.eye(C)[y]) @ params.V / N) < 1e-14
    assert (
        rel_error(d.grads.c, L.nll_loss(d.Hs[:, -1] @ params.V.T + params.c, y)[1].sum(axis=0))
        < 1e-14
    )


# ------------------------------------------------------------------- bad input

GOOD = np.array([[0.1, 0.2, 0.3]])


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: L.softmax(np.float64(1.0)), ValueError, ["O", "(..., C)", "0-D"]),
        (lambda: L.softmax(np.zeros((2, 0))), ValueError, ["O", "C >= 1"]),
        (lambda: L.softmax(GOOD, axis=2), ValueError, ["axis", "(1, 3)"]),
        (lambda: L.log_softmax(np.array([1.0, np.nan])), ValueError, ["O", "NaN or inf"]),
        (lambda: L.logsumexp("abc"), TypeError, ["O", "(..., C)"]),
        (lambda: L.softmax_naive(np.array([np.inf, 0.0])), ValueError, ["O", "NaN or inf"]),
        (lambda: L.softmax_jacobian(GOOD), ValueError, ["p", "(C,)", "2-D"]),
        (lambda: L.output_jacobian(GOOD[0], np.ones((4, 2))), ValueError, ["V", "(C, H)", "C = 3"]),
        (lambda: L.output_jacobian(GOOD[0], np.ones(3)), ValueError, ["V", "(C, H)", "1-D"]),
        (lambda: L.asker_gradient(GOOD[0], np.ones(4)), ValueError, ["y", "(C,)", "(3,)"]),
        (lambda: L.nll_loss(GOOD, np.array([3])), ValueError, ["y", "label 3", "[0, 3)"]),
        (lambda: L.nll_loss(GOOD, np.array([1.0])), TypeError, ["y", "integer", "astype(int)"]),
        (lambda: L.nll_loss(GOOD, np.array([0, 1])), ValueError, ["y", "(N,)", "(1,)"]),
        (lambda: L.nll_loss(GOOD[0], np.array([0])), ValueError, ["O", "(N, C)", "1-D"]),
        (
            lambda: L.nll_loss(np.zeros((0, 3)), np.array([], dtype=int)),
            ValueError,
            ["O", "N >= 1"],
        ),
        (lambda: L.cross_entropy(GOOD, np.ones((1, 4))), ValueError, ["Y", "(N, C)", "(1, 3)"]),
        (lambda: L.cross_entropy(GOOD, np.ones(3)), ValueError, ["Y", "(N, C)", "1-D"]),
        (lambda: L.mse_loss(GOOD, np.ones((2, 3))), ValueError, ["Y", "(N, C)", "(1, 3)"]),
        (lambda: L.mse_loss(GOOD, np.array([[1.0, np.inf, 0.0]])), ValueError, ["Y", "NaN or inf"]),
        (lambda: L.entropy(np.array([0.5, 0.6])), ValueError, ["p", "(C,)", "summing to 1"]),
        (lambda: L.entropy(np.array([1.5, -0.5])), ValueError, ["p", "(C,)", ">= 0"]),
        (lambda: L.entropy(np.zeros(0)), ValueError, ["p", "C >= 1"]),
        (
            lambda: L.kl_divergence(np.array([0.5, 0.5]), np.array([0.2, 0.3, 0.5])),
            ValueError,
            ["q", "(C,)", "(2,)"],
        ),
        (
            lambda: L.kl_divergence(np.array([0.5, 0.5]), np.array([0.7, 0.7])),
            ValueError,
            ["q", "summing to 1"],
        ),
        (
            lambda: L.kl_divergence(np.full((2, 2), 0.25), np.full(4, 0.25)),
            ValueError,
            ["p", "(C,)", "2-D"],
        ),
    ],
)
def test_bad_input_names_the_argument_and_shape(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for w in words:
        assert w in str(info.value), (w, str(info.value))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nll_loss_stays_finite_when_the_label_probability_underflows(dtype):
    O = np.array([[0.0, 3000.0, 0.0], [5.0, 0.0, 0.0]], dtype=dtype)
    loss, dO = bptt.losses.nll_loss(O, np.array([0, 0]))
    p = np.exp(5.0) / (np.exp(5.0) + 2)
    assert loss == pytest.approx((3000.0 - np.log(p)) / 2, rel=1e-6) and dO.dtype == dtype
    assert dO == pytest.approx(
        np.array([[-1, 1, 0], [p - 1, (1 - p) / 2, (1 - p) / 2]]) / 2, abs=1e-6
    )
