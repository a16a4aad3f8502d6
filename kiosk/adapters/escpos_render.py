"""ESC/POS bytes for a receipt, built with python-escpos' command builder (Dummy).

Chinese prints right two ways: printers with a Chinese font get GB18030 text in
their Chinese mode, selected explicitly with FS & (python-escpos would send the
bytes without it); any line the printer's charset cannot encode, and every
non-ASCII line on a printer without a Chinese font, is rendered with Pillow and
a CJK font and sent as a raster image (GS v 0).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from kiosk.adapters.receipt_layout import Line
from kiosk.errors import KioskError

FS_CHINESE_ON, FS_CHINESE_OFF = b"\x1c\x26", b"\x1c\x2e"
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # fonts-noto-cjk: rare characters too
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei: GBK coverage
)
CHARSETS = ("gb18030", "gbk", "gb2312", "ascii")


class NoCjkFont(KioskError, RuntimeError):
    """No CJK font for raster lines: apt-get install fonts-noto-cjk."""


@dataclass(frozen=True)
class PrinterProfile:
    paper_mm: int = 58  # 58 or 80
    charset: str = "gb18030"  # what the printer's own font encodes; "ascii": no Chinese font
    font_path: str = ""

    @property
    def dots(self) -> int:
        return 576 if self.paper_mm == 80 else 384


def fits_charset(text: str, charset: str) -> bool:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


def find_font(explicit: str = "") -> str:
    for path in ((explicit,) if explicit else ()) + FONT_CANDIDATES:
        if path and os.path.exists(path):
            return path
    raise NoCjkFont("no CJK font for raster printing; fix: apt-get install fonts-noto-cjk")


@functools.lru_cache(maxsize=16)
def _font(path: str, size: int):
    from PIL import ImageFont
    return ImageFont.truetype(path, size)


def render_line_image(line: Line, profile: PrinterProfile):
    """A 1-bit image of one line, as wide as the paper's printable dots."""
    from PIL import Image, ImageDraw
    font = _font(find_font(profile.font_path), 24 * min(line.size, 3))
    left, top, right, bottom = font.getbbox(line.text)
    height = bottom - top + 8
    image = Image.new("1", (profile.dots, height), 1)
    x = (profile.dots - (right - left)) // 2 - left if line.align == "center" else -left
    ImageDraw.Draw(image).text((max(x, 0), 4 - top), line.text, font=font, fill=0)
    return image


def qr_image(text: str, profile: PrinterProfile):
    """A QR code as a 1-bit raster image, sized for the paper (module 6 dots on 58 mm)."""
    import io

    import segno
    from PIL import Image

    from kiosk.keys import QR_ERROR_LEVEL
    buffer = io.BytesIO()
    segno.make(text, error=QR_ERROR_LEVEL).save(buffer, kind="png", scale=6 if profile.paper_mm == 58 else 8,
                                     border=2)
    buffer.seek(0)
    return Image.open(buffer).convert("1")


def render_receipt(lines: list[Line], profile: PrinterProfile) -> bytes:
    from escpos.printer import Dummy  # only the printer adapters need python-escpos
    job = Dummy()
    job.profile.profile_data.setdefault("media", {}).setdefault("width", {})["pixels"] = profile.dots
    job.hw("INIT")
    for line in lines:
        if line.qr:
            job.set(align="center", normal_textsize=True)
            job.image(qr_image(line.qr, profile), center=True)
        elif line.text.isascii() or (profile.charset != "ascii"
                                   and fits_charset(line.text, profile.charset)):
            size = {1: 1, 2: 2}.get(line.size, 4)
            job.set(align=line.align, bold=line.bold, custom_size=size > 1, width=size,
                    height=size, normal_textsize=size == 1)
            if line.text.isascii():
                job._raw(line.text.encode("ascii") + b"\n")
            else:
                job._raw(FS_CHINESE_ON + line.text.encode("gb18030") + b"\n" + FS_CHINESE_OFF)
        else:
            job.set(align="left", normal_textsize=True)
            job.image(render_line_image(line, profile))
    job.set(align="left", normal_textsize=True)
    job.cut()
    return job.output
