"""Input checks shared by every public function.

Each check raises ``TypeError`` (wrong kind of object) or ``ValueError`` (wrong rank, size or
value) with a message that names the argument and the shape it expected, so that nothing
fails deep inside NumPy and nothing broadcasts silently.
"""

import numbers

import numpy as np

FLOATS = (np.float32, np.float64)


def as_float_array(x, name, ndim=None, shape_doc="", dtype=None):
    """``x`` as a finite floating ndarray of rank ``ndim``, or TypeError/ValueError naming it.

    Parameters
    ----------
    x : array_like
    name : str
        The argument's name, for the message.
    ndim : int, optional
    shape_doc : str, optional
        The expected shape, spelled for the message, e.g. "(N, T, D)".
    dtype : float32 or float64, optional
        Convert to it; None keeps float32/float64 as given and turns integers into float64.
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(
            f"{name} must be an array of numbers with shape {shape_doc}, got {type(x).__name__}"
        )
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(
            f"{name} must be an array of numbers with shape {shape_doc}: {exc}"
        ) from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must hold numbers (shape {shape_doc}), got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(
            f"{name} must have shape {shape_doc} ({ndim}-D), got {arr.ndim}-D shape {arr.shape}"
        )
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    elif arr.dtype not in FLOATS:
        arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (shape {shape_doc}); it holds NaN or inf")
    return arr


def check_shape(arr, name, expected, shape_doc):
    """Raise ValueError unless ``arr.shape == expected`` (a tuple of ints)."""
    if tuple(arr.shape) != tuple(expected):
        raise ValueError(
            f"{name} must have shape {shape_doc} = {tuple(expected)}, got {tuple(arr.shape)}"
        )


def as_labels(y, name, shape, shape_doc, n_classes):
    """Return integer class labels of the given shape, each in [0, n_classes)."""
    if isinstance(y, (str, bytes)) or y is None:
        raise TypeError(
            f"{name} must be an integer array of shape {shape_doc}, got {type(y).__name__}"
        )
    arr = np.asarray(y)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        if (
            np.issubdtype(arr.dtype, np.floating)
            and arr.size
            and np.all(np.isfinite(arr))
            and np.all(arr == np.round(arr))
        ):
            raise TypeError(
                f"{name} must hold integer class labels (shape {shape_doc}); got float dtype "
                f"{arr.dtype}: convert with .astype(int)"
            )
        raise TypeError(
            f"{name} must hold integer class labels in [0, {n_classes}) with shape {shape_doc}, "
            f"got dtype {arr.dtype}"
        )
    check_shape(arr, name, shape, shape_doc)
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        bad = arr[(arr < 0) | (arr >= n_classes)].ravel()[0]
        raise ValueError(
            f"{name} holds the label {int(bad)}, outside [0, {n_classes}) (C = {n_classes} classes)"
        )
    return arr.astype(np.intp, copy=False)


def check_int(value, name, minimum=None, allow_none=False):
    """Return ``value`` as a Python int, or raise TypeError/ValueError naming ``name``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer{' or None' if allow_none else ''}, got {value!r}"
        )
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_choice(value, name, choices):
    """Raise ValueError unless ``value`` is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"{name} must be one of {', '.join(repr(c) for c in choices)}, got {value!r}"
        )
    return value


def check_scalar(x, name, positive=False):
    """A finite real number (a positive one if asked) as a float, or TypeError/ValueError."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        kind = "a positive number" if positive else "a real number (a scalar)"
        raise TypeError(f"{name} must be {kind}, got {x!r}")
    x = float(x)
    if not np.isfinite(x) or (positive and x <= 0):
        raise ValueError(
            f"{name} must be a {'positive ' if positive else ''}finite number, got {x!r}"
        )
    return x


def check_square(W, name="W"):
    """``W`` as a finite (H, H) float array with H >= 1, or ValueError naming ``name``."""
    W = as_float_array(W, name, 2, "(H, H)")
    check_shape(W, name, (W.shape[0], W.shape[0]), "(H, H)")
    if W.shape[0] == 0:
        raise ValueError(f"{name} must have shape (H, H) with H >= 1, got {W.shape}")
    return W
