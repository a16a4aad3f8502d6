"""Turn captured ESC/POS bytes back into text lines, raster images and cuts.

Understands what kiosk.adapters.escpos_render emits (and the common commands
around it), so tests and the demo can show what a receipt really says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kiosk.errors import KioskError

ARGS = {  # command prefix -> number of argument bytes
    b"\x1b@": 0, b"\x1b!": 1, b"\x1bE": 1, b"\x1ba": 1, b"\x1bd": 1, b"\x1bt": 1, b"\x1b-": 1,
    b"\x1bM": 1, b"\x1b2": 0, b"\x1b3": 1, b"\x1d!": 1, b"\x1dB": 1, b"\x1c&": 0, b"\x1c.": 0,
    b"\x1c!": 1, b"\x10\x04": 1, b"\x1b=": 1,
}


class DecodeError(KioskError, ValueError):
    """The bytes hold a command this decoder does not know."""


@dataclass
class Printed:
    items: list[tuple[str, Any]] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)  # character height (1-8) of each text line

    @property
    def text_lines(self) -> list[str]:
        return [value for kind, value in self.items if kind == "text"]

    @property
    def images(self) -> list:
        return [value for kind, value in self.items if kind == "image"]

    @property
    def cuts(self) -> int:
        return sum(1 for kind, _ in self.items if kind == "cut")


def _image(width_bytes: int, height: int, data: bytes):
    from PIL import Image
    inverted = bytes(b ^ 0xFF for b in data)  # ESC/POS: 1 = black; PIL "1": 0 = black
    return Image.frombytes("1", (width_bytes * 8, height), inverted)


def decode(data: bytes) -> Printed:
    printed, line, chinese, size, i = Printed(), bytearray(), False, 1, 0

    def flush() -> None:
        printed.items.append(("text", line.decode("gb18030" if chinese else "ascii",
                                                  errors="replace")))
        printed.sizes.append(size)
        line.clear()

    while i < len(data):
        byte = data[i]
        if byte == 0x0A:
            flush()
            i += 1
        elif byte == 0x0D:
            i += 1
        elif data[i:i + 3] == b"\x1dv0":
            width = data[i + 4] + 256 * data[i + 5]
            height = data[i + 6] + 256 * data[i + 7]
            end = i + 8 + width * height
            if end > len(data):
                raise DecodeError(f"raster image at byte {i} is cut short")
            printed.items.append(("image", _image(width, height, data[i + 8:end])))
            i = end
        elif data[i:i + 2] == b"\x1dV":
            function = data[i + 2]
            printed.items.append(("cut", None))
            i += 4 if function in (0x41, 0x42, 65, 66) else 3
        elif byte in (0x1B, 0x1C, 0x1D, 0x10):
            prefix = data[i:i + 2]
            if prefix not in ARGS:
                raise DecodeError(f"unknown command {prefix.hex()} at byte {i}")
            if prefix == b"\x1d!":  # GS ! n: height multiplier in the low nibble
                size = (data[i + 2] & 0x0F) + 1
            elif prefix == b"\x1b!":  # ESC ! n: bit 4 is double height, 0 is normal size
                size = 2 if data[i + 2] & 0x10 else 1
            elif prefix == b"\x1b@":
                size = 1
            if prefix == b"\x1c&":
                chinese = True
            elif prefix == b"\x1c.":
                chinese = False
            i += 2 + ARGS[prefix]
        else:
            line.append(byte)
            i += 1
    if line:
        flush()
    return printed
