"""How long a chapter page takes to show its math in headless Chromium: KaTeX at build time (now)
against MathJax 3 in the browser (the edition before), page by page.

Both editions are built here, with the stored notebook outputs (``execute_notebooks: "off"``), by
the book's own Jupyter Book (``--main-venv``): the current tree, and the last commit that shipped
MathJax (the parent of the commit that removed ``book/_static/mathjax/tex-mml-chtml.js``, found
with ``git rev-list``), unpacked with ``git archive`` into a temporary folder. Each page is served
over local HTTP and opened in a fresh browser context (no cache); the time is measured from the
navigation's start until every formula is typeset, its fonts loaded and the page painted:
DOMContentLoaded, then MathJax's ``startup.promise`` (MathJax only), then ``document.fonts.ready``
after a layout, then two animation frames. The page's other scripts and images are not waited
for. Rounds are interleaved and the median is printed. On a shared machine: wall times under load.
"""

import functools
import http.server
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
from pathlib import Path

from .common import Target, mark

TITLE = "math visible in headless Chromium, per chapter page: KaTeX (build time) vs MathJax 3"
TARGET_SECONDS = 0.3  # per chapter page, KaTeX
MATHJAX_FILE = "book/_static/mathjax/tex-mml-chtml.js"

VISIBLE = """async () => {
    if (document.readyState === 'loading')
        await new Promise(r => document.addEventListener('DOMContentLoaded', r, {once: true}));
    if (window.MathJax && window.MathJax.startup) await window.MathJax.startup.promise;
    void document.body.offsetHeight;  // lay the page out, so that its math fonts start loading
    await document.fonts.ready;
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));  // painted
    const nav = performance.getEntriesByType('navigation')[0];
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    return {t: performance.now() / 1000, dom: fcp ? fcp.startTime / 1000 : NaN,
            n: document.querySelectorAll('.katex, mjx-container').length};
}"""


def _git(repo, *args):
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def _mathjax_commit(repo):
    """The last commit whose tree ships MathJax (None when the history has none)."""
    removed = _git(repo, "rev-list", "-n", "1", "HEAD", "--", MATHJAX_FILE)
    if not removed:
        return None
    tree = _git(repo, "ls-tree", "--name-only", removed, MATHJAX_FILE)
    return removed if tree else _git(repo, "rev-parse", f"{removed}^")


def _build(src, venv, out):
    """Build the site of the tree src into out, with the stored outputs."""
    config = (src / "_config.yml").read_text()
    config = re.sub(r"execute_notebooks: *\S+", 'execute_notebooks: "off"', config)
    (src / "_config.yml").write_text(config)
    if (src / "package.json").exists() and not (src / "node_modules").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "-s"], cwd=src, check=True)
    with open(out.parent / f"{out.name}.log", "w") as log:  # a file, not a pipe a child could hold
        done = subprocess.run(
            [str(Path(venv).resolve() / "bin" / "jupyter-book"), "build", str(src), "--all"]
            + ["--path-output", str(out)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    if done.returncode:
        print((out.parent / f"{out.name}.log").read_text()[-3000:])
        raise RuntimeError(f"the site of {src} did not build (log above)")
    return out / "_build" / "html"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _serve(site):
    handler = functools.partial(_Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/"


def _time_pages(sites, pages, rounds):
    """{edition: {page: [seconds per round]}}, rounds interleaved across editions and pages."""
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    servers = {name: _serve(site) for name, site in sites.items()}
    times = {name: {p: [] for p in pages} for name in sites}
    dom = {name: {p: [] for p in pages} for name in sites}
    counts = {name: {} for name in sites}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            for _ in range(rounds):
                for page in pages:
                    for name, (_, base) in servers.items():
                        ctx = browser.new_context(service_workers="block")
                        p = ctx.new_page()
                        p.goto(base + page, wait_until="commit")
                        r = p.evaluate(VISIBLE)
                        times[name][page].append(r["t"])
                        dom[name][page].append(r["dom"])
                        counts[name][page] = r["n"]
                        ctx.close()
            browser.close()
    finally:
        for httpd, _ in servers.values():
            httpd.shutdown()
    return times, dom, counts


def run(args):
    repo = Path(args.repo).resolve()
    venv = getattr(args, "main_venv", ".venv")
    commit = _mathjax_commit(repo)
    if commit is None:
        print("  skipped: no commit in this history ships MathJax")
        return []
    tmp = Path(tempfile.mkdtemp(prefix="bench-math-"))
    try:
        now = tmp / "now"
        shutil.copytree(
            repo,
            now,
            ignore=shutil.ignore_patterns(".git", ".venv*", "_build", "release", "autograded"),
            symlinks=True,
        )
        before = tmp / "before"
        before.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(repo), "archive", commit], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
        sites = {
            "KaTeX": _build(now, venv, tmp / "out-now"),
            "MathJax": _build(before, venv, tmp / "out-before"),
        }
        pages = sorted(
            str(p.relative_to(sites["KaTeX"]))
            for p in (sites["KaTeX"] / "chapters").glob("[0-9]*.html")
            if (sites["MathJax"] / p.relative_to(sites["KaTeX"])).exists()
        )
        times, dom, counts = _time_pages(sites, pages, args.rounds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"  MathJax edition: commit {commit[:10]}; median of {args.rounds} rounds, wall time")
    # "first paint": the KaTeX page's first contentful paint, its formulas already typeset in it
    # (the KaTeX column also waits for the deferred scripts and the math fonts).
    print(f"  {'page':40s}{'formulas':>9s}{'MathJax 3':>11s}{'KaTeX':>9s}{'first paint':>13s}")
    slow = []
    for page in pages:
        mj, kx = (statistics.median(times[e][page]) for e in ("MathJax", "KaTeX"))
        if kx > TARGET_SECONDS:
            slow.append(page)
        parsed = statistics.median(dom["KaTeX"][page])
        print(
            f"  {page:40s}{counts['KaTeX'][page]:9d}{mj:10.2f}s{kx:8.2f}s{parsed:12.2f}s  "
            f"{mark(kx <= TARGET_SECONDS)}"
        )
    worst = max(statistics.median(times["KaTeX"][p]) for p in pages)
    return [
        Target(
            f"every chapter page shows its math within {TARGET_SECONDS} s (KaTeX)",
            not slow,
            f"slowest {worst:.2f} s" + (f" ({', '.join(slow)})" if slow else ""),
        )
    ]
