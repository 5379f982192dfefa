"""bptt.figures: every figure function draws what its docstring says and checks its arguments."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

import bptt
from bptt.figures import ch01, ch03, ch04, ch07, ch08
from bptt.graph import KINDS, unrolled_graph

FIG_Y = np.linspace(-2, 2, 4)

BAD = [
    (lambda: ch01.tanh_and_derivative(a_max=-1), ValueError, ["a_max", "positive"]),
    (lambda: ch01.tanh_and_derivative(saturation=1.0), ValueError, ["saturation", "(0, 1)"]),
    (lambda: ch01.tanh_and_derivative(points=np.ones((2, 2))), ValueError, ["points", "(K,)"]),
    (lambda: ch01.matrix_heatmap(np.ones(3)), ValueError, ["M", "(R, C)"]),
    (lambda: ch01.tanh_jacobian_figure(FIG_Y, np.eye(3)), ValueError, ["J", "(H, H) = (4, 4)"]),
    (lambda: ch01.tanh_jacobian_figure(FIG_Y[None], np.eye(4)), ValueError, ["y", "(H,)"]),
]


@pytest.mark.parametrize("call, exc, words", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input_names_the_argument(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} not in {str(info.value)!r}"


def test_tanh_figure_draws_what_it_says():
    y = np.array([-2.0, 0.0, 1.0])
    fig = ch01.tanh_jacobian_figure(y, np.diag(bptt.activations.tanh_grad(y)))
    left, right = fig.axes[:2]
    assert len(left.lines) >= 3  # tanh, tanh', the marked points
    np.testing.assert_allclose(right.images[0].get_array(), np.diag(bptt.activations.tanh_grad(y)))
    plt.close(fig)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("gradients", [False, True])
def test_drawing(kind, gradients):
    T = 4
    ax = ch04.draw_unrolled(T, kind, gradients=gradients)
    try:
        g = unrolled_graph(T, kind)
        assert len(ax.patches) == len(g.nodes)  # one circle per node
        texts = [t.get_text() for t in ax.texts]
        for n in g.nodes.values():
            assert n.label in texts
        arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
        red = T + (T if kind == "many_to_many" else 1) if gradients else 0
        assert len(arrows) == len(g.edges) + red
        assert ("$g_{0}$" in texts) == gradients
        assert "T = 4" in ax.get_title()
        w, h = ax.figure.get_size_inches()
        assert 4.5 <= w <= 7.5 and h <= 5
    finally:
        plt.close(ax.figure)


def test_drawing_into_a_given_axes():
    fig, axes = plt.subplots(1, 2, figsize=(7, 3.5))
    try:
        out = ch04.draw_unrolled(2, "many_to_many", ax=axes[1], title="mine")
        assert out is axes[1] and out.get_title() == "mine" and len(axes[0].patches) == 0
    finally:
        plt.close(fig)


def test_chapter_3_figures():
    fig = ch03.plot_step_sweep(np.tanh, 0.5, 1 - np.tanh(0.5) ** 2, steps=np.logspace(-8, 0, 9))
    assert len(fig.axes) == 2
    plt.close(fig)
    maps = {"a": np.eye(3), "b": -np.eye(3), "c": np.zeros((3, 3))}
    fig = ch03.plot_difference_maps(maps, suptitle="test")
    assert sum(ax.get_visible() for ax in fig.axes) == 3 + 3  # three images and three colour bars
    plt.close(fig)
    with pytest.raises(TypeError, match="maps"):
        ch03.plot_difference_maps([np.eye(2)])
    with pytest.raises(ValueError, match="maps"):
        ch03.plot_difference_maps({"a": np.zeros(3)})


def test_chapter_7_figures_are_drawn():
    figs = [
        ch07.plot_impulse_responses(),
        ch07.plot_activation_derivatives(),
        ch07.plot_nonnormal(
            bptt.dynamics.nonnormal_example(), np.array([1.0, 0.0]), W_normal=0.9 * np.eye(2)
        ),
        ch07.plot_norms_by_lag([("a", [("x", np.array([1.0, 0.5, 0.25]))])]),
        ch07.plot_contributions([("a", np.tril(np.ones((4, 4))))]),
    ]
    for fig in figs:
        assert fig.axes and fig.axes[0].has_data()
        plt.close(fig)


def test_chapter_8_figures():
    ax = ch08.draw_truncation(12, 4)
    crosses = [ln for ln in ax.lines if ln.get_marker() == "x"]
    assert len(crosses) == 2  # boundaries before h_5, h_9
    plt.close("all")
    ax = ch08.draw_clipping(np.array([[8.0, 1.0], [1.0, 1.0]]), 4, 4)
    assert len(ax.collections) == 6  # 3 arrows per vector
    plt.close("all")
    with pytest.raises(ValueError, match=r"\(M, 2\)"):
        ch08.draw_clipping(np.ones((2, 3)), 1, 1)
    h = bptt.train.train(
        bptt.init_params(2, 3, 2),
        np.zeros((4, 3, 2)),
        np.zeros((4, 3), dtype=int),
        steps=30,
        batch_size=2,
    )
    fig = ch08.plot_training([h, h], ["a", "b"], [0.5, 0.6], 1.0, 0.5)
    assert len(fig.axes) == 2
    plt.close("all")
    with pytest.raises(ValueError, match="same length"):
        ch08.plot_training([h], ["a", "b"], [0.5], 1.0, 0.5)
    ks = [1, 2, 4]
    ax = ch08.plot_truncation_gap(
        ks, {1.0: (np.ones(3), np.array([0.5, 0.0, 0.0])), 0.5: (np.ones(3), np.zeros(3))}, T=4
    )
    assert len(ax.lines) == 4 and ax.get_yscale() == "log"
    assert np.all(ax.lines[1].get_ydata() >= 1e-16)  # zero window errors drawn
    plt.close("all")
    with pytest.raises(ValueError, match="1 to 4 scales"):
        ch08.plot_truncation_gap(ks, {}, T=4)
    ax = ch08.plot_grad_norms({"a": h, "b": h}, tau=5.0)
    assert len(ax.lines) == 3 and ax.lines[2].get_ydata()[0] == 5.0  # two runs and tau
    plt.close("all")
    with pytest.raises(ValueError, match="non-empty"):
        ch08.plot_grad_norms({})


def test_ch10_gradient_survival_draws_both_panels():
    from bptt.figures import ch10

    lags = np.linspace(1, 0.1, 6)
    fig = ch10.plot_gradient_survival({"lstm": (lags, lags / 2), "rnn": (lags**3, None)})
    left, right = fig.axes
    assert len(left.lines) == 2 and len(right.lines) == 1
    np.testing.assert_allclose(right.lines[0].get_ydata(), lags / 2)
    plt.close(fig)
    with pytest.raises(ValueError, match="non-empty dict"):
        ch10.plot_gradient_survival({})
    with pytest.raises(ValueError, match=r"\(K,\)"):
        ch10.plot_gradient_survival({"a": (np.ones((2, 2)), None)})


def test_ch09_figures_draw_and_check_their_arguments():
    from bptt.figures import ch09

    fig = ch09.plot_bill([10, 20], [1.0, 2.0], [3.0, 6.0], [8, 16], [1.0, 4.0], [3.0, 12.0])
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 4
    plt.close(fig)
    fig = ch09.plot_checkpoint([1, 10, 100], [3.0, 1.0, 3.0], [2.0, 1.4, 1.3], 100, 0.01, 4.0, 1.0)
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [3.0, 1.0, 3.0])
    plt.close(fig)
    ax = ch09.plot_rtrl([4, 8], [1.0, 16.0], [1.0, 4.0])
    assert len(ax.lines) == 4
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="rtrl_seconds"):
        ch09.plot_rtrl([4, 8], [1.0], [1.0, 4.0])
    with pytest.raises(ValueError, match="ks"):
        ch09.plot_checkpoint([0, 1], [1.0, 1.0], [1.0, 1.0], 10, 0.1, 1.0, 1.0)
