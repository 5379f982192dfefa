"""check_checkpointed_grads (assignment 9): right answers pass, each mistake is named."""

import numpy as np
import pytest

import bptt
from bptt import checks
from bptt.checks.a09_cost import CAUSES, _mistake
from bptt.checks.engine import CheckFailed


def right(params, X, Y, k):
    return bptt.checkpoint.checkpointed(params, X, Y, k, loss="mse")[1]


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"seed": 1, "k": 1, "T": 4},
        {"seed": 2, "k": 10, "T": 5},
        {"seed": 3, "k": 4, "T": 9, "N": 3, "D": 3, "H": 2, "C": 1},
    ],
)
def test_a_right_answer_passes(kw, capsys):
    checks.check_checkpointed_grads(right, **kw)
    assert capsys.readouterr().out.startswith("passed: checkpointed_grads")


@pytest.mark.parametrize("kind", sorted(CAUSES))
def test_each_mistake_fails_naming_its_cause(kind):
    def wrong(p, X, Y, k):
        return bptt.Params(*_mistake(p, X, Y, k, kind))

    with pytest.raises(CheckFailed) as info:
        checks.check_checkpointed_grads(wrong)
    assert CAUSES[kind] in str(info.value)


def _nan(p, X, Y, k):
    g = right(p, X, Y, k)
    return g._replace(W=np.full_like(g.W, np.nan))


def _changes_input(p, X, Y, k):
    g = right(p, X, Y, k)
    X *= 2.0
    return g


@pytest.mark.parametrize(
    "fn, word",
    [
        (lambda p, X, Y, k: None, "return"),
        (_nan, "NaN"),
        (lambda p, X, Y, k: right(p, X, Y, k)._replace(W=np.zeros((2, 2))), "shape"),
        (_changes_input, "X"),
        (lambda p, X, Y, k: (_ for _ in ()).throw(NotImplementedError()), "not done"),
    ],
)
def test_wrong_answer_basics_fail_with_a_sentence(fn, word):
    with pytest.raises(CheckFailed) as info:
        checks.check_checkpointed_grads(fn)
    assert word in str(info.value), str(info.value)
