"""Sphinx extension for the PDF (LaTeX builder only): the PDF numbers what the website numbers.

The website numbers only the chapters of the numbered parts (1, 2, ... across parts, with
sphinx-multitoc-numbering), and their sections, equations, figures and exercises after them
(Exercise 4.2, equation (4.1)). LaTeX, left alone, numbers every ``\\chapter`` (the front matter,
the assignment pages and the appendices too), so chapter 1 printed as chapter 3, its equations as
(3.1); and sphinx-jupyterbook-latex sets ``numfig_secnum_depth = 2`` for a book with parts, so
"Exercise 1.1" printed as "Exercise 1.13.1". This extension

- puts ``\\bpttnumbered`` or ``\\bpttunnumbered`` (book/_ext/latex/bptt-pdf.sty) at the start of
  every page of the assembled LaTeX document, as the toc numbers that page: an unnumbered page's
  chapter neither steps the chapter counter nor prints a number;
- sets ``numfig_secnum_depth`` back to 1, so exercises and figures referred to by {numref} carry
  the chapter's number only, as on the website.

Nothing is listed per chapter: a page is numbered when the toc numbers it.

For the HTML editions it puts the PDF and the course bundle of the same edition on the site: the
pages link ``_downloads/bptt-by-hand.pdf`` and ``_downloads/bptt-course.zip``; the student
edition (``pdf_edition_name``, ``bundle_edition_name`` in book/_config_student.yml) rewrites those
links to its own files, and the build copies them from ``_build/pdf/`` and ``_build/bundle/`` into
the site's ``_downloads/`` (`make test` makes them before it builds the sites).
"""

import shutil
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.builders.latex import LaTeXBuilder


def number_like_the_site(app):
    if isinstance(app.builder, LaTeXBuilder):
        app.config.numfig_secnum_depth = 1


def mark_pages(app, doctree, docname):
    if not isinstance(app.builder, LaTeXBuilder):
        return
    for page in doctree.findall(addnodes.start_of_file):
        numbered = bool(app.env.toc_secnumbers.get(page["docname"]))
        macro = r"\bpttnumbered" if numbered else r"\bpttunnumbered"
        page.insert(0, nodes.raw("", macro + "\n", format="latex"))


BUILD = Path(__file__).resolve().parents[2] / "_build"
# (config value, the full edition's file, the folder of _build it is made in)
DOWNLOADS = (
    ("pdf_edition_name", "bptt-by-hand.pdf", "pdf"),
    ("bundle_edition_name", "bptt-course.zip", "bundle"),
)


def link_own_edition(app, docname, source):
    for key, full, _ in DOWNLOADS:
        name = app.config[key]
        if name != full and f"_downloads/{full}" in source[0]:
            source[0] = source[0].replace(f"_downloads/{full}", f"_downloads/{name}")


def copy_downloads(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for key, _, folder in DOWNLOADS:
        made = BUILD / folder / app.config[key]
        if made.exists():
            (Path(app.outdir) / "_downloads").mkdir(exist_ok=True)
            shutil.copy2(made, Path(app.outdir) / "_downloads" / made.name)


def setup(app):
    for key, full, _ in DOWNLOADS:
        app.add_config_value(key, full, "env")
    app.connect("source-read", link_own_edition)
    app.connect("build-finished", copy_downloads)
    app.connect("builder-inited", number_like_the_site, priority=900)
    app.connect("doctree-resolved", mark_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
