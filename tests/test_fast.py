"""bptt.fast against the per-step version and central differences; dtypes, memory, the pool.

The fast path works on chunks of at most config.chunk_rows rows (and 1/config.chunk_part of the
states) and, with truncation, segment by segment; the tests pass small chunks (a FastConfig) so
that small problems cross several chunk and segment boundaries.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bptt
from bptt import fast, rnn
from bptt.gradcheck import check_params_gradient, numerical_gradient, rel_error
from bptt.memory import peak_memory

TOL = 1e-7
EXACT = 1e-12
sizes = st.tuples(
    st.integers(1, 4), st.integers(1, 9), st.integers(1, 4), st.integers(1, 5), st.integers(1, 4)
)
chunk_rows = st.sampled_from([1, 2, 3, 5, 8, 256])


def chunks(n, part=1, segment_min=0):
    """Chunks of n rows (n // N steps), not capped by a fraction of the states (part=1); with
    truncation, segments of one window each (segment_min=0) or of as many as the default allows."""
    seg = fast.DEFAULT.segment_min if segment_min is None else segment_min
    return fast.FastConfig(chunk_rows=n, chunk_part=part, segment_min=seg)


def fast_m2m(params, X, Y, config, **kw):
    """many_to_many through the fast path with this config: (loss, grads)."""
    res = fast.loss_and_grads(params, X, Y, config=config, **kw)
    return res.loss, res.grads


make_problem = bptt.data.random_problem


def states(params, X, h0):
    """h_0..h_T batch first (N, T+1, H), from the per-step forward."""
    hs = [h0]
    for t in range(X.shape[1]):
        hs.append(rnn.step_forward(X[:, t], hs[-1], params.W, params.U, params.b)[0])
    return np.stack(hs, axis=1)


def segments(T, k):
    """The truncation segments as (s0, s1): steps s0+1..s1 (1-based), or [0, T) 0-based."""
    k = T if k is None else k
    return [(s0, min(T, s0 + k)) for s0 in range(0, T, k)]


# ------------------------------------------------------------------- equal to the per-step version


@settings(max_examples=60, deadline=None)
@given(
    sizes=sizes,
    seed=st.integers(0, 10_000),
    loss=st.sampled_from(["mse", "nll"]),
    k=st.one_of(st.none(), st.integers(1, 10)),
    rows=chunk_rows,
    seg=st.sampled_from([0, None]),
)
def test_fast_path_equals_many_to_many_loop(sizes, seed, loss, k, rows, seg):
    params, X, Y, h0 = make_problem(*sizes, seed, loss)
    l1, g1 = fast_m2m(params, X, Y, chunks(rows, segment_min=seg), loss=loss, h0=h0, truncate=k)
    l2, g2 = rnn.many_to_many_loop(params, X, Y, loss=loss, h0=h0, truncate=k)
    assert l1 == pytest.approx(l2, rel=EXACT)
    for a, b in zip(g1, g2):
        assert rel_error(a, b) < EXACT


@pytest.mark.parametrize("N, T", [(1, 1), (1, 7), (5, 1), (1, 30), (3, 13)])
@pytest.mark.parametrize("loss", ["mse", "nll"])
@pytest.mark.parametrize("k", [None, 1, 4, 5, 13, 40])
def test_edge_shapes_and_truncations_that_do_not_divide_T(N, T, loss, k):
    params, X, Y, h0 = make_problem(N, T, 3, 4, 3, N * 100 + T, loss)
    for rows, seg in ((1, 0), (4, 0), (256, 0), (1, None), (256, None)):
        l1, g1 = fast_m2m(params, X, Y, chunks(rows, segment_min=seg), loss=loss, h0=h0, truncate=k)
        l2, g2 = rnn.many_to_many_loop(params, X, Y, loss=loss, h0=h0, truncate=k)
        assert l1 == pytest.approx(l2, rel=EXACT)
        assert all(rel_error(a, b) < EXACT for a, b in zip(g1, g2))


@pytest.mark.parametrize("loss", ["mse", "nll"])
def test_truncation_is_the_sum_of_segments_started_from_the_carried_state(loss):
    """Independent of the per-step code: each segment is a sequence started at the true state."""
    params, X, Y, h0 = make_problem(3, 17, 2, 5, 3, 8, loss)
    hs = states(params, X, h0)
    for k in (3, 5, 16):
        loss_k, g = fast_m2m(params, X, Y, chunks(4), loss=loss, h0=h0, truncate=k)
        parts = [
            bptt.many_to_many(params, X[:, s0:s1], Y[:, s0:s1], loss=loss, h0=hs[:, s0])
            for s0, s1 in segments(17, k)
        ]
        assert loss_k == pytest.approx(sum(p[0] for p in parts), rel=EXACT)
        for i in range(5):
            assert rel_error(g[i], sum(p[1][i] for p in parts)) < EXACT


@settings(max_examples=30, deadline=None)
@given(
    sizes=sizes,
    seed=st.integers(0, 10_000),
    loss=st.sampled_from(["mse", "nll"]),
    k=st.one_of(st.none(), st.integers(1, 10)),
    rows=chunk_rows,
    seg=st.sampled_from([0, None]),
)
def test_many_to_one_equals_its_last_segment(sizes, seed, loss, k, rows, seg):
    """Many-to-one: with truncation only the last window gets a gradient (its backward_details)."""
    N, T = sizes[:2]
    params, X, y, h0 = make_problem(*sizes, seed, loss, last_only=True)
    res = fast.loss_and_grads(
        params,
        X,
        y,
        loss=loss,
        h0=h0,
        truncate=k,
        last_only=True,
        config=chunks(rows, segment_min=seg),
    )
    s0 = segments(T, k)[-1][0]
    hs = states(params, X, h0)
    ref = rnn.backward_details(params, X[:, s0:], y, loss=loss, h0=hs[:, s0], last_only=True)
    assert res.loss == pytest.approx(ref.loss, rel=EXACT)
    assert all(rel_error(a, b) < EXACT for a, b in zip(res.grads, ref.grads))
    if s0 > 0:
        assert np.all(res.dh0 == 0)  # the gradient is cut before it reaches h_0


# ------------------------------------------------------------------- central differences


@settings(max_examples=20, deadline=None)
@given(
    sizes=sizes,
    seed=st.integers(0, 10_000),
    loss=st.sampled_from(["mse", "nll"]),
    k=st.integers(1, 10),
    rows=chunk_rows,
    seg=st.sampled_from([0, None]),
)
def test_truncated_gradient_is_the_gradient_with_detached_states(sizes, seed, loss, k, rows, seg):
    """truncate=k is the exact gradient of the loss whose states at segment starts are constants."""
    N, T = sizes[:2]
    params, X, Y, h0 = make_problem(*sizes, seed, loss)
    hs = states(params, X, h0)  # the detached states: fixed at their current values

    def detached_loss(p):
        return sum(
            bptt.many_to_many(p, X[:, s0:s1], Y[:, s0:s1], loss=loss, h0=hs[:, s0])[0]
            for s0, s1 in segments(T, k)
        )

    _, grads = fast_m2m(params, X, Y, chunks(rows, segment_min=seg), loss=loss, h0=h0, truncate=k)
    errs = check_params_gradient(detached_loss, params, grads, eps=1e-5)
    assert max(errs.values()) < TOL, errs


@settings(max_examples=20, deadline=None)
@given(
    sizes=sizes,
    seed=st.integers(0, 10_000),
    loss=st.sampled_from(["mse", "nll"]),
    last_only=st.booleans(),
    rows=chunk_rows,
)
def test_full_gradients_and_dh0_match_central_differences(sizes, seed, loss, last_only, rows):
    params, X, tg, h0 = make_problem(*sizes, seed, loss, last_only=last_only)

    def run(p):
        return fast.loss_and_grads(
            p, X, tg, loss=loss, h0=h0, last_only=last_only, config=chunks(rows)
        )

    res = run(params)
    errs = check_params_gradient(lambda p: run(p).loss, params, res.grads, eps=1e-5)
    num = numerical_gradient(lambda: run(params).loss, h0, eps=1e-5)
    assert max(errs.values()) < TOL, errs
    assert agrees(res.dh0, num, res.loss)


def agrees(exact, num, loss_value, eps=1e-5):
    """Relative error < 1e-7, or, for a gradient so small that central differences cannot resolve
    it that well, a difference below their round-off floor (about 1e-16 |L| / eps)."""
    floor = 1e-15 * max(1.0, abs(loss_value)) / eps
    return rel_error(exact, num) < TOL or np.abs(exact - num).max() < floor


@pytest.mark.parametrize("loss", ["mse", "nll"])
def test_dh0_with_truncation_is_the_first_segments(loss):
    params, X, Y, h0 = make_problem(2, 11, 3, 4, 3, 2, loss)
    res = fast.loss_and_grads(params, X, Y, loss=loss, h0=h0, truncate=4, config=chunks(2))
    num = numerical_gradient(
        lambda: bptt.many_to_many(params, X[:, :4], Y[:, :4], loss=loss, h0=h0)[0], h0, eps=1e-5
    )
    assert rel_error(res.dh0, num) < TOL
    assert (
        rel_error(res.dh0, fast.loss_and_grads(params, X, Y, loss=loss, h0=h0).dh0) > 1e-3
    )  # not the full one


# ------------------------------------------------------------------- dtypes


@pytest.mark.parametrize("loss", ["mse", "nll"])
@pytest.mark.parametrize("k", [None, 3])
@pytest.mark.parametrize("last_only", [False, True])
def test_float32_stays_float32_and_agrees_with_float64_to_float32_precision(loss, k, last_only):
    params, X, tg, h0 = make_problem(6, 23, 5, 16, 7, 3, loss, last_only=last_only)
    p32 = params.astype(np.float32)
    tg32 = tg.astype(np.float32) if loss == "mse" else tg
    cfg = chunks(20)
    r64 = fast.loss_and_grads(
        params, X, tg, loss=loss, h0=h0, truncate=k, last_only=last_only, config=cfg
    )
    r32 = fast.loss_and_grads(
        p32,
        X.astype(np.float32),
        tg32,
        loss=loss,
        h0=h0.astype(np.float32),
        truncate=k,
        last_only=last_only,
        config=cfg,
    )
    assert all(g.dtype == np.float32 for g in r32.grads) and r32.dh0.dtype == np.float32
    assert isinstance(r32.loss, float)
    assert abs(r32.loss - r64.loss) <= 1e-5 * abs(r64.loss)
    for a, b in zip(list(r32.grads) + [r32.dh0], list(r64.grads) + [r64.dh0]):
        assert rel_error(a, b) < 1e-5  # float32 round-off (6e-8) times the sums' growth
    # and float32 is not float64 in disguise: the difference is round-off, not zero
    assert max(rel_error(a, b) for a, b in zip(r32.grads, r64.grads)) > 1e-9


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nll_stays_finite_when_a_label_probability_underflows(dtype):
    """Logits thousands apart: p_y underflows to 0, yet -log p_y = log Σ exp(o - o_y) is finite."""
    params, X, Y, _ = make_problem(2, 3, 2, 3, 4, 0, "nll", dtype=dtype)
    params = params._replace(V=params.V * 0, c=np.array([0.0, 3000.0, 0.0, 0.0], dtype=dtype))
    Y = np.zeros_like(Y)  # every label has logit 3000 below the maximum
    for f in (bptt.many_to_many, rnn.many_to_many_loop):
        loss, grads = f(params, X, Y, loss="nll")
        assert np.isfinite(loss) and loss == pytest.approx(3 * 3000.0, rel=1e-6), f.__name__
        assert all(np.isfinite(g).all() for g in grads)
        assert grads.c == pytest.approx(
            np.array([-3.0, 3.0, 0.0, 0.0]), abs=1e-6
        )  # Σ_t (p - e_y), p = e_1


@pytest.mark.parametrize("steps", [1, 2, 4, 9])
def test_forward_segment_equals_the_per_step_forward(steps):
    """forward_segment in chunks of `steps` steps, from h_0 and from a state inside the sequence."""
    params, X, _, h0 = make_problem(3, 9, 2, 4, 3, 1, "mse")
    ref = states(params, X, h0)  # h_0..h_9, batch first
    ws = fast.Workspace(steps, 3, 2, 4, 3, np.float64)
    for s0 in (0, 4):
        Hs = np.empty((10 - s0, 3, 4))
        Hs[0] = ref[:, s0]
        fast.forward_segment(params, X, s0, Hs, ws)
        assert rel_error(Hs.transpose(1, 0, 2), ref[:, s0:]) < EXACT


# ------------------------------------------------------------------- memory


def call_peak(N, T, H, k=None, dtype=np.float64):
    params, X, Y, h0 = make_problem(N, T, 8, H, 8, 0, "nll", dtype=dtype)
    return peak_memory(lambda: bptt.many_to_many(params, X, Y, loss="nll", h0=h0, truncate=k))[0]


def test_full_bptt_needs_little_beyond_the_hidden_states():
    N, T, H = 16, 200, 64
    assert call_peak(N, T, H) <= 1.5 * T * N * H * 8


def test_truncation_keeps_one_segment_of_states():
    """The truncated peak does not grow with T (one segment of states at a time), far below full.

    At N·H = 1024 a segment holds several windows of k = 10 (FastConfig.segment_min); at 4096, one.
    """
    N, H = 16, 64
    short, long = call_peak(N, 100, H, k=10), call_peak(N, 400, H, k=10)
    assert long <= 1.02 * short
    assert long <= 0.3 * call_peak(N, 400, H)  # small buffers (FastConfig.chunk_min) weigh here
    N, H = 32, 128
    assert call_peak(N, 400, H, k=10) <= 0.1 * call_peak(N, 400, H)  # states alone: 11/401


def test_float32_uses_half_the_memory_of_float64():
    assert call_peak(16, 100, 64, dtype=np.float32) <= 0.52 * call_peak(16, 100, 64)


# ------------------------------------------------------------------- scratch kept between calls


def test_results_do_not_share_the_scratch_memory_of_later_calls():
    params, X, Y, h0 = make_problem(3, 7, 2, 4, 3, 0, "nll")
    first = fast.loss_and_grads(params, X, Y, loss="nll", h0=h0)
    saved = [g.copy() for g in first.grads], first.dh0.copy()
    fast.loss_and_grads(params, 2 * X, Y, loss="nll", h0=-h0, truncate=2)  # reuses the buffers
    assert all(np.array_equal(a, b) for a, b in zip(first.grads, saved[0]))
    assert np.array_equal(first.dh0, saved[1])


def test_threads_do_not_share_scratch_memory():
    from concurrent.futures import ThreadPoolExecutor

    problems = [make_problem(4, 30, 3, 8, 5, seed, "nll") for seed in range(4)]
    expected = [bptt.many_to_many(p, X, Y, loss="nll", h0=h0) for p, X, Y, h0 in problems]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(5):
            got = list(
                pool.map(
                    lambda a: bptt.many_to_many(a[0], a[1], a[2], loss="nll", h0=a[3]), problems
                )
            )
            for (l1, g1), (l2, g2) in zip(got, expected):
                assert l1 == l2 and all(np.array_equal(a, b) for a, b in zip(g1, g2))


def test_no_pool_gives_the_same_numbers():
    params, X, Y, h0 = make_problem(3, 9, 2, 4, 3, 1, "mse")
    l1, g1 = bptt.many_to_many(params, X, Y, h0=h0, truncate=4)
    fast.release_buffers()
    l2, g2 = fast_m2m(params, X, Y, fast.FastConfig(pool_bytes=0), h0=h0, truncate=4)
    assert l1 == l2 and all(np.array_equal(a, b) for a, b in zip(g1, g2))
