"""bptt.checks, the engine and assignments 1-2: right answers pass under several seeds, wrong ones
fail with a message that names the cause (wrong implementations written here, as students would).
"""

import pathlib
import re

import numpy as np
import pytest
from _checks_support import SEEDS, common_wrong, expect, passes, run_cases

from bptt import checks
from bptt.checks import CheckFailed, engine

ROOT = pathlib.Path(__file__).resolve().parents[1]


def not_done(*args, **kwargs):
    raise NotImplementedError()


# ----------------------------------------------------------------------------- the engine


def test_every_check_is_exported_and_untouched_cells_say_not_done():
    names = [n for n in checks.__all__ if n.startswith("check_")]
    modules = sorted((ROOT / "src" / "bptt" / "checks").glob("a[0-9][0-9]_*.py"))
    defined = {
        name for m in modules for name in re.findall(r"^def (check_\w+)\(", m.read_text(), re.M)
    }
    assert len(modules) == len(list(ROOT.glob("exercises/[0-9][0-9]_*/"))) and sorted(
        names
    ) == sorted(defined)
    for name in names:
        exc = pytest.raises(CheckFailed, getattr(checks, name), not_done).value
        assert exc.kind == "not_done" and "not done yet" in str(exc)
        assert exc._render_traceback_()[0].endswith("Not done yet\x1b[0m")


def test_engine_api():
    x = np.arange(4.0)
    assert engine.call(lambda v: v * 2, "double", x).tolist() == [0, 2, 4, 6]

    def inplace(v):
        v *= 2
        return v

    exc = pytest.raises(CheckFailed, engine.call, inplace, "double", x).value
    assert exc.kind == "changed_input" and "`v`" in str(exc) and x.tolist() == [0, 1, 2, 3]
    exc = pytest.raises(
        CheckFailed,
        engine.compare,
        "double",
        x * 3,
        x * 2,
        {"You multiplied by 3.": x * 3},
        label="y",
    ).value
    assert str(exc).splitlines()[1] == "- y: Likely mistake: You multiplied by 3."
    exc = pytest.raises(CheckFailed, engine.compare_scalar, "s", np.nan, 2.0).value
    assert exc.kind == "nonfinite"
    exc = pytest.raises(
        CheckFailed, engine.compare_scalar, "s", 3.0, 2.0, {"You added one.": 3.0}
    ).value
    assert "You added one." in str(exc)
    exc = pytest.raises(CheckFailed, engine.fail, "s", "Something.", "1 vs 2").value
    assert str(exc).splitlines() == ["s is not right yet.", "- Something.", "1 vs 2"]
    assert engine.compare("double", x * 2, x * 2) is None


def test_errors_show_the_students_line_only():
    def broken(dZ, X, W, Z):
        dY = (1 - Z**2) * dZ
        return dY @ W.T, dY.T @ X, dY.sum(0)

    msg = expect(checks.check_dense_backward, broken, "shape", "dY @ W.T")
    assert "line" in msg
    expect(checks.check_dense_backward, lambda *a: 1 / 0, "exception", "ZeroDivisionError")
    msg = expect(
        checks.check_dense_backward, lambda *a: dense_backward(*a)[:2], "shape", "3 values"
    )


def test_a_mistake_no_model_explains_gets_where_and_numbers():
    def odd(dZ, Z):
        out = (1 - Z**2) * dZ
        out[0, 0] += 1.0
        return out

    exc = pytest.raises(CheckFailed, checks.check_tanh_backward, odd).value
    assert exc.kind is None and "1 of 20 entries are off" in str(exc) and "[0, 0]" in str(exc)


# ----------------------------------------------------------------------------- assignment 1


def tanh_backward(dZ, Z):
    return (1 - Z**2) * dZ


def dense_backward(dZ, X, W, Z, bug=None):
    dY = dZ.copy() if bug == "tanh" else (1 - Z**2) * dZ
    if bug == "1-z":
        dY = (1 - Z) * dZ
    if bug == "twice":
        dY = (1 - Z**2) * dY
    dX = dZ @ W if bug == "tanh_dx" else dY @ W
    dW = X.T @ dY if bug == "transposed" else dY.T @ X
    if bug == "sign":
        dW = -dW
    if bug == "dW/N":
        dW = dW / X.shape[0]
    db = dY.sum(0)
    if bug == "no_bias":
        db = np.zeros(W.shape[0])
    if bug == "mean":
        db = dY.mean(0)
    if bug == "db_shape":
        db = dY
    return dX, dW, db


def mse_dense_grads(X, W, b, T, bug=None):
    N = X.shape[0]
    Z = np.tanh(X @ W.T + b)
    diff = -(Z - T) if bug == "sign" else Z - T
    loss = 0.5 * np.sum((Z - T) ** 2) / N
    if bug == "loss_sum":
        loss = loss * N
    if bug == "no_half":
        loss = 2 * loss
    if bug == "loss_all":
        loss = 0.5 * np.mean((Z - T) ** 2)
    if bug == "loss_nan":
        loss = float("nan")
    if bug == "loss_none":
        loss = None
    if bug == "no_tanh":
        return loss, (diff / N).T @ X, (diff / N).sum(0)
    _, dW, db = dense_backward(diff if bug == "grad_sum" else diff / N, X, W, Z)
    return loss, dW, db


def bugged(fn, bug):
    return lambda *a: fn(*a, bug=bug)


def test_assignment1_right_answers_pass(capsys):
    for seed in SEEDS:
        passes(checks.check_tanh_backward, tanh_backward, capsys, seed=seed)
        passes(checks.check_dense_backward, dense_backward, capsys, seed=seed)
        passes(checks.check_mse_dense_grads, mse_dense_grads, capsys, seed=seed)


def test_tanh_backward_names_each_mistake():
    def inplace(dZ, Z):
        dZ *= 1 - Z**2
        return dZ

    run_cases(
        checks.check_tanh_backward,
        {
            "no tanh'": (lambda dZ, Z: dZ, "tanh", "unchanged"),
            "1 - z": (lambda dZ, Z: (1 - Z) * dZ, "tanh", "1 - Z;"),
            "tanh of z": (lambda dZ, Z: (1 - np.tanh(Z) ** 2) * dZ, "tanh", "already tanh"),
            "(1 - z)²": (lambda dZ, Z: (1 - Z) ** 2 * dZ, "tanh", "(1 - Z)²"),
            "1 - dZ²": (lambda dZ, Z: 1 - dZ**2, "tanh", "1 - dZ²"),
            "sign": (lambda dZ, Z: -(1 - Z**2) * dZ, "sign", "Z² - 1"),
            "transposed": (lambda dZ, Z: ((1 - Z**2) * dZ).T, "transposed", "transposed"),
            "in place": (inplace, "changed_input", "`dZ`"),
            **common_wrong(tanh_backward),
        },
    )


def test_dense_backward_names_each_mistake():
    run_cases(
        checks.check_dense_backward,
        {
            "no tanh'": (bugged(dense_backward, "tanh"), "tanh", "tanh' = 1 - Z² is missing"),
            "no tanh' in dX only": (
                bugged(dense_backward, "tanh_dx"),
                "tanh",
                "dX: Likely mistake: missing tanh'",
            ),
            "1 - z": (bugged(dense_backward, "1-z"), "tanh", "1 - Z where"),
            "tanh' twice": (bugged(dense_backward, "twice"), "tanh", "applied twice"),
            "dW transposed": (
                bugged(dense_backward, "transposed"),
                "transposed",
                "right answer transposed",
            ),
            "dW sign": (bugged(dense_backward, "sign"), "sign", "times -1"),
            "dW / N": (bugged(dense_backward, "dW/N"), "batch", "1/N"),
            "db missing": (bugged(dense_backward, "no_bias"), "bias", "all zeros"),
            "db mean": (bugged(dense_backward, "mean"), "batch", "averaged dY"),
            "db not summed": (bugged(dense_backward, "db_shape"), "shape", "sum over it"),
            **common_wrong(dense_backward),
        },
    )


def test_mse_dense_grads_names_each_mistake():
    run_cases(
        checks.check_mse_dense_grads,
        {
            "loss summed": (
                bugged(mse_dense_grads, "loss_sum"),
                "batch",
                "average over the N rows",
            ),
            "no ½": (bugged(mse_dense_grads, "no_half"), "factor", "½‖z - t‖²"),
            "mean over entries": (bugged(mse_dense_grads, "loss_all"), "batch", "all N·H entries"),
            "sign": (bugged(mse_dense_grads, "sign"), "sign", "t - z"),
            "no tanh'": (bugged(mse_dense_grads, "no_tanh"), "tanh", "1 - Z² is missing"),
            "gradient of the sum": (bugged(mse_dense_grads, "grad_sum"), "batch", "N = "),
            "loss NaN": (bugged(mse_dense_grads, "loss_nan"), "nonfinite", "NaN"),
            "loss None": (bugged(mse_dense_grads, "loss_none"), "none", "None"),
            **common_wrong(mse_dense_grads),
        },
    )


# ----------------------------------------------------------------------------- assignment 2


def copy_gradients(w, u, x, h0, y, bug=None):
    T = len(x)
    hs = [h0]
    for t in range(T):
        hs.append(np.tanh(w * hs[-1] + u * x[t]))
    g, out = hs[T] - y, np.zeros(T)
    for t in range(T - 1, -1, -1):
        d = g if bug == "tanh" else g * ((1 - hs[t + 1]) if bug == "1-h" else (1 - hs[t + 1] ** 2))
        out[t] = d * {"off_by_one": hs[t + 1], "du": x[t]}.get(bug, hs[t])
        g = 0.0 if bug == "partial" else (u if bug == "carry_u" else w) * d
    return out[::-1].copy() if bug == "reversed" else out


def total_gradient(w, u, x, h0, y, bug=None):
    c = copy_gradients(w, u, x, h0, y, bug=bug if bug in ("tanh", "off_by_one", "du") else None)
    return {"last": c[-1], "mean": c.mean(), "assign": c[0], "array": c}.get(bug, float(c.sum()))


def jacobian_tensor(X, H, bug=None):
    N, D = X.shape
    J = np.zeros((N, H, H, D))
    for i in range(H):
        J[:, i, i, :] = X
    if bug == "no_delta":
        J = np.broadcast_to(X[:, None, None, :], (N, H, H, D)).copy()
    if bug == "mean":
        J /= N
    if bug == "sign":
        J = -J
    if bug == "drop_axis":
        J = J.sum(axis=2)
    if bug == "axes":
        J = J.transpose(0, 3, 1, 2)
    return J


def grad_via_jacobian(dY, J, bug=None):
    if bug == "first":
        return np.einsum("i,ijk->jk", dY[0], J[0])
    if bug == "unweighted":
        return J.sum(axis=(0, 1))
    dW = np.einsum("ni,nijk->jk", dY, J)
    return {"mean": dW / len(dY), "sign": -dW, "transposed": dW.T}.get(bug, dW)


def test_assignment2_right_answers_pass(capsys):
    for seed in SEEDS:
        passes(checks.check_copy_gradients, copy_gradients, capsys, seed=seed)
        passes(checks.check_total_gradient, total_gradient, capsys, seed=seed)
        passes(checks.check_jacobian_tensor, jacobian_tensor, capsys, seed=seed)
        passes(checks.check_grad_via_jacobian, grad_via_jacobian, capsys, seed=seed)


def test_copy_and_total_gradients_name_each_mistake():
    run_cases(
        checks.check_copy_gradients,
        {
            "partial only": (bugged(copy_gradients, "partial"), "accumulation", "partial ∂L/∂h_t"),
            "h_t for h_{t-1}": (
                bugged(copy_gradients, "off_by_one"),
                "off_by_one",
                "multiplies h_{t-1}",
            ),
            "no tanh'": (bugged(copy_gradients, "tanh"), "tanh", "are missing"),
            "1 - h": (bugged(copy_gradients, "1-h"), "tanh", "1 - h_t where"),
            "carry through u": (bugged(copy_gradients, "carry_u"), "transposed", "through w"),
            "reversed": (bugged(copy_gradients, "reversed"), "order", "reverse order"),
            "copies of u": (bugged(copy_gradients, "du"), "mistake", "copies of u"),
        },
    )
    run_cases(
        checks.check_total_gradient,
        {
            "last copy": (bugged(total_gradient, "last"), "accumulation", "last copy"),
            "mean": (bugged(total_gradient, "mean"), "accumulation", "mean of the copies"),
            "= for +=": (bugged(total_gradient, "assign"), "accumulation", "`=` where `+=`"),
            "h_t": (bugged(total_gradient, "off_by_one"), "off_by_one", "multiplies h_{t-1}"),
            "no tanh'": (bugged(total_gradient, "tanh"), "tanh", "are missing"),
            "dL/du": (bugged(total_gradient, "du"), "mistake", "dL/du"),
            "an array": (bugged(total_gradient, "array"), "shape", "single number"),
            "NaN": (lambda *a: float("nan"), "nonfinite", "NaN"),
            "None": (lambda *a: None, "none", "None"),
        },
    )


def test_jacobian_and_contraction_name_each_mistake():
    run_cases(
        checks.check_jacobian_tensor,
        {
            "no delta": (bugged(jacobian_tensor, "no_delta"), "mistake", "Kronecker delta"),
            "divided by N": (bugged(jacobian_tensor, "mean"), "batch", "divided by N"),
            "sign": (bugged(jacobian_tensor, "sign"), "sign", "-J"),
            "3-D": (bugged(jacobian_tensor, "drop_axis"), "shape", "expected (3, 4, 4, 2)"),
            "axes": (bugged(jacobian_tensor, "axes"), "shape", "order of the axes"),
            "None": (lambda *a: None, "none", "return"),
            "float32": (lambda X, H: jacobian_tensor(X, H).astype(np.float32), "dtype", "float64"),
        },
    )
    run_cases(
        checks.check_grad_via_jacobian,
        {
            "first example": (bugged(grad_via_jacobian, "first"), "accumulation", "first example"),
            "unweighted": (bugged(grad_via_jacobian, "unweighted"), "mistake", "without weighting"),
            "mean": (bugged(grad_via_jacobian, "mean"), "batch", "1/N"),
            "sign": (bugged(grad_via_jacobian, "sign"), "sign", "times -1"),
            "transposed": (bugged(grad_via_jacobian, "transposed"), "transposed", "transposed"),
            **common_wrong(grad_via_jacobian),
        },
    )


WEIRD = {
    "a string": "abc",
    "a dict": {},
    "a short list": [1, 2],
    "a number": 5.0,
    "one zero": np.zeros(1),
    "an object": object(),
    "two Nones": (None, None),
    "five numbers": (1, 2, 3, 4, 5),
    "NaN": float("nan"),
    "complex": np.zeros((3, 4), complex),
    "booleans": np.zeros((4, 5), bool),
    "-inf": -np.inf,
    "strings": ("a", "b", "c"),
}


@pytest.mark.parametrize("what", list(WEIRD))
def test_odd_results_fail_with_a_message_never_a_traceback(what, capsys):
    """Whatever a function returns, every check fails with a CheckFailed (no other exception,
    nothing on stderr)."""
    value = WEIRD[what]
    for name in [n for n in checks.__all__ if n.startswith("check_")]:
        with pytest.raises(CheckFailed):
            getattr(checks, name)(lambda *a, **k: value)
    assert capsys.readouterr().err == ""
