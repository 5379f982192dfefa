"""The PDF editions (`make pdf`, `make pdf-student`; `make test` builds both first).

Checked on the PDFs' text (pdftotext, Debian's poppler-utils): every chapter of the toc is in the
full PDF, with its solutions after its exercises; the student PDF has every chapter and no
solution (no "Solution to Exercise" heading, and none of the full PDF's solution text); and, in
the LaTeX logs, that nothing runs past a page's foot (no Overfull \\vbox above 10 pt). Chapters
are read from _toc.yml, so a new chapter is checked without a list to update. Without the PDFs
these tests skip with a printed reason, except in CI (CI=true), where that is a failure.
"""

import functools
import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from tools.make_bundle import chapter_notebooks

ROOT = pathlib.Path(__file__).resolve().parents[1]
PDFS = {
    "full": ROOT / "_build" / "pdf" / "bptt-by-hand.pdf",
    "student": ROOT / "_build" / "pdf" / "bptt-by-hand-student.pdf",
}
IN_CI = os.environ.get("CI", "").lower() == "true"


def chapter_titles():
    """The title (first '# ' heading) of every chapter notebook in the toc."""
    titles = {}
    for nb in chapter_notebooks():
        for cell in json.loads(nb.read_text())["cells"]:
            src = "".join(cell["source"])
            m = re.search(r"^# (.+)$", src, re.M) if cell["cell_type"] == "markdown" else None
            if m:
                titles[nb.stem] = m.group(1).strip()
                break
    return titles


def normal(text):
    return re.sub(r"\s+", " ", text.replace("\u00ad", "")).strip()


@functools.lru_cache(maxsize=None)
def pdf_text(edition):
    pdf = PDFS[edition]
    if not pdf.exists() or shutil.which("pdftotext") is None:
        msg = f"{pdf.relative_to(ROOT)} or pdftotext is missing (make pdf pdf-student)"
        if IN_CI:
            pytest.fail(msg + ": in CI the PDFs must be built")
        print(f"\nSKIPPING PDF checks: {msg}")
        pytest.skip(msg)
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return out.stdout


def test_the_toc_has_chapters():
    assert len(chapter_titles()) >= 8


@pytest.mark.parametrize("edition", list(PDFS))
def test_every_chapter_is_in_the_pdf(edition):
    text = normal(pdf_text(edition)).lower()
    missing = [t for t in chapter_titles().values() if normal(t).lower() not in text]
    assert not missing, f"chapters missing from the {edition} PDF: {missing}"


def solutions(text):
    """(heading, first line of text) of every solution in a PDF's text."""
    lines = [ln.strip() for ln in text.splitlines()]
    out = []
    for i, ln in enumerate(lines):
        if ln.startswith("Solution to Exercise"):
            body = next((x for x in lines[i + 1 : i + 8] if len(x) >= 30), None)
            out.append((ln, body))
    return out


def test_the_full_pdf_prints_its_solutions():
    found = solutions(pdf_text("full"))
    chapters = {re.match(r"Solution to Exercise (\d+)\.", h).group(1) for h, _ in found}
    assert len(chapters) >= len(chapter_titles()) - 2, f"solutions found for chapters {chapters}"


def test_the_student_pdf_has_no_solution():
    student = normal(pdf_text("student"))
    assert "Solution to Exercise" not in student
    bodies = [b for _, b in solutions(pdf_text("full")) if b]
    assert len(bodies) >= 10
    exercises = normal(pdf_text("full"))
    # A solution's first line that the exercise statement does not repeat must be absent.
    leaked = [b for b in bodies if normal(b) in student and exercises.count(normal(b)) == 1]
    assert not leaked, f"solution text in the student PDF: {leaked[:3]}"


LOGS = {
    "full": ROOT / "_build" / "pdf" / "full" / "_build" / "latex" / "bptt-by-hand.log",
    "student": ROOT / "_build" / "pdf" / "student" / "_build" / "latex" / "bptt-by-hand.log",
}
OVERFULL_PT = 10.0  # a page's content may poke this far past its foot (about one line)


@pytest.mark.parametrize("edition", list(PDFS))
def test_nothing_runs_past_a_page_foot(edition):
    pdf_text(edition)  # skips (or fails in CI) when the PDF was not built
    log = LOGS[edition].read_text(encoding="utf-8", errors="replace")
    over = [float(pt) for pt in re.findall(r"Overfull \\vbox \(([\d.]+)pt too high\)", log)]
    worst = max(over, default=0.0)
    assert worst <= OVERFULL_PT, (
        f"{edition} PDF: a page's content runs {worst:.0f} pt past its foot (Overfull \\vbox in "
        f"{LOGS[edition].relative_to(ROOT)}); code inside an exercise box is the usual cause"
    )
