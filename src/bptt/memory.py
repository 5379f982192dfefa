"""How much memory one call takes: the peak of NumPy's allocations (chapter 8, and the benchmarks).

NumPy reports every array buffer it allocates to ``tracemalloc``, so the peak that tracemalloc
sees while a function runs is the memory its arrays needed at their worst moment.
"""

import tracemalloc

from .fast import release_buffers


def peak_memory(f):
    """The peak and the kept bytes of NumPy's allocations while ``f()`` runs.

    The call is measured cold: the scratch memory that ``bptt.fast`` keeps between calls is
    released before it (so that it is counted) and after it (so that it is not kept).

    Parameters
    ----------
    f : callable
        A function of no arguments, e.g. ``lambda: bptt.many_to_many(params, X, Y)``.

    Returns
    -------
    peak : int
        The most bytes allocated at once during the call, above what was allocated before it.
    kept : int
        The bytes still allocated when ``f`` returns (its result), above the same baseline.
    """
    release_buffers()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    result = f()
    release_buffers()
    current, peak = tracemalloc.get_traced_memory()
    del result
    if not was_tracing:
        tracemalloc.stop()
    return peak - base, current - base
