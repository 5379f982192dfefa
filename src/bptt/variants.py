"""Wrong and alternative backward passes, to compare with the right one (chapters 4 and 6, errata).

Each function takes the arguments of ``bptt.rnn.loss_and_grads`` and returns what
``bptt.many_to_many`` returns, so it can be put side by side with the package:

    params   Params: W (H, H), U (H, D), V (C, H), b (H,), c (C,)
    X        (N, T, D) inputs, batch first
    targets  many-to-many (last_only=False): mse (N, T, C) floats, nll (N, T) int labels;
             many-to-one (last_only=True): mse (N, C) floats, nll (N,) int labels
    loss     "mse" (½‖o_t − y_t‖² per step) or "nll" (softmax and negative log-likelihood)
    h0       (N, H) initial state, zeros when None
    returns  (loss, grads): the loss summed over the steps that carry one and averaged over the
             batch (a float), and grads, a Params shaped like params.

In the book's column-vector math (t = 1..T):

    a_t = W h_{t-1} + U x_t + b,  h_t = tanh(a_t),  o_t = V h_t + c
    right:  g_t = Vᵀ ∂L_t/∂o_t + Wᵀ δ_{t+1},  δ_t = (1 − h_t²) ⊙ g_t,
            dL/dW = Σ_t δ_t h_{t-1}ᵀ,  dL/dU = Σ_t δ_t x_tᵀ,  dL/db = Σ_t δ_t.

The variants change only the recurrent part (the gradients of W, U and b); V and c keep their
right gradients unless a docstring says otherwise.

- ``last_step_only``      the copy of step T alone (source 000 read with a partial ∂L/∂H_t). Wrong.
- ``per_loss_grads`` / ``per_loss_passes``  one backward pass per loss L_s (source 003's scheme),
                          and their sum. Right: the sum equals one accumulated pass.
- ``source004_junction``  g_{t-1} collects the gradient of L_t only, not of every later loss. Wrong.
- ``no_direct_term``      g_t = Wᵀ δ_{t+1} without Vᵀ ∂L_t/∂o_t (source 002's recursion on a
                          many-to-many loss). Wrong for many-to-many, right for many-to-one.
- ``source002_literal``   source 002's sum ranges and/or its factor order, read literally.
- ``source003_rows``      source 003's row-vector formulas (W_h = Wᵀ, W_x = Uᵀ, its V = our Vᵀ),
                          right by default, with any of its written errors switched on.
- ``loss_with_copies``    the loss when step t uses its own copies W_t, U_t, b_t (dummy copies):
                          its gradient with respect to copy t is the per-step term of the sum.
"""
from typing import NamedTuple

import numpy as np

from . import losses as _losses
from . import rnn as _rnn
from .params import Params

__all__ = ["last_step_only", "per_loss_grads", "per_loss_passes", "source004_junction", "no_direct_term",
           "source002_literal", "source003_rows", "to_source003", "loss_with_copies", "VARIANTS",
           "SOURCE002_MISTAKES", "SOURCE003_MISTAKES"]


class _Forward(NamedTuple):
    """The forward pass and everything the variants share (batch first, 0-based steps).

    loss float; Hs (N, T+1, H) with Hs[:, 0] = h0; X (N, T, D); dO (N, T, C) = dL/do_t (zero at
    steps without a loss); direct (N, T, H) = Vᵀ dL/do_t per row; dV (C, H), dc (C,); steps: the
    0-based steps that carry a loss.
    """
    params: Params
    loss: float
    Hs: np.ndarray
    X: np.ndarray
    dO: np.ndarray
    direct: np.ndarray
    dV: np.ndarray
    dc: np.ndarray
    steps: tuple


def _step_loss(O, tgt, loss):
    """(loss, dL/dO) of one step, averaged over the batch. O (N, C); tgt (N, C) floats or (N,) labels."""
    return _losses.mse_loss(O, tgt) if loss == "mse" else _losses.nll_loss(O, tgt)


def _forward(params, X, targets, loss, h0, last_only, input_matrix=None):
    """Validate, run the forward pass, and the output layer's loss and gradients (see _Forward).

    input_matrix: None for U; source 003's typo (x W_h) passes W here.
    """
    params, X, targets, h0, _ = _rnn._check_inputs(params, X, targets, loss, h0, None, last_only)
    W, U, V, b, c = params
    Uin = U if input_matrix is None else input_matrix
    N, T, _ = X.shape
    Hs = np.empty((N, T + 1, W.shape[0]), dtype=W.dtype)
    Hs[:, 0] = h0
    for t in range(T):
        Hs[:, t + 1] = np.tanh(Hs[:, t] @ W.T + X[:, t] @ Uin.T + b)
    steps = (T - 1,) if last_only else tuple(range(T))
    dO = np.zeros((N, T, V.shape[0]), dtype=W.dtype)
    total = 0.0
    for t in steps:
        value, dO[:, t] = _step_loss(Hs[:, t + 1] @ V.T + c, targets if last_only else targets[:, t], loss)
        total += value
    dV = np.einsum("ntc,nth->ch", dO, Hs[:, 1:])
    dc = dO.sum(axis=(0, 1))
    return _Forward(params, float(total), Hs, X, dO, dO @ V, dV, dc, steps)


def _grads(fw, Delta, dV=None, dc=None):
    """Params from δ_t (N, T, H): dW = Σ δ_t h_{t-1}ᵀ, dU = Σ δ_t x_tᵀ, db = Σ δ_t (summed over rows too)."""
    dW = np.einsum("nti,ntj->ij", Delta, fw.Hs[:, :-1])
    dU = np.einsum("nti,ntj->ij", Delta, fw.X)
    return Params(dW, dU, fw.dV if dV is None else dV, Delta.sum(axis=(0, 1)), fw.dc if dc is None else dc)


def _tanh_prime(fw, t):
    """1 − h_t² at the 0-based step t, i.e. for the state Hs[:, t + 1]; shape (N, H)."""
    h = fw.Hs[:, t + 1]
    return 1.0 - h * h


# ----------------------------------------------------------------------------- chapter 4

def last_step_only(params, X, targets, loss="mse", h0=None, last_only=True):
    """Only the copy of the last step: dW = δ_T h_{T-1}ᵀ, dU = δ_T x_Tᵀ, db = δ_T. Wrong for T > 1.

    What source 000's sum becomes if ∂L/∂H_t is read as a partial derivative (zero for t < T in
    many-to-one). g_T is the right one. Shapes as in the module docstring; returns (loss, grads).
    """
    fw = _forward(params, X, targets, loss, h0, last_only)
    T = fw.X.shape[1]
    Delta = np.zeros_like(fw.direct)
    Delta[:, T - 1] = _tanh_prime(fw, T - 1) * fw.direct[:, T - 1]   # g_T = Vᵀ dL/do_T
    return fw.loss, _grads(fw, Delta)


def loss_with_copies(params, X, targets, loss="mse", h0=None, last_only=True, Ws=None, Us=None, bs=None):
    """The loss when step t uses its own copy W_t, U_t, b_t (source 000's dummy copies).

    Ws (T, H, H), Us (T, H, D), bs (T, H): one copy per step; None repeats params.W (U, b) T times.
    With all copies equal to W (U, b) this is the ordinary loss. Its gradient with respect to Ws[t]
    is the per-step term δ_t h_{t-1}ᵀ (summed over the batch), and the sum over t is dL/dW.
    Returns the loss (float).
    """
    params, X, targets, h0, _ = _rnn._check_inputs(params, X, targets, loss, h0, None, last_only)
    W, U, V, b, c = params
    T = X.shape[1]
    copies = []
    for name, given, base in (("Ws", Ws, W), ("Us", Us, U), ("bs", bs, b)):
        if given is None:
            copies.append(np.broadcast_to(base, (T,) + base.shape))
            continue
        arr = np.asarray(given)
        if arr.shape != (T,) + base.shape:
            raise ValueError(f"{name} must have shape (T,) + {base.shape} = {(T,) + base.shape} "
                             f"(one copy per step), got {arr.shape}")
        copies.append(arr)
    Ws, Us, bs = copies
    h = h0
    total = 0.0
    for t in range(T):
        h = np.tanh(h @ Ws[t].T + X[:, t] @ Us[t].T + bs[t])
        if not last_only or t == T - 1:
            total += _step_loss(h @ V.T + c, targets if last_only else targets[:, t], loss)[0]
    return float(total)


# ----------------------------------------------------------------------------- chapter 6

def per_loss_grads(params, X, targets, loss="mse", h0=None, last_only=False):
    """One backward pass per loss L_s (source 003's scheme): a list of (s, L_s, grads_s), s = 1..T.

    Pass s starts from Vᵀ dL_s/do_s at step s and carries g back to step 1 with g_{t-1} = Wᵀ δ_t;
    it never adds a direct term on the way. grads_s is the gradient of L_s alone (a Params);
    their sum over s is the gradient of L (see ``per_loss_passes``). Shapes as in the module docstring.
    """
    fw = _forward(params, X, targets, loss, h0, last_only)
    W = fw.params.W
    out = []
    for s in fw.steps:
        Delta = np.zeros_like(fw.direct)
        g = fw.direct[:, s]
        for t in range(s, -1, -1):
            Delta[:, t] = _tanh_prime(fw, t) * g
            g = Delta[:, t] @ W                                # batch-first Wᵀ δ_t
        dO = fw.dO[:, s]
        loss_s = _step_loss(fw.Hs[:, s + 1] @ fw.params.V.T + fw.params.c,
                            targets if last_only else np.asarray(targets)[:, s], loss)[0]
        out.append((s + 1, loss_s, _grads(fw, Delta, dV=dO.T @ fw.Hs[:, s + 1], dc=dO.sum(axis=0))))
    return out


def per_loss_passes(params, X, targets, loss="mse", h0=None, last_only=False):
    """The sum of the T per-loss passes of ``per_loss_grads``: (loss, grads). Right (T passes, not one)."""
    parts = per_loss_grads(params, X, targets, loss, h0, last_only)
    total = sum(p[1] for p in parts)
    grads = parts[0][2]
    for _, _, g in parts[1:]:
        grads = grads + g
    return float(total), grads


def source004_junction(params, X, targets, loss="nll", h0=None, last_only=False):
    """Source 004's junction read literally: g_t = Vᵀ dL_t/do_t + Wᵀ diag(1 − h_{t+1}²) Vᵀ dL_{t+1}/do_{t+1}.

    The recurrent term carries the gradient of L_{t+1} alone instead of g_{t+1}, the gradient of
    every later loss; each loss then reaches only one step back. Wrong for T > 2 or whenever an
    earlier step matters. Shapes as in the module docstring; returns (loss, grads).
    """
    fw = _forward(params, X, targets, loss, h0, last_only)
    T = fw.X.shape[1]
    G = fw.direct.copy()
    for t in range(T - 1):
        G[:, t] += (_tanh_prime(fw, t + 1) * fw.direct[:, t + 1]) @ fw.params.W
    Delta = np.stack([_tanh_prime(fw, t) for t in range(T)], axis=1) * G
    return fw.loss, _grads(fw, Delta)


def no_direct_term(params, X, targets, loss="mse", h0=None, last_only=False):
    """g_T = Vᵀ dL_T/do_T and g_t = Wᵀ δ_{t+1} for t < T: the direct terms Vᵀ dL_t/do_t are left out.

    This is source 002's recursion (7.6), right for many-to-one (there is no direct term before T)
    and wrong for many-to-many. Shapes as in the module docstring; returns (loss, grads).
    """
    fw = _forward(params, X, targets, loss, h0, last_only)
    T = fw.X.shape[1]
    Delta = np.zeros_like(fw.direct)
    g = fw.direct[:, T - 1]
    for t in range(T - 1, -1, -1):
        Delta[:, t] = _tanh_prime(fw, t) * g
        g = Delta[:, t] @ fw.params.W
    return fw.loss, _grads(fw, Delta)


SOURCE002_MISTAKES = ("ranges", "factor_order")


def source002_literal(params, X, targets, loss="mse", h0=None, last_only=True, mistakes=("ranges",)):
    """Source 002's many-to-one gradients read literally, in the book's letters (its W is our U).

    Source 002 numbers the inputs x^(0..T), so its step t is our step t + 1 and its initial state
    h^(-1) is our h0. mistakes, any of:
      "ranges"        its dU (our dL/dW) sums from its t = 1 while dW, db (our U, b) start at 0:
                      our first copy term δ_1 h_0ᵀ is left out. Right only when h0 = 0.
      "factor_order"  dh^(t) = dh^(t+1) f'(ĥ^(t+1)) ᵗU with a row vector, the only product that
                      conforms: g_{t-1} = W δ_t instead of Wᵀ δ_t.
    Shapes as in the module docstring; returns (loss, grads).
    """
    mistakes = _check_mistakes(mistakes, SOURCE002_MISTAKES, "source 002")
    fw = _forward(params, X, targets, loss, h0, last_only)
    W = fw.params.W
    T = fw.X.shape[1]
    carry_matrix = W.T if "factor_order" in mistakes else W    # batch-first: δ W is Wᵀ δ, δ Wᵀ is W δ
    Delta = np.zeros_like(fw.direct)
    carry = np.zeros_like(fw.Hs[:, 0])
    for t in range(T - 1, -1, -1):
        Delta[:, t] = _tanh_prime(fw, t) * (fw.direct[:, t] + carry)
        carry = Delta[:, t] @ carry_matrix
    grads = _grads(fw, Delta)
    if "ranges" in mistakes:
        grads = grads._replace(W=grads.W - Delta[:, 0].T @ fw.Hs[:, 0])
    return fw.loss, grads


SOURCE003_MISTAKES = ("x_times_Wh", "da_from_dh", "dh_prev_from_h", "Wx_from_Wh", "index_mix", "direct_only")


def to_source003(p):
    """A Params in the book's orientation as source 003's row-vector letters.

    Returns a dict: W_h = Wᵀ (H, H), W_x = Uᵀ (D, H), V = Vᵀ (H, C), b (H,), c (C,).
    """
    return {"W_h": p.W.T, "W_x": p.U.T, "V": p.V.T, "b": p.b, "c": p.c}


def source003_rows(params, X, targets, loss="nll", h0=None, last_only=False, scheme="per_loss", mistakes=()):
    """Source 003's row-vector BPTT, h^(t) = tanh(b + h^(t-1) W_h + x^(t) W_x), o^(t) = c + h^(t) V.

    Computed in source 003's letters (W_h = Wᵀ, W_x = Uᵀ, its V = our Vᵀ) and returned in the
    book's orientation. The loss is averaged over the batch like the package's (source 003 sums
    over it: multiply by N for its numbers).
    scheme: "per_loss" (one backward pass per L^(t), as source 003 does) or "single" (one
    accumulated pass with dh^(t) = do^(t) Vᵀ + da^(t+1) W_hᵀ). Both are right without mistakes.
    mistakes, any of (source 003 as written):
      "x_times_Wh"      a^(t) uses x^(t) W_h (needs D == H to run; changes the forward pass and the loss)
      "da_from_dh"      da^(t) = 1 − (dh^(t))² instead of dh^(t) ⊙ (1 − (h^(t))²)
      "dh_prev_from_h"  dh^(t-1) = da^(t) (h^(t-1))ᵀ, an (N, N) matrix (needs N == H to run)
      "Wx_from_Wh"      dL/dW_x accumulates the dW_h^(i) terms (needs D == H to run)
      "index_mix"       dW_h^(i) = (h^(t-1))ᵀ da^(t) at every i of pass t (per_loss scheme only)
      "direct_only"     dh^(t) = do^(t) Vᵀ, no carry from t+1 (single scheme only)
    Shapes as in the module docstring; returns (loss, grads) with grads a Params (W, U, V, b, c).
    A mistake whose shapes do not conform raises ValueError saying which product fails.
    """
    mistakes = _check_mistakes(mistakes, SOURCE003_MISTAKES, "source 003")
    if scheme not in ("per_loss", "single"):
        raise ValueError(f"scheme must be 'per_loss' or 'single', got {scheme!r}")
    if "index_mix" in mistakes and scheme != "per_loss":
        raise ValueError("mistake 'index_mix' belongs to the per_loss scheme (pass t, step i)")
    if "direct_only" in mistakes and scheme != "single":
        raise ValueError("mistake 'direct_only' belongs to the single scheme (per-loss passes have no direct term "
                         "below their own step)")
    p = _rnn._check_inputs(params, X, targets, loss, h0, None, last_only)[0]
    D, H, _ = p.sizes
    N = np.shape(X)[0]
    if "x_times_Wh" in mistakes and D != H:
        raise ValueError(f"source 003's x^(t) W_h multiplies x^(t) (N, D) = {(N, D)} by W_h (H, H) = {(H, H)}: "
                         "it conforms only when D == H")
    if "Wx_from_Wh" in mistakes and D != H:
        raise ValueError(f"source 003's dL/dW_x = Σ dW_h^(i) has shape (H, H) = {(H, H)} but W_x is (D, H) = "
                         f"{(D, H)}: it conforms only when D == H")
    if "dh_prev_from_h" in mistakes and N != H:
        raise ValueError(f"source 003's dh^(t-1) = da^(t) (h^(t-1))ᵀ has shape (N, N) = {(N, N)} but dh^(t-1) is "
                         f"(N, H) = {(N, H)}: it conforms only when N == H")
    fw = _forward(params, X, targets, loss, h0, last_only,
                  input_matrix=p.W if "x_times_Wh" in mistakes else None)
    r = to_source003(fw.params)
    W_h, V3 = r["W_h"], r["V"]
    hs, Xs = fw.Hs, fw.X
    dW_h, dW_x = np.zeros_like(W_h), np.zeros_like(r["W_x"])
    dV3, db, dc = np.zeros_like(V3), np.zeros_like(r["b"]), np.zeros_like(r["c"])

    def da_of(dh, i):                                       # i: 0-based step, h^(i) = hs[:, i + 1]
        h = hs[:, i + 1]
        return 1.0 - dh ** 2 if "da_from_dh" in mistakes else dh * (1.0 - h ** 2)

    def accumulate(da, i, da_top=None, top=None):
        nonlocal dW_h, dW_x, db
        h_prev = hs[:, i]
        dW_h += hs[:, top].T @ da_top if "index_mix" in mistakes else h_prev.T @ da
        dW_x += h_prev.T @ da if "Wx_from_Wh" in mistakes else Xs[:, i].T @ da
        db += da.sum(axis=0)
        return da @ h_prev.T if "dh_prev_from_h" in mistakes else da @ W_h.T

    if scheme == "per_loss":
        for t in fw.steps:                                  # one pass per L^(t)
            do = fw.dO[:, t]
            dV3 += hs[:, t + 1].T @ do
            dc += do.sum(axis=0)
            dh = do @ V3.T                                  # dh^(t) = do^(t) Vᵀ: right inside pass t
            da_top = da_of(dh, t)
            for i in range(t, -1, -1):
                da = da_top if i == t else da_of(dh, i)
                dh = accumulate(da, i, da_top, t)
    else:
        carry = np.zeros_like(hs[:, 0])
        for t in range(Xs.shape[1] - 1, -1, -1):            # one accumulated pass
            do = fw.dO[:, t]
            dV3 += hs[:, t + 1].T @ do
            dc += do.sum(axis=0)
            dh = do @ V3.T if "direct_only" in mistakes else do @ V3.T + carry
            carry = accumulate(da_of(dh, t), t)
    return fw.loss, Params(dW_h.T, dW_x.T, dV3.T, db, dc)


def _check_mistakes(mistakes, allowed, source):
    if isinstance(mistakes, str):
        mistakes = (mistakes,)
    try:
        mistakes = tuple(mistakes)
    except TypeError:
        raise TypeError(f"mistakes must be a tuple of names from {allowed}, got {mistakes!r}") from None
    for m in mistakes:
        if m not in allowed:
            raise ValueError(f"mistakes: {m!r} is not one of {source}'s mistakes {allowed}")
    return mistakes


VARIANTS = {
    "last_step_only": last_step_only,
    "per_loss_passes": per_loss_passes,
    "source004_junction": source004_junction,
    "no_direct_term": no_direct_term,
    "source002_literal": source002_literal,
    "source003_rows": source003_rows,
}
