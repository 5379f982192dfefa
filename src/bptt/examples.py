"""The seeded example problems that several pages share, so that a quantity prints one number.

A chapter and the errata appendix that show the same quantity (the error of the last term
alone, ŷ − y when the targets sum to 1.5, the row-vector formulas of *Derivation of BPTT*, ...)
both build it from the problem here, never from a draw of their own. A page that uses another
network on purpose says so in its text.

==========================  =========================================================  ===========
function                    what it is                                                 pages
==========================  =========================================================  ===========
``hand_worked``             H = D = C = 1, T = 3, round numbers, many-to-one mse       ch 4
``hand_worked_two_step``    the same weights, T = 2, a loss at both steps              ch 6
``blog_network``            T = 3 many-to-one, no biases (*Back Propagation in RNNs*)  ch 2, 4, B
``soft_targets``            round logits and three targets: one-hot, soft, Σy = 1.5    ch 5, B
``row_vector_batch``        a minibatch for *Derivation of BPTT*'s row-vector formulas ch 6, B
``square_batch``            the same with N = D = H, where its mis-shaped products run ch 6, B
``junction_problem``        many-to-many nll, T = 6 (*Simple RNNs*' junction)          ch 6, B
``two_layer``               a two-layer softmax network and its data                   ch 2, B
``two_layer_square``        the same with D1 = C = 3, where a mis-shaped product runs  ch 2, B
``sum_ranges_problem``      many-to-one mse, inputs x_0..x_4 (*Computing the gradients*) ch 4, B
``cross_validated_network`` D = 4, H = 5, C = 3 and a hidden state (the Q&A's sizes)   ch 5, B
``IIR_WEIGHTS``             the filter weights w = −0.9 and w = −1.1                   ch 7, B
==========================  =========================================================  ===========

Each RNN problem is a ``Problem``: ``loss, grads = prob.run()`` gives what ``bptt.many_to_one``
or ``bptt.many_to_many`` returns for it.
"""
from typing import NamedTuple

import numpy as np

from .data import random_problem
from .params import Params

IIR_WEIGHTS = (-0.9, -1.1)


class Problem(NamedTuple):
    """An RNN problem: params, X (N, T, D), targets, h0 (N, H) or None, loss, last_only.

    targets: many-to-one (last_only) mse (N, C) / nll (N,); many-to-many mse (N, T, C) /
    nll (N, T).
    """
    params: Params
    X: np.ndarray
    targets: np.ndarray
    h0: np.ndarray
    loss: str
    last_only: bool

    def run(self, params=None):
        """(loss, grads) of the package's BPTT on this problem (optionally other params)."""
        from . import rnn
        fn = rnn.many_to_one if self.last_only else rnn.many_to_many
        return fn(self.params if params is None else params, self.X, self.targets,
                  loss=self.loss, h0=self.h0)


def _scalar_params(W, U, V, b, c):
    return Params(*(np.array(v, dtype=np.float64).reshape(s)
                    for v, s in ((W, (1, 1)), (U, (1, 1)), (V, (1, 1)), (b, (1,)), (c, (1,)))))


def hand_worked(W=0.5, U=1.0, V=2.0, b=0.0, c=0.0, x=(1.0, 0.5, -1.0), y=0.5, h0=0.0):
    """One unit, one input, one output, T = 3: numbers a reader can redo with a calculator.

    Many-to-one, L = ½ (o_3 − y)², o_3 = V h_3 + c. Returns a Problem with X (1, 3, 1),
    targets (1, 1), h0 (1, 1).
    """
    X = np.array(x, dtype=np.float64).reshape(1, -1, 1)
    return Problem(_scalar_params(W, U, V, b, c), X, np.array([[y]], dtype=np.float64),
                   np.array([[h0]], dtype=np.float64), "mse", True)


def hand_worked_two_step(W=0.5, U=1.0, V=2.0, b=0.0, c=0.0, x=(1.0, 0.5), y=(0.5, -0.5), h0=0.0):
    """``hand_worked``'s weights with T = 2 and a loss at both steps, L = Σ_t ½ (o_t − y_t)².

    Returns a Problem with X (1, 2, 1), targets (1, 2, 1), h0 (1, 1).
    """
    X = np.array(x, dtype=np.float64).reshape(1, -1, 1)
    Y = np.array(y, dtype=np.float64).reshape(1, -1, 1)
    return Problem(_scalar_params(W, U, V, b, c), X, Y, np.array([[h0]], dtype=np.float64),
                   "mse", False)


def blog_network():
    """The T = 3 many-to-one network of *Back Propagation in Recurrent Neural Networks*.

    D = 2, H = 3, C = 2, one sequence, no biases (the post has none), a non-zero h_0 so that the
    first step's term is not trivially small, mse loss. Returns a Problem.
    """
    params, X, y, h0 = random_problem(1, 3, 2, 3, 2, seed=0, loss="mse", last_only=True)
    params = params._replace(b=np.zeros(3), c=np.zeros(2))
    return Problem(params, X, y, h0, "mse", True)


def soft_targets():
    """Round logits o (3,) and three targets for the softmax–NLL gradient.

    Returns (o, targets) with targets a dict: "one-hot" sums to 1, "soft" sums to 1,
    "sum 1.5" does not (where ŷ − y stops being the gradient).
    """
    o = np.array([2.0, 1.0, 0.1])
    targets = {"one-hot": np.array([0.0, 1.0, 0.0]),
               "soft": np.array([0.2, 0.7, 0.1]),
               "sum 1.5": np.array([0.5, 1.0, 0.0])}
    return o, targets


def row_vector_batch():
    """A minibatch for the row-vector formulas: N = 3, T = 5, D = 3, H = 4, C = 3, nll, h0 ≠ 0."""
    params, X, Y, h0 = random_problem(3, 5, 3, 4, 3, seed=3, loss="nll")
    return Problem(params, X, Y, h0, "nll", False)


def square_batch():
    """N = D = H = 4 (T = 6, C = 3, nll): the shapes where mis-shaped products still run."""
    params, X, Y, h0 = random_problem(4, 6, 4, 4, 3, seed=4, loss="nll")
    return Problem(params, X, Y, h0, "nll", False)


def junction_problem():
    """Many-to-many nll with T = 6 (as in *Simple RNNs*' example): N = 1, D = 3, H = 5, C = 3."""
    params, X, Y, _ = random_problem(1, 6, 3, 5, 3, seed=7, loss="nll", with_h0=False)
    return Problem(params, X, Y, None, "nll", False)


def two_layer(n_batch=5, n_input=4, n_hidden=3, n_output=2, seed=1):
    """A two-layer softmax network (tanh hidden layer) and its data, for chapter 2.

    Returns (net, X (N, D), y (N,) int labels); net from ``bptt.jacobian.init_two_layer``.
    """
    from .jacobian import init_two_layer
    net = init_two_layer(n_input, n_hidden, n_output, seed=seed)
    rng = np.random.default_rng(seed)
    return net, rng.normal(size=(n_batch, n_input)), rng.integers(0, n_output, size=n_batch)


def two_layer_square():
    """``two_layer`` with D1 = C = 3 (N = 8, D = 4): the shapes where Xᵀ dZ₂ runs though it is wrong.

    Returns (net, X (8, 4), y (8,)).
    """
    return two_layer(n_batch=8, n_input=4, n_hidden=3, n_output=3, seed=2)


def sum_ranges_problem():
    """Many-to-one mse whose inputs are indexed from 0, as in *Computing the gradients for BPTT*.

    N = 1, five inputs x_0..x_4 (so X (1, 5, 3)), D = 3, H = 4, C = 1, a non-zero initial state
    (the book's h_0, that section's h_{-1}), targets (1, 1). Returns a Problem.
    """
    params, X, y, h0 = random_problem(1, 5, 3, 4, 1, seed=2, loss="mse", last_only=True)
    return Problem(params, X, y, h0, "mse", True)


def cross_validated_network():
    """The sizes of the Cross Validated question: D = 4, H = 5, C = 3, and one hidden state.

    Returns (params, h) with params from ``init_params(4, 5, 3, seed=1)`` (W (5, 5), U (5, 4),
    V (3, 5), b (5,), c (3,)) and h (5,) = tanh of a standard normal draw (seed 2).
    """
    from .params import init_params
    params = init_params(4, 5, 3, seed=1)
    h = np.tanh(np.random.default_rng(2).normal(size=5))
    return params, h


def blog_many_to_many():
    """``blog_network`` with a target at every step: the many-to-many case that post left open.

    The same params, X (1, 3, 2) and h0 (1, 3); targets (1, 3, 2), the last step's being
    ``blog_network()``'s target and the first two drawn with seed 1. mse loss. Returns a Problem.
    """
    prob = blog_network()
    early = np.random.default_rng(1).normal(size=(1, 2, prob.targets.shape[1]))
    Y = np.concatenate([early, prob.targets[:, None]], axis=1)
    return Problem(prob.params, prob.X, Y, prob.h0, "mse", False)
