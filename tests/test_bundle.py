"""The course bundles (`make bundle`; `make test` makes them first), used as a student would.

The full bundle is unpacked into a fresh folder, its README's first command (a venv, then pip
install of requirements.txt and the bundled wheel: pip's own index and wheel cache, nothing
else) is run there, and in that venv one chapter and one released assignment are executed: the
chapter without an error, the assignment with its checks saying "not done yet". Both bundles
must hold every chapter notebook of the toc and every released assignment; the student bundle no
solution. Without the bundles these tests skip with a printed reason, except in CI (CI=true).
"""

import json
import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tools.make_bundle import chapter_notebooks

ROOT = Path(__file__).resolve().parents[1]
BUNDLES = {
    "full": ROOT / "_build" / "bundle" / "bptt-course.zip",
    "student": ROOT / "_build" / "bundle" / "bptt-course-student.zip",
}
IN_CI = os.environ.get("CI", "").lower() == "true"


def bundle(edition):
    path = BUNDLES[edition]
    if not path.exists():
        msg = f"{path.relative_to(ROOT)} is missing (make bundle)"
        if IN_CI:
            pytest.fail(msg + ": in CI the bundles must be built")
        print(f"\nSKIPPING bundle checks: {msg}")
        pytest.skip(msg)
    return zipfile.ZipFile(path)


def expected_chapters():
    return {nb.name for nb in chapter_notebooks()}


@pytest.mark.parametrize("edition", list(BUNDLES))
def test_the_bundle_holds_the_course(edition):
    names = bundle(edition).namelist()
    chapters = {Path(n).name for n in names if n.startswith("bptt-course/chapters/")}
    assignments = {Path(n).name for n in names if n.startswith("bptt-course/assignments/")}
    released = {p.name for p in (ROOT / "book" / "exercises" / "notebooks").glob("*.ipynb")}
    assert chapters == expected_chapters()
    assert assignments == released and assignments
    assert any(re.match(r"bptt-course/wheels/bptt-.*\.whl$", n) for n in names)
    assert {"bptt-course/README.md", "bptt-course/requirements.txt"} <= set(names)


def test_the_student_bundle_has_no_solution():
    z = bundle("student")
    full = bundle("full")
    leaked = [
        n
        for n in z.namelist()
        if n.endswith(".ipynb") and re.search(r"\{solution", z.read(n).decode())
    ]
    assert not leaked, f"solutions in the student bundle: {leaked}"
    had = [n for n in full.namelist() if n.endswith(".ipynb") and b"{solution" in full.read(n)]
    assert had, "the full bundle has no solution either: the check above proves nothing"


def run(cmd, cwd, env):
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    assert out.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{out.stdout}\n{out.stderr}"
    return out


def test_the_bundle_installs_and_runs_offline_from_its_folder(tmp_path):
    z = bundle("full")
    z.extractall(tmp_path)
    course = tmp_path / "bptt-course"
    readme = (course / "README.md").read_text()
    commands = re.search(r"```bash\n(.*?)\n```", readme, re.S).group(1).splitlines()
    assert len(commands) == 2 and commands[1] == ".venv/bin/jupyter lab", commands
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env["JUPYTER_PATH"] = str(course / ".venv" / "share" / "jupyter")  # no user kernelspec
    env["PATH"] = f"{course / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # The README's first command, as written (a shell for the wheel's glob).
    venv.EnvBuilder(with_pip=True).create(course / ".venv")
    install = commands[0].split("&&", 1)[1].strip()
    assert install.startswith(".venv/bin/pip install"), install
    run(["bash", "-c", install + " -q"], course, env)
    py = course / ".venv" / "bin" / "python"
    run([py, "-c", "import bptt, jupyterlab"], course, env)

    chapter = sorted((course / "chapters").glob("0*.ipynb"))[0]
    run(
        [py, "-m", "jupyter", "execute", "--output", "ran.ipynb", chapter.name], chapter.parent, env
    )

    assignment = sorted((course / "assignments").glob("*.ipynb"))[0]
    run(
        [py, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--allow-errors"]
        + ["--output", "ran.ipynb", assignment.name],
        assignment.parent,
        env,
    )
    cells = json.loads((assignment.parent / "ran.ipynb").read_text())["cells"]
    outputs = json.dumps([c.get("outputs", []) for c in cells if c["cell_type"] == "code"])
    assert "not done yet" in outputs, f"{assignment.name} ran without a 'not done yet' check"
    assert "ModuleNotFoundError" not in outputs and "ImportError" not in outputs
    assert sys.executable not in outputs  # it ran in the bundle's venv, not the test's
