"""`pytest -m "not browser"` (make test-fast) must start no browser: every collected test that reaches
the crawler fixtures carries the `browser` mark. Checks the items of the running session, so a
fast-tier run fails here if an unmarked browser test slipped into it."""

from __future__ import annotations

import pytest

# fixtures that launch Chromium (directly or through a Crawler built from their options)
BROWSER_FIXTURES = frozenset({"web_crawler", "options_for"})


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
