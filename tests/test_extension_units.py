"""The extension's pure JS helpers (badge colours and contrast, knowledge lookup), tested with
Node's own runner: tests/js/*.test.mjs. No browser."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_node_unit_tests_pass():
    node = shutil.which("node")
    assert node, "node not found: the extension's tests need Node.js 20+"
    files = sorted(str(p) for p in (REPO / "tests" / "js").glob("*.test.mjs"))
    assert files
    run = subprocess.run([node, "--test", *files], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "# fail 0" in run.stdout and "# pass 0" not in run.stdout


@pytest.mark.static
def test_store_packages_build_and_lint():
    # `make extension`: both packages from extension/, the version from its manifest only, each
    # with the background its browser runs, and lint (web-ext for Firefox, our checks for Chrome) clean.
    import json
    import zipfile

    version = json.loads((REPO / "extension" / "manifest.json").read_text())["version"]
    run = subprocess.run(["node", "extension/tools/package.mjs"], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert run.returncode == 0, run.stderr
    built = json.loads(run.stdout.strip().splitlines()[-1])
    assert built["version"] == version
    with zipfile.ZipFile(built["chrome"]) as z:
        names = set(z.namelist())
        chrome = json.loads(z.read("manifest.json"))
    assert chrome["version"] == version and chrome["background"] == {"service_worker": "background.js"}
    assert "browser_specific_settings" not in chrome
    assert {"popup.html", "lib/badge.js", "lib/knowledge.js", "vendor/tldts.min.js"} <= names
    assert not any(n.startswith("tools/") or n == "README.md" for n in names)
    with zipfile.ZipFile(built["firefox"]) as z:
        firefox = json.loads(z.read("manifest.json"))
        assert set(z.namelist()) == names
    assert firefox["version"] == version and "service_worker" not in firefox["background"]
    assert firefox["background"]["scripts"][-1] == "background.js"
    assert firefox["browser_specific_settings"]["gecko"]["id"]
