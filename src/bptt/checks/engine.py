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
- ``each_size(check_one, fn, seed, base, edges)``: one check over several sizes, fresh seeds.

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

from ..params import Params
from .diagnose import KINDS, MATCH, TOL, _compare, _label, _Mismatch  # noqa: F401  (re-exported)

_HERE = os.path.dirname(os.path.abspath(__file__))


def _ours(frame):
    """True for a traceback frame inside bptt/checks/ (hidden from the student)."""
    return os.path.dirname(os.path.abspath(frame.filename)) == _HERE


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


# ------------------------------------------------------------ running the student's code


def _call(fn, name, *args, copy=True, **kwargs):
    """Call the student's function (on copies of array arguments unless copy=False).

    NotImplementedError becomes the "not done yet" CheckFailed; any other exception a CheckFailed
    that shows the student's own line.
    """
    if not callable(fn):
        raise CheckFailed(
            f"{name} must be a function; got {type(fn).__name__}. Run the cell that defines "
            f"`{name}` and pass the function itself (no parentheses) to the check.",
            "exception",
        )
    if copy:
        args = [a.copy() if isinstance(a, (np.ndarray, Params)) else a for a in args]
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)
    except NotImplementedError as exc:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _ours(f)]
        where = frames[-1].name if frames else name
        via = (
            f" (it calls `{where}`, which is not written yet)"
            if where not in (name, "<module>", "<lambda>")
            else ""
        )
        raise CheckFailed(
            f"not done yet: `{name}` still raises NotImplementedError{via}.\n"
            "Replace the line `raise NotImplementedError()` in the cell that defines "
            f"`{where if via else name}` "
            f"with your code, run that cell, then run this check again.",
            "not_done",
        ) from None
    except CheckFailed:
        raise
    except Exception as exc:  # the student's code failed: show where, without our frames
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _ours(f)]
        where = ""
        if frames:
            f = frames[-1]
            where = (
                f"\n  in `{f.name}`, line {f.lineno}: {f.line}"
                if f.line
                else f"\n  in `{f.name}`, line {f.lineno}"
            )
        kind = "exception"
        hint = ""
        text = str(exc)
        if isinstance(exc, ValueError) and (
            "shape" in text or "matmul" in text or "broadcast" in text
        ):
            kind = "shape"
            hint = (
                "\nThe shapes in one product do not fit: batch first, rows are examples "
                "(X is (N, D), W is (H, D), so X @ W.T is (N, H))."
            )
        raise CheckFailed(
            f"Check stopped: {KINDS['exception']}.\n"
            f"`{name}` raised {type(exc).__name__}: {text}{where}{hint}\n"
            f"{_label(kind) if kind == 'shape' else ''}".rstrip(),
            kind,
        ) from None


def _unpack(result, name, outputs):
    """Split a returned tuple into the named outputs; CheckFailed when the count is wrong."""
    if len(outputs) == 1:
        return [result]
    if isinstance(result, dict):
        missing = [o for o in outputs if o not in result]
        if not missing:
            return [result[o] for o in outputs]
    if not isinstance(result, (tuple, list)) or len(result) != len(outputs):
        got = (
            f"{len(result)} values"
            if isinstance(result, (tuple, list))
            else f"a {type(result).__name__}"
        )
        raise CheckFailed(
            f"`{name}` must return {len(outputs)} values ({', '.join(outputs)}); it returned "
            f"{got}.\n"
            f"{_label('shape')}",
            "shape",
        )
    return list(result)


def _finish(name, problems, note=""):
    """Raise one CheckFailed for all collected problems, or print the passed line."""
    if problems:
        kinds = [p.kind for _, p in problems if p.kind]
        named = [k for k in kinds if k not in ("factor", "exception")]
        kind = named[0] if named else (kinds[0] if kinds else None)
        lines = [f"{name} is not right yet."]
        groups = {}  # one line per distinct diagnosis
        for what, p in problems:
            groups.setdefault(p.text, []).append(what)
        for text, whats in groups.items():
            lines.append(f"- {', '.join(whats)}: {text}")
        if note:
            lines.append(note)
        raise CheckFailed("\n".join(lines), kind)


def _passed(name, what, numeric_error=None):
    """Print the one-line success message. numeric_error: worst relative error against central
    differences."""
    line = f"passed: {name} (checked {what}: relative error < 1e-7 against the reference"
    if numeric_error is not None:
        bound = "< 1e-6" if numeric_error < 1e-6 else f"{numeric_error:.0e}"
        line += f", {bound} against central differences"
    print(line + ")")


# ----------------------------------------------------------------------------- comparing one output


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
    if value is None:
        raise CheckFailed(
            f"{name}: {label} is None: return the number itself.\n{_label('none')}", "none"
        )
    try:
        return float(np.asarray(value, dtype=float))
    except (TypeError, ValueError):
        raise CheckFailed(
            f"{name}: {label} must be a single number; got {type(value).__name__} "
            f"with shape {np.shape(value)}.\n{_label('shape')}",
            "shape",
        ) from None


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
        names = []
        for prm in inspect.signature(fn).parameters.values():
            if prm.kind not in (prm.POSITIONAL_ONLY, prm.POSITIONAL_OR_KEYWORD):
                break
            names.append(prm.name)
    except (TypeError, ValueError):
        names = []
    return [f"`{names[i]}`" if i < len(names) else f"argument {i + 1}" for i in range(len(args))]


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
        same = (
            all(np.array_equal(x, y, equal_nan=True) for x, y in zip(a, k))
            if isinstance(a, Params)
            else (a.shape == k.shape and np.array_equal(a, k, equal_nan=True))
        )
        if not same:
            if isinstance(a, Params):
                for x, y in zip(a, k):
                    x[...] = y
            else:
                a[...] = k
            raise CheckFailed(
                f"{name} changed its input {arg_name}: a function must not write into the "
                f"arrays it is given (use new arrays, e.g. `x = x * 2` rather than `x *= 2`).",
                "changed_input",
            )
    if result is None:
        raise CheckFailed(
            f"{name} returned None: the function needs a `return` line that returns its result.",
            "none",
        )
    return result


def unpack(result, name, outputs):
    """Split ``result`` (a tuple, list or dict) into the outputs named in ``outputs``."""
    return _unpack(result, name, list(outputs))


def compare(
    name,
    got,
    ref,
    mistakes=None,
    *,
    label="the result",
    numeric=None,
    tol=TOL,
    n_batch=None,
    bias=False,
    time_axis=None,
    time_offset=1,
    note="",
):
    """Compare one output with the reference ``ref``; fail (CheckFailed) unless they agree to
    ``tol``.

    mistakes: {cause sentence: value} (see the module docstring). numeric: central differences of
    the same quantity. n_batch: N (names a factor N or 1/N). bias: the output is a bias gradient.
    time_axis, time_offset: the axis of time steps in ``got`` and the number of its first step.
    Returns the relative error against ``numeric`` (None without it).
    """
    return compare_all(
        name,
        [
            (
                label,
                got,
                ref,
                dict(
                    mistakes=mistakes,
                    numeric=numeric,
                    tol=tol,
                    n_batch=n_batch,
                    bias=bias,
                    time_axis=time_axis,
                    time_offset=time_offset,
                ),
            )
        ],
        note,
    )


def compare_all(name, outputs, note=""):
    """Compare several outputs: ``outputs`` is a list of ``(label, got, ref, options)``, options a
    dict
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
    raise CheckFailed(
        f"{name} is not right yet.\n- {sentence}" + (f"\n{numbers}" if numbers else ""), kind
    )


def passed(name, what, numeric_error=None):
    """Print ``passed: name (checked what: ...)``, the line a right answer gets."""
    _passed(name, what, numeric_error)


def each_size(check_one, fn, seed, base, edges):
    """Run ``check_one(fn, seed_i, **sizes)`` on ``base`` and on each edge case laid over it, with
    a fresh seed each (as the hidden tests do with theirs); the first run's ``passed`` arguments.
    """
    sizes = [base] + [{**base, **e} for e in edges]
    return [check_one(fn, seed + 7919 * i, **sz) for i, sz in enumerate(sizes)][0]
