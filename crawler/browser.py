"""Chromium discovery and launch.

Discovery order: explicit path (option or ``CONSENTWATCH_CHROMIUM``) → Chromium's headless shell
(Debian ``chromium-headless-shell``: the same engine without the desktop browser around it, about
twice the visits per core) → system Chromium on PATH → Playwright's own downloaded browser. Callers
that need the full browser (extensions: the shell cannot load them) pass ``headless_shell=False``. Launch goes through a persistent profile whose preferences
allow third-party cookies (a new Chromium blocks them by default, which a default desktop browser
of most users does not); every visit then gets its own isolated ``browser.new_context()``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Playwright

from .errors import BrowserNotFoundError

HEADLESS_SHELL_CANDIDATES = ("chromium-headless-shell",)
HEADLESS_SHELL_PATHS = ("/usr/lib/chromium/chromium-headless-shell",)  # Debian's binary, when not on PATH
SYSTEM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Quiet flags measured on these machines (../shared/PLATFORM.md): no background chatter, no QUIC.
QUIET_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--mute-audio",
)


@dataclass(frozen=True)
class BrowserOptions:
    chromium: str | None = None  # explicit executable path
    host_rules: str | None = None  # Chromium --host-resolver-rules
    ignore_https_errors: bool = False
    extra_args: tuple[str, ...] = ()
    headless: bool = True
    user_agent: str | None = None  # None: a normal desktop UA derived from the browser version
    locale: str = "en-US"
    viewport: tuple[int, int] = (1366, 768)


def find_chromium(explicit: str | None = None, headless_shell: bool = True) -> str | None:
    """Return an executable path, or None to let Playwright use its own downloaded browser."""
    explicit = explicit or os.environ.get("CONSENTWATCH_CHROMIUM")
    if explicit:
        path = Path(explicit)
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        found = shutil.which(explicit)
        if found:
            return found
        raise BrowserNotFoundError(f"Chromium not found at {explicit!r} (from --chromium / CONSENTWATCH_CHROMIUM)")
    shells = HEADLESS_SHELL_CANDIDATES + HEADLESS_SHELL_PATHS if headless_shell else ()
    for name in shells + SYSTEM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    if _playwright_browser_present():
        return None
    raise BrowserNotFoundError(
        "No Chromium found. Either pass --chromium PATH or set CONSENTWATCH_CHROMIUM, "
        "or install a system Chromium (Debian: apt-get install chromium-headless-shell chromium; "
        "they give /usr/bin/chromium-headless-shell and /usr/bin/chromium), "
        "or download Playwright's own browser with `playwright install chromium`."
    )


def browser_build(executable: str | None) -> str:
    """A short name of the build that runs: "chromium-headless-shell", "chromium", or Playwright's own."""
    if executable is None:
        return "playwright-chromium"
    return Path(os.path.realpath(executable)).name


def _playwright_browser_present() -> bool:
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    return any(root.glob("chromium-*/chrome-linux*/chrome")) or any(root.glob("chromium_headless_shell-*"))


def launch_args(options: BrowserOptions) -> list[str]:
    args = list(QUIET_ARGS)
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run sandboxed as root
    if options.host_rules:
        args.append(f"--host-resolver-rules={options.host_rules}")
    if options.ignore_https_errors:
        args.append("--ignore-certificate-errors")
    args.extend(options.extra_args)
    return args


def desktop_user_agent(version: str) -> str:
    # HeadlessChrome in the UA makes some consent managers serve bots differently.
    major = version.split(".", 1)[0]
    return (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{major}.0.0.0 Safari/537.36"
    )


@dataclass
class LaunchedBrowser:
    """A running Chromium whose new contexts accept third-party cookies."""

    profile_context: BrowserContext
    browser: Browser
    profile_dir: str
    user_agent: str
    options: BrowserOptions
    executable: str | None = None
    _closed: bool = field(default=False, repr=False)

    @property
    def version(self) -> str:
        return self.browser.version

    @property
    def build(self) -> str:
        return browser_build(self.executable)

    @property
    def connected(self) -> bool:
        return not self._closed and self.browser.is_connected()

    async def new_context(self, **kwargs) -> BrowserContext:
        return await self.browser.new_context(
            user_agent=self.user_agent,
            ignore_https_errors=self.options.ignore_https_errors,
            locale=self.options.locale,
            viewport={"width": self.options.viewport[0], "height": self.options.viewport[1]},
            **kwargs,
        )

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self.profile_context.close()
        except Exception:  # noqa: BLE001 - a crashed browser cannot be closed twice
            pass
        shutil.rmtree(self.profile_dir, ignore_errors=True)


def _make_profile_dir() -> str:
    profile = tempfile.mkdtemp(prefix="consentwatch-profile-")
    default = Path(profile, "Default")
    default.mkdir()
    prefs = {"profile": {"cookie_controls_mode": 0}}
    (default / "Preferences").write_text(json.dumps(prefs))
    return profile


async def launch(playwright: Playwright, options: BrowserOptions) -> LaunchedBrowser:
    executable = find_chromium(options.chromium)
    profile = _make_profile_dir()
    try:
        context = await playwright.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=options.headless,
            args=launch_args(options),
        )
    except Exception:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    browser = context.browser
    assert browser is not None  # Playwright gives persistent contexts a Browser since 1.4x
    user_agent = options.user_agent or desktop_user_agent(browser.version)
    return LaunchedBrowser(context, browser, profile, user_agent, options, executable)
