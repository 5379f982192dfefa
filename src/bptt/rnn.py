"""Backpropagation through time for a vanilla tanh RNN.

Math (column vectors, t = 1..T, h_0 given):

    a_t = W h_{t-1} + U x_t + b,   h_t = tanh(a_t),   o_t = V h_t + c
    g_t = dL/dh_t = Vᵀ dL/do_t + Wᵀ δ_{t+1},   δ_t = (1 - h_t²) ⊙ g_t
    dL/dW = Σ_t δ_t h_{t-1}ᵀ,  dL/dU = Σ_t δ_t x_tᵀ,  dL/db = Σ_t δ_t

Code puts the batch first: X (N, T, D), one step is ``A = H_prev @ W.T + X[:, t] @ U.T + b``.

Two implementations live here and are tested equal:
- the per-step one that the chapters teach (``step_forward``/``step_backward`` and
  ``many_to_many_loop``), short and literal;
- the fast one behind ``many_to_one``/``many_to_many``: only the recurrence loops over time
  steps; the output layer's gradient, the direct terms and the weight gradients are matrix
  products over chunks of a few hundred rows whose buffers are reused (never one temporary of
  the whole sequence). Hidden states are stored time-major, float32 stays float32. With
  ``truncate=k`` it goes segment by segment, a segment being one or more whole windows of k
  steps, and keeps only one segment's states, so memory falls with k.
"""
import math
import threading
from typing import NamedTuple

import numpy as np

from ._validate import as_float_array, as_labels, check_choice, check_int, check_shape
from .losses import mse_loss, nll_in_place, nll_loss
from .params import Params, check_params

LOSSES = ("mse", "nll")
CHUNK_ROWS = 1024  # rows (time steps x batch) per chunk of the backward pass, at most; and a chunk
CHUNK_PART = 8     # is at most 1/CHUNK_PART of the states kept, so its buffers stay small beside them
                   # (1/(2·CHUNK_PART) with truncate=k: k+1 states are few beside the gradients),
CHUNK_MIN = 1 << 15  # unless that leaves a buffer under CHUNK_MIN numbers: tiny chunks cost Python time
SEGMENT_MIN = 1 << 16  # truncate=k: a segment holds as many whole windows of k steps as keep its
                       # states under SEGMENT_MIN numbers (at least one window); memory falls with k


def _chunk_steps(seg, N, width, part=CHUNK_PART):
    """Time steps per chunk for segments of seg steps, N rows per step, buffers `width` numbers wide."""
    floor = -(-CHUNK_MIN // (N * width))                 # steps for a buffer of CHUNK_MIN numbers
    return max(1, min(seg, CHUNK_ROWS // N, max(seg // part, floor)))


class Result(NamedTuple):
    """What ``loss_and_grads`` returns: the loss (float), grads (Params), dh0 = dL/dh_0 (N, H)."""
    loss: float
    grads: Params
    dh0: np.ndarray


# ----------------------------------------------------------------------------- input checks

def _check_inputs(params, X, targets, loss, h0, truncate, last_only):
    """Validate everything once; return (params, X, targets, h0, truncate) as clean arrays."""
    params = check_params(params)
    D, H, C = params.sizes
    dtype = params.W.dtype
    X = as_float_array(X, "X", 3, "(N, T, D)", dtype=dtype)
    N, T, Dx = X.shape
    if N == 0:
        raise ValueError("X must have shape (N, T, D) with N >= 1 examples, got N = 0")
    if T == 0:
        raise ValueError("X must have shape (N, T, D) with T >= 1 time steps: the sequence is empty")
    if Dx != D:
        raise ValueError(f"X must have shape (N, T, D) with D = {D} (from params.U), got {X.shape}")
    check_choice(loss, "loss", LOSSES)
    name = "y" if last_only else "Y"
    if loss == "mse":
        shape, doc = ((N, C), "(N, C)") if last_only else ((N, T, C), "(N, T, C)")
        targets = as_float_array(targets, name, len(shape), doc + " floats", dtype=dtype)
        check_shape(targets, name, shape, doc)
    else:
        shape, doc = ((N,), "(N,)") if last_only else ((N, T), "(N, T)")
        if np.ndim(targets) != len(shape):
            raise ValueError(f"{name} must hold integer labels with shape {doc}, got shape {np.shape(targets)}")
        targets = as_labels(targets, name, shape, doc, C)
    if h0 is None:                                      # a read-only view of one zero: no memory
        h0 = np.broadcast_to(np.zeros((), dtype=dtype), (N, H))
    else:
        h0 = as_float_array(h0, "h0", 2, "(N, H)", dtype=dtype)
        check_shape(h0, "h0", (N, H), "(N, H)")
    truncate = check_int(truncate, "truncate", minimum=1, allow_none=True)
    return params, X, targets, h0, truncate


# ----------------------------------------------------------------------------- fast path
#
# Layout: hidden states time-major, Hs[t] is the (N, H) block h_t of the whole batch, so a run of
# steps is a (rows, H) matrix with rows = steps x N. The backward pass works on chunks of up to
# CHUNK_ROWS rows (and at most 1/CHUNK_PART of the states): the output layer's gradient, the
# direct terms Vᵀ dL/do_t and the weight gradients are matrix products over a whole chunk, with
# buffers allocated once per call (_Workspace), never one temporary of the whole sequence; only
# the recurrence loops over steps. The forward pass computes U x_t for a chunk of steps at once.
# (BLAS rounds a row of a product differently in products of different heights, so a different
# chunking, or a truncation, can change the loss in its last bits; tests compare to 1e-12.)
# With truncate=k the sequence is done segment by segment (forward, then backward), a segment being
# as many whole windows of k steps as fit in SEGMENT_MIN numbers of states (at least one): only one
# segment's states are kept, the state's value is carried to the next segment, and the backward
# recurrence drops the carry where a window starts. Small problems thus take one segment whatever k.

# Scratch memory is kept between calls (per thread, up to POOL_BYTES): a fresh buffer of more than
# ~128 kB comes from the operating system on every call, and its first touch costs a page fault per
# 4 kB page: at the notebooks' sizes that cost about a third of a call. Nothing returned to the
# caller lives in the pool.
POOL_BYTES = 64 << 20
_pool = threading.local()


def _scratch(slot, shape, dtype):
    """An uninitialised array of this shape and dtype, reusing the memory of `slot` when it can."""
    buffers = _pool.__dict__.setdefault("buffers", {})
    need = math.prod(shape) * np.dtype(dtype).itemsize
    buf = buffers.get(slot)
    if buf is None or buf.nbytes < need:
        buf = np.empty(need, dtype=np.uint8)
        kept = sum(b.nbytes for name, b in buffers.items() if name != slot)
        if kept + need <= POOL_BYTES:
            buffers[slot] = buf
        else:
            buffers.pop(slot, None)
    return buf[:need].view(dtype).reshape(shape)


def release_buffers():
    """Free the scratch memory this thread keeps between calls (for memory measurements)."""
    _pool.__dict__.pop("buffers", None)


class _Workspace:
    """The buffers of one call, each at most one chunk (steps time steps x N rows) big.

    G (steps, N, H): direct terms Vᵀ dL/do_t, overwritten in place by δ_t.
    rows: (steps·N)·max(C, D, H) numbers, holding in turn a chunk's inputs x_t copied time-major
    (forward), its logits O (then dL/dO), its 1 - h_t², and its inputs again (backward).
    acc: a product δᵀ h, δᵀ x or dOᵀ h (or a block of its rows) before it is added to its gradient.
    carry (N, H): Wᵀ δ_{t+1} (batch first: δ_{t+1} W) in the backward pass; h_{t-1} Wᵀ in the forward.
    """

    def __init__(self, steps, N, D, H, C, dtype):
        self.steps = steps
        self.G = _scratch("G", (steps, N, H), dtype)
        self.rows = _scratch("rows", (steps * N * max(C, D, H),), dtype)
        self.acc = _scratch("acc", (min(steps * N, max(H, C)) * max(H, D),), dtype)   # dW, dV, dU whole if it can
        self.carry = _scratch("carry", (N, H), dtype)

    def block(self, *shape):
        """A view of the rows buffer with this shape."""
        return self.rows[:math.prod(shape)].reshape(shape)

    def inputs(self, X, t0, t1):
        """X[:, t0:t1] (N, m, D) copied time-major into the rows buffer, returned as (m·N, D)."""
        N, _, D = X.shape
        xb = self.block(t1 - t0, N, D)
        np.copyto(xb, X[:, t0:t1].transpose(1, 0, 2))
        return xb.reshape(-1, D)

    def add_product(self, out, a, b):
        """out += a @ b through the buffer acc, a block of rows of out at a time if acc is smaller."""
        n_rows, n_cols = out.shape
        block = max(1, self.acc.size // n_cols)
        for i0 in range(0, n_rows, block):
            i1 = min(n_rows, i0 + block)
            part = self.acc[:(i1 - i0) * n_cols].reshape(i1 - i0, n_cols)
            out[i0:i1] += np.matmul(a[i0:i1], b, out=part)


def _forward_segment(params, X, s0, Hs, ws):
    """Fill Hs[1..n] with h_{s0+1}..h_{s0+n} from Hs[0] = h_{s0}. X (N, T, D), Hs (n+1, N, H)."""
    W, U, b = params.W, params.U, params.b
    n, H = Hs.shape[0] - 1, Hs.shape[2]
    for c0 in range(0, n, ws.steps):                    # U x_t + b for a chunk of steps at once
        c1 = min(n, c0 + ws.steps)
        np.matmul(ws.inputs(X, s0 + c0, s0 + c1), U.T, out=Hs[c0 + 1:c1 + 1].reshape(-1, H))
    Hs[1:] += b
    tmp = ws.carry
    for t in range(1, n + 1):                           # only the recurrence stays in the loop
        Hs[t] += np.matmul(Hs[t - 1], W.T, out=tmp)
        np.tanh(Hs[t], out=Hs[t])


def _output_losses(O, tgt, loss, N):
    """Per-step loss sums and dL/dO, for logits O (m, N, C) of m steps; O becomes dL/dO in place.

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


def _backward_segment(params, X, targets, loss, s0, Hs, ws, grads, step_loss, last_only, k):
    """Backward over one segment: steps s0+1..s0+n, states Hs (n+1, N, H) with Hs[0] = h_{s0}.

    Adds the segment's terms to grads (a Params, in place) and writes each step's loss sum into
    step_loss (T,). k: None, or the truncation length: no gradient flows from a step t with
    t - 1 a multiple of k (t > 1) into h_{t-1}. On return ws.carry holds δ_{s0+1} W = dL/dh_{s0},
    or zeros when step s0+1 starts a truncation window.
    last_only: the only loss is at the segment's last step, with targets (N, C) or (N,).
    """
    W, U, V, b, c = params
    dW, dU, dV, db, dc = grads
    n, N, H = Hs.shape[0] - 1, Hs.shape[1], Hs.shape[2]
    C = V.shape[0]
    carry = ws.carry
    carry.fill(0)
    if last_only:                                       # one output, at the last step
        O = Hs[n] @ V.T + c
        step_loss[s0 + n - 1] = _output_losses(O[None], targets[None], loss, N)[0]
        dV += O.T @ Hs[n]
        dc += O.sum(axis=0)
        g_last = O @ V
    for c1 in range(n, 0, -ws.steps):                   # chunks (c0, c1], newest first
        c0 = max(0, c1 - ws.steps)
        m, rows = c1 - c0, (c1 - c0) * N
        Hc = Hs[c0 + 1:c1 + 1].reshape(rows, H)         # h_t of the chunk, one row per (t, example)
        G = ws.G[:m]
        if last_only:
            G.fill(0)
            if c1 == n:
                G[m - 1] = g_last
        else:
            O = ws.block(m, N, C)
            np.matmul(Hc, V.T, out=O.reshape(rows, C))
            O += c
            Y = targets[:, s0 + c0:s0 + c1]             # (N, m, ...) -> time-major views
            Y = Y.transpose(1, 0, 2) if loss == "mse" else Y.T
            step_loss[s0 + c0:s0 + c1] = _output_losses(O, Y, loss, N)   # O is now dL/do_t
            O = O.reshape(rows, C)
            ws.add_product(dV, O.T, Hc)
            dc += O.sum(axis=0)
            np.matmul(O, V, out=G.reshape(rows, H))     # direct terms Vᵀ dL/do_t
        dtanh = ws.block(m, N, H)                       # 1 - h_t² of the chunk (O is no longer needed)
        np.multiply(Hs[c0 + 1:c1 + 1], Hs[c0 + 1:c1 + 1], out=dtanh)
        np.subtract(1.0, dtanh, out=dtanh)
        for j in range(m - 1, -1, -1):                  # the recurrence, backwards
            d = G[j]
            d += carry                                  # g_t = direct + Wᵀ δ_{t+1}
            d *= dtanh[j]                               # δ_t = (1 - h_t²) ⊙ g_t
            t = s0 + c0 + j + 1
            if k is not None and t > 1 and (t - 1) % k == 0:
                carry.fill(0)                           # a truncation window starts at t
            else:
                np.matmul(d, W, out=carry)              # Wᵀ δ_t, the carry into step t-1
        Dc = G.reshape(rows, H)
        ws.add_product(dW, Dc.T, Hs[c0:c1].reshape(rows, H))         # Σ δ_t h_{t-1}ᵀ
        ws.add_product(dU, Dc.T, ws.inputs(X, s0 + c0, s0 + c1))     # Σ δ_t x_tᵀ
        db += Dc.sum(axis=0)


def loss_and_grads(params, X, targets, loss="mse", h0=None, truncate=None, last_only=False):
    """Loss and BPTT gradients of a tanh RNN with a linear output layer, fast path.

    X: (N, T, D). targets: many-to-many (last_only=False) mse (N, T, C) floats / nll (N, T) ints;
    many-to-one (last_only=True) mse (N, C) / nll (N,). h0: (N, H) or None (zeros).
    truncate=k cuts the gradient (not the state) every k steps, in chunks starting at t = 1.
    Returns Result(loss, grads: Params, dh0: (N, H)).
    """
    params, X, targets, h0, k = _check_inputs(params, X, targets, loss, h0, truncate, last_only)
    N, T, D = X.shape
    H, C = params.W.shape[0], params.V.shape[0]
    seg = T if k is None else min(T, k * max(1, SEGMENT_MIN // (k * N * H)))   # whole windows
    part = CHUNK_PART if seg == T else 2 * CHUNK_PART   # a segment keeps few states: smaller chunks
    ws = _Workspace(_chunk_steps(seg, N, max(C, D, H), part), N, D, H, C, params.W.dtype)
    Hs = _scratch("Hs", (seg + 1, N, H), params.W.dtype)   # the states of one segment, time-major
    grads = Params(*(np.zeros_like(p) for p in params))
    step_loss = np.zeros(T)                             # each step's loss, summed over the batch
    dh0 = None
    Hs[0] = h0
    for s0 in range(0, T, seg):                         # segments: steps s0+1..s0+n
        n = min(seg, T - s0)
        if s0 > 0:
            Hs[0] = Hs[seg]                             # carry the state's value, not its gradient
        _forward_segment(params, X, s0, Hs[:n + 1], ws)
        if not last_only or s0 + n == T:                # many-to-one: no loss before the last segment
            _backward_segment(params, X, targets, loss, s0, Hs[:n + 1], ws, grads, step_loss, last_only, k)
            if s0 == 0:
                dh0 = ws.carry.copy()
    if dh0 is None:                                     # many-to-one cut before it reached h_0
        dh0 = np.zeros_like(h0)
    return Result(float(np.sum(step_loss)) / N, grads, dh0)


def many_to_one(params, X, y, loss="mse", h0=None, truncate=None):
    """Loss on the last step only. X (N, T, D); y: mse (N, C) floats, nll (N,) int labels.

    Returns (loss, grads) with grads a Params shaped like params. See ``loss_and_grads``.
    """
    res = loss_and_grads(params, X, y, loss=loss, h0=h0, truncate=truncate, last_only=True)
    return res.loss, res.grads


def many_to_many(params, X, Y, loss="mse", h0=None, truncate=None):
    """A loss at every step, summed over t and averaged over the batch.

    X (N, T, D); Y: mse (N, T, C) floats, nll (N, T) int labels; h0 (N, H) or None;
    truncate=k stops the gradient (not the state) every k steps. Returns (loss, grads).
    """
    res = loss_and_grads(params, X, Y, loss=loss, h0=h0, truncate=truncate, last_only=False)
    return res.loss, res.grads


def forward(params, X, h0=None):
    """Hidden states and outputs, batch first: returns (Hs (N, T, H), O (N, T, C))."""
    params = check_params(params)
    D, H, C = params.sizes
    X = as_float_array(X, "X", 3, "(N, T, D)", dtype=params.W.dtype)
    N, T, Dx = X.shape
    if N == 0 or T == 0 or Dx != D:
        raise ValueError(f"X must have shape (N, T, D) with N, T >= 1 and D = {D}, got {X.shape}")
    if h0 is None:
        h0 = np.zeros((N, H), dtype=params.W.dtype)
    else:
        h0 = as_float_array(h0, "h0", 2, "(N, H)", dtype=params.W.dtype)
        check_shape(h0, "h0", (N, H), "(N, H)")
    Hs = np.empty((T + 1, N, H), dtype=params.W.dtype)  # time-major, Hs[0] = h0
    Hs[0] = h0
    ws = _Workspace(_chunk_steps(T, N, max(D, H)), N, D, H, 0, params.W.dtype)
    _forward_segment(params, X, 0, Hs, ws)
    Hs = np.ascontiguousarray(Hs[1:].transpose(1, 0, 2))
    return Hs, Hs @ params.V.T + params.c


# ----------------------------------------------------------------------------- teaching path

def step_forward(x, h_prev, W, U, b):
    """One step, batch first. x (N, D), h_prev (N, H), W (H, H), U (H, D), b (H,).

    Returns h (N, H) = tanh(h_prev Wᵀ + x Uᵀ + b) and the cache for step_backward.
    """
    h = np.tanh(h_prev @ W.T + x @ U.T + b)
    return h, (x, h_prev, W, U, h)


def step_backward(dh, cache):
    """Backward of step_forward. dh (N, H) = total dL/dh_t.

    Returns dx (N, D), dh_prev (N, H), dW (H, H), dU (H, D), db (H,).
    """
    x, h_prev, W, U, h = cache
    da = dh * (1.0 - h * h)                  # δ_t = (1 - h_t²) ⊙ g_t
    return da @ U, da @ W, da.T @ h_prev, da.T @ x, da.sum(axis=0)


def many_to_many_loop(params, X, Y, loss="mse", h0=None, truncate=None):
    """The same result as ``many_to_many``, one step at a time: the version the book reads.

    Five lines carry the backward pass: the direct term, the carry from step t+1, the tanh',
    the three weight sums. Slow on long sequences; tested equal to the fast path.
    """
    params, X, Y, h0, k = _check_inputs(params, X, Y, loss, h0, truncate, last_only=False)
    W, U, V, b, c = params
    N, T, _ = X.shape
    loss_fn = mse_loss if loss == "mse" else nll_loss       # each returns (loss, dL/do_t)
    hs, caches, dos = [h0], [], []
    total = 0.0
    for t in range(T):                                      # forward
        h, cache = step_forward(X[:, t], hs[-1], W, U, b)
        hs.append(h)
        caches.append(cache)
        loss_t, do = loss_fn(h @ V.T + c, Y[:, t])
        total += loss_t
        dos.append(do)
    grads = [np.zeros_like(p) for p in params]
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):                            # backward
        do = dos[t]
        grads[2] += do.T @ hs[t + 1]
        grads[4] += do.sum(axis=0)
        dh = do @ V + dh_next                               # g_t: direct term + carry from t+1
        _, dh_prev, dW, dU, db = step_backward(dh, caches[t])
        grads[0] += dW
        grads[1] += dU
        grads[3] += db
        cut = k is not None and t % k == 0 and t > 0
        dh_next = np.zeros_like(dh_prev) if cut else dh_prev
    return float(total), Params(*grads)


class Details(NamedTuple):
    """Every intermediate of one backward pass, batch first, for the chapters' pictures and checks.

    Hs (N, T+1, H): h_0..h_T.  direct (N, T, H): Vᵀ dL/do_t (zero where a step has no loss).
    G (N, T, H): total g_t = dL/dh_t.  Delta (N, T, H): δ_t = (1 - h_t²) ⊙ g_t.
    dW_steps (T, H, H), dU_steps (T, H, D), db_steps (T, H): each step's copy's gradient
    (summed over the batch); their sums over t are grads.W, grads.U, grads.b.
    """
    loss: float
    grads: Params
    Hs: np.ndarray
    direct: np.ndarray
    G: np.ndarray
    Delta: np.ndarray
    dW_steps: np.ndarray
    dU_steps: np.ndarray
    db_steps: np.ndarray


def backward_details(params, X, targets, loss="mse", h0=None, last_only=False):
    """Run BPTT one step at a time and keep everything (see ``Details``). Full BPTT, no truncation.

    Arguments as in ``loss_and_grads``. Meant for small sizes: it stores T matrices of size H x H.
    """
    params, X, targets, h0, _ = _check_inputs(params, X, targets, loss, h0, None, last_only)
    W, U, V, b, c = params
    N, T, D = X.shape
    Hs, caches = [h0], []
    for t in range(T):
        h, cache = step_forward(X[:, t], Hs[-1], W, U, b)
        Hs.append(h)
        caches.append(cache)
    Hs = np.stack(Hs, axis=1)                                # (N, T+1, H)
    direct = np.zeros((N, T, W.shape[0]), dtype=W.dtype)
    dV, dc = np.zeros_like(V), np.zeros_like(c)
    total = 0.0
    loss_fn = mse_loss if loss == "mse" else nll_loss        # each returns (loss, dL/do_t)
    steps = [T - 1] if last_only else range(T)
    for t in steps:
        tgt = targets if last_only else targets[:, t]
        loss_t, dO = loss_fn(Hs[:, t + 1] @ V.T + c, tgt)
        total += loss_t
        dV += dO.T @ Hs[:, t + 1]
        dc += dO.sum(axis=0)
        direct[:, t] = dO @ V
    G, Delta = np.zeros_like(direct), np.zeros_like(direct)
    dW_s = np.zeros((T,) + W.shape, dtype=W.dtype)
    dU_s = np.zeros((T,) + U.shape, dtype=W.dtype)
    db_s = np.zeros((T,) + b.shape, dtype=W.dtype)
    carry = np.zeros_like(h0)
    for t in reversed(range(T)):
        G[:, t] = direct[:, t] + carry
        _, carry, dW_s[t], dU_s[t], db_s[t] = step_backward(G[:, t], caches[t])
        Delta[:, t] = G[:, t] * (1.0 - Hs[:, t + 1] ** 2)
    grads = Params(dW_s.sum(0), dU_s.sum(0), dV, db_s.sum(0), dc)
    return Details(float(total), grads, Hs, direct, G, Delta, dW_s, dU_s, db_s)
