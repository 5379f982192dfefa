"""The unrolled-graph drawing puts each g_t on the red arrow that carries g_t into h_t."""

import matplotlib.pyplot as plt
import pytest

from bptt import graph as G
from bptt.figures import ch04


@pytest.mark.parametrize("kind", G.KINDS)
def test_g_labels_sit_between_h_t_and_h_t_plus_1(kind):
    T = 4
    ax = ch04.draw_unrolled(T=T, kind=kind, gradients=True)
    nodes = G.unrolled_graph(T, kind).nodes
    labels = {t.get_text(): t.get_position() for t in ax.texts if t.get_text().startswith("$g_")}
    for t in range(T + 1):
        x, _ = labels[f"$g_{{{t}}}$"]
        assert nodes[f"h{t}"].x < x < nodes[f"h{t}"].x + 1  # right of h_t: the arrow from h_t+1
    plt.close(ax.figure)
