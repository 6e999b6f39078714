"""A browser that will not close is killed (crawler/browser_process.py): after a hostile page swamped it, its
graceful close took 20 s and more. Only its own process group is ever signalled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import crawler.browser as browser_module
from crawler import Crawler
from crawler.browser_process import browser_process_groups, kill_browser

SLEEPER = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); " \
          "time.sleep(120)"


def _group(profile_dir: str, *, own_session: bool) -> subprocess.Popen:
    """A stand-in browser: a process started with the profile flag, and a child of it in its group."""
    flag = f"--user-data-dir={profile_dir}"
    proc = subprocess.Popen([sys.executable, "-c", SLEEPER, flag], start_new_session=own_session)
    # Popen returns once the exec has begun, a moment before the kernel has set up the new command line:
    # /proc/<pid>/cmdline read then is empty (an idle run found no group once). Wait until it shows the flag.
    cmdline = Path(f"/proc/{proc.pid}/cmdline")
    end = time.monotonic() + 10.0
    while flag.encode() not in cmdline.read_bytes().split(b"\0"):
        assert time.monotonic() < end, f"the stand-in browser never showed {flag} in its command line"
        time.sleep(0.01)
    return proc


def _live_members(pgid: int) -> set[int]:
    """Processes of the group that are not dead yet (a killed child stays a zombie until init reaps it)."""
    out = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and os.getpgid(int(entry.name)) == pgid:
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state not in ("Z", "X"):
                    out.add(int(entry.name))
        except (OSError, IndexError):
            continue
    return out


def _until_dead(pgid: int, within_s: float = 30.0) -> set[int]:
    """Waits for SIGKILL to reach every process of the group; returns any still alive at the end."""
    end = time.monotonic() + within_s
    while (alive := _live_members(pgid)) and time.monotonic() < end:
        time.sleep(0.05)
    return alive


def test_kill_browser_ends_the_whole_group_of_that_profile_only(tmp_path):
    mine, other = str(tmp_path / "profile"), str(tmp_path / "profile-other")
    target, bystander = _group(mine, own_session=True), _group(other, own_session=True)
    try:
        assert browser_process_groups(mine) == {target.pid}
        assert kill_browser(mine) == 1
        assert target.wait(timeout=30) == -signal.SIGKILL
        assert not _until_dead(target.pid), "the child in the browser's group must go too"
        assert bystander.poll() is None and browser_process_groups(other) == {bystander.pid}
    finally:
        for proc in (target, bystander):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def test_a_process_in_our_own_group_is_never_signalled(tmp_path):
    profile = str(tmp_path / "profile")
    same_group = _group(profile, own_session=False)
    try:
        assert browser_process_groups(profile) == set()
        assert kill_browser(profile) == 0 and same_group.poll() is None
    finally:
        same_group.kill()
        same_group.wait()


@pytest.mark.browser
async def test_a_browser_that_does_not_close_is_killed(fake_web, options_for, monkeypatch):
    monkeypatch.setattr(browser_module, "CLOSE_GRACE_S", 1.0)
    crawler = Crawler(options_for(fake_web, visits=("baseline",)))
    await crawler.__aenter__()
    launched = crawler.browser
    (group,) = browser_process_groups(launched.profile_dir)
    os.killpg(group, signal.SIGSTOP)  # a browser that never answers the close
    try:
        await crawler.__aexit__(None, None, None)
    finally:
        if browser_process_groups(launched.profile_dir):
            os.killpg(group, signal.SIGKILL)
    assert launched.killed
    assert not browser_process_groups(launched.profile_dir)
    assert not Path(launched.profile_dir).exists()


@pytest.mark.browser
async def test_a_browser_that_closes_is_not_killed(fake_web, options_for):
    async with Crawler(options_for(fake_web, visits=("baseline",))) as crawler:
        launched = crawler.browser
        assert browser_process_groups(launched.profile_dir)
    assert not launched.killed
    assert not browser_process_groups(launched.profile_dir)
