"""Activations and their derivatives, written in terms of what the backward pass has at hand.

Every function is elementwise: an array of any shape in, the same shape out (a Python number
or a 0-d array gives a 0-d array). Integers become float64; float32 stays float32.
The backward pass stores the *output* of the forward pass, so the derivatives are offered
from the output (``*_grad_from_output``): tanh'(a) = 1 - z², sigmoid'(a) = s (1 - s).
"""

import numpy as np

from ._validate import as_float_array


def tanh(a):
    """Elementwise tanh of ``a`` (any shape, the same shape out)."""
    return np.tanh(as_float_array(a, "a", shape_doc="(any shape)"))


def tanh_grad(a):
    """tanh'(a) = 1 − tanh(a)² from the pre-activation ``a`` (any shape, the same shape out).

    It lies in (0, 1] mathematically, with its maximum 1 at a = 0; in floating point it rounds to
    0 once |a| exceeds about 19.
    """
    z = np.tanh(as_float_array(a, "a", shape_doc="(any shape)"))
    return 1.0 - z * z


def tanh_grad_from_output(z):
    """tanh'(a) = 1 - tanh(a)², computed from z = tanh(a) (what the forward pass stored).

    It lies in (0, 1] and equals 1 only at a = 0: tanh never amplifies a gradient.

    Parameters
    ----------
    z : array_like, any shape
        Outputs of tanh, every entry in [-1, 1].

    Returns
    -------
    ndarray, the shape of z
    """
    z = as_float_array(z, "z", shape_doc="(any shape)")
    if np.any(np.abs(z) > 1):
        raise ValueError(
            "z must be an output of tanh, with every entry in [-1, 1] (any shape); "
            f"got an entry of size {float(np.max(np.abs(z))):.3g}"
        )
    return 1.0 - z * z


def sigmoid(a):
    """The logistic function 1 / (1 + exp(−a)) of ``a`` (any shape), stable for large |a|.

    Returns an array of a's shape with entries in [0, 1] (nothing overflows).
    """
    a = as_float_array(a, "a", shape_doc="(any shape)")
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad_from_output(s):
    """sigmoid'(a) = s (1 - s) from s = sigmoid(a); its maximum is 1/4, at a = 0.

    Parameters
    ----------
    s : array_like, any shape
        Outputs of sigmoid, every entry in [0, 1].

    Returns
    -------
    ndarray, the shape of s
    """
    s = as_float_array(s, "s", shape_doc="(any shape)")
    if np.any((s < 0) | (s > 1)):
        raise ValueError("s must be an output of sigmoid, with every entry in [0, 1] (any shape)")
    return s * (1.0 - s)
