"""Shared by the grader's self-tests (tests/test_checks*.py): run a check, assert what it says.

Each test file lists, per check, the reference solution (it must pass under several seeds) and
wrong implementations written for the test, the way students get them wrong, each with the kind
of mistake and a phrase of the cause that the message must contain.
"""

import numpy as np
import pytest

from bptt.checks import KINDS, CheckFailed

SEEDS = [0, 1, 2, 101, 202]


def failure(check, fn, **kw):
    with pytest.raises(CheckFailed) as info:
        check(fn, **kw)
    return info.value


def expect(check, fn, kind, phrase="", **kw):
    """check(fn) fails, names ``kind`` (its KINDS words are in the message) and says ``phrase``."""
    exc = failure(check, fn, **kw)
    msg = str(exc)
    assert exc.kind == kind, f"expected {kind}, got {exc.kind}:\n{msg}"
    assert KINDS[kind] in msg, msg
    assert phrase in msg, f"{phrase!r} not in:\n{msg}"
    assert "Traceback" not in msg and isinstance(exc, AssertionError)
    return msg


def passes(check, fn, capsys, **kw):
    check(fn, **kw)
    out = capsys.readouterr()
    assert out.out.startswith("passed:") and out.out.count("\n") == 1, out.out
    assert out.err == ""


def run_cases(check, wrong, **kw):
    """wrong: {name: (fn, kind, phrase)}; every one must fail naming its cause."""
    for name, (fn, kind, phrase) in wrong.items():
        try:
            expect(check, fn, kind, phrase, **kw)
        except AssertionError as exc:
            raise AssertionError(f"wrong implementation {name!r}: {exc}") from None


def common_wrong(right, first_array=0, skip=()):
    """Wrong answers every check must catch: None, NaN, inf, float32, an overwritten input."""

    def nan(*a):
        return _map(right(*a), lambda x: np.full_like(x, np.nan))

    def inf(*a):
        return _map(right(*a), lambda x: np.full_like(x, np.inf))

    def f32(*a):
        return _map(right(*a), lambda x: x.astype(np.float32))

    def overwrite(*a):
        out = right(*a)
        target = a[first_array]
        (target[0] if isinstance(target, tuple) else target)[...] = 0.0
        return out

    out = {
        "returns None": (lambda *a: None, "none", "return"),
        "NaN": (nan, "nonfinite", "NaN"),
        "inf": (inf, "nonfinite", "inf"),
        "float32": (f32, "dtype", "float64"),
        "overwrites its input": (overwrite, "changed_input", "must not write into"),
    }
    return {k: v for k, v in out.items() if k not in skip}


def _map(out, f):
    if isinstance(out, tuple) and not hasattr(out, "_fields"):
        return tuple(f(np.asarray(o, dtype=float)) for o in out)
    if hasattr(out, "_fields"):
        return type(out)(*(f(np.asarray(o, dtype=float)) for o in out))
    return f(np.asarray(out, dtype=float))
