"""A dense tanh layer, Z = tanh(X Wᵀ + b), with its backward pass (chapter 1).

Math (column vectors, chapter 1):  Y = W X + B,  B = b 1ᵀ,  Z = tanh(Y),  X of shape (D, N).
Code (batch first, as everywhere in the package): rows are examples, X of shape (N, D), so
``X @ W.T + b`` is the transpose of the math Y. W and b keep the math orientation, so the
``dW`` returned here *is* dL/dW, with no transpose to remember.

    math (columns)                 code (rows)
    dL/dY = (1 - Z²) ⊙ dL/dZ        dY = (1 - Z * Z) * dZ
    dL/dW = dL/dY Xᵀ                dW = dY.T @ X
    dL/db = dL/dY 1   (row sums)    db = dY.sum(axis=0)
    dL/dX = Wᵀ dL/dY                dX = dY @ W

(The two public functions keep their lines short: chapter 1 prints their source.)
"""

import numpy as np

from ._validate import as_float_array, check_shape


def dense_forward(X, W, b):
    """Forward pass of one dense tanh layer.

    Parameters
    ----------
    X : array_like, shape (N, D)
        Inputs, one example per row.
    W : array_like, shape (H, D)
    b : array_like, shape (H,)

    Returns
    -------
    Z : ndarray, shape (N, H)
        tanh(X Wᵀ + b), in W's dtype.
    cache : tuple
        (X, W, Z), for dense_backward.
    """
    W = as_float_array(W, "W", 2, "(H, D)")
    H, D = W.shape
    X = as_float_array(X, "X", 2, "(N, D)", dtype=W.dtype)
    if X.shape[1] != D:
        wrong = f"with D = {D} (from W), got {X.shape}"
        raise ValueError(f"X must have shape (N, D) {wrong}")
    b = as_float_array(b, "b", 1, "(H,)", dtype=W.dtype)
    check_shape(b, "b", (H,), "(H,)")
    Z = np.tanh(X @ W.T + b)
    return Z, (X, W, Z)


def dense_backward(dZ, cache):
    """Backward pass of dense_forward.

    Parameters
    ----------
    dZ : array_like, shape (N, H)
        dL/dZ.
    cache : tuple
        What dense_forward returned.

    Returns
    -------
    dX : ndarray, shape (N, D)
    dW : ndarray, shape (H, D)
    db : ndarray, shape (H,)
        From dY = (1 - Z²) ⊙ dZ: dX = dY W, dW = dYᵀ X, db = Σ_rows dY.
    """
    X, W, Z = _check_cache(cache)
    dZ = as_float_array(dZ, "dZ", 2, "(N, H)", dtype=W.dtype)
    check_shape(dZ, "dZ", Z.shape, "(N, H)")
    dY = (1.0 - Z * Z) * dZ
    return dY @ W, dY.T @ X, dY.sum(axis=0)


def _check_cache(cache):
    """Return (X, W, Z) from a cache made by dense_forward, or raise TypeError naming ``cache``."""
    if not isinstance(cache, tuple) or len(cache) != 3:
        raise TypeError(
            "cache must be the (X, W, Z) tuple that dense_forward returned, "
            f"got {type(cache).__name__}"
        )
    X, W, Z = cache
    if (
        not all(isinstance(a, np.ndarray) and a.ndim == 2 for a in cache)
        or Z.shape != (X.shape[0], W.shape[0])
        or X.shape[1] != W.shape[1]
    ):
        raise TypeError(
            "cache must be the (X (N, D), W (H, D), Z (N, H)) tuple that dense_forward returned"
        )
    return X, W, Z
