"""bptt.dynamics: the IIR filter, backward Jacobian products, the norm bound, spectral norms."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bptt
from bptt import dynamics as dy
from bptt.gradcheck import numerical_gradient, rel_error

TOL = 1e-7
EPS = 1e-5


def random_run(N, T, D, H, seed, activation="tanh", w_scale=1.5):
    rng = np.random.default_rng(seed)
    W = rng.normal(0, w_scale / np.sqrt(H), (H, H))
    U = rng.normal(0, 1 / np.sqrt(D), (H, D))
    b = rng.normal(0, 0.1, H)
    X = rng.normal(size=(N, T, D))
    h0 = rng.normal(0, 0.5, (N, H))
    Hs, Fp = dy.run_states(W, U, X, b=b, h0=h0, activation=activation)
    return W, U, b, X, h0, Hs, Fp


# ------------------------------------------------------------------- IIR filter


def test_impulse_response_values_of_source_004():
    assert np.allclose(dy.impulse_response(-0.9, 4), [1.0, -0.9, 0.81, -0.729], rtol=0, atol=1e-15)
    assert np.allclose(dy.impulse_response(-1.1, 4), [1.0, -1.1, 1.21, -1.331], rtol=0, atol=1e-15)


@settings(max_examples=40, deadline=None)
@given(w=st.floats(-1.5, 1.5), n=st.integers(1, 40))
def test_impulse_response_is_power_of_w(w, n):
    h = dy.impulse_response(w, n)
    assert h.shape == (n,)
    assert np.allclose(h, w ** np.arange(n), rtol=1e-12, atol=1e-300)


@settings(max_examples=30, deadline=None)
@given(
    w=st.floats(-1.2, 1.2), n=st.integers(1, 30), h_init=st.floats(-2, 2), seed=st.integers(0, 1000)
)
def test_iir_filter_is_a_convolution_with_the_impulse_response(w, n, h_init, seed):
    x = np.random.default_rng(seed).normal(size=n)
    h = dy.iir_filter(w, x, h_init=h_init)
    t = np.arange(n)
    expected = (
        np.array([np.sum(w ** (ti - np.arange(ti + 1)) * x[: ti + 1]) for ti in t])
        + w ** (t + 1) * h_init
    )
    assert np.allclose(h, expected, rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------- matrices


def test_spectral_norm_and_radius():
    W = dy.nonnormal_example(0.9, 1.0)
    assert dy.spectral_radius(W) == pytest.approx(0.9, abs=1e-12)
    assert dy.spectral_norm(W) == pytest.approx(1.5295630141, abs=1e-9)
    S = np.array([[0.5, 0.2], [0.2, -0.7]])  # symmetric: the two coincide
    assert dy.spectral_norm(S) == pytest.approx(dy.spectral_radius(S), rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(H=st.integers(1, 12), rho=st.floats(0.1, 3.0), seed=st.integers(0, 1000))
def test_rescaled_matrix_has_requested_radius_and_norm_dominates(H, rho, seed):
    W = dy.random_recurrent(H, rho, seed)
    assert W.shape == (H, H)
    assert dy.spectral_radius(W) == pytest.approx(rho, rel=1e-9)
    assert dy.spectral_norm(W) >= dy.spectral_radius(W) * (1 - 1e-12)


def test_nonnormal_example_grows_before_it_decays():
    W = dy.nonnormal_example()
    n = dy.norms_by_lag(W, np.ones((1, 100, 2)), np.array([[1.0, 0.0]]))[0]
    assert n[10] == pytest.approx(np.hypot(0.9**10, 10 * 0.9**9), rel=1e-12)
    assert 3.88 < n[10] < 3.90 and n[100] < 0.003
    assert np.allclose(np.linalg.matrix_power(W, 7), [[0.9**7, 7 * 0.9**6], [0, 0.9**7]])


# ------------------------------------------------------------------- states and Jacobians


def test_run_states_tanh_matches_the_package_forward():
    params = bptt.init_params(3, 5, 2, seed=4)
    X = np.random.default_rng(4).normal(size=(2, 6, 3))
    h0 = np.random.default_rng(5).normal(size=(2, 5))
    Hs, Fp = dy.run_states(params.W, params.U, X, b=params.b, h0=h0)
    Hs_ref = bptt.rnn.forward(params, X, h0=h0)[0]
    assert rel_error(Hs, Hs_ref) < 1e-14
    assert np.array_equal(Fp, 1 - Hs**2)


@settings(max_examples=25, deadline=None)
@given(
    T=st.integers(1, 6),
    H=st.integers(1, 5),
    D=st.integers(1, 3),
    seed=st.integers(0, 10_000),
    activation=st.sampled_from(dy.ACTIVATIONS),
    data=st.data(),
)
def test_jacobian_product_equals_central_differences(T, H, D, seed, activation, data):
    k = data.draw(st.integers(1, T))
    W, U, b, X, h0, Hs, Fp = random_run(1, T, D, H, seed, activation)
    assert np.array_equal(dy.jacobian_product(W, Fp, 0)[0], np.eye(H))  # J_0 = I
    J = dy.jacobian_product(W, Fp, k)[0]
    h_start = (h0 if k == T else Hs[:, T - k - 1]).copy()  # h_{T-k} (1, H), perturbed below

    def h_T(i):
        return dy.run_states(W, U, X[:, T - k :], b=b, h0=h_start, activation=activation)[0][
            0, -1, i
        ]

    J_fd = np.stack([numerical_gradient(lambda i=i: h_T(i), h_start, eps=EPS)[0] for i in range(H)])
    assert rel_error(J, J_fd) < TOL


@settings(max_examples=25, deadline=None)
@given(N=st.integers(1, 3), T=st.integers(1, 8), H=st.integers(1, 6), seed=st.integers(0, 10_000))
def test_backprop_by_lag_is_the_transposed_jacobian_times_g(N, T, H, seed):
    W, U, b, X, h0, Hs, Fp = random_run(N, T, 2, H, seed)
    g = np.random.default_rng(seed).normal(size=(N, H))
    G = dy.backprop_by_lag(W, Fp, g)
    assert G.shape == (N, T + 1, H)
    for k in range(T + 1):
        J = dy.jacobian_product(W, Fp, k)
        assert rel_error(G[:, k], np.einsum("nij,ni->nj", J, g)) < 1e-12


@settings(max_examples=20, deadline=None)
@given(
    N=st.integers(1, 3),
    T=st.integers(1, 7),
    H=st.integers(1, 5),
    C=st.integers(1, 3),
    seed=st.integers(0, 10_000),
)
def test_backprop_by_lag_matches_package_bptt_many_to_one(N, T, H, C, seed):
    rng = np.random.default_rng(seed)
    params = bptt.init_params(2, H, C, seed=seed)
    X, y, h0 = rng.normal(size=(N, T, 2)), rng.normal(size=(N, C)), rng.normal(size=(N, H))
    det = bptt.rnn.backward_details(params, X, y, loss="mse", h0=h0, last_only=True)
    _, Fp = dy.run_states(params.W, params.U, X, b=params.b, h0=h0)
    G = dy.backprop_by_lag(params.W, Fp, det.G[:, T - 1])
    for k in range(T):  # det.G[:, t-1] = g_t
        assert rel_error(G[:, k], det.G[:, T - 1 - k]) < 1e-12
    dh0 = bptt.rnn.loss_and_grads(params, X, y, loss="mse", h0=h0, last_only=True).dh0
    assert rel_error(G[:, T], dh0) < 1e-12


@settings(max_examples=40, deadline=None)
@given(
    T=st.integers(1, 30),
    H=st.integers(1, 10),
    seed=st.integers(0, 10_000),
    w_scale=st.floats(0.1, 4.0),
    activation=st.sampled_from(dy.ACTIVATIONS),
)
def test_norm_bound_holds_on_random_draws(T, H, seed, w_scale, activation):
    W, U, b, X, h0, Hs, Fp = random_run(2, T, 3, H, seed, activation, w_scale)
    g = np.random.default_rng(seed + 1).normal(size=(2, H))
    norms = dy.norms_by_lag(W, Fp, g)
    for gamma in (1.0, dy.GAMMA[activation]):
        bound = dy.lag_bound(W, T, gamma=gamma)[None] * np.linalg.norm(g, axis=1, keepdims=True)
        assert np.all(norms <= bound * (1 + 1e-10) + 1e-300)


def test_linear_jacobian_product_is_a_matrix_power():
    W = dy.random_recurrent(4, 1.2, seed=3)
    J = dy.jacobian_product(W, np.ones((1, 9, 4)), 9)[0]
    assert rel_error(J, np.linalg.matrix_power(W, 9)) < 1e-13


def test_lag_experiment_regimes():
    vanish = dy.lag_experiment(0.5, 1.0)
    assert vanish.norms.shape == (61,) and vanish.norms[0] == pytest.approx(1.0)
    assert vanish.spectral_norm < 1 and vanish.norms[59] < 1e-20
    saturated = dy.lag_experiment(1.5, 1.0)
    small_input = dy.lag_experiment(1.5, 0.1)
    linear = dy.lag_experiment(1.5, 1.0, activation="linear")
    assert saturated.norms[59] < 1 < small_input.norms[59] < linear.norms[59]
    assert linear.mean_fprime == 1.0 and saturated.mean_fprime < small_input.mean_fprime < 1


# ------------------------------------------------------------------- per-step contributions


@pytest.mark.parametrize("loss", ["mse", "nll"])
def test_dW_by_loss_and_step_sums_to_the_step_gradients(loss):
    rng = np.random.default_rng(0)
    N, T, D, H, C = 2, 6, 3, 4, 3
    params = bptt.init_params(D, H, C, seed=1)
    X = rng.normal(size=(N, T, D))
    Y = rng.normal(size=(N, T, C)) if loss == "mse" else rng.integers(0, C, (N, T))
    P = dy.dW_by_loss_and_step(params, X, Y, loss=loss)
    assert P.shape == (T, T, H, H)
    assert np.all(P[np.triu_indices(T, 1)] == 0)  # no loss reaches a later copy
    det = bptt.rnn.backward_details(params, X, Y, loss=loss)
    assert rel_error(P.sum(axis=0), det.dW_steps) < 1e-12
    _, grads = bptt.many_to_many(params, X, Y, loss=loss)
    assert rel_error(P.sum(axis=(0, 1)), grads.W) < 1e-12


def test_mean_by_lag():
    M = np.array([[1.0, 0, 0], [2.0, 3.0, 0], [4.0, 5.0, 7.0]])
    assert np.allclose(dy.mean_by_lag(M), [11 / 3, 3.5, 4.0])


# ------------------------------------------------------------------- validation and figures


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: dy.impulse_response("a", 3), TypeError, "w"),
        (lambda: dy.impulse_response(0.5, 0), ValueError, "n_steps"),
        (lambda: dy.iir_filter(0.5, np.zeros((2, 2))), ValueError, "(T,)"),
        (lambda: dy.spectral_norm(np.zeros((2, 3))), ValueError, "(H, H)"),
        (lambda: dy.rescale_to_spectral_radius(np.eye(2), -1.0), ValueError, "rho"),
        (
            lambda: dy.rescale_to_spectral_radius(np.array([[0.0, 1.0], [0.0, 0.0]]), 1.0),
            ValueError,
            "nilpotent",
        ),
        (
            lambda: dy.jacobian_product(np.eye(2), np.ones((1, 3, 2)), 4),
            ValueError,
            "k must be at most",
        ),
        (lambda: dy.jacobian_product(np.eye(2), np.ones((1, 3, 3)), 1), ValueError, "Fp"),
        (
            lambda: dy.backprop_by_lag(np.eye(2), np.ones((2, 3, 2)), np.ones((1, 2))),
            ValueError,
            "g_last",
        ),
        (
            lambda: dy.run_states(
                np.eye(2), np.ones((2, 1)), np.ones((1, 3, 1)), activation="relu"
            ),
            ValueError,
            "activation",
        ),
        (lambda: dy.run_states(np.eye(2), np.ones((3, 1)), np.ones((1, 3, 1))), ValueError, "U"),
        (lambda: dy.run_states(np.eye(2), np.ones((2, 1)), np.ones((1, 3, 2))), ValueError, "X"),
        (lambda: dy.lag_experiment(1.0, -1.0), ValueError, "input_scale"),
        (lambda: dy.mean_by_lag(np.ones((2, 3))), ValueError, "(T, T)"),
        (
            lambda: dy.dW_by_loss_and_step("p", np.ones((1, 2, 1)), np.ones((1, 2, 1))),
            TypeError,
            "params",
        ),
    ],
)
def test_bad_input_is_named(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    assert words in str(info.value)
