"""The checks that the assignments call: is a student's function right, and if not, what is wrong?

``from bptt import checks; checks.check_dense_backward(dense_backward)`` runs the student's
function on small seeded float64 inputs, compares its result with the package's own reference,
and prints one ``passed:`` line, or raises :class:`CheckFailed` with a message that names the
mistake the numbers point to ("not done yet" while the function still raises
NotImplementedError).

The package mirrors ``exercises/``: :mod:`bptt.checks.engine` runs, compares and reports;
``aNN_topic.py`` holds the checks of assignment NN. Every ``check_*`` function of every
``aNN_*`` module (defined there, not imported) is exported here: a new assignment module needs no
line in this file.
"""

import functools
import importlib
import pkgutil
import warnings

from .engine import KINDS, MATCH, TOL, CheckFailed

__all__ = ["CheckFailed", "KINDS", "MATCH", "TOL"]


def _quiet(check):
    """The check with every warning silenced (a student's overflow, a complex result cast, ...):
    what is wrong reaches the student as the check's message, never as stderr."""

    @functools.wraps(check)
    def run(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return check(*args, **kwargs)

    return run


for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name[:1] == "a" and _info.name[1:3].isdigit():
        _module = importlib.import_module(f".{_info.name}", __name__)
        for _name in dir(_module):
            _fn = getattr(_module, _name)
            if _name.startswith("check_") and getattr(_fn, "__module__", None) == _module.__name__:
                globals()[_name] = _quiet(_fn)
                __all__.append(_name)
del _info, _module, _name, _fn
