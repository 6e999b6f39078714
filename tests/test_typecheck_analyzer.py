"""Static gate: ``mypy`` (strict on ``analyzer/``, configured in pyproject.toml's ``[tool.mypy]``) must pass.

Runs mypy as the command line does, from the repository root, so the test and a developer's
``python -m mypy analyzer`` read the same configuration and share the ``.mypy_cache`` (a warm run takes
about a second, a cold one a few seconds of CPU).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_the_configuration_keeps_the_analyzer_strict():
    # The gate below passes as well when the configuration is loosened: this is what keeps it a gate.
    overrides = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["mypy"].get("overrides", [])
    assert any("analyzer.*" in _modules(o) and o.get("strict") is True for o in overrides), \
        "[tool.mypy] must set strict = true for analyzer.*"
    for override in overrides:
        covers_analyzer = any(m == "analyzer" or m.startswith("analyzer.") for m in _modules(override))
        hides_errors = override.get("ignore_errors") or override.get("follow_imports") in ("skip", "silent")
        assert not (covers_analyzer and hides_errors), override


@pytest.mark.static
def test_the_analyzer_type_checks_under_mypy_strict():
    assert importlib.util.find_spec("mypy") is not None, "mypy is missing: pip install -e '.[test]'"
    result = subprocess.run([sys.executable, "-m", "mypy", "analyzer"], cwd=REPO, capture_output=True, text=True,
                            timeout=240)
    assert result.returncode == 0, f"mypy analyzer failed:\n{result.stdout}{result.stderr}"


def _modules(override: dict) -> list[str]:
    """An override's ``module``: one pattern or a list of them."""
    modules = override["module"]
    return [modules] if isinstance(modules, str) else list(modules)
