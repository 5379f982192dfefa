"""Activations and their derivatives, written in terms of what the backward pass has at hand."""
import numpy as np

from ._validate import as_float_array


def tanh(a):
    """Elementwise tanh; any shape in, the same shape out."""
    return np.tanh(as_float_array(a, "a", shape_doc="(any shape)"))


def tanh_grad_from_output(z):
    """tanh'(a) = 1 - tanh(a)², computed from z = tanh(a) (what the forward pass stored).

    It lies in (0, 1] and equals 1 only at a = 0: tanh never amplifies a gradient.
    """
    z = as_float_array(z, "z", shape_doc="(any shape)")
    return 1.0 - z * z


def sigmoid(a):
    """Elementwise logistic function 1 / (1 + exp(-a)), stable for large |a|."""
    a = as_float_array(a, "a", shape_doc="(any shape)")
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad_from_output(s):
    """sigmoid'(a) = s (1 - s) from s = sigmoid(a); its maximum is 1/4, at a = 0."""
    s = as_float_array(s, "s", shape_doc="(any shape)")
    return s * (1.0 - s)
