"""What goes on a receipt, line by line; no printer commands here.

Sensitive service names (the care-plan item's title) stay off the receipt
unless the station's config allows them: the next appointment prints as a date.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.ports import Receipt


@dataclass(frozen=True)
class Line:
    text: str
    align: str = "left"  # left | center
    size: int = 1  # 1 normal, 2 double, 4 the big queue number
    bold: bool = False
    qr: str = ""  # print this text as a QR code instead of ``text``


def receipt_lines(receipt: Receipt) -> list[Line]:
    if receipt.kind == "enrolment":
        return enrolment_lines(receipt)
    lines = [
        Line(receipt.station_name, "center", 2, True),
        Line(receipt.printed_at, "center"),
        Line("排队号 Queue No.", "center"),
        Line(str(receipt.queue_no), "center", 4, True),
        Line(f"卡号 Card: {receipt.card_no}" if receipt.card_no
             else f"姓名 Name: {receipt.masked_name}"),
    ]
    if receipt.ahead is not None:
        lines.append(Line(f"前面还有 {receipt.ahead} 人 Ahead of you: {receipt.ahead}"))
    if receipt.wait_minutes:
        lines.append(Line(f"预计等候约 {receipt.wait_minutes} 分钟 Wait: about "
                          f"{receipt.wait_minutes} min"))
    if receipt.next_visit:
        lines.append(Line(f"下次随访 Next visit: {receipt.next_visit}"))
    lines.extend(Line(extra) for extra in receipt.lines)
    lines.append(Line(f"签到码 Code: {receipt.checkin_code}"))
    return lines


def enrolment_lines(receipt: Receipt) -> list[Line]:
    """The slip the county scans to enrol this station's key (no resident data on it)."""
    code = receipt.qr
    return [Line(receipt.station_name, "center", 2, True),
            Line(receipt.printed_at, "center"),
            Line("服务站登记 Station enrolment", "center", 1, True),
            Line(f"站点 Station: {receipt.checkin_code}"),
            *(Line(text) for text in receipt.lines),
            Line("", "center", qr=code),
            *(Line(code[i:i + 30]) for i in range(0, len(code), 30))]
