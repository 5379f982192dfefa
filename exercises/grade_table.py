"""Write the grade table after `nbgrader autograde` (run by `make grade`, in .venv-grader).

Reads the gradebook (gradebook.db) and writes

- ``grades.csv``: one row per student and assignment, and one "ALL" row per student:
  student_id, assignment, score, max_score, auto_score, auto_max_score, written_score,
  written_max_score, written_to_grade. The automatic points come from the test cells; the
  written answers are graded by you (below). ``score`` counts an answer still to be graded as 0.
- ``manual_scores.csv``: one row per written answer of every submission: student_id, assignment,
  grade_id, max_points, score, answer. Fill in the ``score`` column, run `make grade` again, and
  the scores go into the gradebook and into grades.csv. Answers left as "YOUR ANSWER HERE" are
  scored 0 by nbgrader itself. Scores you typed are kept when the file is rewritten.

Usage: python exercises/grade_table.py [--db sqlite:///gradebook.db] [--out grades.csv]
       [--manual manual_scores.csv] [--autograded autograded]
"""
import argparse
import csv
import json
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

TABLE_FIELDS = ["student_id", "assignment", "score", "max_score", "auto_score", "auto_max_score",
                "written_score", "written_max_score", "written_to_grade"]
MANUAL_FIELDS = ["student_id", "assignment", "grade_id", "max_points", "score", "answer"]


def fmt(x):
    return f"{x:g}"


def read_manual(path):
    """{(student, assignment, grade_id): score} for the rows whose score is filled in."""
    scores = {}
    if not path.exists():
        return scores
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            text = (row.get("score") or "").strip()
            if not text:
                continue
            try:
                value = float(text)
            except ValueError:
                raise SystemExit(f"{path}: score {text!r} for {row['student_id']}/{row['assignment']}/"
                                 f"{row['grade_id']} is not a number") from None
            scores[(row["student_id"], row["assignment"], row["grade_id"])] = value
    return scores


def answer_text(autograded, student, assignment, notebook, grade_id):
    path = Path(autograded) / student / assignment / f"{notebook}.ipynb"
    if not path.exists():
        return ""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            src = cell["source"]
            return ("".join(src) if isinstance(src, list) else src).strip()
    return ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="sqlite:///gradebook.db")
    ap.add_argument("--out", default="grades.csv")
    ap.add_argument("--manual", default="manual_scores.csv")
    ap.add_argument("--autograded", default="autograded")
    args = ap.parse_args()
    manual_path = Path(args.manual)
    typed = read_manual(manual_path)

    table, manual_rows = [], []
    with Gradebook(args.db) as gb:
        assignments = sorted(a.name for a in gb.assignments)
        students = sorted(s.id for s in gb.students)
        changed = False
        for student in students:
            totals = dict(auto=0.0, auto_max=0.0, written=0.0, written_max=0.0, pending=0, handed_in=0)
            for name in assignments:
                try:
                    sub = gb.find_submission(name, student)
                except MissingEntry:
                    continue
                totals["handed_in"] += 1
                auto = auto_max = written = written_max = 0.0
                pending = 0
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        if grade.cell.cell_type == "code":
                            auto += grade.auto_score or 0.0
                            auto_max += grade.max_score
                            continue
                        key = (student, name, grade.name)
                        if key in typed and grade.manual_score != typed[key]:
                            if not 0 <= typed[key] <= grade.max_score:
                                raise SystemExit(f"{manual_path}: score {typed[key]:g} for {'/'.join(key)} is "
                                                 f"outside 0..{grade.max_score:g}")
                            grade.manual_score = typed[key]
                            grade.needs_manual_grade = False
                            changed = True
                        unanswered = grade.auto_score == 0 and grade.manual_score is None
                        if grade.manual_score is not None:
                            written += grade.manual_score
                        elif grade.needs_manual_grade:
                            pending += 1
                        else:
                            written += grade.auto_score or 0.0
                        written_max += grade.max_score
                        manual_rows.append({
                            "student_id": student, "assignment": name, "grade_id": grade.name,
                            "max_points": fmt(grade.max_score),
                            "score": "" if grade.manual_score is None else fmt(grade.manual_score),
                            "answer": "(no answer: 0 points unless you enter a score)" if unanswered else
                            answer_text(args.autograded, student, name, nb.name, grade.name)})
                table.append({"student_id": student, "assignment": name, "score": fmt(auto + written),
                              "max_score": fmt(auto_max + written_max), "auto_score": fmt(auto),
                              "auto_max_score": fmt(auto_max), "written_score": fmt(written),
                              "written_max_score": fmt(written_max), "written_to_grade": pending})
                for k, v in (("auto", auto), ("auto_max", auto_max), ("written", written),
                             ("written_max", written_max), ("pending", pending)):
                    totals[k] += v
            if totals["handed_in"]:
                table.append({"student_id": student, "assignment": "ALL",
                              "score": fmt(totals["auto"] + totals["written"]),
                              "max_score": fmt(totals["auto_max"] + totals["written_max"]),
                              "auto_score": fmt(totals["auto"]), "auto_max_score": fmt(totals["auto_max"]),
                              "written_score": fmt(totals["written"]),
                              "written_max_score": fmt(totals["written_max"]),
                              "written_to_grade": totals["pending"]})
        if changed:
            gb.db.commit()

    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, TABLE_FIELDS)
        w.writeheader()
        w.writerows(table)
    with manual_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, MANUAL_FIELDS)
        w.writeheader()
        w.writerows(manual_rows)
    pending = sum(int(r["written_to_grade"]) for r in table if r["assignment"] != "ALL")
    print(f"Wrote {args.out}: {sum(r['assignment'] != 'ALL' for r in table)} submissions of "
          f"{len(students)} students.")
    if pending:
        print(f"{pending} written answers still to grade: fill in the score column of {manual_path} "
              f"and run `make grade` again.")


if __name__ == "__main__":
    main()
