"""One regex for many literal phrases, shaped as a trie.

Python's ``re`` tries alternatives one after another at every position; factoring common
prefixes makes each position cost one branch per distinct first character instead of one
per phrase, which is what keeps hundreds of vendor names at one pass per policy."""

from __future__ import annotations

import re

_END = ""


def trie_pattern(phrases: list[str]) -> str:
    """Regex source matching any phrase (case as given; longest alternative preferred)."""
    root: dict = {}
    for phrase in phrases:
        node = root
        for char in phrase:
            node = node.setdefault(char, {})
        node[_END] = {}
    return _node_pattern(root) if root else "(?!)"


def _node_pattern(node: dict) -> str:
    ends_here = _END in node
    branches = [re.escape(char) + _node_pattern(child) for char, child in sorted(node.items()) if char != _END]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # Optional suffix: the longer phrase is tried first, the shorter one is the fallback.
    return f"(?:{body})?" if ends_here else body
