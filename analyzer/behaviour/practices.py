"""Which script practices the site's policies declare (fingerprinting, session recording, hashed emails).

The cues are the ``practices`` section of ``analyzer/policy/vocabulary.yaml``; a sentence that
matches a cue counts unless the words just before the cue deny it ("we do not use fingerprinting").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import yaml

from model.capture import Capture

PRACTICES = ("fingerprinting", "session-recording", "hashed-email")
DENIAL_WINDOW = 80  # characters before the cue searched for a denial


@dataclass(frozen=True)
class Declared:
    practice: str
    sentence: str
    url: str | None


@functools.cache
def practice_cues() -> tuple[dict[str, re.Pattern[str]], re.Pattern[str]]:
    raw = yaml.safe_load(resources.files("analyzer.policy").joinpath("vocabulary.yaml").read_text("utf-8"))
    section = raw.get("practices") or {}
    missing = [p for p in PRACTICES if p not in section]
    if missing or "denial" not in section:
        raise ValueError(f"vocabulary.yaml practices: missing {', '.join(missing) or 'denial'}")
    cues = {p: re.compile("|".join(f"(?:{x.strip()})" for x in section[p]), re.I) for p in PRACTICES}
    return cues, re.compile(section["denial"].strip(), re.I)


def declared_practices(capture: Capture) -> dict[str, Declared]:
    cues, denial = practice_cues()
    found: dict[str, Declared] = {}
    for policy in capture.policies:
        text = policy.text or ""
        for practice, cue in cues.items():
            if practice in found:
                continue
            for m in cue.finditer(text):
                if denial.search(text[max(0, m.start() - DENIAL_WINDOW):m.start()]):
                    continue
                found[practice] = Declared(practice, _sentence(text, m.start(), m.end()),
                                           policy.final_url or policy.url)
                break
    return found


def _sentence(text: str, start: int, end: int) -> str:
    left = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start))
    right_candidates = [i for i in (text.find(". ", end), text.find("\n", end)) if i != -1]
    right = min(right_candidates) + 1 if right_candidates else len(text)
    return text[left + 1:right].strip()[:400]
