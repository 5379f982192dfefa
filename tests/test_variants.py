"""bptt.variants: the right alternatives equal the package, and every wrong one really differs.

The variants are the teaching loop with switches (bptt.switches); tests/test_switches.py checks
each switch against an independent reference.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bptt
from bptt import variants as V
from bptt.gradcheck import numerical_gradient, rel_error
from bptt.switches import Switches

EXACT = 1e-12  # two ways of adding the same terms
WRONG = 1e-2  # a wrong gradient is off by far more than this
sizes = st.tuples(
    st.integers(1, 3), st.integers(1, 6), st.integers(1, 4), st.integers(1, 5), st.integers(2, 4)
)


problem = bptt.data.random_problem


def err(a, b):
    """Largest relative error over the five gradients."""
    return max(rel_error(x, y) for x, y in zip(a, b))


def truth(params, X, targets, loss, h0, last_only):
    f = bptt.many_to_one if last_only else bptt.many_to_many
    return f(params, X, targets, loss=loss, h0=h0)


# ------------------------------------------------------------------- right alternatives


@settings(max_examples=30, deadline=None)
@given(
    sizes=sizes,
    seed=st.integers(0, 10_000),
    loss=st.sampled_from(["mse", "nll"]),
    with_h0=st.booleans(),
    last_only=st.booleans(),
)
def test_per_loss_passes_sum_to_one_accumulated_pass(sizes, seed, loss, with_h0, last_only):
    params, X, targets, h0 = problem(*sizes, seed, loss, last_only, with_h0)
    L, grads = truth(params, X, targets, loss, h0, last_only)
    L2, grads2 = V.per_loss_passes(params, X, targets, loss=loss, h0=h0, last_only=last_only)
    assert abs(L - L2) <= EXACT * max(1.0, abs(L))
    assert err(grads, grads2) < EXACT


@settings(max_examples=20, deadline=None)
@given(sizes=sizes, seed=st.integers(0, 10_000), loss=st.sampled_from(["mse", "nll"]))
def test_each_per_loss_pass_is_the_gradient_of_its_own_loss(sizes, seed, loss):
    params, X, Y, h0 = problem(*sizes, seed, loss)
    parts = V.per_loss_grads(params, X, Y, loss=loss, h0=h0)
    assert [s for s, _, _ in parts] == list(range(1, X.shape[1] + 1))
    for s, L_s, g_s in parts:  # L_s depends on x_1..x_s only: a many-to-one problem of length s
        L_ref, g_ref = bptt.many_to_one(params, X[:, :s], Y[:, s - 1], loss=loss, h0=h0)
        assert abs(L_s - L_ref) < EXACT * max(1.0, abs(L_ref))
        assert err(g_s, g_ref) < EXACT


def test_row_vector_letters_transpose():
    p = bptt.init_params(3, 4, 2, seed=1)
    r = V.row_vector_letters(p)
    assert r["W_h"].shape == (4, 4) and r["W_x"].shape == (3, 4) and r["V"].shape == (4, 2)
    np.testing.assert_array_equal(r["W_x"], p.U.T)
    np.testing.assert_array_equal(r["V"], p.V.T)


@pytest.mark.parametrize("loss", ["mse", "nll"])
def test_no_direct_term_is_right_for_many_to_one(loss):
    params, X, y, h0 = problem(2, 5, 3, 4, 3, seed=3, loss=loss, last_only=True)
    assert (
        err(
            truth(params, X, y, loss, h0, True)[1],
            V.no_direct_term(params, X, y, loss=loss, h0=h0, last_only=True)[1],
        )
        < EXACT
    )


def test_last_step_only_is_right_when_T_is_1_and_the_one_step_junction_when_T_is_at_most_2():
    for T in (1, 2):
        params, X, Y, h0 = problem(2, T, 3, 4, 3, seed=T)
        right = bptt.many_to_many(params, X, Y, loss="nll", h0=h0)[1]
        assert err(right, V.junction_one_step(params, X, Y, loss="nll", h0=h0)[1]) < EXACT
    params, X, y, h0 = problem(2, 1, 3, 4, 3, seed=5, loss="mse", last_only=True)
    assert (
        err(bptt.many_to_one(params, X, y, h0=h0)[1], V.last_step_only(params, X, y, h0=h0)[1])
        < EXACT
    )


def test_the_sum_ranges_and_the_factor_order_are_right_in_the_cases_that_hide_them():
    params, X, y, _ = problem(2, 5, 3, 4, 2, seed=7, loss="mse", last_only=True)
    right = bptt.many_to_one(params, X, y)[1]
    assert err(right, V.dW_without_first_step(params, X, y)[1]) < EXACT  # h0 = 0
    sym = params._replace(W=(params.W + params.W.T) / 2)  # W = Wᵀ
    h0 = np.full((2, 4), 0.3)
    assert (
        err(bptt.many_to_one(sym, X, y, h0=h0)[1], V.carry_without_transpose(sym, X, y, h0=h0)[1])
        < EXACT
    )


# ------------------------------------------------------------------- wrong variants differ

WRONG_CASES = [  # (name, function of (params, X, targets, h0), many-to-one?, with h0?)
    (
        "last_step_only",
        lambda p, X, t, h0: V.last_step_only(p, X, t, loss="mse", h0=h0),
        True,
        True,
    ),
    (
        "junction_one_step",
        lambda p, X, t, h0: V.junction_one_step(p, X, t, loss="nll", h0=h0),
        False,
        True,
    ),
    (
        "no_direct_term",
        lambda p, X, t, h0: V.no_direct_term(p, X, t, loss="nll", h0=h0),
        False,
        True,
    ),
    (
        "dW_without_first_step",
        lambda p, X, t, h0: V.dW_without_first_step(p, X, t, h0=h0),
        True,
        True,
    ),
    (
        "carry_without_transpose",
        lambda p, X, t, h0: V.carry_without_transpose(p, X, t, h0=h0),
        True,
        False,
    ),
    (
        "rows_delta_from_gradient",
        lambda p, X, t, h0: V.rows_delta_from_gradient(p, X, t, h0=h0),
        False,
        True,
    ),
    (
        "rows_step_index_of_pass",
        lambda p, X, t, h0: V.rows_step_index_of_pass(p, X, t, h0=h0),
        False,
        True,
    ),
    ("rows_without_carry", lambda p, X, t, h0: V.rows_without_carry(p, X, t, h0=h0), False, True),
]


@pytest.mark.parametrize("name,fn,last_only,with_h0", WRONG_CASES, ids=[c[0] for c in WRONG_CASES])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_wrong_variant_really_differs(name, fn, last_only, with_h0, seed):
    loss = "mse" if last_only else "nll"
    params, X, targets, h0 = problem(
        2, 5, 3, 4, 3, seed=seed, loss=loss, last_only=last_only, with_h0=with_h0
    )
    right = truth(params, X, targets, loss, h0, last_only)[1]
    L, wrong = fn(params, X, targets, h0)
    assert isinstance(L, float)
    assert [g.shape for g in wrong] == [p.shape for p in params]
    assert err(right, wrong) > WRONG, name
    np.testing.assert_allclose(
        wrong.V, right.V, rtol=1e-12, atol=1e-14
    )  # only the recurrent part changes


def test_row_slips_that_need_matching_shapes():
    params, X, Y, _ = problem(2, 4, 3, 4, 3, seed=0)
    for fn, needs in (
        (V.rows_input_through_Wh, "D == H"),
        (V.rows_dWx_from_dWh, "D == H"),
        (V.rows_carry_from_state, "N == H"),
    ):
        with pytest.raises(ValueError, match=needs):
            fn(params, X, Y)
    params, X, Y, h0 = problem(4, 4, 4, 4, 3, seed=1)  # N = D = H: the products conform
    right = bptt.many_to_many(params, X, Y, loss="nll", h0=h0)
    for fn in (V.rows_input_through_Wh, V.rows_dWx_from_dWh, V.rows_carry_from_state):
        L, g = fn(params, X, Y, h0=h0)
        assert err(right[1], g) > WRONG, fn.__name__
    assert abs(V.rows_input_through_Wh(params, X, Y, h0=h0)[0] - right[0]) > 1e-3


def test_linear_slips_give_the_same_numbers_in_one_pass_and_in_per_loss_passes():
    """Every slip but 1 − g² is linear in g, so source 003's per-loss passes equal one pass."""
    params, X, Y, h0 = problem(4, 5, 4, 4, 3, seed=2)
    for sw in (
        Switches(input_matrix="W"),
        Switches(dU_input="h_prev"),
        Switches(carry="delta h_prev^T"),
    ):
        one = bptt.rnn.backward_details(params, X, Y, "nll", h0, switches=sw)
        L, g = V.per_loss_passes(params, X, Y, "nll", h0, switches=sw)
        assert abs(L - one.loss) < EXACT * abs(L) and err(g, one.grads) < EXACT
    sw = Switches(tanh_prime="1-g^2")
    one = bptt.rnn.backward_details(params, X, Y, "nll", h0, switches=sw).grads
    assert err(V.per_loss_passes(params, X, Y, "nll", h0, switches=sw)[1], one) > WRONG


@pytest.mark.parametrize("fn", list(V.VARIANTS.values()), ids=list(V.VARIANTS))
def test_every_variant_validates_its_inputs(fn):
    params, X, Y, _ = problem(2, 3, 3, 4, 3)
    last = fn in (V.last_step_only, V.dW_without_first_step, V.carry_without_transpose)
    targets = Y[:, -1] if last else Y
    with pytest.raises(ValueError, match="X"):
        fn(params, X[0], targets, loss="nll")
    with pytest.raises(ValueError, match="h0"):
        fn(params, X, targets, loss="nll", h0=np.zeros((2, 5)))
    with pytest.raises(ValueError, match="loss"):
        fn(params, X, targets, loss="l1")


# ------------------------------------------------------------------- dummy copies


def test_copy_gradients_are_the_per_step_terms():
    params, X, y, h0 = problem(2, 4, 3, 3, 2, seed=11, loss="mse", last_only=True)
    T = X.shape[1]
    d = bptt.rnn.backward_details(params, X, y, loss="mse", h0=h0, last_only=True)
    Ws = np.repeat(params.W[None], T, axis=0)
    Us = np.repeat(params.U[None], T, axis=0)
    bs = np.repeat(params.b[None], T, axis=0)

    def f():
        return V.loss_with_copies(params, X, y, h0=h0, Ws=Ws, Us=Us, bs=bs)

    assert f() == pytest.approx(d.loss, rel=1e-14)
    assert rel_error(numerical_gradient(f, Ws, eps=1e-5), d.dW_steps) < 1e-7
    assert rel_error(numerical_gradient(f, Us, eps=1e-5), d.dU_steps) < 1e-7
    assert rel_error(numerical_gradient(f, bs, eps=1e-5), d.db_steps) < 1e-7
    with pytest.raises(ValueError, match="Ws"):
        V.loss_with_copies(params, X, y, Ws=Ws[:2])


def test_loss_with_copies_many_to_many():
    params, X, Y, h0 = problem(2, 3, 3, 4, 3, seed=2)
    assert V.loss_with_copies(params, X, Y, loss="nll", h0=h0, last_only=False) == pytest.approx(
        bptt.many_to_many(params, X, Y, loss="nll", h0=h0)[0], rel=1e-13
    )
