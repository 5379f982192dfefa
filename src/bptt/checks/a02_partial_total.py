"""Assignment 2, partial and total derivatives: copy_gradients, total_gradient, jacobian_tensor, grad_via_jacobian."""
import numpy as np

from ..gradcheck import numerical_gradient
from .engine import TOL, CheckFailed, _call, _check_outputs, _compare, _finish, _label, _Mismatch, _passed, _scalar, _unpack


def _scalar_rnn(seed, T):
    rng = np.random.default_rng(seed)
    w, u = float(rng.uniform(0.5, 1.2)), float(rng.uniform(0.5, 1.0))
    x = rng.normal(size=T)
    h0 = float(rng.uniform(-0.5, 0.5))
    y = float(rng.uniform(-0.5, 0.5))
    return w, u, x, h0, y


def _scalar_copies(w, u, x, h0, y, mistake=None):
    """Per-copy derivatives ∂L/∂w_t for h_t = tanh(w_t h_{t-1} + u x_t), L = ½(h_T - y)²."""
    T = len(x)
    hs = [h0]
    for t in range(T):
        hs.append(np.tanh(w * hs[-1] + u * x[t]))
    g = hs[T] - y
    out = np.zeros(T)
    for t in range(T - 1, -1, -1):
        d = g if mistake == "tanh" else g * (1 - hs[t + 1] ** 2)
        out[t] = d * (hs[t + 1] if mistake == "off_by_one" else hs[t])
        g = 0.0 if mistake == "direct_only" else w * d
    return out


def check_copy_gradients(fn, seed=0, T=4):
    """Check ``fn(w, u, x, h0, y) -> (T,)``: ∂L/∂w_t for each dummy copy w_t of the shared weight w.

    The scalar recurrence h_t = tanh(w h_{t-1} + u x_t), t = 1..T, L = ½(h_T - y)²; entry t-1 of the
    result is the partial derivative with respect to the copy used at step t.
    """
    w, u, x, h0, y = _scalar_rnn(seed, T)
    ref = _scalar_copies(w, u, x, h0, y)
    ws = np.full(T, w)

    def loss():
        h = h0
        for t in range(T):
            h = np.tanh(ws[t] * h + u * x[t])
        return 0.5 * (h - y) ** 2
    numeric = numerical_gradient(loss, ws)
    got = _call(fn, "copy_gradients", w, u, x, h0, y)
    mutants = [
        ("accumulation", "Only the copy at the last step is nonzero: you used the partial ∂L/∂h_t (zero for t < T) "
         "instead of the total dL/dh_t, which collects the path through h_{t+1}, ..., h_T.",
         _scalar_copies(w, u, x, h0, y, "direct_only")),
        ("off_by_one", "Each copy's term uses h_t; the copy w_t multiplies h_{t-1} in a_t = w_t h_{t-1} + u x_t.",
         _scalar_copies(w, u, x, h0, y, "off_by_one")),
        ("tanh", "The factors tanh'(a_t) = 1 - h_t² are missing.", _scalar_copies(w, u, x, h0, y, "tanh")),
        ("order", "Your copies come in reverse order: entry 0 is the copy used at step t = 1.", ref[::-1]),
    ]
    num = _check_outputs("copy_gradients", [got], [("the copies' gradients", ref, dict(
        mutants=mutants, numeric=numeric, time_axis=0))])
    _passed("copy_gradients", "the T per-copy derivatives", num)


def check_total_gradient(fn, seed=0, T=4):
    """Check ``fn(w, u, x, h0, y) -> float``: the total dL/dw of the scalar recurrence (see check_copy_gradients)."""
    w, u, x, h0, y = _scalar_rnn(seed, T)
    copies = _scalar_copies(w, u, x, h0, y)
    ref = float(copies.sum())
    wv = np.array([w])

    def loss():
        h = h0
        for t in range(T):
            h = np.tanh(wv[0] * h + u * x[t])
        return 0.5 * (h - y) ** 2
    numeric = numerical_gradient(loss, wv)
    value = _scalar(_call(fn, "total_gradient", w, u, x, h0, y), "total_gradient", "the result")
    mutants = [
        ("accumulation", "It equals the last copy's term alone; w is used at every step, so dL/dw is the sum of "
         "all T copies' derivatives.", copies[-1]),
        ("accumulation", "It equals the mean of the copies' derivatives; the total derivative is their sum.",
         copies.mean()),
        ("off_by_one", "Each step's term uses h_t where w multiplies h_{t-1}.",
         _scalar_copies(w, u, x, h0, y, "off_by_one").sum()),
        ("tanh", "The factors tanh'(a_t) = 1 - h_t² are missing.", _scalar_copies(w, u, x, h0, y, "tanh").sum()),
    ]
    num = _check_outputs("total_gradient", [np.array([value])], [("dL/dw", np.array([ref]), dict(
        numeric=numeric, mutants=[(k, t, np.array([v])) for k, t, v in mutants]))])
    _passed("total_gradient", "dL/dw", num)


def check_jacobian_tensor(fn, seed=0, N=3, D=2, H=4):
    """Check ``fn(X, H) -> J`` of shape (N, H, H, D) with J[n, i, j, k] = ∂Y[n, i]/∂W[j, k] for Y = X Wᵀ."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    W = rng.normal(size=(H, D))
    ref = np.einsum("ij,nk->nijk", np.eye(H), X)
    numeric = np.zeros_like(ref)
    eps = 1e-6
    for j in range(H):
        for k in range(D):
            Wp, Wm = W.copy(), W.copy()
            Wp[j, k] += eps
            Wm[j, k] -= eps
            numeric[:, :, j, k] = (X @ Wp.T - X @ Wm.T) / (2 * eps)
    got = _call(fn, "jacobian_tensor", X, H)
    num = _check_outputs("jacobian_tensor", [got], [("J", ref, dict(numeric=numeric))])
    _passed("jacobian_tensor", "the 4-D Jacobian", num)


def check_grad_via_jacobian(fn, seed=0, N=3, D=2, H=4):
    """Check ``fn(dY, J) -> dW`` (H, D): the contraction Σ_{n,i} dY[n, i] J[n, i, j, k], equal to dYᵀ X."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    dY = rng.normal(size=(N, H))
    J = np.einsum("ij,nk->nijk", np.eye(H), X)
    ref = dY.T @ X
    W = rng.normal(size=(H, D))
    numeric = numerical_gradient(lambda: float(np.sum(dY * (X @ W.T))), W)
    got = _call(fn, "grad_via_jacobian", dY, J)
    num = _check_outputs("grad_via_jacobian", [got], [("dW", ref, dict(numeric=numeric, n_batch=N))])
    _passed("grad_via_jacobian", "dW", num)
