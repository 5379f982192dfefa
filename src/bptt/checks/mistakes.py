"""The mistake models the BPTT checks share (assignments 3, 4, 6 and 8).

Each named mistake is a :class:`bptt.switches.Switches` of the one teaching BPTT loop
(``bptt.rnn.backward_details``) with the sentence a student can act on; the checks compare a
student's gradients with each model's and name the one they reproduce.
"""

from ..data import random_problem
from ..gradcheck import numerical_gradient
from ..params import Params
from ..rnn import backward_details
from ..switches import Switches
from .engine import _check_outputs, _unpack

_TANH = "δ_t = (1 - h_t²) ⊙ g_t"
# name -> (kind, sentence, the Switches fields of that mistake)
RNN_MISTAKES = {
    "tanh": (
        "tanh",
        f"It matches BPTT without the factor tanh'(a_t) = 1 - h_t²: {_TANH}.",
        dict(tanh_prime="1"),
    ),
    "tanh_weights": (
        "tanh",
        "tanh' is missing in the weight gradients only: dW, dU and db are sums "
        f"of δ_t terms, with {_TANH}, not g_t.",
        dict(tanh_prime="1", tanh_prime_in="weights"),
    ),
    "tanh_carry": (
        "tanh",
        "tanh' is missing in the carry only: the gradient sent back to step t-1 is "
        f"Wᵀ δ_t with {_TANH} (batch first: delta @ W), not Wᵀ g_t.",
        dict(tanh_prime="1", tanh_prime_in="carry"),
    ),
    "one_minus_h": (
        "tanh",
        "It uses 1 - h_t where tanh' is 1 - h_t² (h squared).",
        dict(tanh_prime="1-h"),
    ),
    "direct_only": (
        "accumulation",
        "It matches BPTT with the direct term only: g_t must also collect the "
        "carry Wᵀ δ_{t+1} from step t+1 (batch first: delta_next @ W), so the gradient flows "
        "back across steps.",
        dict(carry="none"),
    ),
    "last_step_only": (
        "accumulation",
        "It equals the last step's term alone (δ_T h_{T-1}ᵀ for dW). W, U and "
        "b are used at every step (dummy copies), so their gradients are sums over t = 1..T.",
        dict(weight_steps="last_step"),
    ),
    "assign": (
        "accumulation",
        "It equals the first step's term alone: `=` where `+=` belongs, so each step "
        "overwrote the sum of the later ones. The gradients of W, U and b are sums over t.",
        dict(accumulate=False),
    ),
    "last_loss_only": (
        "accumulation",
        "It matches the gradient of the last step's loss L_T alone; the loss "
        "is Σ_t L_t, so every step's output sends a direct term into g_t.",
        dict(loss_steps="last_step"),
    ),
    "off_by_one": (
        "off_by_one",
        "It matches Σ_t δ_t h_tᵀ: in a_t = W h_{t-1} + U x_t + b, W multiplies "
        "h_{t-1}, so dL/dW = Σ_t δ_t h_{t-1}ᵀ (batch first: delta.T @ H[t-1]).",
        dict(dW_input="h"),
    ),
    "off_by_one_rec": (
        "off_by_one",
        "It uses tanh' at h_{t-1}: the factor of step t is 1 - h_t², the "
        "derivative of h_t = tanh(a_t).",
        dict(tanh_prime="1-h_prev^2"),
    ),
    "transposed_rec": (
        "transposed",
        "It carries the gradient back with W instead of Wᵀ: batch first, the "
        "carry is delta @ W, not delta @ W.T.",
        dict(carry="W delta"),
    ),
    "sum": (
        "batch",
        "It matches the gradient of the loss summed over the batch: the loss is the mean over "
        "the N sequences, so dL/do_t = (ŷ_t - y_t)/N.",
        dict(batch="sum"),
    ),
    "ignore_h0": (
        "h0",
        "It matches the gradient computed from h_0 = 0: start the recurrence from the h0 you "
        "are given.",
        dict(ignore_h0=True),
    ),
    "no_truncation": (
        "no_truncation",
        "It equals full BPTT: with truncate=k the gradient must stop at the "
        "start of each chunk of k steps (t = 1, k+1, 2k+1, ...), the state does not.",
        dict(cut_carry=False),
    ),
    "trunc_late": (
        "off_by_one",
        "Your chunks start one step late (at t = 2, k+2, ...): the chunks are steps "
        "1..k, k+1..2k, ..., so the gradient stops between step k and step k+1 (0-based: no carry "
        "out of step index t when t % k == 0 and t > 0).",
        dict(window_shift=1),
    ),
    "trunc_early": (
        "off_by_one",
        "Your chunks start one step early (at t = k, 2k, ...): the chunks are steps "
        "1..k, k+1..2k, ..., so the gradient stops between step k and step k+1 (0-based: no carry "
        "out of step index t when t % k == 0 and t > 0).",
        dict(window_shift=-1),
    ),
    "reset_state": (
        "reset_state",
        "It matches a forward pass that restarts the state from zeros at each "
        "chunk: truncation cuts the gradient only; the state h_t is carried across chunks.",
        dict(reset_state=True),
    ),
}


def _tiny_rnn(seed, N=3, T=4, D=3, H=4, C=3, loss="mse", last_only=False):
    return random_problem(N, T, D, H, C, seed=seed, loss=loss, last_only=last_only, scale=0.8)


def _numeric_params(loss_of_params, params):
    work = params.copy()
    return Params(*(numerical_gradient(lambda: loss_of_params(work), p) for p in work))


def _rnn_mutants(params, X, targets, names, loss="mse", last_only=False, h0=None, truncate=None):
    """[(kind, sentence, grads, G)] of the named mistakes, from bptt.rnn with their Switches."""
    out = []
    for m in names:
        kind, text, fields = RNN_MISTAKES[m]
        d = backward_details(
            params,
            X,
            targets,
            loss=loss,
            h0=h0,
            last_only=last_only,
            truncate=truncate,
            switches=Switches(**fields),
        )
        out.append((kind, text, d.grads, d.G))
    return out


def _check_params_result(name, got, ref, mutants, numeric, N, note=""):
    if isinstance(got, Params):
        arrays = list(got)
    else:
        arrays = _unpack(got, name, ["dW", "dU", "dV", "db", "dc"])
    specs = []
    for i, label in enumerate(["dW", "dU", "dV", "db", "dc"]):
        muts = [(kind, text, g[i]) for kind, text, g in mutants]
        specs.append(
            (
                label,
                ref[i],
                dict(mutants=muts, numeric=numeric[i], n_batch=N, bias=label in ("db", "dc")),
            )
        )
    return _check_outputs(name, arrays, specs, note)


# the mistakes every check of the five gradients tries (a check adds its own)
WEIGHT_MISTAKES = (
    "assign",
    "last_step_only",
    "tanh",
    "tanh_weights",
    "tanh_carry",
    "one_minus_h",
    "off_by_one",
    "off_by_one_rec",
    "transposed_rec",
    "direct_only",
    "sum",
)


def check_rnn_grads(name, got, ref, numeric, problem, extra=(), more=(), note=""):
    """Compare a student's five gradients with ``ref``, naming any of the RNN mistakes.

    problem: dict(params=, X=, targets=, loss=, last_only=, h0=, truncate=) of ``_rnn_mutants``;
    extra: more mistake names; more: more (kind, sentence, Params) mistakes. Returns the worst
    relative error against ``numeric``.
    """
    p = dict(problem)
    names = list(extra) + [m for m in WEIGHT_MISTAKES if m not in extra]
    muts = [
        (k, t, g)
        for k, t, g, _ in _rnn_mutants(p.pop("params"), p.pop("X"), p.pop("targets"), names, **p)
    ]
    return _check_params_result(
        name, got, ref, muts + list(more), numeric, problem["X"].shape[0], note=note
    )
