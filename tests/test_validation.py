"""Bad input raises ValueError/TypeError whose message names the argument and the expected shape."""

import numpy as np
import pytest

import bptt

N, T, D, H, C = 2, 3, 4, 5, 3
P = bptt.init_params(D, H, C, seed=0)
rng = np.random.default_rng(0)
X = rng.normal(size=(N, T, D))
Y = rng.normal(size=(N, T, C))
LAB = rng.integers(0, C, size=(N, T))


def m2m(**kw):
    args = dict(params=P, X=X, Y=Y, loss="mse")
    args.update(kw)
    return bptt.many_to_many(**args)


def m2o(**kw):
    args = dict(params=P, X=X, y=Y[:, -1], loss="mse")
    args.update(kw)
    return bptt.many_to_one(**args)


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: m2m(X=X[0]), ValueError, ["X", "(N, T, D)", "2-D"]),
        (lambda: m2m(X=X[:, :, :3]), ValueError, ["X", "(N, T, D)", "D = 4"]),
        (lambda: m2m(X=X[:, :0]), ValueError, ["X", "T >= 1", "empty"]),
        (lambda: m2m(X=X[:0], Y=Y[:0]), ValueError, ["X", "N >= 1"]),
        (lambda: m2m(X=np.where(X > 1, np.nan, X)), ValueError, ["X", "NaN or inf"]),
        (lambda: m2m(X=np.full((N, T, D), np.inf)), ValueError, ["X", "NaN or inf"]),
        (lambda: m2m(X="abc"), TypeError, ["X", "(N, T, D)"]),
        (lambda: m2m(X=X.astype(complex)), TypeError, ["X", "real"]),
        (lambda: m2m(Y=Y[:, :2]), ValueError, ["Y", "(N, T, C)", "(2, 3, 3)"]),
        (lambda: m2m(Y=Y[..., 0]), ValueError, ["Y", "(N, T, C)"]),
        (lambda: m2m(Y=np.where(Y > 1, np.inf, Y)), ValueError, ["Y", "NaN or inf"]),
        (lambda: m2m(Y=LAB, loss="nll", h0=np.zeros((N, H + 1))), ValueError, ["h0", "(N, H)"]),
        (lambda: m2m(h0=np.zeros(H)), ValueError, ["h0", "(N, H)"]),
        (lambda: m2m(h0=np.full((N, H), np.nan)), ValueError, ["h0", "NaN"]),
        (lambda: m2m(Y=np.full((N, T), 3), loss="nll"), ValueError, ["Y", "label 3", "[0, 3)"]),
        (lambda: m2m(Y=np.full((N, T), -1), loss="nll"), ValueError, ["Y", "label -1"]),
        (lambda: m2m(Y=LAB.astype(float), loss="nll"), TypeError, ["Y", "integer", ".astype(int)"]),
        (lambda: m2m(Y=LAB + 0.5, loss="nll"), TypeError, ["Y", "integer class labels"]),
        (lambda: m2m(Y=LAB[:, :2], loss="nll"), ValueError, ["Y", "(N, T)"]),
        (lambda: m2m(Y=Y, loss="nll"), ValueError, ["Y", "(N, T)"]),
        (lambda: m2m(loss="cross"), ValueError, ["loss", "'mse'", "'nll'"]),
        (lambda: m2m(loss=None), ValueError, ["loss", "'mse'"]),
        (lambda: m2m(truncate=0), ValueError, ["truncate", ">= 1"]),
        (lambda: m2m(truncate=-2), ValueError, ["truncate", ">= 1"]),
        (lambda: m2m(truncate=2.5), TypeError, ["truncate", "integer"]),
        (lambda: m2m(truncate=True), TypeError, ["truncate", "integer"]),
        (lambda: m2m(params=P[:4]), TypeError, ["params", "Params"]),
        (lambda: m2m(params=(P.W, P.U, P.V, P.b)), TypeError, ["params"]),
        (lambda: m2m(params=P._replace(W=P.W[:, :4])), ValueError, ["params.W", "(H, H)"]),
        (lambda: m2m(params=P._replace(U=P.U[:4])), ValueError, ["params.U", "(H, D)", "H = 5"]),
        (lambda: m2m(params=P._replace(V=P.V[:, :4])), ValueError, ["params.V", "(C, H)"]),
        (lambda: m2m(params=P._replace(b=P.b[:4])), ValueError, ["params.b", "(H,)"]),
        (lambda: m2m(params=P._replace(c=np.zeros(4))), ValueError, ["params.c", "(C,)"]),
        (lambda: m2m(params=P._replace(W=P.W.astype(np.float32))), TypeError, ["params", "dtype"]),
        (lambda: m2o(y=Y), ValueError, ["y", "(N, C)"]),
        (lambda: m2o(y=LAB, loss="nll"), ValueError, ["y", "(N,)"]),
        (lambda: m2o(y=np.array([0, 3]), loss="nll"), ValueError, ["y", "label 3"]),
        (lambda: bptt.init_params(0, 3, 2), ValueError, ["n_input", ">= 1"]),
        (lambda: bptt.init_params(2, 3.0, 2), TypeError, ["n_hidden", "integer"]),
        (lambda: bptt.rel_error(np.zeros(3), np.zeros(4)), ValueError, ["b", "same shape"]),
        (lambda: bptt.numerical_gradient(3, np.zeros(2)), TypeError, ["f", "function"]),
        (
            lambda: bptt.numerical_gradient(lambda: 0.0, [1.0, 2.0]),
            TypeError,
            ["x", "float ndarray"],
        ),
        (
            lambda: bptt.numerical_gradient(lambda: 0.0, np.zeros(2), eps=0),
            ValueError,
            ["eps", "positive"],
        ),
        (lambda: bptt.rnn.forward(P, X[0]), ValueError, ["X", "(N, T, D)"]),
    ],
)
def test_bad_input_names_the_argument(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    msg = str(info.value)
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"


def test_nothing_broadcasts_silently():
    """A (N, 1, C) target would broadcast against (N, T, C) outputs; it must be refused."""
    with pytest.raises(ValueError, match="Y"):
        m2m(Y=Y[:, :1])
    with pytest.raises(ValueError, match="h0"):
        m2m(h0=np.zeros((1, H)))
