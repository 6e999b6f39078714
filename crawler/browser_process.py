"""The browser's own processes, found by the profile directory they were started with, and killed when the
browser will not close.

Playwright does not give out the browser's pid, and its close waits for a graceful shutdown: a browser
swamped by a hostile page (hundreds of frames and workers) took 20 s and more to close that way on a loaded
2-core machine, the whole time spent on the pages it is being closed to get rid of. Playwright starts the
browser in a process group of its own (every renderer, zygote and utility process inherits it), so one
signal to that group ends all of it. Linux only, as the crawler is (it reads ``/proc``).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path


def browser_process_groups(profile_dir: str) -> set[int]:
    """Process groups led by a process started with ``--user-data-dir=profile_dir``; never our own."""
    flag = f"--user-data-dir={profile_dir}".encode()
    groups: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if flag not in (entry / "cmdline").read_bytes().split(b"\0"):
                continue
            pid = int(entry.name)
            if os.getpgid(pid) == pid:
                groups.add(pid)
        except (OSError, ValueError):
            continue  # gone meanwhile, or not ours to read
    groups.discard(os.getpgrp())
    return groups


def kill_browser(profile_dir: str) -> int:
    """SIGKILL every process group of the browser using ``profile_dir``. Returns how many were signalled."""
    killed = 0
    for group in browser_process_groups(profile_dir):
        try:
            os.killpg(group, signal.SIGKILL)
            killed += 1
        except ProcessLookupError:
            continue
    return killed
