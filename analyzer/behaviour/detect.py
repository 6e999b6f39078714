"""Fingerprinting and session recording, read off the JS API calls of each script.

Calls are grouped per (visit, calling script), in page frames and in workers alike (a worker's calls
name the worker and its creator, which the evidence repeats); a script without a URL on the stack
(our own harness, ``eval`` without a source) is never accused. Every heuristic names its source in
``analyzer/data/behaviour.yaml``; docs/instrumentation.md explains them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources

import yaml

from crawler.capture import ApiCall, Capture, RequestRecord, Visit
from crawler.domains import host_of, registrable_domain

from .leaks import Leak, find_leaks


@functools.cache
def behaviour_rules() -> dict:
    raw = yaml.safe_load(resources.files("analyzer.data").joinpath("behaviour.yaml").read_text("utf-8"))
    for key in ("sources", "fingerprinting", "session_recording", "pii"):
        if key not in raw:
            raise ValueError(f"analyzer/data/behaviour.yaml: missing section {key!r}")
    for kind, rule in raw["fingerprinting"].items():
        if rule.get("source") not in raw["sources"]:
            raise ValueError(f"behaviour.yaml: fingerprinting.{kind} names an unknown source")
    return raw


@dataclass
class ScriptCalls:
    """The instrumented calls one script made in one visit."""

    visit: str
    script_url: str
    calls: dict[str, ApiCall] = field(default_factory=dict)  # api -> merged over frames and workers
    workers: dict[str, str | None] = field(default_factory=dict)  # worker script URL -> its creator, where it ran

    def where(self) -> str | None:
        """Where the calls ran when some ran in workers, in words."""
        if not self.workers:
            return None
        return "; ".join(f"in the worker {url}" + (f" created by {creator}" if creator else "")
                         for url, creator in sorted(self.workers.items()))

    def has(self, api: str) -> bool:
        return api in self.calls

    def any(self, apis: list[str]) -> bool:
        return any(a in self.calls for a in apis)

    def args(self, api: str) -> list[str]:
        call = self.calls.get(api)
        return call.args if call else []

    def distinct(self, api: str) -> int:
        call = self.calls.get(api)
        return call.distinct_args if call else 0

    def summary(self, apis: list[str]) -> str:
        parts = []
        for api in apis:
            call = self.calls.get(api)
            if call is not None:
                shown = ", ".join(repr(a) for a in call.args[:3])
                parts.append(f"{api} ×{call.count}" + (f" ({shown}{', …' if call.distinct_args > 3 else ''})" if shown else ""))
        return "; ".join(parts)


@dataclass
class Fingerprint:
    kind: str  # canvas, font, webgl, audio, webrtc
    visit: str
    script_url: str
    calls: str  # the API calls that meet the criteria, in words
    criteria: str
    where: str | None = None  # "in the worker … created by …" when (some of) the calls ran in a worker


@dataclass
class Recording:
    visit: str
    script_url: str
    calls: str
    requests: list[RequestRecord]  # what it sent to a third party


@dataclass
class BehaviourReport:
    fingerprints: list[Fingerprint] = field(default_factory=list)
    recordings: list[Recording] = field(default_factory=list)  # by behaviour
    leaks: list[Leak] = field(default_factory=list)


def scripts_of(visit: Visit) -> list[ScriptCalls]:
    by_script: dict[str, ScriptCalls] = {}
    for call in visit.api_calls:
        if not call.script_url:
            continue
        sc = by_script.setdefault(call.script_url, ScriptCalls(visit.name, call.script_url))
        if call.worker_url:
            sc.workers.setdefault(call.worker_url, call.frame_url)
        merged = sc.calls.get(call.api)
        if merged is None:
            sc.calls[call.api] = ApiCall(api=call.api, script_url=call.script_url, count=call.count,
                                         distinct_args=call.distinct_args, args=list(call.args))
        else:
            merged.count += call.count
            merged.distinct_args = max(merged.distinct_args, call.distinct_args)
            merged.args.extend(a for a in call.args if a not in merged.args)
    return list(by_script.values())


def detect_behaviour(capture: Capture) -> BehaviourReport:
    rules = behaviour_rules()
    report = BehaviourReport()
    for visit in capture.visits:
        for sc in scripts_of(visit):
            report.fingerprints.extend(fingerprints_of(sc, rules["fingerprinting"]))
            recording = recording_of(sc, visit, capture.domain, rules["session_recording"])
            if recording is not None:
                report.recordings.append(recording)
        report.leaks.extend(find_leaks(visit, capture.domain, rules["pii"]))
    return report


# ---------------------------------------------------------------------------- fingerprinting


def fingerprints_of(sc: ScriptCalls, rules: dict) -> list[Fingerprint]:
    found = []
    for kind, check in (("canvas", _canvas), ("font", _font), ("webgl", _webgl), ("audio", _audio),
                        ("webrtc", _webrtc)):
        hit = check(sc, rules[kind])
        if hit is not None:
            calls, criteria = hit
            found.append(Fingerprint(kind, sc.visit, sc.script_url, calls, criteria, sc.where()))
    return found


# Reading a canvas back: page canvases and OffscreenCanvas (pages and workers) alike.
EXTRACTING = ("canvas.toDataURL", "canvas.toBlob", "canvas.convertToBlob", "canvas.getImageData")


def _side_ok(size_arg: str, min_side: int) -> bool:
    """'240x60 image/png' or '16x16 of 300x150' → both sides ≥ min_side."""
    try:
        w, h = size_arg.split(" ", 1)[0].split("x")
        return int(w) >= min_side and int(h) >= min_side
    except ValueError:
        return False


def _canvas(sc: ScriptCalls, rule: dict) -> tuple[str, str] | None:
    side = rule["min_side_px"]
    extracted = any(_side_ok(a, side) for api in EXTRACTING for a in sc.args(api))
    if not extracted or sc.any(rule["disqualifying_calls"]):
        return None
    colours = len({c for api in ("canvas.fillStyle", "canvas.strokeStyle") for c in sc.args(api)})
    chars = len(set("".join(sc.args("canvas.fillText") + sc.args("canvas.strokeText"))))
    if not sc.any(["canvas.fillText", "canvas.strokeText"]) or (colours < rule["min_colours"]
                                                                and chars < rule["min_distinct_chars"]):
        return None
    calls = sc.summary(["canvas.fillText", "canvas.strokeText", "canvas.fillStyle", *EXTRACTING])
    criteria = (f"text written with {colours} colour(s) and {chars} distinct characters, image of at least "
                f"{side}×{side} px read back, no save/restore")
    return calls, criteria


def _font(sc: ScriptCalls, rule: dict) -> tuple[str, str] | None:
    fonts = sc.distinct("canvas.measureText")
    if fonts < rule["min_fonts"]:
        return None
    return sc.summary(["canvas.measureText"]), f"text measured in {fonts} distinct fonts (≥ {rule['min_fonts']})"


def _webgl(sc: ScriptCalls, rule: dict) -> tuple[str, str] | None:
    read = [p for p in sc.args("webgl.getParameter") if p in rule["unmasked_parameters"]]
    if not read:
        return None
    return (sc.summary(["webgl.getExtension", "webgl.getParameter", "webgl.getSupportedExtensions"]),
            "the unmasked GPU vendor/renderer read through WEBGL_debug_renderer_info")


def _audio(sc: ScriptCalls, rule: dict) -> tuple[str, str] | None:
    if not (sc.any(rule["constructors"]) and sc.any(rule["generators"]) and sc.any(rule["processors"])
            and sc.any(rule["readers"])):
        return None
    apis = rule["constructors"] + rule["generators"] + rule["processors"] + rule["readers"]
    return sc.summary(apis), "an oscillator through a compressor/analyser, rendered and its samples read"


def _webrtc(sc: ScriptCalls, rule: dict) -> tuple[str, str] | None:
    if not all(sc.has(a) for a in rule["required"]) or not sc.any(rule["candidate_readers"]):
        return None
    if sc.any(rule["connecting_calls"]):
        return None  # a real call negotiates with a remote peer
    apis = rule["required"] + rule["candidate_readers"]
    return sc.summary(apis), "a peer connection that never connects, with a data channel, an offer and its ICE candidates read"


# ---------------------------------------------------------------------------- session recording


def recording_of(sc: ScriptCalls, visit: Visit, site: str, rule: dict) -> Recording | None:
    if registrable_domain(host_of(sc.script_url)) == registrable_domain(site):
        return None
    observes_dom = any("subtree" in a and a.split(" ")[0] in ("document", "html", "body")
                       for a in sc.args(rule["dom_observer"]))
    if not (observes_dom and sc.any(rule["input_listeners"]) and sc.any(rule["pointer_listeners"])):
        return None
    sent = [r for r in visit.requests if r.initiator_script == sc.script_url and r.post_data_size > 0
            and registrable_domain(host_of(r.url)) != registrable_domain(site)]
    if not sent:
        return None
    calls = sc.summary([rule["dom_observer"], *rule["input_listeners"], *rule["pointer_listeners"]])
    return Recording(visit.name, sc.script_url, calls, sent)
