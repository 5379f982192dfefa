"""bptt.figures.ch11: the streams picture, the learning curves and the temperature bars draw what
their docstrings say, and bad arguments get a clear error."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from bptt import charlm
from bptt.figures import ch11

TEXT = "the cat sat on the mat. " * 20


def test_streams_show_each_stream_in_order_with_carried_arrows():
    ax = ch11.draw_streams(TEXT, n_streams=3, seq_len=5, n_batches=2)
    shown = [t.get_text() for t in ax.texts]
    L = (len(TEXT) - 1) // 3
    first = "".join("␣" if ch == " " else ch for ch in TEXT[L : L + 10])  # stream 2, 10 steps
    i = shown.index("stream 1")  # the labels follow each stream's cells
    assert "".join(shown[i + 1 : i + 11]) == first
    assert len(ax.patches) == 3 * 2 * 5 and len([t for t in shown if t.startswith("batch")]) == 2
    arrows = [a for a in ax.get_children() if type(a).__name__ == "Annotation"]
    assert len(arrows) == 3 * (2 - 1)  # one carried state per stream and batch boundary
    plt.close(ax.figure)


def test_learning_curves_and_temperatures_draw():
    vocab = charlm.Vocabulary(TEXT)
    tr, va = charlm.split(vocab.encode(TEXT))
    run = charlm.train(
        charlm.init_model(vocab.size, 4), tr, va, steps=6, n_streams=2, seq_len=4, eval_every=3
    )
    ax = ch11.plot_learning_curves({"a": run}, {"unigram": 3.0, "bigram": 2.0}, smooth=2)
    lines = ax.get_lines()
    assert np.array_equal(lines[1].get_xdata(), [3, 6])
    np.testing.assert_allclose(lines[1].get_ydata(), run.valid_bits)
    assert sorted(round(line.get_ydata()[0], 6) for line in lines[2:]) == [2.0, 3.0]
    plt.close(ax.figure)
    probs = np.array([charlm.temperature_softmax([2.0, 1.0, 0.0], t) for t in (0.5, 1.0)])
    ax = ch11.plot_temperatures(probs, "abc", (0.5, 1.0), top=2)
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, [probs[0, 0], probs[0, 1], probs[1, 0], probs[1, 1]])
    plt.close(ax.figure)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: ch11.draw_streams("short", 3, 5), "at least N T + 1 = 16"),
        (lambda: ch11.draw_streams(b"bytes", 1, 1), "text must be a str"),
        (lambda: ch11.plot_learning_curves({}, {}), "non-empty"),
        (lambda: ch11.plot_temperatures(np.ones((2, 3)) / 3, "ab", (1, 2)), "C = 3"),
    ],
)
def test_bad_arguments_are_named(call, words):
    with pytest.raises((ValueError, TypeError), match=words.replace("+", r"\+")):
        call()
