"""Chromium discovery and launch.

Discovery order: explicit path (option or ``CONSENTWATCH_CHROMIUM``) → system Chromium on PATH →
Playwright's own downloaded browser. Launch goes through a persistent profile whose preferences
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

from playwright.async_api import Browser, BrowserContext, Page, Playwright

from . import disguise
from .errors import BrowserNotFoundError

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
# Not an automated browser to the pages it audits (crawler/disguise.py).
VISITOR_ARGS = disguise.DISGUISE_ARGS


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


def find_chromium(explicit: str | None = None) -> str | None:
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
    for name in SYSTEM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    if _playwright_browser_present():
        return None
    raise BrowserNotFoundError(
        "No Chromium found. Either pass --chromium PATH or set CONSENTWATCH_CHROMIUM, "
        "or install a system Chromium (Debian: apt-get install chromium; it gives /usr/bin/chromium), "
        "or download Playwright's own browser with `playwright install chromium`."
    )


def _playwright_browser_present() -> bool:
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    return any(root.glob("chromium-*/chrome-linux*/chrome")) or any(root.glob("chromium_headless_shell-*"))


def launch_args(options: BrowserOptions) -> list[str]:
    args = list(QUIET_ARGS) + list(VISITOR_ARGS)
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
    return disguise.desktop_user_agent(version)


@dataclass
class LaunchedBrowser:
    """A running Chromium whose new contexts accept third-party cookies."""

    profile_context: BrowserContext
    browser: Browser
    profile_dir: str
    user_agent: str
    options: BrowserOptions
    executable: str | None = None
    user_agent_in_flag: bool = False  # set browser-wide by --user-agent: contexts must not override it
    brand_override: bool = False  # the build's client hints name HeadlessChrome: override them per page
    _closed: bool = field(default=False, repr=False)

    @property
    def version(self) -> str:
        return self.browser.version

    @property
    def connected(self) -> bool:
        return not self._closed and self.browser.is_connected()

    async def new_context(self, **kwargs) -> BrowserContext:
        if not self.user_agent_in_flag:
            kwargs.setdefault("user_agent", self.user_agent)
        return await self.browser.new_context(
            ignore_https_errors=self.options.ignore_https_errors,
            locale=self.options.locale,
            viewport={"width": self.options.viewport[0], "height": self.options.viewport[1]},
            **kwargs,
        )

    async def new_page(self, context: BrowserContext) -> Page:
        """A page that shows a desktop Chromium's client hints (crawler/disguise.py)."""
        page = await context.new_page()
        if self.brand_override:
            await disguise.disguise_page(context, page, self.user_agent, self.version, self.options.locale)
        return page

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
    version = disguise.chromium_version(executable or playwright.chromium.executable_path)
    flag_agent = options.user_agent or (desktop_user_agent(version) if version else None)
    args = launch_args(options) + ([f"--user-agent={flag_agent}"] if flag_agent else [])
    profile = _make_profile_dir()
    try:
        context = await playwright.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=options.headless,
            args=args,
        )
    except Exception:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    browser = context.browser
    assert browser is not None  # Playwright gives persistent contexts a Browser since 1.4x
    user_agent = flag_agent or desktop_user_agent(browser.version)
    return LaunchedBrowser(context, browser, profile, user_agent, options, executable,
                           user_agent_in_flag=flag_agent is not None,
                           brand_override=disguise.needs_brand_override(executable, options.headless))
