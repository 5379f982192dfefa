"""What a reader sees on the built site, read from its HTML (no browser, except for printing).

For each built edition (`_build/html`, and `_build/student/html` when it has been built):
- no page says "audit", "source 00" or "Source 00" (case-insensitive) in its visible text, the
  folded code and outputs included, nor in an alt text, a title or a caption;
- every <img> has an alt text that describes it: not missing, not empty, not a file path;
- the cheat sheet page exists and the front page links to it;
- exercises are numbered per chapter: chapter 4's are Exercise 4.1, 4.2, ... in order;
- the cheat sheet prints on at most two A4 pages (headless Chromium; skipped with a printed
  reason when there is none, except in CI).

"""

import os
import pathlib
import re
import shutil

import pytest
from bs4 import BeautifulSoup

ROOT = pathlib.Path(__file__).resolve().parents[1]
EDITIONS = {"full": ROOT / "_build" / "html", "student": ROOT / "_build" / "student" / "html"}
IN_CI = os.environ.get("CI", "").lower() == "true"
FORBIDDEN = re.compile(r"audit|source 00", re.IGNORECASE)
# An alt text that is a file name or a path, as myst-nb writes by default ("../_images/ab12.png").
FILE_LIKE = re.compile(r"^\S*\.(png|jpe?g|gif|svg|webp|pdf)$|^\S*/\S*$", re.IGNORECASE)
CHEATSHEET = "book/cheatsheet.html"
FRONT = "book/intro.html"
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


def built():
    return {name: site for name, site in EDITIONS.items() if (site / "index.html").exists()}


def pages(site):
    """The reader's pages of a site: every HTML file but the static assets and redirect stubs."""
    out = []
    for p in sorted(site.rglob("*.html")):
        rel = p.relative_to(site)
        if {"_static", "_sources", "reports", "_images"} & set(rel.parts):
            continue
        if 'http-equiv="Refresh"' in p.read_text(errors="replace")[:2000]:
            continue
        out.append(str(rel))
    return out


def page_params():
    return [
        pytest.param(ed, page, id=f"{ed}:{page}")
        for ed, site in built().items()
        for page in pages(site)
    ]


def soup_of(edition, page):
    return BeautifulSoup((EDITIONS[edition] / page).read_text(encoding="utf-8"), "html.parser")


def visible_text(soup):
    """The text a reader can see or unfold: body text (folded cells included), the title, and
    every alt, title and aria-label attribute. Scripts, styles and the search index are not text."""
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    parts = [
        soup.title.get_text(" ") if soup.title else "",
        soup.body.get_text(" ") if soup.body else "",
    ]
    for tag in soup.find_all(True):
        parts += [tag.get(a, "") for a in ("alt", "title", "aria-label")]
    return " ".join(parts)


def image_problems(soup):
    out = []
    for img in soup.find_all("img"):
        alt = img.get("alt")
        src = img.get("src", "?")
        if alt is None:
            out.append(f"<img src={src!r}> has no alt text")
        elif not alt.strip():
            out.append(f"<img src={src!r}> has an empty alt text")
        elif FILE_LIKE.match(alt.strip()):
            out.append(f"<img src={src!r}> has a file path as alt text: {alt!r}")
    return out


def exercise_problems(soup):
    """Exercise numbers on a chapter page must be <chapter>.1, <chapter>.2, ... in order."""
    h1 = soup.find("h1")
    number = h1.find("span", class_="section-number") if h1 else None
    if number is None:
        return []  # not a numbered chapter
    chapter = number.get_text().strip().rstrip(".")
    found = [
        m.group(1)
        for span in soup.find_all("span", class_="caption-number")
        if (m := re.match(r"\s*Exercise\s+(\S+)", span.get_text()))
    ]
    want = [f"{chapter}.{i}" for i in range(1, len(found) + 1)]
    return [] if found == want else [f"exercises numbered {found}, expected {want}"]


def report(edition, page, problems):
    """Fail with the problems found on one page of one edition."""
    if problems:
        pytest.fail(f"{edition}:{page}: " + "; ".join(problems))


def test_an_edition_is_built():
    if not built():
        msg = "no built edition: run `make book` (and `make book-student`) first"
        if IN_CI:
            pytest.fail(msg)
        print(f"\nSKIPPING reader checks: {msg}")
        pytest.skip(msg)


@pytest.mark.parametrize("edition, page", page_params())
def test_page_names_no_source_by_number_and_no_audit(edition, page):
    text = visible_text(soup_of(edition, page))
    hits = sorted({m.group(0) for m in FORBIDDEN.finditer(text)})
    snippets = [
        text[max(0, m.start() - 40) : m.end() + 40].replace("\n", " ")
        for m in list(FORBIDDEN.finditer(text))[:3]
    ]
    report(edition, page, [f"says {h!r}" for h in hits] + [f"…{s}…" for s in snippets])


@pytest.mark.parametrize("edition, page", page_params())
def test_every_image_has_real_alt_text(edition, page):
    report(edition, page, image_problems(soup_of(edition, page)))


@pytest.mark.parametrize(
    "edition, page", [p for p in page_params() if p.values[1].startswith("chapters/")]
)
def test_exercises_are_numbered_per_chapter(edition, page):
    report(edition, page, exercise_problems(soup_of(edition, page)))


@pytest.mark.parametrize("edition", list(built()))
def test_cheatsheet_exists_and_the_front_page_links_it(edition):
    site = EDITIONS[edition]
    assert (site / CHEATSHEET).exists(), f"{edition}: no {CHEATSHEET}"
    links = {a["href"].split("#")[0] for a in soup_of(edition, FRONT).find_all("a", href=True)}
    assert "cheatsheet.html" in links, f"{edition}: {FRONT} does not link the cheat sheet"
    cs = soup_of(edition, CHEATSHEET)
    assert cs.find(class_="cheatsheet"), f"{edition}: the cheat sheet has no .cheatsheet block"
    assert len(cs.select(".cheatsheet tr")) > 30, f"{edition}: the cheat sheet lost its rows"


# ----------------------------------------------------------------------------- printing


def count_pdf_pages(data):
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


@pytest.mark.parametrize("edition", list(built()))
def test_cheatsheet_prints_on_two_a4_pages(edition, tmp_path):
    if CHROMIUM is None:
        msg = "no Chromium found (set CHROMIUM=/path/to/chromium) to print the cheat sheet"
        if IN_CI:
            pytest.fail(msg)
        print(f"\nSKIPPING print check: {msg}")
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    pdf = tmp_path / "cheatsheet.pdf"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto((EDITIONS[edition] / CHEATSHEET).as_uri(), wait_until="load")
            page.evaluate(
                "() => window.MathJax && window.MathJax.startup"
                " ? window.MathJax.startup.promise : null"
            )
            page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
        finally:
            browser.close()
    data = pdf.read_bytes()
    assert b"/MediaBox [0 0 594.9" in data, "the cheat sheet did not print on A4"
    n = count_pdf_pages(data)
    assert 1 <= n <= 2, f"{edition}: the cheat sheet prints on {n} A4 pages (at most 2)"


# ----------------------------------------------------------------------------- the errata's table


def test_table_cells_split_where_the_page_does():
    """An unescaped | inside a cell cuts it, as on the page (the errata table lost |h_29| so)."""
    from bptt.errata import table_cells

    md = (
        "| entry | measured |\n|---|---|\n"
        "| {ref}`IIR <erratum-004-1>` | w = −1.1 grows: |h_30| = 15.9 |\n"
        "| {ref}`IIR <erratum-004-1>` | w = −1.1 grows: \\|h_30\\| = 15.9 |\n"
    )
    cut, kept = table_cells(md)
    assert cut == ["{ref}IIR <erratum-004-1>", "w = −1.1 grows:"]
    assert kept == ["{ref}IIR <erratum-004-1>", "w = −1.1 grows: |h_30| = 15.9"]
    with pytest.raises(TypeError, match="markdown must be a str"):
        table_cells(None)
