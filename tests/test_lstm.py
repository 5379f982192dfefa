"""bptt.lstm and bptt.lstm_fast: central differences, readable loop against fast path, bad input."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_info, threadpool_limits

import bptt
from bptt import lstm, lstm_fast
from bptt.gradcheck import numerical_gradient, rel_error

TOL = 1e-7
EXACT = 1e-12


def problem(N=3, T=5, D=4, H=3, C=4, loss="mse", last_only=False, seed=0, dtype=np.float64):
    """A random LSTM problem with non-zero h0 and c0: (lp, X, targets, h0, c0)."""
    rng = np.random.default_rng(seed)
    lp = bptt.init_lstm_params(D, H, C, seed=seed + 1, forget_bias=0.5, dtype=dtype)
    X = rng.normal(size=(N, T, D)).astype(dtype)
    if loss == "mse":
        Y = rng.normal(size=(N, C) if last_only else (N, T, C)).astype(dtype)
    else:
        Y = rng.integers(0, C, size=(N,) if last_only else (N, T))
    h0 = rng.normal(scale=0.5, size=(N, H)).astype(dtype)
    c0 = rng.normal(scale=0.5, size=(N, H)).astype(dtype)
    return lp, X, Y, h0, c0


@pytest.mark.parametrize("loss", ["mse", "nll"])
@pytest.mark.parametrize("last_only", [False, True])
def test_every_gradient_matches_central_differences(loss, last_only):
    lp, X, Y, h0, c0 = problem(loss=loss, last_only=last_only)
    d = lstm.lstm_details(lp, X, Y, loss, h0, c0, last_only=last_only)

    def f():
        return lstm.lstm_details(lp, X, Y, loss, h0, c0, last_only=last_only).loss

    for name, p, g in zip(bptt.LSTMParams._fields, lp, d.grads):
        assert rel_error(g, numerical_gradient(f, p)) < TOL, name
    assert rel_error(d.dh0, numerical_gradient(f, h0)) < TOL
    assert rel_error(d.dc0, numerical_gradient(f, c0)) < TOL


def test_step_backward_matches_central_differences():
    rng = np.random.default_rng(3)
    N, D, H = 2, 3, 4
    lp = bptt.init_lstm_params(D, H, 2, seed=4)
    x, h, c = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dh_out, dc_out = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    W, U, b = lp.W.copy(), lp.U.copy(), lp.b.copy()

    def f():  # L = <dh_out, h_t> + <dc_out, c_t>: its gradients are the step's backward
        h_t, c_t, _ = lstm.lstm_step_forward(x, h, c, W, U, b)
        return float(np.sum(dh_out * h_t) + np.sum(dc_out * c_t))

    _, _, cache = lstm.lstm_step_forward(x, h, c, W, U, b)
    got = lstm.lstm_step_backward(dh_out, dc_out, cache)
    for g, p in zip(got, (x, h, c, W, U, b)):
        assert rel_error(g, numerical_gradient(f, p)) < TOL


def test_cell_gradient_is_forget_gate_times_next():
    """∂c_t/∂c_{t-1} = diag(f_t): with no loss before T, e_{t-1} = f_t ⊙ e_t + (h-path)."""
    lp, X, Y, h0, c0 = problem(loss="mse", last_only=True)
    d = lstm.lstm_details(lp, X, Y, "mse", h0, c0, last_only=True)
    H = lp.W.shape[1]
    _, _, _, cache = lstm.lstm_forward(lp, X, h0, c0)
    f_T = cache.steps[-1][6]
    q = cache.steps[-2][8]
    tanh_c = cache.steps[-2][9]
    h_path = d.G[:, -2] * q * (1 - tanh_c**2)
    assert rel_error(d.E[:, -2], f_T * d.E[:, -1] + h_path) < EXACT
    assert d.dZ.shape == (X.shape[0], X.shape[1], 4 * H)


sizes = st.tuples(
    st.integers(1, 3), st.integers(1, 7), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)
)


@settings(max_examples=40, deadline=None)
@given(
    sizes,
    st.sampled_from(["mse", "nll"]),
    st.booleans(),
    st.sampled_from([None, 1, 2, 3]),
    st.booleans(),
    st.sampled_from([1, 2]),
)
def test_fast_path_equals_readable_loop(size, loss, last_only, truncate, with_state, lanes):
    N, T, D, H, C = size
    if last_only:
        truncate = None
    lp, X, Y, h0, c0 = problem(N, T, D, H, C, loss, last_only, seed=T + 7 * H)
    if not with_state:
        h0 = c0 = None
    d = lstm.lstm_details(lp, X, Y, loss, h0, c0, last_only=last_only, truncate=truncate)
    lstm_fast.LANES = lanes  # two lanes: the batch in two halves, one in a worker thread
    try:
        r = lstm_fast.loss_and_grads(lp, X, Y, loss, h0, c0, truncate, last_only)
    finally:
        lstm_fast.LANES = None
    assert abs(d.loss - r.loss) <= EXACT * max(1.0, abs(d.loss))
    for name, a, b in zip(bptt.LSTMParams._fields, d.grads, r.grads):
        assert a.shape == b.shape == getattr(lp, name).shape
        assert np.allclose(a, b, rtol=EXACT, atol=EXACT), name
    assert np.allclose(d.dh0, r.dh0, rtol=EXACT, atol=EXACT)
    assert np.allclose(d.dc0, r.dc0, rtol=EXACT, atol=EXACT)
    assert np.allclose(r.hT, d.Hs[:, -1], rtol=EXACT, atol=EXACT)
    assert np.allclose(r.cT, d.Cs[:, -1], rtol=EXACT, atol=EXACT)


def test_lanes_chosen_by_blas_threads_which_are_restored(monkeypatch):
    assert lstm_fast.lanes_for(1, 100, 256) == 1  # one sequence cannot be split
    with threadpool_limits(1):
        assert lstm_fast.lanes_for(64, 100, 256) == 1  # as in the chapters
    with threadpool_limits(2):
        two = max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas") == 2
        assert lstm_fast.lanes_for(64, 100, 256) == (2 if two else 1)
        assert lstm_fast.lanes_for(4, 5, 3) == 1  # small: threads cost more than they save
        before = [i["num_threads"] for i in threadpool_info()]
        lp, X, Y, h0, c0 = problem(N=8, T=40, D=8, H=32, loss="nll")
        monkeypatch.setattr(lstm_fast, "LANES", 2)
        r = lstm_fast.loss_and_grads(lp, X, Y, "nll", h0, c0)
        assert [i["num_threads"] for i in threadpool_info()] == before
    d = lstm.lstm_details(lp, X, Y, "nll", h0, c0)
    assert abs(r.loss - d.loss) < EXACT and rel_error(r.grads.W, d.grads.W) < EXACT


def test_concurrent_calls_each_get_their_own_answer(monkeypatch):
    """Calls from two threads: a call finding the lanes busy runs one lane, and waits for none."""
    problems = [problem(N=6, T=30, D=5, H=16, loss="nll", seed=s) for s in range(8)]
    monkeypatch.setattr(lstm_fast, "LANES", 2)
    with ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(lambda p: lstm_fast.loss_and_grads(*p[:3], "nll", *p[3:]), problems)
        )
    for (lp, X, Y, h0, c0), r in zip(problems, results):
        d = lstm.lstm_details(lp, X, Y, "nll", h0, c0)
        assert abs(r.loss - d.loss) < EXACT
        assert all(rel_error(a, b) < EXACT for a, b in zip(r.grads, d.grads))


def test_public_functions_and_final_state():
    lp, X, Y, h0, c0 = problem(loss="nll")
    loss, grads = bptt.lstm_many_to_many(lp, X, Y, loss="nll", h0=h0, c0=c0)
    d = lstm.lstm_details(lp, X, Y, "nll", h0, c0)
    assert isinstance(grads, bptt.LSTMParams)
    assert abs(loss - d.loss) < EXACT and rel_error(grads.W, d.grads.W) < EXACT
    loss1, grads1 = bptt.lstm_many_to_one(lp, X, Y[:, -1], loss="nll", h0=h0, c0=c0)
    d1 = lstm.lstm_details(lp, X, Y[:, -1], "nll", h0, c0, last_only=True)
    assert abs(loss1 - d1.loss) < EXACT and rel_error(grads1.U, d1.grads.U) < EXACT
    hT, cT = lstm.lstm_final_state(lp, X, h0, c0)
    assert np.allclose(hT, d.Hs[:, -1]) and np.allclose(cT, d.Cs[:, -1])
    # stateful: two halves from the carried state give the whole sequence's final state
    h_mid, c_mid = lstm.lstm_final_state(lp, X[:, :2], h0, c0)
    assert np.allclose(lstm.lstm_final_state(lp, X[:, 2:], h_mid, c_mid)[0], hT)


def test_float32_stays_float32_and_close():
    lp, X, Y, h0, c0 = problem(loss="nll", dtype=np.float32)
    r32 = lstm_fast.loss_and_grads(lp, X, Y, "nll", h0, c0)
    r64 = lstm_fast.loss_and_grads(lp.astype(np.float64), X, Y, "nll", h0, c0)
    assert all(g.dtype == np.float32 for g in r32.grads)
    assert all(rel_error(a, b) < 1e-4 for a, b in zip(r32.grads, r64.grads))


def test_inputs_are_not_changed():
    lp, X, Y, h0, c0 = problem(loss="mse")
    before = [a.copy() for a in (*lp, X, Y, h0, c0)]
    bptt.lstm_many_to_many(lp, X, Y, h0=h0, c0=c0, truncate=2)
    lstm.lstm_details(lp, X, Y, "mse", h0, c0)
    assert all(np.array_equal(a, b) for a, b in zip(before, (*lp, X, Y, h0, c0)))


def test_forget_bias_and_init_shapes():
    lp = bptt.init_lstm_params(3, 5, 2, seed=0, forget_bias=1.0)
    base = bptt.init_lstm_params(3, 5, 2, seed=0)
    assert [p.shape for p in lp] == [(20, 5), (20, 3), (20,), (2, 5), (2,)]
    assert np.allclose(lp.b[5:10] - base.b[5:10], 1.0)
    assert np.array_equal(lp.b[:5], base.b[:5]) and np.array_equal(lp.W, base.W)
    assert bptt.init_lstm_params(3, 5, 2, dtype=np.float32).W.dtype == np.float32


N, T, D, H, C = 2, 3, 4, 5, 3
LP, XX, YY, H0, C0 = problem(N, T, D, H, C, loss="mse")
RNN = bptt.init_params(D, H, C, seed=0)


def m2m(**kw):
    args = dict(lp=LP, X=XX, Y=YY, loss="mse")
    args.update(kw)
    return bptt.lstm_many_to_many(**args)


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: m2m(lp=RNN), TypeError, ["LSTMParams", "init_lstm_params"]),
        (lambda: m2m(lp=None), TypeError, ["LSTMParams"]),
        (lambda: m2m(lp=LP._replace(W=LP.W[:, :4])), ValueError, ["params.W", "(4H, H)"]),
        (lambda: m2m(lp=LP._replace(U=LP.U[:4])), ValueError, ["params.U", "(4H, D)"]),
        (lambda: m2m(lp=LP._replace(b=LP.b[:5])), ValueError, ["params.b", "(4H,)"]),
        (lambda: m2m(lp=LP._replace(V=LP.V[:, :2])), ValueError, ["params.V", "(C, H)"]),
        (lambda: m2m(lp=LP._replace(c=LP.c[:1])), ValueError, ["params.c", "(C,)"]),
        (lambda: m2m(lp=LP._replace(c=LP.c.astype(np.float32))), TypeError, ["dtype"]),
        (lambda: m2m(lp=LP._replace(W=LP.W * np.nan)), ValueError, ["params.W", "NaN"]),
        (lambda: m2m(X=XX[0]), ValueError, ["X", "(N, T, D)"]),
        (lambda: m2m(X=XX[:, :, :3]), ValueError, ["X", "D = 4"]),
        (lambda: m2m(X=XX[:, :0]), ValueError, ["X", "T >= 1"]),
        (lambda: m2m(X=None), TypeError, ["X", "(N, T, D)"]),
        (lambda: m2m(Y=YY[:, :2]), ValueError, ["Y", "(N, T, C)"]),
        (lambda: m2m(loss="l2"), ValueError, ["loss", "'mse'", "'nll'"]),
        (lambda: m2m(Y=YY[..., 0], loss="nll"), TypeError, ["Y", "integer"]),
        (lambda: m2m(h0=H0[:1]), ValueError, ["h0", "(N, H)"]),
        (lambda: m2m(c0=C0[:, :2]), ValueError, ["c0", "(N, H)"]),
        (lambda: m2m(c0=C0 * np.inf), ValueError, ["c0", "NaN or inf"]),
        (lambda: m2m(truncate=0), ValueError, ["truncate", ">= 1"]),
        (lambda: m2m(truncate=1.5), TypeError, ["truncate", "integer"]),
        (
            lambda: bptt.lstm_many_to_one(LP, XX, YY, loss="mse"),
            ValueError,
            ["y", "(N, C)"],
        ),
        (lambda: bptt.init_lstm_params(0, 3, 2), ValueError, ["n_input", ">= 1"]),
        (lambda: bptt.init_lstm_params(2, 3, 2, forget_bias=np.nan), ValueError, ["forget_bias"]),
        (lambda: lstm.lstm_backward(np.zeros((N, T, C)), None), TypeError, ["cache"]),
    ],
)
def test_bad_input_names_the_argument(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_lstm_learns_the_recall_task_the_rnn_does_not_on_a_third_seed():
    """Chapter 10's delayed recall (d = 10, S = 2) with seed 2, not shown in the chapter."""
    S, d, T, H, seed = 2, 10, 20, 32, 2
    X_tr, Y_tr = bptt.data.delayed_recall(2000, T, d, S, seed=0)
    X_te, Y_te = bptt.data.delayed_recall(500, T, d, S, seed=100)
    setup = dict(loss="nll", steps=800, batch_size=32, optimizer="adam", lr=0.03, clip_norm=5.0)
    rnn = bptt.train.train(bptt.init_params(S, H, S + 1, seed=seed), X_tr, Y_tr, seed=seed, **setup)
    lp0 = bptt.init_lstm_params(S, H, S + 1, seed=seed, forget_bias=1.0)
    net = bptt.train.train(lp0, X_tr, Y_tr, seed=seed, **setup)
    acc_rnn = bptt.train.accuracy(rnn.params, X_te, Y_te, from_step=d)
    acc_lstm = bptt.train.accuracy(net.params, X_te, Y_te, from_step=d)
    assert acc_rnn < 0.65 and acc_lstm > 0.8, (acc_rnn, acc_lstm)


@pytest.mark.parametrize("chunk", [1, 7, 20])
@pytest.mark.parametrize("truncate", [None, 2])
def test_fast_path_in_chunks_of_steps(monkeypatch, chunk, truncate):
    """Chunks of carry-free factors (1 or a few steps, not dividing T) give the same numbers."""
    monkeypatch.setattr(lstm_fast, "CHUNK", chunk)
    lp, X, Y, h0, c0 = problem(N=2, T=9, D=3, H=4, C=3, loss="nll")
    d = lstm.lstm_details(lp, X, Y, "nll", h0, c0, truncate=truncate)
    r = lstm_fast.loss_and_grads(lp, X, Y, "nll", h0, c0, truncate=truncate)
    for a, b in zip((*d.grads, d.dh0, d.dc0), (*r.grads, r.dh0, r.dc0)):
        assert np.allclose(a, b, rtol=EXACT, atol=EXACT)


def test_scratch_pool_off_gives_the_same_numbers(monkeypatch):
    """With no memory kept between calls (a pool of 0 bytes) every buffer is fresh: same result."""
    lp, X, Y, h0, c0 = problem(loss="nll")
    ref = lstm_fast.loss_and_grads(lp, X, Y, "nll", h0, c0)
    monkeypatch.setattr(lstm_fast, "POOL_BYTES", 0)
    lstm_fast.release_buffers()
    got = lstm_fast.loss_and_grads(lp, X, Y, "nll", h0, c0)
    assert got.loss == ref.loss and all(np.array_equal(a, b) for a, b in zip(got.grads, ref.grads))
    again = lstm_fast.loss_and_grads(lp, X[:2], Y[:2], "nll", h0[:2], c0[:2])  # smaller, reused
    d = lstm.lstm_details(lp, X[:2], Y[:2], "nll", h0[:2], c0[:2])
    assert all(np.allclose(a, b, rtol=EXACT, atol=EXACT) for a, b in zip(again.grads, d.grads))


@pytest.mark.parametrize("kw", [dict(optimizer="sgd", clip_value=0.5), dict(optimizer="adam")])
def test_train_accepts_lstm_params(kw):
    """bptt.train.train runs the LSTM through the RNN's loop: LSTMParams in, LSTMParams out."""
    X, Y = bptt.data.delayed_recall(40, 6, 1, 3, seed=0)
    lp0 = bptt.init_lstm_params(3, 8, 4, seed=0)
    h = bptt.train.train(lp0, X, Y, steps=30, batch_size=8, lr=0.05, **kw)
    assert isinstance(h.params, bptt.LSTMParams) and h.stopped_at is None
    assert np.mean(h.loss[-5:]) < np.mean(h.loss[:5])
    assert 0 <= bptt.train.accuracy(h.params, X, Y, from_step=1) <= 1
    last = bptt.train.train(lp0, X, Y[:, -1], steps=3, batch_size=8, last_only=True, **kw)
    assert isinstance(last.params, bptt.LSTMParams)
