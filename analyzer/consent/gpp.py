"""IAB Global Privacy Platform strings: header (section ids, Fibonacci-coded) and the sections the
findings read: ``usnat`` (id 7; v1 and v2), ``uspv1`` (6), ``tcfeuv2`` (2) and the US state sections
(8–27: usca, usva, usco, …), whose core layouts are data (``gpp_us_states.yaml``, generated from the
IAB's reference implementation) and whose opt-out fields mean what usnat's do.

usnat opt-out fields: 0 = not applicable, 1 = opted out, 2 = did not opt out.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import NotRequired, TypedDict

import msgspec
import yaml

from model.consent import GPPString, UsNat, UsState

from .bits import BitReader, DecodeError
from .tcf import decode_tc_string
from .usp import decode_usp

SECTION_NAMES = {
    2: "tcfeuv2", 5: "tcfcav1", 6: "uspv1", 7: "usnat", 8: "usca", 9: "usva", 10: "usco", 11: "usut", 12: "usct",
    13: "usfl", 14: "usmt", 15: "usor", 16: "ustx", 17: "usde", 18: "usia", 19: "usne", 20: "usnh", 21: "usnj",
    22: "ustn", 23: "usmn", 24: "usmd", 25: "usin", 26: "usky", 27: "usri",
}
US_STATES_FILE = Path(__file__).with_name("gpp_us_states.yaml")


def decode_usnat(text: str) -> UsNat:
    parts = text.split(".")
    r = BitReader(parts[0])
    version = r.int(6)
    if version not in (1, 2):
        raise DecodeError(f"usnat version {version} not supported")
    sensitive, child = (12, 2) if version == 1 else (16, 3)
    out = UsNat(
        version=version, sharing_notice=r.int(2), sale_opt_out_notice=r.int(2), sharing_opt_out_notice=r.int(2),
        targeted_advertising_opt_out_notice=r.int(2), sensitive_data_processing_opt_out_notice=r.int(2),
        sensitive_data_limit_use_notice=r.int(2), sale_opt_out=r.int(2), sharing_opt_out=r.int(2),
        targeted_advertising_opt_out=r.int(2), sensitive_data_processing=r.ints(sensitive, 2),
        known_child_sensitive_data_consents=r.ints(child, 2), personal_data_consents=r.int(2),
        mspa_covered_transaction=r.int(2), mspa_opt_out_option_mode=r.int(2), mspa_service_provider_mode=r.int(2),
    )
    for sub in parts[1:]:
        sr = BitReader(sub)
        if sr.int(2) == 1:  # subsection type 1: GPC
            out.gpc = sr.bool()
    return out


class UsStateField(TypedDict):
    name: str
    bits: int
    count: NotRequired[int]  # a list of ``count`` values of ``bits`` each


class UsStateLayout(TypedDict):
    id: int
    name: str
    gpc_subsection: bool
    core: list[UsStateField]


@functools.cache
def us_state_layouts(path: Path = US_STATES_FILE) -> dict[int, UsStateLayout]:
    raw = yaml.safe_load(path.read_text("utf-8"))
    try:
        sections = msgspec.convert(raw["sections"], list[UsStateLayout])
    except (msgspec.ValidationError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    for section in sections:
        for f in section["core"]:
            if not f["name"]:
                raise ValueError(f"{path}: {section['name']}: bad field {f!r}")
    return {section["id"]: section for section in sections}


def _single(fields: dict[str, int | list[int]], name: str) -> int | None:
    """A one-value field; None when the state's layout has no such field (or lists it as several)."""
    value = fields.get(name)
    return value if isinstance(value, int) else None


def decode_us_state(section_id: int, text: str) -> UsState:
    layout = us_state_layouts().get(section_id)
    if layout is None:
        raise DecodeError(f"GPP section {section_id} is not a known US state section")
    parts = text.split(".")
    r = BitReader(parts[0])
    fields: dict[str, int | list[int]] = {}
    for f in layout["core"]:
        fields[f["name"]] = r.ints(f["count"], f["bits"]) if "count" in f else r.int(f["bits"])
    out = UsState(name=layout["name"], fields=fields, sale_opt_out=_single(fields, "sale_opt_out"),
                  sharing_opt_out=_single(fields, "sharing_opt_out"),
                  targeted_advertising_opt_out=_single(fields, "targeted_advertising_opt_out"))
    if layout["gpc_subsection"]:
        for sub in parts[1:]:
            sr = BitReader(sub)
            if sr.int(2) == 1:
                out.gpc = sr.bool()
    return out


def _header(text: str) -> tuple[int, list[int]]:
    r = BitReader(text)
    if r.int(6) != 3:
        raise DecodeError("not a GPP string (header type is not 3)")
    version = r.int(6)
    ids: list[int] = []
    last = 0
    for _ in range(r.int(12)):
        if r.bool():  # a range: start offset, then length
            start = last + r.fibonacci()
            end = start + r.fibonacci()
            ids.extend(range(start, end + 1))
            last = end
        else:
            last += r.fibonacci()
            ids.append(last)
    return version, ids


def decode_gpp(text: str) -> GPPString:
    parts = text.strip().split("~")
    version, ids = _header(parts[0])
    if len(parts) - 1 != len(ids):
        raise DecodeError(f"GPP header lists {len(ids)} section(s), string has {len(parts) - 1}")
    out = GPPString(string=text.strip(), version=version, section_ids=ids,
                    sections=[SECTION_NAMES.get(i, f"section {i}") for i in ids])
    decoders = {7: ("usnat", decode_usnat), 6: ("uspv1", decode_usp), 2: ("tcfeuv2", decode_tc_string)}
    for section_id, body in zip(ids, parts[1:]):
        if section_id in us_state_layouts():
            try:
                out.us_states.append(decode_us_state(section_id, body))
            except DecodeError as exc:
                out.errors.append(f"{SECTION_NAMES.get(section_id, section_id)}: {exc}")
            continue
        if section_id not in decoders:
            continue
        name, decode = decoders[section_id]
        try:
            setattr(out, name, decode(body))
        except DecodeError as exc:
            out.errors.append(f"{name}: {exc}")
    return out
