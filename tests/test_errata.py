"""bptt.errata: the numerical total derivative dL/dh_t and the expanded softmax derivative."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bptt
from bptt import errata as E
from bptt import losses, rnn
from bptt.gradcheck import numerical_gradient, rel_error

TOL = 1e-7


def agree(a, b):
    """Central differences agree with backprop: relative error < 1e-7, or (for gradients near zero,
    where the difference quotient's round-off of about 1e-10 dominates) every entry within 1e-9."""
    return rel_error(a, b) < TOL or np.max(np.abs(np.asarray(a) - b)) < 1e-9


problem = bptt.data.random_problem


# ------------------------------------------------------------------- tail_loss / total_grad_h


@settings(max_examples=25, deadline=None)
@given(
    N=st.integers(1, 3),
    T=st.integers(1, 5),
    D=st.integers(1, 3),
    H=st.integers(1, 4),
    C=st.integers(2, 4),
    seed=st.integers(0, 10_000),
    loss=st.sampled_from(["mse", "nll"]),
    last_only=st.booleans(),
)
def test_total_grad_h_equals_backprop_g_t(N, T, D, H, C, seed, loss, last_only):
    params, X, targets, h0 = problem(N, T, D, H, C, seed, loss, last_only)
    det = rnn.backward_details(params, X, targets, loss=loss, h0=h0, last_only=last_only)
    for t in range(1, T + 1):
        g = E.total_grad_h(params, X, targets, t, loss=loss, h0=h0, last_only=last_only)
        assert g.shape == (N, H)
        assert agree(g, det.G[:, t - 1])
    dh0 = rnn.loss_and_grads(params, X, targets, loss=loss, h0=h0, last_only=last_only).dh0
    assert agree(E.total_grad_h(params, X, targets, 0, loss=loss, h0=h0, last_only=last_only), dh0)


@pytest.mark.parametrize("loss", ["mse", "nll"])
@pytest.mark.parametrize("last_only", [False, True])
def test_tail_loss_is_the_whole_loss_minus_a_constant(loss, last_only):
    params, X, targets, h0 = problem(2, 5, 3, 4, 3, 7, loss, last_only)
    full = (bptt.many_to_one if last_only else bptt.many_to_many)(
        params, X, targets, loss=loss, h0=h0
    )[0]
    assert abs(E.tail_loss(params, X, targets, 0, h0, loss, last_only) - full) < 1e-12
    Hs = rnn.forward(params, X, h0=h0)[0]
    for t in range(1, 6):  # L - tail_t is the sum of the losses before t: it must not move with h_t
        steps_before = (
            0.0
            if last_only
            else sum(
                (losses.mse_loss if loss == "mse" else losses.nll_loss)(
                    Hs[:, s] @ params.V.T + params.c, targets[:, s]
                )[0]
                for s in range(t - 1)
            )
        )
        assert (
            abs(
                full
                - E.tail_loss(params, X, targets, t, Hs[:, t - 1], loss, last_only)
                - steps_before
            )
            < 1e-12
        )


def test_partial_derivative_differs_from_total():
    """Many-to-one: L reads h_t (t < T) only through later states: ∂L/∂h_t = 0, dL/dh_t ≠ 0."""
    params, X, y, h0 = problem(1, 4, 2, 3, 2, 3, "mse", True)
    g = E.total_grad_h(params, X, y, 2, loss="mse", h0=h0, last_only=True)
    assert np.linalg.norm(g) > 1e-3


def test_tail_loss_rejects_bad_input():
    params, X, Y, h0 = problem(2, 3, 2, 3, 2, 0, "mse", False)
    with pytest.raises(ValueError, match="t must be a step in 0..T"):
        E.tail_loss(params, X, Y, 4, h0)
    with pytest.raises(ValueError, match=r"t must be an integer >= 0"):
        E.total_grad_h(params, X, Y, -1)
    with pytest.raises(TypeError, match="t must be an integer"):
        E.tail_loss(params, X, Y, 1.0, h0)
    with pytest.raises(ValueError, match=r"h must have shape \(N, H\)"):
        E.tail_loss(params, X, Y, 1, np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"Y must have shape \(N, T, C\)"):
        E.tail_loss(params, X, Y[:, :2], 1, h0)


# ------------------------------------------------------------------- the expanded quotient rule


@settings(max_examples=40, deadline=None)
@given(
    C=st.integers(2, 5),
    H=st.integers(1, 6),
    seed=st.integers(0, 10_000),
    scale=st.floats(0.1, 30.0),
)
def test_corrected_expansion_is_the_first_row_of_the_jacobian(C, H, seed, scale):
    rng = np.random.default_rng(seed)
    V, c, h = rng.normal(size=(C, H)) * scale, rng.normal(size=C), np.tanh(rng.normal(size=H))
    right = E.expanded_dyhat1_dh(V, c, h, as_written=False)
    J = losses.output_jacobian(losses.softmax(V @ h + c), V)
    assert np.allclose(right, J[0], rtol=1e-10, atol=1e-14)


def test_corrected_expansion_matches_central_differences():
    rng = np.random.default_rng(1)
    V, c, h = rng.normal(size=(3, 5)), rng.normal(size=3), np.tanh(rng.normal(size=5))
    fd = numerical_gradient(lambda: losses.softmax(V @ h + c)[0], h)
    assert rel_error(E.expanded_dyhat1_dh(V, c, h, as_written=False), fd) < TOL
    assert rel_error(E.expanded_dyhat1_dh(V, c, h, as_written=True), fd) > 0.1


def test_as_written_is_right_exactly_when_every_row_of_V_is_row_one():
    rng = np.random.default_rng(2)
    row, c, h = rng.normal(size=4), rng.normal(size=3), rng.normal(size=4)
    V = np.tile(row, (3, 1))
    assert np.allclose(
        E.expanded_dyhat1_dh(V, c, h), E.expanded_dyhat1_dh(V, c, h, as_written=False)
    )


def test_no_overflow_for_large_logits():
    V, c, h = np.array([[400.0, 0.0], [0.0, 300.0]]), np.array([500.0, 0.0]), np.array([1.0, 1.0])
    assert np.all(np.isfinite(E.expanded_dyhat1_dh(V, c, h)))
    assert np.all(np.isfinite(E.expanded_dyhat1_dh(V, c, h, as_written=False)))


def test_expansion_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"c must have shape \(C,\)"):
        E.expanded_dyhat1_dh(np.ones((3, 5)), np.ones(2), np.ones(5))
    with pytest.raises(ValueError, match=r"h must have shape \(H,\)"):
        E.expanded_dyhat1_dh(np.ones((3, 5)), np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match=r"V must have shape \(C, H\)"):
        E.expanded_dyhat1_dh(np.ones(3), np.ones(3), np.ones(4))


def test_table_cells_split_where_the_page_does():
    md = "| a | b |\n|---|---|\n| `x` | 1.5 |\n| *y* | w = −1.1: \\|h\\| = 2 |\n"
    assert E.table_cells(md) == [["x", "1.5"], ["y", "w = −1.1: |h| = 2"]]
    assert E.table_cells("| a | b |\n|---|---|\n| w: |h| | 2 |\n")[0][:2] == ["w:", "h"]
    with pytest.raises(TypeError, match="markdown must be a str"):
        E.table_cells(None)
