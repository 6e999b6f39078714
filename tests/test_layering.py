"""The layers import only downward: model ← crawler ← analyzer ← api, and the fake internet only model and
the crawler. The contracts package ``model`` imports no project layer and no heavy third party: of the
outside world only the standard library, msgspec and tldextract (never Playwright, never aiohttp).

Checked over the source (``ast``), so an upward import fails the test run even when it sits in a branch no
other test executes; and checked live for the contracts that must load without a browser or a web server.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PROJECT_PACKAGES = ("model", "crawler", "analyzer", "api")

# package (or sub-package) → project packages it must never import; the first matching prefix wins.
FORBIDDEN: tuple[tuple[str, frozenset[str]], ...] = (
    ("model", frozenset({"crawler", "analyzer", "api"})),
    ("crawler.testing", frozenset({"analyzer", "api"})),
    ("crawler", frozenset({"analyzer", "api"})),
    ("analyzer", frozenset({"api"})),
    ("api", frozenset()),
)


# What the contracts may import from outside the project: the standard library and these.
MODEL_THIRD_PARTY = frozenset({"msgspec", "tldextract"})
HEAVY = frozenset({"playwright", "aiohttp"})


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every absolute module a file imports, relative imports resolved against its package."""
    return imports_in(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")


def imports_in(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
    return found


def forbidden_for(module: str) -> frozenset[str]:
    for prefix, banned in FORBIDDEN:
        if module == prefix or module.startswith(prefix + "."):
            return banned
    return frozenset()


def source_files() -> list[Path]:
    return sorted(p for pkg in PROJECT_PACKAGES for p in (REPO / pkg).rglob("*.py"))


def test_the_source_tree_is_found():
    files = source_files()
    assert len(files) > 50, files
    assert {module_name(p).split(".")[0] for p in files} == set(PROJECT_PACKAGES)


def test_no_layer_imports_a_higher_one():
    violations = []
    for path in source_files():
        banned = forbidden_for(module_name(path))
        for line, target in imported_modules(path):
            if target.split(".")[0] in banned:
                violations.append(f"{path.relative_to(REPO)}:{line} imports {target}")
    assert not violations, "upward imports:\n" + "\n".join(violations)


def outside_imports_not_allowed_in_model(targets: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Imports of anything but the standard library, ``model`` itself and MODEL_THIRD_PARTY."""
    allowed = set(sys.stdlib_module_names) | MODEL_THIRD_PARTY | {"model", "__future__"}
    return [(line, t) for line, t in targets if t.split(".")[0] not in allowed]


def test_the_contracts_import_only_the_standard_library_msgspec_and_tldextract():
    files = sorted((REPO / "model").rglob("*.py"))
    assert len(files) >= 5, files
    outside = [f"{path.relative_to(REPO)}:{line} imports {target}"
               for path in files for line, target in outside_imports_not_allowed_in_model(imported_modules(path))]
    assert not outside, "the model package imports outside its allowance:\n" + "\n".join(outside)


def test_the_model_checker_flags_heavy_and_project_imports():
    source = ("import json\nimport msgspec\nfrom typing import Literal\nfrom . import capture\n"
              "def f():\n    import aiohttp.web\n    from playwright.async_api import Page\n"
              "from crawler.errors import CrawlError\nimport yaml\n")
    flagged = [t for _, t in outside_imports_not_allowed_in_model(imports_in(source, "model.report", is_package=False))]
    assert sorted(flagged) == ["aiohttp.web", "crawler.errors", "playwright.async_api", "yaml"]
    assert [t for t in flagged if t.split(".")[0] in forbidden_for("model.report")] == ["crawler.errors"]


def test_the_fake_internet_imports_only_the_crawler_from_the_project():
    outside = []
    for path in sorted((REPO / "crawler" / "testing").rglob("*.py")):
        for line, target in imported_modules(path):
            top = target.split(".")[0]
            if top in PROJECT_PACKAGES and top not in ("model", "crawler"):  # the contracts and the crawler
                outside.append(f"{path.relative_to(REPO)}:{line} imports {target}")
    assert not outside, "\n".join(outside)


def test_the_checker_sees_relative_and_lazy_imports():
    """The resolver itself: relative imports climb packages, imports inside functions count too."""
    source = "from ...api import x\nfrom .. import capture\ndef f():\n    import analyzer.audit\n"
    targets = [t for _, t in imports_in(source, "crawler.collectors.m", is_package=False)]
    assert targets == ["api", "crawler", "analyzer.audit"]
    banned = forbidden_for("crawler.collectors.m")
    assert [t for t in targets if t.split(".")[0] in banned] == ["api", "analyzer.audit"]
    assert [t for _, t in imports_in("from . import x", "crawler.testing", is_package=True)] == ["crawler.testing"]


@pytest.mark.parametrize(("module", "banned"), [
    ("model", HEAVY),
    ("model.capture", HEAVY),
    ("model.report", HEAVY),
    ("model.errors", HEAVY),
    ("model.domains", HEAVY),
    ("analyzer.audit", frozenset({"playwright"})),
])
def test_contracts_load_without_a_browser_or_a_web_server(module, banned):
    code = (
        f"import sys, {module}\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {sorted(banned)!r})\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = result.stdout.strip()
    assert loaded == "", f"importing {module} loads {'/'.join(sorted(banned))} ({loaded[:120]}…)"
