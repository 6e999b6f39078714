"""Screenshots around the banner answer (issue 14 §4): the viewport as a small JPEG just before the
click and once the answer has settled, for the evidence bundle. Bounded in time and in bytes: a shot
that cannot be taken in time, or stays over the cap even at the lowest quality, is kept as a note."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from model.capture import Screenshot

from ..collectors.base import VisitState


@dataclass(frozen=True)
class ScreenshotOptions:
    enabled: bool = True
    qualities: tuple[int, ...] = (40, 20)  # JPEG quality, then a smaller retry when over the cap
    max_bytes: int = 120_000  # per image
    timeout_s: float = 3.0  # per attempt
    settle_timeout_s: float = 2.0  # after the answer: wait for a reload it caused to finish loading


async def take(page: Page, state: VisitState, moment: str, options: ScreenshotOptions) -> Screenshot:
    t_ms = state.now_ms()
    size = 0
    for quality in options.qualities:
        try:
            jpeg = await page.screenshot(type="jpeg", quality=quality, scale="css",
                                         timeout=options.timeout_s * 1000)
        except PlaywrightError as exc:  # page closed or navigating, or over the time cap
            return Screenshot(moment=moment, t_ms=t_ms, note=f"not taken: {str(exc).splitlines()[0][:200]}")
        size = len(jpeg)
        if size <= options.max_bytes:
            note = None if quality == options.qualities[0] else f"JPEG quality {quality} to fit {options.max_bytes} bytes"
            return Screenshot(moment=moment, t_ms=t_ms, jpeg=jpeg, note=note)
    return Screenshot(moment=moment, t_ms=t_ms, note=f"not kept: {size} bytes at the lowest quality, over the "
                                                     f"{options.max_bytes}-byte cap")


async def settled(page: Page, options: ScreenshotOptions) -> None:
    """An answer may reload the page: let that load finish (bounded) before the after-click shot."""
    try:
        await page.wait_for_load_state("load", timeout=options.settle_timeout_s * 1000)
    except PlaywrightError:
        pass  # still loading after the bound: the shot shows the page as it is
