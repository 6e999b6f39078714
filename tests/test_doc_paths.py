"""Every repository path the docs name exists: README.md and docs/*.md may not point at modules,
data files or directories that were renamed or never written."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
TOP_LEVEL = sorted(p.name for p in REPO.iterdir() if p.is_dir() and not p.name.startswith("."))
FILE_SUFFIXES = ("py", "yaml", "yml", "json", "js", "mjs", "md", "sql", "html", "txt", "toml", "css", "j2")

# A path token: segments of word characters joined by "/", ending in a file suffix or a "/".
PATH_TOKEN = re.compile(
    r"(?<![\w./:-])((?:[\w-]+/)+(?:[\w.-]+\.(?:" + "|".join(FILE_SUFFIXES) + r")\b|(?=[\s`)\],;:'\"]|$)))"
)
URL = re.compile(r"\b\w+://\S+")


def repo_paths_in(text: str) -> set[str]:
    """Tokens that name something inside the repository: they start with one of its top-level entries,
    or are a file path (with a suffix) anywhere."""
    text = URL.sub(" ", text)
    found = set()
    for token in PATH_TOKEN.findall(text):
        first = token.split("/", 1)[0]
        if first in TOP_LEVEL or not token.endswith("/"):
            found.add(token)
    return found


def resolves(doc: Path, token: str) -> bool:
    return (REPO / token).exists() or (doc.parent / token).exists()


def test_the_docs_are_found_and_name_paths():
    assert (REPO / "docs" / "ARCHITECTURE.md") in DOCS
    assert "crawler" in TOP_LEVEL and "analyzer" in TOP_LEVEL
    assert len(repo_paths_in((REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8"))) > 10


def test_every_path_the_docs_name_exists():
    missing = []
    for doc in DOCS:
        for token in sorted(repo_paths_in(doc.read_text(encoding="utf-8"))):
            if not resolves(doc, token):
                missing.append(f"{doc.relative_to(REPO)}: {token}")
    assert not missing, "paths named in the docs that do not exist:\n" + "\n".join(missing)


def test_the_path_finder_sees_files_and_directories_but_not_urls():
    text = ("see `crawler/policy_discovery.py` and analyzer/report.py, the api/store/ package, "
            "GET /v1/sites/{domain}, https://example.com/a/b.js, ../shared/seeds/ and (consent/tcf.py).")
    assert repo_paths_in(text) == {"crawler/policy_discovery.py", "analyzer/report.py", "api/store/",
                                   "consent/tcf.py"}
