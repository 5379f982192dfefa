"""Assignment 5, softmax and NLL: softmax, softmax_jacobian, nll_grad, soft_target_grad."""
import numpy as np

from ..gradcheck import numerical_gradient
from ..losses import cross_entropy, nll_loss
from ..losses import softmax as _softmax
from .engine import TOL, CheckFailed, _call, _check_outputs, _compare, _finish, _label, _Mismatch, _passed, _scalar, _unpack


def check_softmax(fn, seed=0, N=4, C=5):
    """Check ``fn(O) -> P`` (N, C): row-wise softmax, finite even for logits near 1000."""
    rng = np.random.default_rng(seed)
    O = rng.normal(size=(N, C))
    big = O * 3 + np.resize([1000.0, -1000.0, 0.0, 700.0], N)[:, None]
    problems = []
    for what, logits in [("moderate logits", O), ("logits near ±1000", big)]:
        ref = _softmax(logits)
        got = _call(fn, "softmax", logits.copy())
        e = np.exp(logits - logits.max(axis=0, keepdims=True))
        muts = [("axis", "Each column sums to 1, not each row: rows are examples, normalise along axis=1 (the classes).",
                 e / e.sum(axis=0, keepdims=True))]
        try:
            _compare(got, ref, mutants=muts, symbol="P")
        except _Mismatch as m:
            if m.kind == "nonfinite" and what.startswith("logits near"):
                m = _Mismatch("overflow", f"{_label('overflow')} exp(1000) is inf in float64. Subtract each row's "
                                          f"maximum before exp: softmax(o) = softmax(o - max(o)).")
            problems.append((what, m))
            break
    _finish("softmax", problems)
    _passed("softmax", "the probabilities")


def check_softmax_jacobian(fn, seed=0, C=4):
    """Check ``fn(p) -> J`` (C, C): J = diag(p) - p pᵀ, the Jacobian of softmax at logits with softmax = p."""
    rng = np.random.default_rng(seed)
    o = rng.normal(size=C)
    p = _softmax(o)
    ref = np.diag(p) - np.outer(p, p)
    numeric = np.zeros((C, C))
    ow = o.copy()
    for i in range(C):
        numeric[i] = numerical_gradient(lambda: float(_softmax(ow)[i]), ow)
    got = _call(fn, "softmax_jacobian", p.copy())
    muts = [
        ("diag", "It equals -p pᵀ: the diagonal term diag(p) is missing (∂p_i/∂o_i = p_i - p_i²).", -np.outer(p, p)),
        ("diag", "It equals diag(p) alone: the term -p pᵀ is missing (every p_i depends on every o_j).", np.diag(p)),
        ("diag", "It equals diag(p) - diag(p²): the off-diagonal entries -p_i p_j are missing.",
         np.diag(p) - np.diag(p ** 2)),
    ]
    num = _check_outputs("softmax_jacobian", [got], [("J", ref, dict(mutants=muts, numeric=numeric))])
    _passed("softmax_jacobian", "J", num)


def check_nll_grad(fn, seed=0, N=4, C=5):
    """Check ``fn(O, y) -> (loss, dO)``: mean NLL of labels y (N,) under softmax(O), O (N, C), dO (N, C)."""
    rng = np.random.default_rng(seed)
    O = rng.normal(size=(N, C)) * 2
    y = rng.integers(0, C, size=N)
    ref_loss, ref = nll_loss(O, y)
    Ow = O.copy()
    numeric = numerical_gradient(lambda: nll_loss(Ow, y)[0], Ow)
    out = _unpack(_call(fn, "nll_grad", O, y), "nll_grad", ["loss", "dO"])
    problems = []
    value = _scalar(out[0], "nll_grad", "loss")
    if abs(value - ref_loss) > TOL * abs(ref_loss):
        r = value / ref_loss
        if abs(r - N) < 1e-6 * N:
            problems.append(("loss", _Mismatch("batch", f"{_label('batch')} Your loss is N = {N} times the right "
                                                        f"one: average over the N rows.")))
        elif abs(r + 1) < 1e-6:
            problems.append(("loss", _Mismatch("sign", f"{_label('sign')} The NLL is -log p[y], a positive number.")))
        else:
            problems.append(("loss", _Mismatch(None, f"{value:.6g}, expected {ref_loss:.6g}.")))
    onehot = np.eye(C)[y]
    muts = [("no_softmax", "It equals -onehot(y)/N: the softmax term is missing (dL/do = (softmax(o) - onehot(y))/N).",
             -onehot / N)]
    num = None
    try:
        num = _compare(out[1], ref, mutants=muts, numeric=numeric, n_batch=N, symbol="dO")
    except _Mismatch as m:
        problems.append(("dO", m))
    _finish("nll_grad", problems)
    _passed("nll_grad", "loss and dO", num)


def check_soft_target_grad(fn, seed=0, N=4, C=3):
    """Check ``fn(O, Y) -> dO`` (N, C) for L = -(1/N) Σ_n Σ_i Y[n, i] log softmax(O[n])_i, rows of Y any sum."""
    rng = np.random.default_rng(seed)
    O = rng.normal(size=(N, C))
    Y = rng.uniform(0.1, 1.0, size=(N, C))
    Y *= rng.uniform(0.4, 2.0, size=(N, 1)) / Y.sum(axis=1, keepdims=True)   # row sums between 0.4 and 2
    _, ref = cross_entropy(O, Y)
    Ow = O.copy()
    numeric = numerical_gradient(lambda: cross_entropy(Ow, Y)[0], Ow)
    got = _call(fn, "soft_target_grad", O, Y)
    muts = [("sum_to_one", "It equals (ŷ - y)/N, which holds only when each target row sums to 1; in general "
             "dL/do = ((Σ_i y_i) ŷ - y)/N.", (_softmax(O) - Y) / N)]
    num = _check_outputs("soft_target_grad", [got], [("dO", ref, dict(mutants=muts, numeric=numeric, n_batch=N))])
    _passed("soft_target_grad", "dO", num)
