"""Assignment 3, gradient checking: central_difference, relative_error, gradient_check."""
import numpy as np

from ..gradcheck import rel_error
from ..rnn import many_to_many
from .engine import TOL, CheckFailed, _call, _check_outputs, _compare, _finish, _label, _Mismatch, _passed, _scalar, _unpack
from .mistakes import _tiny_rnn


def _test_function(seed, shape):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    a = rng.normal(size=shape)

    def f():
        return float(np.sum(a * np.sin(x)) + 0.25 * np.sum(x ** 2) ** 2)

    def grad():
        return a * np.cos(x) + np.sum(x ** 2) * x
    return x, f, grad


def check_central_difference(fn, seed=0, shape=(3, 4)):
    """Check ``fn(f, x, eps=1e-6) -> array like x``: central differences of f() with respect to x, x restored."""
    x, f, grad = _test_function(seed, shape)
    ref = grad()
    before = x.copy()
    got = _call(fn, "central_difference", f, x, copy=False)   # f reads this very x
    problems = []
    if not np.array_equal(x, before):
        moved = int(np.sum(x != before))
        problems.append(("x", _Mismatch("not_restored", f"{_label('not_restored')} After your function, {moved} "
                                        f"entries of x differ from what they were: put each entry back after the "
                                        f"two evaluations of f (or every later check reads a changed x).")))
        x[...] = before
    for eps, tol in [(1e-6, TOL), (1e-4, 1e-6)]:
        if problems:
            break
        if eps != 1e-6:               # a larger step: forward differences are off by O(eps), central by O(eps²)
            got = _call(fn, "central_difference", f, x, copy=False, eps=eps)
            x[...] = before
        fwd = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            old = x[idx]
            x[idx] = old + eps
            fp = f()
            x[idx] = old
            fwd[idx] = (fp - f()) / eps
        mutants = [
            ("forward_difference", "Yours matches the one-sided (f(x + eps) - f(x)) / eps, whose error is O(eps); "
             "central differences (f(x + eps) - f(x - eps)) / (2 eps) have an O(eps²) error.", fwd),
            ("factor", "Yours is twice the right answer: the two evaluations are 2·eps apart, so divide by 2·eps.",
             2 * ref),
            ("factor", "Yours is half the right answer: divide by 2·eps, not by 4·eps.", ref / 2),
        ]
        try:
            _compare(got, ref, mutants=mutants, symbol="the gradient", tol=tol)
        except _Mismatch as m:
            if np.shape(got) == ref.shape and not np.any(np.asarray(got, dtype=float)):
                m = _Mismatch("copy", f"{_label('copy')} Every entry is 0: f reads the array x itself, so change "
                              f"x in place (x[idx] = old + eps), not a copy of it.")
            problems.append((f"the gradient (eps = {eps:g})", m))
    _finish("central_difference", problems)
    _passed("central_difference", "the central differences of a test function")


def _ref_rel_error(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    s = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if s == 0 else float(np.linalg.norm(a - b) / s)


def check_relative_error(fn, seed=0):
    """Check ``fn(a, b) -> float``: ‖a - b‖ / max(‖a‖, ‖b‖), and 0.0 when a and b are both zero."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(3, 4))
    b = a + 1e-3 * rng.normal(size=(3, 4))
    c = 5.0 * rng.normal(size=(3, 4))
    probes = [(a, b), (b, a), (a, c), (c, a), (a, 1e6 * a), (np.zeros(3), np.zeros(3)), (1e-12 * a, 2e-12 * a)]
    ref = np.array([_ref_rel_error(p, q) for p, q in probes])
    got = []
    for p, q in probes:
        got.append(_scalar(_call(fn, "relative_error", p, q), "relative_error", "the result"))
    got = np.array(got)
    problems = []
    norm = np.linalg.norm
    cands = [
        ("abs_error", "Yours is the absolute error ‖a - b‖: divide by max(‖a‖, ‖b‖), so that the size of the "
         "numbers does not matter.", [norm(p - q) for p, q in probes]),
        ("asymmetric", "Yours divides by ‖a‖ only: relative_error(a, b) must equal relative_error(b, a); divide by "
         "max(‖a‖, ‖b‖).", [norm(p - q) / norm(p) if norm(p) else np.nan for p, q in probes]),
        ("asymmetric", "Yours divides by ‖b‖ only: divide by max(‖a‖, ‖b‖) so the result is symmetric.",
         [norm(p - q) / norm(q) if norm(q) else np.nan for p, q in probes]),
        ("factor", "Yours divides by ‖a‖ + ‖b‖; the book divides by max(‖a‖, ‖b‖).",
         [norm(p - q) / (norm(p) + norm(q)) if norm(p) + norm(q) else np.nan for p, q in probes]),
    ]
    finite = np.isfinite(got)
    if not finite[5] and np.all(finite[:5]) and rel_error(got[:5], ref[:5]) < TOL:
        problems.append(("both zero", _Mismatch("zero_case", f"{_label('zero_case')} For a = b = 0 you return "
                                                f"{got[5]}: return 0.0 when max(‖a‖, ‖b‖) is 0.")))
    else:
        for kind, text, vals in cands:
            vals = np.array(vals, dtype=float)
            m = np.isfinite(vals) & finite
            if m[:5].all() and np.allclose(got[m], vals[m], rtol=1e-9, atol=0) and not np.allclose(vals[:5], ref[:5]):
                problems.append(("the result", _Mismatch(kind, f"{_label(kind)} {text}")))
                break
        else:
            bad = [i for i in range(len(probes)) if not (np.isfinite(got[i]) and abs(got[i] - ref[i]) <= 1e-9 * max(ref[i], 1e-300))]
            if bad:
                i = bad[0]
                problems.append(("the result", _Mismatch(None, f"wrong on {len(bad)} of {len(probes)} test pairs; "
                                                          f"for pair {i} you return {got[i]:.4g}, expected {ref[i]:.4g}.")))
    _finish("relative_error", problems)
    _passed("relative_error", f"{len(probes)} test pairs")


def check_gradient_check(fn, seed=0):
    """Check ``fn(loss_fn, params, grads, threshold=1e-7) -> list of names`` ("W", "U", "V", "b", "c").

    The function must return the names of the parameters whose gradient disagrees with central
    differences of loss_fn(params) (relative error above the threshold).
    """
    params, X, Y, _ = _tiny_rnn(seed, N=2, T=3, D=2, H=3, C=2)
    loss_fn = lambda p: many_to_many(p, X, Y, loss="mse")[0]  # noqa: E731
    _, grads = many_to_many(params, X, Y, loss="mse")
    cases = [
        ("a right gradient", grads, set()),
        ("W transposed and db missing", grads._replace(W=grads.W.T.copy(), b=np.zeros_like(grads.b)), {"W", "b"}),
        ("dV off by 1% in one entry", grads._replace(V=grads.V + np.eye(*grads.V.shape) * 0.01 * np.abs(grads.V).max()),
         {"V"}),
    ]
    problems = []
    for what, g, expected in cases:
        result = _call(fn, "gradient_check", loss_fn, params.copy(), g.copy())
        try:
            names = {str(n) for n in result}
        except TypeError:
            raise CheckFailed(f"gradient_check must return a list of parameter names such as ['W', 'b']; "
                              f"got {type(result).__name__}.\n{_label('shape')}", "shape") from None
        if names != expected:
            hint = ""
            if names == set("WUVbc") - expected:
                hint = " You return exactly the other ones: flag a parameter when its error is *above* the threshold."
            problems.append((what, _Mismatch("flagged", f"{_label('flagged')} You flagged {sorted(names) or 'none'}, "
                                                        f"expected {sorted(expected) or 'none'}.{hint}")))
    _finish("gradient_check", problems)
    print("passed: gradient_check (it flags exactly the wrong parameters in three test cases)")
