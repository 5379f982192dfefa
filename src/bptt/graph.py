"""The computational graph of an RNN unrolled in time, as data (chapters 4, 6; drawn by ch04).

    a_t = W h_{t-1} + U x_t + b,   h_t = tanh(a_t),   o_t = V h_t + c,   t = 1..T

Many-to-one: one output o_T and its loss L. Many-to-many: an output o_t and a loss L_t at every
step, and L = Σ_t L_t. With ``copies=True`` the edges carry source 000's dummy copies W_t, U_t
(step t uses its own copy, all equal to W, U), which is why dL/dW is a sum over t.
"""

from typing import NamedTuple

from ._validate import check_choice, check_int

KINDS = ("many_to_one", "many_to_many")
MAX_T = 12  # beyond this the drawing is no longer readable at 7 inches


class Node(NamedTuple):
    """One vertex of the unrolled graph.

    Attributes
    ----------
    name : str
        E.g. "h2".
    label : str
        Matplotlib mathtext, e.g. "$h_{2}$".
    x, y : float
        Position in the drawing.
    role : str
        "input", "state", "output", "loss" or "total".
    """

    name: str
    label: str
    x: float
    y: float
    role: str


class Edge(NamedTuple):
    """A forward edge src -> dst, labelled with the parameter it applies ("" when none)."""

    src: str
    dst: str
    label: str


class UnrolledGraph(NamedTuple):
    """The unrolled graph as data.

    Attributes
    ----------
    T : int
    kind : str
        "many_to_one" or "many_to_many".
    nodes : dict
        {name: Node}.
    edges : tuple of Edge
    """

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

    Parameters
    ----------
    T : int, optional
        The number of steps, 1 <= T <= 12.
    kind : str, optional
        "many_to_one" (o_T, L) or "many_to_many" (o_t, L_t for every t, and L = Σ_t L_t).
    copies : bool, optional
        Label the edges W_t, U_t (dummy copies) instead of W, U.

    Returns
    -------
    UnrolledGraph
        Node names "h0".."hT", "x1".."xT", "o<t>", "L<t>", "L".
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
    """The number of directed paths from node ``src`` to node ``dst``.

    In many-to-one h_t reaches L along one path; in many-to-many along T − t + 1 paths, one
    through each later loss: the terms that the backward pass adds at the junctions.

    Parameters
    ----------
    graph : UnrolledGraph
    src, dst : str
        Node names, e.g. "h1", "L".

    Returns
    -------
    int
    """
    for name, arg in ((src, "src"), (dst, "dst")):
        if name not in graph.nodes:
            raise ValueError(
                f"{arg} must be a node name of the graph (e.g. 'h1', 'L'), got {name!r}"
            )
    memo = {}

    def paths(n):
        if n == dst:
            return 1
        if n not in memo:
            memo[n] = sum(paths(m) for m in graph.successors(n))
        return memo[n]

    return paths(src)
