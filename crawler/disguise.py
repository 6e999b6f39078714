"""Make an audit look like a visitor's desktop Chromium, not an automated headless one.

Consent managers hide their banners from bots (vanilla-cookieconsent's default ``hideFromBots``
checks ``navigator.webdriver`` and the user agent), so an audit that looks automated sees no banner
and grades a site clean. Three tells, three fixes:

* ``navigator.webdriver === true`` in every frame: the Blink feature behind it is switched off at
  launch (``DISGUISE_ARGS``); workers have no ``webdriver`` at all, as in any browser.
* ``HeadlessChrome`` in the user agent, including the browser's own background requests: a desktop
  user agent is set browser-wide with ``--user-agent`` (so pages, frames and workers all share it).
* ``HeadlessChrome`` among the client-hint brands (``Sec-CH-UA``, ``navigator.userAgentData``) of the
  headless shell: each page gets CDP ``Emulation.setUserAgentOverride`` with the brands a desktop
  Chromium of the same version sends; frames and dedicated workers started by the page inherit them.
  Shared and service workers are targets of their own that no session reaches before their script runs;
  crawler/worker_disguise.py holds their script's response instead, patching shared workers' scripts and
  overriding service workers before they start. The full browser needs no override, and gets none: the
  call waits on a renderer that may be busy.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from playwright.async_api import BrowserContext, Page

DISGUISE_ARGS = ("--disable-blink-features=AutomationControlled",)

# Chromium's GREASE brand ("Not:A-Brand"), generated from the major version as Chromium does
# (components/embedder_support/user_agent_utils.cc), so the brand list is the one a real build sends.
_GREASE_CHARS = (" ", "(", ":", "-", ".", "/", ")", ";", "=", "?", "_")
_GREASE_VERSIONS = ("8", "99", "24")
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)\.(\d+)")


def chromium_version(executable: str) -> str | None:
    """``156.0.8078.108`` from ``chromium --version``; None if it cannot be read."""
    try:
        out = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.search(out)
    return match.group(0) if match else None


def desktop_user_agent(version: str) -> str:
    major = version.split(".", 1)[0]
    return ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{major}.0.0.0 Safari/537.36")


def needs_brand_override(executable: str | None, headless: bool) -> bool:
    """Only the headless shell lists HeadlessChrome among its brands; the full browser (new headless
    mode) lists what a desktop Chromium does. Playwright's own headless Chromium is the shell."""
    if executable is None:
        return headless
    return "headless" in Path(executable).resolve().name or "headless" in Path(executable).name


def launch_args(user_agent: str) -> list[str]:
    return [*DISGUISE_ARGS, f"--user-agent={user_agent}"]


def user_agent_metadata(version: str) -> dict:
    """CDP ``UserAgentMetadata`` of a desktop Linux Chromium: brands without HeadlessChrome."""
    major = int(version.split(".", 1)[0])
    grease = "Not" + _GREASE_CHARS[major % 11] + "A" + _GREASE_CHARS[(major + 1) % 11] + "Brand"
    grease_version = _GREASE_VERSIONS[major % 3]
    ordered = [(grease, grease_version), ("Chromium", str(major))]
    full = [(grease, f"{grease_version}.0.0.0"), ("Chromium", version)]
    if major % 2:
        ordered.reverse()
        full.reverse()
    return {
        "brands": [{"brand": b, "version": v} for b, v in ordered],
        "fullVersionList": [{"brand": b, "version": v} for b, v in full],
        "fullVersion": version,
        "platform": "Linux",
        "platformVersion": "",
        "architecture": "x86",
        "model": "",
        "mobile": False,
        "bitness": "64",
        "wow64": False,
    }


def user_agent_override(user_agent: str, version: str, accept_language: str | None = None) -> dict:
    """``Emulation.setUserAgentOverride`` parameters: one for pages and workers alike."""
    params: dict = {"userAgent": user_agent, "userAgentMetadata": user_agent_metadata(version)}
    if accept_language:
        params["acceptLanguage"] = accept_language
    return params


async def disguise_page(context: BrowserContext, page: Page, user_agent: str, version: str,
                        accept_language: str | None = None) -> str:
    """Give ``page`` (and the frames and workers it starts) a desktop Chromium's client hints; returns the CDP id
    of the page's browser context (the service workers' disguise checks are filed under it)."""
    session = await context.new_cdp_session(page)
    params = user_agent_override(user_agent, version, accept_language)
    # The override lasts as long as the session does: it stays attached for the page's lifetime.
    await session.send("Emulation.setUserAgentOverride", params)
    return (await session.send("Target.getTargetInfo"))["targetInfo"].get("browserContextId", "")
