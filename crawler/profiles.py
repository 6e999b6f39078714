"""Temporary Chromium profile directories, and removing the ones a killed process left behind.

Each profile holds ``consentwatch.lock``, flock-ed by the process that made it for as long as its
browser runs. The kernel drops the lock when that process dies (even by kill -9), so on the next
start a profile whose lock can be taken is stale. Older profiles without the lock file are judged
by Chromium's own ``SingletonLock`` (``hostname-pid``) and their age.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

PROFILE_PREFIX = "consentwatch-profile-"
LOCK_NAME = "consentwatch.lock"
UNLOCKED_GRACE_S = 120.0  # a profile without our lock younger than this may still be starting


class Profile:
    """A fresh profile directory, locked by this process until ``remove()``."""

    def __init__(self, root: str | None = None) -> None:
        self.path = tempfile.mkdtemp(prefix=PROFILE_PREFIX, dir=root)
        self._lock_fd: int | None = os.open(Path(self.path, LOCK_NAME), os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        os.write(self._lock_fd, f"{os.getpid()}\n".encode())
        default = Path(self.path, "Default")
        default.mkdir()
        prefs = {"profile": {"cookie_controls_mode": 0},  # accept third-party cookies (PLATFORM.md)
                 # WebRTC may not send UDP around the guard proxy (a STUN request to an internal host).
                 "webrtc": {"ip_handling_policy": "disable_non_proxied_udp", "multiple_routes_enabled": False,
                            "nonproxied_udp_enabled": False}}
        (default / "Preferences").write_text(json.dumps(prefs))

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def remove_stale_profiles(root: str | None = None) -> list[str]:
    """Delete profiles whose owning process is gone; never one a live process uses. Returns them."""
    removed = []
    for path in Path(root or tempfile.gettempdir()).glob(PROFILE_PREFIX + "*"):
        try:
            if path.is_symlink() or not path.is_dir() or path.stat().st_uid != os.getuid():
                continue
            if _is_stale(path):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(str(path))
        except OSError:
            continue  # vanished meanwhile, or not ours to read
    return removed


def _is_stale(path: Path) -> bool:
    lock = path / LOCK_NAME
    if lock.exists():
        fd = os.open(lock, os.O_RDWR | os.O_NOFOLLOW)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            info = os.fstat(fd)
        except BlockingIOError:
            return False  # the owner is alive and holds it
        finally:
            os.close(fd)  # also releases the lock we may have taken
        # Empty and young: its owner opened the file but has not locked it yet.
        return info.st_size > 0 or time.time() - info.st_mtime > UNLOCKED_GRACE_S
    if _chromium_owner_alive(path):
        return False
    return time.time() - path.stat().st_mtime > UNLOCKED_GRACE_S


def _chromium_owner_alive(path: Path) -> bool:
    try:
        target = os.readlink(path / "SingletonLock")  # "hostname-pid"
    except OSError:
        return False
    host, _, pid = target.rpartition("-")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's, or unreadable: not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
