"""Draws the extension's icons (icons/icon-{16,32,48,128}.png) with the standard library only.

A blue rounded square with a white lens: "we watch what the page does". Run from the repo root:
    python extension/tools/make_icons.py
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

BLUE = (11, 87, 208)
WHITE = (255, 255, 255)
SIZES = (16, 32, 48, 128)
SAMPLES = 4  # supersampling per axis, for smooth edges


def shade(x: float, y: float) -> tuple[tuple[int, int, int], float]:
    """Colour and coverage at (x, y) in the unit square."""
    # rounded square
    r = 0.22
    dx = max(abs(x - 0.5) - (0.5 - r), 0.0)
    dy = max(abs(y - 0.5) - (0.5 - r), 0.0)
    if math.hypot(dx, dy) > r:
        return BLUE, 0.0
    d = math.hypot(x - 0.5, y - 0.5)
    if 0.22 <= d <= 0.32 or d <= 0.09:  # lens ring and pupil
        return WHITE, 1.0
    return BLUE, 1.0


def draw(size: int) -> bytes:
    rows = []
    for py in range(size):
        row = bytearray([0])  # filter: none
        for px in range(size):
            acc = [0.0, 0.0, 0.0, 0.0]
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    colour, alpha = shade((px + (sx + 0.5) / SAMPLES) / size, (py + (sy + 0.5) / SAMPLES) / size)
                    for i in range(3):
                        acc[i] += colour[i] * alpha
                    acc[3] += alpha
            n = SAMPLES * SAMPLES
            a = acc[3] / n
            rgb = [round(acc[i] / acc[3]) if acc[3] else 0 for i in range(3)]
            row += bytes([*rgb, round(a * 255)])
        rows.append(bytes(row))
    return png(size, size, b"".join(rows))


def png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main() -> None:
    out = Path(__file__).resolve().parents[1] / "icons"
    out.mkdir(exist_ok=True)
    for size in SIZES:
        (out / f"icon-{size}.png").write_bytes(draw(size))


if __name__ == "__main__":
    main()
