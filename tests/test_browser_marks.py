"""`pytest -m "not browser"` (make test-fast) must start no browser. Three checks:
- the items of the running session: every test that reaches the crawler fixtures carries the `browser` mark;
- at run time (tests/conftest.py `_browsers_only_in_browser_tests`): in an unmarked test, Playwright's launch
  and connect calls raise, whatever code path reaches them (a Crawler, the API's crawl jobs, a bare Playwright);
- statically, for browsers started in another process (the CLI with `--demo-web`, Firefox over BiDi, a
  Playwright driver): no unmarked test function, nor a fixture or helper of its module that it uses, names them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# fixtures that launch Chromium (directly or through a Crawler built from their options)
BROWSER_FIXTURES = frozenset({"web_crawler", "options_for"})
# names that start a browser out of this process, or around the run-time check
BROWSER_NAMES = frozenset({"async_playwright", "sync_playwright", "Firefox", "running_service",
                           *BROWSER_FIXTURES})
BROWSER_ARGS = ("--demo-web",)
REFUSED = r"{name} starts a browser: mark it @pytest.mark.browser"  # conftest.UnmarkedBrowserLaunch


def unmarked_browser_tests(items: list[pytest.Item]) -> list[str]:
    return [item.nodeid for item in items
            if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ()))
            and item.get_closest_marker("browser") is None]


def test_every_collected_browser_test_is_marked(request):
    unmarked = unmarked_browser_tests(request.session.items)
    assert not unmarked, "tests using a browser fixture without @pytest.mark.browser:\n" + "\n".join(unmarked)


def test_the_mark_check_sees_an_unmarked_browser_test(request):
    marked = [i for i in request.session.items if i.get_closest_marker("browser")]
    probe = type("Probe", (), {"nodeid": "probe::test", "fixturenames": ["web_crawler"],
                               "get_closest_marker": lambda self, name: None})()
    assert unmarked_browser_tests([probe]) == ["probe::test"]
    assert unmarked_browser_tests(marked) == []


async def test_an_unmarked_test_cannot_launch_a_browser():
    """Every way Playwright starts or reaches a browser raises here. Called on the classes the crawler's and the
    tests' Playwright objects are instances of, so the check itself starts no Playwright driver."""
    from playwright.async_api import BrowserType as AsyncBrowserType
    from playwright.sync_api import BrowserType as SyncBrowserType

    refused = REFUSED.format(name="test_an_unmarked_test_cannot_launch_a_browser")
    for browser_type in (AsyncBrowserType, SyncBrowserType):
        for method in ("launch", "launch_persistent_context", "connect", "connect_over_cdp"):
            with pytest.raises(AssertionError, match=refused):
                getattr(browser_type, method)(object())


# ---------------------------------------------------------------------------- static: other processes


def _marked(decorators: list[ast.expr]) -> bool:
    return any("mark.browser" in ast.unparse(d) for d in decorators)


def _module_marked(tree: ast.Module) -> bool:
    return any(isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "pytestmark" for t in n.targets)
               and "mark.browser" in ast.unparse(n.value) for n in tree.body)


def _browser_names(fn: ast.AST, local: dict[str, ast.AST], seen: set[str]) -> set[str]:
    """Browser names ``fn`` uses itself or through the module's functions (fixtures, helpers) it names."""
    hits: set[str] = set()
    names = [n.id for n in ast.walk(fn) if isinstance(n, ast.Name)]
    names += [n.attr for n in ast.walk(fn) if isinstance(n, ast.Attribute)]
    if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
        names += [a.arg for a in fn.args.args]  # requested fixtures
    hits |= {n for n in names if n in BROWSER_NAMES}
    hits |= {c.value for c in ast.walk(fn) if isinstance(c, ast.Constant) and isinstance(c.value, str)
             and any(arg in c.value for arg in BROWSER_ARGS)}
    for name in names:
        if name in local and name not in seen:
            seen.add(name)
            hits |= _browser_names(local[name], local, seen)
    return hits


def unmarked_browser_functions(source: str, filename: str) -> list[str]:
    tree = ast.parse(source, filename)
    if _module_marked(tree):
        return []
    local = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    out = []
    for name, fn in local.items():
        if name.startswith("test_") and isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) \
                and not _marked(fn.decorator_list) and (hits := _browser_names(fn, local, {name})):
            out.append(f"{filename}::{name} uses {', '.join(sorted(hits))}")
    return out


def test_no_unmarked_test_starts_a_browser_in_another_process():
    found = [hit for path in sorted(TESTS.glob("test_*.py")) if path.name != Path(__file__).name  # its probes
             for hit in unmarked_browser_functions(path.read_text(), path.name)]
    assert not found, "unmarked tests that start a browser:\n" + "\n".join(found)


def test_the_static_check_sees_browsers_through_helpers_and_fixtures():
    source = '''
import pytest
@pytest.fixture
def browser_env():
    return run_cli("audit", "--demo-web", "x.com")
def helper():
    return Firefox(path)
def test_direct(): run_cli("crawl", "--demo-web", "a.com")
def test_through_fixture(browser_env): pass
def test_through_helper(): helper()
def test_plain(): run_cli("policy", "p.html")
@pytest.mark.browser
def test_marked(): helper()
'''
    assert unmarked_browser_functions(source, "probe.py") == [
        "probe.py::test_direct uses --demo-web", "probe.py::test_through_fixture uses --demo-web",
        "probe.py::test_through_helper uses Firefox"]
    assert unmarked_browser_functions("import pytest\npytestmark = pytest.mark.browser\n" + source, "m.py") == []
