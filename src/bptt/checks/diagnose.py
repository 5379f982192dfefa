"""How the grader tells what is wrong: the kinds of mistake, and one output against the reference.

``_compare`` is the diagnosis behind :func:`bptt.checks.engine.compare`: a result that is None,
not numbers, of the wrong dtype or shape, NaN or inf; a planted mistake it reproduces; a transpose,
sign, factor N or 1/N, another constant factor, all zeros; else where it is wrong (entries, time
steps), numbers included.
"""

import numpy as np

from ..gradcheck import rel_error

TOL = 1e-7  # a student's result passes when its relative error to the reference is below this
# a planted mistake "explains" a result that agrees with it this closely (or closer, see _matches)
MATCH = 1e-6

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
    "changed_input": "changed its input",
    "dtype": "wrong dtype",
    "reset_state": "state reset at chunk starts",
    "threshold_ignored": "threshold ignored",
    "no_clip": "not clipped",
    "per_example": "one norm per example",
    "max_entry": "largest entry instead of spectral norm",
    "no_shift": "softmax without the max shift",
    "log_of_softmax": "log of softmax instead of log-softmax",
    "step_ignored": "eps ignored",
    "outer": "outer product p pᵀ",
    "none": "returned None",
    "mistake": "Likely mistake",  # a mistake given as {cause sentence: value}
}


class _Mismatch(Exception):
    """Internal: one output is wrong; kind + explanation, collected into a CheckFailed."""

    def __init__(self, kind, text):
        super().__init__(text)
        self.kind = kind
        self.text = text


def _label(kind):
    if kind == "mistake":
        return "Likely mistake:"
    return f"Likely mistake: {KINDS[kind]}." if kind in KINDS else ""


_BIAS_NONE = " (the bias gradient is the sum of δ over the batch and the steps)"


def _matches(got, candidate, ref):
    """True when ``got`` agrees with a planted-mistake ``candidate`` much better than with
    ``ref``."""
    if candidate is None or np.shape(candidate) != got.shape:
        return False
    gap = rel_error(candidate, ref) if np.shape(ref) == got.shape else 1.0
    if gap < TOL:  # the mistake would pass the check itself: it explains nothing
        return False
    return rel_error(got, candidate) < min(MATCH, 0.05 * gap)


def _fmt_index(idx):
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def _locate(got, ref, time_axis=None, time_offset=1):
    """Where ``got`` differs from ``ref``: (words, numbers), the words in the student's terms.

    words: which time steps, rows or columns are wrong, and the sign pattern; numbers: how many
    entries, the worst ones and their expected values.
    """
    diff = np.abs(got - ref)
    scale = max(float(np.abs(ref).max()), 1e-300)
    bad = diff > 1e-6 * scale
    n_bad, total = int(bad.sum()), bad.size
    words = []
    if time_axis is not None and got.ndim > time_axis:
        other = tuple(a for a in range(got.ndim) if a != time_axis)
        wrong_t = np.nonzero(bad.any(axis=other))[0]
        right_t = np.nonzero(~bad.any(axis=other))[0]
        if len(wrong_t) and len(right_t):
            words.append(
                f"It is wrong at t = {', '.join(str(t + time_offset) for t in wrong_t)} and "
                f"right at t = {', '.join(str(t + time_offset) for t in right_t)}."
            )
    elif got.ndim == 2 and 0 < n_bad < total:
        rows = np.nonzero(bad.any(axis=1))[0]
        cols = np.nonzero(bad.any(axis=0))[0]
        if len(rows) < got.shape[0]:
            words.append(
                f"Only row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows))} "
                f"{'are' if len(rows) > 1 else 'is'} wrong."
            )
        elif len(cols) < got.shape[1]:
            words.append(
                f"Only column{'s' if len(cols) > 1 else ''} {', '.join(map(str, cols))} "
                f"{'are' if len(cols) > 1 else 'is'} wrong."
            )
    nz = bad & (ref != 0)
    flipped = int(np.sum(np.sign(got[nz]) == -np.sign(ref[nz])))
    if flipped and flipped == int(nz.sum()):
        words.append(
            "Every wrong entry has the opposite sign of the right one."
            if flipped > 1
            else "The wrong entry has the opposite sign of the right one."
        )
    elif flipped:
        words.append(f"{flipped} of the wrong entries have the wrong sign.")
    elif n_bad:
        ratio = got[nz] / ref[nz]
        if ratio.size and np.allclose(ratio, ratio[0], rtol=1e-6):
            words.append(f"Those entries are {ratio[0]:.4g} times the right ones.")
        else:
            words.append("The signs are right; the sizes are not.")
    if n_bad == total:
        words.insert(0, "Every entry is off.")
    worst = []
    for flat in np.argsort(diff.ravel())[::-1][:3]:
        if not bad.ravel()[flat]:
            break
        idx = np.unravel_index(flat, got.shape)
        worst.append(f"{_fmt_index(idx)} is {got[idx]:.4g}, expected {ref[idx]:.4g}")
    numbers = (
        f"{n_bad} of {total} entries are off (the largest difference is {diff.max():.2g}, "
        f"the largest entry {scale:.2g})" + (": " + "; ".join(worst) if worst else "") + "."
    )
    return " ".join(words), numbers


def _to_float_array(got, symbol, bias):
    """``got`` as a float array; _Mismatch when it is None, not numbers or of the wrong dtype."""
    if got is None:
        raise _Mismatch(
            "bias" if bias else "shape",
            f"{symbol} is None: the function must return it{_BIAS_NONE if bias else ''}. "
            f"{_label('bias' if bias else 'shape')}",
        )
    kind_of = getattr(
        np.asarray(got) if not isinstance(got, (list, tuple)) else np.zeros(0), "dtype", None
    )
    if kind_of is not None and (
        kind_of.kind in "bcOSU" or kind_of == np.float32 or kind_of == np.float16
    ):
        what = {
            "b": "True/False values",
            "c": "complex numbers",
            "f": f"{kind_of} numbers (use float64)",
        }
        raise _Mismatch(
            "dtype",
            f"{symbol} holds {what.get(kind_of.kind, f'{kind_of} values, not numbers')}. "
            f"{_label('dtype')}",
        )
    try:
        return np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise _Mismatch(
            "shape",
            f"{symbol} is not an array of numbers (got {type(got).__name__}). {_label('shape')}",
        ) from None


def _explain_wrong_shape(got, ref, mutants, symbol):
    """Raise _Mismatch for a ``got`` whose shape is not ``ref``'s: transposed, planted, or why."""
    finite = np.all(np.isfinite(got))  # rel_error refuses NaN and inf
    if got.ndim == 2 and got.shape == ref.shape[::-1] and finite and rel_error(got.T, ref) < MATCH:
        raise _Mismatch(
            "transposed",
            f"{_label('transposed')} {symbol} has shape {got.shape} and equals "
            f"the right answer transposed (expected shape {ref.shape}). Batch first, the "
            "gradient "
            f"of a weight that maps inputs to outputs is deltaᵀ @ inputs: (out, N) @ (N, in).",
        )
    for kind, text, arr in mutants:
        if (
            arr is not None
            and np.shape(arr) == got.shape
            and finite
            and rel_error(got, arr) < MATCH
        ):
            raise _Mismatch(
                kind,
                f"{_label(kind)} {text} (and the shape is {got.shape}, expected {ref.shape}).",
            )
    raise _Mismatch(
        "shape",
        f"{_label('shape')} {symbol} has shape {got.shape}, expected {ref.shape}."
        f"{_shape_hint(got, ref, finite)}",
    )


def _shape_hint(got, ref, finite):
    """The wrong shape's hint: a leftover batch axis, the transposed shape, another arrangement."""
    if (
        got.ndim == ref.ndim + 1
        and got.shape[1:] == ref.shape
        and finite
        and rel_error(got.sum(axis=0), ref) < MATCH
    ):
        return " It still has the batch axis: sum over it (axis 0)."
    if got.ndim == 2 and got.shape == ref.shape[::-1]:
        return " That is the transposed shape."
    if got.size == ref.size:
        return " Same number of entries, other arrangement: check the order of the axes."
    return ""


def _reject_nonfinite(got, symbol):
    """Raise _Mismatch when ``got`` holds NaN or inf."""
    if not np.all(np.isfinite(got)):
        raise _Mismatch(
            "nonfinite",
            f"{symbol} holds NaN or inf ({int((~np.isfinite(got)).sum())} entries). "
            f"{_label('nonfinite')}",
        )


def _name_planted_mistake(got, ref, mutants):
    """Raise _Mismatch when ``got`` is one of the planted mistakes (see _matches)."""
    for kind, text, arr in mutants:
        if _matches(got, np.asarray(arr, dtype=float) if arr is not None else None, ref):
            raise _Mismatch(kind, f"{_label(kind)} {text}")


def _name_zero_bias(got, bias, symbol):
    """Raise _Mismatch when ``got`` is a bias gradient and all zeros."""
    if bias and not np.any(got):
        raise _Mismatch(
            "bias",
            f"{_label('bias')} {symbol} is all zeros. The bias enters every row (and every "
            f"time step), so its gradient is the sum of δ over the batch (and over t).",
        )


def _name_square_transpose(got, ref, symbol):
    """Raise _Mismatch when a square ``got`` equals ``ref`` transposed."""
    if got.ndim == 2 and got.shape[0] == got.shape[1] and rel_error(got, ref.T) < MATCH:
        raise _Mismatch(
            "transposed",
            f"{_label('transposed')} {symbol} equals the right answer transposed. "
            f"Batch first, dL/dW = deltaᵀ @ H_prev, not H_prevᵀ @ delta.",
        )


def _name_scalar_multiple(got, ref, n_batch, symbol):
    """Raise _Mismatch when ``got`` is a constant multiple (other than 0 and 1) of ``ref``."""
    denom = float(np.vdot(ref, ref))
    if denom > 0:
        s = float(np.vdot(got, ref)) / denom
        if s != 0 and abs(s - 1) > 1e-6 and rel_error(got, s * ref) < MATCH:
            _name_factor(s, n_batch, symbol)


def _name_factor(s, n_batch, symbol):
    """Raise the _Mismatch for ``got`` = s * ref: a sign, N, 1/N, or another constant factor."""
    if abs(s + 1) < 1e-6:
        raise _Mismatch(
            "sign",
            f"{_label('sign')} {symbol} is the right answer times -1 "
            f"(look for o - y against y - o, or a minus sign that should not be there).",
        )
    if n_batch and n_batch > 1 and abs(s - n_batch) < 1e-6 * n_batch:
        raise _Mismatch(
            "batch",
            f"{_label('batch')} {symbol} is N = {n_batch} times the right answer: "
            "the loss is the mean over the N examples, so the gradient carries a factor "
            "1/N.",
        )
    if n_batch and n_batch > 1 and abs(s * n_batch - 1) < 1e-6:
        raise _Mismatch(
            "batch",
            f"{_label('batch')} {symbol} is 1/N = 1/{n_batch} of the right answer: "
            f"the 1/N of the mean is applied twice (once is enough).",
        )
    raise _Mismatch(
        "factor",
        f"{_label('factor')} {symbol} is {s:.4g} times the right answer: "
        f"the direction is right, the scale is not.",
    )


def _name_all_zeros(got, bias, symbol):
    """Raise _Mismatch when ``got`` is all zeros."""
    if not np.any(got):
        raise _Mismatch(
            "bias" if bias else "factor",
            f"{symbol} is all zeros. {_label('bias') if bias else ''}".strip(),
        )


def _explain_where_wrong(got, ref, err, numeric, time_axis, time_offset):
    """Raise the unnamed _Mismatch: where ``got`` is wrong (_locate), numbers included."""
    words, numbers = _locate(got, ref, time_axis, time_offset)
    numbers = f"relative error {err:.1e} against the reference; {numbers}"
    if numeric is not None:
        numeric = np.asarray(numeric, dtype=float)
        numbers += (
            f" Central differences: {rel_error(got, numeric):.1e} from yours, "
            f"{rel_error(ref, numeric):.1e} from the reference."
        )
    text = f"{words or 'It differs from the right answer.'}\n  {numbers}"
    raise _Mismatch(None, text)


def _compare(
    got,
    ref,
    mutants=(),
    numeric=None,
    n_batch=None,
    bias=False,
    time_axis=None,
    time_offset=1,
    symbol="it",
    tol=TOL,
):
    """Compare one output with the reference; raises _Mismatch when it is wrong.

    Returns, when it is right, its relative error to ``numeric`` (None without ``numeric``).

    mutants: sequence of (kind, explanation, array) -- the answer with one mistake planted.
    numeric: central differences of the same quantity (or None). n_batch: N, to name a factor N.
    bias: the output is a bias gradient (all zeros -> "missing bias gradient").
    """
    ref = np.asarray(ref, dtype=float)
    got = _to_float_array(got, symbol, bias)
    if got.shape != ref.shape:
        _explain_wrong_shape(got, ref, mutants, symbol)
    _reject_nonfinite(got, symbol)
    err = rel_error(got, ref)
    if err < tol:
        return rel_error(got, np.asarray(numeric, dtype=float)) if numeric is not None else None
    # the values are wrong: name the mistake if one fits, in this order, else say where
    _name_planted_mistake(got, ref, mutants)
    _name_zero_bias(got, bias, symbol)
    _name_square_transpose(got, ref, symbol)
    _name_scalar_multiple(got, ref, n_batch, symbol)
    _name_all_zeros(got, bias, symbol)
    _explain_where_wrong(got, ref, err, numeric, time_axis, time_offset)
