"""Each notebook's execution time, ``make book`` and ``make test``, in a private copy of the repo.

Skipped with ``--no-build`` (``make bench BENCH_FULL=0``). Everything runs in a temporary copy of
the repository with the book's ``.venv`` (reused, never reinstalled: ``make -o`` marks its stamp as
up to date) and PYTHONPATH pointing at the copy's src/, so the shared _build/ is not touched.
"""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .common import Target, mark

TITLE = "build and test times (private copy of the repository)"
NOTEBOOK_SECONDS = 10  # each notebook, at most
BOOK_SECONDS = 60  # make book, at most


def add_arguments(parser):
    parser.add_argument(
        "--no-build", action="store_true", help="skip the notebook, make book and make test times"
    )
    parser.add_argument(
        "--main-venv", default=".venv", help="the book's virtual environment (for the build times)"
    )
    parser.add_argument("--repo", default=".", help="the repository to copy for the build times")


def _copy_repo(repo, dest):
    """The repository without build output and git data; virtual environments linked, not copied."""
    skip = shutil.ignore_patterns(
        ".git",
        ".venv",
        ".venv-*",
        "_build",
        ".jupyter_cache",
        "__pycache__",
        ".pytest_cache",
        ".hypothesis",
        "*.egg-info",
        "release",
        "autograded",
        "feedback",
        "gradebook.db",
    )
    shutil.copytree(repo, dest, ignore=skip, symlinks=True)
    for venv in Path(repo).glob(".venv-*"):  # e.g. .venv-grader, which tests use if it exists
        if venv.name != ".venv-bench" and venv.is_dir():
            (Path(dest) / venv.name).symlink_to(venv.resolve())


def _notebook_times(copy, venv, env):
    """{notebook: (seconds, exit code)}: a fresh kernel and a top-to-bottom run each, as
    tools/refresh_notebooks.py does it (not the ~2 s the ``jupyter`` command takes to start)."""
    proc = subprocess.run(
        [str(venv / "bin" / "python"), str(copy / "tools" / "refresh_notebooks.py")],
        cwd=copy,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    notebooks = {}  # "  7.4 s  chapters/08_....ipynb" per notebook
    for line in proc.stdout.splitlines():
        sec, _, name = line.split(maxsplit=2)
        notebooks[name] = (float(sec), 0)
    if proc.returncode:
        notebooks["(the next notebook failed)"] = (0.0, proc.returncode)
    return notebooks


def build_times(repo, venv):
    """({notebook: (seconds, exit code)}, {target: (seconds, exit code)}) in a private copy."""
    venv = Path(venv).resolve()
    tmp = Path(tempfile.mkdtemp(prefix="bptt-bench-"))
    copy = tmp / "repo"
    try:
        _copy_repo(repo, copy)
        env = dict(os.environ, PYTHONPATH=str(copy / "src"))
        notebooks = _notebook_times(copy, venv, env)
        targets = {}
        for target in ("book", "test"):
            t = time.perf_counter()
            with open(tmp / f"make_{target}.log", "w") as log:
                proc = subprocess.run(
                    ["make", "-C", str(copy), target, f"VENV={venv}", "-o", f"{venv}/.installed"],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            targets[f"make {target}"] = (time.perf_counter() - t, proc.returncode)
            if proc.returncode:
                tail = (tmp / f"make_{target}.log").read_text().splitlines()[-15:]
                print(f"  make {target} failed (exit {proc.returncode}); its last lines:")
                print("    " + "\n    ".join(tail))
        return notebooks, targets
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args):
    """Print the times; returns the notebook and make book targets (none with --no-build)."""
    if args.no_build:
        print("  skipped (--no-build)")
        return []
    notebooks, targets = build_times(Path(args.repo).resolve(), args.main_venv)
    for nb, (sec, code) in notebooks.items():
        ok = code == 0 and sec < NOTEBOOK_SECONDS
        print(f"  {nb:60s}{sec:7.1f} s  {mark(ok)}" + ("" if code == 0 else f" (exit {code})"))
    for target, (sec, code) in targets.items():
        print(f"  {target:56s}{sec:7.1f} s" + ("" if code == 0 else f"  (exit {code})"))
    slow = [nb for nb, (sec, code) in notebooks.items() if sec >= NOTEBOOK_SECONDS or code]
    sec, code = targets["make book"]
    return [
        Target(f"every notebook under {NOTEBOOK_SECONDS} s", not slow, ", ".join(slow) or "all"),
        Target(
            f"make book under {BOOK_SECONDS} s", sec < BOOK_SECONDS and code == 0, f"{sec:.0f} s"
        ),
    ]
