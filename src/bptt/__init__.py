"""bptt: backpropagation through time for vanilla RNNs, by hand, in NumPy.

The public contract (shared by the chapters, the assignments and the tests)::

    params = bptt.init_params(n_input, n_hidden, n_output, seed=0)   # Params(W, U, V, b, c)
    loss, grads = bptt.many_to_one(params, X, y, loss="mse" | "nll", h0=None)
    loss, grads = bptt.many_to_many(params, X, Y, loss="mse" | "nll", h0=None, truncate=None)

Everything else sits in one module each: ``bptt.dense``, ``bptt.activations``,
``bptt.losses``, ``bptt.rnn``, ``bptt.gradcheck``, and the modules the later chapters add
(loaded on first use, so ``bptt.dynamics`` works without importing it first).
"""

import importlib

from .gradcheck import numerical_gradient, rel_error
from .params import Params, init_params
from .rnn import many_to_many, many_to_one

__all__ = [
    "Params",
    "init_params",
    "many_to_one",
    "many_to_many",
    "numerical_gradient",
    "rel_error",
]

_SUBMODULES = {
    "activations",
    "dense",
    "losses",
    "rnn",
    "gradcheck",
    "params",
    "jacobian",
    "dynamics",
    "data",
    "train",
    "checks",
    "graph",
    "variants",
    "errata",
    "examples",
    "figures",
    "fast",
    "memory",
    "switches",
    "scalar_rnn",
}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'bptt' has no attribute {name!r}")
