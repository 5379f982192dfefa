"""Write the course bundle, one zip a student unpacks and runs offline (`make bundle`).

    python tools/make_bundle.py OUT.zip [--student] [--wheel-dir DIR]

The zip holds one folder, ``bptt-course/``, with

- ``chapters/``: every chapter notebook of the toc (_toc.yml), outputs stored; with ``--student``
  every solution is cut out (book/_ext/strip_solutions.py, the student edition's own code);
- ``assignments/``: every released assignment notebook (book/exercises/notebooks/, which
  `make assignments` writes);
- ``wheels/``: a wheel of the ``bptt`` package (built from this repository);
- ``requirements.txt``: the exact versions the site was built and tested with;
- ``README.md``: the two commands (create a venv and install; start JupyterLab).

Chapters and assignments come from the toc and the folder, so a new chapter needs no edit here.
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))  # the student edition's solution stripper
from strip_solutions import strip_notebook  # noqa: E402

FOLDER = "bptt-course"
README = """# Backpropagation Through Time, by hand: the notebooks{edition}

This folder holds the course's chapter notebooks (`chapters/`), its assignments
(`assignments/`), the course's Python package `bptt` (`wheels/`) and the exact versions of
everything they need (`requirements.txt`). You need Python 3.10 or newer. In this folder:

```bash
python3 -m venv .venv && .venv/bin/pip install -r requirements.txt wheels/*.whl
.venv/bin/jupyter lab
```

(On Windows: `py -m venv .venv`, then `.venv\\Scripts\\pip install -r requirements.txt` followed
by the wheel's file name, then `.venv\\Scripts\\jupyter lab`.) The first command needs the
packages from PyPI, or from a local copy of them (`pip install --no-index --find-links DIR ...`);
after it, nothing needs the network. JupyterLab opens in your browser: open a chapter from
`chapters/`, or an assignment from `assignments/`. An assignment's check cells tell you
"not done yet" until you have written the function they check.
"""


def toc_files(node):
    if isinstance(node, dict):
        if "file" in node:
            yield node["file"]
        for value in node.values():
            yield from toc_files(value)
    elif isinstance(node, list):
        for item in node:
            yield from toc_files(item)


def chapter_notebooks():
    """The chapter notebooks the toc lists, in its order (the tests read them from here too)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    nbs = [ROOT / f"{f}.ipynb" for f in toc_files(toc) if f.startswith("chapters/")]
    return [nb for nb in nbs if nb.exists()]


def assignment_notebooks():
    return sorted((ROOT / "book" / "exercises" / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def build_wheel(wheel_dir):
    """A wheel of bptt, built from a copy of the package (setuptools leaves build/ in its tree)."""
    wheel_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "bptt"
        shutil.copytree(
            ROOT / "src", src / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__")
        )
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, src / name)
        pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps"]
        subprocess.run([*pip, "-w", str(wheel_dir), str(src)], check=True)
    wheels = sorted(wheel_dir.glob("bptt-*.whl"))
    if not wheels:
        sys.exit(f"pip wheel wrote no bptt wheel into {wheel_dir}")
    return wheels[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--student", action="store_true", help="cut every solution out")
    ap.add_argument("--wheel-dir", type=Path, help="reuse (or write) the wheel here")
    args = ap.parse_args()
    chapters, assignments = chapter_notebooks(), assignment_notebooks()
    if not chapters or not assignments:
        sys.exit("no chapter or no released assignment found (run `make assignments` first?)")
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(args.wheel_dir or Path(tmp))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        partial = args.out.with_suffix(".zip.part")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as z:
            edition = " (student edition)" if args.student else ""
            z.writestr(f"{FOLDER}/README.md", README.format(edition=edition))
            z.write(ROOT / "requirements.txt", f"{FOLDER}/requirements.txt")
            z.write(wheel, f"{FOLDER}/wheels/{wheel.name}")
            for nb in chapters:
                data = json.loads(nb.read_text(encoding="utf-8"))
                if args.student:
                    data = strip_notebook(data)
                text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
                z.writestr(f"{FOLDER}/chapters/{nb.name}", text)
            for nb in assignments:
                z.write(nb, f"{FOLDER}/assignments/{nb.name}")
        partial.replace(args.out)
    size = args.out.stat().st_size / 1e6
    print(
        f"{args.out}: {len(chapters)} chapters, {len(assignments)} assignments, "
        f"{wheel.name}, {size:.1f} MB"
    )


if __name__ == "__main__":
    main()
