"""The assignments end to end: release, a fake class graded by nbgrader, and the student edition.

- the sources are well formed (nbgrader metadata, points, every check passing with the solutions);
- `nbgrader generate_assignment` releases them without solutions or hidden tests, and the copies the
  site offers for download (book/exercises/notebooks/) are exactly the released ones;
- a fake class is autograded: a correct, a partly wrong and an empty submission get full, partial and
  zero marks in grades.csv; the empty one, run as released, ends in "not done yet" messages and
  nothing else; the partly wrong one's messages name its mistakes;
- `make book-student` builds a site that holds none of the solutions (assignments and chapters), in
  its pages, downloads, sources and search index, while the exercises themselves are there.

nbgrader runs from .venv-grader (created through make when missing), in a temporary course folder.
"""
import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from bs4 import BeautifulSoup
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(ROOT.glob("exercises/[0-9][0-9]_*/[0-9][0-9]_*.ipynb"))
NAMES = [p.stem for p in SOURCES]
GRADER = ROOT / ".venv-grader"
GRADER_BIN = GRADER / "bin"
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import strip_solutions  # noqa: E402

SOL = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
# Planted mistakes for the partly wrong submission: (assignment, function, old line, new line, kind named)
PLANTED = [
    ("01_dense_backward", "mse_dense_grads", "_, dW, db = dense_backward(diff / N, X, W, Z)",
     "_, dW, db = dense_backward(diff, X, W, Z)", "sum against mean over the batch"),
    ("04_many_to_one", "many_to_one_grads", 'dW = np.einsum("nti,ntj->ij", Delta, H_prev)',
     'dW = np.einsum("ni,nj->ij", Delta[:, -1], H_prev[:, -1])', "no accumulation across time steps"),
    ("05_softmax_nll", "softmax", "E = np.exp(O - O.max(axis=1, keepdims=True))", "E = np.exp(O)",
     "softmax overflows"),
    ("08_truncation_clipping", "clip_by_norm", "scale = threshold / norm if norm > threshold else 1.0",
     "scale = 1.0 / norm if norm > 1.0 else 1.0", "threshold ignored"),
]
HIDDEN_LINE = re.compile(r"checks\.check_\w+\(\w+, seed=\d+\)")


def nbg(cell):
    return cell.metadata.get("nbgrader", {})


def grader_env():
    return {**os.environ, "PATH": f"{GRADER_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def run(cmd, cwd, env=None, timeout=600):
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A temporary nbgrader course folder with the assignments released into it."""
    if not (GRADER_BIN / "nbgrader").exists() or not (GRADER / ".installed").exists():
        run(["make", "-s", "--no-print-directory", ".venv-grader/.installed"], cwd=ROOT, timeout=1200)
    path = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", path)
    for src in SOURCES:
        (path / "exercises" / src.stem).mkdir(parents=True)
        shutil.copy(src, path / "exercises" / src.stem)
    t0 = time.perf_counter()
    run([GRADER_BIN / "nbgrader", "generate_assignment", "[0-9][0-9]_*", "--force"], path, grader_env())
    print(f"\ngenerate_assignment: {time.perf_counter() - t0:.1f} s")
    return path


# ----------------------------------------------------------------------------- the sources

def test_every_assignment_listed_in_the_toc_has_a_source():
    listed = re.findall(r"file:\s*book/exercises/(\d\d_\w+)", (ROOT / "_toc.yml").read_text())
    assert len(NAMES) >= 8 and NAMES == sorted(listed), (NAMES, listed)
    assert all(p.parent.name == p.stem for p in SOURCES)


@pytest.mark.parametrize("path", SOURCES, ids=NAMES)
def test_source_is_well_formed(path):
    nb = nbformat.read(path, as_version=4)
    ids, total, checks_called = set(), 0, set()
    defined = set()
    for cell in nb.cells:
        meta = nbg(cell)
        assert meta, f"a cell without nbgrader metadata: {cell.source[:60]!r}"
        assert meta["schema_version"] == 3 and meta["grade_id"] not in ids
        ids.add(meta["grade_id"])
        if "### BEGIN SOLUTION" in cell.source or "### BEGIN HIDDEN TESTS" in cell.source:
            assert meta["solution"] or meta["grade"], meta["grade_id"]
        if meta["grade"]:
            total += meta["points"]
        if cell.cell_type == "code":
            assert cell.execution_count is not None, f"{meta['grade_id']} has no stored output"
            assert not [o for o in cell.outputs if o.output_type == "error"], meta["grade_id"]
            if meta["solution"]:
                assert SOL.search(cell.source), meta["grade_id"]
                defined.update(re.findall(r"^def (\w+)\(", cell.source, re.M))
            if meta["grade"]:
                assert meta["locked"] and HIDDEN.search(cell.source), meta["grade_id"]
                # visible covers hidden: the hidden tests only call the same check on fresh seeds
                hidden = HIDDEN.search(cell.source).group(1).strip().splitlines()
                visible = cell.source.split("### BEGIN HIDDEN TESTS")[0].strip()
                assert re.fullmatch(r"checks\.check_\w+\(\w+\)", visible), visible
                assert hidden and all(HIDDEN_LINE.fullmatch(h) for h in hidden), hidden
                assert all(h.startswith(visible[:-1] + ", seed=") for h in hidden), hidden
                text = "".join(o.get("text", "") for o in cell.outputs)
                lines = text.strip().splitlines()
                assert lines and all(line.startswith("passed:") for line in lines), text
                checks_called.update(re.findall(r"checks\.check_\w+\((\w+)", cell.source))
        elif meta["solution"]:   # a written answer: graded by hand
            assert meta["grade"] and meta["points"] > 0 and len(cell.source) > 200
    assert total == 10
    assert defined and defined <= checks_called, f"functions without a check: {defined - checks_called}"


# ----------------------------------------------------------------------------- the release

def test_release_has_no_solution_and_matches_the_site_downloads(course):
    for src in SOURCES:
        released = nbformat.read(course / "release" / src.stem / f"{src.stem}.ipynb", as_version=4)
        text = "\n".join(c.source for c in released.cells)
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        stubs = [c for c in released.cells if c.cell_type == "code" and "raise NotImplementedError()" in c.source]
        assert stubs == [c for c in released.cells if c.cell_type == "code" and nbg(c)["solution"]]
        assert all(not c.get("outputs") for c in released.cells if c.cell_type == "code")
        for line in solution_lines(src):
            assert line not in text, line
        site = ROOT / "book" / "exercises" / "notebooks" / f"{src.stem}.ipynb"
        assert site.exists(), f"{site} missing: run `make assignments`"
        served = nbformat.read(site, as_version=4)
        key = lambda nb: [(c.cell_type, c.source, nbg(c)) for c in nb.cells]  # noqa: E731
        assert key(served) == key(released), f"{site} is stale: run `make assignments`"


# ----------------------------------------------------------------------------- a fake class

def solved_copy(released, source, mistakes=(), answer=None):
    """The released notebook with the source's solutions typed in (what a good student hands back)."""
    by_id = {nbg(c)["grade_id"]: c for c in source.cells}
    nb = nbformat.from_dict(json.loads(json.dumps(released)))
    for cell in nb.cells:
        meta = nbg(cell)
        if not meta.get("solution"):
            continue
        src = by_id[meta["grade_id"]].source
        if cell.cell_type == "code":
            src = src.replace("    ### BEGIN SOLUTION\n", "").replace("    ### END SOLUTION\n", "")
            src = src.replace("### END SOLUTION", "")
            for old, new in mistakes:
                src = src.replace(old, new)
        else:
            src = answer if answer is not None else src
        cell.source = src
    return nb


@pytest.fixture(scope="module")
def graded(course):
    """Submissions of alice (right), bob (one mistake in each of two assignments), carol (nothing done)."""
    for name in NAMES:
        released = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
        source = nbformat.read(ROOT / "exercises" / name / f"{name}.ipynb", as_version=4)
        subs = {"alice": solved_copy(released, source), "carol": released}
        planted = [(old, new) for a, _, old, new, _ in PLANTED if a == name]
        if planted:
            subs["bob"] = solved_copy(released, source, planted, answer="I am not sure.")
            assert subs["bob"] != subs["alice"]
        for student, nb in subs.items():
            folder = course / "submitted" / student / name
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{name}.ipynb")
    t0 = time.perf_counter()
    run([GRADER_BIN / "nbgrader", "autograde", "[0-9][0-9]_*", "--create", "--force"], course, grader_env())
    seconds = time.perf_counter() - t0
    print(f"\nautograde of {2 * len(NAMES) + len(PLANTED)} submissions: {seconds:.1f} s")
    run([GRADER_BIN / "python", ROOT / "exercises" / "grade_table.py"], course, grader_env())
    return course


def read_table(course):
    with open(course / "grades.csv", newline="") as fh:
        return {(r["student_id"], r["assignment"]): r for r in csv.DictReader(fh)}


def test_grade_table_full_partial_zero(graded):
    table = read_table(graded)
    for name in NAMES:
        a, c = table[("alice", name)], table[("carol", name)]
        assert a["auto_score"] == a["auto_max_score"] != "0", a
        assert int(a["written_to_grade"]) > 0                       # answers wait for the instructor
        assert c["score"] == c["auto_score"] == c["written_score"] == "0" and c["written_to_grade"] == "0", c
        assert float(c["max_score"]) == 10
    for name, func, _, _, _ in PLANTED:   # bob loses exactly the points of the one failing check
        b = table[("bob", name)]
        source = nbformat.read(ROOT / "exercises" / name / f"{name}.ipynb", as_version=4)
        lost = [nbg(c)["points"] for c in source.cells
                if nbg(c).get("grade") and c.cell_type == "code" and f"({func})" in c.source]
        assert len(lost) == 1
        assert float(b["auto_score"]) == float(b["auto_max_score"]) - lost[0] > 0, b
        assert float(b["auto_max_score"]) == float(table[("alice", name)]["auto_max_score"])
    assert ("bob", "02_partial_total") not in table                  # not handed in: no row
    assert table[("carol", "ALL")]["score"] == "0"

    # the instructor grades alice's written answers in manual_scores.csv: her total becomes full marks
    with open(graded / "manual_scores.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["answer"] for r in rows)
    for r in rows:
        if r["student_id"] == "alice":
            r["score"] = r["max_points"]
    with open(graded / "manual_scores.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    run([GRADER_BIN / "python", ROOT / "exercises" / "grade_table.py"], graded, grader_env())
    table = read_table(graded)
    assert table[("alice", "ALL")]["score"] == table[("alice", "ALL")]["max_score"] == str(10 * len(NAMES))
    assert table[("alice", "ALL")]["written_to_grade"] == "0"
    assert float(table[("bob", "01_dense_backward")]["score"]) < 10


def error_outputs(nb):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                yield nbg(cell).get("grade_id"), out


def test_released_notebook_run_as_is_says_not_done_yet(graded):
    """carol handed in the released notebooks untouched: every check says "not done yet", nothing crashes."""
    for name in NAMES:
        nb = nbformat.read(graded / "autograded" / "carol" / name / f"{name}.ipynb", as_version=4)
        grade_cells = [nbg(c)["grade_id"] for c in nb.cells if c.cell_type == "code" and nbg(c).get("grade")]
        errors = list(error_outputs(nb))
        assert [gid for gid, _ in errors] == grade_cells, name
        for gid, out in errors:
            assert out.ename == "CheckFailed" and out.evalue.startswith("not done yet"), (name, gid, out.evalue)
            assert "Traceback" not in "".join(out.traceback)
        streams = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "stream"]
        assert not [o for o in streams if o.name == "stderr"], name


def test_partly_wrong_submission_hears_what_is_wrong(graded):
    for name, func, _, _, kind in PLANTED:
        nb = nbformat.read(graded / "autograded" / "bob" / name / f"{name}.ipynb", as_version=4)
        errors = list(error_outputs(nb))
        assert len(errors) == 1, [e[0] for e in errors]
        assert func in errors[0][1].evalue and kind in errors[0][1].evalue, errors[0][1].evalue


# ----------------------------------------------------------------------------- the student edition

WORD = re.compile(r"[A-Za-z]+")
RUN = 6   # a solution "phrase": this many consecutive words


def solution_lines(path):
    """Distinctive lines of an assignment source's solutions, hidden tests and model answers
    (those that do not also appear in the notebook's public part, such as its instructions)."""
    nb = nbformat.read(path, as_version=4)
    lines, public = [], []
    for cell in nb.cells:
        meta = nbg(cell)
        blocks = SOL.findall(cell.source) + HIDDEN.findall(cell.source)
        if cell.cell_type == "markdown" and meta.get("solution"):
            blocks.append(cell.source)
        else:
            public.append(HIDDEN.sub("", SOL.sub("", cell.source)))
        for block in blocks:
            lines += [l.strip() for l in block.splitlines() if len(l.strip()) >= 16]
    public = "\n".join(public)
    return [l for l in lines if l not in public]


def words(text):
    return " " + " ".join(w.lower() for w in WORD.findall(text)) + " "


def split_notebook(path):
    """(solution text, other text) of a chapter notebook or markdown page, outputs included."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        rest = strip_solutions.strip_text(text)[0]
        return _removed(text, rest), rest

    def source(c):
        return "".join(c["source"]) if isinstance(c["source"], list) else c["source"]

    def outputs(c):
        outs = []
        for o in c.get("outputs", []):
            t = o.get("text") or o.get("data", {}).get("text/plain", "")
            outs.append("".join(t) if isinstance(t, list) else t)
        return "\n".join(outs)
    sol, other, inside = [], [], False
    for c in json.loads(text)["cells"]:
        src = source(c)
        if c["cell_type"] == "markdown" and (inside or "{solution" in src):
            kept, inside = strip_solutions.strip_text(src, inside)
            sol.append(_removed(src, kept))
            other.append(kept)
        elif inside:
            sol.append(src + "\n" + outputs(c))
        else:
            other.append(src + "\n" + outputs(c))
    return "\n".join(sol), "\n".join(other)


def _removed(text, kept):
    kept_lines = set(kept.splitlines())
    return "\n".join(l for l in text.splitlines() if l not in kept_lines)


def katex_as_tex(page):
    """A page with each KaTeX formula replaced by its TeX source (its MathML annotation): the
    rendered spans spell a formula letter by letter, runs that no source text contains."""
    if 'class="katex' not in page:
        return page
    soup = BeautifulSoup(page, "html.parser")
    for formula in soup.select(".katex"):
        tex = formula.find("annotation")
        formula.replace_with(f" {tex.get_text()} " if tex else " ")
    return str(soup)


def site_texts(folder):
    """(name, words of the text) for every text file of a built site; notebooks by their cells."""
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix in (".png", ".jpg", ".svg", ".woff", ".woff2", ".ttf", ".eot",
                                                 ".ico", ".gif", ".pickle", ".inv"):
            continue
        raw = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".ipynb":
            nb = json.loads(raw)
            raw = "\n".join(("".join(c["source"]) if isinstance(c["source"], list) else c["source"]) + "\n" +
                            json.dumps(c.get("outputs", [])) for c in nb["cells"])
        elif path.suffix == ".html":
            raw = html.unescape(re.sub(r"<[^>]+>", " ", katex_as_tex(raw)))
        yield path, raw


@pytest.fixture(scope="module")
def student_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    t0 = time.perf_counter()
    res = subprocess.run(["make", "-s", "--no-print-directory", "book-student", f"STUDENT_DIR={out}"],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    warnings = [l for l in res.stdout.splitlines() + res.stderr.splitlines() if "WARNING" in l or "ERROR" in l]
    assert res.returncode == 0, "make book-student failed:\n" + "\n".join(warnings[-30:] or [res.stdout[-3000:]])
    print(f"\nmake book-student: {time.perf_counter() - t0:.1f} s")
    return out / "html"


def test_strip_functions_cut_both_forms():
    md = ("Before.\n```{exercise} E\n:label: ex-a\nDo it.\n```\n```{solution} ex-a\n:class: dropdown\nSECRET one\n```\n"
          "Middle.\n````{solution-start} ex-a\n:class: dropdown\n````\nSECRET two\n```python\nx = 1\n```\n"
          ":::{solution-end}\n:::\nAfter.\n")
    kept = strip_solutions.strip_text(md)[0]
    assert "SECRET" not in kept and "x = 1" not in kept
    assert all(s in kept for s in ("Before.", "Do it.", "Middle.", "After."))
    nb = {"cells": [{"cell_type": "markdown", "source": "```{exercise} E\n:label: ex-b\nTask.\n```"},
                    {"cell_type": "markdown", "source": ["```{solution-start} ex-b\n", ":class: dropdown\n", "```"]},
                    {"cell_type": "code", "source": "secret = 2", "outputs": []},
                    {"cell_type": "markdown", "source": "```{solution-end}\n```\nKept after the end."},
                    {"cell_type": "markdown", "source": "```{solution} ex-b\nSECRET three\n```"}]}
    cells = strip_solutions.strip_notebook(nb)["cells"]
    assert [c["source"] for c in cells] == ["```{exercise} E\n:label: ex-b\nTask.\n```", "Kept after the end."]


def test_student_edition_has_no_solution(student_site):
    assert not (student_site.parent / "_build").exists()          # doctrees and executed notebooks removed
    texts = list(site_texts(student_site))
    everything = {p: words(t) for p, t in texts}
    flat = {p: re.sub(r"\s+", " ", t) for p, t in texts}

    # the chapters: text of {solution} blocks and everything in gated ranges (code, text, outputs)
    chapter_sol, chapter_other = [], []
    for path in sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "chapters").glob("*.md")) \
            + sorted((ROOT / "book").rglob("*.md")):
        sol, other = split_notebook(path)
        chapter_sol.append(sol)
        chapter_other.append(other)
    other_text = "\n".join(chapter_other)
    other_flat = re.sub(r"\s+", " ", other_text)
    other_words = words(other_text)
    code_needles, phrase_needles, controls = [], [], []

    def add(line, step, also_public=" "):
        """Needles from one solution line: the line itself if it looks like code, and word runs;
        none that also occurs in public text (the chapters outside solutions, the released notebook)."""
        stripped = re.sub(r"\s+", " ", line.strip())
        if len(stripped) >= 16 and re.search(r"[=(\[]", stripped) and stripped not in other_flat:
            code_needles.append(stripped)
        ws = words(line).split()
        for i in range(0, max(0, len(ws) - RUN + 1), step):
            run = " ".join(ws[i:i + RUN])
            if f" {run} " not in other_words and f" {run} " not in also_public:
                phrase_needles.append(run)

    for sol in chapter_sol:
        for line in sol.splitlines():
            add(line, 3)
    # the assignments: solution code, hidden tests and model answers appear nowhere
    for src in SOURCES:
        released = "\n".join(c.source for c in nbformat.read(
            ROOT / "book" / "exercises" / "notebooks" / f"{src.stem}.ipynb", as_version=4).cells)
        released_words = words(released)
        for line in solution_lines(src):
            if line not in released:
                add(line, RUN, released_words)
    # exercise statements are in the student edition (so the search really looks at the right text)
    for other in chapter_other:
        for m in re.finditer(r"```\{exercise\}[^\n]*\n(?::[^\n]*\n)*(.+?)```", other, re.S):
            ws = words(m.group(1)).split()
            if len(ws) >= RUN:
                controls.append(" ".join(ws[:RUN]))

    print(f"\nstudent edition searched for {len(set(code_needles))} solution code lines and "
          f"{len(set(phrase_needles))} solution phrases")
    assert len(code_needles) >= 50 and len(phrase_needles) >= 50, (len(code_needles), len(phrase_needles))
    leaks = [(n, p.relative_to(student_site)) for n in set(phrase_needles) for p, t in everything.items()
             if f" {n} " in t]
    leaks += [(n, p.relative_to(student_site)) for n in set(code_needles) for p, t in flat.items() if n in t]
    assert not leaks, f"{len(leaks)} solution lines in the student edition, e.g. {leaks[:5]}"
    site_words = " ".join(everything.values())
    found = [c for c in controls if f" {c} " in site_words]
    assert not controls or len(found) >= 0.9 * len(controls), f"exercise texts missing: {set(controls) - set(found)}"

    # the search index: no word that only the solutions use
    from sphinx.search.en import SearchEnglish
    stem = SearchEnglish({}).stem
    sol_stems = {stem(w.lower()) for s in chapter_sol for w in WORD.findall(s) if len(w) > 3}
    other_stems = {stem(w.lower()) for w in WORD.findall(other_text) if len(w) > 3}
    only_solutions = sol_stems - other_stems
    index = (student_site / "searchindex.js").read_text(encoding="utf-8")
    terms = set(json.loads(index[index.index("(") + 1:index.rindex(")")])["terms"])
    assert not (only_solutions & terms), sorted(only_solutions & terms)[:20]
    print(f"search index: none of the {len(only_solutions)} words that only solutions use")

    # downloads: each assignment's student notebook is served, each chapter's source is solution-free
    downloads = list(student_site.glob("_downloads/*/*.ipynb"))
    assert {p.stem for p in downloads} >= set(NAMES)
    assert not list(student_site.rglob("_sources/**/*.txt"))
