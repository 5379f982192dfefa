"""The fast path behind ``bptt.many_to_one`` and ``bptt.many_to_many``: bptt.rnn's numbers, quicker.

The arithmetic is the teaching loop's (``bptt.rnn.backward``), tested equal to it to 1e-12 in
float64; what changes is how it is laid out in memory and handed to BLAS:

- Only the recurrence loops over time steps. The output layer's gradient, the direct terms
  Vᵀ dL/do_t and the weight gradients are matrix products over *chunks* of steps (a few hundred
  rows), and the forward pass computes U x_t for a chunk at once.
- Hidden states are stored **time-major** inside: ``Hs[t]`` is the (N, H) block h_t of the whole
  batch, so a run of steps is one (rows, H) matrix with rows = steps x N. Here ``Hs`` holds
  h_{s0}..h_{s0+n} of one segment, n + 1 states with ``Hs[0]`` the state entering it (the rest of
  the package is batch first, h_1..h_T).
- Buffers are allocated once per call (``Workspace``), never one temporary of the whole sequence,
  and kept between calls, per thread, up to ``config.pool_bytes``: a fresh buffer of more than
  ~128 kB comes from the operating system on every call, and its first touch costs a page fault
  per 4 kB page (about a third of a call at the notebooks' sizes). Nothing returned lives there.
- With ``truncate=k`` the sequence is done segment by segment (forward, then backward), a segment
  being as many whole windows of k steps as keep its states under ``config.segment_min`` numbers:
  only one segment's states are kept, so memory falls with k.

BLAS rounds a row of a product differently in products of different heights, so another chunking
or a truncation can change the loss in its last bits; the tests compare to 1e-12.

The pieces are reusable (a checkpointing pass keeps every k-th state and recomputes the segments
between them with ``forward_segment`` before running ``backward_segment`` on them)::

    ws = Workspace.for_problem(pb, seg, config)     buffers for segments of seg steps
    forward_segment(pb.params, pb.X, s0, Hs, ws)    Hs[1..n] from Hs[0] = h_{s0}
    backward_segment(pb, s0, Hs, ws, acc)           adds the segment's terms to acc.grads
    ws.carry                                        then dL/dh_{s0} (0 if a window starts at s0+1)
"""

import math
import threading
from typing import NamedTuple

import numpy as np

from ._problem import check_problem
from .losses import nll_in_place
from .params import Params


class FastConfig(NamedTuple):
    """The tunables of the fast path (tests pass small ones so that small problems cross chunks).

    Attributes
    ----------
    chunk_rows : int
        Rows (time steps x batch) per chunk of the backward pass, at most.
    chunk_part : int
        A chunk is at most 1/chunk_part of the states kept (1/(2·chunk_part) with truncation),
        so that its buffers stay small beside them ...
    chunk_min : int
        ... unless that leaves a buffer under chunk_min numbers: tiny chunks cost Python time.
    segment_min : int
        With truncate=k, a segment holds as many whole windows as keep its states under this
        many numbers (at least one window).
    pool_bytes : int
        Scratch memory kept between calls, per thread, at most (0: none).
    """

    chunk_rows: int = 1024
    chunk_part: int = 8
    chunk_min: int = 1 << 15
    segment_min: int = 1 << 16
    pool_bytes: int = 64 << 20


DEFAULT = FastConfig()


class Result(NamedTuple):
    """What ``loss_and_grads`` returns: the loss (float), grads (Params), dh0 = dL/dh_0 (N, H),
    and hT = h_T (N, H), the last state (a copy), to carry into the next batch of a stream."""

    loss: float
    grads: Params
    dh0: np.ndarray
    hT: np.ndarray


# ------------------------------------------------------------------- scratch memory

_pool = threading.local()


def _scratch(slot, shape, dtype, pool_bytes, pool="buffers"):
    """An uninitialised array of this shape and dtype, reusing the memory of ``slot`` if it can.

    ``pool`` names the set of buffers (``bptt.lstm_fast`` keeps its own, beside this module's).
    """
    buffers = _pool.__dict__.setdefault(pool, {})
    need = math.prod(shape) * np.dtype(dtype).itemsize
    buf = buffers.get(slot)
    if buf is None or buf.nbytes < need:
        buf = np.empty(need, dtype=np.uint8)
        kept = sum(b.nbytes for name, b in buffers.items() if name != slot)
        if kept + need <= pool_bytes:
            buffers[slot] = buf
        else:
            buffers.pop(slot, None)
    return buf[:need].view(dtype).reshape(shape)


def release_buffers():
    """Free the scratch memory this thread keeps between calls (for memory measurements)."""
    _pool.__dict__.pop("buffers", None)


class Workspace:
    """The buffers of one call, each at most one chunk (``steps`` time steps x N rows) big.

    G (steps, N, H): direct terms Vᵀ dL/do_t, overwritten in place by δ_t.
    rows: (steps·N)·max(C, D, H) numbers, holding in turn a chunk's inputs x_t copied time-major
    (forward), its logits O (then dL/dO), its 1 - h_t², and its inputs again (backward).
    acc: a product δᵀ h, δᵀ x or dOᵀ h (or a block of its rows) before it is added to its gradient.
    carry (N, H): Wᵀ δ_{t+1} (batch first: δ_{t+1} W) backward; h_{t-1} Wᵀ forward.
    """

    def __init__(self, steps, N, D, H, C, dtype, pool_bytes=DEFAULT.pool_bytes):
        self.steps = steps
        self.G = _scratch("G", (steps, N, H), dtype, pool_bytes)
        self.rows = _scratch("rows", (steps * N * max(C, D, H),), dtype, pool_bytes)
        acc = min(steps * N, max(H, C)) * max(H, D)  # dW, dV, dU whole if it can
        self.acc = _scratch("acc", (acc,), dtype, pool_bytes)
        self.carry = _scratch("carry", (N, H), dtype, pool_bytes)

    @classmethod
    def for_problem(cls, pb, seg, config=DEFAULT):
        """Buffers for segments of ``seg`` steps of the checked problem ``pb``."""
        N, T, D = pb.X.shape
        H, C = pb.params.W.shape[0], pb.params.V.shape[0]
        part = (
            config.chunk_part if seg == T else 2 * config.chunk_part
        )  # few states: smaller chunks
        floor = -(
            -config.chunk_min // (N * max(C, D, H))
        )  # steps for a buffer of chunk_min numbers
        steps = max(1, min(seg, config.chunk_rows // N, max(seg // part, floor)))
        return cls(steps, N, D, H, C, pb.params.W.dtype, config.pool_bytes)

    def block(self, *shape):
        """A view of the rows buffer with this shape."""
        return self.rows[: math.prod(shape)].reshape(shape)

    def inputs(self, X, t0, t1):
        """X[:, t0:t1] (N, m, D) copied time-major into the rows buffer, returned as (m·N, D)."""
        N, _, D = X.shape
        xb = self.block(t1 - t0, N, D)
        np.copyto(xb, X[:, t0:t1].transpose(1, 0, 2))
        return xb.reshape(-1, D)

    def add_product(self, out, a, b):
        """out += a @ b through the buffer acc, a block of rows of out at a time if acc is small."""
        n_rows, n_cols = out.shape
        block = max(1, self.acc.size // n_cols)
        for i0 in range(0, n_rows, block):
            i1 = min(n_rows, i0 + block)
            part = self.acc[: (i1 - i0) * n_cols].reshape(i1 - i0, n_cols)
            out[i0:i1] += np.matmul(a[i0:i1], b, out=part)


# ------------------------------------------------------------------- one segment


def forward_segment(params, X, s0, Hs, ws):
    """Fill Hs[1..n] with h_{s0+1}..h_{s0+n}, starting from Hs[0] = h_{s0}.

    Parameters
    ----------
    params : Params
        W (H, H), U (H, D), b (H,) are read.
    X : ndarray, shape (N, T, D)
        The whole input sequence.
    s0 : int
        The number of steps before the segment.
    Hs : ndarray, shape (n + 1, N, H)
        Time-major states; Hs[0] is read, Hs[1:] written.
    ws : Workspace
        Buffers (its carry is overwritten).
    """
    W, U, b = params.W, params.U, params.b
    n, H = Hs.shape[0] - 1, Hs.shape[2]
    for c0 in range(0, n, ws.steps):  # U x_t + b for a chunk of steps at once
        c1 = min(n, c0 + ws.steps)
        np.matmul(ws.inputs(X, s0 + c0, s0 + c1), U.T, out=Hs[c0 + 1 : c1 + 1].reshape(-1, H))
    Hs[1:] += b
    tmp = ws.carry
    for t in range(1, n + 1):  # only the recurrence stays in the loop
        Hs[t] += np.matmul(Hs[t - 1], W.T, out=tmp)
        np.tanh(Hs[t], out=Hs[t])


def _output_losses(O, tgt, loss, N):
    """Per-step loss sums and dL/dO for logits O (m, N, C) of m steps; O becomes dL/dO in place.

    tgt: mse (m, N, C) floats, nll (m, N) int labels (views are fine). Returns (m,) float64: each
    step's loss summed over the N examples (not yet divided by N).
    """
    m, _, C = O.shape
    if loss == "mse":
        O -= tgt
        sums = np.array([0.5 * float(np.vdot(o, o)) for o in O])
        O /= N
        return sums
    per_row = nll_in_place(O.reshape(-1, C), tgt.reshape(-1), 1.0 / N)
    return per_row.reshape(m, -1).sum(axis=1, dtype=np.float64)


class Accumulators(NamedTuple):
    """What the backward segments add to: grads (Params, zeros at first), step_loss (T,) sums."""

    grads: Params
    step_loss: np.ndarray


def _direct_terms(pb, s0, c0, c1, Hs, ws, acc):
    """The chunk (c0, c1]'s direct terms Vᵀ dL/do_t into ws.G, its dV, dc and step losses."""
    V, c = pb.params.V, pb.params.c
    N, H = Hs.shape[1], Hs.shape[2]
    m, rows = c1 - c0, (c1 - c0) * N
    Hc = Hs[c0 + 1 : c1 + 1].reshape(rows, H)  # h_t of the chunk, one row per (t, example)
    O = ws.block(m, N, V.shape[0])
    np.matmul(Hc, V.T, out=O.reshape(rows, -1))
    O += c
    Y = pb.targets[:, s0 + c0 : s0 + c1]  # (N, m, ...) -> time-major views
    Y = Y.transpose(1, 0, 2) if pb.loss == "mse" else Y.T
    acc.step_loss[s0 + c0 : s0 + c1] = _output_losses(O, Y, pb.loss, N)  # O is now dL/do_t
    O = O.reshape(rows, -1)
    ws.add_product(acc.grads.V, O.T, Hc)
    acc.grads.c[...] += O.sum(axis=0)
    np.matmul(O, V, out=ws.G[:m].reshape(rows, H))


def _last_output(pb, Hs, ws, acc):
    """Many-to-one: the only loss, at the segment's last step; returns Vᵀ dL/do_T (N, H)."""
    V, c = pb.params.V, pb.params.c
    N = Hs.shape[1]
    O = Hs[-1] @ V.T + c
    acc.step_loss[-1] = _output_losses(O[None], pb.targets[None], pb.loss, N)[0]
    acc.grads.V[...] += O.T @ Hs[-1]
    acc.grads.c[...] += O.sum(axis=0)
    return O @ V


def _recurrence(pb, t0, G, dtanh, carry):
    """δ_t for the m steps t0+1..t0+m of G (m, N, H), newest first, in place; carry in and out.

    g_t = direct + Wᵀ δ_{t+1} (batch first: carry = δ_{t+1} W), δ_t = (1 - h_t²) ⊙ g_t; the carry
    is cut where a window of ``pb.truncate`` steps starts.
    """
    W, k = pb.params.W, pb.truncate
    for j in range(G.shape[0] - 1, -1, -1):
        d = G[j]
        d += carry  # g_t = direct + Wᵀ δ_{t+1}
        d *= dtanh[j]  # δ_t = (1 - h_t²) ⊙ g_t
        t = t0 + j + 1
        if k is not None and t > 1 and (t - 1) % k == 0:
            carry.fill(0)  # a truncation window starts at t
        else:
            np.matmul(d, W, out=carry)  # Wᵀ δ_t, the carry into step t-1


def backward_segment(pb, s0, Hs, ws, acc, carry=None):
    """Backward over one segment: steps s0+1..s0+n, time-major states Hs (n+1, N, H).

    Parameters
    ----------
    pb : bptt._problem.Problem
        The checked problem (truncate k: no gradient flows from a step t with t - 1 a multiple of
        k, t > 1, into h_{t-1}; last_only: the only loss is at the segment's last step).
    s0 : int
        The number of steps before the segment.
    Hs : ndarray, shape (n + 1, N, H)
        h_{s0}..h_{s0+n}, time-major, from ``forward_segment``.
    ws : Workspace
        Buffers. On return ``ws.carry`` holds δ_{s0+1} W = dL/dh_{s0} (zeros when step s0+1
        starts a truncation window).
    acc : Accumulators
        The segment's terms are added to acc.grads; each step's loss sum goes to acc.step_loss.
    carry : ndarray, shape (N, H), optional
        dL/dh_{s0+n} from the steps after the segment (checkpointing); zeros when None.
    """
    n, N, H = Hs.shape
    n -= 1
    dW, dU, _, db, _ = acc.grads
    if carry is None:
        ws.carry.fill(0)
    else:
        ws.carry[...] = carry
    g_last = _last_output(pb, Hs, ws, acc) if pb.last_only else None
    for c1 in range(n, 0, -ws.steps):  # chunks (c0, c1], newest first
        c0 = max(0, c1 - ws.steps)
        m, rows = c1 - c0, (c1 - c0) * N
        G = ws.G[:m]
        if pb.last_only:
            G.fill(0)
            if c1 == n:
                G[m - 1] = g_last
        else:
            _direct_terms(pb, s0, c0, c1, Hs, ws, acc)
        dtanh = ws.block(m, N, H)  # 1 - h_t² of the chunk (O is no longer needed)
        np.multiply(Hs[c0 + 1 : c1 + 1], Hs[c0 + 1 : c1 + 1], out=dtanh)
        np.subtract(1.0, dtanh, out=dtanh)
        _recurrence(pb, s0 + c0, G, dtanh, ws.carry)
        Dc = G.reshape(rows, H)
        ws.add_product(dW, Dc.T, Hs[c0:c1].reshape(rows, H))  # Σ δ_t h_{t-1}ᵀ
        ws.add_product(dU, Dc.T, ws.inputs(pb.X, s0 + c0, s0 + c1))  # Σ δ_t x_tᵀ
        db += Dc.sum(axis=0)


# ------------------------------------------------------------------- the whole sequence


def segment_steps(pb, config=DEFAULT):
    """Steps per segment: T, or with truncate=k as many whole windows as fit config.segment_min."""
    N, T, _ = pb.X.shape
    k, H = pb.truncate, pb.params.W.shape[0]
    return T if k is None else min(T, k * max(1, config.segment_min // (k * N * H)))


def loss_and_grads(
    params, X, targets, loss="mse", h0=None, truncate=None, last_only=False, config=DEFAULT
):
    """Loss and BPTT gradients of a tanh RNN with a linear output layer, fast.

    Parameters
    ----------
    params : Params
        W (H, H), U (H, D), V (C, H), b (H,), c (C,); float32 stays float32.
    X : array_like, shape (N, T, D)
        Inputs, batch first.
    targets : array_like
        Many-to-many (last_only=False): mse (N, T, C) floats, nll (N, T) int labels;
        many-to-one (last_only=True): mse (N, C), nll (N,).
    loss : str
        "mse" or "nll".
    h0 : array_like, shape (N, H), optional
        The initial state; zeros when None.
    truncate : int, optional
        k: the gradient (not the state) is cut every k steps, in windows starting at t = 1.
    last_only : bool
        True for many-to-one.
    config : FastConfig, optional
        Chunk, segment and pool sizes.

    Returns
    -------
    Result
        loss (float), grads (Params), dh0 (N, H) = dL/dh_0.
    """
    pb = check_problem(params, X, targets, loss, h0, truncate, last_only)
    N, T, _ = pb.X.shape
    seg = segment_steps(pb, config)
    ws = Workspace.for_problem(pb, seg, config)
    H = pb.params.W.shape[0]
    Hs = _scratch("Hs", (seg + 1, N, H), pb.params.W.dtype, config.pool_bytes)  # one segment
    acc = Accumulators(Params(*(np.zeros_like(p) for p in pb.params)), np.zeros(T))
    dh0 = None
    Hs[0] = pb.h0
    for s0 in range(0, T, seg):  # segments: steps s0+1..s0+n
        n = min(seg, T - s0)
        if s0 > 0:
            Hs[0] = Hs[seg]  # carry the state's value, not its gradient
        forward_segment(pb.params, pb.X, s0, Hs[: n + 1], ws)
        if not last_only or s0 + n == T:  # many-to-one: no loss before the last segment
            backward_segment(pb, s0, Hs[: n + 1], ws, acc)
            if s0 == 0:
                dh0 = ws.carry.copy()
    if dh0 is None:  # many-to-one cut before it reached h_0
        dh0 = np.zeros_like(pb.h0)
    return Result(float(np.sum(acc.step_loss)) / N, acc.grads, dh0, Hs[n].copy())
