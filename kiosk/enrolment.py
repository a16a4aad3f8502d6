"""Station enrolment codes: what the county scans to enrol a station's public key."""

from __future__ import annotations

import io

QR_ERROR_LEVEL = "m"  # 15 % of the code may be damaged and it still scans


def enrolment_text(station_id: str, public_raw: bytes) -> str:
    """`kiosk-county enroll --code ...` takes this text; its QR code scans to it."""
    return f"kiosk-station:v1:{station_id}:{public_raw.hex()}"


def parse_enrolment_text(text: str) -> tuple[str, str]:
    """(station id, public key hex) from an enrolment code; ValueError if it is not one."""
    parts = text.strip().split(":")
    if len(parts) != 4 or parts[:2] != ["kiosk-station", "v1"] or len(bytes.fromhex(parts[3])) != 32:
        raise ValueError("not a kiosk station enrolment code")
    return parts[2], parts[3]


def terminal_qr(text: str) -> str:
    import segno
    out = io.StringIO()
    segno.make(text, error=QR_ERROR_LEVEL).terminal(out=out, compact=True)
    return out.getvalue()


def svg_qr(text: str) -> str:
    """An inline SVG QR code (no script, no external resources)."""
    import segno
    out = io.BytesIO()
    segno.make(text, error=QR_ERROR_LEVEL).save(out, kind="svg", scale=4, xmldecl=False, svgns=True,
                                      title="enrolment code")
    return out.getvalue().decode()
