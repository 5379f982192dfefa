"""The grader's engine: run a student's function, compare its result, name the mistake, report.

Every assignment module of :mod:`bptt.checks` (``a01_dense``, ...) builds its ``check_*``
functions from this small API (one line each; details in the docstrings):

- ``call(fn, name, *args, **kwargs)``: run the student's function on the very arrays given,
  kept copies of them; fail with a sentence on NotImplementedError ("not done yet"), on any
  other exception (the student's line, no frames from here), on a result that is None, and on
  an input array the function changed. Returns the result.
- ``unpack(result, name, outputs)``: split a returned tuple into the named outputs.
- ``compare(name, got, ref, mistakes=None, *, label, numeric, tol, ...)``: one output against
  the reference; fails on None, a non-number, a wrong dtype or shape, NaN or inf, and names the
  planted mistake the numbers match, else says where the result is wrong (numbers on the
  second line). Returns the relative error against central differences (or None).
- ``compare_all(name, outputs, note="")``: several outputs, one failure that lists them all.
- ``compare_scalar(name, got, ref, mistakes=None, *, label, tol)``: a single number.
- ``fail(name, sentence, numbers="", kind=None)``: fail with a sentence of the check's own.
- ``passed(name, what, numeric_error=None)``: print the one ``passed:`` line.

``mistakes`` is a mapping ``{cause sentence: the answer with that mistake}`` (or a sequence of
``(kind, sentence, value)`` triples, kind a key of ``KINDS``). A mistake explains a result
that agrees with it to a relative error below ``MATCH`` and much better than with the
reference; a result passes below ``TOL``.

The failure type is :class:`CheckFailed`, an ``AssertionError`` (nbgrader marks the cell as
failed) whose ``_render_traceback_`` shows the message alone. Warnings from the student's code
(overflow and the like) are silenced; a non-finite result is reported instead.
"""
import inspect
import os
import traceback
import warnings

import numpy as np

from ..gradcheck import rel_error
from ..params import Params

_HERE = os.path.dirname(os.path.abspath(__file__))


def _ours(frame):
    """True for a traceback frame inside bptt/checks/ (hidden from the student)."""
    return os.path.dirname(os.path.abspath(frame.filename)) == _HERE

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
    "changed_input": "changed its input",
    "none": "returned None",
    "mistake": "Likely mistake",       # a mistake given as {cause sentence: value}
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
    if kind == "mistake":
        return "Likely mistake:"
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
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _ours(f)]
        where = frames[-1].name if frames else name
        via = f" (it calls `{where}`, which is not written yet)" if where not in (name, "<module>", "<lambda>") else ""
        raise CheckFailed(
            f"not done yet: `{name}` still raises NotImplementedError{via}.\n"
            f"Replace the line `raise NotImplementedError()` in the cell that defines `{where if via else name}` "
            f"with your code, run that cell, then run this check again.", "not_done") from None
    except CheckFailed:
        raise
    except Exception as exc:  # the student's code failed: show where, without our frames
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _ours(f)]
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


# ----------------------------------------------------------------------------- the public API

def _mistake_list(mistakes):
    """{sentence: value} or [(kind, sentence, value)] -> [(kind, sentence, value)]."""
    if mistakes is None:
        return []
    if isinstance(mistakes, dict):
        return [("mistake", text, value) for text, value in mistakes.items()]
    return [tuple(m) for m in mistakes]


def _arg_names(fn, args):
    try:
        names = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        names = []
    return [names[i] if i < len(names) else f"argument {i + 1}" for i in range(len(args))]


def call(fn, name, *args, **kwargs):
    """Run the student's ``fn(*args, **kwargs)`` and return its result.

    The function sees the very arrays given (not copies); copies kept here are compared with
    them afterwards, and a changed input array fails. NotImplementedError fails as "not done
    yet", any other exception with the student's own line, a result of None as a missing
    ``return``.
    """
    kept = [a.copy() if isinstance(a, (np.ndarray, Params)) else None for a in args]
    result = _call(fn, name, *args, copy=False, **kwargs)
    for arg_name, a, k in zip(_arg_names(fn, args), args, kept):
        if k is None:
            continue
        same = all(np.array_equal(x, y, equal_nan=True) for x, y in zip(a, k)) if isinstance(a, Params) \
            else (a.shape == k.shape and np.array_equal(a, k, equal_nan=True))
        if not same:
            if isinstance(a, Params):
                for x, y in zip(a, k):
                    x[...] = y
            else:
                a[...] = k
            raise CheckFailed(f"{name} changed its input `{arg_name}`: a function must not write into the "
                              f"arrays it is given (use new arrays, e.g. `x = x * 2` rather than `x *= 2`).",
                              "changed_input")
    if result is None:
        raise CheckFailed(f"{name} returned None: the function needs a `return` line that returns its result.",
                          "none")
    return result


def unpack(result, name, outputs):
    """Split ``result`` (a tuple, list or dict) into the outputs named in ``outputs``."""
    return _unpack(result, name, list(outputs))


def compare(name, got, ref, mistakes=None, *, label="the result", numeric=None, tol=TOL, n_batch=None,
            bias=False, time_axis=None, time_offset=1, note=""):
    """Compare one output with the reference ``ref``; fail (CheckFailed) unless they agree to ``tol``.

    mistakes: {cause sentence: value} (see the module docstring). numeric: central differences of
    the same quantity. n_batch: N (names a factor N or 1/N). bias: the output is a bias gradient.
    time_axis, time_offset: the axis of time steps in ``got`` and the number of its first step.
    Returns the relative error against ``numeric`` (None without it).
    """
    return compare_all(name, [(label, got, ref, dict(mistakes=mistakes, numeric=numeric, tol=tol,
                                                     n_batch=n_batch, bias=bias, time_axis=time_axis,
                                                     time_offset=time_offset))], note)


def compare_all(name, outputs, note=""):
    """Compare several outputs: ``outputs`` is a list of ``(label, got, ref, options)``, options a dict
    of the keywords of :func:`compare` (mistakes, numeric, tol, ...). One failure lists every wrong
    output. Returns the worst relative error against central differences (None without them).
    """
    specs, results = [], []
    for label, got, ref, opts in outputs:
        opts = dict(opts or {})
        opts["mutants"] = _mistake_list(opts.pop("mistakes", None))
        specs.append((label, ref, opts))
        results.append(got)
    return _check_outputs(name, results, specs, note)


def compare_scalar(name, got, ref, mistakes=None, *, label="the result", tol=TOL):
    """Compare a single number with the reference; ``mistakes`` as for :func:`compare`."""
    value = _scalar(got, name, label)
    muts = [(k, t, np.array([float(v)])) for k, t, v in _mistake_list(mistakes)]
    return compare(name, np.array([value]), np.array([float(ref)]), muts, label=label, tol=tol)


def fail(name, sentence, numbers="", kind=None):
    """Fail with a sentence of the check's own (and the numbers, if any, on the next line)."""
    raise CheckFailed(f"{name} is not right yet.\n- {sentence}" + (f"\n{numbers}" if numbers else ""), kind)


def passed(name, what, numeric_error=None):
    """Print ``passed: name (checked what: ...)``, the line a right answer gets."""
    _passed(name, what, numeric_error)
