"""What the benchmark sections share: the problem sizes, timing, and the targets they report."""

import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

SIZES = (
    (32, 50, 64, 128, 64),
    (64, 100, 128, 256, 128),
    (128, 200, 256, 512, 256),
)  # N, T, D, H, C
SIZE_NAMES = ("small", "middle", "large")
DTYPES = (np.float32, np.float64)


class Target(NamedTuple):
    """One performance target: what it is (one line), whether it held, and the measured text."""

    name: str
    ok: bool
    text: str


def timed(f):
    """Seconds of one call of f()."""
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def mark(ok):
    """The word a table prints for a target: ok or MISSED."""
    return "ok" if ok else "MISSED"


def dtype_name(dtype):
    """float32 or float64."""
    return np.dtype(dtype).name


def blas_description():
    """One line per BLAS/OpenMP library loaded in this process (threadpoolctl), or why not."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["threadpoolctl is not installed"]
    return [
        f"{i.get('internal_api')} {i.get('version')} kernel={i.get('architecture', '-')} "
        f"threads={i.get('num_threads')} ({Path(i.get('filepath', '')).name})"
        for i in threadpool_info()
    ]


def torch_run(cell, head, params, X, Y):
    """A closure () -> (loss, grads) of PyTorch's forward+backward on bptt's problem.

    ``cell`` is an nn.RNN or nn.LSTM (batch first), ``head`` an nn.Linear; the weights are copied
    from ``params`` (a bptt.Params or LSTMParams) by field: weight_hh = W, weight_ih = U,
    bias_ih = b, bias_hh = 0, head = (V, c). The loss is cross_entropy summed over all steps and
    divided by N; grads come back as the type of ``params``.
    """
    import torch

    N, C = X.shape[0], head.out_features
    by_field = {
        "W": cell.weight_hh_l0,
        "U": cell.weight_ih_l0,
        "b": cell.bias_ih_l0,
        "V": head.weight,
        "c": head.bias,
    }
    weights = [by_field[name] for name in type(params)._fields]
    with torch.no_grad():
        for w, value in zip(weights, params):
            w.copy_(torch.from_numpy(value))
        cell.bias_hh_l0.zero_()
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y).reshape(-1)
    everything = list(cell.parameters()) + list(head.parameters())

    def run():
        for w in everything:
            w.grad = None
        states, _ = cell(Xt)
        logits = head(states).reshape(-1, C)
        loss = torch.nn.functional.cross_entropy(logits, Yt, reduction="sum") / N
        loss.backward()
        return float(loss.detach()), type(params)(*(w.grad.numpy() for w in weights))

    return run
