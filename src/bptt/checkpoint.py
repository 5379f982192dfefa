"""Checkpointed BPTT (chapter 9): keep every k-th hidden state, recompute the rest backward.

The forward pass stores only h_0, h_k, h_2k, ...; the backward pass takes the segments newest
first, recomputes each segment's states from its checkpoint and runs BPTT through them, carrying
g = dL/dh across the segment boundary as full BPTT does. Memory: about T/k + k states instead of
T; work: one more forward pass. The gradient is the same (Chen et al. 2016, Gruslys et al. 2016).

``checkpointed`` is the version the chapter reads, built from ``bptt.rnn``'s step functions;
``loss_and_grads`` is what ``bptt.many_to_many(..., checkpoint=k)`` runs, from ``bptt.fast``'s
segment functions (so that the memory really drops); the tests hold them equal.
"""

import numpy as np

from ._problem import check_problem
from ._validate import check_int
from .fast import (
    DEFAULT,
    Accumulators,
    Result,
    Workspace,
    _scratch,
    backward_segment,
    forward_segment,
)
from .fast import loss_and_grads as fast_loss_and_grads
from .params import Params
from .rnn import step_backward, step_forward, step_losses


def check_checkpoint(k):
    """``k`` as an int >= 1 (or None), else TypeError/ValueError naming ``checkpoint``."""
    return check_int(k, "checkpoint", minimum=1, allow_none=True)


def checkpointed(params, X, Y, k, loss="mse", h0=None):
    """Many-to-many loss and gradients by checkpointed BPTT, one step at a time.

    Parameters
    ----------
    params : Params
        W (H, H), U (H, D), V (C, H), b (H,), c (C,).
    X : array_like, shape (N, T, D)
    Y : array_like, shape (N, T, C) or (N, T)
        mse floats or nll int labels.
    k : int
        Keep h_0, h_k, h_2k, ... (k >= 1).
    loss : str
        "mse" or "nll".
    h0 : array_like, shape (N, H), optional

    Returns
    -------
    loss : float
    grads : Params
    """
    pb = check_problem(params, X, Y, loss, h0)
    k = check_int(k, "k", minimum=1)
    W, U, V, b, c = pb.params
    T = pb.X.shape[1]
    starts = range(0, T, k)  # segment s covers steps s+1..s+k (code: X[:, s:s+k])
    kept, h = {}, pb.h0  # forward: keep only the state entering each segment
    for t in range(T):
        if t in starts:
            kept[t] = h
        h, _ = step_forward(pb.X[:, t], h, W, U, b)
    grads = [np.zeros_like(p) for p in pb.params]
    total, carry = 0.0, np.zeros_like(pb.h0)  # carry = dL/dh_s from the later segments
    for s in reversed(starts):  # backward: newest segment first
        h, steps = kept[s], []
        for t in range(s, min(s + k, T)):  # recompute the segment from its checkpoint
            h, cache = step_forward(pb.X[:, t], h, W, U, b)
            steps.append(cache)
        seg_H = np.stack([cache[-1] for cache in steps], axis=1)  # (N, n, H)
        value, dO = step_losses(seg_H @ V.T + c, pb.targets[:, s : s + len(steps)], pb.loss)
        total += value
        for j in reversed(range(len(steps))):  # BPTT through the segment
            g = dO[:, j] @ V + carry  # g_t = Vᵀ ∂L_t/∂o_t + Wᵀ δ_{t+1}
            _, carry, dW, dU, db = step_backward(g, steps[j])
            for acc, d in zip(grads, (dW, dU, dO[:, j].T @ seg_H[:, j], db, dO[:, j].sum(0))):
                acc += d
    return total, Params(*grads)


def loss_and_grads(params, X, Y, loss="mse", h0=None, truncate=None, k=1, config=DEFAULT):
    """``checkpointed``'s numbers from ``bptt.fast``'s segments (with ``truncate`` too).

    Parameters
    ----------
    params, X, Y, loss, h0, truncate
        As in ``bptt.many_to_many``.
    k : int
        The checkpoint interval (k >= 1; k >= T keeps h_0 only and recomputes nothing twice).
    config : FastConfig, optional

    Returns
    -------
    Result
        loss (float), grads (Params), dh0 (N, H), hT (N, H), as ``bptt.fast.loss_and_grads``.
    """
    pb = check_problem(params, X, Y, loss, h0, truncate)
    k = check_checkpoint(k)
    N, T, _ = pb.X.shape
    H = pb.params.W.shape[0]
    if k >= T:  # one segment, the whole sequence: nothing to recompute
        return fast_loss_and_grads(params, X, Y, loss, h0, truncate, config=config)
    starts = list(range(0, T, k))
    ws = Workspace.for_problem(pb, k, config._replace(chunk_part=1))  # a segment per chunk
    Hs = _scratch("Hs", (k + 1, N, H), pb.params.W.dtype, config.pool_bytes)  # one segment
    kept = np.empty((len(starts), N, H), dtype=pb.params.W.dtype)  # h_0, h_k, h_2k, ...
    kept[0] = pb.h0
    for i, s0 in enumerate(starts[:-1]):  # forward to the last checkpoint, keeping no more
        Hs[0] = kept[i]
        forward_segment(pb.params, pb.X, s0, Hs, ws)
        kept[i + 1] = Hs[k]
    acc = Accumulators(Params(*(np.zeros_like(p) for p in pb.params)), np.zeros(T))
    carry = np.zeros((N, H), dtype=pb.params.W.dtype)
    hT = None
    for i in reversed(range(len(starts))):  # backward: recompute, then BPTT, newest first
        s0 = starts[i]
        n = min(k, T - s0)
        Hs[0] = kept[i]
        forward_segment(pb.params, pb.X, s0, Hs[: n + 1], ws)  # overwrites ws.carry
        if hT is None:  # the last segment comes first: its last state is h_T
            hT = Hs[n].copy()
        backward_segment(pb, s0, Hs[: n + 1], ws, acc, carry=carry)
        carry[...] = ws.carry  # dL/dh_{s0}, into the segment before
    return Result(float(np.sum(acc.step_loss)) / N, acc.grads, carry, hT)
