"""Web storage: writes as they happen (instrumented in every frame), and what is there at the end.

The init script wraps ``Storage.setItem``, the ``document.cookie`` setter and IndexedDB
open/put/add, and reports each write through a binding, so every write gets a timestamp and the
frame's origin even when the frame is gone by the end of the visit.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

from playwright.async_api import Frame, Page

from model.capture import StorageRecord, Visit

from .base import Collector, Inputs

BINDING = "__consentwatchStorageWrite"
MAX_WRITES = 2000

INSTRUMENT = """
(() => {
  const report = (kind, key, len) => {
    try { window.%(binding)s && window.%(binding)s(kind, String(key).slice(0, 200), len|0); } catch (e) {}
  };
  try {
    const setItem = Storage.prototype.setItem;
    Storage.prototype.setItem = function (k, v) {
      report(this === window.localStorage ? 'local' : 'session', k, String(v).length);
      return setItem.apply(this, arguments);
    };
  } catch (e) {}
  try {
    const desc = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
    Object.defineProperty(Document.prototype, 'cookie', {
      configurable: true, enumerable: true,
      get() { return desc.get.call(this); },
      set(v) {
        const s = String(v), name = s.split('=')[0].trim();
        report('cookie_write', name, s.split(';')[0].length - name.length - 1);
        return desc.set.call(this, v);
      },
    });
  } catch (e) {}
  try {
    const open = IDBFactory.prototype.open;
    IDBFactory.prototype.open = function (name) { report('indexeddb', name, 0); return open.apply(this, arguments); };
    for (const m of ['put', 'add']) {
      const orig = IDBObjectStore.prototype[m];
      IDBObjectStore.prototype[m] = function () {
        report('indexeddb', this.transaction.db.name + '/' + this.name, 0);
        return orig.apply(this, arguments);
      };
    }
  } catch (e) {}
})();
""" % {"binding": BINDING}

DUMP = """
() => {
  const out = [];
  for (const [kind, store] of [['local', window.localStorage], ['session', window.sessionStorage]]) {
    try {
      for (let i = 0; i < store.length && i < 500; i++) {
        const k = store.key(i); out.push([kind, k, (store.getItem(k) || '').length]);
      }
    } catch (e) {}
  }
  return out;
}
"""


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else url


@dataclass(frozen=True)
class StorageResult:
    """What the storage collector hands on: the ``document.cookie`` writes, each with its time."""

    cookie_writes: tuple[StorageRecord, ...]


class StorageCollector(Collector[StorageResult]):
    name = "storage"

    def __init__(self, state) -> None:
        super().__init__(state)
        self._writes: list[StorageRecord] = []
        self._final: list[StorageRecord] = []

    async def setup(self) -> None:
        await self.state.context.expose_binding(BINDING, self._on_write)
        await self.state.context.add_init_script(INSTRUMENT)

    def _on_write(self, source: dict, kind: str, key: str, length: int) -> None:
        if len(self._writes) >= MAX_WRITES:
            return
        frame = source.get("frame")
        origin = origin_of(frame.url) if frame is not None else ""
        self._writes.append(StorageRecord(origin=origin, kind=kind, key=key, value_len=length, t_ms=self.state.now_ms()))

    async def after_load(self, page: Page) -> None:
        # Web storage belongs to the origin (within the page), not to the frame: one frame per origin reads
        # it, all origins at once, so a page with hundreds of same-origin iframes costs what its origins cost.
        firsts: dict[str, Frame] = {}
        for frame in page.frames:
            firsts.setdefault(origin_of(frame.url), frame)
        dumps = await asyncio.gather(*(_dump(frame) for frame in firsts.values()))
        for origin, entries in zip(firsts, dumps):
            self._final.extend(StorageRecord(origin=origin, kind=k, key=key, value_len=n) for k, key, n in entries)

    async def collect(self, visit: Visit, inputs: Inputs) -> StorageResult:
        written = {(w.origin, w.kind, w.key) for w in self._writes}
        leftovers = [r for r in self._final if (r.origin, r.kind, r.key) not in written]
        visit.storage = self._writes + _dedupe(leftovers)
        return StorageResult(tuple(w for w in self._writes if w.kind == "cookie_write"))


async def _dump(frame: Frame) -> list:
    try:
        return await frame.evaluate(DUMP)
    except Exception:  # noqa: BLE001 - detached or cross-process frames can refuse
        return []


def _dedupe(records: list[StorageRecord]) -> list[StorageRecord]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for r in records:
        key = (r.origin, r.kind, r.key)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out
