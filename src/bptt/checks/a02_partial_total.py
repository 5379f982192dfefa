"""Assignment 2, partial and total derivatives: copy_gradients, total_gradient, jacobian_tensor,
grad_via_jacobian."""

import numpy as np

from ..gradcheck import numerical_gradient
from ..scalar_rnn import scalar_rnn_backward, scalar_rnn_loss
from .engine import _passed, call, compare, compare_scalar


def _scalar_rnn(seed, T):
    rng = np.random.default_rng(seed)
    w, u = float(rng.uniform(0.5, 1.2)), float(rng.uniform(0.5, 1.0))
    x = rng.normal(size=T)
    h0 = float(rng.uniform(-0.5, 0.5))
    y = float(rng.uniform(-0.5, 0.5))
    return w, u, x, h0, y


def _cases(seed, T):
    for i, TT in enumerate([T, 1, 7]):
        yield _scalar_rnn(seed + 7919 * i, TT)


def _wrong_copies(sb, w, u, x, factor=None, carry=None, h_in="h_prev"):
    """∂L/∂w_t with one mistake: another tanh' factor, carry weight, or h_t for h_{t-1}."""
    T = len(x)
    h_prev = np.concatenate([[sb.h0], sb.h[:-1]])
    out, c = np.zeros(T), 0.0
    for t in range(T - 1, -1, -1):
        g = sb.direct[t] + c
        d = g * (factor(sb.h[t]) if factor else 1 - sb.h[t] ** 2)
        out[t] = d * (sb.h[t] if h_in == "h" else h_prev[t])
        c = (u if carry == "u" else w) * d
    return out


def _copy_mistakes(sb, w, u, x):
    last = np.zeros(len(x))
    last[-1] = sb.dw_copies[-1]
    return [
        (
            "accumulation",
            "Only the copy at the last step is nonzero: you used the partial ∂L/∂h_t (zero for t "
            "< T) "
            "instead of the total dL/dh_t, which collects the path through h_{t+1}, ..., h_T.",
            last,
        ),
        (
            "off_by_one",
            "Each copy's term uses h_t; the copy w_t multiplies h_{t-1} in a_t = w_t h_{t-1} + u "
            "x_t.",
            _wrong_copies(sb, w, u, x, h_in="h"),
        ),
        (
            "tanh",
            "The factors tanh'(a_t) = 1 - h_t² are missing.",
            _wrong_copies(sb, w, u, x, lambda h: 1.0),
        ),
        (
            "tanh",
            "It uses 1 - h_t where tanh'(a_t) is 1 - h_t² (h squared).",
            _wrong_copies(sb, w, u, x, lambda h: 1 - h),
        ),
        (
            "transposed",
            "The carry to step t-1 is multiplied by u; it goes through w (∂a_t/∂h_{t-1} = w).",
            _wrong_copies(sb, w, u, x, carry="u"),
        ),
        (
            "order",
            "Your copies come in reverse order: entry 0 is the copy used at step t = 1.",
            sb.dw_copies[::-1].copy(),
        ),
        (
            "mistake",
            "These are the copies of u (δ_t x_t); the copies of w are δ_t h_{t-1}.",
            sb.du_copies,
        ),
    ]


def check_copy_gradients(fn, seed=0, T=4):
    """Check ``fn(w, u, x, h0, y) -> (T,)``: ∂L/∂w_t for each dummy copy w_t of the shared weight w.

    The scalar recurrence h_t = tanh(w h_{t-1} + u x_t), t = 1..T, L = ½(h_T - y)²; entry t-1 of the
    result is the partial derivative with respect to the copy used at step t. Tried on the T given,
    T = 1 and T = 7.
    """
    worst = 0.0
    for w, u, x, h0, y in _cases(seed, T):
        TT = len(x)
        sb = scalar_rnn_backward(w, u, x, np.full(TT, y), h0, last_only=True)
        ws = np.full(TT, w)
        numeric = numerical_gradient(
            lambda: scalar_rnn_loss(ws, u, x, np.full(TT, y), h0, True), ws
        )
        got = call(fn, "copy_gradients", w, u, x, h0, y)
        num = compare(
            "copy_gradients",
            got,
            sb.dw_copies,
            _copy_mistakes(sb, w, u, x),
            label="the copies' gradients",
            numeric=numeric,
            time_axis=0,
            note=f"(T = {TT})",
        )
        worst = max(worst, num)
    _passed("copy_gradients", "the T per-copy derivatives", worst)


def check_total_gradient(fn, seed=0, T=4):
    """Check ``fn(w, u, x, h0, y) -> float``: the total dL/dw of the scalar recurrence (see
    check_copy_gradients).

    Tried on the T given, T = 1 and T = 7.
    """
    for w, u, x, h0, y in _cases(seed, T):
        TT = len(x)
        sb = scalar_rnn_backward(w, u, x, np.full(TT, y), h0, last_only=True)
        got = call(fn, "total_gradient", w, u, x, h0, y)
        muts = [
            (k, t, float(np.sum(v)))
            for k, t, v in _copy_mistakes(sb, w, u, x)
            if k not in ("order", "mistake")
        ]
        muts[0] = (
            "accumulation",
            "It equals the last copy's term alone; w is used at every step, so dL/dw is "
            "the sum of all T copies' derivatives.",
            float(sb.dw_copies[-1]),
        )
        muts.append(
            (
                "accumulation",
                "It equals the mean of the copies' derivatives; the total derivative is their sum.",
                float(sb.dw_copies.mean()),
            )
        )
        muts.append(
            ("mistake", "It is dL/du (Σ_t δ_t x_t); dL/dw is Σ_t δ_t h_{t-1}.", float(sb.du))
        )
        muts.append(
            (
                "accumulation",
                "It equals the first copy's term alone: `=` where `+=` belongs.",
                float(sb.dw_copies[0]),
            )
        )
        compare_scalar("total_gradient", got, sb.dw, muts, label=f"dL/dw (T = {TT})")
    _passed("total_gradient", "dL/dw for T = 1, 4 and 7")


def _jac_data(seed, N, D, H):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(H, D))


def check_jacobian_tensor(fn, seed=0, N=3, D=2, H=4):
    """Check ``fn(X, H) -> J`` of shape (N, H, H, D) with J[n, i, j, k] = ∂Y[n, i]/∂W[j, k] for Y =
    X Wᵀ.

    Tried on the sizes given and on N = 1, D > H.
    """
    worst = 0.0
    for i, (NN, DD, HH) in enumerate([(N, D, H), (1, 3, 2)]):
        X, _, W = _jac_data(seed + 7919 * i, NN, DD, HH)
        ref = np.einsum("ij,nk->nijk", np.eye(HH), X)
        numeric = np.zeros_like(ref)
        for n in range(NN):
            for r in range(HH):
                numeric[n, r] = numerical_gradient(lambda: float((X @ W.T)[n, r]), W)
        got = call(fn, "jacobian_tensor", X, HH)
        muts = [
            (
                "mistake",
                "Every (i, j) block holds X: the Kronecker delta is missing, ∂Y[n, i]/∂W[j, k] is "
                "X[n, k] "
                "only when i = j, and 0 otherwise.",
                np.broadcast_to(X[:, None, None, :], ref.shape).copy(),
            ),
            (
                "batch",
                "It is divided by N: J holds derivatives of Y itself, no mean is involved.",
                ref / NN,
            ),
            (
                "batch",
                "Every example holds the sum of X over the batch: J[n] depends on example n only.",
                np.einsum("ij,k->ijk", np.eye(HH), X.sum(0))[None].repeat(NN, 0),
            ),
            ("sign", "It is -J: Y = X Wᵀ grows with W where X is positive.", -ref),
        ]
        num = compare(
            "jacobian_tensor",
            got,
            ref,
            muts,
            label="J",
            numeric=numeric,
            note=f"(N = {NN}, D = {DD}, H = {HH})",
        )
        worst = max(worst, num)
    _passed("jacobian_tensor", "the 4-D Jacobian", worst)


def check_grad_via_jacobian(fn, seed=0, N=3, D=2, H=4):
    """Check ``fn(dY, J) -> dW`` (H, D): the contraction Σ_{n,i} dY[n, i] J[n, i, j, k], equal to
    dYᵀ X.

    Tried on the sizes given and on N = 5, D > H.
    """
    worst = 0.0
    for i, (NN, DD, HH) in enumerate([(N, D, H), (5, 3, 2)]):
        X, dY, W = _jac_data(seed + 7919 * i, NN, DD, HH)
        J = np.einsum("ij,nk->nijk", np.eye(HH), X)
        ref = dY.T @ X
        numeric = numerical_gradient(lambda: float(np.sum(dY * (X @ W.T))), W)
        got = call(fn, "grad_via_jacobian", dY, J)
        muts = [
            (
                "accumulation",
                "It uses the first example only: the sum runs over n as well as i.",
                np.outer(dY[0], X[0]),
            ),
            (
                "mistake",
                "It sums J without weighting by dY: dW[j, k] = Σ_{n,i} dY[n, i] J[n, i, j, k].",
                J.sum(axis=(0, 1)),
            ),
            (
                "accumulation",
                "It uses the last example only: the sum runs over n as well as i.",
                np.outer(dY[-1], X[-1]),
            ),
        ]
        num = compare(
            "grad_via_jacobian",
            got,
            ref,
            muts,
            label="dW",
            numeric=numeric,
            n_batch=NN,
            note=f"(N = {NN}, D = {DD}, H = {HH})",
        )
        worst = max(worst, num)
    _passed("grad_via_jacobian", "dW", worst)
