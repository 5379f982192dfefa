"""The course's figures: one module per chapter (``bptt.figures.ch04`` draws chapter 4's).

Each function draws one figure and says in its docstring which chapter shows it; the chapters
call them from a folded cell and end it with ``plt.show()``.
"""

import importlib


def __getattr__(name):
    if name.startswith("ch") or name in ("errata", "style"):
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError:
            pass
    raise AttributeError(f"module 'bptt.figures' has no attribute {name!r}")
