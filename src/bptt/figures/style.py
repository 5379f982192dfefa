"""What every figure of the course shares: font sizes and the Axes helpers.

Nothing is shown or saved here: a chapter's cell ends with ``plt.show()``.
"""

FONT = 10  # axis labels and titles
SMALL = 9  # legends, annotations, tick labels


def plt():
    """matplotlib.pyplot, imported on first use (the package imports without matplotlib loaded)."""
    import matplotlib.pyplot

    return matplotlib.pyplot


def axes(ax=None, figsize=(7, 3.5)):
    """``ax``, or the Axes of a new figure of ``figsize`` inches when ax is None."""
    if ax is None:
        _, ax = plt().subplots(figsize=figsize)
    return ax


def short(v):
    """Two decimals without the leading zero: 0.07 -> '.07', -0.5 -> '-.50', 1 -> '1.00'."""
    text = f"{v:.2f}"
    return text.replace("0.", ".", 1) if text.lstrip("-").startswith("0.") else text
