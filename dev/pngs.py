"""A tiny pure-Python PNG writer, so the stand-ins can serve real pictures."""

import functools
import random
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


@functools.lru_cache(maxsize=4096)
def make_png(width: int, height: int, rgb: tuple, pattern_seed: int) -> bytes:
    """Return a valid 8-bit RGB PNG: a base colour with seeded diagonal stripes.

    The same arguments always give the same bytes.
    """
    rng = random.Random(pattern_seed)
    stripe_colour = tuple(rng.randrange(256) for _ in range(3))
    stripe_width = rng.randint(3, 9)
    slope = rng.choice((-2, -1, 1, 2))
    base = bytes(rgb)
    stripe = bytes(stripe_colour)

    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter type 0 (None) for every scanline
        for x in range(width):
            on_stripe = ((x + slope * y) // stripe_width) % 2 == 0
            row += stripe if on_stripe else base
        rows.append(bytes(row))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )
