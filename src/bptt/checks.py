"""The checks that the assignments call: is a student's function right, and if not, what is wrong?

Each ``check_<task>(fn)`` runs the student's ``fn`` on small seeded float64 inputs, compares its
result with the reference (the package's own implementation) and with central differences, and

- prints one line starting with ``passed:`` when every output agrees with the reference to a
  relative error below 1e-7;
- raises :class:`CheckFailed` (an ``AssertionError``, so nbgrader marks the cell as failed) whose
  message names the mistake the numbers point to: it recomputes the answer with each classic
  mistake planted (transposed gradient, missing tanh' factor, no accumulation across time steps,
  off-by-one h_{t-1} against h_t, sum against mean over the batch, missing bias gradient, sign
  error, wrong shape, and a few that belong to one task) and says which one the student's numbers
  reproduce; when none does, it says where the result is wrong (which entries, how far, which
  time steps) and how far it is from central differences;
- raises :class:`CheckFailed` with a "not done yet" message when ``fn`` still raises
  ``NotImplementedError`` (an untouched solution cell).

The message is the whole traceback a notebook shows (``CheckFailed._render_traceback_``): no
frames from this module. Warnings from the student's code (overflow and the like) are silenced,
so nothing reaches stderr; a non-finite result is reported instead.

Math and code follow the book: a_t = W h_{t-1} + U x_t + b, h_t = tanh(a_t), o_t = V h_t + c,
batch first in code (X of shape (N, T, D)), losses averaged over the batch and summed over steps.
"""
import traceback
import warnings

import numpy as np

from .data import random_problem
from .gradcheck import numerical_gradient, rel_error
from .losses import cross_entropy, mse_loss, nll_loss
from .losses import softmax as _softmax
from .params import Params, init_params
from .rnn import backward_details, many_to_many, many_to_one
from .rnn import step_backward as _step_backward

TOL = 1e-7        # a student's result passes when its relative error to the reference is below this
MATCH = 1e-6      # a planted mistake "explains" a result that agrees with it this closely (or closer, see _matches)

# The kinds of mistake a message can name: key -> the words the message uses (tests look for them).
KINDS = {
    "not_done": "not done yet",
    "exception": "your function raised an error",
    "shape": "wrong shape",
    "nonfinite": "NaN or inf in the result",
    "transposed": "transposed gradient",
    "tanh": "missing tanh' factor",
    "accumulation": "no accumulation across time steps",
    "off_by_one": "off-by-one in time",
    "batch": "sum against mean over the batch",
    "bias": "missing bias gradient",
    "sign": "sign error",
    "factor": "wrong constant factor",
    "h0": "initial state ignored",
    "order": "wrong order",
    "forward_difference": "forward difference instead of central difference",
    "not_restored": "x not restored",
    "copy": "f never saw the perturbation",
    "abs_error": "absolute instead of relative error",
    "asymmetric": "not symmetric in a and b",
    "zero_case": "0/0 when both are zero",
    "flagged": "wrong parameters flagged",
    "overflow": "softmax overflows",
    "axis": "softmax over the wrong axis",
    "diag": "diag(p) term missing",
    "no_softmax": "softmax term missing",
    "sum_to_one": "assumed the targets sum to 1",
    "spectral_radius": "spectral radius instead of spectral norm",
    "frobenius": "Frobenius norm instead of spectral norm",
    "elementwise_clip": "clipped each entry instead of the norm",
    "per_param_clip": "clipped each parameter separately",
    "scaled_up": "rescaled a gradient below the threshold",
    "no_truncation": "no truncation",
    "sliding_window": "sliding-window truncation",
}


class CheckFailed(AssertionError):
    """Raised by every check that does not pass. ``kind`` is a key of ``KINDS`` (or None).

    In a notebook only the message is shown (no traceback into this module).
    """

    def __init__(self, message, kind=None):
        super().__init__(message)
        self.kind = kind

    def _render_traceback_(self):
        head = "Not done yet" if self.kind == "not_done" else "Check failed"
        return [f"\x1b[1;31m{head}\x1b[0m", *str(self).splitlines()]


class _Mismatch(Exception):
    """Internal: one output is wrong; kind + explanation, collected into a CheckFailed."""

    def __init__(self, kind, text):
        super().__init__(text)
        self.kind = kind
        self.text = text


def _label(kind):
    return f"Likely mistake: {KINDS[kind]}." if kind in KINDS else ""


# ----------------------------------------------------------------------------- running the student's code

def _call(fn, name, *args, copy=True, **kwargs):
    """Call the student's function (on copies of array arguments unless copy=False).

    NotImplementedError becomes the "not done yet" CheckFailed; any other exception a CheckFailed
    that shows the student's own line.
    """
    if not callable(fn):
        raise CheckFailed(f"{name} must be a function; got {type(fn).__name__}. Run the cell that defines "
                          f"`{name}` and pass the function itself (no parentheses) to the check.", "exception")
    if copy:
        args = [a.copy() if isinstance(a, (np.ndarray, Params)) else a for a in args]
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)
    except NotImplementedError as exc:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
        where = frames[-1].name if frames else name
        via = f" (it calls `{where}`, which is not written yet)" if where not in (name, "<module>", "<lambda>") else ""
        raise CheckFailed(
            f"not done yet: `{name}` still raises NotImplementedError{via}.\n"
            f"Replace the line `raise NotImplementedError()` in the cell that defines `{where if via else name}` "
            f"with your code, run that cell, then run this check again.", "not_done") from None
    except CheckFailed:
        raise
    except Exception as exc:  # the student's code failed: show where, without our frames
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
        where = ""
        if frames:
            f = frames[-1]
            where = f"\n  in `{f.name}`, line {f.lineno}: {f.line}" if f.line else f"\n  in `{f.name}`, line {f.lineno}"
        kind = "exception"
        hint = ""
        text = str(exc)
        if isinstance(exc, ValueError) and ("shape" in text or "matmul" in text or "broadcast" in text):
            kind = "shape"
            hint = ("\nThe shapes in one product do not fit: batch first, rows are examples "
                    "(X is (N, D), W is (H, D), so X @ W.T is (N, H)).")
        raise CheckFailed(f"Check stopped: {KINDS['exception']}.\n"
                          f"`{name}` raised {type(exc).__name__}: {text}{where}{hint}\n"
                          f"{_label(kind) if kind == 'shape' else ''}".rstrip(), kind) from None


def _unpack(result, name, outputs):
    """Split a returned tuple into the named outputs; CheckFailed when the count is wrong."""
    if len(outputs) == 1:
        return [result]
    if isinstance(result, dict):
        missing = [o for o in outputs if o not in result]
        if not missing:
            return [result[o] for o in outputs]
    if not isinstance(result, (tuple, list)) or len(result) != len(outputs):
        got = f"{len(result)} values" if isinstance(result, (tuple, list)) else f"a {type(result).__name__}"
        raise CheckFailed(f"`{name}` must return {len(outputs)} values ({', '.join(outputs)}); it returned {got}.\n"
                          f"{_label('shape')}", "shape")
    return list(result)


def _finish(name, problems, note=""):
    """Raise one CheckFailed for all collected problems, or print the passed line."""
    if problems:
        kinds = [p.kind for _, p in problems if p.kind]
        named = [k for k in kinds if k not in ("factor", "exception")]
        kind = named[0] if named else (kinds[0] if kinds else None)
        lines = [f"{name} is not right yet."]
        groups = {}                                   # one line per distinct diagnosis
        for what, p in problems:
            groups.setdefault(p.text, []).append(what)
        for text, whats in groups.items():
            lines.append(f"- {', '.join(whats)}: {text}")
        if note:
            lines.append(note)
        raise CheckFailed("\n".join(lines), kind)


def _passed(name, what, numeric_error=None):
    """Print the one-line success message. numeric_error: worst relative error against central differences."""
    line = f"passed: {name} (checked {what}: relative error < 1e-7 against the reference"
    if numeric_error is not None:
        bound = "< 1e-6" if numeric_error < 1e-6 else f"{numeric_error:.0e}"
        line += f", {bound} against central differences"
    print(line + ")")


# ----------------------------------------------------------------------------- comparing one output

def _matches(got, candidate, ref):
    """True when ``got`` agrees with a planted-mistake ``candidate`` much better than with ``ref``."""
    if candidate is None or np.shape(candidate) != got.shape:
        return False
    gap = rel_error(candidate, ref) if np.shape(ref) == got.shape else 1.0
    if gap < TOL:        # the mistake would pass the check itself: it explains nothing
        return False
    return rel_error(got, candidate) < min(MATCH, 0.05 * gap)


def _fmt_index(idx):
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def _locate(got, ref, time_axis=None, time_offset=1):
    """Where ``got`` differs from ``ref``: count, worst entries, and time steps / rows / columns."""
    diff = np.abs(got - ref)
    scale = max(float(np.abs(ref).max()), 1e-300)
    bad = diff > 1e-6 * scale
    n_bad, total = int(bad.sum()), bad.size
    order = np.argsort(diff.ravel())[::-1][:3]
    worst = []
    for flat in order:
        if not bad.ravel()[flat]:
            break
        idx = np.unravel_index(flat, got.shape)
        worst.append(f"{_fmt_index(idx)} is {got[idx]:.4g}, expected {ref[idx]:.4g}")
    lines = [f"{n_bad} of {total} entries are off (the largest difference is {diff.max():.2g}, "
             f"the largest entry {scale:.2g})" + (": " + "; ".join(worst) if worst else "") + "."]
    if time_axis is not None and got.ndim > time_axis:
        other = tuple(a for a in range(got.ndim) if a != time_axis)
        wrong_t = np.nonzero(bad.any(axis=other))[0]
        right_t = np.nonzero(~bad.any(axis=other))[0]
        if len(wrong_t) and len(right_t):
            lines.append(f"Wrong at t = {', '.join(str(t + time_offset) for t in wrong_t)}; "
                         f"right at t = {', '.join(str(t + time_offset) for t in right_t)}.")
    elif got.ndim == 2 and 0 < n_bad < total:
        rows = np.nonzero(bad.any(axis=1))[0]
        cols = np.nonzero(bad.any(axis=0))[0]
        if len(rows) < got.shape[0]:
            lines.append(f"Only rows {', '.join(map(str, rows))} are wrong.")
        elif len(cols) < got.shape[1]:
            lines.append(f"Only columns {', '.join(map(str, cols))} are wrong.")
    return " ".join(lines)


def _compare(got, ref, mutants=(), numeric=None, n_batch=None, bias=False, time_axis=None,
             time_offset=1, symbol="it", tol=TOL):
    """Compare one output with the reference. Returns None when right, else raises _Mismatch.

    mutants: sequence of (kind, explanation, array) -- the answer with one mistake planted.
    numeric: central differences of the same quantity (or None). n_batch: N, to name a factor N.
    bias: the output is a bias gradient (all zeros -> "missing bias gradient").
    """
    ref = np.asarray(ref, dtype=float)
    if got is None:
        raise _Mismatch("bias" if bias else "shape",
                        f"{symbol} is None: the function must return it"
                        f"{' (the bias gradient is the sum of δ over the batch and the steps)' if bias else ''}. "
                        f"{_label('bias' if bias else 'shape')}")
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise _Mismatch("shape", f"{symbol} is not an array of numbers (got {type(got).__name__}). "
                        f"{_label('shape')}") from None
    if got.shape != ref.shape:
        if got.ndim == 2 and got.shape == ref.shape[::-1] and np.all(np.isfinite(got)) \
                and rel_error(got.T, ref) < MATCH:
            raise _Mismatch("transposed", f"{_label('transposed')} {symbol} has shape {got.shape} and equals "
                            f"the right answer transposed (expected shape {ref.shape}). Batch first, the gradient "
                            f"of a weight that maps inputs to outputs is deltaᵀ @ inputs: (out, N) @ (N, in).")
        for kind, text, arr in mutants:
            if arr is not None and np.shape(arr) == got.shape and np.all(np.isfinite(got)) \
                    and rel_error(got, arr) < MATCH:
                raise _Mismatch(kind, f"{_label(kind)} {text} (and the shape is {got.shape}, expected {ref.shape}).")
        hint = ""
        if got.ndim == ref.ndim + 1 and got.shape[1:] == ref.shape and np.all(np.isfinite(got)) \
                and rel_error(got.sum(axis=0), ref) < MATCH:
            hint = " It still has the batch axis: sum over it (axis 0)."
        elif got.ndim == 2 and got.shape == ref.shape[::-1]:
            hint = " That is the transposed shape."
        elif got.size == ref.size:
            hint = " Same number of entries, other arrangement: check the order of the axes."
        raise _Mismatch("shape", f"{_label('shape')} {symbol} has shape {got.shape}, expected {ref.shape}.{hint}")
    if not np.all(np.isfinite(got)):
        raise _Mismatch("nonfinite", f"{symbol} holds NaN or inf ({int((~np.isfinite(got)).sum())} entries). "
                        f"{_label('nonfinite')}")
    err = rel_error(got, ref)
    if err < tol:
        return rel_error(got, np.asarray(numeric, dtype=float)) if numeric is not None else None
    for kind, text, arr in mutants:
        if _matches(got, np.asarray(arr, dtype=float) if arr is not None else None, ref):
            raise _Mismatch(kind, f"{_label(kind)} {text}")
    if bias and not np.any(got):
        raise _Mismatch("bias", f"{_label('bias')} {symbol} is all zeros. The bias enters every row (and every "
                        f"time step), so its gradient is the sum of δ over the batch (and over t).")
    if got.ndim == 2 and got.shape[0] == got.shape[1] and rel_error(got, ref.T) < MATCH:
        raise _Mismatch("transposed", f"{_label('transposed')} {symbol} equals the right answer transposed. "
                        f"Batch first, dL/dW = deltaᵀ @ H_prev, not H_prevᵀ @ delta.")
    denom = float(np.vdot(ref, ref))
    if denom > 0:
        s = float(np.vdot(got, ref)) / denom
        if s != 0 and abs(s - 1) > 1e-6 and rel_error(got, s * ref) < MATCH:
            if abs(s + 1) < 1e-6:
                raise _Mismatch("sign", f"{_label('sign')} {symbol} is the right answer times -1 "
                                f"(look for o - y against y - o, or a minus sign that should not be there).")
            if n_batch and n_batch > 1 and abs(s - n_batch) < 1e-6 * n_batch:
                raise _Mismatch("batch", f"{_label('batch')} {symbol} is N = {n_batch} times the right answer: "
                                f"the loss is the mean over the N examples, so the gradient carries a factor 1/N.")
            if n_batch and n_batch > 1 and abs(s * n_batch - 1) < 1e-6:
                raise _Mismatch("batch", f"{_label('batch')} {symbol} is 1/N = 1/{n_batch} of the right answer: "
                                f"the 1/N of the mean is applied twice (once is enough).")
            raise _Mismatch("factor", f"{_label('factor')} {symbol} is {s:.4g} times the right answer: "
                            f"the direction is right, the scale is not.")
    if not np.any(got):
        raise _Mismatch("bias" if bias else "factor", f"{symbol} is all zeros. {_label('bias') if bias else ''}".strip())
    text = f"relative error {err:.1e} against the reference. " + _locate(got, ref, time_axis, time_offset)
    if numeric is not None:
        numeric = np.asarray(numeric, dtype=float)
        text += (f" Central differences: {rel_error(got, numeric):.1e} from yours, "
                 f"{rel_error(ref, numeric):.1e} from the reference.")
    raise _Mismatch(None, text)


def _check_outputs(name, results, specs, note=""):
    """Compare several outputs; specs: list of (label, ref, kwargs for _compare)."""
    problems, worst = [], None
    for got, (label, ref, kw) in zip(results, specs):
        try:
            e = _compare(got, ref, symbol=label, **kw)
            if e is not None:
                worst = e if worst is None else max(worst, e)
        except _Mismatch as m:
            problems.append((label, m))
    _finish(name, problems, note)
    return worst


def _scalar(value, name, label):
    try:
        return float(np.asarray(value, dtype=float))
    except (TypeError, ValueError):
        raise CheckFailed(f"{name}: {label} must be a single number; got {type(value).__name__} "
                          f"with shape {np.shape(value)}.\n{_label('shape')}", "shape") from None


# ----------------------------------------------------------------------------- chapter 1: dense layer

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


# ----------------------------------------------------------------------------- chapter 2: partial vs total

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


# ----------------------------------------------------------------------------- chapter 3: gradient checking

def _test_function(seed, shape):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    a = rng.normal(size=shape)

    def f():
        return float(np.sum(a * np.sin(x)) + 0.25 * np.sum(x ** 2) ** 2)

    def grad():
        return a * np.cos(x) + np.sum(x ** 2) * x
    return x, f, grad


def check_central_difference(fn, seed=0, shape=(3, 4)):
    """Check ``fn(f, x, eps=1e-6) -> array like x``: central differences of f() with respect to x, x restored."""
    x, f, grad = _test_function(seed, shape)
    ref = grad()
    before = x.copy()
    got = _call(fn, "central_difference", f, x, copy=False)   # f reads this very x
    problems = []
    if not np.array_equal(x, before):
        moved = int(np.sum(x != before))
        problems.append(("x", _Mismatch("not_restored", f"{_label('not_restored')} After your function, {moved} "
                                        f"entries of x differ from what they were: put each entry back after the "
                                        f"two evaluations of f (or every later check reads a changed x).")))
        x[...] = before
    for eps, tol in [(1e-6, TOL), (1e-4, 1e-6)]:
        if problems:
            break
        if eps != 1e-6:               # a larger step: forward differences are off by O(eps), central by O(eps²)
            got = _call(fn, "central_difference", f, x, copy=False, eps=eps)
            x[...] = before
        fwd = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            old = x[idx]
            x[idx] = old + eps
            fp = f()
            x[idx] = old
            fwd[idx] = (fp - f()) / eps
        mutants = [
            ("forward_difference", "Yours matches the one-sided (f(x + eps) - f(x)) / eps, whose error is O(eps); "
             "central differences (f(x + eps) - f(x - eps)) / (2 eps) have an O(eps²) error.", fwd),
            ("factor", "Yours is twice the right answer: the two evaluations are 2·eps apart, so divide by 2·eps.",
             2 * ref),
            ("factor", "Yours is half the right answer: divide by 2·eps, not by 4·eps.", ref / 2),
        ]
        try:
            _compare(got, ref, mutants=mutants, symbol="the gradient", tol=tol)
        except _Mismatch as m:
            if np.shape(got) == ref.shape and not np.any(np.asarray(got, dtype=float)):
                m = _Mismatch("copy", f"{_label('copy')} Every entry is 0: f reads the array x itself, so change "
                              f"x in place (x[idx] = old + eps), not a copy of it.")
            problems.append((f"the gradient (eps = {eps:g})", m))
    _finish("central_difference", problems)
    _passed("central_difference", "the central differences of a test function")


def _ref_rel_error(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    s = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if s == 0 else float(np.linalg.norm(a - b) / s)


def check_relative_error(fn, seed=0):
    """Check ``fn(a, b) -> float``: ‖a - b‖ / max(‖a‖, ‖b‖), and 0.0 when a and b are both zero."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(3, 4))
    b = a + 1e-3 * rng.normal(size=(3, 4))
    c = 5.0 * rng.normal(size=(3, 4))
    probes = [(a, b), (b, a), (a, c), (c, a), (a, 1e6 * a), (np.zeros(3), np.zeros(3)), (1e-12 * a, 2e-12 * a)]
    ref = np.array([_ref_rel_error(p, q) for p, q in probes])
    got = []
    for p, q in probes:
        got.append(_scalar(_call(fn, "relative_error", p, q), "relative_error", "the result"))
    got = np.array(got)
    problems = []
    norm = np.linalg.norm
    cands = [
        ("abs_error", "Yours is the absolute error ‖a - b‖: divide by max(‖a‖, ‖b‖), so that the size of the "
         "numbers does not matter.", [norm(p - q) for p, q in probes]),
        ("asymmetric", "Yours divides by ‖a‖ only: relative_error(a, b) must equal relative_error(b, a); divide by "
         "max(‖a‖, ‖b‖).", [norm(p - q) / norm(p) if norm(p) else np.nan for p, q in probes]),
        ("asymmetric", "Yours divides by ‖b‖ only: divide by max(‖a‖, ‖b‖) so the result is symmetric.",
         [norm(p - q) / norm(q) if norm(q) else np.nan for p, q in probes]),
        ("factor", "Yours divides by ‖a‖ + ‖b‖; the book divides by max(‖a‖, ‖b‖).",
         [norm(p - q) / (norm(p) + norm(q)) if norm(p) + norm(q) else np.nan for p, q in probes]),
    ]
    finite = np.isfinite(got)
    if not finite[5] and np.all(finite[:5]) and rel_error(got[:5], ref[:5]) < TOL:
        problems.append(("both zero", _Mismatch("zero_case", f"{_label('zero_case')} For a = b = 0 you return "
                                                f"{got[5]}: return 0.0 when max(‖a‖, ‖b‖) is 0.")))
    else:
        for kind, text, vals in cands:
            vals = np.array(vals, dtype=float)
            m = np.isfinite(vals) & finite
            if m[:5].all() and np.allclose(got[m], vals[m], rtol=1e-9, atol=0) and not np.allclose(vals[:5], ref[:5]):
                problems.append(("the result", _Mismatch(kind, f"{_label(kind)} {text}")))
                break
        else:
            bad = [i for i in range(len(probes)) if not (np.isfinite(got[i]) and abs(got[i] - ref[i]) <= 1e-9 * max(ref[i], 1e-300))]
            if bad:
                i = bad[0]
                problems.append(("the result", _Mismatch(None, f"wrong on {len(bad)} of {len(probes)} test pairs; "
                                                          f"for pair {i} you return {got[i]:.4g}, expected {ref[i]:.4g}.")))
    _finish("relative_error", problems)
    _passed("relative_error", f"{len(probes)} test pairs")


def _tiny_rnn(seed, N=3, T=4, D=3, H=4, C=3, loss="mse", last_only=False):
    return random_problem(N, T, D, H, C, seed=seed, loss=loss, last_only=last_only, scale=0.8)


def check_gradient_check(fn, seed=0):
    """Check ``fn(loss_fn, params, grads, threshold=1e-7) -> list of names`` ("W", "U", "V", "b", "c").

    The function must return the names of the parameters whose gradient disagrees with central
    differences of loss_fn(params) (relative error above the threshold).
    """
    params, X, Y, _ = _tiny_rnn(seed, N=2, T=3, D=2, H=3, C=2)
    loss_fn = lambda p: many_to_many(p, X, Y, loss="mse")[0]  # noqa: E731
    _, grads = many_to_many(params, X, Y, loss="mse")
    cases = [
        ("a right gradient", grads, set()),
        ("W transposed and db missing", grads._replace(W=grads.W.T.copy(), b=np.zeros_like(grads.b)), {"W", "b"}),
        ("dV off by 1% in one entry", grads._replace(V=grads.V + np.eye(*grads.V.shape) * 0.01 * np.abs(grads.V).max()),
         {"V"}),
    ]
    problems = []
    for what, g, expected in cases:
        result = _call(fn, "gradient_check", loss_fn, params.copy(), g.copy())
        try:
            names = {str(n) for n in result}
        except TypeError:
            raise CheckFailed(f"gradient_check must return a list of parameter names such as ['W', 'b']; "
                              f"got {type(result).__name__}.\n{_label('shape')}", "shape") from None
        if names != expected:
            hint = ""
            if names == set("WUVbc") - expected:
                hint = " You return exactly the other ones: flag a parameter when its error is *above* the threshold."
            problems.append((what, _Mismatch("flagged", f"{_label('flagged')} You flagged {sorted(names) or 'none'}, "
                                                        f"expected {sorted(expected) or 'none'}.{hint}")))
    _finish("gradient_check", problems)
    print("passed: gradient_check (it flags exactly the wrong parameters in three test cases)")


# ----------------------------------------------------------------------------- chapters 4, 6, 8: BPTT

def _rnn_variant(params, X, targets, loss="mse", last_only=False, h0=None, truncate=None, mistake=None):
    """Per-step BPTT with one mistake planted (mistake=None: the right answer).

    Returns (grads: Params, G: (N, T, H) the g_t used). Mistakes: "tanh", "direct_only",
    "last_step_only", "last_loss_only", "off_by_one" (δ_t h_tᵀ), "off_by_one_rec" (tanh' at h_{t-1}),
    "transposed_rec" (δ W → δ Wᵀ), "sum" (no 1/N), "ignore_h0", "no_truncation", "trunc_shift".
    """
    W, U, V, b, c = params
    N, T, _ = X.shape
    H = W.shape[0]
    if h0 is None or mistake == "ignore_h0":
        h0 = np.zeros((N, H))
    hs = [h0]
    for t in range(T):
        hs.append(np.tanh(hs[-1] @ W.T + X[:, t] @ U.T + b))
    div = 1.0 if mistake == "sum" else float(N)
    dos = [None] * T
    steps = [T - 1] if (last_only or mistake == "last_loss_only") else range(T)
    for t in steps:
        tgt = targets if last_only else targets[:, t]
        o = hs[t + 1] @ V.T + c
        if loss == "mse":
            d = o - tgt
        else:
            d = _softmax(o)
            d[np.arange(N), tgt] -= 1.0
        dos[t] = d / div
    dW, dU, dV = np.zeros_like(W), np.zeros_like(U), np.zeros_like(V)
    db, dc = np.zeros_like(b), np.zeros_like(c)
    G = np.zeros((N, T, H))
    carry = np.zeros((N, H))
    k = None if mistake == "no_truncation" else truncate
    for t in reversed(range(T)):
        direct = np.zeros((N, H))
        if dos[t] is not None:
            dV += dos[t].T @ hs[t + 1]
            dc += dos[t].sum(axis=0)
            direct = dos[t] @ V
        g = direct if mistake == "direct_only" else direct + carry
        G[:, t] = g
        if mistake == "tanh":
            d = g
        elif mistake == "off_by_one_rec":
            d = g * (1 - hs[t] ** 2)
        else:
            d = g * (1 - hs[t + 1] ** 2)
        if mistake != "last_step_only" or t == T - 1:
            dW += d.T @ (hs[t + 1] if mistake == "off_by_one" else hs[t])
            dU += d.T @ X[:, t]
            db += d.sum(axis=0)
        carry = d @ W.T if mistake == "transposed_rec" else d @ W
        if k is not None:
            cut = (t + 1) % k == 0 if mistake == "trunc_shift" else (t % k == 0 and t > 0)
            if cut:
                carry = np.zeros_like(carry)
    return Params(dW, dU, dV, db, dc), G


def _sliding_window(params, X, Y, k):
    """The other truncation scheme: each loss L_t sends its gradient back through at most k steps."""
    W, U, V, b, c = params
    N, T, _ = X.shape
    hs = [np.zeros((N, W.shape[0]))]
    for t in range(T):
        hs.append(np.tanh(hs[-1] @ W.T + X[:, t] @ U.T + b))
    grads = [np.zeros_like(p) for p in params]
    for t in range(T):
        do = (hs[t + 1] @ V.T + c - Y[:, t]) / N
        grads[2] += do.T @ hs[t + 1]
        grads[4] += do.sum(axis=0)
        g = do @ V
        for s in range(t, max(-1, t - k), -1):
            d = g * (1 - hs[s + 1] ** 2)
            grads[0] += d.T @ hs[s]
            grads[1] += d.T @ X[:, s]
            grads[3] += d.sum(axis=0)
            g = d @ W
    return Params(*grads)


def _numeric_params(loss_of_params, params):
    work = params.copy()
    return Params(*(numerical_gradient(lambda: loss_of_params(work), p) for p in work))


_MISTAKE_TEXT = {
    "tanh": ("tanh", "It matches BPTT without the factor tanh'(a_t) = 1 - h_t²: δ_t = (1 - h_t²) ⊙ g_t."),
    "direct_only": ("accumulation", "It matches BPTT with the direct term only: g_t must also collect the carry "
                    "Wᵀ δ_{t+1} from step t+1 (batch first: delta_next @ W), so the gradient flows back across steps."),
    "last_step_only": ("accumulation", "It equals the last step's term alone (δ_T h_{T-1}ᵀ for dW). W, U and b are "
                       "used at every step (dummy copies), so their gradients are sums over t = 1..T."),
    "last_loss_only": ("accumulation", "It matches the gradient of the last step's loss L_T alone; the loss is "
                       "Σ_t L_t, so every step's output sends a direct term into g_t."),
    "off_by_one": ("off_by_one", "It matches Σ_t δ_t h_tᵀ: in a_t = W h_{t-1} + U x_t + b, W multiplies h_{t-1}, "
                   "so dL/dW = Σ_t δ_t h_{t-1}ᵀ (batch first: delta.T @ H[t-1])."),
    "off_by_one_rec": ("off_by_one", "It uses tanh' at h_{t-1}: the factor of step t is 1 - h_t², the derivative "
                       "of h_t = tanh(a_t)."),
    "transposed_rec": ("transposed", "It carries the gradient back with W instead of Wᵀ: batch first, the "
                       "carry is delta @ W, not delta @ W.T."),
    "sum": ("batch", "It matches the gradient of the loss summed over the batch: the loss is the mean over the N "
            "sequences, so dL/do_t = (ŷ_t - y_t)/N."),
    "ignore_h0": ("h0", "It matches the gradient computed from h_0 = 0: start the recurrence from the h0 you are given."),
    "no_truncation": ("no_truncation", "It equals full BPTT: with truncate=k the gradient must stop at the start "
                      "of each chunk of k steps (t = 1, k+1, 2k+1, ...), the state does not."),
    "trunc_shift": ("off_by_one", "Your chunk boundaries are one step off: the chunks are steps 1..k, k+1..2k, ..., "
                    "so no gradient flows from step k+1 into h_k (0-based: cut after step index t with t % k == 0, t > 0)."),
}


def _rnn_mutants(params, X, targets, names, **kw):
    out = []
    for m in names:
        kind, text = _MISTAKE_TEXT[m]
        grads, G = _rnn_variant(params, X, targets, mistake=m, **kw)
        out.append((kind, text, grads, G))
    return out


def _check_params_result(name, got, ref, mutants, numeric, N, note=""):
    if isinstance(got, Params):
        arrays = list(got)
    else:
        arrays = _unpack(got, name, ["dW", "dU", "dV", "db", "dc"])
    specs = []
    for i, label in enumerate(["dW", "dU", "dV", "db", "dc"]):
        muts = [(kind, text, g[i]) for kind, text, g in mutants]
        specs.append((label, ref[i], dict(mutants=muts, numeric=numeric[i], n_batch=N, bias=label in ("db", "dc"))))
    return _check_outputs(name, arrays, specs, note)


def check_hidden_grads(fn, seed=0, N=3, T=4, D=3, H=4, C=2):
    """Check ``fn(params, X, y) -> G`` (N, T, H): g_t = dL/dh_t, the total derivative, many-to-one MSE.

    L = (1/N) Σ_n ½‖o_T - y_n‖² with h_0 = 0; G[:, t-1] is g_t.
    """
    params, X, y, _ = _tiny_rnn(seed, N, T, D, H, C, "mse", last_only=True)
    ref = backward_details(params, X, y, loss="mse", last_only=True).G
    # central differences: perturb h_t and run the remaining steps
    W, U, V, b, c = params
    Hs = backward_details(params, X, y, loss="mse", last_only=True).Hs
    numeric = np.zeros_like(ref)
    for t in range(1, T + 1):
        ht = Hs[:, t - 1].copy()                     # Hs holds h_1..h_T

        def rest():
            h = ht
            for s in range(t, T):
                h = np.tanh(h @ W.T + X[:, s] @ U.T + b)
            return mse_loss(h @ V.T + c, y)[0]
        numeric[:, t - 1] = numerical_gradient(rest, ht)
    got = _call(fn, "hidden_grads", params.copy(), X, y)
    muts = [(kind, text, G) for kind, text, _, G in _rnn_mutants(
        params, X, y, ["direct_only", "tanh", "off_by_one_rec", "transposed_rec", "sum"], loss="mse", last_only=True)]
    num = _check_outputs("hidden_grads", [got], [("G", ref, dict(mutants=muts, numeric=numeric, n_batch=N, time_axis=1))],
                   note="(G[:, t-1] holds g_t; t = 1 is the first step.)")
    _passed("hidden_grads", "g_1, ..., g_T", num)


def check_many_to_one_grads(fn, seed=0, N=3, T=4, D=3, H=4, C=2):
    """Check ``fn(params, X, y) -> Params`` (dW, dU, dV, db, dc) for many-to-one MSE with h_0 = 0.

    L = (1/N) Σ_n ½‖V h_T + c - y_n‖²; X (N, T, D), y (N, C).
    """
    params, X, y, _ = _tiny_rnn(seed, N, T, D, H, C, "mse", last_only=True)
    _, ref = many_to_one(params, X, y, loss="mse")
    numeric = _numeric_params(lambda p: many_to_one(p, X, y, loss="mse")[0], params)
    got = _call(fn, "many_to_one_grads", params.copy(), X, y)
    muts = [(k, t, g) for k, t, g, _ in _rnn_mutants(
        params, X, y, ["last_step_only", "tanh", "off_by_one", "transposed_rec", "off_by_one_rec", "sum"],
        loss="mse", last_only=True)]
    num = _check_params_result("many_to_one_grads", got, ref, muts, numeric, N)
    _passed("many_to_one_grads", "dW, dU, dV, db, dc", num)


def check_step_backward(fn, seed=0, N=3, D=3, H=4):
    """Check ``fn(dh, x, h_prev, h, W, U) -> (dx, dh_prev, dW, dU, db)`` for h = tanh(h_prev Wᵀ + x Uᵀ + b).

    dh (N, H) is the total dL/dh at this step; shapes as in bptt.rnn.step_backward.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, D))
    h_prev = rng.normal(0, 0.5, size=(N, H))
    W = rng.normal(size=(H, H)) / np.sqrt(H)
    U = rng.normal(size=(H, D)) / np.sqrt(D)
    b = rng.normal(0, 0.3, size=H)
    h = np.tanh(h_prev @ W.T + x @ U.T + b)
    dh = rng.normal(size=(N, H))
    refs = list(_step_backward(dh, (x, h_prev, W, U, h)))
    ws = [x.copy(), h_prev.copy(), W.copy(), U.copy(), b.copy()]
    loss = lambda: float(np.sum(dh * np.tanh(ws[1] @ ws[2].T + ws[0] @ ws[3].T + ws[4])))  # noqa: E731
    nums = [numerical_gradient(loss, a) for a in ws]
    got = _unpack(_call(fn, "step_backward", dh, x, h_prev, h, W, U), "step_backward",
                  ["dx", "dh_prev", "dW", "dU", "db"])
    d = dh * (1 - h ** 2)
    no_tanh = [dh @ U, dh @ W, dh.T @ h_prev, dh.T @ x, dh.sum(0)]
    t_text = _MISTAKE_TEXT["tanh"][1]
    labels = ["dx", "dh_prev", "dW", "dU", "db"]
    extra = {
        "dh_prev": [("transposed", _MISTAKE_TEXT["transposed_rec"][1], d @ W.T)],
        "dW": [("off_by_one", "It matches δᵀ h (this step's output); W multiplies h_prev, so dW = δᵀ h_prev.", d.T @ h)],
        "db": [("batch", "You averaged δ over the rows; dh already carries the 1/N of the mean loss, so db = Σ_rows δ.",
                d.mean(axis=0))],
    }
    specs = []
    for i, label in enumerate(labels):
        muts = [("tanh", t_text, no_tanh[i])] + extra.get(label, [])
        specs.append((label, refs[i], dict(mutants=muts, numeric=nums[i], n_batch=N, bias=label == "db")))
    num = _check_outputs("step_backward", got, specs)
    _passed("step_backward", "dx, dh_prev, dW, dU, db", num)


def check_many_to_many_grads(fn, seed=0, N=3, T=4, D=3, H=4, C=3):
    """Check ``fn(params, X, Y, h0) -> Params`` for many-to-many softmax-NLL: L = (1/N) Σ_n Σ_t -log ŷ_t[y_t].

    X (N, T, D), Y (N, T) integer labels, h0 (N, H).
    """
    params, X, Y, h0 = _tiny_rnn(seed, N, T, D, H, C, "nll")
    _, ref = many_to_many(params, X, Y, loss="nll", h0=h0)
    numeric = _numeric_params(lambda p: many_to_many(p, X, Y, loss="nll", h0=h0)[0], params)
    got = _call(fn, "many_to_many_grads", params.copy(), X, Y, h0.copy())
    muts = [(k, t, g) for k, t, g, _ in _rnn_mutants(
        params, X, Y, ["direct_only", "last_loss_only", "tanh", "off_by_one", "off_by_one_rec", "transposed_rec",
                       "sum", "ignore_h0"], loss="nll", h0=h0)]
    num = _check_params_result("many_to_many_grads", got, ref, muts, numeric, N)
    _passed("many_to_many_grads", "dW, dU, dV, db, dc", num)


def _surrogate_truncated_loss(params, X, Y, k, H_fixed):
    """The loss whose exact gradient is the truncated one: the state entering each chunk is a constant."""
    W, U, V, b, c = params
    N, T, _ = X.shape
    total = 0.0
    h = H_fixed[0]
    for t in range(T):
        if t % k == 0:
            h = H_fixed[t]
        h = np.tanh(h @ W.T + X[:, t] @ U.T + b)
        total += mse_loss(h @ V.T + c, Y[:, t])[0]
    return total


def check_truncated_grads(fn, seed=0, k=3, N=2, T=7, D=2, H=3, C=2):
    """Check ``fn(params, X, Y, k) -> Params``: many-to-many MSE, gradient truncated every k steps.

    Chunks of k steps start at t = 1, k+1, 2k+1, ...; the state crosses a chunk boundary, the gradient
    does not (as ``bptt.many_to_many(..., truncate=k)``). h_0 = 0; X (N, T, D), Y (N, T, C).
    """
    params, X, Y, _ = _tiny_rnn(seed, N, T, D, H, C, "mse")
    _, ref = many_to_many(params, X, Y, loss="mse", truncate=k)
    W, U, V, b, c = params
    hs = [np.zeros((N, H))]
    for t in range(T):
        hs.append(np.tanh(hs[-1] @ W.T + X[:, t] @ U.T + b))
    numeric = _numeric_params(lambda p: _surrogate_truncated_loss(p, X, Y, k, hs), params)
    got = _call(fn, "truncated_grads", params.copy(), X, Y, k)
    muts = [(kk, t, g) for kk, t, g, _ in _rnn_mutants(
        params, X, Y, ["no_truncation", "trunc_shift", "direct_only", "tanh", "off_by_one", "sum"],
        loss="mse", truncate=k)]
    muts.append(("sliding_window", "It matches the other truncation scheme, where each loss L_t sends its gradient "
                 "back k steps. Here the sequence is cut into fixed chunks: every loss in a chunk backpropagates "
                 "to the chunk's start and no further.", _sliding_window(params, X, Y, k)))
    num = _check_params_result("truncated_grads", got, ref, muts, numeric, N,
                         note=f"(T = {T}, k = {k}: the chunks are steps 1-3, 4-6 and 7.)" if (T, k) == (7, 3) else "")
    _passed("truncated_grads", "dW, dU, dV, db, dc", num)


# ----------------------------------------------------------------------------- chapter 5: softmax and NLL

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


# ----------------------------------------------------------------------------- chapter 7: gradient norms

def check_iir_impulse_response(fn):
    """Check ``fn(w, T) -> (T,)``: h_1..h_T of h_t = w h_{t-1} + x_t, h_0 = 0, x_1 = 1, x_t = 0 after."""
    problems = []
    for w, T in [(-0.9, 6), (1.1, 5), (0.5, 1)]:
        ref = w ** np.arange(T)
        got = _call(fn, "iir_impulse_response", w, T)
        muts = [
            ("off_by_one", "It starts at w: h_1 = w h_0 + x_1 = 1 with h_0 = 0, so the response is 1, w, w², ...",
             w ** np.arange(1, T + 1)),
            ("off_by_one", "It starts with 0: the impulse arrives at t = 1, so h_1 = 1.",
             np.concatenate([[0.0], w ** np.arange(T - 1)])),
            ("order", "It is reversed: entry 0 is h_1.", ref[::-1].copy()),
        ]
        try:
            _compare(got, ref, mutants=muts, symbol="h", time_axis=0)
        except _Mismatch as m:
            problems.append((f"w = {w}, T = {T}", m))
            break
    _finish("iir_impulse_response", problems)
    _passed("iir_impulse_response", "h_1, ..., h_T")


def _backward_norms_variant(params, X, gT, mistake=None):
    W, U, b = params.W, params.U, params.b
    N, T, _ = X.shape
    hs = [np.zeros((N, W.shape[0]))]
    for t in range(T):
        hs.append(np.tanh(hs[-1] @ W.T + X[:, t] @ U.T + b))
    g = gT
    norms = []
    for t in range(T, 0, -1):                      # g is g_t
        norms.append(np.linalg.norm(g))
        if mistake == "tanh":
            d = g
        elif mistake == "off_by_one_rec":
            d = g * (1 - hs[t - 1] ** 2)
        else:
            d = g * (1 - hs[t] ** 2)
        g = d @ W.T if mistake == "transposed_rec" else d @ W
    norms = np.array(norms)
    return norms[::-1].copy() if mistake == "order" else norms


def check_backward_norms(fn, seed=0, N=2, T=6, D=2, H=4):
    """Check ``fn(params, X, gT) -> (T,)``: ‖g_T‖, ‖g_{T-1}‖, ..., ‖g_1‖ when only g_T = gT is injected.

    g_{t-1} = Wᵀ((1 - h_t²) ⊙ g_t) (batch first: (g * (1 - h_t**2)) @ W), h_0 = 0, norms over all
    entries of the (N, H) array. Entry k of the result is ‖g_{T-k}‖, the norm at lag k.
    """
    rng = np.random.default_rng(seed)
    params = init_params(D, H, 1, seed=seed, scale=1.2)
    X = rng.normal(size=(N, T, D))
    gT = rng.normal(size=(N, H))
    ref = _backward_norms_variant(params, X, gT)
    W, U, b = params.W, params.U, params.b
    hs = [np.zeros((N, H))]
    for t in range(T):
        hs.append(np.tanh(hs[-1] @ W.T + X[:, t] @ U.T + b))
    numeric = np.zeros(T)
    for lag in range(T):
        t = T - lag
        ht = hs[t].copy()

        def rest():
            h = ht
            for s in range(t, T):
                h = np.tanh(h @ W.T + X[:, s] @ U.T + b)
            return float(np.sum(gT * h))
        numeric[lag] = np.linalg.norm(numerical_gradient(rest, ht))
    got = _call(fn, "backward_norms", params.copy(), X, gT)
    muts = [
        ("tanh", "It matches the recursion without tanh': g_{t-1} = Wᵀ((1 - h_t²) ⊙ g_t).",
         _backward_norms_variant(params, X, gT, "tanh")),
        ("transposed", _MISTAKE_TEXT["transposed_rec"][1], _backward_norms_variant(params, X, gT, "transposed_rec")),
        ("off_by_one", _MISTAKE_TEXT["off_by_one_rec"][1], _backward_norms_variant(params, X, gT, "off_by_one_rec")),
        ("order", "It lists the norms by time step t = 1..T; entry k must be the norm at lag k, ‖g_{T-k}‖.",
         _backward_norms_variant(params, X, gT, "order")),
    ]
    num = _check_outputs("backward_norms", [got], [("the norms", ref, dict(mutants=muts, numeric=numeric, time_axis=0,
                                                                      time_offset=0))],
                   note="(entry k is the norm at lag k, ‖g_{T-k}‖; 't' above counts lags from 0.)")
    _passed("backward_norms", "the norms at every lag", num)


def check_norm_bound(fn, seed=0):
    """Check ``fn(W, k, g_norm) -> float``: the bound ‖W‖₂ᵏ · g_norm with ‖W‖₂ the largest singular value."""
    rng = np.random.default_rng(seed)
    W1 = np.array([[0.5, 2.0], [0.0, 0.5]])          # non-normal: spectral radius 0.5, norm > 2
    W2 = rng.normal(size=(4, 4)) / 2
    problems = []
    for W, k, gn in [(W1, 3, 1.5), (W2, 4, 0.7)]:
        ref = np.linalg.norm(W, 2) ** k * gn
        got = _call(fn, "norm_bound", W.copy(), k, gn)
        muts = [
            ("spectral_radius", "It uses the largest |eigenvalue| (the spectral radius); the bound needs the largest "
             "singular value ‖W‖₂, which can be much larger for a non-normal W.", max(abs(np.linalg.eigvals(W))) ** k * gn),
            ("frobenius", "It uses the Frobenius norm; the bound in the chapter uses the spectral norm ‖W‖₂ "
             "(np.linalg.norm(W, 2)), the smallest norm for which it holds step by step.", np.linalg.norm(W) ** k * gn),
            ("factor", "It leaves out g_norm (the bound is ‖W‖₂ᵏ times ‖g_T‖).", np.linalg.norm(W, 2) ** k),
        ]
        value = _scalar(got, "norm_bound", "the bound")
        try:
            _compare(np.array([value]), np.array([ref]), mutants=[(a, t, np.array([v])) for a, t, v in muts],
                     symbol="the bound")
        except _Mismatch as m:
            problems.append((f"k = {k}", m))
            break
    _finish("norm_bound", problems)
    _passed("norm_bound", "the bound")


# ----------------------------------------------------------------------------- chapter 8: clipping

def _global_norm(arrays):
    return float(np.sqrt(sum(np.sum(np.asarray(a, float) ** 2) for a in arrays)))


def check_clip_by_norm(fn, seed=0):
    """Check ``fn(grads, threshold) -> Params``: scale all of grads by threshold/‖grads‖ when ‖grads‖ > threshold.

    ‖grads‖ is the norm of all entries together (Pascanu et al. 2013, Algorithm 1); below the
    threshold the gradient comes back unchanged.
    """
    rng = np.random.default_rng(seed)
    shapes = [(3, 3), (3, 2), (2, 3), (3,), (2,)]
    base = Params(*(rng.normal(size=s) for s in shapes))
    problems = []
    for what, scale, thr in [("a large gradient", 4.0, 1.0), ("a small gradient", 0.05, 1.0)]:
        g = base.scale(scale)
        n = _global_norm(g)
        ref = g.scale(min(1.0, thr / n))
        got = _call(fn, "clip_by_norm", g.copy(), thr)
        arrays = list(got) if isinstance(got, (Params, tuple, list)) else None
        if arrays is None or len(arrays) != 5:
            raise CheckFailed("clip_by_norm must return a Params (or 5 arrays W, U, V, b, c).\n" + _label("shape"), "shape")
        per_param = [a * min(1.0, thr / max(np.linalg.norm(a), 1e-300)) for a in g]
        mut_sets = [
            ("elementwise_clip", "It matches np.clip of each entry to [-threshold, threshold]: that changes the "
             "direction of the gradient. Norm clipping multiplies every entry by the same threshold/‖g‖.",
             [np.clip(a, -thr, thr) for a in g]),
            ("per_param_clip", "It matches clipping each parameter's array on its own norm; Algorithm 1 uses one "
             "norm over all parameters together, so the direction is kept.", per_param),
            ("scaled_up", "It rescales to norm = threshold even when ‖g‖ is already below it: leave such a "
             "gradient unchanged.", list(g.scale(thr / n))),
        ]
        specs = []
        for i, label in enumerate(Params._fields):
            specs.append((f"d{label}", ref[i], dict(mutants=[(k, t, arrs[i]) for k, t, arrs in mut_sets])))
        try:
            _check_outputs(f"clip_by_norm (on {what})", arrays, specs)
        except CheckFailed as exc:
            raise CheckFailed(str(exc) + f"\n(‖g‖ = {n:.3g}, threshold = {thr:g}.)", exc.kind) from None
    print("passed: clip_by_norm (a large gradient is scaled to norm = threshold, a small one is left alone)")
