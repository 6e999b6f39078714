"""Chromium discovery and launch.

Discovery order: explicit path (option or ``CONSENTWATCH_CHROMIUM``) → Chromium's headless shell
(Debian ``chromium-headless-shell``: the same engine without the desktop browser around it, about
twice the visits per core) → system Chromium on PATH → Playwright's own downloaded browser. Callers
that need the full browser (extensions: the shell cannot load them) pass ``headless_shell=False``.
Launch goes through a persistent profile whose preferences allow third-party cookies (a new Chromium
blocks them by default, which a default desktop browser of most users does not); every visit then gets its
own isolated ``browser.new_context()``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import weakref
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page, Playwright

from model.capture import BlockedRequest

from . import disguise
from .browser_process import kill_browser
from .errors import BrowserNotFoundError, CrawlError
from .netguard import AddressPolicy, GuardProxy, HostRules, Resolve, dns_server_resolver, system_resolve
from .profiles import Profile, remove_stale_profiles
from .worker_disguise import WorkerDisguise

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
# Every connection goes through the context's guard proxy (crawler/netguard): WebRTC may not send
# UDP around it, and loopback is not exempt (Chromium bypasses proxies for loopback by default).
GUARD_ARGS = ("--force-webrtc-ip-handling-policy=disable_non_proxied_udp",)
PROXY_BYPASS = "<-loopback>"
# A close longer than this is a browser swamped by a page (a storm of frames and workers took 20 s and more
# on a loaded 2-core machine): it is killed instead (crawler/browser_process.py).
CLOSE_GRACE_S = 5.0
DETACH_GRACE_S = 1.0  # detaching the worker disguise's CDP session: a courtesy to a browser about to close
# Flags that would route around the guard proxy or make it see the wrong names.
GUARD_CONFLICTS = ("--host-resolver-rules", "--proxy-server", "--proxy-bypass-list", "--no-proxy-server",
                   "--proxy-pac-url", "--proxy-auto-detect")
# Not an automated browser to the pages it audits (crawler/disguise.py).
VISITOR_ARGS = disguise.DISGUISE_ARGS


@dataclass(frozen=True)
class BrowserOptions:
    chromium: str | None = None  # explicit executable path
    host_rules: str | None = None  # Chromium --host-resolver-rules syntax, applied by the guard proxy
    allow_hosts: tuple[str, ...] = ()  # hosts, *.suffixes or CIDRs the address policy lets through
    dns_server: str | None = None  # "ip[:port]" the guard proxy resolves names with; None: the system's
    ignore_https_errors: bool = False
    extra_args: tuple[str, ...] = ()
    headless: bool = True
    user_agent: str | None = None  # None: a normal desktop UA derived from the browser version
    locale: str = "en-US"
    viewport: tuple[int, int] = (1366, 768)
    worker_disguise: bool = True  # shared/service workers get the page's client hints too (headless shell)


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
    args = list(QUIET_ARGS) + list(VISITOR_ARGS)
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run sandboxed as root
    args.extend(GUARD_ARGS)  # host rules are the guard proxy's job: Chromium resolves nothing itself
    for arg in options.extra_args:
        if arg.split("=", 1)[0] in GUARD_CONFLICTS:
            raise CrawlError(f"{arg.split('=', 1)[0]} cannot be passed to Chromium: every connection goes through "
                             "the crawler's guard proxy (give host rules as BrowserOptions.host_rules / --host-rules)")
    if options.ignore_https_errors:
        args.append("--ignore-certificate-errors")
    args.extend(options.extra_args)
    return args


def desktop_user_agent(version: str) -> str:
    # HeadlessChrome in the UA makes some consent managers serve bots differently.
    return disguise.desktop_user_agent(version)


@dataclass(frozen=True)
class NetworkGuard:
    """What every guard proxy of one browser shares: policy, host rules, resolver."""

    policy: AddressPolicy
    rules: HostRules
    resolve: Resolve

    @classmethod
    def from_options(cls, options: BrowserOptions) -> NetworkGuard:
        resolve = dns_server_resolver(options.dns_server) if options.dns_server else system_resolve
        return cls(AddressPolicy.allowing(options.allow_hosts), HostRules.parse(options.host_rules), resolve)

    async def start_proxy(self) -> GuardProxy:
        return await GuardProxy(self.policy, self.resolve, self.rules).start()


@dataclass
class LaunchedBrowser:
    """A running Chromium whose new contexts accept third-party cookies and connect only through
    their own guard proxy."""

    profile_context: BrowserContext
    browser: Browser
    profile_dir: str
    user_agent: str
    options: BrowserOptions
    executable: str | None = None
    guard: NetworkGuard | None = None
    fallback_proxy: GuardProxy | None = None  # the browser-wide proxy, for anything outside our contexts
    profile: Profile | None = None
    user_agent_in_flag: bool = False  # set browser-wide by --user-agent: contexts must not override it
    brand_override: bool = False  # the build's client hints name HeadlessChrome: override them per page
    worker_disguise: WorkerDisguise | None = None  # and in shared/service workers (crawler/worker_disguise.py)
    killed: bool = False  # did not close within CLOSE_GRACE_S and was killed instead
    _closed: bool = field(default=False, repr=False)
    _proxies: weakref.WeakKeyDictionary[BrowserContext, GuardProxy] = field(
        default_factory=weakref.WeakKeyDictionary, repr=False)
    _open_proxies: set[GuardProxy] = field(default_factory=set, repr=False)  # closed even if a context never is
    _cdp_context_ids: weakref.WeakKeyDictionary[BrowserContext, str] = field(
        default_factory=weakref.WeakKeyDictionary, repr=False)

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
        """A fresh isolated context behind a guard proxy of its own, which closes with it."""
        guard = self.guard or NetworkGuard.from_options(self.options)
        proxy = await guard.start_proxy()
        try:
            if not self.user_agent_in_flag:
                kwargs.setdefault("user_agent", self.user_agent)
            context = await self.browser.new_context(
                ignore_https_errors=self.options.ignore_https_errors,
                locale=self.options.locale,
                viewport={"width": self.options.viewport[0], "height": self.options.viewport[1]},
                proxy={"server": proxy.server, "bypass": PROXY_BYPASS},
                **kwargs,
            )
        except BaseException:
            proxy.close()
            raise
        self._proxies[context] = proxy
        self._open_proxies.add(proxy)
        context.on("close", lambda _context: self._close_proxy(proxy))
        return context

    @property
    def open_guard_proxies(self) -> int:
        """Guard proxies still listening: one per open context (the tests check none outlives it)."""
        return len(self._open_proxies)

    def _close_proxy(self, proxy: GuardProxy) -> None:
        proxy.close()
        self._open_proxies.discard(proxy)

    def blocked_requests(self, context: BrowserContext) -> list[BlockedRequest]:
        """Connections the context's guard proxy refused so far (also after the context closed)."""
        proxy = self._proxies.get(context)
        return list(proxy.blocked) if proxy is not None else []

    def unreachable_notes(self, context: BrowserContext) -> list[str]:
        """Why the context's other connections failed, as its guard proxy saw it (DNS, refused)."""
        proxy = self._proxies.get(context)
        return list(proxy.unreachable) if proxy is not None else []

    async def new_page(self, context: BrowserContext) -> Page:
        """A page that shows a desktop Chromium's client hints (crawler/disguise.py)."""
        page = await context.new_page()
        if self.brand_override:
            self._cdp_context_ids[context] = await disguise.disguise_page(
                context, page, self.user_agent, self.version, self.options.locale)
        return page

    def undisguised_service_workers(self, context: BrowserContext) -> list[str]:
        """Service workers of ``context`` whose disguise was not confirmed to precede their first statements
        (crawler/worker_disguise.py), each reported once."""
        context_id = self._cdp_context_ids.get(context)
        if self.worker_disguise is None or not context_id:
            return []
        return self.worker_disguise.take_unconfirmed(context_id)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.worker_disguise is not None:
            await _within(self.worker_disguise.close(), DETACH_GRACE_S)
        for proxy in list(self._open_proxies):
            self._close_proxy(proxy)
        if self.fallback_proxy is not None:
            self.fallback_proxy.close()
        if not await _within(self.profile_context.close(), CLOSE_GRACE_S):
            self.killed = kill_browser(self.profile_dir) > 0  # swamped by a page: no graceful close coming
            await _within(self.profile_context.close(), CLOSE_GRACE_S)
        if self.profile is not None:
            self.profile.remove()
        else:
            shutil.rmtree(self.profile_dir, ignore_errors=True)


async def _within(closing: Awaitable[None], seconds: float) -> bool:
    """Whether ``closing`` ended within ``seconds``; a browser that crashed meanwhile counts as closed."""
    try:
        await asyncio.wait_for(closing, seconds)
    except TimeoutError:
        return False
    except Exception:  # noqa: BLE001 - a crashed browser cannot be closed twice
        pass
    return True


async def launch(playwright: Playwright, options: BrowserOptions) -> LaunchedBrowser:
    executable = find_chromium(options.chromium)
    guard = NetworkGuard.from_options(options)
    fallback = await guard.start_proxy()
    remove_stale_profiles()  # left behind by a process killed before it could clean up
    profile = Profile()
    version = disguise.chromium_version(executable or playwright.chromium.executable_path)
    flag_agent = options.user_agent or (desktop_user_agent(version) if version else None)
    args = launch_args(options) + ([f"--user-agent={flag_agent}"] if flag_agent else [])
    try:
        context = await playwright.chromium.launch_persistent_context(
            profile.path,
            executable_path=executable,
            headless=options.headless,
            args=args,
            proxy={"server": fallback.server, "bypass": PROXY_BYPASS},
        )
    except Exception:
        fallback.close()
        profile.remove()
        raise
    browser = context.browser
    assert browser is not None  # Playwright gives persistent contexts a Browser since 1.4x
    user_agent = flag_agent or desktop_user_agent(browser.version)
    launched = LaunchedBrowser(context, browser, profile.path, user_agent, options, executable, guard, fallback,
                               profile, user_agent_in_flag=flag_agent is not None,
                               brand_override=disguise.needs_brand_override(executable, options.headless))
    if launched.brand_override and options.worker_disguise:
        try:
            launched.worker_disguise = await WorkerDisguise.start(
                browser, disguise.user_agent_override(user_agent, browser.version, options.locale))
        except Exception:
            await launched.close()
            raise
    return launched
