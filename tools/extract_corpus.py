"""Extract the course's prose into the corpus of chapter 11: ``src/bptt/corpus/course.txt``.

    python tools/extract_corpus.py            write the file (``make corpus``)
    python tools/extract_corpus.py --check    exit 1 if the committed file is out of date

The text is the markdown of every chapter notebook (``chapters/*.ipynb``, in file order), then the
front matter (``book/*.md``, in file order), reduced to what a reader reads aloud: code blocks,
display and inline math, MyST labels, directive options and HTML are dropped; roles become words
(``{ref}`text <label>``` gives "text", ``{numref}`fig-x``` "the figure", a citation nothing or
its author); links keep their text; emphasis and heading marks go. Each paragraph or list item
becomes one line. The same sources always give the same bytes.
"""

import argparse
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "bptt" / "corpus" / "course.txt"

NUMREF_WORDS = {"fig": "the figure", "ex": "the exercise", "eq": "the equation"}
DROPPED_DIRECTIVES = {"solution-start", "solution-end", "bibliography", "tableofcontents", "math"}


def sources(root=ROOT):
    """The files read, in the order their text is written."""
    return sorted((root / "chapters").glob("*.ipynb")) + sorted((root / "book").glob("*.md"))


def markdown_of(path):
    """The markdown of a notebook (its markdown cells, in order) or of a .md file."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return path.read_text(encoding="utf-8")


def _role(match):
    """A MyST role ``{name}`content``` as readable words."""
    name, content = match.group(1), match.group(2)
    shown = re.match(r"(.*?)\s*<[^>]*>$", content, re.S)
    if shown and shown.group(1):
        return shown.group(1)  # {ref}`the text <label>`
    if name.startswith("cite"):
        if name == "cite:t":  # "as {cite:t}`pascanu2013` show": the author's name stays
            return " and ".join(re.sub(r"\d.*", "", k).capitalize() for k in content.split(","))
        return ""
    if name == "numref":
        return NUMREF_WORDS.get(content.split("-")[0], "that part")
    if name == "eq":
        return "the equation"
    if name == "ref":
        return "that section"
    if name == "doc":
        stem = content.rstrip("/").split("/")[-1]
        return re.sub(r"^\d+_", "", stem).replace("_", " ")
    return content


def _inline(line):
    """Inline markup of one line reduced to its words."""
    line = re.sub(r"<!--.*?-->", "", line)
    line = re.sub(r"\{([a-z:-]+)\}`([^`]*)`", _role, line)
    line = re.sub(r"\$[^$]+\$", "", line)  # inline math
    line = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", line)  # images
    line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)  # links keep their text
    line = re.sub(r"`([^`]*)`", r"\1", line)  # inline code keeps its text
    line = re.sub(r"</?[a-zA-Z][^>]*>", "", line)  # HTML tags
    line = re.sub(r"(\*\*|__|\*)(?=\S)(.+?)(?<=\S)\1", r"\2", line)  # emphasis
    line = re.sub(r"\s+([,.;:)])", r"\1", line)  # space left before punctuation by a drop
    line = re.sub(r"\(\s*\)", "", line)
    return re.sub(r"\s{2,}", " ", line).strip()


def prose(markdown):
    """The readable lines of one markdown text (a list of str, one paragraph or item each)."""
    out, paragraph = [], []
    fence, in_math, skip_fence = None, False, False

    def flush():
        text = _inline(" ".join(paragraph))
        if re.search(r"[A-Za-z]", text):
            out.append(text)
        paragraph.clear()

    for raw in markdown.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if in_math:  # display math runs until the closing $$ (and its label)
            in_math = "$$" not in line
            continue
        if fence:  # inside a fenced block
            if line == fence:
                flush()
                fence = None
            elif not skip_fence and not re.match(r"^:[\w-]+:", line) and line[:1] != "|":
                if line:
                    paragraph.append(line)
                else:
                    flush()
            continue
        opening = re.match(r"^(`{3,}|:{3,})\s*(\{([\w-]+)\})?\s*(.*)$", line)
        if opening:
            flush()
            fence = opening.group(1)
            name = opening.group(3)
            skip_fence = name is None or name in DROPPED_DIRECTIVES  # code, or nothing to read
            if not skip_fence and opening.group(4):
                out.append(_inline(opening.group(4)))  # a directive's title, e.g. an exercise's
            continue
        if line.startswith("$$"):
            flush()
            in_math = line.count("$$") == 1  # "$$ x $$" on one line closes itself
            continue
        if not line or re.match(r"^\(.*\)=$", line) or line.startswith("|"):
            flush()  # blank line, MyST label or table row
            continue
        if re.match(r"^(#+\s|[-*]\s|\d+\.\s)", line):
            flush()
            line = re.sub(r"^#+\s+", "", line)
        paragraph.append(line)
    flush()
    return out


def build(root=ROOT):
    """The whole corpus as one str, ending with a newline."""
    lines = [line for path in sources(root) for line in prose(markdown_of(path))]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    text = build()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run make corpus")
            return 1
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}: {len(text)} characters, {len(set(text))} distinct")
    return 0


if __name__ == "__main__":
    sys.exit(main())
