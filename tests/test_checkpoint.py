"""bptt.checkpoint: checkpointed BPTT equals full BPTT, with less memory."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bptt
from bptt import checkpoint, fast
from bptt.gradcheck import check_params_gradient, rel_error
from bptt.memory import peak_memory

make_problem = bptt.data.random_problem
sizes = st.tuples(
    st.integers(1, 4), st.integers(1, 12), st.integers(1, 4), st.integers(1, 5), st.integers(1, 4)
)


def gap(a, b):
    return max(rel_error(x, y) for x, y in zip(a, b))


@settings(max_examples=60, deadline=None)
@given(
    sizes=sizes,
    seed=st.integers(0, 10_000),
    loss=st.sampled_from(["mse", "nll"]),
    k=st.integers(1, 15),
    truncate=st.sampled_from([None, 1, 2, 3, 5]),
    rows=st.sampled_from([1, 2, 5, 1024]),
)
def test_checkpointed_equals_full_bptt_for_every_k(sizes, seed, loss, k, truncate, rows):
    params, X, Y, h0 = make_problem(*sizes, seed, loss)
    ref = bptt.many_to_many(params, X, Y, loss=loss, h0=h0, truncate=truncate)
    config = fast.FastConfig(chunk_rows=rows, chunk_part=1)
    res = checkpoint.loss_and_grads(params, X, Y, loss, h0, truncate, k=k, config=config)
    assert abs(res.loss - ref[0]) <= 1e-12 * max(1.0, abs(ref[0]))
    assert gap(res.grads, ref[1]) < 1e-11
    if truncate is None:  # the readable version too
        value, grads = checkpoint.checkpointed(params, X, Y, k, loss=loss, h0=h0)
        assert abs(value - ref[0]) <= 1e-12 * max(1.0, abs(ref[0]))
        assert gap(grads, ref[1]) < 1e-11


@pytest.mark.parametrize("k", [1, 3, 7, 10, 11, 100])
@pytest.mark.parametrize("truncate", [None, 4])
def test_many_to_many_checkpoint_argument(k, truncate):
    params, X, Y, h0 = make_problem(2, 10, 3, 4, 3, 1, "nll")
    ref = bptt.many_to_many(params, X, Y, loss="nll", h0=h0, truncate=truncate)
    got = bptt.many_to_many(params, X, Y, loss="nll", h0=h0, truncate=truncate, checkpoint=k)
    assert abs(got[0] - ref[0]) < 1e-12 and gap(got[1], ref[1]) < 1e-11


def test_checkpointed_gradient_matches_central_differences():
    params, X, Y, h0 = make_problem(2, 9, 3, 4, 2, 5, "mse")

    def f(p):
        return bptt.many_to_many(p, X, Y, loss="mse", h0=h0, checkpoint=4)

    errs = check_params_gradient(lambda p: f(p)[0], params, f(params)[1], eps=1e-5)
    assert max(errs.values()) < 1e-7, errs


@pytest.mark.parametrize("k", [1, 2, 4, 9, 20])
def test_dh0_and_hT_are_the_full_bptt_ones(k):
    params, X, Y, h0 = make_problem(2, 9, 3, 4, 2, 5, "nll")
    full = fast.loss_and_grads(params, X, Y, loss="nll", h0=h0)
    res = checkpoint.loss_and_grads(params, X, Y, "nll", h0, k=k)
    assert rel_error(res.dh0, full.dh0) < 1e-12
    assert np.array_equal(res.hT, full.hT)


def test_float32_stays_float32():
    params, X, Y, _ = make_problem(2, 9, 3, 4, 2, 5, "nll", with_h0=False, dtype=np.float32)
    _, grads = bptt.many_to_many(params, X, Y, loss="nll", checkpoint=3)
    assert all(g.dtype == np.float32 for g in grads)


@pytest.mark.parametrize(
    "bad, exc, word",
    [
        (0, ValueError, ">= 1"),
        (-3, ValueError, ">= 1"),
        (2.0, TypeError, "integer"),
        (True, TypeError, "integer"),
        ("4", TypeError, "integer"),
    ],
)
def test_bad_checkpoint_raises_naming_it(bad, exc, word):
    params, X, Y, _ = make_problem(2, 9, 3, 4, 2, 5, "nll")
    with pytest.raises(exc, match="checkpoint") as info:
        bptt.many_to_many(params, X, Y, loss="nll", checkpoint=bad)
    assert word in str(info.value)


def test_bad_problem_raises_as_many_to_many_does():
    params, X, Y, _ = make_problem(2, 9, 3, 4, 2, 5, "nll")
    with pytest.raises(ValueError, match="X"):
        bptt.many_to_many(params, X[:, :, :2], Y, loss="nll", checkpoint=3)
    with pytest.raises(ValueError, match="k"):
        checkpoint.checkpointed(params, X, Y, 0, loss="nll")


def test_memory_drops_to_about_sqrt_T_states():
    params, X, Y, _ = make_problem(16, 400, 8, 64, 8, 0, "nll", with_h0=False)
    full = peak_memory(lambda: bptt.many_to_many(params, X, Y, loss="nll"))[0]
    ck = peak_memory(lambda: bptt.many_to_many(params, X, Y, loss="nll", checkpoint=20))[0]
    states = 400 * 16 * 64 * 8
    assert full > states and ck < 0.3 * full
