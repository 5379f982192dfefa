"""``make bench``: how fast and how lean bptt is, measured in one process: python -m benchmarks.

Each section is one module of this folder with a ``TITLE``, a ``run(args)`` that prints its table
and returns its targets (a list of ``benchmarks.common.Target``), and optionally
``add_arguments(parser)``. ``SECTIONS`` below is the one list that says which sections run, in
order: to add one, write ``benchmarks/<name>.py`` and add "<name>" here (see README.md).
"""

SECTIONS = (
    "kernels",  # bptt against PyTorch's CPU autograd, forward + backward, and the GEMM peak
    "memory",  # the peak memory of one call, full BPTT against truncated
    "lstm",  # bptt's LSTM against PyTorch's nn.LSTM, forward + backward, the middle size
    "cost",  # checkpointing against full BPTT (memory, time), RTRL timings against H
    "vectorising",  # one batched call against a loop over examples and the per-step version
    "build",  # each notebook's execution time, make book and make test (BENCH_FULL=1 only)
    "math_render",  # per chapter page, math visible in Chromium: KaTeX at build time vs MathJax 3
)
