"""Assignment 5, softmax and NLL: softmax, softmax_jacobian, nll_grad, soft_target_grad."""

import numpy as np

from ..gradcheck import numerical_gradient
from ..losses import cross_entropy, log_softmax, nll_loss, softmax, softmax_jacobian
from .engine import (
    _label,
    _passed,
    call,
    compare,
    compare_scalar,
    fail,
    unpack,
)

_SHIFT = (
    "exp(1000) is inf in float64: subtract each row's maximum before exp, "
    "softmax(o) = softmax(o - max(o)) (np.max(O, axis=1, keepdims=True))."
)
_LOGSM = (
    "log(softmax(o)) is log(0) = -inf once a probability underflows: compute log ŷ_y as "
    "(o_y - m) - log Σ_j exp(o_j - m) with m = max_j o_j (log-softmax), not as the log of the "
    "probability."
)


def _logit_cases(seed, N, C):
    """(what, O): moderate logits, logits near ±1000, one row [1e4, 0], a single example."""
    rng = np.random.default_rng(seed)
    O = rng.normal(size=(N, C))
    yield "moderate logits", O
    yield "logits near ±1000", O * 3 + np.resize([1000.0, -1000.0, 0.0, 700.0], N)[:, None]
    yield "the logits [[1e4, 0]]", np.array([[1e4, 0.0]])
    yield "one example", rng.normal(size=(1, C)) * 5


def check_softmax(fn, seed=0, N=4, C=5):
    """Check ``fn(O) -> P`` (N, C): row-wise softmax, finite even for logits of ±1000 and 1e4."""
    for what, logits in _logit_cases(seed, N, C):
        ref = softmax(logits)
        got = call(fn, "softmax", logits)
        g = np.asarray(got, dtype=float) if np.shape(got) == ref.shape else None
        if g is not None and not np.all(np.isfinite(g)) and what != "moderate logits":
            fail(
                "softmax",
                f"on {what}, P holds NaN or inf. Likely mistake: {_label('overflow')[16:]} "
                f"{_SHIFT}",
                kind="overflow",
            )
        e = np.exp(logits - logits.max(axis=0, keepdims=True))
        all_max = np.exp(logits - logits.max())
        muts = [
            (
                "axis",
                "Each column sums to 1, not each row: rows are examples, normalise along axis=1 "
                "(the "
                "classes).",
                e / e.sum(axis=0, keepdims=True),
            ),
            (
                "axis",
                "It normalises over the whole array: divide each row by its own sum (axis=1, "
                "keepdims=True).",
                all_max / all_max.sum(),
            ),
            (
                "no_softmax",
                "It returns exp(o) without dividing by the row's sum.",
                np.exp(logits - logits.max(1, keepdims=True)),
            ),
        ]
        compare("softmax", got, ref, muts, label="P", note=f"(on {what})")
    _passed("softmax", "the probabilities on moderate logits, ±1000 and 1e4")


def check_softmax_jacobian(fn, seed=0, C=4):
    """Check ``fn(p) -> J`` (C, C): J = diag(p) - p pᵀ, the Jacobian of softmax at logits with
    softmax = p.

    Tried on C given, C = 2, C = 6 and a peaked p.
    """
    rng = np.random.default_rng(seed)
    worst = 0.0
    for CC, spread in [(C, 1.0), (2, 1.0), (6, 1.0), (5, 4.0)]:
        o = rng.normal(size=CC) * spread
        p = softmax(o)
        ref = softmax_jacobian(p)
        numeric = np.zeros((CC, CC))
        ow = o.copy()
        for i in range(CC):
            numeric[i] = numerical_gradient(lambda: float(softmax(ow)[i]), ow)
        got = call(fn, "softmax_jacobian", p)
        muts = [
            (
                "diag",
                "It equals -p pᵀ: the diagonal term diag(p) is missing (∂p_i/∂o_i = p_i - p_i²).",
                -np.outer(p, p),
            ),
            (
                "diag",
                "It equals diag(p) alone: the term -p pᵀ is missing (every p_i depends on every "
                "o_j).",
                np.diag(p),
            ),
            (
                "diag",
                "It equals diag(p) - diag(p²): the off-diagonal entries -p_i p_j are missing.",
                np.diag(p) - np.diag(p**2),
            ),
            (
                "outer",
                "It subtracts p @ p, the number Σ_i p_i², from every entry: the term is the outer "
                "product p pᵀ, a (C, C) matrix (np.outer(p, p)).",
                np.diag(p) - p @ p,
            ),
            (
                "sign",
                "It equals diag(p) + p pᵀ: the outer product enters with a minus sign.",
                np.diag(p) + np.outer(p, p),
            ),
            (
                "outer",
                "It uses p (1 - p)ᵀ: the diagonal is p_i(1 - p_i), but off the diagonal ∂p_i/∂o_j "
                "= -p_i p_j.",
                np.outer(p, 1 - p),
            ),
        ]
        num = compare(
            "softmax_jacobian", got, ref, muts, label="J", numeric=numeric, note=f"(C = {CC})"
        )
        worst = max(worst, num)
    _passed("softmax_jacobian", "J", worst)


def _one_nll(fn, O, y, what):
    N, C = O.shape
    ref_loss, ref = nll_loss(O, y)
    Ow = O.copy()
    numeric = numerical_gradient(lambda: nll_loss(Ow, y)[0], Ow)
    out = unpack(call(fn, "nll_grad", O, y), "nll_grad", ["loss", "dO"])
    onehot = np.eye(C)[y]
    p = softmax(O)
    if (
        not (
            np.all(np.isfinite(np.asarray(out[0], dtype=float)))
            and np.all(np.isfinite(np.asarray(out[1], dtype=float)))
        )
        and what != "moderate logits"
    ):
        kind, why = (
            ("no_shift", _SHIFT) if what == "logits near 1000" else ("log_of_softmax", _LOGSM)
        )
        fail(
            "nll_grad",
            f"on {what}, the result holds NaN or inf. Likely mistake: {_label(kind)[16:]} {why}",
            kind=kind,
        )
    logp = log_softmax(O)[np.arange(N), y]
    compare_scalar(
        "nll_grad",
        out[0],
        ref_loss,
        [
            (
                "batch",
                f"Your loss is N = {N} times the right one: average over the N rows.",
                -logp.sum(),
            ),
            (
                "sign",
                "The NLL is -log ŷ_y, a positive number: the minus sign is missing.",
                logp.mean(),
            ),
            (
                "factor",
                "It averages -log ŷ over all classes, not only the label's: L = -(1/N) Σ_n log "
                "ŷ_n[y_n].",
                -log_softmax(O).mean(),
            ),
            (
                "no_softmax",
                "It is -o_y without the log-sum-exp: log ŷ_y = o_y - log Σ_j exp(o_j).",
                -O[np.arange(N), y].mean(),
            ),
        ]
        if N > 1
        else [
            (
                "sign",
                "The NLL is -log ŷ_y, a positive number: the minus sign is missing.",
                logp.mean(),
            )
        ],
        label=f"loss (on {what})",
    )
    muts = [
        (
            "no_softmax",
            "It equals -onehot(y)/N: the softmax term is missing (dL/do = (softmax(o) - "
            "onehot(y))/N).",
            -onehot / N,
        ),
        (
            "sign",
            "It equals (onehot(y) - ŷ)/N: the sign is flipped, dL/do = (ŷ - onehot(y))/N.",
            (onehot - p) / N,
        ),
        (
            "no_softmax",
            "It equals ŷ/N: the -onehot(y) term is missing (dL/do = (ŷ - onehot(y))/N).",
            p / N,
        ),
    ]
    return compare(
        "nll_grad",
        out[1],
        ref,
        muts,
        label="dO",
        numeric=numeric,
        n_batch=N,
        note=f"(on {what}, N = {N}, C = {C})",
    )


def check_nll_grad(fn, seed=0, N=4, C=5):
    """Check ``fn(O, y) -> (loss, dO)``: mean NLL of labels y (N,) under softmax(O), O (N, C), dO
    (N, C).

    Tried on moderate logits, logits near 1000 (a log that cannot overflow), rows whose label's
    probability underflows, and a single example.
    """
    rng = np.random.default_rng(seed)
    O = rng.normal(size=(N, C)) * 2
    y = rng.integers(0, C, size=N)
    gap = O.copy()
    gap[np.arange(N), y] -= 800.0  # ŷ_y = exp(-800) underflows to 0
    worst = 0.0
    for what, OO, yy in [
        ("moderate logits", O, y),
        ("logits near 1000", O + 1000.0, y),
        ("logits whose label's probability underflows", gap, y),
        ("one example", rng.normal(size=(1, 2)), rng.integers(0, 2, size=1)),
    ]:
        worst = max(worst, _one_nll(fn, OO, yy, what))
    _passed("nll_grad", "loss and dO, logits up to 1000", worst)


def check_soft_target_grad(fn, seed=0, N=4, C=3):
    """Check ``fn(O, Y) -> dO`` (N, C) for L = -(1/N) Σ_n Σ_i Y[n, i] log softmax(O[n])_i, rows of Y
    any sum."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for NN, CC in [(N, C), (2, 5), (1, 3)]:
        O = rng.normal(size=(NN, CC))
        Y = rng.uniform(0.1, 1.0, size=(NN, CC))
        Y *= rng.uniform(0.4, 2.0, size=(NN, 1)) / Y.sum(axis=1, keepdims=True)  # row sums 0.4 to 2
        Y[0] *= 1.7 / Y[0].sum()  # a row sum other than 1 in every case
        _, ref = cross_entropy(O, Y)
        Ow = O.copy()
        numeric = numerical_gradient(lambda: cross_entropy(Ow, Y)[0], Ow)
        got = call(fn, "soft_target_grad", O, Y)
        p = softmax(O)
        s = Y.sum(axis=1, keepdims=True)
        muts = [
            (
                "sum_to_one",
                "It equals (ŷ - y)/N, which holds only when each target row sums to 1; in general "
                "dL/do = ((Σ_i y_i) ŷ - y)/N.",
                (p - Y) / NN,
            ),
            ("sign", "It equals (y - (Σ_i y_i) ŷ)/N: the sign is flipped.", (Y - s * p) / NN),
            (
                "sum_to_one",
                "It normalises the targets first: the loss weighs log ŷ_i by y_i as given, so "
                "dL/do = ((Σ_i y_i) ŷ - y)/N.",
                (p - Y / s) / NN,
            ),
            ("no_softmax", "It equals -y/N: the softmax term (Σ_i y_i) ŷ is missing.", -Y / NN),
        ]
        num = compare(
            "soft_target_grad",
            got,
            ref,
            muts,
            label="dO",
            numeric=numeric,
            n_batch=NN,
            note=f"(N = {NN}, C = {CC})",
        )
        worst = max(worst, num)
    _passed("soft_target_grad", "dO", worst)
