"""Check-ins per day as an SVG bar chart: presentation both the station's and the county's
pages draw on the server (no script, no CDN). No kiosk imports."""

from __future__ import annotations


def chart_svg(per_day: list[tuple[str, int]], width: int = 600, height: int = 160) -> str:
    """Check-ins per day as a bar chart, drawn on the server (no script, no CDN)."""
    top = max((n for _, n in per_day), default=0) or 1
    bar = width / max(len(per_day), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 20}" '
             f'role="img" class="chart">']
    for n, (day, count) in enumerate(per_day):
        h = round(count / top * height)
        parts.append(f'<rect x="{n * bar + 1:.1f}" y="{height - h}" width="{bar - 2:.1f}" '
                     f'height="{h}"><title>{day}: {count}</title></rect>')
        if (len(per_day) - 1 - n) % 7 == 0:  # every 7th day, ending today at the right edge
            last = n == len(per_day) - 1
            anchor = ' text-anchor="end"' if last else ""
            parts.append(f'<text x="{(n + 1) * bar if last else n * bar:.1f}" y="{height + 15}"'
                         f'{anchor}>{day[5:]}</text>')
    parts.append(f'<text x="{width - 4}" y="12" text-anchor="end">{top}</text></svg>')
    return "".join(parts)
