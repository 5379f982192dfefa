"""Assignment 11, a character-level language model: temperature_softmax, sample_next,
stream_batches, stateful_gradient. The references are ``bptt.charlm``'s own functions."""

import numpy as np

from .. import charlm, rnn
from ..losses import softmax
from ..params import Params
from ..rnn import many_to_many
from .engine import CheckFailed, call, compare, compare_all, each_size, fail, passed, unpack

# ----------------------------------------------------------------------------- temperature


def _logit_cases(seed):
    rng = np.random.default_rng(seed)
    return [(3.0 * rng.standard_normal(7), tau) for tau in (0.5, 1.0, 2.0)] + [
        (rng.standard_normal(5) - 1.0, 0.3)
    ]


def check_temperature_softmax(fn, seed=0):
    """Check ``fn(logits, temperature) -> p``: softmax(logits / temperature), (C,) to (C,)."""
    name = "temperature_softmax"
    for o, tau in _logit_cases(seed):
        got = call(fn, name, o, tau)
        ref = charlm.temperature_softmax(o, tau)
        mistakes = {
            "The temperature is applied after the softmax (softmax(o) / temperature): these "
            "numbers do not even sum to 1. Divide the logits by the temperature first, then take "
            "the softmax.": softmax(o) / tau,
            "The softmax is taken twice (softmax(softmax(o) / temperature)): divide the logits, "
            "not the probabilities.": softmax(softmax(o) / tau),
            "The logits are multiplied by the temperature; divide them by it (a temperature below "
            "1 must sharpen the distribution).": softmax(o * tau),
            "The temperature is ignored: this is softmax(o) itself.": softmax(o),
        }
        compare(name, got, ref, mistakes, label="p", note=f"(temperature {tau}, C = {o.size})")
    big = np.array([1000.0, 999.0, 990.0, 0.0])
    got = np.asarray(call(fn, name, big, 1.0), dtype=float)
    if got.shape != (4,) or not np.all(np.isfinite(got)):
        fail(
            name,
            "for the logits (1000, 999, 990, 0) the result holds NaN or inf: exp(1000) "
            "overflows. Subtract the largest logit before the exp (the softmax does not change).",
            kind="overflow",
        )
    compare(
        name,
        got,
        charlm.temperature_softmax(big, 1.0),
        label="p",
        note="(logits 1000, 999, 990, 0)",
    )
    passed(name, "p at temperatures 0.3 to 2, and for logits near 1000")


# ----------------------------------------------------------------------------- sampling


def _draws(logits, temps, seed, probs):
    rng = np.random.default_rng(seed)
    return np.array([rng.choice(o.size, p=probs(o, t)) for o, t in zip(logits, temps)])


def check_sample_next(fn, seed=0):
    """Check ``fn(logits, temperature, rng) -> int``: one draw from softmax(logits / temperature)
    with ``rng.choice(C, p=p)``, rng a ``np.random.Generator`` that the function must use."""
    name = "sample_next"
    rng0 = np.random.default_rng(100 + seed)
    logits = [2.0 * rng0.standard_normal(6) for _ in range(40)]
    temps = [(0.5, 1.0, 1.5)[k % 3] for k in range(40)]
    rng = np.random.default_rng(seed)
    before = rng.bit_generator.state
    got = []
    for o, t in zip(logits, temps):
        try:
            x = call(fn, name, o, t, rng)
        except CheckFailed as exc:
            if "sum to 1" in str(exc):
                fail(
                    name,
                    "rng.choice refused the probabilities because they do not sum to 1: the "
                    "temperature is applied after the softmax. Divide the logits by it first.",
                    kind="mistake",
                )
            raise
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)):
            fail(
                name,
                f"it must return one int (a character id), got {type(x).__name__} {x!r}.",
                kind="shape",
            )
        got.append(int(x))
    ref = _draws(logits, temps, seed, charlm.temperature_softmax)
    times = "The draws follow softmax(logits * temperature): divide the logits by the temperature."
    ignored = "The draws ignore the temperature (they follow softmax(logits))."
    mistakes = {
        times: _draws(logits, temps, seed, lambda o, t: softmax(o * t)),
        ignored: _draws(logits, temps, seed, lambda o, t: softmax(o)),
    }
    greedy = np.array([o.argmax() for o in logits])
    if np.array_equal(got, greedy) and not np.array_equal(ref, greedy):
        fail(
            name,
            "it returns the most likely character (argmax) instead of drawing one: "
            "sampling draws from the distribution, rng.choice(C, p=p).",
            kind="mistake",
        )
    if rng.bit_generator.state == before:
        fail(
            name,
            "the generator `rng` it was given is untouched: draw with rng.choice(C, p=p), "
            "not with np.random.choice or a generator of its own, so that a seed reproduces the "
            "text.",
            kind="mistake",
        )
    compare(
        name,
        np.array(got),
        ref,
        mistakes,
        label="the 40 draws",
        note="(40 calls with one generator np.random.default_rng(seed))",
    )
    passed(name, "40 draws at temperatures 0.5, 1 and 1.5 from a seeded generator")


# ----------------------------------------------------------------------------- stream batches


# sizes every check also runs (the hidden tests only add seeds)
STREAM_EDGES = [dict(L=100, N=3, T=5), dict(L=57, N=1, T=8)]


def check_stream_batches(fn, seed=0, L=203, N=4, T=6):
    """Check ``fn(ids, n_streams, seq_len) -> (X, Y)``, both (B, N, T) ints: stream n starts at
    n·S with S = (len(ids) - 1) // N, batch j holds its steps jT..jT+T-1, Y one step later,
    B = S // T whole batches."""
    base = dict(L=L, N=N, T=T)
    passed(*each_size(_stream_batches_once, fn, seed, base, STREAM_EDGES))


def _stream_batches_once(fn, seed=0, L=203, N=4, T=6):
    """One size of ``check_stream_batches``; returns what ``passed`` prints."""
    name = "stream_batches"
    ids = np.random.default_rng(seed).permutation(L)  # distinct ids: every position shows
    X_ref, Y_ref = charlm.stream_batches(ids, N, T)
    B = X_ref.shape[0]
    S = (L - 1) // N
    pos = np.arange(N)[:, None] * S + np.arange(B * T)

    def batched(p):
        return ids[np.clip(p, 0, L - 1)].reshape(N, B, T).transpose(1, 0, 2)

    rows = ids[: B * N * T].reshape(B, N, T)  # each batch a fresh stretch of text
    rows_next = ids[1 : B * N * T + 1].reshape(B, N, T)
    got = unpack(call(fn, name, ids, N, T), name, ["X", "Y"])
    no_stream = (
        "Each batch is a new stretch of the text cut into N rows, so row n of batch "
        "j + 1 does not continue row n of batch j (the carried state would join unrelated text). "
        "Cut the text into N streams first, then each stream into batches."
    )
    late = "The inputs are one step late (they are the targets): X holds x_t, Y holds x_{t+1}."
    same = (
        "Off by one: the targets equal the inputs. The target of x_t is the next character, "
        "one position later."
    )
    two = "Off by one: the targets are two positions after the inputs; one is right."
    before = "Off by one: the targets are the characters before the inputs; they come after."
    x_mistakes = {late: batched(pos + 1), no_stream: rows}
    y_mistakes = {
        same: batched(pos),
        two: batched(pos + 2),
        before: batched(pos - 1),
        no_stream: rows_next,
    }
    compare_all(
        name,
        [
            ("X", got[0], X_ref, dict(mistakes=x_mistakes)),
            ("Y", got[1], Y_ref, dict(mistakes=y_mistakes)),
        ],
        note=f"(len(ids) = {L}, N = {N}, T = {T}: streams of {S} characters, {B} batches)",
    )
    return name, f"X and Y, {B} batches of {N} streams x {T} steps"


# ----------------------------------------------------------------------------- stateful gradient


def _stateful(params, X, Y, carry="value"):
    """Sum of the batch losses and gradients over B batches, the state handled as ``carry`` says."""
    B, N = Y.shape[:2]
    h = np.zeros((N, params.W.shape[0]))
    total, grads = 0.0, Params(*(np.zeros_like(p) for p in params))
    for j in range(B):
        h0 = None if carry == "reset" else h
        loss, g = many_to_many(params, X[j], Y[j], loss="nll", h0=h0)
        total, grads = total + loss, grads + g
        start = np.zeros_like(h) if carry == "fresh" else h
        Hs = rnn.forward(params, X[j], start)[0]
        h = Hs[:, -2] if carry == "before_last" else Hs[:, -1]
    return total, grads


STATEFUL_EDGES = [dict(B=4, N=3, T=2)]


def check_stateful_gradient(fn, seed=0, B=3, N=2, T=4, C=5, H=3):
    """Check ``fn(params, X, Y) -> (loss, grads)``: X (B, N, T, C) one-hot, Y (B, N, T) int.

    The loss and the gradient of the B consecutive batches with many_to_many's NLL, summed over
    the batches; batch 0 starts from zeros, batch j + 1 from the last state h_T of batch j,
    carried as a value (no gradient crosses a batch boundary).
    """
    base = dict(B=B, N=N, T=T, C=C, H=H)
    passed(*each_size(_stateful_gradient_once, fn, seed, base, STATEFUL_EDGES))


def _stateful_gradient_once(fn, seed=0, B=3, N=2, T=4, C=5, H=3):
    """One size of ``check_stateful_gradient``; returns what ``passed`` prints."""
    name = "stateful_gradient"
    rng = np.random.default_rng(seed)
    params = charlm.init_model(C, H, seed=seed)
    ids = rng.integers(0, C, size=B * N * T + N + 1)
    Xi, Y = charlm.stream_batches(ids, N, T)
    Xi, Y = Xi[:B], Y[:B]
    X = charlm.one_hot(Xi, C)
    ref_loss, ref = _stateful(params, X, Y)
    full = many_to_many(
        params, np.concatenate(list(X), axis=1), np.concatenate(list(Y), axis=1), loss="nll"
    )
    variants = {
        "The gradient crosses the batch boundaries, as full BPTT over all the batches: the carried "
        "state must be a value (h0=h), with no gradient into the previous batch (h.detach() in "
        "PyTorch).": full,
        "The state is reset to zero for every batch: batch j + 1 must start from the last state "
        "of batch j.": _stateful(params, X, Y, "reset"),
        "Off by one: the state carried is the one before the last step (Hs[:, -2]); carry h_T, "
        "Hs[:, -1].": _stateful(params, X, Y, "before_last"),
        "The carried state is recomputed from zeros over each batch alone, so it never holds "
        "more than one batch of history: run the forward pass from the carried state.": _stateful(
            params, X, Y, "fresh"
        ),
        f"The losses and gradients are averaged over the {B} batches; sum them.": (
            ref_loss / B,
            ref.scale(1.0 / B),
        ),
    }
    got = unpack(call(fn, name, params, X, Y), name, ["loss", "grads"])
    grads = got[1]
    if not isinstance(grads, (tuple, list)) or len(grads) != 5:
        fail(name, "grads must be a bptt.Params (W, U, V, b, c).", kind="shape")
    outputs = [
        (
            "loss",
            np.asarray(got[0], dtype=float).reshape(-1)[:1] if np.size(got[0]) == 1 else got[0],
            np.array([ref_loss]),
            dict(mistakes={k: np.array([v[0]]) for k, v in variants.items()}),
        )
    ]
    for i, field in enumerate(Params._fields):
        outputs.append(
            (
                f"d{field}",
                grads[i],
                ref[i],
                dict(mistakes={k: v[1][i] for k, v in variants.items()}),
            )
        )
    compare_all(name, outputs, note=f"({B} batches of N = {N} streams x T = {T} steps)")
    return name, f"the loss and dW, dU, dV, db, dc over {B} batches with the carried state"
