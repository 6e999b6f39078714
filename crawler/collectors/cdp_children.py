"""The targets a page spawns — out-of-process iframes, dedicated and service workers — reached through
a page-level CDP session, each paused at start until its handler has set it up.

Playwright's Python ``CDPSession`` cannot address flat child sessions (``send`` takes no sessionId),
so children are attached the older, non-flat way: ``Target.setAutoAttach(flatten=False)`` and every
message to a child is wrapped in ``Target.sendMessageToTarget``; its answers and events come back in
``Target.receivedMessageFromTarget``. Children auto-attach their own children (an iframe's worker, a
worker's worker) through the same wrapping, one level deeper.

Measured with Chromium 156 (docs/instrumentation.md, "Workers"): a page session reaches
out-of-process iframes, dedicated workers and service workers, not shared workers. An iframe really
waits for every client that asked it to (its navigation is throttled per client); a worker is
resumed by Playwright's own session as soon as it attaches, so a worker's first task may run before
the handler's setup.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from playwright.async_api import CDPSession

log = logging.getLogger(__name__)

STEP_TIMEOUT_S = 2.0  # one command to a child; a child that never answers must not hang the visit
MAX_CHILDREN = 200  # per page: a hostile page spawning workers in a loop stays bounded
CHILD_TYPES = ("iframe", "worker", "service_worker")  # the children that spawn and send requests of their own
AUTO_ATTACH = {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False}


class ChildTarget:
    """One attached child: send it commands, hear its events, attach its own children."""

    def __init__(self, tree: ChildTargets, parent: ChildTarget | None, session_id: str, info: dict) -> None:
        self.tree = tree
        self.parent = parent
        self.session_id = session_id
        self.type: str = info.get("type", "")
        self.url: str = info.get("url", "")
        self.children: dict[str, ChildTarget] = {}
        self.closed = False
        self._ids = itertools.count(1)
        self._answers: dict[int, asyncio.Future] = {}
        self._handlers: dict[str, list[Callable[[dict], None]]] = {}

    @property
    def creator_url(self) -> str | None:
        """The URL of the frame or worker that spawned this target (the page for top-level children)."""
        return self.parent.url if self.parent is not None else self.tree.page_url()

    async def refresh(self) -> None:
        """Re-read this target's URL: an iframe attaches before its navigation, with an empty URL."""
        info = (await self.send("Target.getTargetInfo")).get("targetInfo") or {}
        self.url = info.get("url", self.url)

    def on(self, event: str, handler: Callable[[dict], None]) -> None:
        self._handlers.setdefault(event, []).append(handler)

    async def send(self, method: str, params: dict | None = None) -> dict:
        """One command; its result, or an exception naming the CDP error."""
        if self.closed:
            raise ConnectionError(f"{self.type} target {self.url} is gone")
        call_id = next(self._ids)
        answer = asyncio.get_running_loop().create_future()
        self._answers[call_id] = answer
        message = json.dumps({"id": call_id, "method": method, "params": params or {}})
        try:
            # The whole round trip is bounded: handing the message to a busy parent can hang as well.
            async with asyncio.timeout(STEP_TIMEOUT_S):
                await self.tree.route(self.parent, "Target.sendMessageToTarget",
                                      {"sessionId": self.session_id, "message": message})
                reply = await answer
        finally:
            self._answers.pop(call_id, None)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error'].get('message', reply['error'])}")
        return reply.get("result", {})

    def receive(self, message: dict) -> None:
        if "id" in message:
            answer = self._answers.get(message["id"])
            if answer is not None and not answer.done():
                answer.set_result(message)
            return
        method, params = message.get("method", ""), message.get("params") or {}
        if method.startswith("Target."):
            self.tree.on_target_event(self, method, params)
        for handler in self._handlers.get(method, ()):
            try:
                handler(params)
            except Exception:  # a handler's bug must not stop the routing
                log.exception("CDP handler for %s failed", method)

    def gone(self) -> None:
        self.closed = True
        for answer in self._answers.values():
            if not answer.done():
                answer.set_result({"error": {"message": "target detached"}})
        for child in self.children.values():
            child.gone()


Setup = Callable[[ChildTarget], Awaitable[None]]


class ChildTargets:
    """Auto-attach to a page's children; ``setup(child)`` runs while the child waits, then it resumes.

    ``setup`` gets every child (iframes and workers alike) and decides by ``child.type``; whatever it
    raises, the child is resumed, so a failing collector never leaves a frame or worker frozen.
    """

    def __init__(self, session: CDPSession, setup: Setup, page_url: Callable[[], str | None]) -> None:
        self.session = session
        self.setup = setup
        self.page_url = page_url
        self.top: dict[str, ChildTarget] = {}
        self.attached = 0
        self.past_cap: Counter[str] = Counter()  # by type, children let run without setup
        self.errors: list[str] = []
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        self.session.on("Target.attachedToTarget", lambda p: self.on_target_event(None, "Target.attachedToTarget", p))
        self.session.on("Target.detachedFromTarget", lambda p: self.on_target_event(None, "Target.detachedFromTarget", p))
        self.session.on("Target.receivedMessageFromTarget",
                        lambda p: self.on_target_event(None, "Target.receivedMessageFromTarget", p))
        await self.session.send("Target.setAutoAttach", AUTO_ATTACH)

    def past_cap_note(self, what: str, types: Iterable[str]) -> str | None:
        """For the visit's cut: what a collector did not record in the children of ``types`` it never set up."""
        missed = sum(self.past_cap[t] for t in types)
        if not missed:
            return None
        return (f"{what} not recorded in {missed} {'/'.join(types)} targets past the cap: the page spawned more "
                f"than {MAX_CHILDREN} iframes and workers, the most set up per page")

    def live(self) -> list[ChildTarget]:
        out: list[ChildTarget] = []
        stack = list(self.top.values())
        while stack:
            child = stack.pop()
            if not child.closed:
                out.append(child)
            stack.extend(child.children.values())
        return out

    async def route(self, parent: ChildTarget | None, method: str, params: dict) -> Any:
        if parent is None:
            return await self.session.send(method, params)
        return await parent.send(method, params)

    def on_target_event(self, parent: ChildTarget | None, method: str, params: dict) -> None:
        siblings = self.top if parent is None else parent.children
        session_id = params.get("sessionId", "")
        if method == "Target.receivedMessageFromTarget":
            child = siblings.get(session_id)
            if child is not None:
                try:
                    child.receive(json.loads(params.get("message", "{}")))
                except ValueError:
                    pass
        elif method == "Target.attachedToTarget":
            child = ChildTarget(self, parent, session_id, params.get("targetInfo") or {})
            siblings[session_id] = child
            self.attached += 1
            if self.attached > MAX_CHILDREN:
                self.past_cap[child.type] += 1
                self._spawn(self._resume_only(child))
            else:
                self._spawn(self._set_up(child, bool(params.get("waitingForDebugger"))))
        elif method == "Target.detachedFromTarget":
            child = siblings.pop(session_id, None)
            if child is not None:
                child.gone()

    async def _set_up(self, child: ChildTarget, waiting: bool) -> None:
        try:
            if child.type in ("iframe", "worker", "service_worker"):
                await self._attempt(child, child.send("Target.setAutoAttach", AUTO_ATTACH))
            if child.parent is not None and child.parent.type == "iframe":
                await self._attempt(child, child.parent.refresh())  # the creator's URL, now that it navigated
            await self._attempt(child, self.setup(child))
        finally:
            if waiting:
                await self._resume_only(child)

    async def _attempt(self, child: ChildTarget, step: Awaitable[Any]) -> None:
        """One setup step; a failure is recorded (unless the child went away) and the next step runs."""
        try:
            await step
        except Exception as exc:  # noqa: BLE001 - recorded; the child is resumed regardless
            if not child.closed and len(self.errors) < MAX_CHILDREN:
                self.errors.append(f"{child.type} {child.url}: {exc}")

    async def _resume_only(self, child: ChildTarget) -> None:
        try:
            await child.send("Runtime.runIfWaitingForDebugger")
        except Exception:  # noqa: BLE001 - it may be gone already
            pass

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settled(self, timeout_s: float) -> None:
        """Wait (bounded) until every child seen so far has been set up."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout_s)
