"""Every link of the documentation leads somewhere: relative links and their #anchors in every Markdown file, every
docs/ page named in code, scripts and settings files, and every page under docs/ reachable from docs/README.md."""

import re
import subprocess
import unicodedata
from pathlib import Path
from urllib.parse import unquote

from conftest import ROOT

SKIPPED_FOLDERS = {".git", ".venv", "node_modules"}
# The tutorial is written on a branch of its own, merged before this one: until then the map's first link may point
# at nothing. Only while that file is absent, and only that file.
PENDING = {Path("docs/make-it-yours.md")}

FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.IGNORECASE)
# A page of docs/ named in prose, a comment, a script or an error message (docs/x.md, docs/how-to/y.md).
NAMED_PAGE = re.compile(r"(?<![\w./-])docs/[\w./-]*?\.md\b")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)


def project_files() -> list[Path]:
    """The project's files, relative to its root: git's (tracked and new, not ignored), else a walk of the folder."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
        files = [Path(name) for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):  # a copy of the template without git
        files = [path.relative_to(ROOT) for path in ROOT.rglob("*") if path.is_file()]
    return sorted(f for f in files if not SKIPPED_FOLDERS & set(f.parts) and (ROOT / f).is_file())


def text_of(file: Path) -> str | None:
    try:
        return (ROOT / file).read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None


def prose(markdown: str) -> str:
    """The Markdown without its code blocks and code spans, whose brackets and parentheses are no links."""
    return CODE_SPAN.sub("", FENCE.sub("", markdown))


def github_anchors(markdown: str) -> set[str]:
    """The #anchors GitHub makes for a page's headings (lower case, punctuation dropped, spaces to hyphens, a repeated
    one suffixed -1, -2, ...), plus explicit <a name/id> anchors."""
    anchors, seen = set(), {}
    for match in HEADING.finditer(FENCE.sub("", markdown)):
        text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", match.group(2))  # a link in a heading: its text
        text = re.sub(r"<[^>]+>", "", text).strip().lower()
        slug = "".join(c for c in text if c in "-_ " or unicodedata.category(c)[0] in "LNM").replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors | set(HTML_ANCHOR.findall(markdown))


def missing(target: Path) -> bool:
    return not (ROOT / target).exists() and target not in PENDING


def resolve(page: Path, link: str) -> tuple[Path, str]:
    """A relative link of `page` as a path from the project's root, and its anchor ('' when none)."""
    path, _, anchor = unquote(link).partition("#")
    if not path:
        return page, anchor
    target = (Path("/") / page.parent / path) if not path.startswith("/") else Path(path)
    return Path(*Path(_normalise(target)).parts[1:]), anchor


def _normalise(path: Path) -> str:
    parts: list[str] = []
    for part in path.parts[1:]:
        if part == "..":
            if parts:
                parts.pop()
            else:
                return "/../" + "/".join(path.parts[1:])  # above the project: never a file of it
        elif part != ".":
            parts.append(part)
    return "/" + "/".join(parts)


def links(page: Path) -> list[str]:
    body = prose(text_of(page) or "")
    found = INLINE_LINK.findall(body) + REFERENCE_LINK.findall(body)
    return [link for link in found if not re.match(r"^[a-zA-Z][\w+.-]*:", link)]  # http:, mailto:, ...


def broken_links(pages: list[Path]) -> list[str]:
    broken = []
    for page in pages:
        for link in links(page):
            target, anchor = resolve(page, link)
            if str(target).startswith(".."):
                broken.append(f"{page}: {link} (outside the project)")
            elif missing(target):
                broken.append(f"{page}: {link} ({target} does not exist)")
            elif anchor and target.suffix == ".md" and (ROOT / target).is_file():
                if anchor not in github_anchors(text_of(target) or ""):
                    broken.append(f"{page}: {link} (no heading of {target} makes #{anchor})")
    return broken


def markdown_pages() -> list[Path]:
    return [f for f in project_files() if f.suffix == ".md"]


def test_every_relative_link_of_every_markdown_file_resolves():
    pages = markdown_pages()
    assert Path("README.md") in pages and Path("docs/README.md") in pages
    broken = broken_links(pages)
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_every_docs_page_named_in_code_scripts_and_settings_exists():
    this_file = Path(__file__).relative_to(ROOT)
    named = []
    for file in project_files():
        text = text_of(file) if file != this_file else None
        for line_number, line in enumerate((text or "").splitlines(), 1):
            named += [f"{file}:{line_number}: {page}" for page in NAMED_PAGE.findall(line) if missing(Path(page))]
    assert not named, "pages named that do not exist:\n" + "\n".join(named)


def test_every_docs_page_is_reachable_from_the_map():
    start = Path("docs/README.md")
    reached, queue = {start}, [start]
    while queue:
        page = queue.pop()
        for link in links(page):
            target, _ = resolve(page, link)
            if target.suffix == ".md" and target.parts[:1] == ("docs",) and target not in reached:
                if (ROOT / target).is_file():
                    reached.add(target)
                    queue.append(target)
    pages = {f for f in markdown_pages() if f.parts[0] == "docs"}
    assert not pages - reached, f"pages under docs/ that docs/README.md does not lead to: {sorted(pages - reached)}"
    assert any(resolve(Path("README.md"), link)[0] == start for link in links(Path("README.md"))), (
        "README.md does not link to the map, docs/README.md"
    )


def test_github_anchors_follow_githubs_rules():
    page = "# Make it yours\n## `bin/train.sh --instances N`\n## Cold start, 2 s: met\n## Cold start, 2 s: met\n"
    page += "```\n## not a heading\n```\n### [Settings](settings.md) and *more*\n"
    assert github_anchors(page) == {
        "make-it-yours",
        "bintrainsh---instances-n",
        "cold-start-2-s-met",
        "cold-start-2-s-met-1",
        "settings-and-more",
    }
