"""Assignment 7, gradient norms: iir_impulse_response, backward_norms, norm_bound."""

import numpy as np

from ..dynamics import impulse_response, norms_by_lag, spectral_norm, spectral_radius
from ..gradcheck import numerical_gradient
from ..params import init_params
from ..rnn import forward
from .engine import _check_outputs, _passed, call, compare, compare_scalar
from .mistakes import RNN_MISTAKES


def check_iir_impulse_response(fn, seed=0):
    """Check ``fn(w, T) -> (T,)``: h_1..h_T of h_t = w h_{t-1} + x_t, h_0 = 0, x_1 = 1, x_t = 0
    after.

    Tried on w < 0, w > 1, T = 1 and a w drawn from ``seed``.
    """
    w_seed = float(np.round(np.random.default_rng(seed).uniform(-1.5, 1.5), 3))
    for w, T in [(-0.9, 6), (1.1, 5), (0.5, 1), (w_seed, 7), (-0.9, 4)]:
        ref = impulse_response(w, T)
        got = call(fn, "iir_impulse_response", w, T)
        muts = [
            (
                "off_by_one",
                "It starts at w: h_1 = w h_0 + x_1 = 1 with h_0 = 0, so the response is 1, w, w², "
                "...",
                w ** np.arange(1, T + 1),
            ),
            (
                "off_by_one",
                "It starts with 0: the impulse arrives at t = 1, so h_1 = 1.",
                np.concatenate([[0.0], w ** np.arange(T - 1)]),
            ),
            ("order", "It is reversed: entry 0 is h_1.", ref[::-1].copy()),
            (
                "sign",
                "It flips the sign of w: h_t = w h_{t-1} + x_t gives 1, w, w², ...",
                (-w) ** np.arange(T),
            ),
            (
                "factor",
                "It is w^t · t or similar: each step multiplies by w once, so h_t = w^(t-1).",
                w ** np.arange(T) * np.arange(1, T + 1),
            ),
        ]
        compare(
            "iir_impulse_response",
            got,
            ref,
            muts,
            label="h",
            time_axis=0,
            note=f"(w = {w}, T = {T}.)",
        )
    _passed("iir_impulse_response", "h_1, ..., h_T for five (w, T)")


def _norms(W, Fp, gT):
    """‖g_T‖, ..., ‖g_1‖ over all N·H entries, from bptt.dynamics.norms_by_lag (per example)."""
    per_example = norms_by_lag(W, Fp, gT)[:, : Fp.shape[1]]  # lags 0..T-1: (N, T)
    return np.sqrt((per_example**2).sum(axis=0))


def _one_norms(fn, seed, N, T, D, H):
    rng = np.random.default_rng(seed)
    params = init_params(D, H, 1, seed=seed, scale=1.2)
    X = rng.normal(size=(N, T, D))
    gT = rng.normal(size=(N, H))
    W, U, b = params.W, params.U, params.b
    Hs = forward(params, X)[0]
    Hprev = np.concatenate([np.zeros((N, 1, H)), Hs[:, :-1]], axis=1)
    ref = _norms(W, 1 - Hs**2, gT)
    numeric = np.zeros(T)
    for lag in range(T):
        t = T - lag
        ht = Hs[:, t - 1].copy()

        def rest():
            h = ht
            for s in range(t, T):
                h = np.tanh(h @ W.T + X[:, s] @ U.T + b)
            return float(np.sum(gT * h))

        numeric[lag] = np.linalg.norm(numerical_gradient(rest, ht))
    got = call(fn, "backward_norms", params, X, gT)
    ones = np.ones_like(Hs)
    muts = [
        (
            "tanh",
            "It matches the recursion without tanh': g_{t-1} = Wᵀ((1 - h_t²) ⊙ g_t).",
            _norms(W, ones, gT),
        ),
        ("tanh", "It uses 1 - h_t where tanh' is 1 - h_t² (h squared).", _norms(W, 1 - Hs, gT)),
        ("transposed", RNN_MISTAKES["transposed_rec"][1], _norms(W.T, 1 - Hs**2, gT)),
        ("off_by_one", RNN_MISTAKES["off_by_one_rec"][1], _norms(W, 1 - Hprev**2, gT)),
        (
            "order",
            "It lists the norms by time step t = 1..T; entry k must be the norm at lag k, "
            "‖g_{T-k}‖.",
            ref[::-1].copy(),
        ),
        (
            "per_example",
            "It adds up one norm per example; the norm is over all N·H entries of g_t together "
            "(np.linalg.norm(g)).",
            norms_by_lag(W, 1 - Hs**2, gT)[:, :T].sum(axis=0),
        ),
    ]
    return _check_outputs(
        "backward_norms",
        [got],
        [("the norms", ref, dict(mutants=muts, numeric=numeric, time_axis=0, time_offset=0))],
        note=f"(N = {N}, T = {T}; entry k is the norm at lag k, ‖g_{{T-k}}‖; 't' above counts "
        "lags from 0.)",
    )


def check_backward_norms(fn, seed=0, N=2, T=6, D=2, H=4):
    """Check ``fn(params, X, gT) -> (T,)``: ‖g_T‖, ‖g_{T-1}‖, ..., ‖g_1‖ when only g_T = gT is
    injected.

    g_{t-1} = Wᵀ((1 - h_t²) ⊙ g_t) (batch first: (g * (1 - h_t**2)) @ W), h_0 = 0, norms over all
    entries of the (N, H) array. Entry k of the result is ‖g_{T-k}‖, the norm at lag k. Tried on
    the sizes given and on N = 1, T = 1 and a longer sequence.
    """
    worst = 0.0
    cases = [dict(N=N, T=T, D=D, H=H), dict(N=1, T=1, D=2, H=2), dict(N=3, T=9, D=3, H=5)]
    for i, sz in enumerate(cases):
        worst = max(worst, _one_norms(fn, seed + 7919 * i, **sz))
    _passed("backward_norms", "the norms at every lag", worst)


def check_norm_bound(fn, seed=0):
    """Check ``fn(W, k, g_norm) -> float``: the bound ‖W‖₂ᵏ · g_norm with ‖W‖₂ the largest singular
    value.

    Tried on a non-normal W, a random W, a multiple of the identity and k = 0.
    """
    rng = np.random.default_rng(seed)
    W1 = np.array([[0.5, 2.0], [0.0, 0.5]])  # non-normal: spectral radius 0.5, norm > 2
    W2 = rng.normal(size=(4, 4)) / 2
    W3 = rng.normal(size=(3, 3))
    for W, k, gn in [
        (W1, 3, 1.5),
        (W2, 4, 0.7),
        (np.eye(3) * 0.5, 2, 4.0),
        (W3, 0, 2.0),
        (W3, 5, 1e-3),
    ]:
        s = spectral_norm(W)
        ref = s**k * gn
        got = call(fn, "norm_bound", W, k, gn)
        muts = [
            (
                "spectral_radius",
                "It uses the largest |eigenvalue| (the spectral radius); the bound needs the "
                "largest singular value ‖W‖₂, which can be much larger for a non-normal W.",
                spectral_radius(W) ** k * gn,
            ),
            (
                "frobenius",
                "It uses the Frobenius norm; the bound in the chapter uses the spectral norm ‖W‖₂ "
                "(np.linalg.norm(W, 2)), the smallest norm for which it holds step by step.",
                np.linalg.norm(W) ** k * gn,
            ),
            ("factor", "It leaves out g_norm (the bound is ‖W‖₂ᵏ times ‖g_T‖).", s**k),
            ("factor", "It multiplies ‖W‖₂ by k instead of raising it to the power k.", s * k * gn),
            (
                "off_by_one",
                "It uses ‖W‖₂ to the power k - 1 or k + 1: k steps back, k factors of ‖W‖₂.",
                s ** (k + 1) * gn,
            ),
            (
                "off_by_one",
                "It uses ‖W‖₂ to the power k - 1: k steps back, k factors of ‖W‖₂.",
                s ** (k - 1) * gn,
            ),
            (
                "max_entry",
                "It uses the largest entry |W_ij|; the bound needs the spectral norm ‖W‖₂.",
                np.abs(W).max() ** k * gn,
            ),
        ]
        compare_scalar("norm_bound", got, ref, muts, label=f"the bound (k = {k}, g_norm = {gn:g})")
    _passed("norm_bound", "the bound on five (W, k, g_norm)")
