"""Which Chromium build a crawl runs: explicit choice, then the headless shell, then full Chromium."""

from __future__ import annotations

import os
import stat

import pytest

from crawler.browser import browser_build, find_chromium
from crawler.errors import BrowserNotFoundError


def _fake_executable(directory, name: str) -> str:
    path = directory / name
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_headless_shell_is_preferred_over_full_chromium(tmp_path, monkeypatch):
    shell = _fake_executable(tmp_path, "chromium-headless-shell")
    _fake_executable(tmp_path, "chromium")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CONSENTWATCH_CHROMIUM", raising=False)
    assert find_chromium() == shell
    assert browser_build(find_chromium()) == "chromium-headless-shell"


def test_extension_callers_get_full_chromium(tmp_path, monkeypatch):
    _fake_executable(tmp_path, "chromium-headless-shell")
    full = _fake_executable(tmp_path, "chromium")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CONSENTWATCH_CHROMIUM", raising=False)
    assert find_chromium(headless_shell=False) == full


def test_explicit_choice_wins_and_a_wrong_one_is_a_clear_error(tmp_path, monkeypatch):
    _fake_executable(tmp_path, "chromium-headless-shell")
    full = _fake_executable(tmp_path, "chromium")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CONSENTWATCH_CHROMIUM", full)
    assert find_chromium() == full
    with pytest.raises(BrowserNotFoundError, match="nowhere"):
        find_chromium(str(tmp_path / "nowhere"))


def test_this_machine_has_the_headless_shell():
    # `make setup` installs it next to chromium; crawls and browser tests run on it.
    if os.environ.get("CONSENTWATCH_CHROMIUM"):
        pytest.skip("an explicit browser is configured")
    assert browser_build(find_chromium()) == "chromium-headless-shell"
