"""What the final page of a visit is: its visible text length and any bot-wall markers it carries
(``crawler/data/bot_walls.yaml``), so the analyzer can tell an audited homepage from a challenge page."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml
from playwright.async_api import Page

from model.capture import Visit

from .base import Collector, Inputs

MARKERS_FILE = Path(__file__).resolve().parents[1] / "data" / "bot_walls.yaml"
KINDS = ("title", "text", "html", "global")

PROBE = """
(markers) => {
  const title = (document.title || '').toLowerCase();
  const text = ((document.body && document.body.innerText) || '').replace(/\\s+/g, ' ').trim();
  const lower = text.toLowerCase().slice(0, 20000);
  const html = (document.documentElement ? document.documentElement.outerHTML : '').slice(0, 200000);
  const found = [];
  for (const m of markers) {
    let hit = false;
    if (m.title) hit = title.includes(m.title);
    else if (m.text) hit = lower.includes(m.text);
    else if (m.html) hit = html.includes(m.html);
    else if (m.global) { try { hit = window[m.global] !== undefined; } catch (e) { hit = false; } }
    if (hit) found.push(`${m.vendor}: ${m.title || m.text || m.html || m.global}`);
  }
  return {textChars: text.length, markers: found};
}
"""


@functools.cache
def load_markers(path: Path = MARKERS_FILE) -> tuple[dict, ...]:
    raw = yaml.safe_load(path.read_text("utf-8"))
    out = []
    for i, m in enumerate(raw["markers"]):
        kinds = [k for k in KINDS if k in m]
        if len(kinds) != 1 or not m.get("vendor") or not isinstance(m[kinds[0]], str):
            raise ValueError(f"{path}: marker {i} needs a vendor and exactly one of {', '.join(KINDS)}: {m!r}")
        value = m[kinds[0]]
        out.append({"vendor": m["vendor"], kinds[0]: value if kinds[0] in ("html", "global") else value.lower()})
    return tuple(out)


class BotWallCollector(Collector[None]):
    name = "bot_wall"

    def __init__(self, state) -> None:
        super().__init__(state)
        self._probe: dict | None = None

    async def after_load(self, page: Page) -> None:
        self._probe = await page.evaluate(PROBE, list(load_markers()))

    async def collect(self, visit: Visit, inputs: Inputs) -> None:
        if self._probe is not None:
            visit.text_chars = int(self._probe.get("textChars") or 0)
            visit.bot_wall_markers = list(self._probe.get("markers") or [])[:10]
