"""Assignment 1, the dense layer: tanh_backward, dense_backward, mse_dense_grads."""
import numpy as np

from ..gradcheck import numerical_gradient
from ..losses import mse_loss
from .engine import TOL, CheckFailed, _call, _check_outputs, _compare, _finish, _label, _Mismatch, _passed, _scalar, _unpack


def _dense_data(seed, N, D, H):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    W = rng.normal(size=(H, D)) / np.sqrt(D)
    b = rng.normal(0, 0.5, size=H)
    Z = np.tanh(X @ W.T + b)
    dZ = rng.normal(size=(N, H))
    return X, W, b, Z, dZ


def check_tanh_backward(fn, seed=0, N=4, H=5):
    """Check ``fn(dZ, Z) -> dY``: dL/dY = (1 - Z²) ⊙ dL/dZ for Z = tanh(Y); dZ, Z, dY all (N, H)."""
    rng = np.random.default_rng(seed)
    Y = rng.normal(size=(N, H))
    Z = np.tanh(Y)
    dZ = rng.normal(size=(N, H))
    ref = (1 - Z ** 2) * dZ
    numeric = numerical_gradient(lambda: float(np.sum(dZ * np.tanh(Y))), Y)
    got = _call(fn, "tanh_backward", dZ, Z)
    mutants = [
        ("tanh", "You returned dL/dZ unchanged: multiply by tanh'(Y) = 1 - Z².", dZ),
        ("tanh", "You multiplied by 1 - Z; the derivative of tanh is 1 - Z² (Z squared).", (1 - Z) * dZ),
        ("tanh", "You used 1 - tanh(Z)²: Z is already tanh(Y), so tanh'(Y) = 1 - Z², not 1 - tanh(Z)².",
         (1 - np.tanh(Z) ** 2) * dZ),
        ("tanh", "You multiplied by Z²; the factor is 1 - Z².", Z ** 2 * dZ),
    ]
    num = _check_outputs("tanh_backward", [got], [("dY", ref, dict(mutants=mutants, numeric=numeric))])
    _passed("tanh_backward", "dY", num)


def check_dense_backward(fn, seed=0, N=4, D=3, H=5):
    """Check ``fn(dZ, X, W, Z) -> (dX, dW, db)`` for Z = tanh(X Wᵀ + b).

    dZ, Z: (N, H); X: (N, D); W: (H, D). Expected dX (N, D), dW (H, D), db (H,), with
    dY = (1 - Z²) ⊙ dZ, dX = dY W, dW = dYᵀ X, db = Σ_rows dY.
    """
    X, W, b, Z, dZ = _dense_data(seed, N, D, H)
    dY = (1 - Z ** 2) * dZ
    refs = [dY @ W, dY.T @ X, dY.sum(axis=0)]
    Xw, Ww, bw = X.copy(), W.copy(), b.copy()
    loss = lambda: float(np.sum(dZ * np.tanh(Xw @ Ww.T + bw)))  # noqa: E731  (dL/dZ = dZ)
    nums = [numerical_gradient(loss, Xw), numerical_gradient(loss, Ww), numerical_gradient(loss, bw)]
    got = _unpack(_call(fn, "dense_backward", dZ, X, W, Z), "dense_backward", ["dX", "dW", "db"])
    no_tanh = [dZ @ W, dZ.T @ X, dZ.sum(axis=0)]
    t_text = "It matches the gradient computed from dL/dZ directly: the factor tanh' = 1 - Z² is missing (dY = (1 - Z²) ⊙ dZ)."
    specs = [
        ("dX", refs[0], dict(numeric=nums[0], n_batch=N, mutants=[("tanh", t_text, no_tanh[0])])),
        ("dW", refs[1], dict(numeric=nums[1], n_batch=N, mutants=[
            ("tanh", t_text, no_tanh[1]),
            ("transposed", "You computed Xᵀ dY (shape (D, H)); dL/dW = dYᵀ X has the shape of W, (H, D).", X.T @ dY)])),
        ("db", refs[2], dict(numeric=nums[2], n_batch=N, bias=True, mutants=[
            ("tanh", t_text, no_tanh[2]),
            ("batch", "You averaged dY over the rows; dZ already carries the 1/N of a mean loss, so db = Σ_rows dY.",
             dY.mean(axis=0))])),
    ]
    num = _check_outputs("dense_backward", got, specs)
    _passed("dense_backward", "dX, dW, db", num)


def check_mse_dense_grads(fn, seed=0, N=4, D=3, H=5):
    """Check ``fn(X, W, b, T) -> (loss, dW, db)`` for L = (1/N) Σ_n ½‖tanh(W x_n + b) - t_n‖².

    X: (N, D), W: (H, D), b: (H,), T: (N, H) targets.
    """
    X, W, b, Z, _ = _dense_data(seed, N, D, H)
    T = np.random.default_rng(seed + 100).uniform(-0.8, 0.8, size=(N, H))
    ref_loss, dZ = mse_loss(Z, T)
    dY = (1 - Z ** 2) * dZ
    refs = [dY.T @ X, dY.sum(axis=0)]
    Ww, bw = W.copy(), b.copy()
    loss = lambda: mse_loss(np.tanh(X @ Ww.T + bw), T)[0]  # noqa: E731
    nums = [numerical_gradient(loss, Ww), numerical_gradient(loss, bw)]
    got = _unpack(_call(fn, "mse_dense_grads", X, W, b, T), "mse_dense_grads", ["loss", "dW", "db"])
    problems, worst = [], 0.0
    value = _scalar(got[0], "mse_dense_grads", "loss")
    if abs(value - ref_loss) > TOL * abs(ref_loss):
        ratio = value / ref_loss if ref_loss else np.inf
        if abs(ratio - N) < 1e-6 * N:
            problems.append(("loss", _Mismatch("batch", f"{_label('batch')} Your loss is N = {N} times the right "
                                                        f"one: average over the N rows, do not sum.")))
        elif abs(ratio - 2) < 1e-6:
            problems.append(("loss", _Mismatch("factor", f"{_label('factor')} Your loss is twice the right one: the "
                                                         f"loss of one row is ½‖z - t‖².")))
        else:
            problems.append(("loss", _Mismatch(None, f"{value:.6g}, expected {ref_loss:.6g}.")))
    for got_a, label, ref, num, bias in zip(got[1:], ["dW", "db"], refs, nums, [False, True]):
        dY_sign = (1 - Z ** 2) * (T - Z) / N
        mut = [("sign", "You used t - z where the derivative of ½‖z - t‖² is z - t.",
                dY_sign.T @ X if label == "dW" else dY_sign.sum(0))]
        try:
            e = _compare(got_a, ref, mutants=mut, numeric=num, n_batch=N, bias=bias, symbol=label)
            worst = max(worst, e)
        except _Mismatch as m:
            problems.append((label, m))
    _finish("mse_dense_grads", problems)
    _passed("mse_dense_grads", "loss, dW, db", worst)
