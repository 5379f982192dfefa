"""bptt.graph: the unrolled graph as data (nodes, edges, paths) and its matplotlib drawing."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from bptt import graph as G  # noqa: E402

Ts = st.integers(1, G.MAX_T)


@settings(max_examples=12, deadline=None)
@given(T=Ts)
def test_many_to_one_structure(T):
    g = G.unrolled_graph(T, "many_to_one")
    roles = [n.role for n in g.nodes.values()]
    assert roles.count("input") == T and roles.count("state") == T + 1
    assert roles.count("output") == 1 and roles.count("total") == 1 and roles.count("loss") == 0
    assert len(g.edges) == 2 * T + 2
    for t in range(T):                     # before T a state feeds only the next state: no direct term
        assert g.successors(f"h{t}") == [f"h{t + 1}"]
    assert g.successors(f"h{T}") == [f"o{T}"]
    assert all(G.count_paths(g, f"h{t}", "L") == 1 for t in range(T + 1))
    assert G.count_paths(g, "x1", "L") == 1


@settings(max_examples=12, deadline=None)
@given(T=Ts)
def test_many_to_many_structure_and_junctions(T):
    g = G.unrolled_graph(T, "many_to_many")
    roles = [n.role for n in g.nodes.values()]
    assert roles.count("output") == T and roles.count("loss") == T and roles.count("total") == 1
    assert len(g.edges) == 5 * T
    for t in range(1, T):                  # a junction: h_t feeds h_{t+1} and o_t
        assert sorted(g.successors(f"h{t}")) == sorted([f"h{t + 1}", f"o{t}"])
    assert sorted(g.predecessors("L")) == sorted(f"L{t}" for t in range(1, T + 1))
    assert [G.count_paths(g, f"h{t}", "L") for t in range(1, T + 1)] == list(range(T, 0, -1))
    assert G.count_paths(g, "h0", "L") == T
    assert G.count_paths(g, f"h{T}", "L1") == (1 if T == 1 else 0)   # no path back in time


def test_labels_name_the_copies():
    labels = {e.label for e in G.unrolled_graph(3).edges}
    assert {"$W_{1}$", "$W_{3}$", "$U_{2}$", "$V$"} <= labels
    labels = {e.label for e in G.unrolled_graph(3, copies=False).edges}
    assert {"$W$", "$U$", "$V$"} <= labels and "$W_{1}$" not in labels


@pytest.mark.parametrize("bad,exc", [(0, ValueError), (G.MAX_T + 1, ValueError), (2.5, TypeError), ("3", TypeError)])
def test_bad_T(bad, exc):
    with pytest.raises(exc, match="T"):
        G.unrolled_graph(bad)


def test_bad_kind_and_node_names():
    with pytest.raises(ValueError, match="kind"):
        G.unrolled_graph(3, "one_to_many")
    with pytest.raises(ValueError, match="src"):
        G.count_paths(G.unrolled_graph(3), "h9", "L")
    with pytest.raises(ValueError, match="dst"):
        G.count_paths(G.unrolled_graph(3), "h1", "L2")


@pytest.mark.parametrize("kind", G.KINDS)
@pytest.mark.parametrize("gradients", [False, True])
def test_drawing(kind, gradients):
    T = 4
    ax = G.draw_unrolled(T, kind, gradients=gradients)
    try:
        g = G.unrolled_graph(T, kind)
        assert len(ax.patches) == len(g.nodes)                       # one circle per node
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
        out = G.draw_unrolled(2, "many_to_many", ax=axes[1], title="mine")
        assert out is axes[1] and out.get_title() == "mine" and len(axes[0].patches) == 0
    finally:
        plt.close(fig)
