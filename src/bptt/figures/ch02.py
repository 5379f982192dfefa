"""Chapter 2's figure: the roads that a total derivative adds up, against the one road of a partial.

The graph is chapter 2's two-step scalar recurrence, h_t = tanh(w h_{t-1} + u x_t), with a loss
at each step, L = L_1 + L_2. ``paths_figure`` draws it three times: the partial ∂L_1/∂h_1 (one
road, h_2 held still), the total g_1 = dL/dh_1 (both roads), and dL/dw for the shared weight
(one term per copy w_1, w_2).
"""

from ..plots import FONT, SMALL, _plt

# node: (x, y) in data units; the layout is the same in every panel
_NODES = {
    "h0": (0.0, 0.0),
    "h1": (1.6, 0.0),
    "h2": (3.2, 0.0),
    "L1": (1.6, 1.35),
    "L2": (3.2, 1.35),
    "L": (2.4, 2.5),
    "w": (2.4, -1.35),
}
_LABELS = {
    "h0": "$h_0$",
    "h1": "$h_1$",
    "h2": "$h_2$",
    "L1": "$L_1$",
    "L2": "$L_2$",
    "L": "$L$",
    "w": "$w$",
}
_EDGES = [
    ("h0", "h1"),
    ("h1", "h2"),
    ("h1", "L1"),
    ("h2", "L2"),
    ("L1", "L"),
    ("L2", "L"),
    ("w", "h1"),
    ("w", "h2"),
]
_R = 0.3  # node radius
_GREY = "0.78"
_ROAD_A = "C0"  # the direct road
_ROAD_B = "C3"  # the road through h_2 (or the second copy of w)


def _edge(ax, a, b, color=_GREY, lw=1.2, ls="-"):
    (xa, ya), (xb, yb) = _NODES[a], _NODES[b]
    dx, dy = xb - xa, yb - ya
    d = (dx * dx + dy * dy) ** 0.5
    start = (xa + _R * dx / d, ya + _R * dy / d)
    end = (xb - _R * dx / d, yb - _R * dy / d)
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops=dict(
            arrowstyle="-|>", color=color, lw=lw, ls=ls, shrinkA=0, shrinkB=0, mutation_scale=12
        ),
    )


def _node(ax, name, face="white", edge="0.2", ls="-"):
    plt = _plt()
    ax.add_patch(
        plt.Circle(_NODES[name], _R, facecolor=face, edgecolor=edge, lw=1.3, ls=ls, zorder=3)
    )
    ax.text(*_NODES[name], _LABELS[name], ha="center", va="center", fontsize=FONT, zorder=4)


def _panel(ax, title, roads, held=(), note=None, labels=()):
    """One panel: roads {(a, b): color} bold, held nodes grey, labels (x, y, text, color)."""
    for a, b in _EDGES:
        if (a, b) in roads:
            _edge(ax, a, b, color=roads[(a, b)], lw=2.6)
        else:
            _edge(ax, a, b)
    for name in _NODES:
        if name in held:
            _node(ax, name, face="0.88", edge="0.35", ls="--")
        else:
            _node(ax, name)
    for x, y, text, color in labels:
        ax.text(x, y, text, ha="center", va="center", fontsize=SMALL, color=color)
    if note:
        ax.text(1.6, -2.05, note, ha="center", va="center", fontsize=SMALL, color="0.25")
    ax.set_title(title, fontsize=FONT)
    ax.set_xlim(-0.45, 3.75)
    ax.set_ylim(-2.35, 2.95)
    ax.set_aspect("equal")
    ax.axis("off")


def paths_figure():
    """Chapter 2 draws this: three copies of the two-step graph h_0 → h_1 → h_2, L_t from h_t.

    Left: the partial ∂L_1/∂h_1, one road, with h_2 held still (grey, dashed). Middle: the total
    g_1 = dL/dh_1, the direct road h_1 → L_1 plus the road h_1 → h_2 → L_2. Right: dL/dw for the
    shared weight, one term per copy (w_1 acting on step 1, w_2 on step 2). Returns the Figure.
    """
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(9.6, 3.9))
    _panel(
        axes[0],
        r"partial $\partial L_1/\partial h_1$: one road",
        {("h1", "L1"): _ROAD_A, ("L1", "L"): _ROAD_A},
        held=("h2",),
        note="$h_2$ held still",
        labels=[(1.05, 0.68, r"$\partial L_1/\partial h_1$", _ROAD_A)],
    )
    _panel(
        axes[1],
        r"total $g_1 = \mathrm{d}L/\mathrm{d}h_1$: every road",
        {
            ("h1", "L1"): _ROAD_A,
            ("L1", "L"): _ROAD_A,
            ("h1", "h2"): _ROAD_B,
            ("h2", "L2"): _ROAD_B,
            ("L2", "L"): _ROAD_B,
        },
        note="$h_2$ follows $h_1$",
        labels=[
            (0.95, 0.68, "direct\nterm", _ROAD_A),
            (2.4, 0.3, r"$\partial h_2/\partial h_1$", _ROAD_B),
            (3.62, 0.68, "$g_2$", _ROAD_B),
        ],
    )
    _panel(
        axes[2],
        r"shared $w$: $\mathrm{d}L/\mathrm{d}w$ adds two copies",
        {("w", "h1"): _ROAD_A, ("w", "h2"): _ROAD_B},
        note=r"copy $t$ contributes $\delta_t\, h_{t-1}$",
        labels=[(1.65, -0.8, "$w_1$", _ROAD_A), (3.15, -0.8, "$w_2$", _ROAD_B)],
    )
    fig.tight_layout()
    return fig
