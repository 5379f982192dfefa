"""Assignment 7, gradient norms: iir_impulse_response, backward_norms, norm_bound."""
import numpy as np

from ..gradcheck import numerical_gradient
from ..params import init_params
from .engine import TOL, CheckFailed, _call, _check_outputs, _compare, _finish, _label, _Mismatch, _passed, _scalar, _unpack
from .mistakes import _MISTAKE_TEXT


def check_iir_impulse_response(fn):
    """Check ``fn(w, T) -> (T,)``: h_1..h_T of h_t = w h_{t-1} + x_t, h_0 = 0, x_1 = 1, x_t = 0 after."""
    problems = []
    for w, T in [(-0.9, 6), (1.1, 5), (0.5, 1)]:
        ref = w ** np.arange(T)
        got = _call(fn, "iir_impulse_response", w, T)
        muts = [
            ("off_by_one", "It starts at w: h_1 = w h_0 + x_1 = 1 with h_0 = 0, so the response is 1, w, w², ...",
             w ** np.arange(1, T + 1)),
            ("off_by_one", "It starts with 0: the impulse arrives at t = 1, so h_1 = 1.",
             np.concatenate([[0.0], w ** np.arange(T - 1)])),
            ("order", "It is reversed: entry 0 is h_1.", ref[::-1].copy()),
        ]
        try:
            _compare(got, ref, mutants=muts, symbol="h", time_axis=0)
        except _Mismatch as m:
            problems.append((f"w = {w}, T = {T}", m))
            break
    _finish("iir_impulse_response", problems)
    _passed("iir_impulse_response", "h_1, ..., h_T")


def _backward_norms_variant(params, X, gT, mistake=None):
    W, U, b = params.W, params.U, params.b
    N, T, _ = X.shape
    hs = [np.zeros((N, W.shape[0]))]
    for t in range(T):
        hs.append(np.tanh(hs[-1] @ W.T + X[:, t] @ U.T + b))
    g = gT
    norms = []
    for t in range(T, 0, -1):                      # g is g_t
        norms.append(np.linalg.norm(g))
        if mistake == "tanh":
            d = g
        elif mistake == "off_by_one_rec":
            d = g * (1 - hs[t - 1] ** 2)
        else:
            d = g * (1 - hs[t] ** 2)
        g = d @ W.T if mistake == "transposed_rec" else d @ W
    norms = np.array(norms)
    return norms[::-1].copy() if mistake == "order" else norms


def check_backward_norms(fn, seed=0, N=2, T=6, D=2, H=4):
    """Check ``fn(params, X, gT) -> (T,)``: ‖g_T‖, ‖g_{T-1}‖, ..., ‖g_1‖ when only g_T = gT is injected.

    g_{t-1} = Wᵀ((1 - h_t²) ⊙ g_t) (batch first: (g * (1 - h_t**2)) @ W), h_0 = 0, norms over all
    entries of the (N, H) array. Entry k of the result is ‖g_{T-k}‖, the norm at lag k.
    """
    rng = np.random.default_rng(seed)
    params = init_params(D, H, 1, seed=seed, scale=1.2)
    X = rng.normal(size=(N, T, D))
    gT = rng.normal(size=(N, H))
    ref = _backward_norms_variant(params, X, gT)
    W, U, b = params.W, params.U, params.b
    hs = [np.zeros((N, H))]
    for t in range(T):
        hs.append(np.tanh(hs[-1] @ W.T + X[:, t] @ U.T + b))
    numeric = np.zeros(T)
    for lag in range(T):
        t = T - lag
        ht = hs[t].copy()

        def rest():
            h = ht
            for s in range(t, T):
                h = np.tanh(h @ W.T + X[:, s] @ U.T + b)
            return float(np.sum(gT * h))
        numeric[lag] = np.linalg.norm(numerical_gradient(rest, ht))
    got = _call(fn, "backward_norms", params.copy(), X, gT)
    muts = [
        ("tanh", "It matches the recursion without tanh': g_{t-1} = Wᵀ((1 - h_t²) ⊙ g_t).",
         _backward_norms_variant(params, X, gT, "tanh")),
        ("transposed", _MISTAKE_TEXT["transposed_rec"][1], _backward_norms_variant(params, X, gT, "transposed_rec")),
        ("off_by_one", _MISTAKE_TEXT["off_by_one_rec"][1], _backward_norms_variant(params, X, gT, "off_by_one_rec")),
        ("order", "It lists the norms by time step t = 1..T; entry k must be the norm at lag k, ‖g_{T-k}‖.",
         _backward_norms_variant(params, X, gT, "order")),
    ]
    num = _check_outputs("backward_norms", [got], [("the norms", ref, dict(mutants=muts, numeric=numeric, time_axis=0,
                                                                      time_offset=0))],
                   note="(entry k is the norm at lag k, ‖g_{T-k}‖; 't' above counts lags from 0.)")
    _passed("backward_norms", "the norms at every lag", num)


def check_norm_bound(fn, seed=0):
    """Check ``fn(W, k, g_norm) -> float``: the bound ‖W‖₂ᵏ · g_norm with ‖W‖₂ the largest singular value."""
    rng = np.random.default_rng(seed)
    W1 = np.array([[0.5, 2.0], [0.0, 0.5]])          # non-normal: spectral radius 0.5, norm > 2
    W2 = rng.normal(size=(4, 4)) / 2
    problems = []
    for W, k, gn in [(W1, 3, 1.5), (W2, 4, 0.7)]:
        ref = np.linalg.norm(W, 2) ** k * gn
        got = _call(fn, "norm_bound", W.copy(), k, gn)
        muts = [
            ("spectral_radius", "It uses the largest |eigenvalue| (the spectral radius); the bound needs the largest "
             "singular value ‖W‖₂, which can be much larger for a non-normal W.", max(abs(np.linalg.eigvals(W))) ** k * gn),
            ("frobenius", "It uses the Frobenius norm; the bound in the chapter uses the spectral norm ‖W‖₂ "
             "(np.linalg.norm(W, 2)), the smallest norm for which it holds step by step.", np.linalg.norm(W) ** k * gn),
            ("factor", "It leaves out g_norm (the bound is ‖W‖₂ᵏ times ‖g_T‖).", np.linalg.norm(W, 2) ** k),
        ]
        value = _scalar(got, "norm_bound", "the bound")
        try:
            _compare(np.array([value]), np.array([ref]), mutants=[(a, t, np.array([v])) for a, t, v in muts],
                     symbol="the bound")
        except _Mismatch as m:
            problems.append((f"k = {k}", m))
            break
    _finish("norm_bound", problems)
    _passed("norm_bound", "the bound")
