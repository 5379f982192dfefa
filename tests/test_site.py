"""The built site, as a reader sees it: every page opened in a real headless Chromium.

Checks, for each page of each edition that has been built (`_build/html`, the full edition, and
`_build/student/html`, the student edition): every formula rendered at build time by KaTeX (no
`.katex-error`, MathML kept, no raw TeX left in the text), no request leaves the site, no
console error beyond an allow-list, every internal link and anchor resolves, every image loads;
dropdown solutions open in the full edition and are absent from the student edition; a chapter's
notebook download is a valid notebook; the offline search finds the softmax chapter; with
JavaScript disabled, a chapter page still shows its rendered math. A
screenshot of every page goes to `_build/screenshots/` for a person to look at.

Without Chromium these tests skip with a printed reason, except in CI (CI=true), where a missing
browser is a failure.
"""

import functools
import html.parser
import http.server
import os
import pathlib
import shutil
import threading
import urllib.parse

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EDITIONS = {"full": ROOT / "_build" / "html", "student": ROOT / "_build" / "student" / "html"}
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = next(
    (
        p
        for p in (
            os.environ.get("CHROMIUM"),
            "/usr/bin/chromium",
            "/usr/bin/chromium-browser",
            shutil.which("chromium") or "",
        )
        if p and pathlib.Path(p).exists()
    ),
    None,
)
IN_CI = os.environ.get("CI", "").lower() == "true"

# Console messages a clean Jupyter Book 1 page logs in a fresh browser, each harmless:
ALLOWED_CONSOLE = {
    # sphinx-thebe's script and the theme both declare this constant; the second declaration is a
    # no-op for a site without live code (thebe is off).
    "Identifier 'THEBE_JS_URL' has already been declared": "thebe script included twice by JB1",
    # pydata-sphinx-theme reads a theme mode from localStorage that a new profile does not have.
    "Got invalid theme mode": "no stored light/dark preference in a fresh browser profile",
}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pages(site):
    """Every HTML page of a site, as paths relative to its root (genindex and redirects kept)."""
    return sorted(
        str(p.relative_to(site))
        for p in site.rglob("*.html")
        if "_static" not in p.parts and "_sources" not in p.parts and "reports" not in p.parts
    )


def built_editions():
    return [name for name, site in EDITIONS.items() if (site / "index.html").exists()]


def is_redirect(path):
    return 'http-equiv="Refresh"' in path.read_text(errors="replace")[:2000]


def page_params(browser_pages=False):
    """(edition, page) pairs; for the browser, redirect stubs (index.html) are left out."""
    return [
        pytest.param(ed, page, id=f"{ed}:{page}")
        for ed in built_editions()
        for page in pages(EDITIONS[ed])
        if not (browser_pages and is_redirect(EDITIONS[ed] / page))
    ]


# ------------------------------------------------------------------- static checks (no browser)


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.hrefs, self.imgs = set(), [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        if tag == "img" and a.get("src"):
            self.imgs.append(a["src"])


@functools.lru_cache(maxsize=None)
def parsed(path):
    p = _Links()
    p.feed(path.read_text(errors="replace"))
    return p


@pytest.mark.parametrize("edition, page", page_params())
def test_internal_links_and_anchors_resolve(edition, page):
    site = EDITIONS[edition]
    here = site / page
    broken = []
    refs = parsed(here).hrefs + parsed(here).imgs
    if is_redirect(here):
        refs.append(here.read_text().split("url=", 1)[1].split('"', 1)[0])
    for href in refs:
        u = urllib.parse.urlsplit(href)
        if u.scheme or u.netloc or href.startswith(("mailto:", "javascript:")):
            continue
        target = here if not u.path else (here.parent / urllib.parse.unquote(u.path)).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            broken.append(f"{href} (no file)")
        elif (
            u.fragment
            and target.suffix == ".html"
            and urllib.parse.unquote(u.fragment) not in parsed(target).ids
        ):
            broken.append(f"{href} (no anchor)")
    assert not broken, f"{edition}:{page} has broken links: {broken}"


# ------------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        msg = "no Chromium found (apt-get install chromium, or set CHROMIUM=/path)"
        if IN_CI:
            pytest.fail(msg + ": in CI the browser checks must run")
        print(f"\nSKIPPING browser checks: {msg}")
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def servers():
    """One local HTTP server per built edition: {edition: base URL}."""
    out, httpds = {}, []
    for name in built_editions():
        handler = functools.partial(_Quiet, directory=str(EDITIONS[name]))
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        out[name] = f"http://127.0.0.1:{httpd.server_address[1]}/"
        httpds.append(httpd)
    yield out
    for h in httpds:
        h.shutdown()


def open_page(browser, base, page, width=1280, height=900):
    """Open a page; return (page, off-site requests, unexpected console errors)."""
    ctx = browser.new_context(viewport={"width": width, "height": height}, service_workers="block")
    p = ctx.new_page()
    offsite, errors = [], []

    def route(r):
        if r.request.url.startswith(base) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            offsite.append(r.request.url)
            r.abort()

    p.route("**/*", route)
    p.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not any(a in m.text for a in ALLOWED_CONSOLE)
            else None
        ),
    )
    p.on(
        "pageerror",
        lambda e: errors.append(str(e)) if not any(a in str(e) for a in ALLOWED_CONSOLE) else None,
    )
    p.goto(base + page, wait_until="load")
    return ctx, p, offsite, errors


# The math of a page, as the reader gets it: every span.math/div.math holds a KaTeX rendering
# with its MathML; raw TeX is looked for in the visible text outside formulas and code.
MATH_REPORT = r"""() => {
    const root = document.querySelector('main') || document.body;
    const boxes = [...root.querySelectorAll('span.math, div.math')];
    const text = root.cloneNode(true);
    text.querySelectorAll('.katex, pre, code, script, style').forEach(e => e.remove());
    const raw = (text.textContent.match(/\\\(|\\\[|\$\$|\$[^$\n]*\\[A-Za-z]+[^$\n]*\$/g)
                 || []).slice(0, 5);
    return {
        boxes: boxes.length,
        rendered: boxes.filter(b => b.querySelector('.katex .katex-html')).length,
        mathml: boxes.filter(b => b.querySelector('.katex .katex-mathml math')).length,
        errors: root.querySelectorAll('.katex-error, .katex-failed').length,
        raw: raw,
        mathjax: !!document.querySelector('script[src*="mathjax" i], mjx-container'),
    };
}"""


def check_math(page, math):
    assert math["errors"] == 0, f"{page}: {math['errors']} formulas KaTeX could not render"
    assert not math["raw"], f"{page}: raw TeX left in the text: {math['raw']}"
    assert math["rendered"] == math["boxes"], (
        f"{page}: {math['boxes']} math elements, {math['rendered']} rendered by KaTeX"
    )
    assert math["mathml"] == math["boxes"], (
        f"{page}: {math['boxes'] - math['mathml']} formulas without their MathML"
    )
    assert not math["mathjax"], f"{page}: MathJax is still loaded"


@pytest.mark.parametrize("edition, page", page_params(browser_pages=True))
def test_page_in_browser(browser, servers, edition, page):
    ctx, p, offsite, errors = open_page(browser, servers[edition], page)
    try:
        check_math(page, p.evaluate(MATH_REPORT))
        bad_imgs = p.evaluate(
            "() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
            ".map(i => i.getAttribute('src'))"
        )
        assert not bad_imgs, f"{page}: images that did not load: {bad_imgs}"
        solutions = p.locator(".solution")
        if edition == "student":
            assert solutions.count() == 0, (
                f"{page}: the student edition shows {solutions.count()} solutions"
            )
        elif solutions.count():
            first = solutions.first
            body = first.locator(".solution-content, section").first
            assert not body.is_visible(), f"{page}: a solution is open before any click"
            first.locator(
                "button.toggle-button"
            ).first.click()  # the title's own link would navigate
            body.wait_for(state="visible", timeout=5000)
        SHOTS.mkdir(parents=True, exist_ok=True)
        p.screenshot(path=str(SHOTS / f"{edition}--{page.replace('/', '--')}.png"), full_page=True)
        assert not offsite, f"{page}: requests that leave the site: {offsite}"
        assert not errors, f"{page}: console errors: {errors}"
    finally:
        ctx.close()


@pytest.mark.parametrize("page", ["book/intro.html", "chapters/06_many_to_many.html"])
def test_phone_width_screenshots(browser, servers, page):
    if "full" not in servers or not (EDITIONS["full"] / page).exists():
        pytest.skip(f"{page} is not built")
    ctx, p, offsite, errors = open_page(browser, servers["full"], page, width=390, height=844)
    try:
        overflow = p.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        # Formulas that run past the screen's edge without a scroll box of their own are cut off.
        cut = p.evaluate("""() => [...document.querySelectorAll('.katex')].filter(m => {
            if (m.getBoundingClientRect().right <= window.innerWidth + 1) return false;
            for (let e = m; e; e = e.parentElement) {
                const ox = getComputedStyle(e).overflowX;
                if ((ox === 'auto' || ox === 'scroll') && e.scrollWidth > e.clientWidth) return false;
            }
            return true; }).length""")
        p.screenshot(path=str(SHOTS / f"phone--{page.replace('/', '--')}.png"), full_page=True)
        assert overflow <= 1, f"{page} scrolls sideways by {overflow}px at phone width"
        assert cut == 0, f"{page}: {cut} formulas run off the screen at phone width"
        assert not offsite and not errors, (offsite, errors)
    finally:
        ctx.close()


def test_chapter_notebook_download_is_a_valid_notebook(servers):
    import nbformat

    site = EDITIONS["full"]
    chapters = sorted((site / "_sources" / "chapters").glob("*.ipynb")) if "full" in servers else []
    if not chapters:
        pytest.skip("the full edition is not built")
    page = (site / "chapters" / (chapters[0].stem + ".html")).read_text()
    assert f"_sources/chapters/{chapters[0].name}" in page, (
        "the chapter page has no notebook download link"
    )
    for nb in chapters:
        nbformat.validate(nbformat.read(nb, as_version=4))


def test_offline_search_finds_the_softmax_chapter(browser, servers):
    if "full" not in servers:
        pytest.skip("the full edition is not built")
    ctx, p, offsite, errors = open_page(browser, servers["full"], "search.html?q=softmax")
    try:
        p.wait_for_selector("#search-results ul.search li", timeout=15000)
        hits = p.eval_on_selector_all(
            "#search-results ul.search li a", "els => els.map(e => e.getAttribute('href'))"
        )
        assert any("05_softmax_nll" in h for h in hits), f"search for softmax lists {hits}"
        assert not offsite, offsite
    finally:
        ctx.close()


@pytest.mark.parametrize("page", ["chapters/05_softmax_nll.html", "book/exercises/index.html"])
def test_math_is_rendered_with_javascript_disabled(browser, servers, page):
    """The formulas are in the HTML: a reader with JavaScript off sees them typeset."""
    if "full" not in servers or not (EDITIONS["full"] / page).exists():
        pytest.skip(f"{page} is not built")
    base = servers["full"]
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        p = ctx.new_page()
        offsite = []
        p.on("request", lambda r: None if r.url.startswith(base) else offsite.append(r.url))
        p.goto(base + page, wait_until="load")
        p.evaluate("() => document.fonts.ready.then(() => null)")
        math = p.evaluate(MATH_REPORT)
        check_math(page, math)
        if page.startswith("chapters/"):
            assert math["boxes"] > 50, f"{page}: only {math['boxes']} formulas found"
        shown = p.evaluate("""() => {
            const k = [...document.querySelectorAll('div.math .katex-html')];
            return { n: k.length,
                     visible: k.filter(e => e.getBoundingClientRect().width > 10).length,
                     font: k.length ? getComputedStyle(k[0].querySelector('.mord, .mop') || k[0])
                                      .fontFamily : '',
                     fontsLoaded: [...document.fonts].filter(f => f.family.includes('KaTeX')
                                                          && f.status === 'loaded').length };
        }""")
        assert shown["visible"] == shown["n"], f"{page}: displayed formulas not laid out: {shown}"
        if shown["n"]:
            assert "KaTeX" in shown["font"], f"{page}: the math is not set in KaTeX's fonts"
            assert shown["fontsLoaded"] > 0, f"{page}: KaTeX's fonts did not load: {shown}"
        SHOTS.mkdir(parents=True, exist_ok=True)
        p.screenshot(path=str(SHOTS / f"nojs--{page.replace('/', '--')}.png"), full_page=False)
        assert not offsite, f"{page}: requests that leave the site: {offsite}"
    finally:
        ctx.close()
