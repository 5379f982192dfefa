"""Checking gradients numerically: central differences and the relative error (chapter 3).

Every chapter uses these to print the agreement between a formula and the numbers. Beside the
checks themselves: the step-size sweep (truncation error against round-off, float64 against
float32), the kink detector, and the two figures of chapter 3.
"""

import numpy as np

from ._validate import as_float_array, check_int
from .params import Params


def rel_error(a, b):
    """‖a − b‖ / max(‖a‖, ‖b‖) over all entries (0.0 when both are zero).

    The measure the book trusts: below 1e-7 in float64 the gradient is right; around 1e-2 or
    more it is wrong.

    Parameters
    ----------
    a, b : array_like, the same shape

    Returns
    -------
    float
    """
    a = as_float_array(a, "a", shape_doc="(any shape)")
    b = as_float_array(b, "b", shape_doc="(same shape as a)")
    if a.shape != b.shape:
        raise ValueError(f"b must have the same shape as a = {a.shape}, got {b.shape}")
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def _check_probe(f, x, eps, name="f", returns="a float"):
    """TypeError/ValueError unless f is callable, x a float ndarray and eps a positive number."""
    if not callable(f):
        raise TypeError(
            f"{name} must be a function of no arguments returning {returns}, got {type(f).__name__}"
        )
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"x must be a float ndarray that {name} reads (it is changed in place and restored)"
        )
    if not (isinstance(eps, (int, float)) and eps > 0):
        raise ValueError(f"eps must be a positive number, got {eps!r}")


def numerical_gradient(f, x, eps=1e-6, indices=None):
    """Central-difference gradient of the scalar function ``f()`` with respect to the array ``x``.

    df/dx_i ≈ (f(x + eps e_i) − f(x − eps e_i)) / (2 eps).

    Parameters
    ----------
    f : callable
        A function of no arguments that reads ``x`` (changed in place here and restored).
    x : ndarray, any shape
        A float array.
    eps : float, optional
        The step.
    indices : sequence of index tuples, optional
        Only these entries (for large tensors).

    Returns
    -------
    ndarray, the shape of x
        With ``indices``, only those entries are filled; the rest are NaN.
    """
    _check_probe(f, x, eps)
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
    """One-sided (f(x + eps e_i) − f(x)) / eps, to compare with central differences (error O(eps)).

    Parameters
    ----------
    f, x, eps
        As in ``numerical_gradient``.

    Returns
    -------
    ndarray, the shape of x
    """
    _check_probe(f, x, eps)
    f0 = float(f())
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        grad[idx] = (float(f()) - f0) / eps
        x[idx] = old
    return grad


def random_indices(shape, count, seed=0):
    """``count`` distinct random index tuples into an array of ``shape`` (all of them if fewer).

    Parameters
    ----------
    shape : tuple of int
        As ``x.shape``.
    count : int
    seed : int, optional

    Returns
    -------
    list of tuple
        For ``numerical_gradient(f, x, indices=...)``.
    """
    count = check_int(count, "count", minimum=1)
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    if not isinstance(shape, (tuple, list)) or not all(
        isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise TypeError(
            f"shape must be a tuple of non-negative ints such as x.shape, got {shape!r}"
        )
    shape = tuple(int(d) for d in shape)
    size = int(np.prod(shape))
    rng = np.random.default_rng(seed)
    flat = rng.choice(size, size=min(count, size), replace=False)
    return [np.unravel_index(i, shape) for i in flat]


def check_params_gradient(loss_fn, params, grads, eps=1e-6, count=None, seed=0):
    """Relative error of each analytic gradient against central differences.

    Parameters
    ----------
    loss_fn : callable
        loss_fn(params) -> float.
    params, grads : Params
        float64 for a meaningful check.
    eps : float, optional
    count : int, optional
        None checks every entry; an int checks ``count`` random entries of each array (the way
        to check large tensors).
    seed : int, optional

    Returns
    -------
    dict
        {"W": err, "U": err, "V": err, "b": err, "c": err}.
    """
    if not isinstance(params, Params) or not isinstance(grads, Params):
        raise TypeError("params and grads must be bptt.Params")
    if not callable(loss_fn):
        raise TypeError(
            "loss_fn must be a function of a Params returning a float, "
            f"got {type(loss_fn).__name__}"
        )
    for name, p, g in zip(Params._fields, params, grads):
        if np.shape(p) != np.shape(g):
            raise ValueError(
                f"grads.{name} must have the shape of params.{name} = {np.shape(p)}, "
                f"got {np.shape(g)}"
            )
    work = params.copy()
    if count is None:
        return {
            name: rel_error(g, numerical_gradient(lambda: loss_fn(work), p, eps))
            for name, p, g in zip(Params._fields, work, grads)
        }
    return {
        name: sampled_rel_error(lambda: loss_fn(work), p, g, count=count, seed=seed, eps=eps)
        for name, p, g in zip(Params._fields, work, grads)
    }


def sampled_rel_error(f, x, grad, count=20, seed=0, eps=1e-6):
    """Relative error between ``grad`` and central differences on ``count`` random entries of x.

    Costs 2·count calls of f instead of 2·x.size.

    Parameters
    ----------
    f : callable
        A function of no arguments that reads x.
    x : ndarray, any shape
        Changed in place and restored.
    grad : array_like, the shape of x
        The analytic gradient.
    count, seed, eps
        As in ``random_indices`` and ``numerical_gradient``.

    Returns
    -------
    float
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(
            "x must be a float ndarray that f reads (it is changed in place and restored)"
        )
    grad = as_float_array(grad, "grad", shape_doc="(same shape as x)")
    if grad.shape != x.shape:
        raise ValueError(f"grad must have the shape of x = {x.shape}, got {grad.shape}")
    if x.size == 0:
        raise ValueError("x must have at least one entry to check")
    idx = random_indices(x.shape, count, seed)
    num = numerical_gradient(f, x, eps, indices=idx)
    rows = tuple(np.array(i) for i in zip(*idx))
    return rel_error(grad[rows], num[rows])


def crossed_kinks(pre_fn, x, eps=1e-6):
    """Which central differences step across a kink (of ReLU, |.|, max).

    Entry i is True when the sign pattern of pre_fn() differs between x + eps e_i and
    x − eps e_i: there the numerical derivative averages two different slopes.

    Parameters
    ----------
    pre_fn : callable
        A function of no arguments returning the arguments of the kinked functions (e.g. the
        pre-activations of a ReLU layer), computed from x.
    x : ndarray, any shape
        Changed in place and restored.
    eps : float, optional

    Returns
    -------
    ndarray of bool, the shape of x
    """
    _check_probe(pre_fn, x, eps, name="pre_fn", returns="an array")
    out = np.zeros(x.shape, dtype=bool)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        sp = np.sign(np.asarray(pre_fn()))
        x[idx] = old - eps
        sm = np.sign(np.asarray(pre_fn()))
        x[idx] = old
        out[idx] = bool(np.any(sp != sm))
    return out


# ------------------------------------------------------------------- step size


def _check_dtype(dtype):
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return dt.type


def difference_quotient(f, x, eps, kind="central", dtype=np.float64):
    """The difference quotient of a scalar function, computed entirely in ``dtype``.

    Parameters
    ----------
    f : callable
        A scalar function that keeps its argument's dtype (np.tanh, np.sin, ...).
    x, eps : float
        The point and the step (eps > 0).
    kind : str, optional
        "forward": (f(x + eps) − f(x)) / eps, error O(eps); "central": (f(x + eps) −
        f(x − eps)) / (2 eps), error O(eps²).
    dtype : float32 or float64, optional

    Returns
    -------
    float
    """
    if not callable(f):
        raise TypeError(f"f must be a function of one number, got {type(f).__name__}")
    if kind not in ("forward", "central"):
        raise ValueError(f"kind must be 'forward' or 'central', got {kind!r}")
    if not (isinstance(eps, (int, float, np.floating)) and eps > 0):
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    dt = _check_dtype(dtype)
    x, h = dt(x), dt(eps)
    if kind == "forward":
        return float((f(x + h) - f(x)) / h)
    return float((f(x + h) - f(x - h)) / (dt(2) * h))


def step_sweep(f, x, exact, steps, dtype=np.float64):
    """Absolute error of both difference quotients over a range of steps.

    Parameters
    ----------
    f : callable
        A scalar function keeping its dtype.
    x : float
    exact : float
        f'(x), computed accurately.
    steps : array_like, shape (S,)
        Positive steps.
    dtype : float32 or float64, optional

    Returns
    -------
    dict
        {"steps": (S,), "forward": (S,), "central": (S,)}.
    """
    steps = as_float_array(steps, "steps", 1, "(S,)", dtype=np.float64)
    if steps.size == 0 or np.any(steps <= 0):
        raise ValueError("steps must have shape (S,) with S >= 1 positive numbers")
    out = {"steps": steps}
    for kind in ("forward", "central"):
        out[kind] = np.array(
            [abs(difference_quotient(f, x, e, kind, dtype) - exact) for e in steps]
        )
    return out


def optimal_step(dtype=np.float64, kind="central"):
    """The step that balances truncation and round-off, up to a factor of order one.

    Parameters
    ----------
    dtype : float32 or float64, optional
    kind : str, optional
        "forward" (ε_mach^(1/2)) or "central" (ε_mach^(1/3)).

    Returns
    -------
    float
    """
    dt = _check_dtype(dtype)
    if kind not in ("forward", "central"):
        raise ValueError(f"kind must be 'forward' or 'central', got {kind!r}")
    e = float(np.finfo(dt).eps)
    return e**0.5 if kind == "forward" else e ** (1.0 / 3.0)
