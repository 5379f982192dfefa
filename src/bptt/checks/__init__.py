"""The checks that the assignments call: is a student's function right, and if not, what is wrong?

``from bptt import checks; checks.check_dense_backward(dense_backward)`` runs the student's
function on small seeded float64 inputs, compares its result with the package's own reference,
and prints one ``passed:`` line, or raises :class:`CheckFailed` with a message that names the
mistake the numbers point to ("not done yet" while the function still raises
NotImplementedError).

The package mirrors ``exercises/``: :mod:`bptt.checks.engine` runs, compares and reports;
``aNN_topic.py`` holds the checks of assignment NN. Every ``check_*`` function of every
``aNN_*`` module is exported here: a new assignment module needs no line in this file.
"""
import importlib
import pkgutil

from .engine import KINDS, MATCH, TOL, CheckFailed

__all__ = ["CheckFailed", "KINDS", "MATCH", "TOL"]

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name[:1] == "a" and _info.name[1:3].isdigit():
        _module = importlib.import_module(f".{_info.name}", __name__)
        for _name in dir(_module):
            if _name.startswith("check_") and callable(getattr(_module, _name)):
                globals()[_name] = getattr(_module, _name)
                __all__.append(_name)
del _info, _module, _name
