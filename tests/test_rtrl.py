"""bptt.rtrl: forward-mode sensitivities give BPTT's loss and gradients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bptt
from bptt.cost import rtrl_flops
from bptt.gradcheck import check_params_gradient, rel_error
from bptt.rtrl import sensitivity_entries

make_problem = bptt.data.random_problem
sizes = st.tuples(
    st.integers(1, 4), st.integers(1, 8), st.integers(1, 4), st.integers(1, 5), st.integers(1, 4)
)


@settings(max_examples=50, deadline=None)
@given(
    sizes=sizes,
    seed=st.integers(0, 10_000),
    loss=st.sampled_from(["mse", "nll"]),
    with_h0=st.booleans(),
)
def test_rtrl_equals_bptt(sizes, seed, loss, with_h0):
    params, X, Y, h0 = make_problem(*sizes, seed, loss, with_h0=with_h0)
    ref_loss, ref = bptt.many_to_many(params, X, Y, loss=loss, h0=h0)
    value, grads = bptt.rtrl(params, X, Y, loss=loss, h0=h0)
    assert abs(value - ref_loss) <= 1e-10 * max(1.0, abs(ref_loss))
    for name, g, r in zip(bptt.Params._fields, grads, ref):
        assert g.shape == r.shape and g.dtype == r.dtype
        assert rel_error(g, r) < 1e-10 or np.abs(g - r).max() < 1e-13, name


@pytest.mark.parametrize("loss", ["mse", "nll"])
def test_rtrl_matches_central_differences(loss):
    params, X, Y, h0 = make_problem(2, 7, 3, 4, 3, 2, loss)
    errs = check_params_gradient(
        lambda p: bptt.rtrl(p, X, Y, loss=loss, h0=h0)[0],
        params,
        bptt.rtrl(params, X, Y, loss=loss, h0=h0)[1],
        eps=1e-5,
    )
    assert max(errs.values()) < 1e-7, errs


def test_float32_stays_float32():
    params, X, Y, _ = make_problem(2, 5, 3, 4, 2, 0, "nll", with_h0=False, dtype=np.float32)
    _, grads = bptt.rtrl(params, X, Y, loss="nll")
    assert all(g.dtype == np.float32 for g in grads)


def test_inputs_are_not_changed():
    params, X, Y, h0 = make_problem(2, 5, 3, 4, 2, 0, "mse")
    before = [a.copy() for a in (*params, X, Y, h0)]
    bptt.rtrl(params, X, Y, loss="mse", h0=h0)
    assert all(np.array_equal(a, b) for a, b in zip(before, (*params, X, Y, h0)))


def test_sizes():
    assert sensitivity_entries(3, 4) == 4 * (16 + 12 + 4)
    assert rtrl_flops(2, 3, 4) == 2 * 2 * 4 * sensitivity_entries(3, 4)


@pytest.mark.parametrize(
    "kwargs, exc, word",
    [
        ({"loss": "l2"}, ValueError, "loss"),
        ({"h0": np.zeros((2, 3))}, ValueError, "h0"),
        ({"X": np.zeros((2, 5, 2))}, ValueError, "X"),
        ({"Y": None}, TypeError, "Y"),
        ({"X": np.full((2, 5, 3), np.nan)}, ValueError, "X"),
        ({"params": (1, 2)}, TypeError, "params"),
    ],
)
def test_bad_input_raises_as_many_to_many_does(kwargs, exc, word):
    params, X, Y, _ = make_problem(2, 5, 3, 4, 2, 0, "mse")
    args = {"params": params, "X": X, "Y": Y, "loss": "mse"} | kwargs
    with pytest.raises(exc, match=word):
        bptt.rtrl(**args)
