"""bptt's LSTM gradients against PyTorch autograd; run from the bench environment, which has torch:

    .venv-bench/bin/python -m pytest tests_torch -q

(``make test`` never collects this folder: the book's .venv has no torch, and CI skips nothing.)
"""

import numpy as np
import pytest

from benchmarks.lstm import check_agreement, torch_lstm_kind
from bptt import lstm_fast


@pytest.mark.parametrize("lanes", [1, 2])
@pytest.mark.parametrize("size", [(2, 3, 4, 5, 3), (3, 7, 2, 4, 6), (16, 20, 8, 32, 10)])
def test_lstm_gradients_equal_torch_autograd_float64(size, lanes, monkeypatch):
    monkeypatch.setattr(lstm_fast, "LANES", lanes)  # two: the batch in halves, run at once
    loss_err, grad_err = check_agreement(size, np.float64, seed=sum(size))
    assert loss_err < 1e-12 and grad_err < 1e-10


def test_lstm_gradients_equal_torch_autograd_float32():
    loss_err, grad_err = check_agreement((8, 10, 6, 16, 5), np.float32)
    assert loss_err < 1e-5 and grad_err < 1e-3


def test_torch_lstm_kind_is_read_from_the_autograd_graph():
    # oneDNN's RNN primitive has no float64: that dtype always runs per-step operations
    assert torch_lstm_kind(np.float64) == "per-step operations"
    assert torch_lstm_kind(np.float32) in ("oneDNN's fused layer", "per-step operations")
