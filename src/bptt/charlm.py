"""A character-level language model trained with the course's own BPTT (chapter 11).

In the spirit of Karpathy's min-char-rnn: the text becomes integer ids over its vocabulary, the
network reads one character (one-hot, D = C = the vocabulary size) and predicts the next. Training
is stateful truncated BPTT: the training text is cut into N parallel streams, consecutive batches
of T steps continue each stream, and the last hidden state of one batch is the h0 of the next
(its value is carried, its gradient is not: chapter 8's truncation with k = T)::

    text = course_text()                          the course's prose (package data)
    vocab = Vocabulary(text); ids = vocab.encode(text)
    train_ids, valid_ids = split(ids)             by position: the last 10% validates
    X, Y = stream_batches(train_ids, N, T)        (B, N, T) int ids, Y[j] = X[j] shifted by one
    run = train(params, train_ids, valid_ids, steps=300)
    bits_per_char(params, valid_ids)              the validation loss in bits per character
    unigram_bits(...), bigram_bits(...)           the baselines, on the same split
    sample(params, vocab, 200, temperature=0.5, seed=0)

A model is a ``bptt.Params`` (the tanh RNN of the course; its state is h) or a
``bptt.LSTMParams`` (chapter 10's LSTM; its state is the pair (h, c)). The loss, gradient and
last state of a batch come from ``bptt.fast.loss_and_grads`` (``Result.hT``) or
``bptt.lstm_fast.loss_and_grads`` (``hT, cT``), one step of sampling from ``bptt.rnn.step_forward``
or ``bptt.lstm.lstm_step_forward``. ``python -m bptt.charlm --text FILE`` trains on one's own text
(see ``main``).
"""

import argparse
import importlib.resources
import math
import pathlib
import sys
from typing import NamedTuple

import numpy as np

from . import fast, lstm, lstm_fast, rnn
from ._validate import check_choice, check_int, check_scalar
from .losses import log_softmax, softmax
from .lstm import LSTMParams, check_lstm_params, init_lstm_params
from .params import Params, check_params, init_params
from .train import Adam, clip_by_norm

MODELS = ("rnn", "lstm")

LN2 = math.log(2.0)


# ------------------------------------------------------------------- the text


def course_text():
    """The course's own prose (``make corpus`` extracts it), read from the installed package."""
    return importlib.resources.files("bptt").joinpath("corpus/course.txt").read_text("utf-8")


class Vocabulary:
    """The distinct characters of a text, sorted, and the ids 0..C-1 that stand for them.

    Parameters
    ----------
    text : str
        At least two distinct characters (with one there is nothing to predict).
    """

    def __init__(self, text):
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        self.chars = "".join(sorted(set(text)))
        if len(self.chars) < 2:
            raise ValueError(
                f"text must hold at least two distinct characters, got {len(self.chars)}"
            )
        self.index = {ch: i for i, ch in enumerate(self.chars)}

    @property
    def size(self):
        """C, the number of characters."""
        return len(self.chars)

    def encode(self, text):
        """The ids of a text's characters: int ndarray, shape (len(text),)."""
        unknown = sorted(set(text) - set(self.index))
        if unknown:
            raise ValueError(f"text holds characters outside the vocabulary: {unknown[:5]}")
        return np.array([self.index[ch] for ch in text], dtype=np.intp)

    def decode(self, ids):
        """The text of a sequence of ids (array_like of ints in [0, C))."""
        return "".join(self.chars[int(i)] for i in np.ravel(ids))


def _ids(ids, name="ids", minimum=1):
    """ids as a 1-D integer ndarray of at least ``minimum`` entries, or TypeError/ValueError."""
    arr = np.asarray(ids)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
        raise TypeError(
            f"{name} must be a 1-D array of integer ids, got dtype {arr.dtype}, shape {arr.shape}"
        )
    if arr.size < minimum:
        raise ValueError(f"{name} must hold at least {minimum} ids, got {arr.size}")
    return arr


def split(ids, valid_fraction=0.1):
    """Training and validation ids by position: the last ``valid_fraction`` of the text validates.

    A split by position (not a random one) keeps the validation text unseen as a whole: random
    characters drawn out of the text would sit between training characters.

    Parameters
    ----------
    ids : array_like of int, shape (L,)
    valid_fraction : float, optional
        In (0, 1).

    Returns
    -------
    train_ids, valid_ids : ndarray, shapes (L - m,), (m,) with m = round(valid_fraction L)
    """
    ids = _ids(ids, minimum=2)
    f = check_scalar(valid_fraction, "valid_fraction", positive=True)
    if f >= 1:
        raise ValueError(f"valid_fraction must be below 1, got {f}")
    m = min(len(ids) - 1, max(1, round(f * len(ids))))
    return ids[: len(ids) - m], ids[len(ids) - m :]


def one_hot(ids, n_classes):
    """float64 one-hot rows: shape ids.shape + (n_classes,)."""
    return np.eye(n_classes)[np.asarray(ids)]


# ------------------------------------------------------------------- stateful batches


def stream_batches(ids, n_streams, seq_len):
    """Cut a text into N parallel streams and each stream into consecutive batches of T steps.

    Stream n is the stretch that starts at n·L with L = (len(ids) - 1) // N; batch j holds steps
    jT..jT+T-1 of every stream, and its targets are the same characters one step later, so the
    last target of batch j is the first input of batch j + 1. The B = L // T whole batches are
    kept; the tail of each stream that does not fill a batch is dropped.

    Parameters
    ----------
    ids : array_like of int, shape (L_total,)
    n_streams, seq_len : int
        N and T.

    Returns
    -------
    X, Y : ndarray of int, shape (B, N, T)
        Inputs and targets: ``Y[j, n, t]`` follows ``X[j, n, t]`` in the text.
    """
    ids = _ids(ids, minimum=2)
    N = check_int(n_streams, "n_streams", minimum=1)
    T = check_int(seq_len, "seq_len", minimum=1)
    L = (len(ids) - 1) // N
    B = L // T
    if B < 1:
        raise ValueError(
            f"ids must hold at least N T + 1 = {N * T + 1} ids for one batch of {N} streams of "
            f"{T} steps, got {len(ids)}"
        )
    pos = np.arange(N)[:, None] * L + np.arange(B * T)  # (N, B T): stream n, step s
    X = ids[pos].reshape(N, B, T).transpose(1, 0, 2)
    Y = ids[pos + 1].reshape(N, B, T).transpose(1, 0, 2)
    return X, Y


# ------------------------------------------------------------------- the model


def init_model(n_chars, n_hidden, seed=0, kind="rnn"):
    """A model for C = n_chars characters (D = C = n_chars).

    kind "rnn": ``bptt.init_params``; "lstm": ``bptt.init_lstm_params`` with the forget gate's
    bias at 1 (a common start: the cell keeps its content until training says otherwise).
    """
    if check_choice(kind, "kind", MODELS) == "lstm":
        return init_lstm_params(n_chars, n_hidden, n_chars, seed=seed, forget_bias=1.0)
    return init_params(n_chars, n_hidden, n_chars, seed=seed)


def _check_model(params):
    """A checked Params or LSTMParams."""
    return check_lstm_params(params) if isinstance(params, LSTMParams) else check_params(params)


def _zero_state(params, n):
    """The state h_0 = 0 (RNN) or (h_0, c_0) = (0, 0) (LSTM) of n streams."""
    h = np.zeros((n, params.W.shape[1]))
    return (h, h.copy()) if isinstance(params, LSTMParams) else h


def batch_loss(params, X, Y, state):
    """Loss, gradients and last state of one batch, from the carried state.

    Parameters
    ----------
    params : Params or LSTMParams
    X : ndarray, shape (N, T, C)
        One-hot inputs.
    Y : ndarray of int, shape (N, T)
        Target ids.
    state : ndarray, shape (N, H); for an LSTM a pair (h0, c0) of them
        The state carried in: a value, so no gradient flows into the previous batch.

    Returns
    -------
    loss : float
        NLL in nats, summed over the T steps and averaged over the N streams.
    grads : Params or LSTMParams
    state : ndarray, shape (N, H), or the pair (h_T, c_T)
        The last state, the state of the next batch.
    """
    if isinstance(params, LSTMParams):
        res = lstm_fast.loss_and_grads(params, X, Y, loss="nll", h0=state[0], c0=state[1])
        return res.loss, res.grads, (res.hT, res.cT)
    res = fast.loss_and_grads(params, X, Y, loss="nll", h0=state)
    return res.loss, res.grads, res.hT


def _logits(params, X):
    """The outputs o_t (N, T, C) of a whole batch X (N, T, C) read from the zero state."""
    if isinstance(params, LSTMParams):
        return lstm.lstm_forward(params, X)[2]
    return rnn.forward(params, X)[1]


def _step(params, x, state):
    """One step from the state: (logits (C,) of the next character, new state); x one id."""
    x = one_hot([x], params.V.shape[0])
    if isinstance(params, LSTMParams):
        h, c, _ = lstm.lstm_step_forward(x, *state, params.W, params.U, params.b)
        state = (h, c)
    else:
        h, _ = rnn.step_forward(x, state, params.W, params.U, params.b)
        state = h
    return h[0] @ params.V.T + params.c, state


def bits_per_char(params, ids, n_streams=16):
    """Mean -log₂ p(next character) over a text: the validation loss in bits per character.

    The text is cut into ``n_streams`` equal pieces, each read from the zero state in one forward
    pass (``bptt.rnn.forward`` or ``bptt.lstm.lstm_forward``); every character but the first of
    each piece is predicted.

    Parameters
    ----------
    params : Params or LSTMParams
    ids : array_like of int, shape (L,)
        At least 2 n_streams ids.
    n_streams : int, optional

    Returns
    -------
    float
        Bits per character; 2 ** bits is the perplexity.
    """
    params = _check_model(params)
    N = check_int(n_streams, "n_streams", minimum=1)
    ids = _ids(ids, minimum=2 * N)
    L = len(ids) // N
    pieces = ids[: N * L].reshape(N, L)
    O = _logits(params, one_hot(pieces[:, :-1], params.V.shape[0]))
    logp = log_softmax(O, axis=-1)  # (N, L - 1, C)
    nats = -np.take_along_axis(logp, pieces[:, 1:, None], axis=-1).mean()
    return float(nats / LN2)


# ------------------------------------------------------------------- baselines


def unigram_bits(train_ids, valid_ids, n_chars, alpha=1.0):
    """Bits per character of the character frequencies of the training text, on validation.

    p(ch) = (count(ch) + α) / (L + α C): add-α smoothing, so a character unseen in training
    still has a probability.
    """
    train_ids, valid_ids = _ids(train_ids, "train_ids"), _ids(valid_ids, "valid_ids")
    counts = np.bincount(train_ids, minlength=n_chars) + alpha
    logp = np.log2(counts / counts.sum())
    return float(-logp[valid_ids].mean())


def bigram_bits(train_ids, valid_ids, n_chars, alpha=0.1):
    """Bits per character of p(next | previous) counted on the training text, on validation.

    p(b | a) = (count(a b) + α) / (count(a ·) + α C). Every validation character is predicted,
    the first one from the last training character (the split is by position).
    """
    train_ids, valid_ids = _ids(train_ids, "train_ids", 2), _ids(valid_ids, "valid_ids")
    counts = np.full((n_chars, n_chars), float(alpha))
    np.add.at(counts, (train_ids[:-1], train_ids[1:]), 1.0)
    logp = np.log2(counts / counts.sum(axis=1, keepdims=True))
    prev = np.concatenate([train_ids[-1:], valid_ids[:-1]])
    return float(-logp[prev, valid_ids].mean())


# ------------------------------------------------------------------- training


class Run(NamedTuple):
    """What ``train`` returns.

    Attributes
    ----------
    params : Params or LSTMParams
        The final parameters.
    train_bits : ndarray, shape (steps,)
        Each batch's loss in bits per character (before its update).
    eval_steps : ndarray of int, shape (E,)
        The steps after which the validation text was scored (1-based: after that many updates).
    valid_bits : ndarray, shape (E,)
        Validation bits per character at those steps.
    grad_norm : ndarray, shape (steps,)
        ‖g‖ of each gradient before clipping.
    snapshots : dict
        ``{step: parameters}`` at the steps asked for with ``keep``.
    """

    params: tuple
    train_bits: np.ndarray
    eval_steps: np.ndarray
    valid_bits: np.ndarray
    grad_norm: np.ndarray
    snapshots: dict


def train(
    params,
    train_ids,
    valid_ids,
    steps=300,
    n_streams=32,
    seq_len=32,
    lr=0.01,
    clip_norm=5.0,
    carry=True,
    eval_every=50,
    keep=(),
    progress=None,
):
    """Stateful truncated BPTT with Adam and norm clipping; deterministic (no random draw).

    Step i trains on batch j = i mod B of ``stream_batches(train_ids, N, T)``: from the state the
    previous batch left (``carry=True``) or from zeros (``carry=False``, every batch reset); the
    state is zero again whenever the streams start over (j = 0).

    Parameters
    ----------
    params : Params or LSTMParams
        The initial model (not changed).
    train_ids, valid_ids : array_like of int
    steps, n_streams, seq_len : int, optional
        Updates, N and T.
    lr : float, optional
        Adam's learning rate (``bptt.train.Adam``).
    clip_norm : float, optional
        τ of ``bptt.train.clip_by_norm`` (the loss sums T steps, so the gradient does too).
    carry : bool, optional
    eval_every : int, optional
        Score the validation text every this many steps, and after the last.
    keep : iterable of int, optional
        Steps after which to keep a copy of the parameters (``Run.snapshots``).
    progress : callable, optional
        ``progress(step, train_bits, valid_bits or None)`` after each step (1-based step).

    Returns
    -------
    Run
    """
    params = _check_model(params)
    steps = check_int(steps, "steps", minimum=1)
    eval_every = check_int(eval_every, "eval_every", minimum=1)
    X_all, Y_all = stream_batches(train_ids, n_streams, seq_len)
    valid_ids = _ids(valid_ids, "valid_ids")
    C, T = params.V.shape[0], X_all.shape[2]
    opt = Adam(lr)
    keep = set(keep)
    train_bits, grad_norm = np.empty(steps), np.empty(steps)
    eval_steps, valid_bits, snapshots = [], [], {}
    state = _zero_state(params, X_all.shape[1])
    for i in range(steps):
        j = i % len(X_all)
        if j == 0 or not carry:
            state = _zero_state(params, X_all.shape[1])
        loss, grads, state = batch_loss(params, one_hot(X_all[j], C), Y_all[j], state)
        grad_norm[i] = grads.norm()
        params = opt.step(params, clip_by_norm(grads, clip_norm))
        train_bits[i] = loss / (T * LN2)
        scored = None
        if (i + 1) % eval_every == 0 or i + 1 == steps:
            scored = bits_per_char(params, valid_ids)
            eval_steps.append(i + 1)
            valid_bits.append(scored)
        if i + 1 in keep:
            snapshots[i + 1] = params.copy()
        if progress is not None:
            progress(i + 1, train_bits[i], scored)
    return Run(params, train_bits, np.array(eval_steps), np.array(valid_bits), grad_norm, snapshots)


# ------------------------------------------------------------------- sampling


def temperature_softmax(logits, temperature=1.0):
    """softmax(o / temperature): the distribution sampled at a temperature.

    The temperature divides the logits *before* the softmax: below 1 it sharpens the
    distribution towards the most likely character, above 1 it flattens it towards uniform.

    Parameters
    ----------
    logits : array_like, shape (C,) or (N, C)
    temperature : float
        > 0.
    """
    temperature = check_scalar(temperature, "temperature", positive=True)
    return softmax(np.asarray(logits, dtype=float) / temperature, axis=-1)


def sample(params, vocab, length, temperature=1.0, seed=0, prompt="\n"):
    """Generate text, one character at a time, each drawn from the network's own prediction.

    The network first reads ``prompt`` (teacher forcing: the true characters), then feeds each
    drawn character back as its next input. Draws come from
    ``np.random.default_rng(seed).choice(C, p=temperature_softmax(o_t, temperature))``.

    Parameters
    ----------
    params : Params or LSTMParams
    vocab : Vocabulary
    length : int
        Characters to generate (>= 0).
    temperature : float, optional
    seed : int, optional
    prompt : str, optional
        At least one character, all in the vocabulary.

    Returns
    -------
    str
        The ``length`` generated characters (the prompt not included).
    """
    params = _check_model(params)
    length = check_int(length, "length", minimum=0)
    if not isinstance(prompt, str) or not prompt:
        raise ValueError("prompt must be a non-empty str")
    rng = np.random.default_rng(seed)
    C = params.V.shape[0]
    state = _zero_state(params, 1)
    ids = list(vocab.encode(prompt))
    for x in ids[:-1]:  # read the prompt
        _, state = _step(params, x, state)
    x, out = ids[-1], []
    for _ in range(length):
        logits, state = _step(params, x, state)
        x = int(rng.choice(C, p=temperature_softmax(logits, temperature)))
        out.append(x)
    return vocab.decode(out)


# ------------------------------------------------------------------- saving


def save(path, params, vocab):
    """Write the parameters, their kind ("rnn" or "lstm") and the vocabulary to an .npz file."""
    params = _check_model(params)
    kind = "lstm" if isinstance(params, LSTMParams) else "rnn"
    np.savez(path, kind=np.array(kind), chars=np.array(list(vocab.chars)), **params._asdict())


def load(path):
    """Read what ``save`` wrote: (params, vocab)."""
    with np.load(path, allow_pickle=False) as f:
        cls = LSTMParams if str(f["kind"]) == "lstm" else Params
        params = _check_model(cls(*(f[name] for name in cls._fields)))
        vocab = Vocabulary("".join(f["chars"].tolist()))
    if vocab.size != params.V.shape[0]:
        raise ValueError(f"{path}: {vocab.size} characters but C = {params.V.shape[0]} outputs")
    return params, vocab


# ------------------------------------------------------------------- the command


class UnusableText(Exception):
    """A text the command cannot train on; its message is one line for the user."""


def read_text(path):
    """The text of a UTF-8 file with at least two distinct characters, or UnusableText."""
    path = pathlib.Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnusableText(f"{path}: no such file") from None
    except OSError as exc:
        raise UnusableText(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnusableText(
            f"{path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    if not text:
        raise UnusableText(f"{path} is empty: there is nothing to learn from")
    if len(set(text)) < 2:
        raise UnusableText(
            f"{path} holds one distinct character ({text[0]!r}): there is nothing to predict"
        )
    return text


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m bptt.charlm",
        description="Train a character-level RNN on a text with stateful truncated BPTT, "
        "print validation bits per character as it goes and a sample at the end.",
    )
    p.add_argument("--text", help="a UTF-8 text file (default: the course's own prose)")
    p.add_argument("--steps", type=int, default=500, help="updates (default 500; 0: no training)")
    p.add_argument("--model", choices=MODELS, default="rnn", help="rnn (default) or lstm")
    p.add_argument("--hidden", type=int, default=64, help="hidden units H (default 64)")
    p.add_argument("--seq", type=int, default=32, help="steps per batch T (default 32)")
    p.add_argument("--batch", type=int, default=32, help="parallel streams N (default 32)")
    p.add_argument("--lr", type=float, default=0.01, help="Adam's learning rate (default 0.01)")
    p.add_argument("--clip", type=float, default=5.0, help="norm clipping threshold (default 5)")
    p.add_argument("--seed", type=int, default=0, help="seeds the weights and the sample")
    p.add_argument("--save", metavar="P.npz", help="write the parameters here")
    p.add_argument("--load", metavar="P.npz", help="start from these parameters")
    p.add_argument("--sample-len", type=int, default=300, help="characters to sample (300)")
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (1)")
    p.add_argument("--eval-every", type=int, default=0, help="default: steps / 10")
    return p


def _check_args(a):
    for name in ("hidden", "seq", "batch"):
        if getattr(a, name) < 1:
            raise UnusableText(f"--{name} must be at least 1, got {getattr(a, name)}")
    for name in ("steps", "sample_len", "eval_every"):
        if getattr(a, name) < 0:
            raise UnusableText(f"--{name.replace('_', '-')} must be >= 0")
    for name in ("lr", "clip", "temperature"):
        if not getattr(a, name) > 0:
            raise UnusableText(f"--{name} must be positive, got {getattr(a, name)}")


def _run(a):
    """The command's work; raises UnusableText for anything the user must fix."""
    _check_args(a)
    text = course_text() if a.text is None else read_text(a.text)
    if a.load:
        try:
            params, vocab = load(a.load)
        except (OSError, KeyError, ValueError, TypeError) as exc:
            raise UnusableText(f"{a.load}: not a parameter file of this command ({exc})") from None
        try:
            ids = vocab.encode(text)
        except ValueError:
            raise UnusableText("the text has characters that the loaded model does not know")
    else:
        vocab = Vocabulary(text)
        ids = vocab.encode(text)
        params = init_model(vocab.size, a.hidden, seed=a.seed, kind=a.model)
    kind = "LSTM" if isinstance(params, LSTMParams) else "RNN"
    print(f"{len(ids)} characters, {vocab.size} distinct; {kind}, H = {params.W.shape[1]}")
    if a.steps:
        train_ids, valid_ids = split(ids)
        need = a.batch * a.seq + 1
        if len(train_ids) < need or len(valid_ids) < 16:
            raise UnusableText(
                f"the text is too short for --batch {a.batch} streams of --seq {a.seq} steps: "
                f"training needs {need} characters and validation 16, the text has {len(ids)}"
            )
        V = vocab.size
        print(
            f"baselines on validation: unigram {unigram_bits(train_ids, valid_ids, V):.3f}, "
            f"bigram {bigram_bits(train_ids, valid_ids, V):.3f} bits per character"
        )
        from tqdm import tqdm

        bar = tqdm(total=a.steps, desc="training", unit="step")

        def progress(step, bits, scored):
            bar.update(1)
            bar.set_postfix(train_bits=f"{bits:.2f}")
            if scored is not None:
                bar.write(f"step {step}: validation {scored:.3f} bits per character")

        run = train(
            params,
            train_ids,
            valid_ids,
            steps=a.steps,
            n_streams=a.batch,
            seq_len=a.seq,
            lr=a.lr,
            clip_norm=a.clip,
            eval_every=a.eval_every or max(1, a.steps // 10),
            progress=progress,
        )
        bar.close()
        params = run.params
    if a.save:
        save(a.save, params, vocab)
        print(f"saved the parameters to {a.save}")
    if a.sample_len:
        print(f"sample (temperature {a.temperature}, seed {a.seed}):")
        print(sample(params, vocab, a.sample_len, a.temperature, seed=a.seed, prompt=text[0]))


def main(argv=None):
    """``python -m bptt.charlm``: returns the exit status (2 for an unusable text or option)."""
    args = _parser().parse_args(argv)
    try:
        _run(args)
    except UnusableText as exc:
        print(f"charlm: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
