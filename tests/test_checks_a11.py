"""The checks of assignment 11: right answers pass, and each common mistake fails with a message
that names its cause."""

import numpy as np
import pytest

import bptt
from bptt import charlm, checks
from bptt.checks import CheckFailed
from bptt.losses import softmax

# ----------------------------------------------------------------------------- right answers


def temperature_softmax(logits, temperature):
    z = logits / temperature
    e = np.exp(z - z.max())
    return e / e.sum()


def sample_next(logits, temperature, rng):
    return int(rng.choice(len(logits), p=temperature_softmax(logits, temperature)))


def sample_next_by_cdf(logits, temperature, rng):  # the inverse CDF: the same draws as choice
    cdf = np.cumsum(temperature_softmax(logits, temperature))
    return int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))


def stream_batches(ids, n_streams, seq_len):
    S = (len(ids) - 1) // n_streams
    B = S // seq_len
    X = np.stack([ids[n * S : n * S + B * seq_len] for n in range(n_streams)])
    Y = np.stack([ids[n * S + 1 : n * S + B * seq_len + 1] for n in range(n_streams)])
    split = lambda A: A.reshape(n_streams, B, seq_len).transpose(1, 0, 2)  # noqa: E731
    return split(X), split(Y)


def stateful_gradient(params, X, Y):
    h = np.zeros((X.shape[1], params.W.shape[0]))
    total, grads = 0.0, None
    for j in range(X.shape[0]):
        loss, g = bptt.many_to_many(params, X[j], Y[j], loss="nll", h0=h)
        h = bptt.rnn.forward(params, X[j], h0=h)[0][:, -1]
        total, grads = total + loss, g if grads is None else grads + g
    return total, grads


RIGHT = [
    (checks.check_temperature_softmax, temperature_softmax),
    (checks.check_sample_next, sample_next),
    (checks.check_sample_next, sample_next_by_cdf),
    (checks.check_stream_batches, stream_batches),
    (checks.check_stateful_gradient, stateful_gradient),
]


@pytest.mark.parametrize("check, fn", RIGHT, ids=[f.__name__ for _, f in RIGHT])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_right_answer_passes(check, fn, seed, capsys):
    check(fn, seed=seed)
    assert capsys.readouterr().out.startswith("passed:")


def test_the_package_functions_pass():
    checks.check_temperature_softmax(charlm.temperature_softmax)
    checks.check_stream_batches(charlm.stream_batches)


# ----------------------------------------------------------------------------- wrong answers


def not_done(*args):
    raise NotImplementedError()


def in_place(logits, temperature):
    logits /= temperature  # overwrites the student's input
    return softmax(logits)


def naive(logits, temperature):
    e = np.exp(logits / temperature)
    return e / e.sum()


def own_rng(logits, temperature, rng):
    return int(np.random.default_rng(0).choice(len(logits), p=softmax(logits / temperature)))


def sorts_ids(ids, n_streams, seq_len):
    ids.sort()  # overwrites the text it was given
    return stream_batches(ids, n_streams, seq_len)


def row_major(ids, n_streams, seq_len):
    X, Y = stream_batches(ids, n_streams, seq_len)
    B, N, T = X.shape
    return ids[: B * N * T].reshape(B, N, T), ids[1 : B * N * T + 1].reshape(B, N, T)


def transposed(ids, n_streams, seq_len):
    X, Y = stream_batches(ids, n_streams, seq_len)
    return X.transpose(1, 0, 2), Y.transpose(1, 0, 2)


def keeps_gradient(params, X, Y):
    B, N, T, C = X.shape
    Xc = X.transpose(1, 0, 2, 3).reshape(N, B * T, C)
    return bptt.many_to_many(params, Xc, Y.transpose(1, 0, 2).reshape(N, B * T), loss="nll")


def resets(params, X, Y):
    pieces = [bptt.many_to_many(params, X[j], Y[j], loss="nll") for j in range(X.shape[0])]
    return sum(p[0] for p in pieces), sum((p[1] for p in pieces[1:]), pieces[0][1])


def before_last(params, X, Y):
    h = np.zeros((X.shape[1], params.W.shape[0]))
    total, grads = 0.0, None
    for j in range(X.shape[0]):
        loss, g = bptt.many_to_many(params, X[j], Y[j], loss="nll", h0=h)
        h = bptt.rnn.forward(params, X[j], h0=h)[0][:, -2]
        total, grads = total + loss, g if grads is None else grads + g
    return total, grads


TEMP, SAMPLE, STREAMS, STATE = (
    checks.check_temperature_softmax,
    checks.check_sample_next,
    checks.check_stream_batches,
    checks.check_stateful_gradient,
)
WRONG = [
    (TEMP, not_done, "not done yet"),
    (TEMP, lambda o, t: None, "returned None"),
    (TEMP, in_place, "changed its input"),
    (TEMP, lambda o, t: softmax(o) / t, "after the softmax"),
    (TEMP, lambda o, t: softmax(softmax(o) / t), "softmax is taken twice"),
    (TEMP, lambda o, t: softmax(o * t), "multiplied by the temperature"),
    (TEMP, lambda o, t: softmax(o), "temperature is ignored"),
    (TEMP, naive, "exp(1000) overflows"),
    (TEMP, lambda o, t: softmax(o / t)[:-1], "wrong shape"),
    (SAMPLE, not_done, "not done yet"),
    (SAMPLE, lambda o, t, rng: int(np.argmax(o)), "argmax"),
    (SAMPLE, own_rng, "generator `rng` it was given is untouched"),
    (
        SAMPLE,
        lambda o, t, rng: int(rng.choice(len(o), p=softmax(o) / t)),
        "temperature is applied after the softmax",
    ),
    (
        SAMPLE,
        lambda o, t, rng: int(rng.choice(len(o), p=softmax(o * t))),
        "softmax(logits * temperature)",
    ),
    (SAMPLE, lambda o, t, rng: int(rng.choice(len(o), p=softmax(o))), "ignore the temperature"),
    (SAMPLE, lambda o, t, rng: softmax(o / t), "must return one int"),
    (STREAMS, lambda i, n, t: (stream_batches(i, n, t)[0],) * 2, "targets equal the inputs"),
    (STREAMS, lambda i, n, t: stream_batches(i, n, t)[::-1], "one step late"),
    (STREAMS, row_major, "does not continue row n of batch j"),
    (STREAMS, transposed, "wrong shape"),
    (STREAMS, lambda i, n, t: stream_batches(i, n, t)[0], "must return 2 values"),
    (STREAMS, lambda i, n, t: None, "returned None"),
    (STATE, keeps_gradient, "crosses the batch boundaries"),
    (STATE, resets, "reset to zero for every batch"),
    (STATE, before_last, "the one before the last step"),
    (
        STATE,
        lambda p, X, Y: (lambda r: (r[0] / 3, r[1].scale(1 / 3)))(stateful_gradient(p, X, Y)),
        "averaged over the 3 batches",
    ),
    (STATE, lambda p, X, Y: (1.0, None), "grads must be a bptt.Params"),
    (STATE, not_done, "not done yet"),
    (STATE, lambda p, X, Y: (np.nan, stateful_gradient(p, X, Y)[1]), "NaN or inf"),
    (STREAMS, sorts_ids, "changed its input"),
]


@pytest.mark.parametrize("check, fn, words", WRONG, ids=[w for _, _, w in WRONG])
def test_a_mistake_is_named(check, fn, words):
    with pytest.raises(CheckFailed) as info:
        check(fn)
    assert words in str(info.value), str(info.value)
