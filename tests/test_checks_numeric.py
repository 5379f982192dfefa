"""bptt.checks for assignments 3, 5, 7 and clipping (8): right answers pass under several seeds,
each wrong implementation (written here, as a student would) fails naming its cause."""

import numpy as np
from _checks_support import SEEDS, common_wrong, passes, run_cases

from bptt import Params, checks


def bugged(fn, bug):
    return lambda *a, **k: fn(*a, bug=bug, **k)


# ----------------------------------------------------------------------------- assignment 3


def central_difference(f, x, eps=1e-6, bug=None):
    if bug == "fixed_step":
        eps = 1e-6
    if bug == "copy":
        x = x.copy()
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        fp = f()
        x[idx] = old - eps
        fm = f() if bug != "forward" else None
        if bug == "forward":
            x[idx] = old
            fm = f()
        if bug != "not_restored":
            x[idx] = old
        grad[idx] = {
            "no_half": (fp - fm) / eps,
            "quarter": (fp - fm) / (4 * eps),
            "sign": (fm - fp) / (2 * eps),
            "forward": (fp - fm) / eps,
        }.get(bug, (fp - fm) / (2 * eps))
    return grad


def relative_error(a, b, bug=None):
    na, nb, nd = np.linalg.norm(a), np.linalg.norm(b), np.linalg.norm(a - b)
    if bug == "abs":
        return nd
    if bug == "by_a":
        return nd / na if na else 0.0
    if bug == "sum":
        return nd / (na + nb) if na + nb else 0.0
    if bug == "min":
        return nd / min(na, nb) if min(na, nb) else 0.0
    if bug == "squared":
        return nd**2 / max(na, nb) ** 2 if max(na, nb) else 0.0
    if bug == "zero":
        with np.errstate(all="ignore"):
            return float(nd / max(na, nb))
    if bug == "array":
        return np.abs(a - b)
    return 0.0 if max(na, nb) == 0 else float(nd / max(na, nb))


def gradient_check(loss_fn, params, grads, threshold=1e-7, bug=None):
    bad = []
    for name, p, g in zip(Params._fields, params, grads):
        num = central_difference(
            lambda: loss_fn(params), p, bug="not_restored" if bug == "dirty" else None
        )
        err = np.linalg.norm(g - num) if bug == "abs" else relative_error(g, num)
        limit = 1e-7 if bug == "fixed" else threshold
        if (err <= limit) if bug == "inverted" else (err > limit):
            bad.append(name)
    if bug == "forward":
        return gradient_check(loss_fn, params, grads, threshold)[:1] or ["W"]
    return {"none": None, "one": bad[:1]}.get(bug, bad)


def test_assignment3_right_answers_pass(capsys):
    for seed in SEEDS:
        passes(checks.check_central_difference, central_difference, capsys, seed=seed)
        passes(checks.check_relative_error, relative_error, capsys, seed=seed)
    for seed in SEEDS[:2]:
        passes(checks.check_gradient_check, gradient_check, capsys, seed=seed)


def test_central_difference_names_each_mistake():
    run_cases(
        checks.check_central_difference,
        {
            "forward": (bugged(central_difference, "forward"), "forward_difference", "one-sided"),
            "/eps": (bugged(central_difference, "no_half"), "factor", "twice"),
            "/4eps": (bugged(central_difference, "quarter"), "factor", "half"),
            "sign": (bugged(central_difference, "sign"), "sign", "in that order"),
            "a step of its own": (
                bugged(central_difference, "fixed_step"),
                "step_ignored",
                "the argument eps",
            ),
            "x not restored": (
                bugged(central_difference, "not_restored"),
                "not_restored",
                "put each entry back",
            ),
            "a copy of x": (bugged(central_difference, "copy"), "copy", "not a copy"),
            "None": (lambda f, x, eps=1e-6: None, "none", "return"),
            "NaN": (lambda f, x, eps=1e-6: np.full_like(x, np.nan), "nonfinite", "NaN"),
            "inf": (lambda f, x, eps=1e-6: np.full_like(x, np.inf), "nonfinite", "inf"),
            "float32": (
                lambda f, x, eps=1e-6: central_difference(f, x, eps).astype(np.float32),
                "dtype",
                "float64",
            ),
        },
    )


def test_relative_error_names_each_mistake():
    run_cases(
        checks.check_relative_error,
        {
            "absolute": (bugged(relative_error, "abs"), "abs_error", "absolute error"),
            "divides by |a|": (bugged(relative_error, "by_a"), "asymmetric", "‖a‖ only"),
            "sum of norms": (bugged(relative_error, "sum"), "factor", "‖a‖ + ‖b‖"),
            "min of norms": (bugged(relative_error, "min"), "factor", "min(‖a‖, ‖b‖)"),
            "squared": (bugged(relative_error, "squared"), "factor", "squared norms"),
            "0/0": (bugged(relative_error, "zero"), "zero_case", "return 0.0"),
            "an array": (bugged(relative_error, "array"), "shape", "single number"),
            "None": (lambda a, b: None, "none", "return"),
        },
    )


def test_gradient_check_names_each_mistake():
    run_cases(
        checks.check_gradient_check,
        {
            "inverted": (bugged(gradient_check, "inverted"), "flagged", "*above* the threshold"),
            "threshold ignored": (
                bugged(gradient_check, "fixed"),
                "threshold_ignored",
                "argument `threshold`",
            ),
            "absolute error": (bugged(gradient_check, "abs"), "abs_error", "size of the loss"),
            "one name only": (
                bugged(gradient_check, "one"),
                "flagged",
                "you flagged ['W'], expected ['W', 'b']",
            ),
            "always W": (
                bugged(gradient_check, "forward"),
                "flagged",
                "a right gradient: you flagged ['W']",
            ),
            "None": (bugged(gradient_check, "none"), "none", "return"),
            "params left perturbed": (bugged(gradient_check, "dirty"), "changed_input", "argument"),
        },
    )


# ----------------------------------------------------------------------------- assignment 5


def softmax(O, bug=None):
    if bug == "inplace":
        O -= O.max(axis=1, keepdims=True)
        E = np.exp(O)
        return E / E.sum(axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        shift = {"no_shift": 0.0, "global": O.max()}.get(bug, O.max(axis=1, keepdims=True))
        E = np.exp(O - shift)
        if bug == "axis0":
            return np.exp(O - O.max(0)) / np.exp(O - O.max(0)).sum(axis=0, keepdims=True)
        if bug == "whole":
            return np.exp(O - O.max()) / np.exp(O - O.max()).sum()
        if bug == "unnormalised":
            return E
        return E / E.sum(axis=1, keepdims=True)


def softmax_jacobian(p, bug=None):
    return {
        "no_diag": -np.outer(p, p),
        "diag_only": np.diag(p),
        "p@p": np.diag(p) - p @ p,
        "plus": np.diag(p) + np.outer(p, p),
        "one_minus": np.outer(p, 1 - p),
        "diag_diag": np.diag(p - p**2),
    }.get(bug, np.diag(p) - np.outer(p, p))


def nll_grad(O, y, bug=None):
    N = O.shape[0]
    with np.errstate(all="ignore"):
        if bug == "no_shift":
            logp = O - np.log(np.exp(O).sum(axis=1, keepdims=True))
        elif bug == "log_softmax":
            logp = np.log(softmax(O))
        else:
            m = O.max(axis=1, keepdims=True)
            logp = O - m - np.log(np.exp(O - m).sum(axis=1, keepdims=True))
    rows = np.arange(N)
    loss = -logp[rows, y].mean()
    loss = {"sum": loss * N, "sign": -loss, "all": -logp.mean()}.get(bug, loss)
    dO = np.exp(logp)
    dO[rows, y] -= 1
    dO = {"no_N": dO, "flip": -dO / N}.get(bug, dO / N)
    if bug == "no_softmax":
        dO = -np.eye(O.shape[1])[y] / N
    return loss, dO


def soft_target_grad(O, Y, bug=None):
    N = O.shape[0]
    P = softmax(O)
    s = Y.sum(axis=1, keepdims=True)
    return {
        "sum1": (P - Y) / N,
        "flip": (Y - s * P) / N,
        "normalise": (P - Y / s) / N,
        "no_softmax": -Y / N,
        "no_N": s * P - Y,
    }.get(bug, (s * P - Y) / N)


def test_assignment5_right_answers_pass(capsys):
    for seed in SEEDS:
        for check, fn in [
            (checks.check_softmax, softmax),
            (checks.check_softmax_jacobian, softmax_jacobian),
            (checks.check_nll_grad, nll_grad),
            (checks.check_soft_target_grad, soft_target_grad),
        ]:
            passes(check, fn, capsys, seed=seed)


def test_softmax_and_jacobian_name_each_mistake():
    run_cases(
        checks.check_softmax,
        {
            "no shift": (bugged(softmax, "no_shift"), "overflow", "subtract each row's maximum"),
            "global max": (bugged(softmax, "global"), "overflow", "subtract each row's maximum"),
            "columns": (bugged(softmax, "axis0"), "axis", "Each column sums to 1"),
            "whole array": (bugged(softmax, "whole"), "axis", "whole array"),
            "not normalised": (bugged(softmax, "unnormalised"), "no_softmax", "without dividing"),
            "in place": (bugged(softmax, "inplace"), "changed_input", "argument 1"),
            **common_wrong(softmax),
        },
    )
    run_cases(
        checks.check_softmax_jacobian,
        {
            "no diag": (bugged(softmax_jacobian, "no_diag"), "diag", "diag(p) is missing"),
            "diag only": (bugged(softmax_jacobian, "diag_only"), "diag", "-p pᵀ is missing"),
            "p @ p": (bugged(softmax_jacobian, "p@p"), "outer", "np.outer(p, p)"),
            "plus": (bugged(softmax_jacobian, "plus"), "sign", "minus sign"),
            "p (1 - p)ᵀ": (bugged(softmax_jacobian, "one_minus"), "outer", "p (1 - p)ᵀ"),
            "diagonal only": (bugged(softmax_jacobian, "diag_diag"), "diag", "off-diagonal"),
            **common_wrong(softmax_jacobian),
        },
    )


def test_nll_and_soft_targets_name_each_mistake():
    run_cases(
        checks.check_nll_grad,
        {
            "no shift": (bugged(nll_grad, "no_shift"), "no_shift", "subtract each row's maximum"),
            "log of softmax": (bugged(nll_grad, "log_softmax"), "log_of_softmax", "log-softmax"),
            "loss summed": (bugged(nll_grad, "sum"), "batch", "average over the N rows"),
            "loss sign": (bugged(nll_grad, "sign"), "sign", "positive number"),
            "mean over classes": (bugged(nll_grad, "all"), "factor", "all classes"),
            "no 1/N": (bugged(nll_grad, "no_N"), "batch", "factor 1/N"),
            "dO sign": (bugged(nll_grad, "flip"), "sign", "sign is flipped"),
            "no softmax": (bugged(nll_grad, "no_softmax"), "no_softmax", "softmax term is missing"),
            **common_wrong(nll_grad),
        },
    )
    run_cases(
        checks.check_soft_target_grad,
        {
            "rows sum to 1": (bugged(soft_target_grad, "sum1"), "sum_to_one", "holds only when"),
            "sign": (bugged(soft_target_grad, "flip"), "sign", "sign is flipped"),
            "normalised targets": (
                bugged(soft_target_grad, "normalise"),
                "sum_to_one",
                "normalises the targets",
            ),
            "no softmax": (bugged(soft_target_grad, "no_softmax"), "no_softmax", "softmax term"),
            "no 1/N": (bugged(soft_target_grad, "no_N"), "batch", "factor 1/N"),
            **common_wrong(soft_target_grad),
        },
    )


# ----------------------------------------------------------------------------- assignment 7


def iir_impulse_response(w, T, bug=None):
    h, out = 0.0, []
    for t in range(T + (bug == "extra")):
        h = (-w if bug == "neg" else w) * h + (1.0 if t == 0 else 0.0)
        out.append(h)
    out = np.array(out)
    return {
        "late": w * out,
        "reversed": out[::-1].copy(),
        "zero_first": np.concatenate([[0.0], out[:-1]]),
    }.get(bug, out)


def backward_norms(params, X, gT, bug=None):
    W, U, b = params.W, params.U, params.b
    N, T, _ = X.shape
    hs = [np.zeros((N, W.shape[0]))]
    for t in range(T):
        hs.append(np.tanh(hs[-1] @ W.T + X[:, t] @ U.T + b))
    g, norms = gT, []
    for t in range(T, 0, -1):
        norms.append(np.linalg.norm(g, axis=1).sum() if bug == "per_example" else np.linalg.norm(g))
        h = hs[t - 1] if bug == "h_prev" else hs[t]
        fp = {"tanh": 1.0, "1-h": 1 - h}.get(bug, 1 - h**2)
        g = (g * fp) @ (W.T if bug == "transposed" else W)
    if bug == "g0":
        norms.append(np.linalg.norm(g))
    return np.array(norms[::-1] if bug == "order" else norms)


def norm_bound(W, k, g_norm, bug=None):
    s = {
        "radius": max(abs(np.linalg.eigvals(W))),
        "frobenius": np.linalg.norm(W),
        "entry": np.abs(W).max(),
    }.get(bug, np.linalg.norm(W, 2))
    return float(
        {"no_g": s**k, "times_k": s * k * g_norm, "k+1": s ** (k + 1) * g_norm}.get(
            bug, s**k * g_norm
        )
    )


def test_assignment7_right_answers_pass(capsys):
    for seed in SEEDS:
        passes(checks.check_iir_impulse_response, iir_impulse_response, capsys, seed=seed)
        passes(checks.check_backward_norms, backward_norms, capsys, seed=seed)
        passes(checks.check_norm_bound, norm_bound, capsys, seed=seed)


def test_assignment7_names_each_mistake():
    run_cases(
        checks.check_iir_impulse_response,
        {
            "starts at w": (bugged(iir_impulse_response, "late"), "off_by_one", "It starts at w"),
            "starts at 0": (
                bugged(iir_impulse_response, "zero_first"),
                "off_by_one",
                "starts with 0",
            ),
            "reversed": (bugged(iir_impulse_response, "reversed"), "order", "reversed"),
            "-w": (bugged(iir_impulse_response, "neg"), "sign", "flips the sign of w"),
            "T + 1 entries": (bugged(iir_impulse_response, "extra"), "shape", "expected (6,)"),
            "None": (lambda w, T: None, "none", "return"),
        },
    )
    run_cases(
        checks.check_backward_norms,
        {
            "no tanh'": (bugged(backward_norms, "tanh"), "tanh", "without tanh'"),
            "1 - h": (bugged(backward_norms, "1-h"), "tanh", "1 - h_t where"),
            "W for Wᵀ": (bugged(backward_norms, "transposed"), "transposed", "instead of Wᵀ"),
            "tanh' at h_{t-1}": (bugged(backward_norms, "h_prev"), "off_by_one", "at h_{t-1}"),
            "by time step": (bugged(backward_norms, "order"), "order", "norm at lag k"),
            "per example": (
                bugged(backward_norms, "per_example"),
                "per_example",
                "all N·H entries",
            ),
            "g_0 too": (bugged(backward_norms, "g0"), "shape", "expected (6,)"),
            **common_wrong(backward_norms),
        },
    )
    run_cases(
        checks.check_norm_bound,
        {
            "spectral radius": (bugged(norm_bound, "radius"), "spectral_radius", "non-normal"),
            "Frobenius": (bugged(norm_bound, "frobenius"), "frobenius", "np.linalg.norm(W, 2)"),
            "largest entry": (bugged(norm_bound, "entry"), "max_entry", "largest entry"),
            "no g_norm": (bugged(norm_bound, "no_g"), "factor", "leaves out g_norm"),
            "times k": (bugged(norm_bound, "times_k"), "factor", "power k"),
            "power k + 1": (bugged(norm_bound, "k+1"), "off_by_one", "k factors"),
            "NaN": (lambda W, k, g: float("nan"), "nonfinite", "NaN"),
            "None": (lambda W, k, g: None, "none", "return"),
        },
    )


# ------------------------------------------------------------ assignment 8: clipping


def clip_by_norm(grads, threshold, bug=None):
    tau = 1.0 if bug == "one" else threshold
    n = np.sqrt(sum(np.sum(g**2) for g in grads))
    if bug == "elementwise":
        return Params(*(np.clip(g, -tau, tau) for g in grads))
    if bug == "per_param":
        return Params(*(g * min(1.0, tau / np.linalg.norm(g)) for g in grads))
    if bug == "inplace":
        if n > tau:
            for g in grads:
                g *= tau / n
        return grads
    if bug == "always":
        return Params(*(g * tau / n for g in grads))
    if bug == "squared" and n > tau:
        return Params(*(g * tau / n**2 for g in grads))
    if bug == "upside" and n > tau:
        return Params(*(g * n / tau for g in grads))
    if bug == "never":
        return Params(*(g.copy() for g in grads))
    return Params(*(g * min(1.0, tau / n) for g in grads))


def test_clip_by_norm(capsys):
    for seed in SEEDS:
        passes(checks.check_clip_by_norm, clip_by_norm, capsys, seed=seed)
    run_cases(
        checks.check_clip_by_norm,
        {
            "elementwise": (
                bugged(clip_by_norm, "elementwise"),
                "elementwise_clip",
                "the κ scheme",
            ),
            "per parameter": (
                bugged(clip_by_norm, "per_param"),
                "per_param_clip",
                "on its own norm",
            ),
            "always rescaled": (bugged(clip_by_norm, "always"), "scaled_up", "already below"),
            "threshold 1": (
                bugged(clip_by_norm, "one"),
                "threshold_ignored",
                "whatever the threshold",
            ),
            "never clipped": (bugged(clip_by_norm, "never"), "no_clip", "unchanged although"),
            "divides by ‖g‖²": (bugged(clip_by_norm, "squared"), "factor", "square root"),
            "ratio upside down": (bugged(clip_by_norm, "upside"), "factor", "upside down"),
            "in place": (bugged(clip_by_norm, "inplace"), "changed_input", "changed its input"),
            "None": (lambda g, t: None, "none", "return"),
        },
    )
