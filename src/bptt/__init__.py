"""bptt: backpropagation through time for vanilla RNNs, by hand, in NumPy.

The public contract (shared by the chapters, the assignments and the tests)::

    params = bptt.init_params(n_input, n_hidden, n_output, seed=0)   # Params(W, U, V, b, c)
    loss, grads = bptt.many_to_one(params, X, y, loss="mse" | "nll", h0=None)
    loss, grads = bptt.many_to_many(params, X, Y, loss="mse" | "nll", h0=None, truncate=None)

Everything else sits in one module each (``bptt.rnn`` the BPTT the chapters read, ``bptt.fast``
its fast twin, ``bptt.figures.chNN`` the figures, ...; the README lists them), loaded on first
use, so ``bptt.dynamics`` works without importing it first.
"""

import importlib
import importlib.util

from .gradcheck import numerical_gradient, rel_error
from .lstm import LSTMParams, init_lstm_params, lstm_many_to_many, lstm_many_to_one
from .params import Params, init_params
from .rnn import many_to_many, many_to_one
from .rtrl import rtrl  # the function; the module stays importable as bptt.rtrl

__all__ = [
    "Params",
    "init_params",
    "many_to_one",
    "many_to_many",
    "numerical_gradient",
    "rel_error",
    "LSTMParams",
    "init_lstm_params",
    "lstm_many_to_many",
    "lstm_many_to_one",
    "rtrl",
]


def __getattr__(name):
    """``bptt.<module>`` without importing it first: every submodule loads on first use."""
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'bptt' has no attribute {name!r}")
