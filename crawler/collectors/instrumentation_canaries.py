"""Typing canary values into a page's form fields, never submitting, to catch key logging.

The method is Blacklight's (The Markup, 2020): after the page settled, type an email address, a
password-like string and a phone number into the visible text fields (filled, then the last
characters key by key so ``keydown``/``keypress``/``input`` listeners fire with the whole value),
move focus away (``change``), press no Enter
and click nothing, then wait for the network to go quiet. Whatever request carries a canary was
sent before any submit. Requests made from here on are marked ``phase="typing"``.

Typing is bounded (``TYPING_BUDGET_S``); fields left untyped by the budget, or by a field that vanished,
are said in ``Typing.cut``: a key logger on a field never typed is not seen, and the capture must say so.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

from playwright.async_api import ElementHandle, Page

from model.capture import CanaryInput

from ..errors import first_line
from .base import VisitState

# Values nobody else uses, so finding one in a request is proof it came from our typing.
CANARIES = {
    "email": "cw.canary.4821@mailbox-canary.com",
    "password": "Cw!canary-Pass-9317",
    "phone": "+1 202 555 0147",
}
FIELDS = ("input:not([type]), input[type=text], input[type=email], input[type=tel], input[type=password], "
          "input[type=search], textarea")
MAX_FIELDS = 6
KEYED_TAIL = 2  # the last characters are typed key by key; the rest is filled at once (CDP round trips are slow)
# The whole after_load stage must fit the runner's STAGE_TIMEOUT_S (8 s) with the flushes around it.
TYPING_BUDGET_S = 2.5
QUIET_S = 0.8  # no new request for this long after typing: done
AFTER_TYPING_MAX_S = 2.0

DESCRIBE = """
e => {
  const r = e.getBoundingClientRect(), s = getComputedStyle(e);
  return {
    type: (e.getAttribute('type') || e.tagName).toLowerCase(),
    hint: [e.name, e.id, e.placeholder, e.autocomplete, e.getAttribute('aria-label')].filter(Boolean).join(' '),
    label: e.tagName.toLowerCase() + (e.type ? '[type=' + e.type + ']' : '')
           + (e.id ? '#' + e.id : e.name ? '[name=' + e.name + ']' : ''),
    usable: r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none' && !e.disabled && !e.readOnly,
  };
}
"""


def canary_kind(field_type: str, hint: str) -> str:
    if field_type == "password":
        return "password"
    if field_type == "tel" or re.search(r"phone|mobile|\btel", hint, re.I):
        return "phone"
    return "email"  # email fields, and any other text field: an email is the PII a logger wants


@dataclass
class Typing:
    """What was typed, and why some usable fields were not (None: every one was)."""

    typed: list[CanaryInput] = field(default_factory=list)
    cut: str | None = None


async def type_canaries(page: Page, state: VisitState) -> Typing:
    fields = await _usable_fields(page)
    if not fields:
        return Typing()
    activity = asyncio.Event()

    def on_request(_request) -> None:
        activity.set()

    state.context.on("request", on_request)
    state.phase = "typing"
    typing = Typing()
    try:
        await asyncio.wait_for(_type_all(fields, state, typing.typed), TYPING_BUDGET_S)
    except TimeoutError:
        typing.cut = (f"canaries typed into {len(typing.typed)} of {len(fields)} form fields: the rest did not "
                      f"fit the {TYPING_BUDGET_S:g} s typing budget")
    except Exception as exc:  # noqa: BLE001 - a field that vanished ends the typing
        reason = first_line(exc)[:200] or type(exc).__name__
        if len(typing.typed) == len(fields):  # only the blur that fires `change` failed
            typing.cut = f"canaries typed into all {len(fields)} form fields, but focus stayed (no change event): {reason}"
        else:
            typing.cut = (f"canaries typed into {len(typing.typed)} of {len(fields)} form fields: typing stopped: "
                          f"{reason}")
    try:
        await _until_quiet(activity)
    finally:
        state.context.remove_listener("request", on_request)
    return typing


async def _usable_fields(page: Page) -> list[tuple[ElementHandle, dict, str]]:
    out = []
    for frame in page.frames:
        try:
            handles = await frame.query_selector_all(FIELDS)
        except Exception:  # noqa: BLE001 - detached frames
            continue
        for handle in handles:
            try:
                info = await handle.evaluate(DESCRIBE)
            except Exception:  # noqa: BLE001
                continue
            if info["usable"]:
                out.append((handle, info, frame.url))
            if len(out) >= MAX_FIELDS:
                return out
    return out


async def _type_all(fields: list[tuple[ElementHandle, dict, str]], state: VisitState, typed: list[CanaryInput]) -> None:
    for handle, info, frame_url in fields:
        kind = canary_kind(info["type"], info["hint"])
        value = CANARIES[kind]
        started = state.now_ms()
        await handle.focus()
        await handle.fill(value[:-KEYED_TAIL])
        await handle.type(value[-KEYED_TAIL:])
        # Listed once the whole value is in the field: a half-typed canary could never be found.
        typed.append(CanaryInput(kind=kind, value=value, field=info["label"], frame_url=frame_url, t_ms=started))
    await fields[-1][0].evaluate("e => e.blur()")  # `change` fires on blur


async def _until_quiet(activity: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + AFTER_TYPING_MAX_S
    while (remaining := deadline - loop.time()) > 0:
        activity.clear()
        try:
            await asyncio.wait_for(activity.wait(), min(QUIET_S, remaining))
        except TimeoutError:
            return
