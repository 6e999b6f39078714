"""The heuristic fallback for banners no autoconsent rule knows (vocabulary in ``vocabulary.yaml``).

A banner is a visible fixed/sticky element or dialog that mentions cookies and holds buttons whose
labels the vocabulary classifies (reject, accept, settings, save). Clicks are real (trusted) mouse
clicks through Playwright, with a DOM click as the fallback for elements Playwright cannot reach.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Frame, Page

from .vocabulary import Vocabulary

SCRIPT = Path(__file__).with_name("heuristic.js").read_text("utf-8")
FRAME_TIMEOUT_S = 4.0  # generous: a busy machine runs page scripts late
CLICK_TIMEOUT_S = 4.0
_scan_ids = itertools.count(1)


@dataclass
class Button:
    index: int
    kind: str | None
    label: str


@dataclass
class HeuristicBanner:
    frame: Frame
    id: str
    text: str
    element: str
    buttons: list[Button] = field(default_factory=list)
    seen_ms: float | None = None  # when a scan first saw it (the handler's clock)

    def first(self, kind: str) -> Button | None:
        return next((b for b in self.buttons if b.kind == kind), None)

    def refusal(self) -> Button | None:
        """The way to say no: a reject button, else a US opt-out of sale/sharing."""
        return self.first("reject") or self.first("opt_out")

    def kinds(self) -> list[str]:
        return sorted({b.kind for b in self.buttons if b.kind})

    def describe(self) -> str:
        labels = ", ".join(f"{b.label!r} ({b.kind})" for b in self.buttons if b.kind)
        return f"{self.element} in {self.frame.url}: {labels}"


async def _run(frame: Frame, args: dict):
    return await asyncio.wait_for(frame.evaluate(SCRIPT, args), FRAME_TIMEOUT_S)


async def scan_frame(frame: Frame, vocab: Vocabulary) -> HeuristicBanner | None:
    scan_id = f"cw{next(_scan_ids)}"
    try:
        found = await _run(frame, {"op": "scan", "id": scan_id, "vocab": vocab.for_page()})
    except Exception:  # noqa: BLE001 - a detached, navigating or frozen frame has no banner for us
        return None
    if not found:
        return None
    return HeuristicBanner(frame=frame, id=found["id"], text=found["text"], element=found["element"],
                           buttons=[Button(**b) for b in found["buttons"]])


async def scan_page(page: Page, vocab: Vocabulary) -> HeuristicBanner | None:
    """The banner of the page: the main frame's if it has one, else the first subframe's."""
    frames = [page.main_frame] + [f for f in page.frames if f is not page.main_frame and not f.is_detached()]
    results = await asyncio.gather(*(scan_frame(f, vocab) for f in frames))
    return next((r for r in results if r is not None), None)


async def click(banner: HeuristicBanner, button: Button) -> bool:
    """A DOM click, as autoconsent's rules click (fast, and blind to overlays and animations)."""
    try:
        return bool(await _run(banner.frame, {"op": "click", "button": f"{banner.id}-{button.index}"}))
    except Exception:  # noqa: BLE001 - the frame went away
        return False


async def trusted_click(banner: HeuristicBanner, button: Button) -> bool:
    """A real mouse click, for banners that ignore synthetic events."""
    try:
        await banner.frame.locator(f'[data-consentwatch-button="{banner.id}-{button.index}"]').first.click(
            timeout=CLICK_TIMEOUT_S * 1000)
        return True
    except Exception:  # noqa: BLE001 - covered, detached or never stable
        return False


async def uncheck_all(banner: HeuristicBanner) -> int:
    try:
        return int(await _run(banner.frame, {"op": "uncheck", "id": banner.id}) or 0)
    except Exception:  # noqa: BLE001
        return 0


async def wait_gone(banner: HeuristicBanner, timeout_s: float) -> bool:
    """True once the banner is hidden or removed (a navigation away also closes it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        try:
            if await _run(banner.frame, {"op": "gone", "id": banner.id}):
                return True
        except Exception:  # noqa: BLE001 - the frame went away with the banner
            return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.2)
