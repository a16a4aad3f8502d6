"""Captured receipt bytes drawn as a picture of the paper, for the demo panel."""

from __future__ import annotations

import io

from kiosk.adapters.escpos_decode import decode
from kiosk.adapters.escpos_render import PrinterProfile, find_font


def receipt_png(job: bytes, paper_dots: int = 384) -> bytes:
    from PIL import Image, ImageDraw, ImageFont
    printed, pieces, text_index = decode(job), [], 0
    for kind, value in printed.items:
        if kind == "text":
            size = min(printed.sizes[text_index], 4)
            text_index += 1
            font = ImageFont.truetype(find_font(), 22 * size)
            line = Image.new("1", (paper_dots, 30 * size), 1)
            ImageDraw.Draw(line).text((8, 2), value, font=font, fill=0)
            pieces.append(line)
        elif kind == "image":
            pieces.append(value)
        else:
            cut = Image.new("1", (paper_dots, 12), 1)
            ImageDraw.Draw(cut).line((0, 6, paper_dots, 6), fill=0, width=1)
            pieces.append(cut)
    height = sum(p.size[1] for p in pieces) + 16
    paper = Image.new("1", (paper_dots, height), 1)
    y = 8
    for piece in pieces:
        paper.paste(piece, (0, y))
        y += piece.size[1]
    buffer = io.BytesIO()
    paper.save(buffer, "PNG")
    return buffer.getvalue()


__all__ = ["receipt_png", "PrinterProfile"]
