"""bptt.checks: a right answer passes, an untouched one says "not done yet", and each planted
mistake is caught with a message that names it.

The planted solutions below are written the way a student would get them wrong (independent code,
not the checker's own mistake models), one per mistake kind that applies to the task.
"""
import numpy as np
import pytest

import bptt
from bptt import checks
from bptt.checks import KINDS, CheckFailed, a08_truncation_clipping, mistakes


def not_done(*args, **kwargs):
    raise NotImplementedError()


def expect(check, fn, kind, **kw):
    """Run check(fn) and assert it fails naming ``kind``; return the message."""
    with pytest.raises(CheckFailed) as info:
        check(fn, **kw)
    msg = str(info.value)
    assert info.value.kind == kind, f"expected {kind}, got {info.value.kind}:\n{msg}"
    assert KINDS[kind] in msg, msg
    assert isinstance(info.value, AssertionError)
    return msg


def passes(check, fn, capsys, **kw):
    check(fn, **kw)
    out = capsys.readouterr().out
    assert out.startswith("passed:"), out
    assert out.count("\n") == 1


# ----------------------------------------------------------------------------- shared pieces

def forward(params, X, h0=None):
    W, U, V, b, c = params
    N, T, _ = X.shape
    hs = [np.zeros((N, W.shape[0])) if h0 is None else h0]
    for t in range(T):
        hs.append(np.tanh(hs[-1] @ W.T + X[:, t] @ U.T + b))
    return hs


def softmax(O):
    E = np.exp(O - O.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def rnn_grads(params, X, Y, loss="mse", last_only=False, h0=None, k=None, bug=None):
    """A student's BPTT with one bug switched on (bug=None: right)."""
    W, U, V, b, c = params
    N, T, _ = X.shape
    hs = forward(params, X, None if bug == "zero_h0" else h0)
    dW, dU, dV, db, dc = (np.zeros_like(p) for p in params)
    carry = np.zeros_like(hs[0])
    div = 1 if bug == "sum" else N
    for t in range(T, 0, -1):
        g = carry.copy()
        if not last_only or t == T:
            o = hs[t] @ V.T + c
            tgt = Y if last_only else Y[:, t - 1]
            if loss == "mse":
                dO = (o - tgt) / div
            else:
                dO = softmax(o)
                dO[np.arange(N), tgt] -= 1
                dO /= div
            if bug == "sign":
                dO = -dO
            dV += dO.T @ hs[t]
            dc += dO.sum(0)
            g = g + dO @ V
        delta = g if bug == "tanh" else (1 - hs[t] ** 2) * g
        if bug != "last_only" or t == T:
            dW += delta.T @ (hs[t] if bug == "off_by_one" else hs[t - 1])
            dU += delta.T @ X[:, t - 1]
            if bug != "no_bias":
                db += delta.sum(0)
        carry = delta @ W.T if bug == "transposed_rec" else delta @ W
        if bug == "no_carry":
            carry = np.zeros_like(carry)
        if k is not None and bug != "no_truncation" and (t - 1) % k == 0:
            carry = np.zeros_like(carry)
    if bug == "transposed":
        dW = dW.T
    return bptt.Params(dW, dU, dV, db, dc)


# ----------------------------------------------------------------------------- chapter 1

def tanh_backward(dZ, Z):
    return (1 - Z ** 2) * dZ


def dense_backward(dZ, X, W, Z, bug=None):
    dY = dZ if bug == "tanh" else (1 - Z ** 2) * dZ
    if bug == "sign":
        dY = -dY
    dX = dY @ W
    dW = X.T @ dY if bug == "transposed" else dY.T @ X
    db = np.zeros(W.shape[0]) if bug == "no_bias" else (dY.mean(0) if bug == "mean" else dY.sum(0))
    if bug == "db_shape":
        db = dY
    return dX, dW, db


def mse_dense_grads(X, W, b, T, bug=None):
    N = X.shape[0]
    Z = np.tanh(X @ W.T + b)
    diff = Z - T
    if bug == "sum":
        _, dW, db = dense_backward(diff, X, W, Z)
        return 0.5 * np.sum(diff ** 2), dW, db
    if bug == "sign":
        diff = -diff
    _, dW, db = dense_backward(diff / N, X, W, Z)
    return 0.5 * np.sum(diff ** 2) / N, dW, db


def test_chapter1(capsys):
    passes(checks.check_tanh_backward, tanh_backward, capsys)
    passes(checks.check_dense_backward, dense_backward, capsys)
    passes(checks.check_mse_dense_grads, mse_dense_grads, capsys)
    passes(checks.check_dense_backward, dense_backward, capsys, seed=3, N=1, D=4, H=4)
    expect(checks.check_tanh_backward, lambda dZ, Z: dZ, "tanh")
    expect(checks.check_tanh_backward, lambda dZ, Z: -(1 - Z ** 2) * dZ, "sign")
    expect(checks.check_tanh_backward, lambda dZ, Z: ((1 - Z ** 2) * dZ).T, "transposed")
    for bug, kind in [("tanh", "tanh"), ("transposed", "transposed"), ("no_bias", "bias"), ("sign", "sign"),
                      ("mean", "batch"), ("db_shape", "shape")]:
        expect(checks.check_dense_backward, lambda *a, bug=bug: dense_backward(*a, bug=bug), kind)
    for bug, kind in [("sum", "batch"), ("sign", "sign")]:
        expect(checks.check_mse_dense_grads, lambda *a, bug=bug: mse_dense_grads(*a, bug=bug), kind)
    msg = expect(checks.check_dense_backward, lambda *a: dense_backward(*a)[:2], "shape")
    assert "3 values" in msg


def test_not_done_and_errors():
    for check in [checks.check_tanh_backward, checks.check_dense_backward, checks.check_many_to_one_grads,
                  checks.check_central_difference, checks.check_clip_by_norm, checks.check_softmax,
                  checks.check_iir_impulse_response, checks.check_gradient_check]:
        msg = expect(check, not_done, "not_done")
        assert msg.startswith("not done yet")
        assert "Traceback" not in msg
    def hidden_grads(params, X, y):
        raise NotImplementedError()

    def many_to_one_grads(params, X, y):
        return hidden_grads(params, X, y)
    msg = expect(checks.check_many_to_one_grads, many_to_one_grads, "not_done")
    assert "it calls `hidden_grads`" in msg
    err = CheckFailed("not done yet: x", "not_done")
    assert err._render_traceback_()[1] == "not done yet: x"   # what a notebook shows: the message only

    def broken(dZ, X, W, Z):
        dY = (1 - Z ** 2) * dZ
        return dY @ W.T, dY.T @ X, dY.sum(0)   # (N, H) @ (D, H): shapes do not fit
    msg = expect(checks.check_dense_backward, broken, "shape")
    assert "dY @ W.T" in msg and "line" in msg
    expect(checks.check_dense_backward, lambda *a: 1 / 0, "exception")
    expect(checks.check_tanh_backward, lambda dZ, Z: None, "shape")


# ----------------------------------------------------------------------------- chapter 2

def copies(w, u, x, h0, y, bug=None):
    T = len(x)
    h = [h0]
    for t in range(T):
        h.append(np.tanh(w * h[-1] + u * x[t]))
    out, g = np.zeros(T), h[T] - y
    for t in range(T, 0, -1):
        d = g if bug == "tanh" else (1 - h[t] ** 2) * g
        out[t - 1] = d * (h[t] if bug == "off_by_one" else h[t - 1])
        g = 0.0 if bug == "partial" else w * d
    return -out if bug == "sign" else out


def test_chapter2(capsys):
    passes(checks.check_copy_gradients, copies, capsys)
    passes(checks.check_total_gradient, lambda *a: copies(*a).sum(), capsys)
    for bug, kind in [("tanh", "tanh"), ("off_by_one", "off_by_one"), ("partial", "accumulation"), ("sign", "sign")]:
        expect(checks.check_copy_gradients, lambda *a, bug=bug: copies(*a, bug=bug), kind)
    expect(checks.check_copy_gradients, lambda *a: copies(*a)[::-1], "order")
    expect(checks.check_total_gradient, lambda *a: copies(*a)[-1], "accumulation")
    expect(checks.check_total_gradient, lambda *a: copies(*a).mean(), "accumulation")
    expect(checks.check_total_gradient, lambda *a: copies(*a, bug="off_by_one").sum(), "off_by_one")
    expect(checks.check_total_gradient, lambda *a: -copies(*a).sum(), "sign")

    def J(X, H):
        out = np.zeros((X.shape[0], H, H, X.shape[1]))
        for i in range(H):
            out[:, i, i, :] = X
        return out
    passes(checks.check_jacobian_tensor, J, capsys)
    expect(checks.check_jacobian_tensor, lambda X, H: J(X, H).transpose(0, 1, 3, 2), "shape")
    passes(checks.check_grad_via_jacobian, lambda dY, J: np.einsum("ni,nijk->jk", dY, J), capsys)
    expect(checks.check_grad_via_jacobian, lambda dY, J: np.einsum("ni,nijk->kj", dY, J), "transposed")
    expect(checks.check_grad_via_jacobian, lambda dY, J: np.einsum("ni,nijk->jk", dY, J) / dY.shape[0], "batch")


# ----------------------------------------------------------------------------- chapter 3

def central(f, x, eps=1e-6, bug=None):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        if bug == "copy":
            x = x.copy()
        x[idx] = old + eps
        fp = f()
        x[idx] = old - eps
        fm = f()
        if bug != "restore":
            x[idx] = old
        grad[idx] = (fp - fm) / (eps if bug == "factor" else 2 * eps)
    if bug == "forward":
        for idx in np.ndindex(x.shape):
            old = x[idx]
            x[idx] = old + eps
            fp = f()
            x[idx] = old
            grad[idx] = (fp - f()) / eps
    return -grad if bug == "sign" else grad


def rel(a, b, bug=None):
    a, b = np.asarray(a, float), np.asarray(b, float)
    if bug == "abs":
        return float(np.linalg.norm(a - b))
    if bug == "asym":
        return float(np.linalg.norm(a - b) / np.linalg.norm(a))
    s = max(np.linalg.norm(a), np.linalg.norm(b))
    if bug == "zero":
        return float(np.linalg.norm(a - b) / s)
    return 0.0 if s == 0 else float(np.linalg.norm(a - b) / s)


def gradcheck(loss_fn, params, grads, threshold=1e-7, bug=None):
    out = []
    for name in params._fields:
        x = getattr(params, name)
        e = rel(getattr(grads, name), central(lambda: loss_fn(params), x))
        if (e < threshold) if bug == "reversed" else (e > threshold):
            out.append(name)
    return out


def test_chapter3(capsys):
    passes(checks.check_central_difference, central, capsys)
    passes(checks.check_central_difference, central, capsys, shape=(2, 3, 2))
    for bug, kind in [("forward", "forward_difference"), ("restore", "not_restored"), ("factor", "factor"),
                      ("sign", "sign"), ("copy", "copy")]:
        expect(checks.check_central_difference, lambda f, x, bug=bug: central(f, x, bug=bug), kind)
    passes(checks.check_relative_error, rel, capsys)
    for bug, kind in [("abs", "abs_error"), ("asym", "asymmetric"), ("zero", "zero_case")]:
        expect(checks.check_relative_error, lambda a, b, bug=bug: rel(a, b, bug=bug), kind)
    passes(checks.check_gradient_check, gradcheck, capsys)
    msg = expect(checks.check_gradient_check, lambda *a: gradcheck(*a, bug="reversed"), "flagged")
    assert "other ones" in msg


# ----------------------------------------------------------------------------- chapter 4

def hidden(params, X, y, bug=None):
    W, U, V, b, c = params
    N, T, _ = X.shape
    hs = forward(params, X)
    G = np.zeros((N, T, W.shape[0]))
    G[:, T - 1] = ((hs[T] @ V.T + c - y) / (1 if bug == "sum" else N)) @ V
    for t in range(T - 1, 0, -1):
        if bug == "no_carry":
            break
        fac = 1 if bug == "tanh" else (1 - (hs[t] if bug == "off_by_one" else hs[t + 1]) ** 2)
        d = fac * G[:, t]
        G[:, t - 1] = d @ W.T if bug == "transposed" else d @ W
    return G


def test_chapter4(capsys):
    passes(checks.check_hidden_grads, hidden, capsys)
    passes(checks.check_hidden_grads, hidden, capsys, seed=2, N=1, T=1, D=2, H=3, C=2)
    for bug, kind in [("no_carry", "accumulation"), ("tanh", "tanh"), ("off_by_one", "off_by_one"),
                      ("transposed", "transposed"), ("sum", "batch")]:
        msg = expect(checks.check_hidden_grads, lambda *a, bug=bug: hidden(*a, bug=bug), kind)
    assert "Wrong at t = 1, 2, 3; right at t = 4" in msg or KINDS["batch"] in msg
    expect(checks.check_hidden_grads, lambda *a: -hidden(*a), "sign")
    expect(checks.check_hidden_grads, lambda *a: hidden(*a).transpose(1, 0, 2), "shape")

    m21 = lambda *a, bug=None: rnn_grads(*a, loss="mse", last_only=True, bug=bug)  # noqa: E731
    passes(checks.check_many_to_one_grads, m21, capsys)
    for bug, kind in [("last_only", "accumulation"), ("tanh", "tanh"), ("off_by_one", "off_by_one"),
                      ("sum", "batch"), ("no_bias", "bias"), ("sign", "sign"), ("transposed", "transposed"),
                      ("transposed_rec", "transposed")]:
        expect(checks.check_many_to_one_grads, lambda *a, bug=bug: m21(*a, bug=bug), kind)
    wrong_shape = lambda *a: tuple(m21(*a))[:3] + (m21(*a).b[None, :], m21(*a).c)  # noqa: E731
    expect(checks.check_many_to_one_grads, wrong_shape, "shape")


def test_diagnosis_without_a_named_mistake():
    """Two mistakes at once match no single model: the message says where and how far instead."""
    def two_bugs(params, X, y):
        g = rnn_grads(params, X, y, loss="mse", last_only=True, bug="tanh")
        return g._replace(W=g.W * 1.1)
    with pytest.raises(CheckFailed) as info:
        checks.check_many_to_one_grads(two_bugs)
    msg = str(info.value)
    assert "entries are off" in msg and "Central differences" in msg and "expected" in msg


# ----------------------------------------------------------------------------- chapter 5

def test_chapter5(capsys):
    passes(checks.check_softmax, softmax, capsys)
    expect(checks.check_softmax, lambda O: np.exp(O) / np.exp(O).sum(1, keepdims=True), "overflow")
    expect(checks.check_softmax, lambda O: softmax(O.T).T, "axis")
    passes(checks.check_softmax_jacobian, lambda p: np.diag(p) - np.outer(p, p), capsys)
    expect(checks.check_softmax_jacobian, lambda p: -np.outer(p, p), "diag")
    expect(checks.check_softmax_jacobian, lambda p: np.outer(p, p) - np.diag(p), "sign")
    expect(checks.check_softmax_jacobian, lambda p: p, "shape")

    def nll(O, y, bug=None):
        N = O.shape[0]
        P = softmax(O)
        loss = -np.log(P[np.arange(N), y]).sum() / N
        P[np.arange(N), y] -= 1
        if bug == "sum":
            return loss * N, P
        if bug == "sign":
            return loss, -P / N
        if bug == "transposed":
            return loss, P.T / N
        if bug == "no_softmax":
            return loss, -np.eye(O.shape[1])[y] / N
        return loss, P / N
    passes(checks.check_nll_grad, nll, capsys)
    for bug, kind in [("sum", "batch"), ("sign", "sign"), ("transposed", "transposed"), ("no_softmax", "no_softmax")]:
        expect(checks.check_nll_grad, lambda O, y, bug=bug: nll(O, y, bug), kind)
    soft = lambda O, Y: (Y.sum(1, keepdims=True) * softmax(O) - Y) / O.shape[0]  # noqa: E731
    passes(checks.check_soft_target_grad, soft, capsys)
    expect(checks.check_soft_target_grad, lambda O, Y: (softmax(O) - Y) / O.shape[0], "sum_to_one")
    expect(checks.check_soft_target_grad, lambda O, Y: soft(O, Y) * O.shape[0], "batch")


# ----------------------------------------------------------------------------- chapter 6

def step_back(dh, x, h_prev, h, W, U, bug=None):
    d = dh if bug == "tanh" else (1 - h ** 2) * dh
    dW = d.T @ (h if bug == "off_by_one" else h_prev)
    if bug == "transposed":
        dW = h_prev.T @ d
    db = np.zeros(W.shape[0]) if bug == "no_bias" else d.sum(0)
    dh_prev = d @ W.T if bug == "transposed_rec" else d @ W
    out = [d @ U, dh_prev, dW, d.T @ x, db]
    return tuple(-o for o in out) if bug == "sign" else tuple(out)


def test_chapter6(capsys):
    passes(checks.check_step_backward, step_back, capsys)
    for bug, kind in [("tanh", "tanh"), ("off_by_one", "off_by_one"), ("transposed", "transposed"),
                      ("transposed_rec", "transposed"), ("no_bias", "bias"), ("sign", "sign")]:
        expect(checks.check_step_backward, lambda *a, bug=bug: step_back(*a, bug=bug), kind)
    m2m = lambda p, X, Y, h0, bug=None: rnn_grads(p, X, Y, loss="nll", h0=h0, bug=bug)  # noqa: E731
    passes(checks.check_many_to_many_grads, m2m, capsys)
    passes(checks.check_many_to_many_grads, m2m, capsys, seed=5, N=1, T=1, D=2, H=2, C=2)
    for bug, kind in [("no_carry", "accumulation"), ("tanh", "tanh"), ("off_by_one", "off_by_one"),
                      ("sum", "batch"), ("no_bias", "bias"), ("sign", "sign"), ("transposed_rec", "transposed"),
                      ("zero_h0", "h0"), ("transposed", "transposed")]:
        expect(checks.check_many_to_many_grads, lambda *a, bug=bug: m2m(*a, bug=bug), kind)
    last_loss = lambda p, X, Y, h0: rnn_grads(p, X, Y[:, -1], loss="nll", last_only=True, h0=h0)  # noqa: E731
    expect(checks.check_many_to_many_grads, last_loss, "accumulation")


# ----------------------------------------------------------------------------- chapter 7

def norms(params, X, gT, bug=None):
    W, U, V, b, c = params
    hs = forward(params, X)
    T = X.shape[1]
    g, out = gT, []
    for t in range(T, 0, -1):
        out.append(np.linalg.norm(g))
        fac = 1 if bug == "tanh" else 1 - (hs[t - 1] if bug == "off_by_one" else hs[t]) ** 2
        g = (g * fac) @ (W.T if bug == "transposed" else W)
    return np.array(out[::-1] if bug == "order" else out)


def test_chapter7(capsys):
    passes(checks.check_iir_impulse_response, lambda w, T: w ** np.arange(T), capsys)
    expect(checks.check_iir_impulse_response, lambda w, T: w ** np.arange(1, T + 1), "off_by_one")
    passes(checks.check_backward_norms, norms, capsys)
    for bug, kind in [("tanh", "tanh"), ("off_by_one", "off_by_one"), ("transposed", "transposed"), ("order", "order")]:
        expect(checks.check_backward_norms, lambda *a, bug=bug: norms(*a, bug=bug), kind)
    passes(checks.check_norm_bound, lambda W, k, g: np.linalg.norm(W, 2) ** k * g, capsys)
    expect(checks.check_norm_bound, lambda W, k, g: max(abs(np.linalg.eigvals(W))) ** k * g, "spectral_radius")
    expect(checks.check_norm_bound, lambda W, k, g: np.linalg.norm(W) ** k * g, "frobenius")


# ----------------------------------------------------------------------------- chapter 8

def clip(grads, thr, bug=None):
    n = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    if bug == "elementwise":
        return bptt.Params(*(np.clip(g, -thr, thr) for g in grads))
    if bug == "per_param":
        return bptt.Params(*(g * min(1, thr / np.linalg.norm(g)) for g in grads))
    if bug == "always":
        return grads.scale(thr / n)
    return grads.scale(min(1.0, thr / n))


def test_chapter8(capsys):
    passes(checks.check_clip_by_norm, clip, capsys)
    for bug, kind in [("elementwise", "elementwise_clip"), ("per_param", "per_param_clip"), ("always", "scaled_up")]:
        expect(checks.check_clip_by_norm, lambda g, t, bug=bug: clip(g, t, bug), kind)
    expect(checks.check_clip_by_norm, lambda g, t: clip(g, t).scale(-1), "sign")
    tr = lambda p, X, Y, k, bug=None: rnn_grads(p, X, Y, loss="mse", k=k, bug=bug)  # noqa: E731
    passes(checks.check_truncated_grads, tr, capsys)
    passes(checks.check_truncated_grads, tr, capsys, seed=2, k=1, T=4)
    for bug, kind in [("no_truncation", "no_truncation"), ("no_carry", "accumulation"), ("tanh", "tanh"),
                      ("off_by_one", "off_by_one"), ("sum", "batch"), ("no_bias", "bias"), ("sign", "sign")]:
        expect(checks.check_truncated_grads, lambda *a, bug=bug: tr(*a, bug=bug), kind)
    shifted = lambda p, X, Y, k: rnn_grads(p, X, Y, loss="mse", k=None) if False else _shifted(p, X, Y, k)  # noqa
    expect(checks.check_truncated_grads, shifted, "off_by_one")
    expect(checks.check_truncated_grads, lambda p, X, Y, k: mistakes._sliding_window(p, X, Y, k), "sliding_window")


def _shifted(params, X, Y, k):
    """Truncation whose chunks end one step early: the carry is cut when t % k == 0 (1-based t)."""
    W, U, V, b, c = params
    N, T, _ = X.shape
    hs = forward(params, X)
    grads = [np.zeros_like(p) for p in params]
    carry = np.zeros_like(hs[0])
    for t in range(T, 0, -1):
        dO = (hs[t] @ V.T + c - Y[:, t - 1]) / N
        grads[2] += dO.T @ hs[t]
        grads[4] += dO.sum(0)
        d = (1 - hs[t] ** 2) * (dO @ V + carry)
        grads[0] += d.T @ hs[t - 1]
        grads[1] += d.T @ X[:, t - 1]
        grads[3] += d.sum(0)
        carry = d @ W if t % k else np.zeros_like(carry)
    return bptt.Params(*grads)


# ----------------------------------------------------------------------------- the checker itself

@pytest.mark.parametrize("loss,last_only", [("mse", True), ("mse", False), ("nll", True), ("nll", False)])
def test_mistake_models_start_from_the_right_answer(loss, last_only):
    """The checker's per-step BPTT with no mistake equals the package's fast path (else every diagnosis is off)."""
    params, X, Y, h0 = mistakes._tiny_rnn(7, loss=loss, last_only=last_only)
    mine, _ = mistakes._rnn_variant(params, X, Y, loss=loss, last_only=last_only, h0=h0)
    ref = bptt.rnn.loss_and_grads(params, X, Y, loss=loss, h0=h0, last_only=last_only).grads
    assert max(bptt.rel_error(a, b) for a, b in zip(mine, ref)) < 1e-12
    for k in (1, 2, 3, 10):
        p, X2, Y2, _ = mistakes._tiny_rnn(8, T=7)
        mine, _ = mistakes._rnn_variant(p, X2, Y2, truncate=k)
        assert max(bptt.rel_error(a, b) for a, b in zip(mine, bptt.many_to_many(p, X2, Y2, truncate=k)[1])) < 1e-12


def test_truncated_surrogate_matches_the_package():
    """Central differences of the chunked surrogate loss reproduce many_to_many(..., truncate=k)."""
    params, X, Y, _ = mistakes._tiny_rnn(3, N=2, T=7, D=2, H=3, C=2)
    hs = forward(params, X)
    num = mistakes._numeric_params(lambda p: a08_truncation_clipping._surrogate_truncated_loss(p, X, Y, 3, hs), params)
    ref = bptt.many_to_many(params, X, Y, truncate=3)[1]
    assert max(bptt.rel_error(a, b) for a, b in zip(num, ref)) < 1e-7
