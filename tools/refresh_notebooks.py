"""Re-execute notebooks in place, top to bottom, and store them without execution timestamps.

    python tools/refresh_notebooks.py [NOTEBOOK ...]     (default: every chapter and exercise)

Used by `make notebooks`. nbval then compares the stored outputs with a fresh run; the
timestamps that nbclient records in each cell's metadata would change on every run, so they
are dropped, and consecutive stream outputs of one cell are joined (the kernel may split one
print into several chunks, which would make the stored file differ from run to run). Prints each
notebook's execution time.
"""

import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
SKIP = {".ipynb_checkpoints", "release", "submitted", "autograded", "feedback"}


def default_notebooks():
    return sorted(
        p
        for folder in ("chapters", "exercises")
        for p in (ROOT / folder).rglob("*.ipynb")
        if not set(p.relative_to(ROOT).parts) & SKIP
    )


def join_streams(outputs):
    """Consecutive stream outputs of the same name (stdout, stderr) as one output each."""
    joined = []
    for out in outputs:
        last = joined[-1] if joined else None
        if (
            out.output_type == "stream"
            and last is not None
            and last.output_type == "stream"
            and last.name == out.name
        ):
            last.text += out.text
        else:
            joined.append(out)
    return joined


def refresh(path):
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    seconds = time.perf_counter() - start
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = join_streams(cell.outputs)
    nbformat.write(nb, path)
    return seconds


def main(argv):
    paths = [pathlib.Path(a).resolve() for a in argv] or default_notebooks()
    for path in paths:
        print(f"{refresh(path):6.1f} s  {path.relative_to(ROOT)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
