"""Checking gradients numerically: central differences and the relative error (chapter 3).

Every chapter uses these to print the agreement between a formula and the numbers.
"""
import numpy as np

from ._validate import as_float_array, check_int
from .params import Params


def rel_error(a, b):
    """‖a - b‖ / max(‖a‖, ‖b‖) over all entries (0.0 when both are zero).

    The measure the book trusts: below 1e-7 in float64 the gradient is right; around 1e-2 or
    more it is wrong. a and b must have the same shape.
    """
    a = as_float_array(a, "a", shape_doc="(any shape)")
    b = as_float_array(b, "b", shape_doc="(same shape as a)")
    if a.shape != b.shape:
        raise ValueError(f"b must have the same shape as a = {a.shape}, got {b.shape}")
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def numerical_gradient(f, x, eps=1e-6, indices=None):
    """Central-difference gradient of the scalar function ``f()`` with respect to the array ``x``.

    f: a function of no arguments that reads ``x`` (changed in place here and restored).
    x: a float ndarray of any shape. eps: the step. indices: None for every entry, or a
    sequence of index tuples to check only those (for large tensors).
    Returns an array shaped like x; with ``indices`` only those entries are filled, the rest NaN.
    df/dx_i ≈ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps).
    """
    if not callable(f):
        raise TypeError(f"f must be a function of no arguments returning a float, got {type(f).__name__}")
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError("x must be a float ndarray that f reads (it is changed in place and restored)")
    if not (isinstance(eps, (int, float)) and eps > 0):
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    grad = np.full(x.shape, np.nan) if indices is not None else np.zeros(x.shape)
    it = np.ndindex(x.shape) if indices is None else (tuple(np.atleast_1d(i)) for i in indices)
    for idx in it:
        old = x[idx]
        x[idx] = old + eps
        fp = float(f())
        x[idx] = old - eps
        fm = float(f())
        x[idx] = old
        grad[idx] = (fp - fm) / (2 * eps)
    return grad


def forward_difference(f, x, eps=1e-6):
    """One-sided (f(x + eps e_i) - f(x)) / eps, for comparison with central differences (O(eps))."""
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError("x must be a float ndarray that f reads (it is changed in place and restored)")
    f0 = float(f())
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        grad[idx] = (float(f()) - f0) / eps
        x[idx] = old
    return grad


def random_indices(shape, count, seed=0):
    """``count`` distinct random index tuples into an array of ``shape`` (all of them if fewer)."""
    count = check_int(count, "count", minimum=1)
    size = int(np.prod(shape))
    rng = np.random.default_rng(seed)
    flat = rng.choice(size, size=min(count, size), replace=False)
    return [np.unravel_index(i, shape) for i in flat]


def check_params_gradient(loss_fn, params, grads, eps=1e-6):
    """Relative error of each analytic gradient against central differences.

    loss_fn(params) -> float; params, grads: Params (float64 for a meaningful check).
    Returns a dict {"W": err, "U": err, "V": err, "b": err, "c": err}.
    """
    if not isinstance(params, Params) or not isinstance(grads, Params):
        raise TypeError("params and grads must be bptt.Params")
    work = params.copy()
    return {name: rel_error(g, numerical_gradient(lambda: loss_fn(work), p, eps))
            for name, p, g in zip(Params._fields, work, grads)}
