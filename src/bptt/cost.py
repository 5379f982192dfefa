"""What one BPTT step costs in floating-point operations (chapter 9), counted two ways.

The formulas count the matrix products of one step for a batch of N (a product of an (m, k) by
a (k, n) matrix is m·k·n multiply-adds, 2·m·k·n flops); ``count_flops`` counts the products a
function really performs, by running it on arrays that tally every ``@``.
"""

import numpy as np


def forward_flops(N, D, H, C):
    """Flops of one forward step with its output: h Wᵀ, x Uᵀ and h Vᵀ, 2N(H² + HD + HC)."""
    return 2 * N * (H * H + H * D + H * C)


def backward_flops(N, D, H, C, input_gradient=False):
    """Flops of one backward step: dO V, dOᵀ h, δ W, δᵀ h_{t-1}, δᵀ x (and δ U for dL/dx_t).

    2N(2H² + HD + 2HC), or 2N(2H² + 2HD + 2HC) with ``input_gradient``.
    """
    return 2 * N * (2 * H * H + (2 if input_gradient else 1) * H * D + 2 * H * C)


def rtrl_flops(N, D, H):
    """Flops of RTRL's sensitivity update W S_{t-1} for one step: 2N·H·H·(H² + HD + H)."""
    return 2 * N * H * H * (H * H + H * D + H)


class _Counting(np.ndarray):
    """An ndarray whose matrix products add their flops to ``tally`` (a one-item list)."""

    tally = None

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [np.asarray(a) if isinstance(a, _Counting) else a for a in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(np.asarray(a) for a in kwargs["out"])
        if ufunc is np.matmul and method == "__call__":
            a, b = plain[0], plain[1]
            m, k = (1,) + a.shape[-1:] if a.ndim == 1 else a.shape[-2:]
            n = 1 if b.ndim == 1 else b.shape[-1]
            batch = int(np.prod(np.broadcast_shapes(a.shape[:-2], b.shape[:-2])))
            _Counting.tally[0] += 2 * batch * m * k * n
        out = getattr(ufunc, method)(*plain, **kwargs)
        return out.view(_Counting) if isinstance(out, np.ndarray) else out


def count_flops(f, *arrays):
    """Run ``f(*arrays)`` on counting views of the arrays; return (its result, the matmul flops).

    Only products of the given arrays and of what is computed from them are counted; functions
    that convert their arguments with ``np.asarray`` (the package's checked entry points) drop
    the count, so pass the step functions (``bptt.rnn.step_forward``, ``step_backward``).
    """
    _Counting.tally = [0]
    result = f(*(np.asarray(a).view(_Counting) for a in arrays))
    return result, _Counting.tally[0]
