"""bptt.charlm: the corpus is up to date, the batches continue their streams, the carried state
is the true last state and carries no gradient, the baselines are what they say, training is
deterministic and learns, sampling follows the temperature, and parameters survive a round trip."""

import math

import numpy as np
import pytest

import bptt
from bptt import charlm, fast, rnn
from tools import extract_corpus

TEXT = "the cat sat on the mat. the dog sat on the log.\n" * 20


@pytest.fixture(scope="module")
def vocab():
    return charlm.Vocabulary(TEXT)


# ------------------------------------------------------------------- the corpus


def test_the_committed_corpus_is_up_to_date():
    committed = extract_corpus.TARGET.read_text(encoding="utf-8")
    assert committed == extract_corpus.build(), (
        "src/bptt/corpus/course.txt differs from the prose of chapters/ and book/: run make corpus"
    )


def test_the_corpus_comes_from_the_installed_package():
    text = charlm.course_text()
    assert text == extract_corpus.TARGET.read_text(encoding="utf-8")
    assert len(text) > 50_000 and len(set(text)) > 40


def test_the_extractor_keeps_prose_and_drops_code_math_and_markup():
    md = "\n".join(
        [
            "(sec-ch99-x)=",
            "## A *title*",
            "",
            "Text with $a_t$ math, `code`, a [link](x.md) and {cite}`elman1990`.",
            "See {numref}`fig-ch99-y` and {ref}`the section <sec-ch99-x>`.",
            "",
            "$$",
            "h_t = \\tanh(a_t)",
            "$$ (eq-ch99-z)",
            "",
            "```python",
            "print('no')",
            "```",
            "```{exercise} An exercise",
            ":label: ex-ch99-a",
            "Do it.",
            "```",
        ]
    )
    assert extract_corpus.prose(md) == [
        "A title",
        "Text with math, code, a link and. See the figure and the section.",
        "An exercise",
        "Do it.",
    ]


# ------------------------------------------------------------------- vocabulary and split


def test_vocabulary_round_trip_and_errors(vocab):
    assert vocab.chars == "".join(sorted(set(TEXT))) and vocab.size == len(set(TEXT))
    assert vocab.decode(vocab.encode(TEXT)) == TEXT
    with pytest.raises(ValueError, match="outside the vocabulary"):
        vocab.encode("CAT")
    with pytest.raises(ValueError, match="two distinct"):
        charlm.Vocabulary("aaaa")
    with pytest.raises(TypeError, match="str"):
        charlm.Vocabulary(b"bytes")


def test_split_is_by_position():
    ids = np.arange(100)
    tr, va = charlm.split(ids, 0.1)
    assert np.array_equal(tr, np.arange(90)) and np.array_equal(va, np.arange(90, 100))
    with pytest.raises(ValueError, match="below 1"):
        charlm.split(ids, 1.5)
    with pytest.raises(TypeError, match="integer ids"):
        charlm.split(np.ones(5), 0.1)


# ------------------------------------------------------------------- stateful batches


@pytest.mark.parametrize("L, N, T", [(101, 4, 5), (1000, 7, 3), (34, 3, 11), (10, 1, 9)])
def test_batches_continue_their_streams(L, N, T):
    ids = np.arange(L)  # id = position: every relation is visible
    X, Y = charlm.stream_batches(ids, N, T)
    B = ((L - 1) // N) // T
    assert X.shape == Y.shape == (B, N, T)
    assert np.array_equal(Y, X + 1)  # targets: the next character
    stream = X.transpose(1, 0, 2).reshape(N, B * T)  # batches glued back, stream by stream
    assert np.all(np.diff(stream, axis=1) == 1)  # batch j+1 continues batch j
    assert np.array_equal(stream[:, 0], np.arange(N) * ((L - 1) // N))
    assert Y.max() < L


def test_too_short_a_text_is_refused():
    with pytest.raises(ValueError, match="N T \\+ 1 = 41"):
        charlm.stream_batches(np.arange(40), 4, 10)


# ------------------------------------------------------------------- the carried state


def test_the_fast_path_returns_the_last_state():
    params = bptt.init_params(3, 5, 4, seed=1)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((2, 9, 3))
    Y = rng.integers(0, 4, (2, 9))
    h0 = rng.standard_normal((2, 5))
    Hs = rnn.forward(params, X, h0)[0]
    for k in (None, 2, 4):
        for config in (fast.DEFAULT, fast.FastConfig(chunk_rows=2, segment_min=0)):
            res = fast.loss_and_grads(params, X, Y, loss="nll", h0=h0, truncate=k, config=config)
            np.testing.assert_allclose(res.hT, Hs[:, -1], rtol=0, atol=1e-13)


def test_carrying_the_state_equals_truncation_of_the_whole_stream(vocab):
    """Two batches with the carried state: the losses add to one call with truncate=T, and the
    gradients too (the carried state is a value: no gradient crosses the batch boundary)."""
    params = charlm.init_model(vocab.size, 6, seed=2)
    X, Y = charlm.stream_batches(vocab.encode(TEXT), 3, 5)
    C = vocab.size
    h = np.zeros((3, 6))
    total, grads = 0.0, None
    for j in range(2):
        loss, g, h = charlm.batch_loss(params, charlm.one_hot(X[j], C), Y[j], h)
        total, grads = total + loss, g if grads is None else grads + g
    X2 = charlm.one_hot(np.concatenate([X[0], X[1]], axis=1), C)
    Y2 = np.concatenate([Y[0], Y[1]], axis=1)
    loss2, grads2 = bptt.many_to_many(params, X2, Y2, "nll", truncate=5)
    assert abs(total - loss2) < 1e-12
    for a, b in zip(grads, grads2):
        np.testing.assert_allclose(a, b, atol=1e-12)
    _, full = bptt.many_to_many(params, X2, Y2, "nll")
    assert bptt.train.flatten(full - grads2).max() > 1e-6  # and that differs from full BPTT


# ------------------------------------------------------------------- baselines and loss


def test_baselines_are_what_they_say():
    tr, va = np.array([0, 1, 0, 1, 0, 1, 0]), np.array([1, 0, 2])
    p = (np.array([4, 3, 0]) + 1.0) / 10
    assert math.isclose(charlm.unigram_bits(tr, va, 3), -np.log2(p[[1, 0, 2]]).mean())
    # bigram, alpha 0.5: rows 0 -> (0.5, 3.5, 0.5)/4.5, 1 -> (3.5, 0.5, 0.5)/4.5
    p01, p10, p02 = 3.5 / 4.5, 3.5 / 4.5, 0.5 / 4.5
    want = -np.log2([p01, p10, p02]).mean()  # predecessors 0 (last training id), 1, 0
    assert math.isclose(charlm.bigram_bits(tr, va, 3, alpha=0.5), want)


def test_bits_per_char_of_a_uniform_model_is_log2_C(vocab):
    params = charlm.init_model(vocab.size, 4, seed=0)
    zero = bptt.Params(*(np.zeros_like(p) for p in params))
    ids = vocab.encode(TEXT)
    assert math.isclose(charlm.bits_per_char(zero, ids), math.log2(vocab.size))
    X1 = charlm.one_hot(ids[None, :-1], vocab.size)
    nll = bptt.many_to_many(params, X1, ids[None, 1:], "nll")
    one = charlm.bits_per_char(params, ids, n_streams=1)
    assert math.isclose(one, nll[0] / (len(ids) - 1) / math.log(2), rel_tol=1e-12)


# ------------------------------------------------------------------- training


def test_training_is_deterministic_learns_and_beats_the_bigram(vocab):
    ids = vocab.encode(TEXT)
    tr, va = charlm.split(ids)
    kw = dict(steps=60, n_streams=4, seq_len=8, lr=0.03, eval_every=20, keep=(20,))
    a = charlm.train(charlm.init_model(vocab.size, 16, seed=0), tr, va, **kw)
    b = charlm.train(charlm.init_model(vocab.size, 16, seed=0), tr, va, **kw)
    assert np.array_equal(a.train_bits, b.train_bits) and np.array_equal(a.valid_bits, b.valid_bits)
    assert list(a.eval_steps) == [20, 40, 60] and set(a.snapshots) == {20}
    assert a.valid_bits[-1] < a.valid_bits[0] < math.log2(vocab.size)
    assert a.valid_bits[-1] < charlm.bigram_bits(tr, va, vocab.size)
    assert a.grad_norm.shape == (60,) and np.all(a.grad_norm > 0)


def test_reset_differs_from_carry(vocab):
    ids = vocab.encode(TEXT)
    tr, va = charlm.split(ids)
    kw = dict(steps=10, n_streams=4, seq_len=8, eval_every=10)
    p = charlm.init_model(vocab.size, 8, seed=0)
    carried = charlm.train(p, tr, va, carry=True, **kw)
    reset = charlm.train(p, tr, va, carry=False, **kw)
    assert carried.train_bits[0] == reset.train_bits[0]  # the first batch starts from zeros
    assert not np.array_equal(carried.train_bits[1:], reset.train_bits[1:])


# ------------------------------------------------------------------- sampling


def test_temperature_divides_the_logits_before_the_softmax():
    o = np.array([2.0, 1.0, -1.0])
    for tau in (0.5, 1.0, 1.5):
        e = np.exp(o / tau)
        np.testing.assert_allclose(charlm.temperature_softmax(o, tau), e / e.sum())
    assert charlm.temperature_softmax(o, 0.01)[0] > 0.999  # cold: the argmax
    assert np.ptp(charlm.temperature_softmax(o, 1e3)) < 1e-2  # hot: nearly uniform
    with pytest.raises(ValueError, match="temperature"):
        charlm.temperature_softmax(o, 0.0)


def test_sample_is_seeded_and_draws_from_the_network(vocab):
    params = charlm.init_model(vocab.size, 8, seed=3)
    s1 = charlm.sample(params, vocab, 50, 1.0, seed=5, prompt="the ")
    assert s1 == charlm.sample(params, vocab, 50, 1.0, seed=5, prompt="the ")
    assert s1 != charlm.sample(params, vocab, 50, 1.0, seed=6, prompt="the ")
    assert len(s1) == 50 and set(s1) <= set(vocab.chars)
    # the first draw, by hand: read the prompt, then one choice from the seeded generator
    W, U, V, b, c = params
    h = np.zeros((1, 8))
    for x in vocab.encode("the "):
        h = np.tanh(h @ W.T + charlm.one_hot([x], vocab.size) @ U.T + b)
    p = charlm.temperature_softmax(h[0] @ V.T + c, 1.0)
    assert s1[0] == vocab.chars[np.random.default_rng(5).choice(vocab.size, p=p)]


def test_save_and_load_round_trip(vocab, tmp_path):
    params = charlm.init_model(vocab.size, 5, seed=4)
    charlm.save(tmp_path / "m.npz", params, vocab)
    back, v2 = charlm.load(tmp_path / "m.npz")
    assert v2.chars == vocab.chars
    for a, b in zip(params, back):
        assert np.array_equal(a, b)


# ------------------------------------------------------------------- the LSTM


def test_lstm_carries_h_and_c_as_truncation_of_the_whole_stream(vocab):
    lp = charlm.init_model(vocab.size, 5, seed=2, kind="lstm")
    plain = bptt.init_lstm_params(vocab.size, 5, vocab.size, seed=2)
    assert isinstance(lp, bptt.LSTMParams)
    np.testing.assert_allclose(lp.b[5:10] - plain.b[5:10], 1.0)  # the forget gate's bias + 1
    X, Y = charlm.stream_batches(vocab.encode(TEXT), 3, 4)
    C = vocab.size
    state = charlm._zero_state(lp, 3)
    total, grads = 0.0, None
    for j in range(2):
        loss, g, state = charlm.batch_loss(lp, charlm.one_hot(X[j], C), Y[j], state)
        total, grads = total + loss, g if grads is None else grads + g
    X2 = charlm.one_hot(np.concatenate([X[0], X[1]], axis=1), C)
    Y2 = np.concatenate([Y[0], Y[1]], axis=1)
    hT, cT = bptt.lstm.lstm_final_state(lp, X2)
    np.testing.assert_allclose(state[0], hT, atol=1e-13)
    np.testing.assert_allclose(state[1], cT, atol=1e-13)
    loss2, grads2 = bptt.lstm_many_to_many(lp, X2, Y2, "nll", truncate=4)
    assert abs(total - loss2) < 1e-12
    for a, b in zip(grads, grads2):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_lstm_trains_samples_and_round_trips(vocab, tmp_path):
    ids = vocab.encode(TEXT)
    tr, va = charlm.split(ids)
    lp = charlm.init_model(vocab.size, 12, seed=0, kind="lstm")
    run = charlm.train(lp, tr, va, steps=40, n_streams=4, seq_len=8, lr=0.03, eval_every=20)
    assert isinstance(run.params, bptt.LSTMParams)
    assert run.valid_bits[-1] < run.valid_bits[0] < math.log2(vocab.size)
    zero = bptt.LSTMParams(*(np.zeros_like(p) for p in lp))
    assert math.isclose(charlm.bits_per_char(zero, ids), math.log2(vocab.size))
    s = charlm.sample(run.params, vocab, 30, 0.8, seed=1, prompt="the ")
    assert s == charlm.sample(run.params, vocab, 30, 0.8, seed=1, prompt="the ") and len(s) == 30
    charlm.save(tmp_path / "l.npz", run.params, vocab)
    back, v2 = charlm.load(tmp_path / "l.npz")
    assert isinstance(back, bptt.LSTMParams) and v2.chars == vocab.chars
    assert all(np.array_equal(a, b) for a, b in zip(back, run.params))


def test_adam_and_clipping_keep_the_lstm_type():
    lp = bptt.init_lstm_params(3, 2, 3, seed=0)
    g = lp.scale(10.0)
    clipped = bptt.train.clip_by_norm(g, 1.0)
    assert isinstance(clipped, bptt.LSTMParams) and math.isclose(clipped.norm(), 1.0)
    new = bptt.train.Adam(0.1).step(lp, g)
    assert isinstance(new, bptt.LSTMParams)
    np.testing.assert_allclose(new.W, lp.W - 0.1 * np.sign(g.W), atol=1e-6)  # Adam's first step
