"""Reading the web-safe base64 bit strings IAB TCF and GPP use (6 bits a character, big-endian)."""

from __future__ import annotations

import builtins  # BitReader's int() and bool() methods shadow the builtins in its annotations

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_VALUE = {c: i for i, c in enumerate(B64)} | {"+": 62, "/": 63}


class DecodeError(ValueError):
    """The string is not a well-formed consent string."""


class BitReader:
    def __init__(self, text: str) -> None:
        text = text.strip().rstrip("=")
        try:
            self.bits = "".join(format(_VALUE[c], "06b") for c in text)
        except KeyError as exc:
            raise DecodeError(f"not base64url: {exc.args[0]!r}") from None
        self.pos = 0

    @property
    def remaining(self) -> int:
        return len(self.bits) - self.pos

    def take(self, n: int) -> str:
        if n > self.remaining:
            raise DecodeError(f"string ends at bit {len(self.bits)}, field needs {self.pos + n}")
        out = self.bits[self.pos:self.pos + n]
        self.pos += n
        return out

    def int(self, n: int) -> int:
        return int(self.take(n), 2) if n else 0

    def bool(self) -> bool:
        return self.take(1) == "1"

    def letters(self) -> str:
        return chr(65 + self.int(6)) + chr(65 + self.int(6))

    def field(self, n: builtins.int) -> list[builtins.int]:
        """A bitfield of ``n`` ids: the 1-based ids whose bit is set."""
        bits = self.take(n)
        return [i + 1 for i, b in enumerate(bits) if b == "1"]

    def ints(self, count: builtins.int, width: builtins.int) -> list[builtins.int]:
        return [self.int(width) for _ in range(count)]

    def fibonacci(self) -> builtins.int:
        """One Fibonacci-coded integer (Zeckendorf bits, least significant first, ended by ``11``)."""
        fib = [1, 2]
        value, prev = 0, "0"
        i = 0
        while True:
            bit = self.take(1)
            if bit == "1" and prev == "1":
                return value
            while len(fib) <= i:
                fib.append(fib[-1] + fib[-2])
            if bit == "1":
                value += fib[i]
            prev = bit
            i += 1
