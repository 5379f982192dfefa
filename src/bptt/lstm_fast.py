"""The fast path behind ``bptt.lstm_many_to_many`` and ``lstm_many_to_one``: bptt.lstm's numbers.

The arithmetic is the readable loop's (``bptt.lstm.lstm_backward``), tested equal to it to 1e-12
in float64; what changes is the layout:

- Only the recurrent product h_{t-1} Wᵀ (forward) and dz_t W (backward) loop over the steps. The
  input projections U x_t + b of all T steps are one matrix product, and so are the output
  layer, the direct terms Vᵀ ∂L_t/∂o_t and the weight gradients Σ_t dz_t h_{t-1}ᵀ, Σ_t dz_t x_tᵀ.
- Everything is stored time-major inside (``Z[t]`` is the (N, 4H) block of step t + 1), so that a
  run of steps is one (T·N, ·) matrix.
- The three sigmoids and the tanh of a step are one ``tanh`` over the whole (N, 4H) block:
  σ(z) = (1 + tanh(z/2))/2, with the halving folded into the rows of W, U and b once per call
  (multiplying by 1/2 is exact in binary floating point).
- The factors of the backward step that do not depend on the carry (s̃ ⊙ σ'(z^i), c_{t-1} ⊙
  σ'(z^f), ...) are computed for a chunk of steps at once (about ``CHUNK`` numbers per block, so
  that a chunk stays in cache), and the loop then does a few multiplications and one product per
  step.
- Where the BLAS library runs exactly two threads (``lanes_for``), the batch is split in two
  halves run at once, one in a worker thread, each with one BLAS thread, and the halves'
  gradients are added: a per-step product of (N, H) blocks gains little from a second thread,
  while the elementwise work of a step, on one core otherwise, is halved. Under
  ``threadpool_limits(1)`` (the chapters) there is one lane, and the numbers are the same.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from .fast import _pool, _scratch
from .losses import nll_in_place
from .lstm import LSTMParams, check_lstm_problem

POOL_BYTES = 256 << 20  # scratch memory kept between calls, per thread, at most


def _buffer(slot, shape, dtype):
    """Scratch memory for one call (never returned): page faults on fresh memory cost time."""
    return _scratch(slot, shape, dtype, POOL_BYTES, pool="lstm")


def _release_here():
    """Free the scratch memory of the thread this runs in."""
    _pool.__dict__.pop("lstm", None)


def release_buffers():
    """Free the scratch memory kept between LSTM calls (this thread's and the second lane's)."""
    _release_here()
    if _lane_worker is not None:
        _lane_worker.submit(_release_here).result()


class LSTMResult(NamedTuple):
    """What ``loss_and_grads`` returns.

    Attributes
    ----------
    loss : float
    grads : LSTMParams
    dh0, dc0 : ndarray, shape (N, H)
        dL/dh_0 and dL/dc_0 (zeros where truncation cut the gradient before step 1).
    hT, cT : ndarray, shape (N, H)
        The final states h_T and c_T (for stateful training: the next chunk's h0 and c0).
    """

    loss: float
    grads: LSTMParams
    dh0: np.ndarray
    dc0: np.ndarray
    hT: np.ndarray
    cT: np.ndarray


def _gate_vectors(H, dtype):
    """(half, add): z ⊙ half before tanh, then tanh ⊙ half + add gives (i, f, s̃, q)."""
    half = np.full(4 * H, 0.5, dtype=dtype)
    half[2 * H : 3 * H] = 1.0  # the candidate s̃ is a plain tanh
    add = np.where(half == 0.5, 0.5, 0.0).astype(dtype)
    return half, add


def forward_states(lp, X, h0, c0):
    """The forward pass, time-major: (Z, Hs, Cs, tanh_c), Z holding the gates.

    Parameters
    ----------
    lp : LSTMParams
        Checked.
    X : ndarray, shape (N, T, D)
    h0, c0 : ndarray, shape (N, H)

    Returns
    -------
    Z : ndarray, shape (T, N, 4H)
        The gates (i, f, s̃, q) of every step.
    Hs, Cs : ndarray, shape (T + 1, N, H)
        h_0..h_T and c_0..c_T.
    tanh_c : ndarray, shape (T, N, H)
        tanh(c_1)..tanh(c_T).
    """
    N, T, D = X.shape
    H = lp.W.shape[1]
    dtype = lp.W.dtype
    half, add = _gate_vectors(H, dtype)
    WhT = np.ascontiguousarray((lp.W * half[:, None]).T)  # (H, 4H), contiguous
    Z = _buffer("Z", (T, N, 4 * H), dtype)
    Xt = _buffer("X", (T, N, D), dtype)
    np.copyto(Xt, X.transpose(1, 0, 2))
    Xt = Xt.reshape(T * N, D)
    np.matmul(Xt, (lp.U * half[:, None]).T, out=Z.reshape(T * N, 4 * H))  # all steps at once
    Z += lp.b * half
    Hs = _buffer("Hs", (T + 1, N, H), dtype)
    Cs = _buffer("Cs", (T + 1, N, H), dtype)
    tanh_c = _buffer("tanh_c", (T, N, H), dtype)
    Hs[0], Cs[0] = h0, c0
    rec = np.empty((N, 4 * H), dtype=dtype)
    tmp = np.empty((N, H), dtype=dtype)
    for t in range(T):
        z = Z[t]
        z += np.matmul(Hs[t], WhT, out=rec)  # the recurrent product, the only one per step
        np.tanh(z, out=z)
        z *= half
        z += add  # z now holds i, f, s̃, q
        c = Cs[t + 1]
        np.multiply(z[:, H : 2 * H], Cs[t], out=c)  # f ⊙ c_{t-1}
        c += np.multiply(z[:, :H], z[:, 2 * H : 3 * H], out=tmp)  # + i ⊙ s̃
        np.tanh(c, out=tanh_c[t])
        np.multiply(z[:, 3 * H :], tanh_c[t], out=Hs[t + 1])
    return Z, Hs, Cs, tanh_c


CHUNK = 1 << 15  # numbers per gate block in a chunk of carry-free factors (cache-sized)


def _factors(Zc, Cprev, tanh_c, A, P, Q, F):
    """The carry-free factors of the backward step for a chunk of n steps (into A..F[:n]).

    Zc (n, N, 4H) the gates (i, f, s̃, q); Cprev (n, N, H) c_{t-1}; tanh_c (n, N, H) tanh(c_t).
    """
    n, _, H4 = Zc.shape
    H = H4 // 4
    i, f, s, q = (Zc[..., k * H : (k + 1) * H] for k in range(4))
    np.multiply(s, i * (1 - i), out=A[:n, :, 0])  # ∂c/∂z^i = s̃ σ'(z^i)
    np.multiply(Cprev, f * (1 - f), out=A[:n, :, 1])  # ∂c/∂z^f = c_{t-1} σ'(z^f)
    np.multiply(i, 1 - s * s, out=A[:n, :, 2])  # ∂c/∂z^s̃ = i tanh'(z^s̃)
    np.multiply(q, 1 - tanh_c * tanh_c, out=P[:n])
    np.multiply(tanh_c, q * (1 - q), out=Q[:n])
    np.copyto(F[:n], f)


def _losses(pb, Hs, N):
    """(loss, dO, rows): dL/do_t (rows·n, C) for the steps with a loss, and their h_t rows.

    N is the whole batch's size, which the loss is averaged over (pb may hold a part of it).
    """
    _, T, _ = pb.X.shape
    H = pb.params.W.shape[1]
    Hr = Hs[T:] if pb.last_only else Hs[1:]
    Hr = Hr.reshape(-1, H)
    O = Hr @ pb.params.V.T
    O += pb.params.c
    if pb.last_only:
        Y = pb.targets
    else:
        Y = pb.targets.transpose(1, 0, 2) if pb.loss == "mse" else pb.targets.T
    if pb.loss == "mse":
        O -= Y.reshape(O.shape)
        total = 0.5 * float(np.vdot(O, O))
        O /= N
    else:
        total = float(
            nll_in_place(O, np.ascontiguousarray(Y).reshape(-1), 1.0 / N).sum(dtype=np.float64)
        )
    return total / N, O, Hr


def loss_and_grads(lp, X, targets, loss="mse", h0=None, c0=None, truncate=None, last_only=False):
    """Loss and BPTT gradients of an LSTM with a linear output layer, fast.

    Parameters
    ----------
    lp : LSTMParams
        W (4H, H), U (4H, D), b (4H,), V (C, H), c (C,); float32 stays float32.
    X : array_like, shape (N, T, D)
    targets : array_like
        Many-to-many: mse (N, T, C) floats, nll (N, T) int labels; many-to-one (last_only):
        (N, C) or (N,).
    loss : str
        "mse" or "nll".
    h0, c0 : array_like, shape (N, H), optional
        Zeros when None.
    truncate : int, optional
        k: no gradient flows from step t = k+1, 2k+1, ... into the step before it.
    last_only : bool
        True for many-to-one.

    Returns
    -------
    LSTMResult
    """
    pb = check_lstm_problem(lp, X, targets, loss, h0, c0, truncate, last_only)
    N, T, _ = pb.X.shape
    if lanes_for(N, T, pb.params.W.shape[1]) == 1 or not _lane_lock.acquire(blocking=False):
        return _lane(pb, N)  # (the lock is held while another thread runs two lanes)
    libs = _blas()
    counts = [lib.num_threads for lib in libs]
    try:
        for lib in libs:
            lib.set_num_threads(1)
        half = N // 2
        other = _worker().submit(_lane, _rows(pb, slice(half, N)), N)
        a = _lane(_rows(pb, slice(0, half)), N)
        b = other.result()
    finally:
        for lib, n in zip(libs, counts):
            lib.set_num_threads(n)
        _lane_lock.release()
    grads = LSTMParams(*(ga + gb for ga, gb in zip(a.grads, b.grads)))
    joined = (np.concatenate((x, y)) for x, y in zip(a[2:], b[2:]))
    return LSTMResult(a.loss + b.loss, grads, *joined)


# Two lanes (the module's docstring says why); NumPy releases the GIL in its loops and products.
LANES = None  # None: chosen by lanes_for; 1 or 2 forces it (the tests run both)
LANES_MIN = 1 << 18  # N·T·H at least, for two lanes (below, the threads' overhead dominates)
_lane_lock = threading.Lock()
_lane_worker = None
_blas_libs = None


def _blas():
    """threadpoolctl's controllers of the BLAS libraries loaded (found on the first call)."""
    global _blas_libs
    if _blas_libs is None:
        from threadpoolctl import ThreadpoolController

        _blas_libs = ThreadpoolController().select(user_api="blas").lib_controllers
    return _blas_libs


def lanes_for(N, T, H):
    """1 or 2: the lanes ``loss_and_grads`` runs a batch of N sequences of T steps in (H units).

    Two when N ≥ 2, N·T·H ≥ ``LANES_MIN`` and the BLAS runs exactly two threads (as in
    ``make bench``); one otherwise, and always under ``threadpool_limits(1)``, as in the chapters.
    """
    libs = _blas()
    if N < 2 or not libs:
        return 1
    if LANES is not None:
        return LANES
    two = max(lib.num_threads for lib in libs) == 2
    return 2 if two and N * T * H >= LANES_MIN else 1


def _worker():
    global _lane_worker
    if _lane_worker is None:
        _lane_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bptt-lstm-lane")
    return _lane_worker


def _rows(pb, rows):
    """The problem restricted to the batch rows ``rows`` (views)."""
    return pb._replace(X=pb.X[rows], targets=pb.targets[rows], h0=pb.h0[rows], c0=pb.c0[rows])


def _lane(pb, N_all):
    """loss_and_grads on pb's rows, the loss and gradients averaged over N_all examples."""
    lp = pb.params
    N, T, D = pb.X.shape
    H = lp.W.shape[1]
    last_only = pb.last_only
    Z, Hs, Cs, tanh_c = forward_states(lp, pb.X, pb.h0, pb.c0)
    value, dO, Hr = _losses(pb, Hs, N_all)
    dV = dO.T @ Hr
    dc_out = dO.sum(axis=0)
    G = _buffer("G", (T, N, H), lp.W.dtype)  # direct terms Vᵀ ∂L_t/∂o_t, then g_t
    if last_only:
        G.fill(0)
    np.matmul(dO, lp.V, out=G[T - 1] if last_only else G.reshape(T * N, H))
    dt = lp.W.dtype
    m = max(1, min(T, CHUNK // (N * H)))  # steps per chunk of carry-free factors
    A = np.empty((m, N, 3, H), dtype=dt)  # s̃ σ'(z^i), c_{t-1} σ'(z^f), i tanh'(z^s̃)
    P = np.empty((m, N, H), dtype=dt)  # q ⊙ (1 - tanh² c): the path from h_t into c_t
    Q = np.empty((m, N, H), dtype=dt)  # tanh(c) σ'(z^q)
    F = np.empty((m, N, H), dtype=dt)  # f_t, kept: Z is overwritten by dL/dz
    dZ = Z.reshape(T, N, 4, H)
    dh = np.zeros((N, H), dtype=dt)  # the carry Wᵀ dz_{t+1}
    dc = np.zeros((N, H), dtype=dt)  # the carry f_{t+1} ⊙ e_{t+1}
    e = np.empty((N, H), dtype=dt)
    k = pb.truncate
    for c1 in range(T, 0, -m):  # chunks of steps c0..c1-1, newest first
        c0 = max(0, c1 - m)
        _factors(Z[c0:c1], Cs[c0:c1], tanh_c[c0:c1], A, P, Q, F)
        for t in range(c1 - 1, c0 - 1, -1):
            j = t - c0
            g = G[t]
            g += dh  # g_t
            np.multiply(g, P[j], out=e)
            e += dc  # e_t, the cell junction
            np.multiply(A[j], e[:, None, :], out=dZ[t, :, :3])
            np.multiply(g, Q[j], out=dZ[t, :, 3])
            if k is not None and t > 0 and t % k == 0:
                dh.fill(0)  # a truncation window starts here
                dc.fill(0)
            else:
                np.multiply(e, F[j], out=dc)
                np.matmul(Z[t], lp.W, out=dh)
    Zr = Z.reshape(T * N, 4 * H)
    dW = Zr.T @ Hs[:-1].reshape(T * N, H)
    Xt = _buffer("X", (T, N, D), lp.W.dtype)
    np.copyto(Xt, pb.X.transpose(1, 0, 2))  # x_t time-major again (the pool may not keep it)
    dU = Zr.T @ Xt.reshape(T * N, D)
    grads = LSTMParams(dW, dU, Zr.sum(axis=0), dV, dc_out)
    return LSTMResult(value, grads, dh, dc, Hs[T].copy(), Cs[T].copy())
