"""What nbval does not check: every code cell executed in one top-to-bottom run, outputs stored,
no sys.path edits, no memory addresses, and every notebook asserting what it claims."""

import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SKIP = {".venv", "_build", ".ipynb_checkpoints", "release", "submitted", "autograded", "feedback"}
NOTEBOOKS = sorted(
    p
    for folder in ("chapters", "exercises")
    for p in (ROOT / folder).rglob("*.ipynb")
    if not (set(p.relative_to(ROOT).parts) & SKIP)
)
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def code_cells(path):
    nb = json.loads(path.read_text())
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def test_there_are_notebooks():
    assert CHAPTERS, "no chapter notebooks found in chapters/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_code_cell_was_executed_in_one_run(path):
    counts = [c.get("execution_count") for c in code_cells(path)]
    never = [i for i, n in enumerate(counts) if n is None]
    assert not never, (
        f"{path.name}: code cells {never} were never executed (nbval strict compares nothing there)"
    )
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts} are not 1, 2, 3, ...: re-run the notebook top to "
        f"bottom (make notebooks NB={path.relative_to(ROOT)})"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_execution_timestamps(path):
    stamped = [i for i, c in enumerate(code_cells(path)) if "execution" in c.get("metadata", {})]
    assert not stamped, (
        f"{path.name}: cells {stamped} store execution timestamps: refresh with "
        f"`make notebooks NB={path.relative_to(ROOT)}`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_sys_path_and_no_addresses(path):
    for i, c in enumerate(code_cells(path)):
        assert "sys.path" not in "".join(c["source"]), f"{path.name} cell {i} touches sys.path"
        out = json.dumps(c.get("outputs", []))
        assert not re.search(r"0x[0-9a-f]{6,}", out), (
            f"{path.name} cell {i} stores a memory address"
        )
        assert "Traceback" not in out, f"{path.name} cell {i} stores a traceback"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_asserts_and_shows_its_numbers(path):
    cells = code_cells(path)
    assert any(re.search(r"^\s*assert\b", "".join(c["source"]), re.M) for c in cells), (
        f"{path.name} asserts nothing: every formula needs a check that can fail"
    )
    with_output = sum(bool(c.get("outputs")) for c in cells)
    assert with_output >= len(cells) // 2, (
        f"{path.name}: only {with_output} of {len(cells)} code cells show output"
    )


def test_every_chapter_is_in_the_table_of_contents():
    toc = (ROOT / "_toc.yml").read_text()
    missing = [p.stem for p in CHAPTERS if f"chapters/{p.stem}" not in toc]
    assert not missing, f"chapters not listed in _toc.yml: {missing}"
    listed = re.findall(r"file:\s*(\S+)", toc)
    absent = [
        f for f in listed if not any((ROOT / (f + ext)).exists() for ext in ("", ".md", ".ipynb"))
    ]
    assert not absent, f"_toc.yml lists pages that do not exist: {absent}"
