"""Tests for bptt.jacobian: the formal (4-D Jacobian) and compact routes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bptt
from bptt import jacobian as jac

sizes = st.integers(min_value=1, max_value=5)


def problem(N, D, D1, C, seed=0):
    rng = np.random.default_rng(seed)
    net = jac.init_two_layer(D, D1, C, seed=seed + 1)
    X = rng.normal(size=(N, D))
    y = rng.integers(0, C, size=N)
    return net, X, y


def fd_param(net, X, y, name):
    arr = getattr(net, name).copy()
    return arr, bptt.numerical_gradient(
        lambda: jac.two_layer_loss(net._replace(**{name: arr}), X, y), arr
    )


# ------------------------------------------------------------------- two-layer network


@settings(max_examples=25, deadline=None)
@given(N=sizes, D=sizes, D1=sizes, C=st.integers(2, 5), seed=st.integers(0, 1000))
def test_compact_gradients_match_central_differences(N, D, D1, C, seed):
    net, X, y = problem(N, D, D1, C, seed)
    g = jac.compact_backward(net, X, y)
    for name, grad in (("W1", g.dW1), ("b1", g.db1), ("W2", g.dW2), ("b2", g.db2)):
        arr, fd = fd_param(net, X, y, name)
        assert grad.shape == arr.shape
        assert bptt.rel_error(grad, fd) < 1e-7, name


@settings(max_examples=25, deadline=None)
@given(N=sizes, D=sizes, D1=sizes, C=st.integers(2, 4), seed=st.integers(0, 1000))
def test_formal_route_equals_compact_route_in_both_orders(N, D, D1, C, seed):
    net, X, y = problem(N, D, D1, C, seed)
    compact = jac.compact_backward(net, X, y).dW1
    right = jac.formal_backward(net, X, y)
    left = jac.formal_backward(net, X, y, order="left")
    assert right.dW1.shape == (D1, D)
    assert bptt.rel_error(right.dW1, compact) < 1e-12
    assert bptt.rel_error(left.dW1, compact) < 1e-12


def test_each_jacobian_matches_probed_central_differences():
    rng = np.random.default_rng(3)
    net, X, y = problem(4, 3, 5, 3, seed=3)
    fw = jac.two_layer_forward(net, X)
    W1, Z1, Z2, P = net.W1.copy(), fw.Z1.copy(), fw.Z2.copy(), fw.P.copy()
    R1, R2, R3 = rng.normal(size=Z1.shape), rng.normal(size=Z2.shape), rng.normal(size=P.shape)
    J1 = jac.jacobian_Z1_W1(X, 5)
    J2 = jac.jacobian_Z2_Z1(fw.A1, net.W2)
    J3 = jac.jacobian_P_Z2(fw.P)
    assert J1.shape == (5, 3, 4, 5) and J2.shape == (4, 5, 4, 3) and J3.shape == (4, 3, 4, 3)
    fd1 = bptt.numerical_gradient(lambda: np.sum(R1 * (X @ W1.T + net.b1)), W1)
    fd2 = bptt.numerical_gradient(lambda: np.sum(R2 * (np.tanh(Z1) @ net.W2.T + net.b2)), Z1)
    fd3 = bptt.numerical_gradient(lambda: np.sum(R3 * bptt.losses.softmax(Z2)), Z2)
    fd4 = bptt.numerical_gradient(lambda: -np.log(P[np.arange(4), y]).mean(), P)
    assert bptt.rel_error(np.tensordot(J1, R1, axes=2), fd1) < 1e-7
    assert bptt.rel_error(np.tensordot(J2, R2, axes=2), fd2) < 1e-7
    assert bptt.rel_error(np.tensordot(J3, R3, axes=2), fd3) < 1e-7
    assert bptt.rel_error(jac.grad_L_P(fw.P, y), fd4) < 1e-7


@settings(max_examples=20, deadline=None)
@given(N=sizes, D=sizes, D1=sizes, seed=st.integers(0, 1000))
def test_each_slice_of_dZ1_dW1_has_N_nonzeros(N, D, D1, seed):
    X = np.random.default_rng(seed).normal(size=(N, D))  # no exact zeros
    J = jac.jacobian_Z1_W1(X, D1)
    for i in range(D1):
        for j in range(D):
            assert np.count_nonzero(J[i, j]) == N
            np.testing.assert_array_equal(J[i, j][:, i], X[:, j])
    assert np.count_nonzero(J) == N * D * D1


@settings(max_examples=20, deadline=None)
@given(N=sizes, D=sizes, D1=sizes, C=st.integers(2, 4))
def test_nbytes_formulas_are_exact(N, D, D1, C):
    net, X, y = problem(N, D, D1, C)
    form = jac.formal_backward(net, X, y)
    nb = jac.jacobian_nbytes(N, D, D1, C)
    assert nb["dZ1/dW1"] == form.J_Z1_W1.nbytes
    assert nb["dZ2/dZ1"] == form.J_Z2_Z1.nbytes
    assert nb["dP/dZ2"] == form.J_P_Z2.nbytes
    assert nb["total"] == form.nbytes
    g = jac.compact_backward(net, X, y)
    cb = jac.compact_nbytes(N, D, D1, C)
    assert cb["total"] == g.dZ2.nbytes + g.dA1.nbytes + g.dZ1.nbytes
    assert jac.jacobian_nbytes(N, D, D1, C, itemsize=4)["total"] * 2 == nb["total"]


def test_source_003_formula_is_wrong():
    # D1 != C: X^T dZ2 does not even have the shape of dL/dW1 (row orientation: D x D1)
    net, X, y = problem(6, 4, 3, 2)
    g = jac.compact_backward(net, X, y)
    assert (X.T @ g.dZ2).shape != g.dW1.T.shape
    # D1 == C: the shapes agree and the numbers are far off, for every draw
    for seed in range(10):
        net, X, y = problem(8, 4, 3, 3, seed=seed)
        g = jac.compact_backward(net, X, y)
        assert bptt.rel_error(X.T @ g.dZ2, g.dW1.T) > 0.3
        assert bptt.rel_error(X.T @ g.dZ1, g.dW1.T) < 1e-14


def test_forward_and_loss_agree_with_nll_loss():
    net, X, y = problem(5, 3, 4, 3)
    fw = jac.two_layer_forward(net, X)
    np.testing.assert_allclose(fw.P.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    loss, _ = bptt.losses.nll_loss(fw.Z2, y)
    assert abs(jac.two_layer_loss(net, X, y) - loss) < 1e-14
    assert net.sizes == (3, 4, 3)


def test_measure_route_costs():
    c = jac.measure_route_costs([2, 3, 5], repeats=1)
    np.testing.assert_array_equal(c["formal_bytes"], [24 * n**4 for n in (2, 3, 5)])
    np.testing.assert_array_equal(c["compact_bytes"], [24 * n**2 for n in (2, 3, 5)])
    assert np.all(c["formal_seconds"] > 0) and np.all(c["compact_seconds"] > 0)


def test_format_bytes():
    assert jac.format_bytes(0) == "0 B"
    assert jac.format_bytes(320) == "320 B"
    assert jac.format_bytes(3440) == "3.44 kB"
    assert jac.format_bytes(24 * 1000**4) == "24 TB"
    with pytest.raises(ValueError, match="n_bytes"):
        jac.format_bytes(-1)


# ------------------------------------------------------------------- bad input


def test_bad_input_names_the_argument():
    net, X, y = problem(4, 3, 2, 3)
    with pytest.raises(TypeError, match="net"):
        jac.compact_backward("net", X, y)
    with pytest.raises(ValueError, match="net.W2"):
        jac.compact_backward(net._replace(W2=np.zeros((3, 5))), X, y)
    with pytest.raises(ValueError, match="net.b1"):
        jac.compact_backward(net._replace(b1=np.zeros(7)), X, y)
    with pytest.raises(ValueError, match=r"X must have shape \(N, D\)"):
        jac.compact_backward(net, X[:, :2], y)
    with pytest.raises(ValueError, match="X"):
        jac.two_layer_forward(net, X[0])
    with pytest.raises(ValueError, match="y"):
        jac.formal_backward(net, X, np.array([0, 1, 2, 3]))  # label 3 with C = 3
    with pytest.raises(TypeError, match="y"):
        jac.two_layer_loss(net, X, y.astype(float))
    with pytest.raises(ValueError, match="y"):
        jac.two_layer_loss(net, X, y[:2])
    with pytest.raises(ValueError, match="order"):
        jac.formal_backward(net, X, y, order="middle")
    with pytest.raises(ValueError, match="W2"):
        jac.jacobian_Z2_Z1(np.zeros((4, 2)), np.zeros((3, 5)))
    with pytest.raises(ValueError, match="P"):
        jac.jacobian_P_Z2(np.zeros(3))
    with pytest.raises(ValueError, match="n_hidden"):
        jac.jacobian_Z1_W1(X, 0)
    with pytest.raises(ValueError, match="n_batch"):
        jac.jacobian_nbytes(0, 1, 1, 1)
    with pytest.raises(TypeError, match="n_output"):
        jac.compact_nbytes(1, 1, 1, 2.5)
    with pytest.raises(ValueError, match="sizes"):
        jac.measure_route_costs([1, 2])
    with pytest.raises(ValueError, match="scale"):
        jac.init_two_layer(2, 2, 2, scale=0)
    with pytest.raises(ValueError, match="finite"):
        jac.compact_backward(net, np.full_like(X, np.nan), y)
