"""The mistake models the BPTT checks share (assignments 3, 4, 6 and 8)."""
import numpy as np

from ..data import random_problem
from ..gradcheck import numerical_gradient
from ..losses import softmax as _softmax
from ..params import Params
from .engine import TOL, CheckFailed, _call, _check_outputs, _compare, _finish, _label, _Mismatch, _passed, _scalar, _unpack


def _tiny_rnn(seed, N=3, T=4, D=3, H=4, C=3, loss="mse", last_only=False):
    return random_problem(N, T, D, H, C, seed=seed, loss=loss, last_only=last_only, scale=0.8)


def _rnn_variant(params, X, targets, loss="mse", last_only=False, h0=None, truncate=None, mistake=None):
    """Per-step BPTT with one mistake planted (mistake=None: the right answer).

    Returns (grads: Params, G: (N, T, H) the g_t used). Mistakes: "tanh", "direct_only",
    "last_step_only", "last_loss_only", "off_by_one" (δ_t h_tᵀ), "off_by_one_rec" (tanh' at h_{t-1}),
    "transposed_rec" (δ W → δ Wᵀ), "sum" (no 1/N), "ignore_h0", "no_truncation", "trunc_shift".
    """
    W, U, V, b, c = params
    N, T, _ = X.shape
    H = W.shape[0]
    if h0 is None or mistake == "ignore_h0":
        h0 = np.zeros((N, H))
    hs = [h0]
    for t in range(T):
        hs.append(np.tanh(hs[-1] @ W.T + X[:, t] @ U.T + b))
    div = 1.0 if mistake == "sum" else float(N)
    dos = [None] * T
    steps = [T - 1] if (last_only or mistake == "last_loss_only") else range(T)
    for t in steps:
        tgt = targets if last_only else targets[:, t]
        o = hs[t + 1] @ V.T + c
        if loss == "mse":
            d = o - tgt
        else:
            d = _softmax(o)
            d[np.arange(N), tgt] -= 1.0
        dos[t] = d / div
    dW, dU, dV = np.zeros_like(W), np.zeros_like(U), np.zeros_like(V)
    db, dc = np.zeros_like(b), np.zeros_like(c)
    G = np.zeros((N, T, H))
    carry = np.zeros((N, H))
    k = None if mistake == "no_truncation" else truncate
    for t in reversed(range(T)):
        direct = np.zeros((N, H))
        if dos[t] is not None:
            dV += dos[t].T @ hs[t + 1]
            dc += dos[t].sum(axis=0)
            direct = dos[t] @ V
        g = direct if mistake == "direct_only" else direct + carry
        G[:, t] = g
        if mistake == "tanh":
            d = g
        elif mistake == "off_by_one_rec":
            d = g * (1 - hs[t] ** 2)
        else:
            d = g * (1 - hs[t + 1] ** 2)
        if mistake != "last_step_only" or t == T - 1:
            dW += d.T @ (hs[t + 1] if mistake == "off_by_one" else hs[t])
            dU += d.T @ X[:, t]
            db += d.sum(axis=0)
        carry = d @ W.T if mistake == "transposed_rec" else d @ W
        if k is not None:
            cut = (t + 1) % k == 0 if mistake == "trunc_shift" else (t % k == 0 and t > 0)
            if cut:
                carry = np.zeros_like(carry)
    return Params(dW, dU, dV, db, dc), G


def _sliding_window(params, X, Y, k):
    """The other truncation scheme: each loss L_t sends its gradient back through at most k steps."""
    W, U, V, b, c = params
    N, T, _ = X.shape
    hs = [np.zeros((N, W.shape[0]))]
    for t in range(T):
        hs.append(np.tanh(hs[-1] @ W.T + X[:, t] @ U.T + b))
    grads = [np.zeros_like(p) for p in params]
    for t in range(T):
        do = (hs[t + 1] @ V.T + c - Y[:, t]) / N
        grads[2] += do.T @ hs[t + 1]
        grads[4] += do.sum(axis=0)
        g = do @ V
        for s in range(t, max(-1, t - k), -1):
            d = g * (1 - hs[s + 1] ** 2)
            grads[0] += d.T @ hs[s]
            grads[1] += d.T @ X[:, s]
            grads[3] += d.sum(axis=0)
            g = d @ W
    return Params(*grads)


def _numeric_params(loss_of_params, params):
    work = params.copy()
    return Params(*(numerical_gradient(lambda: loss_of_params(work), p) for p in work))


_MISTAKE_TEXT = {
    "tanh": ("tanh", "It matches BPTT without the factor tanh'(a_t) = 1 - h_t²: δ_t = (1 - h_t²) ⊙ g_t."),
    "direct_only": ("accumulation", "It matches BPTT with the direct term only: g_t must also collect the carry "
                    "Wᵀ δ_{t+1} from step t+1 (batch first: delta_next @ W), so the gradient flows back across steps."),
    "last_step_only": ("accumulation", "It equals the last step's term alone (δ_T h_{T-1}ᵀ for dW). W, U and b are "
                       "used at every step (dummy copies), so their gradients are sums over t = 1..T."),
    "last_loss_only": ("accumulation", "It matches the gradient of the last step's loss L_T alone; the loss is "
                       "Σ_t L_t, so every step's output sends a direct term into g_t."),
    "off_by_one": ("off_by_one", "It matches Σ_t δ_t h_tᵀ: in a_t = W h_{t-1} + U x_t + b, W multiplies h_{t-1}, "
                   "so dL/dW = Σ_t δ_t h_{t-1}ᵀ (batch first: delta.T @ H[t-1])."),
    "off_by_one_rec": ("off_by_one", "It uses tanh' at h_{t-1}: the factor of step t is 1 - h_t², the derivative "
                       "of h_t = tanh(a_t)."),
    "transposed_rec": ("transposed", "It carries the gradient back with W instead of Wᵀ: batch first, the "
                       "carry is delta @ W, not delta @ W.T."),
    "sum": ("batch", "It matches the gradient of the loss summed over the batch: the loss is the mean over the N "
            "sequences, so dL/do_t = (ŷ_t - y_t)/N."),
    "ignore_h0": ("h0", "It matches the gradient computed from h_0 = 0: start the recurrence from the h0 you are given."),
    "no_truncation": ("no_truncation", "It equals full BPTT: with truncate=k the gradient must stop at the start "
                      "of each chunk of k steps (t = 1, k+1, 2k+1, ...), the state does not."),
    "trunc_shift": ("off_by_one", "Your chunk boundaries are one step off: the chunks are steps 1..k, k+1..2k, ..., "
                    "so no gradient flows from step k+1 into h_k (0-based: cut after step index t with t % k == 0, t > 0)."),
}


def _rnn_mutants(params, X, targets, names, **kw):
    out = []
    for m in names:
        kind, text = _MISTAKE_TEXT[m]
        grads, G = _rnn_variant(params, X, targets, mistake=m, **kw)
        out.append((kind, text, grads, G))
    return out


def _check_params_result(name, got, ref, mutants, numeric, N, note=""):
    if isinstance(got, Params):
        arrays = list(got)
    else:
        arrays = _unpack(got, name, ["dW", "dU", "dV", "db", "dc"])
    specs = []
    for i, label in enumerate(["dW", "dU", "dV", "db", "dc"]):
        muts = [(kind, text, g[i]) for kind, text, g in mutants]
        specs.append((label, ref[i], dict(mutants=muts, numeric=numeric[i], n_batch=N, bias=label in ("db", "dc"))))
    return _check_outputs(name, arrays, specs, note)
