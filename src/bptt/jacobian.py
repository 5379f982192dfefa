"""Partial and total derivatives in numbers (chapter 2): two routes to dL/dW1 of a two-layer net.

A two-layer network, batch first, parameters in the math's orientation (as ``bptt.dense``)::

    Z1 = X W1ᵀ + b1  (N, D1),   A1 = tanh(Z1),   Z2 = A1 W2ᵀ + b2  (N, C),   P = softmax(Z2)
    L = -(1/N) Σ_n log P[n, y_n];   W1 (D1, D), b1 (D1,), W2 (C, D1), b2 (C,)

Its gradient dL/dW1 is computed twice: by the *formal* route, which builds every Jacobian as an
explicit 4-D tensor and contracts them, and by the *compact* route through dZ2, dA1, dZ1 and two
matrix products. *Derivation of BPTT* writes the same network with row-vector weights: its W_1
(D, D1) is our W1ᵀ, so its (D, D1, N, D1) tensor dZ1/dW1 is our (D1, D, N, D1) one. A Jacobian
tensor is stored *input axes first*, ``J[i..., o...] = ∂out[o...] / ∂in[i...]``, so the chain rule
is ``np.tensordot`` over the trailing axes of one factor and the leading axes of the next.
(The scalar recurrence with one weight copy per step is in ``bptt.scalar_rnn``.)
"""

import timeit
from typing import NamedTuple

import numpy as np

from ._validate import as_float_array, as_labels, check_int, check_shape
from .losses import log_softmax, nll_loss, softmax

# ------------------------------------------------------------------- two-layer network


class TwoLayer(NamedTuple):
    """Parameters of the two-layer network: W1 (D1, D), b1 (D1,), W2 (C, D1), b2 (C,)."""

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray

    @property
    def sizes(self):
        """(D, D1, C): input, hidden and output sizes."""
        return self.W1.shape[1], self.W1.shape[0], self.W2.shape[0]


class Forward(NamedTuple):
    """What the forward pass keeps: Z1, A1 (N, D1), Z2, P (N, C)."""

    Z1: np.ndarray
    A1: np.ndarray
    Z2: np.ndarray
    P: np.ndarray


class CompactGrads(NamedTuple):
    """The compact backward pass, each ``dX`` the total dL/dX: dZ2 (N, C), dA1 and dZ1 (N, D1),
    dW1 (D1, D), db1 (D1,), dW2 (C, D1), db2 (C,).
    """

    dZ2: np.ndarray
    dA1: np.ndarray
    dZ1: np.ndarray
    dW1: np.ndarray
    db1: np.ndarray
    dW2: np.ndarray
    db2: np.ndarray


def init_two_layer(n_input, n_hidden, n_output, seed=0, scale=1.0):
    """Random TwoLayer(W1, b1, W2, b2): weights N(0, scale²/fan_in), biases N(0, 0.1²).

    Parameters
    ----------
    n_input, n_hidden, n_output : int
        D, D1 and C.
    seed : int, optional
    scale : float, optional
    """
    D = check_int(n_input, "n_input", minimum=1)
    D1 = check_int(n_hidden, "n_hidden", minimum=1)
    C = check_int(n_output, "n_output", minimum=1)
    if not (isinstance(scale, (int, float)) and not isinstance(scale, bool) and scale > 0):
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    rng = np.random.default_rng(seed)
    W1, b1 = rng.normal(0, scale / np.sqrt(D), (D1, D)), rng.normal(0, 0.1, D1)
    W2, b2 = rng.normal(0, scale / np.sqrt(D1), (C, D1)), rng.normal(0, 0.1, C)
    return TwoLayer(W1, b1, W2, b2)


def _check_net(net):
    if not isinstance(net, tuple) or len(net) != 4:
        raise TypeError(
            "net must be a bptt.jacobian.TwoLayer(W1, b1, W2, b2), "
            f"e.g. from init_two_layer, got {type(net).__name__}"
        )
    W1 = as_float_array(net[0], "net.W1", 2, "(D1, D)", dtype=np.float64)
    D1, D = W1.shape
    b1 = as_float_array(net[1], "net.b1", 1, "(D1,)", dtype=np.float64)
    check_shape(b1, "net.b1", (D1,), "(D1,)")
    W2 = as_float_array(net[2], "net.W2", 2, "(C, D1)", dtype=np.float64)
    if W2.shape[1] != D1:
        raise ValueError(f"net.W2 must have shape (C, D1) with D1 = {D1} (from W1), got {W2.shape}")
    b2 = as_float_array(net[3], "net.b2", 1, "(C,)", dtype=np.float64)
    check_shape(b2, "net.b2", (W2.shape[0],), "(C,)")
    return TwoLayer(W1, b1, W2, b2)


def _check_data(net, X, y):
    D, _, C = net.sizes
    X = as_float_array(X, "X", 2, "(N, D)", dtype=np.float64)
    if X.shape[0] == 0 or X.shape[1] != D:
        raise ValueError(
            f"X must have shape (N, D) with N >= 1 and D = {D} (from net.W1), got {X.shape}"
        )
    y = as_labels(y, "y", (X.shape[0],), "(N,)", C)
    return X, y


def two_layer_forward(net, X):
    """Forward pass: Forward(Z1, A1 (N, D1), Z2, P (N, C)).

    Parameters
    ----------
    net : TwoLayer
    X : array_like, shape (N, D)
    """
    net = _check_net(net)
    D = net.sizes[0]
    X = as_float_array(X, "X", 2, "(N, D)", dtype=np.float64)
    if X.shape[1] != D:
        raise ValueError(f"X must have shape (N, D) with D = {D} (from net.W1), got {X.shape}")
    Z1 = X @ net.W1.T + net.b1
    A1 = np.tanh(Z1)
    Z2 = A1 @ net.W2.T + net.b2
    return Forward(Z1, A1, Z2, softmax(Z2))


def two_layer_loss(net, X, y):
    """L = −(1/N) Σ_n log softmax(Z2)[n, y_n], a float.

    Parameters
    ----------
    net : TwoLayer
    X : array_like, shape (N, D)
    y : array_like, shape (N,)
        Integer labels in [0, C).
    """
    net = _check_net(net)
    X, y = _check_data(net, X, y)
    Z2 = np.tanh(X @ net.W1.T + net.b1) @ net.W2.T + net.b2
    return float(-log_softmax(Z2)[np.arange(len(y)), y].sum() / len(y))


def compact_backward(net, X, y):
    """The compact route, a CompactGrads: dZ2 = (P − onehot(y)) / N, dA1 = dZ2 W2,
    dZ1 = (1 − A1²) ⊙ dA1, dW1 = dZ1ᵀ X, db1 = Σ_n dZ1, dW2 = dZ2ᵀ A1, db2 = Σ_n dZ2.

    Arguments as in ``two_layer_loss``.
    """
    net = _check_net(net)
    X, y = _check_data(net, X, y)
    fw = two_layer_forward(net, X)
    _, dZ2 = nll_loss(fw.Z2, y)
    dA1 = dZ2 @ net.W2
    dZ1 = (1.0 - fw.A1**2) * dA1
    return CompactGrads(dZ2, dA1, dZ1, dZ1.T @ X, dZ1.sum(axis=0), dZ2.T @ fw.A1, dZ2.sum(axis=0))


# ------------------------------------------------------------------- the 4-D Jacobians


def jacobian_Z1_W1(X, n_hidden):
    """dZ1/dW1 as a dense tensor J (D1, D, N, D1): J[i, j, n, k] = ∂Z1[n, k]/∂W1[i, j].

    Since Z1[n, k] = Σ_j W1[k, j] X[n, j] + b1[k], J[i, j, n, k] = X[n, j] when k = i, else 0:
    each slice J[i, j] is an (N, D1) matrix with at most N nonzeros (its column i, X[:, j]).

    Parameters
    ----------
    X : array_like, shape (N, D)
    n_hidden : int
        D1.
    """
    X = as_float_array(X, "X", 2, "(N, D)", dtype=np.float64)
    D1 = check_int(n_hidden, "n_hidden", minimum=1)
    N, D = X.shape
    J = np.zeros((D1, D, N, D1))
    for i in range(D1):
        J[i, :, :, i] = X.T
    return J


def jacobian_Z2_Z1(A1, W2):
    """dZ2/dZ1 through the tanh, J (N, D1, N, C): J[n, k, m, c] = ∂Z2[m, c]/∂Z1[n, k].

    Z2[m, c] = Σ_k W2[c, k] tanh(Z1[m, k]) + b2[c], so
    J[n, k, m, c] = [m = n] W2[c, k] (1 − A1[n, k]²).

    Parameters
    ----------
    A1 : array_like, shape (N, D1)
        tanh(Z1).
    W2 : array_like, shape (C, D1)
    """
    A1 = as_float_array(A1, "A1", 2, "(N, D1)", dtype=np.float64)
    W2 = as_float_array(W2, "W2", 2, "(C, D1)", dtype=np.float64)
    N, D1 = A1.shape
    if W2.shape[1] != D1:
        raise ValueError(f"W2 must have shape (C, D1) with D1 = {D1} (from A1), got {W2.shape}")
    J = np.zeros((N, D1, N, W2.shape[0]))
    for n in range(N):
        J[n, :, n, :] = ((1.0 - A1[n] ** 2)[None, :] * W2).T
    return J


def jacobian_P_Z2(P):
    """dP/dZ2 of a row-wise softmax, J (N, C, N, C): J[n, a, m, c] = ∂P[m, c]/∂Z2[n, a].

    Block diagonal over examples: J[n, :, n, :] = diag(p_n) − p_n p_nᵀ, zero for m ≠ n.

    Parameters
    ----------
    P : array_like, shape (N, C)
    """
    P = as_float_array(P, "P", 2, "(N, C)", dtype=np.float64)
    N, C = P.shape
    J = np.zeros((N, C, N, C))
    for n in range(N):
        J[n, :, n, :] = np.diag(P[n]) - np.outer(P[n], P[n])
    return J


def grad_L_P(P, y):
    """∂L/∂P (N, C): −1/(N P[n, y_n]) at (n, y_n), zero elsewhere, for L = −(1/N) Σ_n log P[n, y_n].

    Parameters
    ----------
    P : array_like, shape (N, C)
    y : array_like, shape (N,)
    """
    P = as_float_array(P, "P", 2, "(N, C)", dtype=np.float64)
    N, C = P.shape
    y = as_labels(y, "y", (N,), "(N,)", C)
    G = np.zeros((N, C))
    G[np.arange(N), y] = -1.0 / (N * P[np.arange(N), y])
    return G


class FormalRoute(NamedTuple):
    """The formal route: dW1 (D1, D) and the three Jacobians it formed (see the jacobian_*)."""

    dW1: np.ndarray
    J_Z1_W1: np.ndarray
    J_Z2_Z1: np.ndarray
    J_P_Z2: np.ndarray

    @property
    def nbytes(self):
        """Bytes held by the three Jacobian tensors together."""
        return self.J_Z1_W1.nbytes + self.J_Z2_Z1.nbytes + self.J_P_Z2.nbytes


def formal_backward(net, X, y, order="right"):
    """The formal route to dL/dW1 = dZ1/dW1 · ∂Z2/∂Z1 · ∂P/∂Z2 · ∂L/∂P, a FormalRoute.

    order="right" multiplies from the right (a vector at every step: cheap); "left" multiplies the
    tensors first, as the formula reads (a (D1, D, N, C) intermediate: slow, for small sizes).

    Parameters
    ----------
    net : TwoLayer
    X : array_like, shape (N, D)
    y : array_like, shape (N,)
    order : str, optional
    """
    net = _check_net(net)
    X, y = _check_data(net, X, y)
    if order not in ("right", "left"):
        raise ValueError(f"order must be 'right' or 'left', got {order!r}")
    fw = two_layer_forward(net, X)
    J1 = jacobian_Z1_W1(X, net.sizes[1])  # (D1, D, N, D1)
    J2 = jacobian_Z2_Z1(fw.A1, net.W2)  # (N, D1, N, C)
    J3 = jacobian_P_Z2(fw.P)  # (N, C, N, C)
    g = grad_L_P(fw.P, y)  # (N, C)
    if order == "right":
        dW1 = np.tensordot(J1, np.tensordot(J2, np.tensordot(J3, g, axes=2), axes=2), axes=2)
    else:
        dW1 = np.tensordot(np.tensordot(np.tensordot(J1, J2, axes=2), J3, axes=2), g, axes=2)
    return FormalRoute(dW1, J1, J2, J3)


def _check_sizes(*sizes):
    names = ("n_batch", "n_input", "n_hidden", "n_output", "itemsize")
    return [check_int(n, name, minimum=1) for n, name in zip(sizes, names)]


def jacobian_nbytes(n_batch, n_input, n_hidden, n_output, itemsize=8):
    """Exact bytes of the formal route's tensors, without building them (a dict of ints).

    Keys "dZ1/dW1" (D1·D·N·D1 numbers), "dZ2/dZ1" (N·D1·N·C), "dP/dZ2" (N·C·N·C) and "total".

    Parameters
    ----------
    n_batch, n_input, n_hidden, n_output : int
        N, D, D1, C.
    itemsize : int, optional
        Bytes per number (8 for float64).
    """
    N, D, D1, C, itemsize = _check_sizes(n_batch, n_input, n_hidden, n_output, itemsize)
    out = {
        "dZ1/dW1": D1 * D * N * D1 * itemsize,
        "dZ2/dZ1": N * D1 * N * C * itemsize,
        "dP/dZ2": N * C * N * C * itemsize,
    }
    out["total"] = sum(out.values())
    return out


def compact_nbytes(n_batch, n_input, n_hidden, n_output, itemsize=8):
    """Exact bytes of the compact route's dZ2 (N, C), dA1 and dZ1 (N, D1), and "total".

    Arguments as in ``jacobian_nbytes`` (no intermediate depends on D).
    """
    N, _, D1, C, itemsize = _check_sizes(n_batch, n_input, n_hidden, n_output, itemsize)
    out = {"dZ2": N * C * itemsize, "dA1": N * D1 * itemsize, "dZ1": N * D1 * itemsize}
    out["total"] = sum(out.values())
    return out


def format_bytes(n_bytes):
    """A byte count in decimal units with three significant digits, e.g. 2.4e9 -> '2.4 GB'."""
    n = check_int(n_bytes, "n_bytes", minimum=0)
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB", "PB", "EB"):
        if value < 1000 or unit == "EB":
            return f"{value:.3g} {unit}"
        value /= 1000


def _best_time(fn, repeats):
    return min(timeit.repeat(fn, number=1, repeat=repeats))


def measure_route_costs(sizes, repeats=3, seed=0):
    """Memory (exact) and time (best of ``repeats``) of both routes for N = D = D1 = C = n.

    Parameters
    ----------
    sizes : sequence of int, shape (K,)
        Increasing n >= 2.
    repeats, seed : int, optional

    Returns
    -------
    dict of ndarray, each shape (K,)
        "sizes", "formal_bytes", "compact_bytes" (ints) and "formal_seconds", "compact_seconds"
        (machine dependent: show them in a figure, never in printed text).
    """
    sizes = np.asarray(sizes)
    ints = sizes.ndim == 1 and sizes.size and np.issubdtype(sizes.dtype, np.integer)
    if not ints or sizes.min() < 2:
        raise ValueError(f"sizes must be a 1-D sequence of integers >= 2, got {sizes!r}")
    repeats = check_int(repeats, "repeats", minimum=1)
    rng = np.random.default_rng(seed)
    out = {k: [] for k in ("formal_bytes", "compact_bytes", "formal_seconds", "compact_seconds")}
    for n in sizes.tolist():
        net = init_two_layer(n, n, n, seed=seed)
        X = rng.normal(size=(n, n))
        y = rng.integers(0, n, size=n)
        out["formal_bytes"].append(jacobian_nbytes(n, n, n, n)["total"])
        out["compact_bytes"].append(compact_nbytes(n, n, n, n)["total"])
        out["formal_seconds"].append(_best_time(lambda: formal_backward(net, X, y), repeats))
        out["compact_seconds"].append(_best_time(lambda: compact_backward(net, X, y), repeats))
    res = {"sizes": sizes}
    res.update({k: np.array(v) for k, v in out.items()})
    return res
