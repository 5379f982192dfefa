"""bptt.cost: the flop formulas are what the step functions really compute."""

import numpy as np
import pytest

import bptt
from bptt.cost import backward_flops, count_flops, forward_flops


@pytest.mark.parametrize("N, D, H, C", [(1, 1, 1, 1), (3, 4, 5, 6), (8, 2, 16, 3)])
def test_formulas_count_the_products_of_one_step(N, D, H, C):
    rng = np.random.default_rng(0)
    p = bptt.init_params(D, H, C)
    x, h, dO = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, C))

    def step(x, h, W, U, b, V, c, dO):
        h_new, cache = bptt.rnn.step_forward(x, h, W, U, b)
        return h_new @ V.T + c, cache

    (o, cache), fwd = count_flops(step, x, h, p.W, p.U, p.b, p.V, p.c, dO)
    assert fwd == forward_flops(N, D, H, C)

    def back(dO, V, h_new):
        bptt.rnn.step_backward(dO @ V, cache)
        return dO.T @ h_new

    _, bwd = count_flops(back, dO, p.V, cache[-1])
    assert bwd == backward_flops(N, D, H, C, input_gradient=True)
    assert backward_flops(N, D, H, C) == bwd - 2 * N * H * D
