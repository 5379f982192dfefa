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

    X: (N, D) inputs, one example per row; W: (H, D); b: (H,).
    Returns Z (N, H) = tanh(X Wᵀ + b) and the cache (X, W, Z)
    for dense_backward. Z has W's dtype (float32 stays float32).
    """
    W = as_float_array(W, "W", 2, "(H, D)")
    H, D = W.shape
    X = as_float_array(X, "X", 2, "(N, D)", dtype=W.dtype)
    if X.shape[1] != D:
        raise ValueError(f"X must have shape (N, D) with D = {D} "
                         f"(from W), got {X.shape}")
    b = as_float_array(b, "b", 1, "(H,)", dtype=W.dtype)
    check_shape(b, "b", (H,), "(H,)")
    Z = np.tanh(X @ W.T + b)
    return Z, (X, W, Z)


def dense_backward(dZ, cache):
    """Backward pass of dense_forward.

    dZ: (N, H) = dL/dZ; cache: what dense_forward returned.
    Returns dX (N, D), dW (H, D), db (H,), from
    dY = (1 - Z²) ⊙ dZ:  dW = dYᵀ X,  db = Σ_rows dY,  dX = dY W.
    """
    X, W, Z = _check_cache(cache)
    dZ = as_float_array(dZ, "dZ", 2, "(N, H)", dtype=W.dtype)
    check_shape(dZ, "dZ", Z.shape, "(N, H)")
    dY = (1.0 - Z * Z) * dZ
    return dY @ W, dY.T @ X, dY.sum(axis=0)


def _check_cache(cache):
    """Return (X, W, Z) from a cache made by dense_forward, or raise TypeError naming ``cache``."""
    if not isinstance(cache, tuple) or len(cache) != 3:
        raise TypeError("cache must be the (X, W, Z) tuple that dense_forward returned, "
                        f"got {type(cache).__name__}")
    X, W, Z = cache
    if not all(isinstance(a, np.ndarray) and a.ndim == 2 for a in cache) \
            or Z.shape != (X.shape[0], W.shape[0]) or X.shape[1] != W.shape[1]:
        raise TypeError("cache must be the (X (N, D), W (H, D), Z (N, H)) tuple that dense_forward returned")
    return X, W, Z
