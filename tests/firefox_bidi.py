"""A small WebDriver BiDi client for real Firefox (it speaks BiDi natively: no geckodriver), enough
to install the extension temporarily and drive its pages the way the Chromium tests do with
Playwright: open a tab, navigate, run a script, wait for a condition, click like a user (real
input events, so permission prompts and clipboard get a user gesture), take a screenshot.

Firefox reaches the fake internet by preference, not by flags: every name resolves to 127.0.0.1
(`network.dns.forceResolve`) and ports 80/443 go to the fake internet's ports
(`network.socket.forcePort`); its certificates are accepted with the `acceptInsecureCerts`
capability. Everything else Firefox would contact (updates, telemetry, safe browsing) is switched
off, and would land on loopback anyway.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import shutil
import time
from pathlib import Path
from typing import Any

import aiohttp

FIREFOX_CANDIDATES = ("firefox-esr", "firefox")
LISTENING = re.compile(r"WebDriver BiDi listening on (ws://[\d.:\[\]]+)")

# Quiet, test-friendly profile (the same spirit as Puppeteer's and geckodriver's defaults).
QUIET_PREFS: dict[str, Any] = {
    "app.update.disabledForTesting": True,
    "app.normandy.enabled": False,
    "browser.aboutwelcome.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.update.enabled": False,
    "browser.search.update": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "browser.tabs.warnOnClose": False,
    "browser.warnOnQuit": False,
    "captivedetect.canonicalURL": "",
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "dom.disable_open_during_load": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.update.enabled": False,
    "extensions.blocklist.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.http.speculative-parallel-limit": 0,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.trr.mode": 5,
    "remote.prefs.recommended": True,
    "services.settings.server": "http://127.0.0.1:9/remote-settings",  # nothing listens: never fetched
    "toolkit.telemetry.server": "",
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "ui.systemUsesDarkTheme": 0,
}


def find_firefox() -> str | None:
    for name in FIREFOX_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def fake_internet_prefs(http_port: int, https_port: int) -> dict[str, Any]:
    return {
        "network.dns.forceResolve": "127.0.0.1",
        "network.socket.forcePort": f"80={http_port};443={https_port}",
        "network.proxy.type": 0,
        "network.stricttransportsecurity.preloadlist": False,
    }


def write_profile(profile: Path, prefs: dict[str, Any]) -> None:
    profile.mkdir(parents=True, exist_ok=True)
    lines = [f"user_pref({json.dumps(name)}, {json.dumps(value)});" for name, value in prefs.items()]
    (profile / "user.js").write_text("\n".join(lines) + "\n")


class BidiError(RuntimeError):
    pass


class Firefox:
    """One Firefox process and its BiDi session."""

    def __init__(self, executable: str, profile: Path) -> None:
        self.executable, self.profile = executable, profile
        self.proc: asyncio.subprocess.Process | None = None
        self.http: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None
        self._stderr_drain: asyncio.Task | None = None  # held so the loop cannot collect it mid-read
        self.version = ""
        self.stderr_tail: list[str] = []

    async def start(self) -> Firefox:
        self.proc = await asyncio.create_subprocess_exec(
            self.executable, "--headless", "--no-remote", "--profile", str(self.profile),
            "--remote-debugging-port", "0", "--remote-allow-system-access", "about:blank",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        endpoint = await asyncio.wait_for(self._endpoint(), timeout=60)
        self.http = aiohttp.ClientSession()
        self.ws = await self.http.ws_connect(f"{endpoint}/session", max_msg_size=0)
        self._reader = asyncio.create_task(self._read())
        session = await self.send("session.new", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": True}}})
        self.version = session["capabilities"]["browserVersion"]
        return self

    async def _endpoint(self) -> str:
        assert self.proc and self.proc.stderr
        while True:
            line = (await self.proc.stderr.readline()).decode(errors="replace")
            if not line:
                raise BidiError(f"Firefox exited before listening: {''.join(self.stderr_tail)}")
            self.stderr_tail = (self.stderr_tail + [line])[-20:]
            match = LISTENING.search(line)
            if match:
                self._stderr_drain = asyncio.create_task(self._drain_stderr())
                return match.group(1)

    async def _drain_stderr(self) -> None:
        assert self.proc and self.proc.stderr
        while line := await self.proc.stderr.readline():
            self.stderr_tail = (self.stderr_tail + [line.decode(errors="replace")])[-20:]

    async def _read(self) -> None:
        assert self.ws
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            future = self._pending.pop(data.get("id"), None) if "id" in data else None
            if future and not future.done():
                if data.get("type") == "error":
                    future.set_exception(BidiError(f"{data.get('error')}: {data.get('message')}"))
                else:
                    future.set_result(data.get("result", {}))
        for future in self._pending.values():
            if not future.done():
                future.set_exception(BidiError("the BiDi connection closed"))

    async def send(self, method: str, params: dict[str, Any], timeout: float = 60.0) -> dict[str, Any]:
        assert self.ws
        command_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._pending[command_id] = future
        await self.ws.send_str(json.dumps({"id": command_id, "method": method, "params": params}))
        return await asyncio.wait_for(future, timeout)

    async def install_extension(self, path: Path) -> str:
        result = await self.send("webExtension.install", {"extensionData": {"type": "path", "path": str(path)}})
        return result["extension"]

    async def new_tab(self, url: str | None = None) -> Tab:
        context = (await self.send("browsingContext.create", {"type": "tab"}))["context"]
        tab = Tab(self, context)
        if url:
            await tab.goto(url)
        return tab

    async def close(self) -> None:
        if self.ws and not self.ws.closed:
            try:
                await self.send("browser.close", {}, timeout=10)
            except (TimeoutError, BidiError, ConnectionError):
                pass
            await self.ws.close()
        if self.http:
            await self.http.close()
        if self.proc and self.proc.returncode is None:
            try:
                await asyncio.wait_for(self.proc.wait(), timeout=10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._reader:
            self._reader.cancel()


def _local(value: Any) -> dict[str, Any]:
    """A Python value as a BiDi LocalValue (only what our calls pass)."""
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean", "value": value}
    if isinstance(value, (int, float)):
        return {"type": "number", "value": value}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    if isinstance(value, (list, tuple)):
        return {"type": "array", "value": [_local(v) for v in value]}
    raise TypeError(f"cannot pass {type(value).__name__} to the page")


class Tab:
    """A top-level browsing context. Scripts return JSON (we stringify in the page: simpler and
    exact, no BiDi remote-value decoding)."""

    def __init__(self, browser: Firefox, context: str) -> None:
        self.browser, self.context = browser, context

    async def goto(self, url: str) -> None:
        await self.browser.send("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})

    async def set_viewport(self, width: int, height: int) -> None:
        await self.browser.send("browsingContext.setViewport",
                                {"context": self.context, "viewport": {"width": width, "height": height}})

    async def activate(self) -> None:
        await self.browser.send("browsingContext.activate", {"context": self.context})

    async def evaluate(self, function: str, *args: Any) -> Any:
        """Runs `function` (JS source of an (async) function) with args; returns its JSON result."""
        wrapper = f"async (...a) => JSON.stringify(await ({function})(...a)) ?? 'null'"
        result = await self.browser.send("script.callFunction", {
            "functionDeclaration": wrapper, "awaitPromise": True, "target": {"context": self.context},
            "arguments": [_local(a) for a in args], "userActivation": False})
        if result.get("type") == "exception":
            details = result["exceptionDetails"]
            raise BidiError(f"script failed: {details.get('text')}")
        return json.loads(result["result"]["value"])

    async def run_script(self, source: str) -> None:
        """Evaluates a whole script (e.g. a library) in the page, whatever the page's CSP says."""
        result = await self.browser.send("script.evaluate", {
            "expression": source, "awaitPromise": False, "target": {"context": self.context}})
        if result.get("type") == "exception":
            raise BidiError(f"script failed: {result['exceptionDetails'].get('text')}")

    async def wait_for(self, function: str, *args: Any, timeout: float = 10.0, what: str = "") -> Any:
        """Polls `function` until it returns something truthy; fails with the last value seen."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            try:
                value = await self.evaluate(function, *args)
            except BidiError as exc:  # navigating meanwhile
                value = str(exc)
            else:
                if value:
                    return value
            await asyncio.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what or function}: last value {value!r}")

    async def text(self, selector: str) -> str | None:
        return await self.evaluate("(s) => document.querySelector(s)?.textContent ?? null", selector)

    async def click(self, selector: str) -> None:
        """A real mouse click at the element's centre (a user gesture for the page)."""
        box = await self.evaluate("""(s) => {
            const el = document.querySelector(s);
            if (!el) return null;
            el.scrollIntoView({block: "center"});
            const r = el.getBoundingClientRect();
            return {x: Math.round(r.x + r.width / 2), y: Math.round(r.y + r.height / 2)};
        }""", selector)
        if box is None:
            raise AssertionError(f"nothing to click at {selector}")
        await self.browser.send("input.performActions", {"context": self.context, "actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"}, "actions": [
                {"type": "pointerMove", "x": box["x"], "y": box["y"]},
                {"type": "pointerDown", "button": 0}, {"type": "pointerUp", "button": 0}]}]})

    async def press(self, *keys: str) -> None:
        actions = []
        for key in keys:
            actions += [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]
        await self.browser.send("input.performActions", {"context": self.context, "actions": [
            {"type": "key", "id": "keyboard", "actions": actions}]})

    async def screenshot(self, path: Path, *, full_page: bool = True) -> None:
        params: dict[str, Any] = {"context": self.context}
        if full_page:
            params["origin"] = "document"
        data = (await self.browser.send("browsingContext.captureScreenshot", params))["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    async def close(self) -> None:
        await self.browser.send("browsingContext.close", {"context": self.context})
