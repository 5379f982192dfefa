"""bptt.gru: one GRU step's backward pass against central differences."""

import numpy as np

from bptt import gru
from bptt.gradcheck import numerical_gradient, rel_error


def test_gru_step_backward_matches_central_differences():
    rng = np.random.default_rng(5)
    N, D, H = 3, 4, 5
    x, h = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    W, U, b = rng.normal(size=(3 * H, H)), rng.normal(size=(3 * H, D)), rng.normal(size=3 * H)
    w_out = rng.normal(size=(N, H))

    def f():  # L = <w_out, h_t>: its gradient at h_t is w_out
        return float(np.sum(w_out * gru.gru_step_forward(x, h, W, U, b)[0]))

    _, cache = gru.gru_step_forward(x, h, W, U, b)
    got = gru.gru_step_backward(w_out, cache)
    for g, p in zip(got, (x, h, W, U, b)):
        assert g.shape == p.shape
        assert rel_error(g, numerical_gradient(f, p)) < 1e-7


def test_update_gate_one_copies_the_state():
    """u_t = 1 (a large update bias) makes h_t = h_{t-1} and dL/dh_{t-1} = dL/dh_t."""
    rng = np.random.default_rng(6)
    N, D, H = 2, 3, 4
    x, h = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    W, U = rng.normal(size=(3 * H, H)) * 0.1, rng.normal(size=(3 * H, D)) * 0.1
    b = np.zeros(3 * H)
    b[H : 2 * H] = 40.0
    h_new, cache = gru.gru_step_forward(x, h, W, U, b)
    dh = rng.normal(size=(N, H))
    assert np.allclose(h_new, h) and np.allclose(gru.gru_step_backward(dh, cache)[1], dh)
