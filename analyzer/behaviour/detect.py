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
from typing import TypedDict

import msgspec
import yaml

from model.capture import ApiCall, Capture, RequestRecord, Visit
from model.domains import host_of, registrable_domain

from .leaks import Leak, PiiRule, find_leaks


# The sections of analyzer/data/behaviour.yaml (its comments say what each threshold means).
class _Sourced(TypedDict):
    source: str  # a key of ``sources``: where the heuristic comes from


class CanvasRule(_Sourced):
    min_side_px: int
    min_colours: int
    min_distinct_chars: int
    disqualifying_calls: list[str]


class FontRule(_Sourced):
    min_fonts: int


class WebglRule(_Sourced):
    unmasked_parameters: list[str]


class AudioRule(_Sourced):
    constructors: list[str]
    generators: list[str]
    processors: list[str]
    readers: list[str]


class WebrtcRule(_Sourced):
    required: list[str]
    candidate_readers: list[str]
    connecting_calls: list[str]


class FingerprintRules(TypedDict):
    canvas: CanvasRule
    font: FontRule
    webgl: WebglRule
    audio: AudioRule
    webrtc: WebrtcRule


class RecordingRule(TypedDict):
    dom_observer: str
    input_listeners: list[str]
    pointer_listeners: list[str]


class BehaviourRules(TypedDict):
    sources: dict[str, str]
    fingerprinting: FingerprintRules
    session_recording: RecordingRule
    pii: PiiRule


@functools.cache
def behaviour_rules() -> BehaviourRules:
    return parse_behaviour_rules(resources.files("analyzer.data").joinpath("behaviour.yaml").read_text("utf-8"))


def parse_behaviour_rules(text: str) -> BehaviourRules:
    """behaviour.yaml's text, checked: a value of the wrong shape is a ValueError naming where it is."""
    try:
        rules = msgspec.convert(yaml.safe_load(text), BehaviourRules)
    except msgspec.ValidationError as exc:
        raise ValueError(f"analyzer/data/behaviour.yaml: {exc}") from None
    fp = rules["fingerprinting"]
    named: dict[str, _Sourced] = {"canvas": fp["canvas"], "font": fp["font"], "webgl": fp["webgl"],
                                  "audio": fp["audio"], "webrtc": fp["webrtc"]}
    for kind, rule in named.items():
        if rule["source"] not in rules["sources"]:
            raise ValueError(f"behaviour.yaml: fingerprinting.{kind} names an unknown source")
    return rules


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


def fingerprints_of(sc: ScriptCalls, rules: FingerprintRules) -> list[Fingerprint]:
    found = []
    for kind, hit in (("canvas", _canvas(sc, rules["canvas"])), ("font", _font(sc, rules["font"])),
                      ("webgl", _webgl(sc, rules["webgl"])), ("audio", _audio(sc, rules["audio"])),
                      ("webrtc", _webrtc(sc, rules["webrtc"]))):
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


def _canvas(sc: ScriptCalls, rule: CanvasRule) -> tuple[str, str] | None:
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


def _font(sc: ScriptCalls, rule: FontRule) -> tuple[str, str] | None:
    fonts = sc.distinct("canvas.measureText")
    if fonts < rule["min_fonts"]:
        return None
    return sc.summary(["canvas.measureText"]), f"text measured in {fonts} distinct fonts (≥ {rule['min_fonts']})"


def _webgl(sc: ScriptCalls, rule: WebglRule) -> tuple[str, str] | None:
    read = [p for p in sc.args("webgl.getParameter") if p in rule["unmasked_parameters"]]
    if not read:
        return None
    return (sc.summary(["webgl.getExtension", "webgl.getParameter", "webgl.getSupportedExtensions"]),
            "the unmasked GPU vendor/renderer read through WEBGL_debug_renderer_info")


def _audio(sc: ScriptCalls, rule: AudioRule) -> tuple[str, str] | None:
    if not (sc.any(rule["constructors"]) and sc.any(rule["generators"]) and sc.any(rule["processors"])
            and sc.any(rule["readers"])):
        return None
    apis = rule["constructors"] + rule["generators"] + rule["processors"] + rule["readers"]
    return sc.summary(apis), "an oscillator through a compressor/analyser, rendered and its samples read"


def _webrtc(sc: ScriptCalls, rule: WebrtcRule) -> tuple[str, str] | None:
    if not all(sc.has(a) for a in rule["required"]) or not sc.any(rule["candidate_readers"]):
        return None
    if sc.any(rule["connecting_calls"]):
        return None  # a real call negotiates with a remote peer
    apis = rule["required"] + rule["candidate_readers"]
    return sc.summary(apis), "a peer connection that never connects, with a data channel, an offer and its ICE candidates read"


# ---------------------------------------------------------------------------- session recording


def recording_of(sc: ScriptCalls, visit: Visit, site: str, rule: RecordingRule) -> Recording | None:
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
