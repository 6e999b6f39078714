"""OneTrust's ``OptanonConsent`` cookie: ``groups=C0001:1,C0002:0,…`` (C0001 strictly necessary,
C0002 performance, C0003 functional, C0004 targeting, C0005 social media; sites may add their own)."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote

from model.consent import OneTrustConsent


def decode_optanon(cookie_value: str) -> OneTrustConsent:
    fields = {k: v[0] for k, v in parse_qs(unquote(cookie_value) if "groups%3D" in cookie_value else cookie_value,
                                           keep_blank_values=True).items()}
    groups: dict[str, bool] = {}
    for item in fields.get("groups", "").split(","):
        name, _, flag = item.partition(":")
        if name:
            groups[name.strip()] = flag.strip() == "1"
    count = fields.get("interactionCount")
    gpc = fields.get("isGpcEnabled")
    return OneTrustConsent(groups=groups, interaction_count=int(count) if count and count.isdigit() else None,
                           gpc_enabled=None if gpc is None else gpc == "1")


def groups_from_active(active: str) -> list[str]:
    """``window.OnetrustActiveGroups`` (``,C0001,C0003,``) as a list."""
    return [g for g in active.split(",") if g]
