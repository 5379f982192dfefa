"""Assignment 8, truncation and clipping: truncated_grads, clip_by_norm."""
import numpy as np

from ..losses import mse_loss
from ..params import Params
from ..rnn import many_to_many
from .engine import TOL, CheckFailed, _call, _check_outputs, _compare, _finish, _label, _Mismatch, _passed, _scalar, _unpack
from .mistakes import _check_params_result, _numeric_params, _rnn_mutants, _sliding_window, _tiny_rnn


def _surrogate_truncated_loss(params, X, Y, k, H_fixed):
    """The loss whose exact gradient is the truncated one: the state entering each chunk is a constant."""
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


def check_truncated_grads(fn, seed=0, k=3, N=2, T=7, D=2, H=3, C=2):
    """Check ``fn(params, X, Y, k) -> Params``: many-to-many MSE, gradient truncated every k steps.

    Chunks of k steps start at t = 1, k+1, 2k+1, ...; the state crosses a chunk boundary, the gradient
    does not (as ``bptt.many_to_many(..., truncate=k)``). h_0 = 0; X (N, T, D), Y (N, T, C).
    """
    params, X, Y, _ = _tiny_rnn(seed, N, T, D, H, C, "mse")
    _, ref = many_to_many(params, X, Y, loss="mse", truncate=k)
    W, U, V, b, c = params
    hs = [np.zeros((N, H))]
    for t in range(T):
        hs.append(np.tanh(hs[-1] @ W.T + X[:, t] @ U.T + b))
    numeric = _numeric_params(lambda p: _surrogate_truncated_loss(p, X, Y, k, hs), params)
    got = _call(fn, "truncated_grads", params.copy(), X, Y, k)
    muts = [(kk, t, g) for kk, t, g, _ in _rnn_mutants(
        params, X, Y, ["no_truncation", "trunc_shift", "direct_only", "tanh", "off_by_one", "sum"],
        loss="mse", truncate=k)]
    muts.append(("sliding_window", "It matches the other truncation scheme, where each loss L_t sends its gradient "
                 "back k steps. Here the sequence is cut into fixed chunks: every loss in a chunk backpropagates "
                 "to the chunk's start and no further.", _sliding_window(params, X, Y, k)))
    num = _check_params_result("truncated_grads", got, ref, muts, numeric, N,
                         note=f"(T = {T}, k = {k}: the chunks are steps 1-3, 4-6 and 7.)" if (T, k) == (7, 3) else "")
    _passed("truncated_grads", "dW, dU, dV, db, dc", num)


# ----------------------------------------------------------------------------- chapter 8: clipping

def _global_norm(arrays):
    return float(np.sqrt(sum(np.sum(np.asarray(a, float) ** 2) for a in arrays)))


def check_clip_by_norm(fn, seed=0):
    """Check ``fn(grads, threshold) -> Params``: scale all of grads by threshold/‖grads‖ when ‖grads‖ > threshold.

    ‖grads‖ is the norm of all entries together (Pascanu et al. 2013, Algorithm 1); below the
    threshold the gradient comes back unchanged.
    """
    rng = np.random.default_rng(seed)
    shapes = [(3, 3), (3, 2), (2, 3), (3,), (2,)]
    base = Params(*(rng.normal(size=s) for s in shapes))
    problems = []
    for what, scale, thr in [("a large gradient", 4.0, 1.0), ("a small gradient", 0.05, 1.0)]:
        g = base.scale(scale)
        n = _global_norm(g)
        ref = g.scale(min(1.0, thr / n))
        got = _call(fn, "clip_by_norm", g.copy(), thr)
        arrays = list(got) if isinstance(got, (Params, tuple, list)) else None
        if arrays is None or len(arrays) != 5:
            raise CheckFailed("clip_by_norm must return a Params (or 5 arrays W, U, V, b, c).\n" + _label("shape"), "shape")
        per_param = [a * min(1.0, thr / max(np.linalg.norm(a), 1e-300)) for a in g]
        mut_sets = [
            ("elementwise_clip", "It matches np.clip of each entry to [-threshold, threshold]: that changes the "
             "direction of the gradient. Norm clipping multiplies every entry by the same threshold/‖g‖.",
             [np.clip(a, -thr, thr) for a in g]),
            ("per_param_clip", "It matches clipping each parameter's array on its own norm; Algorithm 1 uses one "
             "norm over all parameters together, so the direction is kept.", per_param),
            ("scaled_up", "It rescales to norm = threshold even when ‖g‖ is already below it: leave such a "
             "gradient unchanged.", list(g.scale(thr / n))),
        ]
        specs = []
        for i, label in enumerate(Params._fields):
            specs.append((f"d{label}", ref[i], dict(mutants=[(k, t, arrs[i]) for k, t, arrs in mut_sets])))
        try:
            _check_outputs(f"clip_by_norm (on {what})", arrays, specs)
        except CheckFailed as exc:
            raise CheckFailed(str(exc) + f"\n(‖g‖ = {n:.3g}, threshold = {thr:g}.)", exc.kind) from None
    print("passed: clip_by_norm (a large gradient is scaled to norm = threshold, a small one is left alone)")
