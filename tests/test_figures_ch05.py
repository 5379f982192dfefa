"""bptt.figures.ch05: chapter 5's figures draw what their captions say."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from bptt import examples, losses
from bptt.figures import ch05


def test_probability_minus_target_bars_are_the_gradient():
    o, targets = examples.soft_targets()
    fig = ch05.probability_minus_target(o, targets)
    p = losses.softmax(o)
    assert len(fig.axes) == len(targets)
    for ax, y in zip(fig.axes, targets.values()):
        heights = [r.get_height() for r in ax.patches]  # ŷ bars, y bars, gradient bars
        C = len(o)
        np.testing.assert_allclose(heights[:C], p)
        np.testing.assert_allclose(heights[C : 2 * C], y)
        np.testing.assert_allclose(heights[2 * C : 3 * C], y.sum() * p - y)
        circles = [line for line in ax.lines if line.get_marker() == "o"]
        assert len(circles) == (0 if abs(y.sum() - 1) < 1e-12 else 1)  # ŷ − y only where it misses
    plt.close(fig)


def test_probability_minus_target_rejects_bad_input():
    o, targets = examples.soft_targets()
    with pytest.raises(TypeError, match="targets"):
        ch05.probability_minus_target(o, [1, 2])
    with pytest.raises(ValueError, match="shape"):
        ch05.probability_minus_target(o, {"short": np.ones(2)})


def test_jacobian_saturation_shrinks_with_scale():
    fig = ch05.jacobian_saturation(np.array([1.0, 0.5, 0.0, -0.5, -1.0]), scales=(1, 6))
    maps = [ax.images[0].get_array() for ax in fig.axes if ax.images]
    assert len(maps) == 2 and np.abs(maps[1]).max() < np.abs(maps[0]).max() / 4
    plt.close(fig)


def test_wrong_logit_sweep_shows_the_overflow():
    fig = ch05.wrong_logit_sweep()
    right = fig.axes[1]
    stable, naive = right.lines[0].get_ydata(), right.lines[1].get_ydata()
    assert np.isfinite(stable).all() and np.isnan(naive[-1]) and np.isfinite(naive[0])
    plt.close(fig)
