"""The computational graph of an RNN unrolled in time, as data and as a matplotlib drawing (chapters 4, 6).

    a_t = W h_{t-1} + U x_t + b,   h_t = tanh(a_t),   o_t = V h_t + c,   t = 1..T

Many-to-one: one output o_T and its loss L. Many-to-many: an output o_t and a loss L_t at every
step, and L = Σ_t L_t. With ``copies=True`` the edges carry source 000's dummy copies W_t, U_t
(step t uses its own copy, all equal to W, U), which is why dL/dW is a sum over t.
"""
from typing import NamedTuple

import numpy as np

from ._validate import check_choice, check_int

KINDS = ("many_to_one", "many_to_many")
MAX_T = 12          # beyond this the drawing is no longer readable at 7 inches
_RADIUS = 0.3
_COLORS = {"input": "#d9e8f5", "state": "#fde9c9", "output": "#e1f0da", "loss": "#f6d5d5", "total": "#f6d5d5"}


class Node(NamedTuple):
    """One vertex: name (e.g. "h2"), label (matplotlib mathtext), position (x, y), role
    ("input", "state", "output", "loss" or "total")."""
    name: str
    label: str
    x: float
    y: float
    role: str


class Edge(NamedTuple):
    """A forward edge src -> dst with the parameter it applies as label ("" when none)."""
    src: str
    dst: str
    label: str


class UnrolledGraph(NamedTuple):
    """T (int), kind ("many_to_one" or "many_to_many"), nodes {name: Node}, edges (tuple of Edge)."""
    T: int
    kind: str
    nodes: dict
    edges: tuple

    def successors(self, name):
        """Names of the nodes that ``name`` feeds, in edge order."""
        return [e.dst for e in self.edges if e.src == name]

    def predecessors(self, name):
        """Names of the nodes that feed ``name``, in edge order."""
        return [e.src for e in self.edges if e.dst == name]


def unrolled_graph(T=3, kind="many_to_one", copies=True):
    """The unrolled graph as data: inputs x_1..x_T, states h_0..h_T, outputs, losses.

    T: number of steps (1 <= T <= 12). kind: "many_to_one" (o_T, L) or "many_to_many"
    (o_t, L_t for every t, and L = Σ_t L_t). copies: label the edges W_t, U_t (dummy copies)
    instead of W, U. Node names: "h0".."hT", "x1".."xT", "o<t>", "L<t>", "L". Returns an UnrolledGraph.
    """
    T = check_int(T, "T", minimum=1)
    if T > MAX_T:
        raise ValueError(f"T must be an integer in [1, {MAX_T}] for a readable drawing, got {T}")
    check_choice(kind, "kind", KINDS)
    nodes, edges = {}, []

    def add(name, label, x, y, role):
        nodes[name] = Node(name, label, float(x), float(y), role)

    add("h0", r"$h_0$", 0, 1, "state")
    for t in range(1, T + 1):
        add(f"x{t}", rf"$x_{{{t}}}$", t, 0, "input")
        add(f"h{t}", rf"$h_{{{t}}}$", t, 1, "state")
        edges.append(Edge(f"h{t - 1}", f"h{t}", rf"$W_{{{t}}}$" if copies else r"$W$"))
        edges.append(Edge(f"x{t}", f"h{t}", rf"$U_{{{t}}}$" if copies else r"$U$"))
    if kind == "many_to_one":
        add(f"o{T}", rf"$o_{{{T}}}$", T, 2, "output")
        add("L", r"$L$", T + 1, 2, "total")
        edges.append(Edge(f"h{T}", f"o{T}", r"$V$"))
        edges.append(Edge(f"o{T}", "L", ""))
    else:
        add("L", r"$L$", (T + 1) / 2, 4, "total")
        for t in range(1, T + 1):
            add(f"o{t}", rf"$o_{{{t}}}$", t, 2, "output")
            add(f"L{t}", rf"$L_{{{t}}}$", t, 3, "loss")
            edges.append(Edge(f"h{t}", f"o{t}", r"$V$"))
            edges.append(Edge(f"o{t}", f"L{t}", ""))
            edges.append(Edge(f"L{t}", "L", ""))
    return UnrolledGraph(T, kind, nodes, tuple(edges))


def count_paths(graph, src, dst):
    """Number of directed paths from node ``src`` to node ``dst`` in an UnrolledGraph (an int).

    In many-to-one h_t reaches L along one path; in many-to-many along T - t + 1 paths, one
    through each later loss: the terms that the backward pass adds at the junctions.
    """
    for name, arg in ((src, "src"), (dst, "dst")):
        if name not in graph.nodes:
            raise ValueError(f"{arg} must be a node name of the graph (e.g. 'h1', 'L'), got {name!r}")
    memo = {}

    def paths(n):
        if n == dst:
            return 1
        if n not in memo:
            memo[n] = sum(paths(m) for m in graph.successors(n))
        return memo[n]

    return paths(src)


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
    import matplotlib.pyplot as plt

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
            ax.text(h.x + 0.45, h.y - 0.32, rf"$g_{{{t}}}$", color="#c0392b", fontsize=10, ha="center",
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
