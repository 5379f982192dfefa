"""The parameters of a vanilla RNN, in the orientation of the math.

    a_t = W h_{t-1} + U x_t + b,   h_t = tanh(a_t),   o_t = V h_t + c

W (H, H) recurrent, U (H, D) input, V (C, H) output, b (H,), c (C,). Code puts the batch
first, so one step reads ``A = H_prev @ W.T + X_t @ U.T + b``; the gradients come back in the
same orientation, so ``grads.W`` *is* dL/dW.
"""

from typing import NamedTuple

import numpy as np

from ._validate import as_float_array, check_int, check_shape


class Params(NamedTuple):
    """The five parameters of the RNN, in the math's orientation; gradients use the same container.

    Attributes
    ----------
    W : ndarray, shape (H, H)
        Recurrent weights.
    U : ndarray, shape (H, D)
        Input weights.
    V : ndarray, shape (C, H)
        Output weights.
    b : ndarray, shape (H,)
        Hidden bias.
    c : ndarray, shape (C,)
        Output bias.
    """

    W: np.ndarray
    U: np.ndarray
    V: np.ndarray
    b: np.ndarray
    c: np.ndarray

    @property
    def sizes(self):
        """(D, H, C): input, hidden and output sizes."""
        return self.U.shape[1], self.W.shape[0], self.V.shape[0]

    def norm(self):
        """The Euclidean norm of all entries together (a float)."""
        return float(np.sqrt(sum(float(np.sum(p.astype(np.float64) ** 2)) for p in self)))

    def astype(self, dtype):
        """A copy with every array converted to ``dtype``."""
        return Params(*(np.array(p, dtype=dtype) for p in self))

    def copy(self):
        return Params(*(np.array(p) for p in self))

    def __add__(self, other):
        return Params(*(a + b for a, b in zip(self, other)))

    def __sub__(self, other):
        return Params(*(a - b for a, b in zip(self, other)))

    def scale(self, s):
        """Every array multiplied by the number ``s``."""
        return Params(*(s * p for p in self))


def init_params(n_input, n_hidden, n_output, seed=0, scale=None, dtype=np.float64):
    """Random parameters for an RNN with D = n_input, H = n_hidden, C = n_output.

    Weights are drawn from N(0, scale²) with scale = 1/sqrt(fan_in) unless given; biases are
    small (N(0, 0.1²)) so that their gradients are not trivially zero in checks.

    Parameters
    ----------
    n_input, n_hidden, n_output : int
        D, H and C, each >= 1.
    seed : int, optional
    scale : float, optional
        The weights' standard deviation (default 1/sqrt(fan_in)).
    dtype : float32 or float64, optional

    Returns
    -------
    Params
        W (H, H), U (H, D), V (C, H), b (H,), c (C,).
    """
    D = check_int(n_input, "n_input", minimum=1)
    H = check_int(n_hidden, "n_hidden", minimum=1)
    C = check_int(n_output, "n_output", minimum=1)
    rng = np.random.default_rng(seed)
    sw = (1.0 / np.sqrt(H)) if scale is None else scale
    su = (1.0 / np.sqrt(D)) if scale is None else scale
    sv = (1.0 / np.sqrt(H)) if scale is None else scale
    p = Params(
        W=rng.normal(0, sw, (H, H)),
        U=rng.normal(0, su, (H, D)),
        V=rng.normal(0, sv, (C, H)),
        b=rng.normal(0, 0.1, H),
        c=rng.normal(0, 0.1, C),
    )
    return p.astype(dtype)


def check_params(params):
    """Validate a Params and return it with every array a finite float ndarray of one dtype.

    Parameters
    ----------
    params : Params or 5-tuple
        W (H, H), U (H, D), V (C, H), b (H,), c (C,).

    Returns
    -------
    Params
        TypeError when ``params`` is not a Params (or a 5-tuple) or dtypes mix, ValueError when
        the shapes do not fit together.
    """
    if not isinstance(params, tuple) or len(params) != 5:
        raise TypeError(
            "params must be a bptt.Params(W, U, V, b, c), e.g. from bptt.init_params, "
            f"got {type(params).__name__}"
        )
    W, U, V, b, c = params
    W = as_float_array(W, "params.W", 2, "(H, H)")
    H = W.shape[0]
    check_shape(W, "params.W", (H, H), "(H, H)")
    U = as_float_array(U, "params.U", 2, "(H, D)")
    if U.shape[0] != H:
        raise ValueError(f"params.U must have shape (H, D) with H = {H} (from W), got {U.shape}")
    V = as_float_array(V, "params.V", 2, "(C, H)")
    if V.shape[1] != H:
        raise ValueError(f"params.V must have shape (C, H) with H = {H} (from W), got {V.shape}")
    b = as_float_array(b, "params.b", 1, "(H,)")
    check_shape(b, "params.b", (H,), "(H,)")
    c = as_float_array(c, "params.c", 1, "(C,)")
    check_shape(c, "params.c", (V.shape[0],), "(C,)")
    dtypes = {a.dtype for a in (W, U, V, b, c)}
    if len(dtypes) > 1:
        raise TypeError(
            f"params must all share one dtype (float32 or float64), got {sorted(map(str, dtypes))}"
        )
    return Params(W, U, V, b, c)
