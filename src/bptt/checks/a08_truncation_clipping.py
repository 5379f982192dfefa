"""Assignment 8, truncation and clipping: truncated_grads, clip_by_norm.

τ is the norm-clipping threshold, κ the elementwise one (chapter 8's letters).
"""

import numpy as np

from ..losses import mse_loss
from ..params import Params
from ..rnn import forward, many_to_many
from ..train import clip_by_norm, clip_by_value, window_truncated
from .engine import CheckFailed, _check_outputs, _label, _passed, call
from .mistakes import _numeric_params, _tiny_rnn, check_rnn_grads

# (k, sizes) every truncation check also tries: k = 1, chunks that do not divide T, k >= T
TRUNC_EDGES = [
    (1, dict(N=2, T=4, D=2, H=3, C=2)),
    (2, dict(N=3, T=5, D=3, H=2, C=1)),
    (9, dict(N=2, T=6, D=2, H=3, C=2)),
    (4, dict(N=1, T=4, D=2, H=2, C=2)),
]


def _surrogate_truncated_loss(params, X, Y, k, H_fixed):
    """The loss whose exact gradient is the truncated one: the state entering each chunk is a
    constant."""
    W, U, V, b, c = params
    N, T, _ = X.shape
    total = 0.0
    h = H_fixed[0]
    for t in range(T):
        if t % k == 0:
            h = H_fixed[t]
        h = np.tanh(h @ W.T + X[:, t] @ U.T + b)
        total += mse_loss(h @ V.T + c, Y[:, t])[0]
    return total


def _one_truncation(fn, seed, k, N, T, D, H, C):
    params, X, Y, _ = _tiny_rnn(seed, N, T, D, H, C, "mse")
    _, ref = many_to_many(params, X, Y, loss="mse", truncate=k)
    Hs = forward(params, X)[0]
    hs = [np.zeros((N, H))] + [Hs[:, t] for t in range(T)]
    numeric = _numeric_params(lambda p: _surrogate_truncated_loss(p, X, Y, k, hs), params)
    got = call(fn, "truncated_grads", params, X, Y, k)
    window = (
        "sliding_window",
        "It matches the other truncation scheme, where each loss L_t sends its "
        "gradient back k steps. Here the sequence is cut into fixed chunks: every loss in a chunk "
        "backpropagates to the chunk's start and no further.",
        window_truncated(params, X, Y, k)[1],
    )
    chunks = ", ".join(
        f"{a + 1}-{min(a + k, T)}" if min(a + k, T) > a + 1 else f"{a + 1}" for a in range(0, T, k)
    )
    problem = dict(params=params, X=X, targets=Y, loss="mse", truncate=k)
    return check_rnn_grads(
        "truncated_grads",
        got,
        ref,
        numeric,
        problem,
        extra=["no_truncation", "trunc_late", "trunc_early", "reset_state"],
        more=[window],
        note=f"(T = {T}, k = {k}: the chunks are steps {chunks}.)",
    )


def check_truncated_grads(fn, seed=0, k=3, N=2, T=7, D=2, H=3, C=2):
    """Check ``fn(params, X, Y, k) -> Params``: many-to-many MSE, gradient truncated every k steps.

    Chunks of k steps start at t = 1, k+1, 2k+1, ...; the state crosses a chunk boundary, the
    gradient
    does not (as ``bptt.many_to_many(..., truncate=k)``). h_0 = 0; X (N, T, D), Y (N, T, C). Tried
    on
    the k and sizes given and on k = 1, k not dividing T, k > T and k = T.
    """
    worst = 0.0
    for i, (kk, sz) in enumerate([(k, dict(N=N, T=T, D=D, H=H, C=C))] + TRUNC_EDGES):
        worst = max(worst, _one_truncation(fn, seed + 7919 * i, kk, **sz))
    _passed("truncated_grads", "dW, dU, dV, db, dc", worst)


# (what, gradient scale, τ): below and above τ, τ other than 1, tiny and huge gradients
CLIP_CASES = [
    ("a large gradient", 4.0, 1.0),
    ("a small gradient", 0.05, 1.0),
    ("a large gradient", 3.0, 2.5),
    ("a gradient just below τ", 0.9, 5.0),
    ("a tiny gradient", 1e-6, 1e-8),
    ("a huge gradient", 1e6, 10.0),
]


def _clip_mistakes(g, tau):
    n = g.norm()
    return [
        (
            "elementwise_clip",
            "It matches np.clip of each entry to [-τ, τ] (elementwise clipping, the κ "
            "scheme): that changes the direction of the gradient. Norm clipping multiplies every "
            "entry by the "
            "same τ/‖g‖.",
            list(clip_by_value(g, tau)),
        ),
        (
            "per_param_clip",
            "It matches clipping each parameter's array on its own norm; Algorithm 1 uses one "
            "norm over all parameters together, so the direction is kept.",
            [a * min(1.0, tau / max(np.linalg.norm(a), 1e-300)) for a in g],
        ),
        (
            "scaled_up",
            "It rescales to norm = τ even when ‖g‖ is already below it: leave such a gradient "
            "unchanged.",
            list(g.scale(tau / n)),
        ),
        (
            "threshold_ignored",
            "It clips to norm 1 whatever the threshold: use τ = threshold, the argument "
            "(scale by threshold/‖g‖).",
            list(clip_by_norm(g, 1.0)),
        ),
        (
            "no_clip",
            "It returns the gradient unchanged although ‖g‖ > τ: scale it by τ/‖g‖.",
            list(g),
        ),
        (
            "factor",
            "It scales by ‖g‖/τ (the ratio upside down): the clipped gradient is g · τ/‖g‖.",
            list(g.scale(n / tau)) if n > tau else None,
        ),
        (
            "factor",
            "It divides by ‖g‖² (or the sum of squares): the factor is τ/‖g‖, with the norm, the "
            "square root of the sum of squares.",
            list(g.scale(tau / n**2)) if n > tau else None,
        ),
    ]


def check_clip_by_norm(fn, seed=0):
    """Check ``fn(grads, threshold) -> Params``: scale all of grads by τ/‖grads‖ when ‖grads‖ > τ.

    τ = threshold; ‖grads‖ is the norm of all entries together (Pascanu et al. 2013, Algorithm 1);
    below τ the gradient comes back unchanged. Tried with τ other than 1 and with gradients of
    norm from 1e-6 to 1e6.
    """
    rng = np.random.default_rng(seed)
    shapes = [(3, 3), (3, 2), (2, 3), (3,), (2,)]
    base = Params(*(rng.normal(size=s) for s in shapes))
    base = base.scale(1.0 / base.norm())
    for what, scale, tau in CLIP_CASES:
        g = base.scale(scale)
        n = g.norm()
        ref = clip_by_norm(g, tau)
        got = call(fn, "clip_by_norm", g, tau)
        arrays = list(got) if isinstance(got, (Params, tuple, list)) else None
        if arrays is None or len(arrays) != 5:
            raise CheckFailed(
                "clip_by_norm must return a Params (or 5 arrays W, U, V, b, c); it returned "
                f"{type(got).__name__}.\n" + _label("shape"),
                "shape",
            )
        muts = [m for m in _clip_mistakes(g, tau) if m[2] is not None]
        specs = [
            (f"d{label}", ref[i], dict(mutants=[(k, t, arrs[i]) for k, t, arrs in muts]))
            for i, label in enumerate(Params._fields)
        ]
        _check_outputs(
            f"clip_by_norm (on {what})",
            arrays,
            specs,
            note=f"(‖g‖ = {n:.3g}, τ = threshold = {tau:g}.)",
        )
    print(
        "passed: clip_by_norm (six gradients, ‖g‖ from 1e-6 to 1e6, τ from 1e-8 to 10: each large "
        "one "
        "is scaled to norm τ, each small one left alone)"
    )
