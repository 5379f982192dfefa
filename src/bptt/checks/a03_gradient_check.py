"""Assignment 3, gradient checking: central_difference, relative_error, gradient_check."""

import numpy as np

from ..gradcheck import check_params_gradient, forward_difference, numerical_gradient, rel_error
from ..params import Params
from ..rnn import many_to_many
from .engine import KINDS, CheckFailed, _passed, call, compare, fail
from .mistakes import _tiny_rnn


def _test_function(seed, shape):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    a = rng.normal(size=shape)

    def f():
        return float(np.sum(a * np.sin(x)) + 0.25 * np.sum(x**2) ** 2)

    return x, f


def _one_central(fn, x, f, eps, shape):
    kw = {} if eps is None else {"eps": eps}
    try:
        got = call(fn, "central_difference", f, x, **kw)
    except CheckFailed as exc:
        if exc.kind != "changed_input":
            raise
        fail(
            "central_difference",
            f"Likely mistake: {KINDS['not_restored']}. After your function, x differs "
            "from what it was: put each entry back after the two evaluations of f (or every later "
            "check "
            "reads a changed x).",
            kind="not_restored",
        )
    e = 1e-6 if eps is None else eps
    ref = numerical_gradient(f, x, e)  # the package's central differences, step e
    muts = [
        (
            "forward_difference",
            "Yours matches the one-sided (f(x + eps) - f(x)) / eps, whose error is O(eps); "
            "central differences (f(x + eps) - f(x - eps)) / (2 eps) have an O(eps²) error.",
            forward_difference(f, x, e),
        ),
        (
            "factor",
            "Yours is twice the right answer: the two evaluations are 2·eps apart, so divide by "
            "2·eps.",
            2 * ref,
        ),
        ("factor", "Yours is half the right answer: divide by 2·eps, not by 4·eps.", ref / 2),
        (
            "sign",
            "Yours is the right answer times -1: it is f(x + eps) - f(x - eps), in that order.",
            -ref,
        ),
    ]
    if eps is not None and eps != 1e-6:
        muts.append(
            (
                "step_ignored",
                f"Yours matches the step 1e-6 where the call asked for eps = {eps:g}: use "
                "the argument eps, not a number of your own.",
                numerical_gradient(f, x, 1e-6),
            )
        )
    g = np.asarray(got, dtype=float) if np.shape(got) == ref.shape else None
    if g is not None and not np.any(g):
        fail(
            "central_difference",
            f"Likely mistake: {KINDS['copy']}. Every entry is 0: f reads the array x "
            "itself, so change x in place (x[idx] = old + eps), not a copy of it.",
            kind="copy",
        )
    compare(
        "central_difference",
        got,
        ref,
        muts,
        label="the gradient",
        tol=1e-7 if e < 1e-5 else 1e-9,
        note=f"(eps = {e:g}, x of shape {shape})",
    )


def check_central_difference(fn, seed=0, shape=(3, 4)):
    """Check ``fn(f, x, eps=1e-6) -> array like x``: central differences of f() with respect to x, x
    restored.

    Tried with the default step and with eps = 1e-2 and 0.05 (so a step of one's own shows), on
    the shape given, a vector and a 3-D array.
    """
    for i, (sh, eps) in enumerate([(shape, None), (shape, 0.05), ((5,), 1e-2), ((2, 3, 2), None)]):
        x, f = _test_function(seed + 7919 * i, sh)
        _one_central(fn, x, f, eps, sh)
    _passed(
        "central_difference",
        "the central differences of a test function, eps = 1e-6, 1e-2 and 0.05",
    )


def _probes(seed):
    """(description, a, b) pairs: near, far, swapped, huge and tiny scales, zeros."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(3, 4))
    b = a + 1e-3 * rng.normal(size=(3, 4))
    c = 5.0 * rng.normal(size=(3, 4))
    return [
        ("two close arrays", a, b),
        ("the same pair swapped", b, a),
        ("two unrelated arrays", a, c),
        ("a large b and a small a", a, 20 * c),
        ("b = 10⁶ a", a, 1e6 * a),
        ("a = b = 0", np.zeros(3), np.zeros(3)),
        ("numbers near 1e-12", 1e-12 * a, 2e-12 * a),
        ("numbers near 1e8", 1e8 * a, 1e8 * b),
        ("a = b", np.ones(4), np.ones(4)),
        ("a = (3, 4), b = 0", np.array([3.0, 4.0]), np.zeros(2)),
    ]


def _rel_mistakes():
    n = np.linalg.norm

    def safe(num, den):
        return num / den if den else np.nan

    return [
        (
            "abs_error",
            "Yours is the absolute error ‖a - b‖: divide by max(‖a‖, ‖b‖), so that the size of the "
            "numbers does not matter.",
            lambda p, q: n(p - q),
        ),
        (
            "asymmetric",
            "Yours divides by ‖a‖ only: relative_error(a, b) must equal relative_error(b, a); "
            "divide by max(‖a‖, ‖b‖).",
            lambda p, q: safe(n(p - q), n(p)),
        ),
        (
            "asymmetric",
            "Yours divides by ‖b‖ only: divide by max(‖a‖, ‖b‖) so the result is symmetric.",
            lambda p, q: safe(n(p - q), n(q)),
        ),
        (
            "factor",
            "Yours divides by ‖a‖ + ‖b‖; the book divides by max(‖a‖, ‖b‖).",
            lambda p, q: safe(n(p - q), n(p) + n(q)),
        ),
        (
            "factor",
            "Yours divides by min(‖a‖, ‖b‖); the book divides by max(‖a‖, ‖b‖).",
            lambda p, q: safe(n(p - q), min(n(p), n(q))),
        ),
        (
            "factor",
            "Yours uses squared norms ‖a - b‖² / max(‖a‖, ‖b‖)²: take the norms themselves.",
            lambda p, q: safe(n(p - q) ** 2, max(n(p), n(q)) ** 2),
        ),
        (
            "abs_error",
            "Yours is the largest entrywise relative error |a_i - b_i| / max(|a_i|, |b_i|); the "
            "book "
            "uses norms of the whole arrays, ‖a - b‖ / max(‖a‖, ‖b‖).",
            lambda p, q: (
                float(np.nanmax(np.abs(p - q) / np.maximum(np.abs(p), np.abs(q))))
                if p.size and np.any(np.maximum(np.abs(p), np.abs(q)))
                else np.nan
            ),
        ),
    ]


def check_relative_error(fn, seed=0):
    """Check ``fn(a, b) -> float``: ‖a - b‖ / max(‖a‖, ‖b‖), and 0.0 when a and b are both zero."""
    probes = _probes(seed)
    ref = np.array([rel_error(p, q) for _, p, q in probes])
    got = []
    for what, p, q in probes:
        value = call(fn, "relative_error", p, q)
        try:
            got.append(float(np.asarray(value, dtype=float)))
        except (TypeError, ValueError):
            fail(
                "relative_error",
                f"on {what}, the result must be a single number; got {type(value).__name__} "
                f"of shape {np.shape(value)}. Likely mistake: {KINDS['shape']}.",
                kind="shape",
            )
    got = np.array(got)
    right = np.isfinite(got) & (np.abs(got - ref) <= 1e-9 * np.maximum(ref, 1e-300))
    if right.all():
        _passed("relative_error", f"{len(probes)} test pairs, from 1e-12 to 1e8 and a = b = 0")
        return
    zero = [i for i, (w, _, _) in enumerate(probes) if w == "a = b = 0"][0]
    if not right[zero] and right[np.arange(len(probes)) != zero].all():
        fail(
            "relative_error",
            f"Likely mistake: {KINDS['zero_case']}. For a = b = 0 you return {got[zero]}: "
            "return 0.0 when max(‖a‖, ‖b‖) is 0.",
            kind="zero_case",
        )
    for kind, text, model in _rel_mistakes():
        with np.errstate(all="ignore"):
            vals = np.array([model(p, q) for _, p, q in probes], dtype=float)
        m = np.isfinite(vals) & np.isfinite(got)
        if (
            m.sum() >= len(probes) - 3
            and np.allclose(got[m], vals[m], rtol=1e-9, atol=0)
            and not np.allclose(vals[m], ref[m])
        ):
            fail("relative_error", f"Likely mistake: {KINDS[kind]}. {text}", kind=kind)
    bad = [i for i in range(len(probes)) if not right[i]]
    fail(
        "relative_error",
        "It is wrong on " + ", ".join(probes[i][0] for i in bad) + f" ({len(bad)} of "
        f"{len(probes)} pairs) and right on the others.",
        "; ".join(
            f"{probes[i][0]}: you return {got[i]:.4g}, expected {ref[i]:.4g}" for i in bad[:3]
        )
        + ".",
    )


def _gradcheck_cases(seed):
    """(what, loss scale, threshold, grads maker): right and wrong gradients, scales 1e-8..1e8,
    thresholds."""
    params, X, Y, _ = _tiny_rnn(seed, N=2, T=3, D=2, H=3, C=2)
    _, grads = many_to_many(params, X, Y, loss="mse")
    V1 = np.eye(*grads.V.shape) * np.abs(grads.V).max()
    return (
        params,
        X,
        Y,
        [
            ("a right gradient", 1.0, 1e-7, grads),
            (
                "W transposed and db missing",
                1.0,
                1e-7,
                grads._replace(W=grads.W.T.copy(), b=np.zeros_like(grads.b)),
            ),
            ("dV off by 1% in one entry", 1.0, 1e-7, grads._replace(V=grads.V + 0.01 * V1)),
            ("a right gradient of a loss of size 1e8", 1e8, 1e-7, grads.scale(1e8)),
            (
                "a wrong dU of a loss of size 1e-8",
                1e-8,
                1e-7,
                grads._replace(U=-grads.U).scale(1e-8),
            ),
            (
                "dV off by 0.1% with threshold = 1e-2",
                1.0,
                1e-2,
                grads._replace(V=grads.V + 0.001 * V1),
            ),
            (
                "dV off by 5% and dc by 0.1% with threshold = 1e-2",
                1.0,
                1e-2,
                grads._replace(V=grads.V + 0.05 * V1, c=grads.c * 1.001),
            ),
        ],
    )


def check_gradient_check(fn, seed=0):
    """Check ``fn(loss_fn, params, grads, threshold=1e-7) -> list of names`` ("W", "U", "V", "b",
    "c").

    The function must return the names of the parameters whose gradient disagrees with central
    differences of loss_fn(params) (relative error above the threshold). Tried on right and
    wrong gradients, losses of size 1e-8 to 1e8 and thresholds 1e-7 and 1e-2.
    """
    params, X, Y, cases = _gradcheck_cases(seed)
    rows, expected, models = [], [], {"inverted": [], "threshold_ignored": [], "abs_error": []}
    for what, scale, thr, g in cases:

        def loss_fn(p, scale=scale):
            return scale * many_to_many(p, X, Y, loss="mse")[0]

        kw = {} if thr == 1e-7 else {"threshold": thr}
        result = call(fn, "gradient_check", loss_fn, params, g, **kw)
        try:
            names = {str(n) for n in result}
        except TypeError:
            raise CheckFailed(
                f"gradient_check must return a list of parameter names such as ['W', 'b']; "
                f"got {type(result).__name__}.\nLikely mistake: {KINDS['shape']}.",
                "shape",
            ) from None
        errs = check_params_gradient(loss_fn, params, g)
        work = params.copy()
        absolute = {
            k: float(np.linalg.norm(gg - numerical_gradient(lambda: loss_fn(work), p)))
            for k, p, gg in zip(Params._fields, work, g)
        }
        expected.append({k for k, e in errs.items() if e > thr})
        models["inverted"].append({k for k, e in errs.items() if e <= thr})
        models["threshold_ignored"].append({k for k, e in errs.items() if e > 1e-7})
        models["abs_error"].append({k for k, e in absolute.items() if e > thr})
        rows.append((what, names))
    flagged = [n for _, n in rows]
    if flagged == expected:
        print(
            f"passed: gradient_check (it flags exactly the wrong parameters in {len(cases)} test "
            "cases)"
        )
        return
    why = {
        "inverted": "You flag exactly the other ones: flag a parameter when its error is *above* "
        "the threshold. "
        "(If your central_difference or relative_error check fails, fix that first: a wrong "
        "central difference flags every parameter.)",
        "threshold_ignored": "You flag as if the threshold were always 1e-7: compare with the "
        "argument "
        "`threshold` the call passes.",
        "abs_error": "You compare the absolute error ‖g - g_num‖ with the threshold: the check "
        "uses the "
        "relative error, which does not depend on the size of the loss.",
    }
    for kind, model in models.items():
        if flagged == model and model != expected:
            fail(
                "gradient_check",
                f"Likely mistake: {KINDS[kind if kind != 'inverted' else 'flagged']}. {why[kind]}",
                kind=kind if kind != "inverted" else "flagged",
            )
    lines = [
        f"{w}: you flagged {sorted(n) or 'none'}, expected {sorted(e) or 'none'}"
        for (w, n), e in zip(rows, expected)
        if n != e
    ]
    hint = ""
    if flagged[0] == set(Params._fields):
        hint = (
            " For a right gradient you flag every parameter: check that your central_difference "
            "and "
            "relative_error pass their own checks."
        )
    fail(
        "gradient_check",
        f"Likely mistake: {KINDS['flagged']}. It is wrong in {len(lines)} of {len(cases)} "
        f"cases.{hint}",
        "; ".join(lines) + ".",
        kind="flagged",
    )
