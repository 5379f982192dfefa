"""Wrong and alternative backward passes, to compare with the right one (chapters 4 and 6, errata).

Every function here is the teaching loop ``bptt.rnn.backward_details`` run with the switches of
one mistake (``bptt.switches``), or a short wrapper around it: one BPTT loop, not one copy per
variant. Each is named after what it does; its docstring names the source that reads so. V and c
keep their right gradients: only the recurrent part (W, U, b) changes.

Parameters (of every variant but ``loss_with_copies`` and ``row_vector_letters``)
----------
params : Params
    W (H, H), U (H, D), V (C, H), b (H,), c (C,).
X : array_like, shape (N, T, D)
targets : array_like
    Many-to-many: mse (N, T, C) floats, nll (N, T) labels; many-to-one (last_only): (N, C), (N,).
loss : str
    "mse" (½‖o_t − y_t‖² per step) or "nll" (softmax and negative log-likelihood).
h0 : array_like, shape (N, H), optional
last_only : bool

Returns
-------
loss : float
    Summed over the steps that carry one, averaged over the batch.
grads : Params
    Shaped like params.

Right alternatives: ``per_loss_grads`` / ``per_loss_passes`` (one backward pass per loss,
*Derivation of BPTT*'s scheme). Wrong: ``last_step_only``, ``junction_one_step``,
``no_direct_term``, ``dW_without_first_step``, ``carry_without_transpose`` and the ``rows_*``
functions (the slips of *Derivation of BPTT*'s row-vector formulas, W_h = Wᵀ, W_x = Uᵀ, its
V = our Vᵀ: ``row_vector_letters``). ``loss_with_copies`` is the loss with one weight copy per step.
"""

import numpy as np

from ._problem import check_problem
from .losses import mse_loss, nll_loss
from .rnn import backward_details
from .switches import RIGHT, Switches

__all__ = [
    "last_step_only",
    "junction_one_step",
    "no_direct_term",
    "dW_without_first_step",
    "carry_without_transpose",
    "per_loss_grads",
    "per_loss_passes",
    "rows_without_carry",
    "rows_input_through_Wh",
    "rows_delta_from_gradient",
    "rows_carry_from_state",
    "rows_dWx_from_dWh",
    "rows_step_index_of_pass",
    "row_vector_letters",
    "loss_with_copies",
    "VARIANTS",
]


def _run(params, X, targets, loss, h0, last_only, **switches):
    """(loss, grads) of the teaching loop with these switches."""
    d = backward_details(params, X, targets, loss, h0, last_only, switches=Switches(**switches))
    return d.loss, d.grads


# ------------------------------------------------------------------- chapter 4


def last_step_only(params, X, targets, loss="mse", h0=None, last_only=True):
    """Only the copy of the last step: dW = δ_T h_{T-1}ᵀ, dU = δ_T x_Tᵀ, db = δ_T. Wrong for T > 1.

    What *Back Propagation in Recurrent Neural Networks* gives when its ∂L/∂H_t is read as a
    partial derivative (zero for t < T in many-to-one). g_T itself is right.
    """
    return _run(params, X, targets, loss, h0, last_only, weight_steps="last_step")


def dW_without_first_step(params, X, targets, loss="mse", h0=None, last_only=True):
    """dL/dW summed from step 2: the first copy's term δ_1 h_0ᵀ is left out. Right only if h_0 = 0.

    *Computing the gradients for BPTT* read literally (in the book's letters: its W is our U):
    it numbers the inputs from 0 and starts its sum for our dL/dW at its t = 1, while dL/dU and
    dL/db start at 0.
    """
    d = backward_details(params, X, targets, loss, h0, last_only)
    return d.loss, d.grads._replace(W=d.grads.W - d.dW_steps[0])


def carry_without_transpose(params, X, targets, loss="mse", h0=None, last_only=True):
    """g_{t-1} = W δ_t instead of Wᵀ δ_t (batch first: δ_t Wᵀ for δ_t W). Right only for W = Wᵀ.

    *Computing the gradients for BPTT*'s dh^(t) = dh^(t+1) f'(ĥ^(t+1)) ᵗU read with a row vector,
    the only order in which its product conforms.
    """
    return _run(params, X, targets, loss, h0, last_only, carry="W delta")


def loss_with_copies(
    params, X, targets, loss="mse", h0=None, last_only=True, Ws=None, Us=None, bs=None
):
    """The loss when step t uses its own copy W_t, U_t, b_t (dummy copies).

    Parameters
    ----------
    params, X, targets, loss, h0, last_only
        As in the module docstring.
    Ws : array_like, shape (T, H, H), optional
        One copy of W per step; None repeats params.W T times.
    Us : array_like, shape (T, H, D), optional
        One copy of U per step.
    bs : array_like, shape (T, H), optional
        One copy of b per step.

    Returns
    -------
    float
        The loss. With all copies equal to W (U, b) it is the ordinary loss; its gradient with
        respect to Ws[t] is the per-step term δ_t h_{t-1}ᵀ, and the sum over t is dL/dW.
    """
    pb = check_problem(params, X, targets, loss, h0, None, last_only)
    W, U, V, b, c = pb.params
    T = pb.X.shape[1]
    copies = []
    for name, given, base in (("Ws", Ws, W), ("Us", Us, U), ("bs", bs, b)):
        arr = np.broadcast_to(base, (T,) + base.shape) if given is None else np.asarray(given)
        if arr.shape != (T,) + base.shape:
            raise ValueError(
                f"{name} must have shape (T,) + {base.shape} = {(T,) + base.shape} "
                f"(one copy per step), got {arr.shape}"
            )
        copies.append(arr)
    step_loss = mse_loss if loss == "mse" else nll_loss
    h, total = pb.h0, 0.0
    for t in range(T):
        h = np.tanh(h @ copies[0][t].T + pb.X[:, t] @ copies[1][t].T + copies[2][t])
        if not last_only or t == T - 1:
            total += step_loss(h @ V.T + c, pb.targets if last_only else pb.targets[:, t])[0]
    return float(total)


# ------------------------------------------------------------------- chapter 6


def junction_one_step(params, X, targets, loss="nll", h0=None, last_only=False):
    """g_t = Vᵀ ∂L_t/∂o_t + Wᵀ diag(1 − h_{t+1}²) Vᵀ ∂L_{t+1}/∂o_{t+1}: losses reach one step back.

    The recurrent term carries the gradient of L_{t+1} alone instead of g_{t+1}, the gradient of
    every later loss. *Simple RNNs*' junction read literally. Wrong for T > 2.
    """
    return _run(params, X, targets, loss, h0, last_only, carry="next loss only")


def no_direct_term(params, X, targets, loss="mse", h0=None, last_only=False):
    """g_T = Vᵀ ∂L_T/∂o_T and g_t = Wᵀ δ_{t+1} for t < T: the direct terms are left out.

    *Computing the gradients for BPTT*'s recursion, right for many-to-one (there is no direct
    term before T) and wrong for many-to-many.
    """
    return _run(params, X, targets, loss, h0, last_only, direct_terms="last_step")


def _passes(params, X, targets, loss, h0, last_only, switches):
    """One many-to-one Details per loss L_s: the run over x_1..x_s with L_s alone, s = 1..T."""
    pb = check_problem(params, X, targets, loss, h0, None, last_only)
    T = pb.X.shape[1]
    steps = [T] if last_only else range(1, T + 1)
    return [
        (
            s,
            backward_details(
                pb.params,
                pb.X[:, :s],
                pb.targets if last_only else pb.targets[:, s - 1],
                loss,
                h0,
                True,
                switches=switches,
            ),
        )
        for s in steps
    ]


def per_loss_grads(params, X, targets, loss="mse", h0=None, last_only=False, switches=RIGHT):
    """One backward pass per loss L_s (*Derivation of BPTT*'s scheme): a list of (s, L_s, grads_s).

    Pass s starts from Vᵀ ∂L_s/∂o_s at step s and carries g back to step 1 with g_{t-1} = Wᵀ δ_t,
    adding no direct term on the way: it is the many-to-one problem x_1..x_s with the loss L_s.
    grads_s is the gradient of L_s alone; their sum over s is the gradient of L
    (``per_loss_passes``).

    Parameters
    ----------
    params, X, targets, loss, h0, last_only
        As in the module docstring.
    switches : Switches, optional
        A mistake planted in every pass.

    Returns
    -------
    list of (int, float, Params)
        (s, L_s, grads_s) for s = 1..T (s = T alone for a many-to-one problem).
    """
    return [
        (s, d.loss, d.grads) for s, d in _passes(params, X, targets, loss, h0, last_only, switches)
    ]


def per_loss_passes(params, X, targets, loss="mse", h0=None, last_only=False, switches=RIGHT):
    """The sum of the per-loss passes of ``per_loss_grads``. Right (T passes instead of one).

    ``switches`` plants a mistake in every pass.
    """
    parts = per_loss_grads(params, X, targets, loss, h0, last_only, switches)
    grads = parts[0][2]
    for _, _, g in parts[1:]:
        grads = grads + g
    return float(sum(p[1] for p in parts)), grads


def rows_without_carry(params, X, targets, loss="nll", h0=None, last_only=False):
    """dh^(t) = do^(t) Vᵀ in one accumulated pass: no carry da^(t+1) W_hᵀ from step t+1. Wrong.

    *Derivation of BPTT*'s row-vector recursion as written: g_t is the direct term alone.
    """
    return _run(params, X, targets, loss, h0, last_only, carry="none")


def rows_input_through_Wh(params, X, targets, loss="nll", h0=None, last_only=False):
    """a^(t) = b + h^(t-1) W_h + x^(t) W_h: the input meets the recurrent matrix (needs D == H).

    *Derivation of BPTT*'s forward pass as written; it changes the network and the loss.
    Computed with its per-loss passes.
    """
    return per_loss_passes(params, X, targets, loss, h0, last_only, Switches(input_matrix="W"))


def rows_delta_from_gradient(params, X, targets, loss="nll", h0=None, last_only=False):
    """da^(t) = 1 − (dh^(t))² instead of dh^(t) ⊙ (1 − (h^(t))²): the gradient is squared. Wrong.

    *Derivation of BPTT* as written, computed with its per-loss passes.
    """
    return per_loss_passes(params, X, targets, loss, h0, last_only, Switches(tanh_prime="1-g^2"))


def rows_carry_from_state(params, X, targets, loss="nll", h0=None, last_only=False):
    """dh^(t-1) = da^(t) (h^(t-1))ᵀ, an (N, N) array instead of da^(t) W_hᵀ (runs only when N == H).

    *Derivation of BPTT* as written, computed with its per-loss passes.
    """
    sw = Switches(carry="delta h_prev^T")
    return per_loss_passes(params, X, targets, loss, h0, last_only, sw)


def rows_dWx_from_dWh(params, X, targets, loss="nll", h0=None, last_only=False):
    """dL/dW_x = Σ_i dW_h^(i): the input weights get the recurrent terms (runs only when D == H).

    *Derivation of BPTT* as written, computed with its per-loss passes.
    """
    return per_loss_passes(params, X, targets, loss, h0, last_only, Switches(dU_input="h_prev"))


def rows_step_index_of_pass(params, X, targets, loss="nll", h0=None, last_only=False):
    """dW_h^(i) = (h^(t-1))ᵀ da^(t) at every step i of pass t: the pass's index for the step's.

    *Derivation of BPTT*'s per-loss passes as written: pass s adds its top term δ_s h_{s-1}ᵀ s
    times to dL/dW instead of Σ_{i ≤ s} δ_i h_{i-1}ᵀ; dL/dU and dL/db are right.
    """
    parts = _passes(params, X, targets, loss, h0, last_only, RIGHT)
    grads = [d.grads._replace(W=s * d.dW_steps[-1]) for s, d in parts]
    total = grads[0]
    for g in grads[1:]:
        total = total + g
    return float(sum(d.loss for _, d in parts)), total


def row_vector_letters(p):
    """A Params in the book's orientation as *Derivation of BPTT*'s row-vector letters.

    Parameters
    ----------
    p : Params
        W (H, H), U (H, D), V (C, H), b (H,), c (C,).

    Returns
    -------
    dict
        W_h = Wᵀ (H, H), W_x = Uᵀ (D, H), V = Vᵀ (H, C), b (H,), c (C,).
    """
    return {"W_h": p.W.T, "W_x": p.U.T, "V": p.V.T, "b": p.b, "c": p.c}


VARIANTS = {
    f.__name__: f
    for f in (
        last_step_only,
        junction_one_step,
        no_direct_term,
        dW_without_first_step,
        carry_without_transpose,
        per_loss_passes,
        rows_without_carry,
        rows_input_through_Wh,
        rows_delta_from_gradient,
        rows_carry_from_state,
        rows_dWx_from_dWh,
        rows_step_index_of_pass,
    )
}
