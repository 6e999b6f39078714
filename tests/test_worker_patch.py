"""The client-hints patch spliced into shared worker scripts (crawler/worker_patch.py): where it goes, what it
keeps (strict mode, line numbers, encoding), and that the result still parses (node, when installed)."""

from __future__ import annotations

import codecs
import shutil
import subprocess

import pytest

from crawler.disguise import user_agent_metadata
from crawler.worker_patch import insertion_point, is_script_type, patch_script, worker_patch

PATCH = worker_patch(user_agent_metadata("156.0.8078.108"))


def spliced(source: str) -> str:
    out = patch_script(source.encode(), PATCH)
    assert out is not None
    return out.decode("latin-1")


def test_the_patch_is_one_line_that_carries_the_metadata():
    assert "\n" not in PATCH and "\r" not in PATCH
    assert '"brand": "Chromium"' in PATCH and "HeadlessChrome" not in PATCH
    assert "__CW_UA_METADATA__" not in PATCH


@pytest.mark.parametrize(("source", "before"), [
    ("postMessage(1);", ""),
    ("'use strict';\nfoo();", "'use strict';"),
    ('"use strict"; "other directive";foo()', '"use strict"; "other directive";'),
    ("// a comment\n/* another */ 'use strict';\nfoo()", "// a comment\n/* another */ 'use strict';"),
    ("#!/usr/bin/env node\n'use strict'\nfoo()", "#!/usr/bin/env node\n'use strict'"),
    ("#!/usr/bin/env node\nfoo()", "#!/usr/bin/env node\n"),
    ("'use strict' /* spans\nlines */ foo()", "'use strict'"),
])
def test_the_patch_goes_after_the_hashbang_and_the_directive_prologue(source, before):
    out = spliced(source)
    assert out.startswith(before), out
    rest = out[len(before):]
    assert rest.lstrip(";").startswith(PATCH), out
    assert out.replace(PATCH, "").replace(";;", ";") in (source, source.replace("'use strict'", "'use strict';", 1))


def test_a_string_that_goes_on_as_an_expression_is_no_directive():
    assert insertion_point("'abc'\n.length; 'use strict';") == (0, False)
    assert insertion_point("'a' + b") == (0, False)


def test_a_directive_ended_by_a_line_break_gets_its_semicolon():
    at, semicolon = insertion_point("'use strict'\nfoo()")
    assert (at, semicolon) == (len("'use strict'"), True)
    assert spliced("'use strict'\nfoo()").startswith("'use strict';" + PATCH + "\nfoo()")


def test_line_numbers_stay_what_they_were():
    source = "'use strict'\nconst a = 1;\nthrow new Error('line 3');\n"
    out = spliced(source)
    assert out.count("\n") == source.count("\n")
    assert out.splitlines()[2] == "throw new Error('line 3');"


def test_byte_order_marks_stay_first_and_utf16_is_spliced_in_its_own_encoding():
    utf8 = codecs.BOM_UTF8 + "'use strict'; const é = 1;".encode()
    out = patch_script(utf8, PATCH)
    assert out is not None and out.startswith(codecs.BOM_UTF8 + b"'use strict';" + PATCH.encode())
    assert out.endswith(" const é = 1;".encode())
    utf16 = codecs.BOM_UTF16_LE + "postMessage(1)".encode("utf-16-le")
    out = patch_script(utf16, PATCH)
    assert out is not None and out[2:].decode("utf-16-le") == PATCH + "postMessage(1)"
    assert patch_script("postMessage(1)".encode("utf-16-le"), PATCH, "text/javascript; charset=utf-16") is None


def test_bytes_that_are_not_utf8_pass_through_unchanged_around_the_patch():
    body = b"const s = '\xe9\xff\x00';"  # latin-1 and stray bytes: every byte comes back as it was
    out = patch_script(body, PATCH)
    assert out == PATCH.encode() + body


@pytest.mark.parametrize(("content_type", "script"), [
    ("text/javascript", True), ("application/javascript; charset=utf-8", True), ("TEXT/JAVASCRIPT", True),
    ("text/plain", True), (None, True), ("", True), ("application/json", False), ("text/css", False),
    ("application/wasm", False), ("text/html", False),
])
def test_script_types(content_type, script):
    assert is_script_type(content_type) is script


SOURCES = ["postMessage(1);", "'use strict'\nconst x = 1;", "#!/bin/sh\n\"use strict\";\nlet y;",
           "/* c */ 'use strict'\n/* d */\nexport const z = 1;"]


@pytest.mark.parametrize("source", SOURCES)
def test_patched_scripts_still_parse(source, tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    path = tmp_path / ("worker.mjs" if "export" in source else "worker.js")
    path.write_bytes(patch_script(source.encode(), PATCH) or b"")
    checked = subprocess.run([node, "--check", str(path)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
