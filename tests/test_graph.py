"""bptt.graph: the unrolled graph as data (nodes, edges, paths); its drawing: test_figures.py."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bptt import graph as G

Ts = st.integers(1, G.MAX_T)


@settings(max_examples=12, deadline=None)
@given(T=Ts)
def test_many_to_one_structure(T):
    g = G.unrolled_graph(T, "many_to_one")
    roles = [n.role for n in g.nodes.values()]
    assert roles.count("input") == T and roles.count("state") == T + 1
    assert roles.count("output") == 1 and roles.count("total") == 1 and roles.count("loss") == 0
    assert len(g.edges) == 2 * T + 2
    for t in range(T):  # before T a state feeds only the next state: no direct term
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
    for t in range(1, T):  # a junction: h_t feeds h_{t+1} and o_t
        assert sorted(g.successors(f"h{t}")) == sorted([f"h{t + 1}", f"o{t}"])
    assert sorted(g.predecessors("L")) == sorted(f"L{t}" for t in range(1, T + 1))
    assert [G.count_paths(g, f"h{t}", "L") for t in range(1, T + 1)] == list(range(T, 0, -1))
    assert G.count_paths(g, "h0", "L") == T
    assert G.count_paths(g, f"h{T}", "L1") == (1 if T == 1 else 0)  # no path back in time


def test_labels_name_the_copies():
    labels = {e.label for e in G.unrolled_graph(3).edges}
    assert {"$W_{1}$", "$W_{3}$", "$U_{2}$", "$V$"} <= labels
    labels = {e.label for e in G.unrolled_graph(3, copies=False).edges}
    assert {"$W$", "$U$", "$V$"} <= labels and "$W_{1}$" not in labels


@pytest.mark.parametrize(
    "bad,exc", [(0, ValueError), (G.MAX_T + 1, ValueError), (2.5, TypeError), ("3", TypeError)]
)
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
