"""A worker script with the client-hints patch (``crawler/data/worker_ua_patch.js``) spliced in before its code.

Pure functions over bytes, used by crawler/worker_disguise.py. The patch goes after a hashbang line and the
directive prologue, so ``"use strict"`` stays in force, on the same line as what follows, so every line
number in the script (stack traces, source maps) stays what it was.
"""

from __future__ import annotations

import codecs
import json
import re
from importlib import resources

# What a classic worker runs: JavaScript MIME types, and text/plain or nothing (measured: Chromium 156 runs both).
SCRIPT_TYPES = frozenset({
    "application/ecmascript", "application/javascript", "application/x-ecmascript", "application/x-javascript",
    "text/ecmascript", "text/javascript", "text/javascript1.0", "text/javascript1.1", "text/javascript1.2",
    "text/javascript1.3", "text/javascript1.4", "text/javascript1.5", "text/jscript", "text/livescript",
    "text/x-ecmascript", "text/x-javascript", "text/plain", "",
})
_BOMS = ((codecs.BOM_UTF8, "latin-1"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_LINE_ENDS = "\n\r\u2028\u2029"
_CONTINUES_EXPRESSION = re.compile(r"[.\[(+\-*/%,?:=<>&|^`]|in\b|instanceof\b")


def worker_patch(metadata: dict) -> str:
    """The patch, one line of JavaScript, answering with ``metadata`` (CDP ``UserAgentMetadata``)."""
    source = resources.files("crawler.data").joinpath("worker_ua_patch.js").read_text(encoding="utf-8")
    code = source[source.index("*/") + 2:]  # the file's header comment
    one_line = " ".join(line.strip() for line in code.splitlines() if line.strip())
    return one_line.replace("__CW_UA_METADATA__", json.dumps(metadata, ensure_ascii=True))


def is_script_type(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() in SCRIPT_TYPES


def patch_script(body: bytes, patch: str, content_type: str | None = None) -> bytes | None:
    """``body`` with ``patch`` spliced in; None when its encoding is one an ASCII patch cannot go into safely."""
    bom, codec = b"", "latin-1"  # latin-1 round-trips every byte, and the scan reads ASCII only
    for mark, name in _BOMS:
        if body.startswith(mark):
            bom, codec = mark, name
            break
    if not bom and "utf-16" in (content_type or "").lower():
        return None
    try:
        text = body[len(bom):].decode(codec)
    except UnicodeDecodeError:
        return None
    at, semicolon = insertion_point(text)
    return bom + (text[:at] + (";" if semicolon else "") + patch + text[at:]).encode(codec)


def insertion_point(text: str) -> tuple[int, bool]:
    """The offset after the hashbang line and the directive prologue, and whether the last directive needs a
    semicolon there (it ended by a line break)."""
    at, semicolon = 0, False
    if text.startswith("#!"):
        end = _line_end(text, 0)
        at = min(end + 1, len(text))
    i = _skip_space_and_comments(text, at)
    while i < len(text) and text[i] in "'\"":
        end = _string_end(text, i)
        if end is None:
            break
        after = _skip_space_and_comments(text, end, stop_at_line_end=True)
        if after < len(text) and text[after] == ";":
            at, semicolon = after + 1, False
        elif after >= len(text) or text[after] in _LINE_ENDS or text.startswith("/*", after):
            following = _skip_space_and_comments(text, after)
            if following < len(text) and _CONTINUES_EXPRESSION.match(text, following):
                break  # the string goes on as an expression ('a'\n.length): not a directive
            at, semicolon = end, True
        else:
            break
        i = _skip_space_and_comments(text, at)
    return at, semicolon


def _line_end(text: str, i: int) -> int:
    ends = [p for p in (text.find(c, i) for c in _LINE_ENDS) if p >= 0]
    return min(ends) if ends else len(text)


def _skip_space_and_comments(text: str, i: int, stop_at_line_end: bool = False) -> int:
    while i < len(text):
        if text[i] in _LINE_ENDS and stop_at_line_end:
            return i
        if text[i].isspace() or text[i] == "\ufeff":
            i += 1
        elif text.startswith("//", i):
            i = _line_end(text, i)
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                return len(text)
            if stop_at_line_end and any(c in text[i:close] for c in _LINE_ENDS):
                return i  # a comment spanning lines ends a statement as a line break does
            i = close + 2
        else:
            return i
    return i


def _string_end(text: str, start: int) -> int | None:
    quote, i = text[start], start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == quote:
            return i + 1
        elif text[i] in _LINE_ENDS:
            return None
        else:
            i += 1
    return None
