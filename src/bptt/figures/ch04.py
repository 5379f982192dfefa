"""The figures of chapter 4 (many-to-one BPTT), also drawn in chapter 6: the unrolled graph.

The graph itself (nodes, edges, paths) is data in ``bptt.graph``; this module draws it.
"""

import numpy as np

from ..graph import unrolled_graph
from . import style

_RADIUS = 0.3
_COLORS = {
    "input": "#d9e8f5",
    "state": "#fde9c9",
    "output": "#e1f0da",
    "loss": "#f6d5d5",
    "total": "#f6d5d5",
}


def _endpoints(a, b, r=_RADIUS):
    """Start and end of an arrow from node a to node b, cut at the circles' rims."""
    p, q = np.array([a.x, a.y]), np.array([b.x, b.y])
    d = (q - p) / np.linalg.norm(q - p)
    return p + r * d, q - r * d


def draw_unrolled(T=3, kind="many_to_one", ax=None, copies=True, gradients=False, title=None):
    """The unrolled graph of ``bptt.graph.unrolled_graph``, drawn; drawn in chapters 4 and 6.

    With ``gradients`` the backward pass is drawn too, in red dashes: g_t flows from h_{t+1} to
    h_t (as Wᵀ δ_{t+1}) and, where a step carries a loss, from o_t to h_t (as Vᵀ ∂L_t/∂o_t); a
    state where two red arrows meet is a junction whose terms add up.

    Parameters
    ----------
    T, kind, copies
        As in ``bptt.graph.unrolled_graph``.
    ax : matplotlib Axes, optional
        A new figure of about 7 x 3.5 inches when None.
    gradients : bool, optional
    title : str, optional
        A default naming T and the kind when None.

    Returns
    -------
    matplotlib Axes
    """
    graph = unrolled_graph(T, kind, copies)
    ax = _new_axes(graph) if ax is None else ax
    for e in graph.edges:
        _forward_edge(ax, graph.nodes[e.src], graph.nodes[e.dst], e.label)
    if gradients:
        _backward_edges(ax, graph)
    for n in graph.nodes.values():
        circle = style.plt().Circle(
            (n.x, n.y), _RADIUS, facecolor=_COLORS[n.role], edgecolor="0.2", lw=1.1, zorder=3
        )
        ax.add_patch(circle)
        ax.text(n.x, n.y, n.label, ha="center", va="center", fontsize=11, zorder=4)
    xs = [n.x for n in graph.nodes.values()]
    ys = [n.y for n in graph.nodes.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.7)
    ax.set_ylim(min(ys) - 0.55, max(ys) + 0.5)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title is None:
        title = f"{kind.replace('_', '-')} RNN unrolled for T = {graph.T}"
        title += " (red: backward pass)" if gradients else ""
    ax.set_title(title, fontsize=11)
    return ax


def _new_axes(graph):
    """Axes of a figure about 7 x 3.5 inches, sized to the graph."""
    top = 2 if graph.kind == "many_to_one" else 4
    width = max(graph.T + 1.2 + (1.0 if graph.kind == "many_to_one" else 0), 4.2)
    height = top + 1.2
    scale = min(7.0 / width, 4.2 / height, 1.2)
    return style.plt().subplots(figsize=(max(width * scale, 5.0), height * scale + 0.4))[1]


def _forward_edge(ax, a, b, label):
    """The arrow from node a to node b, with its parameter's label beside it."""
    start, end = _endpoints(a, b)
    arrow = dict(arrowstyle="-|>", color="0.25", lw=1.2, shrinkA=0, shrinkB=0)
    ax.annotate("", xy=end, xytext=start, arrowprops=arrow)
    if label:
        mid = (start + end) / 2 + ((0, 0.17) if a.y == b.y else (0.17, 0))
        ax.text(mid[0], mid[1], label, ha="center", va="center", fontsize=10, color="0.15")


def _backward_edges(ax, graph):
    """The backward pass in red dashes: h_t -> h_{t-1}, o_t -> h_t, and the labels g_t."""
    red = dict(arrowstyle="-|>", color="#c0392b", lw=1.3, ls="--", shrinkA=0, shrinkB=0)
    for t in range(graph.T, 0, -1):
        h, hp = graph.nodes[f"h{t}"], graph.nodes[f"h{t - 1}"]
        s, e = _endpoints(h, hp)
        ax.annotate("", xy=e + (0, -0.12), xytext=s + (0, -0.12), arrowprops=red)
        if f"o{t}" in graph.nodes:
            s, e = _endpoints(graph.nodes[f"o{t}"], h)
            ax.annotate("", xy=e + (-0.14, 0), xytext=s + (-0.14, 0), arrowprops=red)
    for t in range(graph.T + 1):
        h = graph.nodes[f"h{t}"]
        ax.text(
            h.x + 0.45,
            h.y - 0.32,
            rf"$g_{{{t}}}$",
            color="#c0392b",
            fontsize=10,
            ha="center",
            va="center",
        )
