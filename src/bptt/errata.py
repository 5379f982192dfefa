"""Two computations that only the errata appendix needs; the wrong gradients are in bptt.variants.

- ``tail_loss`` and ``total_grad_h``: the total derivative g_t = dL/dh_t measured by its
  definition. Perturb h_t, run every later step again from the perturbed state, and difference
  the part of the loss that can change (L_t and every later loss). Nothing downstream is held
  fixed, so the number is the *total* derivative, whatever the formula under test calls it.
- ``expanded_dyhat1_dh``: the Cross Validated question's expanded ∂ŷ₁/∂h_j, read as written
  (each exponential after the first carries row 1 of V instead of its own row) or corrected.
- ``table_cells``: the cells of a Markdown table as the page renders them, so that the appendix's
  summary table can be checked against the numbers its cells compute.

Shapes follow ``bptt.rnn``: X (N, T, D) batch first; the loss is summed over the steps that
carry one and averaged over the batch.
"""

import numpy as np

from . import fast as _fast
from . import losses as _losses
from . import rnn as _rnn
from ._problem import check_problem
from ._validate import as_float_array, check_int, check_shape
from .gradcheck import numerical_gradient

__all__ = ["tail_loss", "total_grad_h", "expanded_dyhat1_dh", "table_cells"]


def _check_step(t, T):
    t = check_int(t, "t", minimum=0)
    if t > T:
        raise ValueError(f"t must be a step in 0..T = 0..{T} (h_0 is the initial state), got {t}")
    return t


def tail_loss(params, X, targets, t, h, loss="mse", last_only=False):
    """The part of L that depends on h_t, from h_t = h: L_t (if step t has one) + Σ_{s>t} L_s.

    With h equal to the forward pass's h_t, L minus this number does not depend on h_t.

    Parameters
    ----------
    params : Params
    X : array_like, shape (N, T, D)
    targets : array_like
        Many-to-many: mse (N, T, C), nll (N, T); many-to-one (last_only=True): (N, C), (N,).
    t : int
        The step, 0..T (t = 0 is the initial state, which carries no loss).
    h : array_like, shape (N, H)
        The value given to h_t; steps t+1..T are run again from it.
    loss : str, optional
    last_only : bool, optional

    Returns
    -------
    float
    """
    pb = check_problem(params, X, targets, loss, None, None, last_only)
    params, X, targets = pb.params, pb.X, pb.targets
    N, T, _ = X.shape
    t = _check_step(t, T)
    H = params.W.shape[0]
    h = as_float_array(h, "h", 2, "(N, H)", dtype=params.W.dtype)
    check_shape(h, "h", (N, H), "(N, H)")
    step_loss = _losses.mse_loss if loss == "mse" else _losses.nll_loss
    value = 0.0
    if t >= 1 and (not last_only or t == T):  # the direct term: L_t reads h_t through o_t
        value += step_loss(h @ params.V.T + params.c, targets if last_only else targets[:, t - 1])[
            0
        ]
    if t < T:  # every later loss, through h_{t+1}, ..., h_T
        rest = targets if last_only else targets[:, t:]
        value += _fast.loss_and_grads(
            params, X[:, t:], rest, loss=loss, h0=h, last_only=last_only
        ).loss
    return float(value)


def total_grad_h(params, X, targets, t, loss="mse", h0=None, last_only=False, eps=1e-6):
    """g_t = dL/dh_t by central differences on ``tail_loss``: the total derivative, by definition.

    It equals ``bptt.rnn.backward_details(...).G[:, t-1]`` for t >= 1 and ``.dh0`` for t = 0, to
    round-off.

    Parameters
    ----------
    params, X, targets, t, loss, last_only
        As in ``tail_loss``.
    h0 : array_like, shape (N, H), optional
        The initial state (zeros when None).
    eps : float, optional

    Returns
    -------
    ndarray, shape (N, H)
    """
    pb = check_problem(params, X, targets, loss, h0, None, last_only)
    params, X, targets, h0 = pb.params, pb.X, pb.targets, pb.h0
    t = _check_step(t, X.shape[1])
    h = h0.copy() if t == 0 else np.array(_rnn.forward(params, X, h0=h0)[0][:, t - 1])
    return numerical_gradient(lambda: tail_loss(params, X, targets, t, h, loss, last_only), h, eps)


def expanded_dyhat1_dh(V, c, h, as_written=True):
    """∂ŷ₁/∂h_j for j = 1..H from the expanded quotient rule, ŷ = softmax(V h + c).

    Entry j is [v_1j e^{o_1} S − (Σ_k v_kj E_k) e^{o_1}] / S², S = Σ_k e^{o_k}, with
    E_k = exp(c_k + Σ_i v_1i h_i) as written in the Cross Validated question
    (row 1 of V in every exponential: right for k = 1, wrong for k ≥ 2), or E_k = exp(o_k) when
    ``as_written`` is False (right). All exponentials are shifted by max(o) first; the quotient
    does not change, nothing overflows.

    Parameters
    ----------
    V : array_like, shape (C, H)
    c : array_like, shape (C,)
    h : array_like, shape (H,)
    as_written : bool, optional

    Returns
    -------
    ndarray, shape (H,)
    """
    V = as_float_array(V, "V", 2, "(C, H)", dtype=np.float64)
    C, H = V.shape
    if C == 0 or H == 0:
        raise ValueError(f"V must have shape (C, H) with C, H >= 1, got {V.shape}")
    c = as_float_array(c, "c", 1, "(C,)", dtype=np.float64)
    check_shape(c, "c", (C,), "(C,)")
    h = as_float_array(h, "h", 1, "(H,)", dtype=np.float64)
    check_shape(h, "h", (H,), "(H,)")
    o = c + V @ h
    m = o.max()
    e = np.exp(o - m)  # e^{o_k} / e^m
    S = e.sum()
    E = np.exp(c + V[0] @ h - m) if as_written else e  # the slip: v_1i for every k
    return (V[0] * e[0] * S - (V.T @ E) * e[0]) / S**2


def table_cells(markdown):
    """The body rows of every table in ``markdown``, each a list of its cells' text as rendered.

    markdown: a str. Parsed by markdown-it-py, the parser MyST uses, with tables on, so a cell
    splits exactly where the page's does (an unescaped ``|`` inside a cell starts a new cell).
    A cell's text is what a reader sees: text and code spans, without emphasis marks; a MyST
    role such as {ref}`label` reads "{ref}label". Header rows are left out.
    Returns a list of lists of str.
    """
    if not isinstance(markdown, str):
        raise TypeError(f"markdown must be a str, got {type(markdown).__name__}")
    from markdown_it import MarkdownIt

    rows, row, in_body = [], None, False
    for tok in MarkdownIt("commonmark").enable("table").parse(markdown):
        if tok.type in ("tbody_open", "tbody_close"):
            in_body = tok.type == "tbody_open"
        elif in_body and tok.type == "tr_open":
            row = []
        elif in_body and tok.type == "tr_close":
            rows.append(row)
        elif in_body and tok.type == "inline":
            row.append(
                "".join(
                    c.content
                    for c in tok.children or ()
                    if c.type in ("text", "code_inline", "html_inline")
                )
            )
    return rows
