"""Draws the app's two Teams icons as PNG files, with nothing but the standard library.

``python -m adapters.teams.manifest.draw_icons`` rewrites ``color.png`` (192×192: a white speech
bubble holding a heart, on the accent colour) and ``outline.png`` (32×32: the same shape as a white
outline on transparency, as Teams asks for). Shapes are sampled 4×4 per pixel for smooth edges.
"""

from __future__ import annotations

import logging
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
ACCENT = (0x2E, 0x5A, 0xAC)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4

Shape = Callable[[float, float], bool]  # point (x, y) in the unit square → inside?


def rounded_box(left: float, top: float, right: float, bottom: float, radius: float) -> Shape:
    def inside(x: float, y: float) -> bool:
        if not (left <= x <= right and top <= y <= bottom):
            return False
        cx = min(max(x, left + radius), right - radius)
        cy = min(max(y, top + radius), bottom - radius)
        return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2

    return inside


def circle(cx: float, cy: float, r: float) -> Shape:
    return lambda x, y: (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def triangle(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> Shape:
    def side(p: tuple[float, float], q: tuple[float, float], x: float, y: float) -> float:
        return (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])

    def inside(x: float, y: float) -> bool:
        s1, s2, s3 = side(a, b, x, y), side(b, c, x, y), side(c, a, x, y)
        return (s1 >= 0 and s2 >= 0 and s3 >= 0) or (s1 <= 0 and s2 <= 0 and s3 <= 0)

    return inside


def union(*shapes: Shape) -> Shape:
    return lambda x, y: any(shape(x, y) for shape in shapes)


def minus(shape: Shape, hole: Shape) -> Shape:
    return lambda x, y: shape(x, y) and not hole(x, y)


def bubble(margin: float = 0.0) -> Shape:
    """The speech bubble, shrunk by ``margin`` (for the inside edge of an outline)."""
    m = margin
    return union(
        rounded_box(0.14 + m, 0.18 + m, 0.86 - m, 0.70 - m, max(0.02, 0.14 - m)),
        triangle((0.30 + m, 0.62), (0.28 + m, 0.86 - 1.6 * m), (0.50 - m, 0.66 - m)),
    )


HEART = union(circle(0.42, 0.40, 0.085), circle(0.58, 0.40, 0.085), triangle((0.342, 0.43), (0.658, 0.43), (0.5, 0.60)))


def coverage(shape: Shape, size: int, px: int, py: int) -> float:
    hits = 0
    for sy in range(SAMPLES):
        for sx in range(SAMPLES):
            if shape((px + (sx + 0.5) / SAMPLES) / size, (py + (sy + 0.5) / SAMPLES) / size):
                hits += 1
    return hits / (SAMPLES * SAMPLES)


def mix(under: tuple[int, int, int], over: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    r, g, b = (round(u + (o - u) * amount) for u, o in zip(under, over, strict=True))
    return r, g, b


def color_icon(size: int = 192) -> list[bytes]:
    body = minus(bubble(), HEART)
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            row += bytes((*mix(ACCENT, WHITE, coverage(body, size, px, py)), 255))
        rows.append(bytes(row))
    return rows


def outline_icon(size: int = 32) -> list[bytes]:
    mark = union(minus(bubble(), bubble(0.075)), HEART)
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            row += bytes((*WHITE, round(255 * coverage(mark, size, px, py))))
        rows.append(bytes(row))
    return rows


def png(rows: list[bytes]) -> bytes:
    """An 8-bit RGBA PNG from rows of RGBA bytes."""
    height, width = len(rows), len(rows[0]) // 4

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + row for row in rows), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def main() -> None:
    (HERE / "color.png").write_bytes(png(color_icon()))
    (HERE / "outline.png").write_bytes(png(outline_icon()))
    logger.info("icons written to %s", HERE)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
