"""Sphinx extension for the student edition: remove every sphinx-exercise solution.

With ``strip_solutions = True`` in the Sphinx config, a transform deletes, before anything is
rendered or indexed,

- every ``{solution}`` block (text-only solutions), and
- every gated range ``{solution-start}`` ... ``{solution-end}``, including the markdown and the
  executed code cells between the two markers.

The doctree is cleaned during reading, so the pages and the search index never see a solution.
The student edition copies no source file (``html_copy_source: false``); instead this extension
writes, for each page, a copy of its source with the same solutions cut out (the same two forms,
in the notebook's cells or the markdown text) to ``_sources/``, where the theme's download button
points: a student downloads a chapter notebook with its exercises and without their solutions.
With the value False (the default, as in `make book`) it does nothing and the solutions stay as
collapsed dropdowns.

Why not ``hide_solutions: true``? sphinx-exercise 1.2.1 then drops the ``solution-start`` node in
the directive itself, its gated merge never runs, and the orphaned ``solution_end_node`` makes
the HTML writer fail with ``NotImplementedError: unknown node type: solution_end_node``. This
transform runs between sphinx-exercise's structure check (priority 1) and its merge (priority 10),
so it sees the markers and removes the whole range.

The file is also a small command-line tool used by `make book-student`:

    python book/_ext/strip_solutions.py merge-config _config.yml book/_config_student.yml OUT.yml

writes the student edition's configuration: _config.yml with the overlay merged in (dictionaries
merged key by key, everything else replaced) and the overlay's ``local_extensions`` paths made
absolute (Jupyter Book resolves them relative to the config file's folder).
"""
import json
import re
from pathlib import Path

from sphinx.transforms import SphinxTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)


class StripSolutions(SphinxTransform):
    """Delete solutions (both forms) when the config value ``strip_solutions`` is True."""

    default_priority = 5

    def apply(self, **kwargs):
        if not self.config.strip_solutions:
            return
        from sphinx_exercise.nodes import solution_end_node, solution_node, solution_start_node

        removed = []
        for start in list(self.document.findall(solution_start_node)):
            parent = start.parent
            if parent is None:
                continue
            siblings = list(parent.children)
            i = siblings.index(start)
            end = next((k for k in range(i + 1, len(siblings)) if isinstance(siblings[k], solution_end_node)), None)
            if end is None:
                logger.warning("strip_solutions: a solution-start without a matching solution-end at the same "
                               "level (a heading inside a gated solution?); the solution could not be removed",
                               location=start)
                continue
            for node in siblings[i:end + 1]:
                parent.remove(node)
            removed.append(start.get("label"))
        for node in list(self.document.findall(solution_node)):
            if node.parent is not None:
                node.parent.remove(node)
                removed.append(node.get("label"))
        for node in list(self.document.findall(solution_end_node)):   # a stray end marker
            node.parent.remove(node)
        registry = getattr(self.env, "sphinx_exercise_registry", {})
        for label in removed:
            if label and registry.get(label, {}).get("type") in ("solution", "solution-start"):
                del registry[label]


# ----------------------------------------------------------------------------- the downloadable sources

_FENCE = re.compile(r"^[ \t]*(`{3,}|:{3,})\{(solution|solution-start|solution-end)\}")


def strip_text(text, inside=False):
    """Cut every solution out of MyST markdown text.

    Removes ``{solution}`` blocks, ``{solution-end}`` markers and everything from a
    ``{solution-start}`` block to the matching ``{solution-end}`` block. ``inside``: the text
    begins inside a gated range (a notebook cell between the markers). Returns (text, inside).
    """
    out, lines, i = [], text.splitlines(keepends=True), 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m:
            fence, kind = m.group(1), m.group(2)
            close = re.compile(r"^[ \t]*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$")
            j = i + 1
            while j < len(lines) and not close.match(lines[j]):
                j += 1
            i = j + 1
            inside = kind == "solution-start" or (inside and kind != "solution-end")
            continue
        if not inside:
            out.append(lines[i])
        i += 1
    return "".join(out), inside


def strip_notebook(nb):
    """A copy of the notebook dict (nbformat 4 JSON) with every solution cut out."""
    cells, inside = [], False
    for cell in nb.get("cells", []):
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        if cell.get("cell_type") == "markdown" and (inside or "{solution" in src):
            new, inside = strip_text(src, inside)
            if new.strip():
                cells.append({**cell, "source": new})
            continue
        if not inside:
            cells.append(cell)
    return {**nb, "cells": cells}


def write_stripped_source(app, pagename, templatename, context, doctree):
    """Write _sources/<page><suffix> without solutions and point the download button at it."""
    if not app.config.strip_solutions or doctree is None or pagename not in app.env.all_docs:
        return
    src = Path(app.env.doc2path(pagename))
    if src.suffix not in (".ipynb", ".md"):
        return
    text = src.read_text(encoding="utf-8")
    if src.suffix == ".ipynb":
        text = json.dumps(strip_notebook(json.loads(text)), indent=1, ensure_ascii=False) + "\n"
    else:
        text = strip_text(text)[0]
    out = Path(app.outdir) / "_sources" / (pagename + src.suffix)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    context["sourcename"] = pagename + src.suffix


def no_source_copies(app):
    """Sphinx copies the original source whenever a page has a `sourcename`: never in this edition."""
    if app.config.strip_solutions and hasattr(app.builder, "copysource"):
        app.builder.copysource = False


def setup(app):
    app.add_config_value("strip_solutions", False, "env", [bool])
    app.add_transform(StripSolutions)
    app.connect("builder-inited", no_source_copies)
    app.connect("html-page-context", write_stripped_source, priority=400)   # before the theme's buttons (501)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


# ----------------------------------------------------------------------------- config merging (CLI)

def _merge(base, overlay):
    out = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def merge_config(base_path, overlay_path, out_path):
    import yaml

    base = yaml.safe_load(Path(base_path).read_text(encoding="utf-8")) or {}
    overlay = yaml.safe_load(Path(overlay_path).read_text(encoding="utf-8")) or {}
    merged = _merge(base, overlay)
    exts = merged.get("sphinx", {}).get("local_extensions") or {}
    for name, path in exts.items():   # relative to the repository's top folder in both files
        exts[name] = str((Path(base_path).resolve().parent / path).resolve())
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("# Generated by `make book-student` from _config.yml and book/_config_student.yml: do not edit.\n"
                   + yaml.safe_dump(merged, sort_keys=False, allow_unicode=True), encoding="utf-8")


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 5 or sys.argv[1] != "merge-config":
        sys.exit("usage: python book/_ext/strip_solutions.py merge-config BASE.yml OVERLAY.yml OUT.yml")
    merge_config(*sys.argv[2:])
