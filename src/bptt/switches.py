"""The switches of the teaching BPTT loop: each one a named way to get the gradient wrong.

``bptt.rnn.backward_details(..., switches=Switches(carry="W delta"))`` runs the one BPTT loop of
``bptt.rnn`` with W instead of Wᵀ in the carry, and so on for every field below; the default of
every field is the right computation, and ``RIGHT = Switches()`` is BPTT itself. The wrong and
alternative gradients of ``bptt.variants`` and the mistake models of the assignments' checks are
built from these switches, so that the package holds one loop, not one copy per mistake.

=================  ===============  ===========================================================
field              right            the alternatives (what each one does wrong)
=================  ===============  ===========================================================
tanh_prime         "1-h^2"          "1" (tanh' missing), "1-h" (1 − h_t for 1 − h_t²),
                                    "1-h_prev^2" (tanh' at h_{t-1}), "1-g^2" (δ_t = 1 − g_t²)
tanh_prime_in      "both"           where a wrong tanh_prime acts: "weights" (the weight
                                    gradients only) or "carry" (the carry only)
direct_terms       "every_step"     "last_step": no direct term Vᵀ ∂L_t/∂o_t before step T
carry              "W^T delta"      "W delta" (W for Wᵀ), "none" (no carry: g_t is the direct
                                    term alone), "next loss only" (the one-step junction: the
                                    gradient of L_t alone reaches step t − 1), "delta h_prev^T"
                                    (δ_t h_{t-1}ᵀ, an (N, N) array: runs only when N == H)
dW_input           "h_prev"         "h": dL/dW = Σ δ_t h_tᵀ (off by one in time)
dU_input           "x"              "h_prev": dL/dU collects the dW terms (runs only when D == H)
weight_steps       "every_step"     "last_step": only the copy of step T (the last term alone)
accumulate         True             False: "=" for "+=" over time (step 1's term is what is left)
batch              "mean"           "sum": the loss and dL/do_t summed over the batch (no 1/N)
loss_steps         "every_step"     "last_step": only L_T counts, in a many-to-many problem
input_matrix       "U"              "W": a_t = W h_{t-1} + W x_t + b (runs only when D == H)
ignore_h0          False            True: the forward pass starts from zeros whatever h0 is
cut_carry          True             False: with truncate=k the carry is never cut
window_shift       0                +1 or −1: the windows of k steps start one step late / early
reset_state        False            True: with truncate=k the state restarts from zeros at each
                                    window (the state must be carried, only the gradient is cut)
=================  ===============  ===========================================================

The forward pass reads input_matrix, ignore_h0 and reset_state; ``step_losses`` reads batch and
loss_steps; ``backward`` reads the rest (window_shift also moves the resets of reset_state).
"""

from typing import NamedTuple

import numpy as np


class Switches(NamedTuple):
    """How the teaching BPTT loop departs from BPTT (see the module's table); defaults are right."""

    tanh_prime: str = "1-h^2"
    tanh_prime_in: str = "both"
    direct_terms: str = "every_step"
    carry: str = "W^T delta"
    dW_input: str = "h_prev"
    dU_input: str = "x"
    weight_steps: str = "every_step"
    accumulate: bool = True
    batch: str = "mean"
    loss_steps: str = "every_step"
    input_matrix: str = "U"
    ignore_h0: bool = False
    cut_carry: bool = True
    window_shift: int = 0
    reset_state: bool = False


RIGHT = Switches()

CHOICES = {
    "tanh_prime": ("1-h^2", "1", "1-h", "1-h_prev^2", "1-g^2"),
    "tanh_prime_in": ("both", "weights", "carry"),
    "direct_terms": ("every_step", "last_step"),
    "carry": ("W^T delta", "W delta", "none", "next loss only", "delta h_prev^T"),
    "dW_input": ("h_prev", "h"),
    "dU_input": ("x", "h_prev"),
    "weight_steps": ("every_step", "last_step"),
    "accumulate": (True, False),
    "batch": ("mean", "sum"),
    "loss_steps": ("every_step", "last_step"),
    "input_matrix": ("U", "W"),
    "ignore_h0": (False, True),
    "cut_carry": (True, False),
    "window_shift": (0, 1, -1),
    "reset_state": (False, True),
}


def _conform(sw, N, D, H):
    """ValueError when a switch's products do not conform for these sizes (None: not checked)."""
    if sw.input_matrix == "W" and D is not None and D != H:
        raise ValueError(
            "switches.input_matrix='W' puts W where U belongs (a_t = W h_(t-1) + W x_t): x_t is "
            f"(N, D) = {(N, D)} and W is (H, H) = {(H, H)}, so W x_t conforms only when D == H"
        )
    if sw.dU_input == "h_prev" and D is not None and D != H:
        raise ValueError(
            "switches.dU_input='h_prev' gives dL/dU the terms δ_t h_(t-1)ᵀ of shape (H, H) = "
            f"{(H, H)} where U is (H, D) = {(H, D)}: it conforms only when D == H"
        )
    if sw.carry == "delta h_prev^T" and N is not None and N != H:
        raise ValueError(
            "switches.carry='delta h_prev^T' sends δ_t h_(t-1)ᵀ back, an (N, N) = "
            f"{(N, N)} array where g_(t-1) is (N, H) = {(N, H)}: it conforms only when N == H"
        )


def check_switches(switches, N=None, D=None, H=None):
    """Return ``switches`` if it is a valid Switches (for sizes N, D, H when given), else raise.

    Parameters
    ----------
    switches : Switches
        The mistake model.
    N, D, H : int, optional
        Batch, input and hidden sizes, to check the switches whose products need equal sizes.

    Returns
    -------
    Switches
        The same object.
    """
    if not isinstance(switches, Switches):
        raise TypeError(f"switches must be a bptt.switches.Switches, got {type(switches).__name__}")
    for name, allowed in CHOICES.items():
        value = getattr(switches, name)
        if not any(value == a and type(value) is type(a) for a in allowed):
            raise ValueError(f"switches.{name} must be one of {allowed}, got {value!r}")
    _conform(switches, N, D, H)
    return switches


def window_starts(t, k, switches=RIGHT):
    """True when the 0-based step t starts a truncation window of k steps, other than the first.

    Parameters
    ----------
    t : int
        The 0-based step (math step t + 1).
    k : int or None
        The truncation length; None (no truncation) is never a start.
    switches : Switches, optional
        ``window_shift`` moves the starts by one step.

    Returns
    -------
    bool
        True at t = k, 2k, ... (math steps k + 1, 2k + 1, ...), shifted by ``window_shift``.
    """
    if k is None:
        return False
    s = t - switches.window_shift
    return s > 0 and s % k == 0


# ------------------------------------------------------------------- what they change


def mistaken_step(g, direct, step, sw):
    """One backward step with the mistakes of ``sw`` (what ``bptt.rnn.backward`` runs for them).

    Parameters
    ----------
    g : ndarray, shape (N, H)
        g_t as the mistaken loop has it.
    direct : ndarray, shape (N, H)
        This step's direct term Vᵀ ∂L_t/∂o_t.
    step : tuple
        The cache of ``bptt.rnn.step_forward``: (x, h_prev, W, U, h).
    sw : Switches

    Returns
    -------
    (delta, carry, dW, dU, db)
        δ_t as used for the weight terms (N, H), the carry into step t − 1 (N, H; (N, N) for
        carry="delta h_prev^T"), and this step's terms (H, H), (H, D), (H,).
    """
    x, h_prev, W, U, h = step
    right = g * (1.0 - h * h)
    factors = {
        "1-h^2": lambda: g * (1.0 - h * h),
        "1": lambda: g,
        "1-h": lambda: g * (1.0 - h),
        "1-h_prev^2": lambda: g * (1.0 - h_prev * h_prev),
        "1-g^2": lambda: 1.0 - g * g,
    }
    wrong = factors[sw.tanh_prime]()
    d_weights = wrong if sw.tanh_prime_in in ("both", "weights") else right
    d_carry = wrong if sw.tanh_prime_in in ("both", "carry") else right
    carries = {
        "W^T delta": lambda: d_carry @ W,  # batch first: Wᵀ δ_t is δ_t @ W
        "W delta": lambda: d_carry @ W.T,
        "none": lambda: np.zeros_like(g),
        "next loss only": lambda: (direct * (1.0 - h * h)) @ W,  # the gradient of L_t alone
        "delta h_prev^T": lambda: d_carry @ h_prev.T,  # (N, N): conforms only when N == H
    }
    h_in = h if sw.dW_input == "h" else h_prev
    x_in = h_prev if sw.dU_input == "h_prev" else x
    return (
        d_weights,
        carries[sw.carry](),
        d_weights.T @ h_in,
        d_weights.T @ x_in,
        d_weights.sum(axis=0),
    )


def weight_sum(per_step, sw):
    """Σ_t of the copies' gradients, or what a mistake keeps of them (weight_steps, accumulate).

    Parameters
    ----------
    per_step : ndarray, shape (T, ...)
        One term per step, 0-based (entry 0 is step 1's).
    sw : Switches
    """
    if sw.weight_steps == "last_step":
        return per_step[-1].copy()  # only the copy of step T
    if not sw.accumulate:
        return per_step[0].copy()  # "=" for "+=": the last one written (t = 1)
    return per_step.sum(axis=0)
