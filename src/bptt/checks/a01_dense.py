"""Assignment 1, the dense layer: tanh_backward, dense_backward, mse_dense_grads."""

import numpy as np

from ..activations import tanh_grad_from_output
from ..dense import dense_backward, dense_forward
from ..gradcheck import numerical_gradient
from ..losses import mse_loss
from .engine import _passed, call, compare_all, compare_scalar, unpack

SIZES = [None, dict(N=1, D=4, H=4), dict(N=7, D=2, H=6)]  # None: the sizes the check is given


def _dense_data(seed, N, D, H, special=False):
    rng = np.random.default_rng(seed)
    if special:  # all ones and zeros: Z = 0, so every factor 1 - Z² is 1
        X, W, b = np.ones((2, 3)), np.zeros((4, 3)), np.zeros(4)
        return X, W, b, np.tanh(X @ W.T + b), np.ones((2, 4))
    X = rng.normal(size=(N, D))
    W = rng.normal(size=(H, D)) / np.sqrt(D)
    b = rng.normal(0, 0.5, size=H)
    Z = dense_forward(X, W, b)[0]
    return X, W, b, Z, rng.normal(size=(N, H))


def _sizes(given):
    return [given if s is None else s for s in SIZES]


def check_tanh_backward(fn, seed=0, N=4, H=5):
    """Check ``fn(dZ, Z) -> dY``: dL/dY = (1 - Z²) ⊙ dL/dZ for Z = tanh(Y); dZ, Z, dY all (N, H).

    Tried on the sizes given, N = 1 and a wide batch.
    """
    worst = 0.0
    for i, (NN, HH) in enumerate([(N, H), (1, 3), (6, 2)]):
        rng = np.random.default_rng(seed + 7919 * i)
        Y = rng.normal(size=(NN, HH)) * 1.5
        Z, dZ = np.tanh(Y), rng.normal(size=(NN, HH))
        ref = tanh_grad_from_output(Z) * dZ
        numeric = numerical_gradient(lambda: float(np.sum(dZ * np.tanh(Y))), Y)
        got = call(fn, "tanh_backward", dZ, Z)
        muts = [
            ("tanh", "You returned dL/dZ unchanged: multiply by tanh'(Y) = 1 - Z².", dZ),
            (
                "tanh",
                "You multiplied by 1 - Z; the derivative of tanh is 1 - Z² (Z squared).",
                (1 - Z) * dZ,
            ),
            (
                "tanh",
                "You used 1 - tanh(Z)²: Z is already tanh(Y), so tanh'(Y) = 1 - Z², not 1 - "
                "tanh(Z)².",
                (1 - np.tanh(Z) ** 2) * dZ,
            ),
            ("tanh", "You multiplied by Z²; the factor is 1 - Z².", Z**2 * dZ),
            (
                "tanh",
                "You used 1 - dZ²: the factor 1 - Z² is computed from the output Z, then "
                "multiplies dZ.",
                1 - dZ**2,
            ),
            (
                "tanh",
                "You used (1 - Z)²; the factor is 1 - Z² (only Z is squared).",
                (1 - Z) ** 2 * dZ,
            ),
            ("sign", "You used Z² - 1; the factor is 1 - Z², which is positive.", (Z**2 - 1) * dZ),
        ]
        num = compare_all(
            "tanh_backward",
            [("dY", got, ref, dict(mistakes=muts, numeric=numeric))],
            note=f"(N = {NN}, H = {HH})",
        )
        worst = max(worst, num)
    _passed("tanh_backward", "dY", worst)


def check_dense_backward(fn, seed=0, N=4, D=3, H=5):
    """Check ``fn(dZ, X, W, Z) -> (dX, dW, db)`` for Z = tanh(X Wᵀ + b).

    dZ, Z: (N, H); X: (N, D); W: (H, D). Expected dX (N, D), dW (H, D), db (H,), with
    dY = (1 - Z²) ⊙ dZ, dX = dY W, dW = dYᵀ X, db = Σ_rows dY. Tried on the sizes given, N = 1
    with D = H, a tall batch, and inputs of ones with W = 0.
    """
    worst = 0.0
    for i, sz in enumerate(_sizes(dict(N=N, D=D, H=H)) + [dict(N=2, D=3, H=4, special=True)]):
        X, W, b, Z, dZ = _dense_data(seed + 7919 * i, **sz)
        NN = X.shape[0]
        refs = dense_backward(dZ, (X, W, Z))
        Xw, Ww, bw = X.copy(), W.copy(), b.copy()

        def loss():
            return float(np.sum(dZ * np.tanh(Xw @ Ww.T + bw)))  # dL/dZ = dZ

        nums = [numerical_gradient(loss, a) for a in (Xw, Ww, bw)]
        got = unpack(call(fn, "dense_backward", dZ, X, W, Z), "dense_backward", ["dX", "dW", "db"])
        dY = (1 - Z**2) * dZ
        t_text = (
            "It matches the gradient computed from dL/dZ directly: the factor tanh' = 1 - Z² is "
            "missing "
            "(dY = (1 - Z²) ⊙ dZ)."
        )
        h_text = "It uses 1 - Z where tanh' is 1 - Z² (Z squared)."
        dY1 = (1 - Z) * dZ
        twice = (1 - Z**2) ** 2 * dZ
        w_text = (
            "tanh' is applied twice: dY = (1 - Z²) ⊙ dZ once, then dX, dW and db all use that dY."
        )
        products = {"dX": lambda d: d @ W, "dW": lambda d: d.T @ X, "db": lambda d: d.sum(axis=0)}
        wrong_dY = [(t_text, dZ), (h_text, dY1), (w_text, twice)]
        extra = {
            "dX": [
                (
                    "transposed",
                    "It uses Wᵀ: batch first, dX = dY W, (N, H) @ (H, D).",
                    dY @ W.T if W.shape[0] == W.shape[1] else None,
                )
            ],
            "dW": [
                (
                    "transposed",
                    "You computed Xᵀ dY (shape (D, H)); dL/dW = dYᵀ X has the shape of W, (H, D).",
                    X.T @ dY,
                )
            ],
            "db": [
                (
                    "batch",
                    "You averaged dY over the rows; dZ already carries the 1/N of a mean "
                    "loss, so db = Σ_rows dY.",
                    dY.mean(axis=0),
                )
            ],
        }
        specs = []
        for j, (label, product) in enumerate(products.items()):
            muts = [("tanh", t, product(d)) for t, d in wrong_dY] + extra[label]
            specs.append(
                (
                    label,
                    got[j],
                    refs[j],
                    dict(
                        numeric=nums[j],
                        n_batch=NN,
                        bias=label == "db",
                        mistakes=[m for m in muts if m[2] is not None],
                    ),
                )
            )
        num = compare_all(
            "dense_backward", specs, note=f"(N = {NN}, D = {X.shape[1]}, H = {W.shape[0]})"
        )
        worst = max(worst, num)
    _passed("dense_backward", "dX, dW, db", worst)


def check_mse_dense_grads(fn, seed=0, N=4, D=3, H=5):
    """Check ``fn(X, W, b, T) -> (loss, dW, db)`` for L = (1/N) Σ_n ½‖tanh(W x_n + b) - t_n‖².

    X: (N, D), W: (H, D), b: (H,), T: (N, H) targets. Tried on the sizes given, N = 1 and a larger
    batch.
    """
    worst = 0.0
    for i, sz in enumerate(_sizes(dict(N=N, D=D, H=H))):
        s = seed + 7919 * i
        X, W, b, Z, _ = _dense_data(s, **sz)
        NN = X.shape[0]
        T = np.random.default_rng(s + 100).uniform(-0.8, 0.8, size=Z.shape)
        ref_loss, dZ = mse_loss(Z, T)
        _, dW, db = dense_backward(dZ, (X, W, Z))
        Ww, bw = W.copy(), b.copy()
        nums = [
            numerical_gradient(lambda: mse_loss(np.tanh(X @ Ww.T + bw), T)[0], a) for a in (Ww, bw)
        ]
        got = unpack(
            call(fn, "mse_dense_grads", X, W, b, T), "mse_dense_grads", ["loss", "dW", "db"]
        )
        half = 0.5 * ((Z - T) ** 2).sum(axis=1)
        compare_scalar(
            "mse_dense_grads",
            got[0],
            ref_loss,
            [
                (
                    "batch",
                    f"Your loss is N = {NN} times the right one: average over the N rows, do not "
                    "sum.",
                    half.sum(),
                ),
                (
                    "factor",
                    "Your loss is twice the right one: the loss of one row is ½‖z - t‖².",
                    2 * ref_loss,
                ),
                (
                    "batch",
                    "Your loss averages over all N·H entries: average over the N rows only, and "
                    "sum over the H "
                    "outputs of a row.",
                    half.sum() / Z.size,
                ),
                (
                    "tanh",
                    "Your loss uses X Wᵀ + b without tanh: the outputs are Z = tanh(X Wᵀ + b).",
                    mse_loss(X @ W.T + b, T)[0],
                ),
            ]
            if NN > 1
            else [
                (
                    "factor",
                    "Your loss is twice the right one: the loss of one row is ½‖z - t‖².",
                    2 * ref_loss,
                )
            ],
            label=f"loss (N = {NN})",
        )
        dYs = (1 - Z**2) * (T - Z) / NN
        dYt = (Z - T) / NN
        specs = []
        for label, g, ref, num, bias, red in [
            ("dW", got[1], dW, nums[0], False, lambda d: d.T @ X),
            ("db", got[2], db, nums[1], True, lambda d: d.sum(0)),
        ]:
            specs.append(
                (
                    label,
                    g,
                    ref,
                    dict(
                        numeric=num,
                        n_batch=NN,
                        bias=bias,
                        mistakes=[
                            (
                                "sign",
                                "You used t - z where the derivative of ½‖z - t‖² is z - t.",
                                red(dYs),
                            ),
                            (
                                "tanh",
                                "The factor tanh' = 1 - Z² is missing: dL/dY = (1 - Z²) ⊙ (Z - "
                                "T)/N.",
                                red(dYt),
                            ),
                        ],
                    ),
                )
            )
        worst = max(worst, compare_all("mse_dense_grads", specs, note=f"(N = {NN})"))
    _passed("mse_dense_grads", "loss, dW, db", worst)
