"""Sphinx extension: every formula rendered by KaTeX when the site is built (no JavaScript to read it).

It drives sphinxcontrib-katex's prerendering (``katex_prerender = True``: one ``node`` process
renders each formula to HTML and MathML while the pages are written) and adds what the book
needs on top of it:

- KaTeX itself comes from the npm package in ``node_modules/katex`` (installed by ``npm ci`` from
  the committed package.json and package-lock.json, which the make targets run), never from a
  CDN: ``katex_js_path`` (what node loads) is set to its ``dist/katex.min.js`` and
  ``katex_css_path`` to ``katex/katex.min.css`` under the site's ``_static``, where the build
  copies the stylesheet and its fonts from the same package;
- the rendering options: ``output: "htmlAndMathml"`` (the MathML stays in the page for screen
  readers), the book's macros, and ``throwOnError: true``, so that a formula KaTeX cannot
  render becomes a Sphinx warning naming its page and line (``-W`` fails the build) instead of
  red source text on the page;
- only the HTML builders are concerned: the LaTeX (PDF) build writes the formulas as TeX.

The renderer registered here is named ``katex_build``; _config.yml selects it with
``html_math_renderer: katex_build``.
"""

import json
import shutil
import subprocess
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

KATEX_DIST = Path(__file__).resolve().parents[2] / "node_modules" / "katex" / "dist"
STATIC_SUBDIR = "katex"
# The book's macros (also written out for MathJax's old configuration): one home, here.
MACROS = {r"\R": r"\mathbb{R}", r"\diag": r"\operatorname{diag}", r"\tanhp": r"\tanh'"}


def _katex():
    import sphinxcontrib.katex as katex

    return katex


def _render(visit, self, node):
    katex = _katex()
    try:
        visit(self, node)
    except katex.KaTeXError as err:
        source = node.astext().strip().replace("\n", " ")
        logger.warning(
            "KaTeX cannot render %r: %s", source[:120], err, location=node, type="katex"
        )
        self.body.append(self.starttag(node, "span", "", CLASS="math katex-failed"))
        self.body.append(self.encode(node.astext()) + "</span>")
        raise nodes.SkipNode from None


def visit_math(self, node):
    _render(_katex().html_visit_math, self, node)


def visit_displaymath(self, node):
    _render(_katex().html_visit_displaymath, self, node)


def check_katex(app, config):
    """Point sphinxcontrib-katex at the npm package and set the rendering options."""
    katex_js = KATEX_DIST / "katex.min.js"
    if not katex_js.exists():
        raise RuntimeError(
            f"KaTeX is not installed ({katex_js} is missing): run `npm ci` in the repository's "
            "top folder (the make targets do it)"
        )
    version = json.loads((KATEX_DIST.parent / "package.json").read_text())["version"]
    try:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as err:
        raise RuntimeError("node is needed to render the math at build time") from err
    logger.info("katex_build: KaTeX %s rendered by node %s", version, node.stdout.strip())
    config.katex_prerender = True
    config.katex_js_path = str(katex_js)
    config.katex_css_path = f"{STATIC_SUBDIR}/katex.min.css"
    katex = _katex()
    katex.KATEX_DEFAULT_OPTIONS = {
        "throwOnError": True,
        "output": "htmlAndMathml",
        "strict": "error",
        "macros": dict(MACROS),
    }
    katex.RENDER_TIMEOUT = 60.0  # two busy cores: the first formula waits for node to start
    katex.STARTUP_TIMEOUT = 60.0


def stop_katex_server(app, exception):
    """Stop the node process now: left to atexit, it can outlive the build and hold its pipes."""
    katex = _katex()
    server = katex.KaTeXServer.katex_server
    if server is not None:
        katex.KaTeXServer.katex_server = None
        server.terminate()


def copy_katex_static(app, exception):
    """Copy KaTeX's stylesheet and fonts into the site (build-finished, HTML builders only)."""
    stop_katex_server(app, exception)
    if exception is not None or app.builder.format != "html":
        return
    dest = Path(app.outdir) / "_static" / STATIC_SUBDIR
    (dest / "fonts").mkdir(parents=True, exist_ok=True)
    shutil.copy2(KATEX_DIST / "katex.min.css", dest / "katex.min.css")
    for font in (KATEX_DIST / "fonts").glob("*.woff2"):
        shutil.copy2(font, dest / "fonts" / font.name)


def setup(app):
    app.setup_extension("sphinxcontrib.katex")
    app.add_html_math_renderer(
        "katex_build",
        inline_renderers=(visit_math, None),
        block_renderers=(visit_displaymath, None),
    )
    app.connect("config-inited", check_katex)
    app.connect("build-finished", copy_katex_static, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": False}
