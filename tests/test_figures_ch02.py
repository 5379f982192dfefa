"""Chapter 2's figure (bptt.figures.ch02): the roads of a partial and of a total derivative."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bptt.figures import ch02  # noqa: E402


def _bold_arrows(ax):
    """(start, end) of the arrows drawn thicker than the grey background edges."""
    return [
        (a.xyann, a.xy)
        for a in ax.texts
        if getattr(a, "arrow_patch", None) is not None and a.arrow_patch.get_linewidth() > 2
    ]


def test_paths_figure_draws_one_road_then_two_then_two_copies():
    fig = ch02.paths_figure()
    partial, total, copies = fig.axes
    # partial: h1 -> L1 -> L only; total adds h1 -> h2 -> L2 -> L; copies: w -> h1 and w -> h2
    assert len(_bold_arrows(partial)) == 2
    assert len(_bold_arrows(total)) == 5
    assert len(_bold_arrows(copies)) == 2
    titles = [ax.get_title() for ax in fig.axes]
    assert "partial" in titles[0] and "total" in titles[1] and "shared" in titles[2]
    plt.close(fig)
