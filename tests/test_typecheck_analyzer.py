"""Static gate: ``mypy`` (strict on ``analyzer/``, configured in pyproject.toml's ``[tool.mypy]``) must pass.

Runs mypy as the command line does, from the repository root, so the test and a developer's
``python -m mypy analyzer`` read the same configuration and share the ``.mypy_cache`` (a warm run takes
about a second, a cold one a few seconds of CPU).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_analyzer_type_checks_under_mypy_strict() -> None:
    assert importlib.util.find_spec("mypy") is not None, "mypy is missing: pip install -e '.[test]'"
    result = subprocess.run([sys.executable, "-m", "mypy", "analyzer"], cwd=REPO, capture_output=True, text=True,
                            timeout=240)
    assert result.returncode == 0, f"mypy analyzer failed:\n{result.stdout}{result.stderr}"
