"""Hosts read the way a browser's URL parser reads them (WHATWG URL Standard, host parsing).

``0x7f.1``, ``127.1``, ``2130706433``, ``0177.0.0.1``, ``127.0.0.0x``, ``１２７。０。０。１`` are all IPv4
literals to Chromium; a guard that reads them as names lets them through. ``parse_host`` returns
what the browser would connect to: an ``ipaddress`` object for literals, else the ASCII name.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import unquote, urlsplit

import idna

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# WHATWG "forbidden domain code points" (after percent-decoding and IDNA mapping).
_FORBIDDEN = frozenset(chr(c) for c in range(0x21)) | frozenset("#%/:<>?@[\\]^|\x7f")
_HEX = frozenset("0123456789abcdefABCDEF")


class InvalidHost(ValueError):
    """The browser would reject a URL with this host (so it can never be reached either)."""


def parse_host(raw: str) -> IPAddress | str:
    """WHATWG host parser for special schemes (http, https, ws, wss)."""
    if raw.startswith("["):
        if not raw.endswith("]"):
            raise InvalidHost(f"{raw!r}: unterminated IPv6 literal")
        try:
            return ipaddress.IPv6Address(raw[1:-1])
        except ValueError:
            raise InvalidHost(f"{raw!r}: not an IPv6 address") from None
    ascii_host = domain_to_ascii(unquote(raw, errors="replace"))
    if _ends_in_a_number(ascii_host):
        return parse_ipv4(ascii_host)
    return ascii_host


def domain_to_ascii(domain: str) -> str:
    """UTS #46 mapping (case, width, ideographic full stops …) then Punycode for non-ASCII labels."""
    try:
        mapped = idna.uts46_remap(domain, std3_rules=False, transitional=False)
    except (idna.IDNAError, UnicodeError) as exc:
        raise InvalidHost(f"{domain!r}: {exc}") from None
    labels = []
    for label in mapped.split("."):
        if label.isascii():
            labels.append(label)
        else:
            labels.append("xn--" + label.encode("punycode").decode("ascii"))
    host = ".".join(labels)
    if not host or any(ch in _FORBIDDEN for ch in host):
        raise InvalidHost(f"{domain!r}: not a valid host")
    return host


def _ends_in_a_number(host: str) -> bool:
    parts = host.split(".")
    if parts[-1] == "":
        if len(parts) == 1:
            return False
        parts.pop()
    last = parts[-1]
    if last and last.isascii() and last.isdigit():
        return True
    return _ipv4_number(last) is not None


def _ipv4_number(part: str) -> int | None:
    if part == "":
        return None
    if part[:2] in ("0x", "0X"):
        digits = part[2:]
        if digits and not set(digits) <= _HEX:
            return None
        return int(digits, 16) if digits else 0
    if len(part) > 1 and part[0] == "0":
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if not (digits.isascii() and digits.isdigit()):
        return None
    try:
        return int(digits, base)
    except ValueError:  # an 8 or 9 in an octal part
        return None


def parse_ipv4(host: str) -> ipaddress.IPv4Address:
    """WHATWG IPv4 parser: 1–4 parts, each decimal, 0x-hex or 0-octal; the last fills the rest."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        raise InvalidHost(f"{host!r}: more than four IPv4 parts")
    numbers = []
    for part in parts:
        number = _ipv4_number(part)
        if number is None:
            raise InvalidHost(f"{host!r}: {part!r} is not an IPv4 number")
        numbers.append(number)
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise InvalidHost(f"{host!r}: IPv4 part out of range")
    value = numbers[-1]
    for i, n in enumerate(numbers[:-1]):
        value += n * 256 ** (3 - i)
    return ipaddress.IPv4Address(value)


def is_localhost_name(host: str) -> bool:
    """``localhost`` and every ``*.localhost`` name: Chromium answers them with loopback itself."""
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


def url_host_port(url: str) -> tuple[str, int] | None:
    """The raw host and effective port of an http(s)/ws(s) URL, or None for other schemes."""
    parts = urlsplit(url)
    default = {"http": 80, "ws": 80, "https": 443, "wss": 443}.get(parts.scheme)
    if default is None or parts.hostname is None:
        return None
    try:
        port = parts.port or default
    except ValueError:
        return None
    host = parts.netloc.rsplit("@", 1)[-1]
    host = host.rsplit(":", 1)[0] if not host.endswith("]") and ":" in host else host
    return host, port
