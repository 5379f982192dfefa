"""Assignment 10's check: the right step passes, each named mistake fails with its cause."""

import numpy as np
import pytest

from bptt import checks
from bptt.checks.a10_gated_units import MISTAKES, _mistaken
from bptt.checks.engine import CheckFailed
from bptt.lstm import lstm_step_backward


def test_the_reference_passes(capsys):
    checks.check_lstm_step_backward(lstm_step_backward)
    checks.check_lstm_step_backward(lstm_step_backward, seed=1, N=2, D=3, H=2)
    assert capsys.readouterr().out.startswith("passed: lstm_step_backward")


@pytest.mark.parametrize("kind", sorted(MISTAKES))
def test_each_mistake_is_named(kind):
    with pytest.raises(CheckFailed) as info:
        checks.check_lstm_step_backward(lambda dh, dc, cache: _mistaken(dh, dc, cache, kind))
    assert MISTAKES[kind][:40] in str(info.value), str(info.value)


def not_done(dh, dc, cache):
    raise NotImplementedError()


def returns_none(dh, dc, cache):
    lstm_step_backward(dh, dc, cache)


def with_nan(dh, dc, cache):
    out = list(lstm_step_backward(dh, dc, cache))
    out[3] = out[3] * np.nan
    return tuple(out)


def wrong_shape(dh, dc, cache):
    out = list(lstm_step_backward(dh, dc, cache))
    out[5] = out[5][:-1]
    return tuple(out)


def overwrites(dh, dc, cache):
    out = lstm_step_backward(dh, dc, cache)
    cache[5][...] = 0.0  # writes into i_t
    return out


def five_outputs(dh, dc, cache):
    return lstm_step_backward(dh, dc, cache)[:5]


@pytest.mark.parametrize(
    "fn, words",
    [
        (not_done, "not done yet"),
        (returns_none, "None"),
        (with_nan, "NaN"),
        (wrong_shape, "shape"),
        (overwrites, "changed"),
        (five_outputs, "6"),
    ],
)
def test_basic_failures_say_what_is_wrong(fn, words):
    with pytest.raises(CheckFailed) as info:
        checks.check_lstm_step_backward(fn)
    assert words in str(info.value), str(info.value)
