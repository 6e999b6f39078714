"""Typed canaries and hashed identifiers found in what the page sent, and to whom.

Blacklight's search (The Markup, 2020): each canary the crawler typed (never submitted) is looked
for in every request URL and body — plain, URL-encoded, base64, and MD5/SHA-1/SHA-256 of the
lower-cased, trimmed value (phone numbers also as digits and E.164). Separately, parameters that
ad platforms use for hashed emails and phones (Meta advanced matching ``ud[em]``, Google enhanced
conversions ``em``) are reported when they carry a hash or an address, canary or not.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import TypedDict
from urllib.parse import parse_qsl, quote, quote_plus, unquote_plus, urlsplit

from model.capture import CanaryInput, RequestRecord, Visit
from model.domains import host_of, registrable_domain

HASH_RE = re.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$", re.I)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)


class PiiRule(TypedDict):
    """behaviour.yaml ``pii``: the parameters ad platforms carry hashed e-mails and phones in."""

    source: list[str]
    parameters: list[str]
    min_hash_hex: int


@dataclass
class Leak:
    kind: str  # "canary" (typed value found) or "pii_parameter" (hashed/plain email or phone in a known parameter)
    visit: str
    request: RequestRecord
    recipient: str  # registrable domain of the request
    third_party: bool
    what: str  # "email canary as sha256 in the body", "ud[em] = sha256 hash"
    canary: CanaryInput | None = None


def encodings(canary: CanaryInput) -> dict[str, str]:
    """Every form of the value we look for, by name."""
    plain = canary.value
    normal = plain.strip().lower()
    forms = {"plain": plain, "trimmed": plain.strip(), "url-encoded": quote(plain, safe=""), "form-encoded": quote_plus(plain),
             "base64": base64.b64encode(plain.encode()).decode().rstrip("=")}
    if canary.kind == "phone":
        digits = re.sub(r"\D", "", plain)
        forms["digits"] = digits
        hashed_inputs = {"": normal, " (digits)": digits, " (E.164)": "+" + digits}
    else:
        hashed_inputs = {"": normal}
    for label, value in hashed_inputs.items():
        for algo in ("md5", "sha1", "sha256"):
            forms[f"{algo}{label}"] = hashlib.new(algo, value.encode()).hexdigest()
    return {k: v for k, v in forms.items() if len(v) >= 6}


def _texts(request: RequestRecord) -> dict[str, str]:
    url = request.url
    out = {"URL": url, "decoded URL": unquote_plus(url)}
    if request.post_data:
        out["body"] = request.post_data
        out["decoded body"] = unquote_plus(request.post_data)
    return out


def find_leaks(visit: Visit, site: str, pii_rules: PiiRule) -> list[Leak]:
    site_domain = registrable_domain(site)
    forms = [(c, name, value.lower()) for c in visit.canaries for name, value in encodings(c).items()]
    params = {p.lower() for p in pii_rules["parameters"]}
    leaks: list[Leak] = []
    for request in visit.requests:
        recipient = registrable_domain(host_of(request.url))
        third = recipient != site_domain
        texts = {k: v.lower() for k, v in _texts(request).items()}
        for canary, name, value in forms:
            where = next((k for k, t in texts.items() if value in t), None)
            if where is not None:
                leaks.append(Leak("canary", visit.name, request, recipient, third,
                                  f"the {canary.kind} typed into {canary.field} ({name}) in the {where}", canary))
                break  # one canary per request is proof enough
        for param, value in _parameters(request):
            if param.lower() in params and (HASH_RE.match(value) or EMAIL_RE.match(value)):
                form = "a hash" if HASH_RE.match(value) else "an address in clear"
                typed = next((c for c, _n, v in forms if v == value.lower()), None)
                leaks.append(Leak("pii_parameter", visit.name, request, recipient, third,
                                  f"{param} = {form}" + (f" of the {typed.kind} canary" if typed else ""), typed))
    return leaks


def _parameters(request: RequestRecord) -> list[tuple[str, str]]:
    pairs = parse_qsl(urlsplit(request.url).query, keep_blank_values=False)
    body = request.post_data or ""
    if body and "=" in body and not body.lstrip().startswith(("{", "[")):
        pairs += parse_qsl(body, keep_blank_values=False)
    # Google's enhanced-conversion field packs "tv.1~em.<hash>": split its parts too.
    out = []
    for name, value in pairs:
        out.append((name, value))
        for part in value.split("~"):
            if "." in part:
                key, _, inner = part.partition(".")
                if key in ("em", "ph"):
                    out.append((key, inner))
    return out
