"""The figures of chapter 4 (many-to-one BPTT), also drawn in chapter 6: the unrolled graph.

The graph itself (nodes, edges, paths) is data in ``bptt.graph``; this module draws it.
"""

import numpy as np

from ..graph import unrolled_graph
from . import style

_RADIUS = 0.3
_COLORS = {"input": "#d9e8f5", "state": "#fde9c9", "output": "#e1f0da", "loss": "#f6d5d5",
           "total": "#f6d5d5"}


def _endpoints(a, b, r=_RADIUS):
    """Start and end of an arrow from node a to node b, cut at the circles' rims."""
    p, q = np.array([a.x, a.y]), np.array([b.x, b.y])
    d = (q - p) / np.linalg.norm(q - p)
    return p + r * d, q - r * d


def draw_unrolled(T=3, kind="many_to_one", ax=None, copies=True, gradients=False, title=None):
    """Draw the unrolled graph with matplotlib and return the Axes.

    T, kind, copies: as in ``unrolled_graph``. ax: an Axes to draw into (a new figure of about
    7 x 3.5 inches when None). gradients: also draw the backward pass in red dashes: g_t flows
    from h_{t+1} to h_t (as Wᵀ δ_{t+1}) and, where a step carries a loss, from o_t to h_t (as
    Vᵀ ∂L_t/∂o_t); a state where two red arrows meet is a junction whose terms add up.
    title: the Axes title (a default naming T and the kind when None).
    """
    plt = style.plt()
    graph = unrolled_graph(T, kind, copies)
    T = graph.T
    if ax is None:
        top = 2 if kind == "many_to_one" else 4
        width = max(T + 1.2 + (1.0 if kind == "many_to_one" else 0), 4.2)
        height = top + 1.2
        scale = min(7.0 / width, 4.2 / height, 1.2)
        _, ax = plt.subplots(figsize=(max(width * scale, 5.0), height * scale + 0.4))
    for e in graph.edges:
        a, b = graph.nodes[e.src], graph.nodes[e.dst]
        start, end = _endpoints(a, b)
        ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="-|>", color="0.25", lw=1.2,
                                                              shrinkA=0, shrinkB=0))
        if e.label:
            mid = (start + end) / 2
            off = (0, 0.17) if a.y == b.y else (0.17, 0)
            ax.text(mid[0] + off[0], mid[1] + off[1], e.label, ha="center", va="center", fontsize=10,
                    color="0.15")
    if gradients:
        red = dict(arrowstyle="-|>", color="#c0392b", lw=1.3, ls="--", shrinkA=0, shrinkB=0)
        for t in range(T, 0, -1):
            h, hp = graph.nodes[f"h{t}"], graph.nodes[f"h{t - 1}"]
            s, e = _endpoints(h, hp)
            ax.annotate("", xy=e + (0, -0.12), xytext=s + (0, -0.12), arrowprops=red)
            if f"o{t}" in graph.nodes:
                o = graph.nodes[f"o{t}"]
                s, e = _endpoints(o, h)
                ax.annotate("", xy=e + (-0.14, 0), xytext=s + (-0.14, 0), arrowprops=red)
        for t in range(T + 1):
            h = graph.nodes[f"h{t}"]
            ax.text(h.x - 0.33, h.y - 0.36, rf"$g_{{{t}}}$", color="#c0392b", fontsize=10, ha="center",
                    va="center")
    for n in graph.nodes.values():
        ax.add_patch(plt.Circle((n.x, n.y), _RADIUS, facecolor=_COLORS[n.role], edgecolor="0.2", lw=1.1,
                                zorder=3))
        ax.text(n.x, n.y, n.label, ha="center", va="center", fontsize=11, zorder=4)
    xs = [n.x for n in graph.nodes.values()]
    ys = [n.y for n in graph.nodes.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.7)
    ax.set_ylim(min(ys) - 0.55, max(ys) + 0.5)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title is None:
        title = f"{kind.replace('_', '-')} RNN unrolled for T = {T}"
        if gradients:
            title += " (red: backward pass)"
    ax.set_title(title, fontsize=11)
    return ax
