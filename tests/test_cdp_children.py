"""The child-target tree (crawler/collectors/cdp_children.py) against a fake CDP session: every child is set up
and resumed up to the per-page cap, the ones past it are only resumed, and the visit can say how many of which
kind went without setup. The real browser's storm is tests/test_hostile_sites.py's."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from crawler.collectors.cdp_children import MAX_CHILDREN, ChildTarget, ChildTargets


class FakeSession:
    """Answers every command wrapped for a child at once, as a browser would, and records what was sent."""

    def __init__(self) -> None:
        self.handlers: dict[str, Callable[[dict], None]] = {}
        self.to_children: list[tuple[str, str]] = []  # (sessionId, method)

    def on(self, event: str, handler: Callable[[dict], None]) -> None:
        self.handlers[event] = handler

    async def send(self, method: str, params: dict | None = None) -> dict:
        if method == "Target.sendMessageToTarget":
            message = json.loads(params["message"])
            self.to_children.append((params["sessionId"], message["method"]))
            reply = json.dumps({"id": message["id"], "result": {}})
            asyncio.get_running_loop().call_soon(self.handlers["Target.receivedMessageFromTarget"],
                                                 {"sessionId": params["sessionId"], "message": reply})
        return {}

    def attach(self, n: int, kind: str) -> None:
        self.handlers["Target.attachedToTarget"]({
            "sessionId": f"s{n}", "waitingForDebugger": True,
            "targetInfo": {"type": kind, "url": f"https://storm.example/{kind}/{n}"}})


async def _storm(workers: int, iframes: int) -> tuple[ChildTargets, FakeSession, list[ChildTarget]]:
    session, set_up = FakeSession(), []

    async def setup(child: ChildTarget) -> None:
        set_up.append(child)

    tree = ChildTargets(session, setup, lambda: "https://storm.example/")  # type: ignore[arg-type]
    await tree.start()
    for n in range(workers + iframes):
        session.attach(n, "worker" if n < workers else "iframe")
    while tree._tasks:  # every setup and resume the events started
        await asyncio.gather(*list(tree._tasks))
    return tree, session, set_up


async def test_children_past_the_cap_are_resumed_without_setup_and_counted_by_kind():
    tree, session, set_up = await _storm(workers=MAX_CHILDREN - 10, iframes=30)
    assert len(set_up) == MAX_CHILDREN
    resumed = {sid for sid, method in session.to_children if method == "Runtime.runIfWaitingForDebugger"}
    assert resumed == {f"s{n}" for n in range(MAX_CHILDREN + 20)}, "every child runs, set up or not"
    past = {f"s{n}" for n in range(MAX_CHILDREN, MAX_CHILDREN + 20)}
    assert not any(sid in past and method != "Runtime.runIfWaitingForDebugger" for sid, method in session.to_children)
    assert tree.past_cap == {"iframe": 20}
    note = tree.past_cap_note("request initiators", ("iframe", "worker"))
    assert note is not None and note.startswith("request initiators not recorded in 20 iframe/worker targets")
    assert f"more than {MAX_CHILDREN}" in note
    assert tree.past_cap_note("script behaviour", ("worker",)) is None, "no worker went without setup"


async def test_a_page_within_the_cap_has_nothing_to_say():
    tree, _, set_up = await _storm(workers=5, iframes=5)
    assert len(set_up) == 10
    assert tree.past_cap_note("script behaviour", ("worker", "iframe")) is None
