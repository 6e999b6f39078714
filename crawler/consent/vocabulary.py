"""The banner vocabulary (``vocabulary.yaml``): button phrases per language and consent-cookie names."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yaml")
BUTTON_KINDS = ("opt_out", "reject", "accept", "settings", "save")
CONTAINED_ORDER = ("opt_out", "reject", "settings", "save", "accept")  # must agree with heuristic.js
REFUSALS = ("reject", "opt_out")  # kinds that say no (GDPR-style refusal, US opt-out of sale/sharing)


@dataclass(frozen=True)
class Vocabulary:
    banner_words: tuple[str, ...]
    buttons: dict[str, tuple[str, ...]]  # kind → normalised phrases, all languages
    max_label_chars: int
    consent_cookies_exact: frozenset[str]
    consent_cookies_prefix: tuple[str, ...]
    max_cookie_chars: int

    def for_page(self) -> dict:
        """What the in-page heuristic gets (plain JSON)."""
        return {"banner_words": list(self.banner_words), "max_label_chars": self.max_label_chars,
                **{kind: list(phrases) for kind, phrases in self.buttons.items()}}

    def is_consent_cookie(self, name: str) -> bool:
        return name in self.consent_cookies_exact or name.startswith(self.consent_cookies_prefix)

    def classify(self, label: str) -> str | None:
        """The kind of a button label, by the same rule as the in-page heuristic (see the YAML)."""
        text = normalise(label)
        if not text or len(text) > self.max_label_chars:
            return None
        for kind in BUTTON_KINDS:
            if text in self.buttons[kind]:
                return kind
        padded = f" {text} "
        for kind in CONTAINED_ORDER:
            if any(f" {p} " in padded for p in self.buttons[kind]):
                return kind
        return None


_SPACES = re.compile(r"\s+")
_EDGE_PUNCTUATION = " .,;:!?…\"'«»“”‘’()[]{}<>→›»-–—*·|/"


def normalise(text: str) -> str:
    """Lower case, NFC, typographic apostrophes straightened, spacing collapsed, edges trimmed.

    Must agree with ``norm`` in heuristic.js."""
    text = unicodedata.normalize("NFC", text or "").lower().replace("’", "'").replace("\u00a0", " ")
    return _SPACES.sub(" ", text).strip(_EDGE_PUNCTUATION)


@functools.cache
def load_vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    raw = yaml.safe_load(path.read_text("utf-8"))

    def flat(section: str) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for phrases in raw[section].values():
            for phrase in phrases:
                seen.setdefault(normalise(str(phrase)), None)
        return tuple(seen)

    cookies = raw["consent_cookies"]
    return Vocabulary(
        banner_words=flat("banner_words"),
        buttons={kind: flat(kind) for kind in BUTTON_KINDS},
        max_label_chars=int(raw["max_label_chars"]),
        consent_cookies_exact=frozenset(cookies.get("exact", [])),
        consent_cookies_prefix=tuple(cookies.get("prefix", [])),
        max_cookie_chars=int(raw["max_cookie_chars"]),
    )
