"""Assignment 9, what BPTT costs: the checkpointed backward pass (checkpointed_grads)."""

import numpy as np

from ..checkpoint import checkpointed
from ..data import random_problem
from ..losses import mse_loss
from ..params import Params
from .engine import call, compare_all, each_size, passed, unpack

FIELDS = ("dW", "dU", "dV", "db", "dc")


def _mistake(params, X, Y, k, kind):
    """The gradient a named wrong checkpointed pass returns (mse, h_0 = 0), as a list of 5 arrays.

    kind: "late" (the checkpoint kept is h_{s+1}, after the segment's first step), "early" (it is
    h_{s-1}), "zeros" (every segment recomputed from h_0 = 0), "cut" (the carry is reset at each
    checkpoint: truncation), "direct" (the direct term is left out at each segment's last step),
    "shift" (each segment's losses read the targets one step later).
    """
    W, U, V, b, c = params
    N, T, _ = X.shape
    hs = [np.zeros((N, W.shape[0]))]
    for t in range(T):
        hs.append(np.tanh(hs[-1] @ W.T + X[:, t] @ U.T + b))
    grads = [np.zeros_like(p) for p in params]
    carry = np.zeros_like(hs[0])
    for s in reversed(range(0, T, k)):
        e = min(s + k, T)
        start = {"late": hs[min(s + 1, T)], "early": hs[max(s - 1, 0)], "zeros": hs[0]}.get(
            kind, hs[s]
        )
        seg = [start]
        for t in range(s, e):
            seg.append(np.tanh(seg[-1] @ W.T + X[:, t] @ U.T + b))
        if kind == "cut":
            carry = np.zeros_like(carry)
        for t in reversed(range(s, e)):
            h, h_prev = seg[t - s + 1], seg[t - s]
            y = Y[:, min(t + 1, T - 1)] if kind == "shift" else Y[:, t]
            dO = mse_loss(h @ V.T + c, y)[1]
            direct = 0.0 if (kind == "direct" and t == e - 1) else dO @ V
            delta = (1.0 - h**2) * (direct + carry)
            for acc, d in zip(
                grads, (delta.T @ h_prev, delta.T @ X[:, t], dO.T @ h, delta.sum(0), dO.sum(0))
            ):
                acc += d
            carry = delta @ W
    return grads


CAUSES = {
    "late": "Each segment was recomputed from h_{s+1} instead of h_s: the checkpoint was kept one "
    "step too late (after the segment's first step), so the segment boundary is off by one.",
    "early": "Each segment was recomputed from h_{s-1} instead of h_s: the checkpoint was kept one "
    "step too early, so the segment boundary is off by one.",
    "zeros": "Every segment was recomputed from h_0 = 0 instead of its own checkpoint h_s: the "
    "recomputation started from the wrong state.",
    "cut": "The carry dL/dh_s was reset to zero at every checkpoint: that is truncated BPTT. "
    "Checkpointing recomputes states, it does not cut the gradient; carry it into the segment "
    "before.",
    "direct": "At the last step of each segment the direct term Vᵀ dL_t/do_t is missing: g_t there "
    "is the carry plus the direct term, not the carry alone.",
    "shift": "Each step's loss used the target of the step after it: the recomputed segment's "
    "states are paired with the wrong steps when the gradients are accumulated.",
}


# sizes every check also runs (the hidden tests only add seeds)
EDGES = [dict(k=1, T=4), dict(k=10, T=5), dict(k=4, T=9, N=3, D=3, H=2, C=1)]


def check_checkpointed_grads(fn, seed=0, k=3, N=2, T=8, D=2, H=3, C=2):
    """Check ``fn(params, X, Y, k) -> Params``: many-to-many MSE gradients by checkpointed BPTT.

    Keep h_0, h_k, h_2k, ... in the forward pass; in the backward pass recompute each segment's
    states from its checkpoint, newest segment first, carrying dL/dh across the boundaries.
    h_0 = 0; X (N, T, D), Y (N, T, C); the result equals full BPTT (``bptt.many_to_many``).
    """
    base = dict(k=k, N=N, T=T, D=D, H=H, C=C)
    passed(*each_size(_checkpointed_grads_once, fn, seed, base, EDGES))


def _checkpointed_grads_once(fn, seed=0, k=3, N=2, T=8, D=2, H=3, C=2):
    """One size of ``check_checkpointed_grads``; returns what ``passed`` prints."""
    params, X, Y, _ = random_problem(N, T, D, H, C, seed=seed, loss="mse", with_h0=False)
    _, ref = checkpointed(params, X, Y, k, loss="mse")
    wrong = {kind: _mistake(params, X, Y, k, kind) for kind in CAUSES}
    got = call(fn, "checkpointed_grads", params, X, Y, k)
    if isinstance(got, Params):
        got = tuple(got)
    arrays = unpack(got, "checkpointed_grads", FIELDS)
    outputs = []
    for i, label in enumerate(FIELDS):
        mistakes = {
            CAUSES[kind]: w[i]
            for kind, w in wrong.items()
            if np.abs(w[i] - ref[i]).max() > 1e-9 * max(1.0, np.abs(ref[i]).max())
        }
        outputs.append(
            (
                label,
                arrays[i],
                ref[i],
                {"mistakes": mistakes, "n_batch": N, "bias": label in ("db", "dc")},
            )
        )
    segs = ", ".join(f"{s + 1}-{min(s + k, T)}" for s in range(0, T, k))
    compare_all(
        "checkpointed_grads", outputs, note=f"(T = {T}, k = {k}: the segments are steps {segs}.)"
    )
    return "checkpointed_grads", "dW, dU, dV, db, dc against full BPTT"
