"""The contracts package type-checks under ``mypy --strict``: every field, helper and decode path of model/
is typed, so the layers above can rely on them (no ``Any``/``object``/bare ``dict`` holes slip back in)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.static
def test_mypy_strict_passes_on_model():
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "model"], cwd=REPO, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, f"mypy --strict model:\n{run.stdout}{run.stderr}"
    assert "Success" in run.stdout, run.stdout
