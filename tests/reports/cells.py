"""A published cell's true value, added up from bottom counts the way the reports define
their totals (stations to the county, months to quarters and the year, a breakdown to its
total); consent in force as month-end stocks."""

from __future__ import annotations

from kiosk.county.domain.reports import BY_KEY, COUNTY, DISTINCT


def months_of(column: str) -> set[str]:
    year = column[:4]
    if "-Q" in column:
        q = int(column[-1])
        return {f"{year}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)}
    if len(column) == 7:
        return {column}
    return {f"{year}-{m:02d}" for m in range(1, 13)}


def cell_value(counts, stations, series, row, column) -> int:
    indicator = BY_KEY[series.indicator]
    months = months_of(column)
    total = indicator.total.key if indicator.total else None
    rows = {row} if row != COUNTY or indicator.county == DISTINCT else set(stations)
    found = 0
    for (station, key, plan, item, category, month), n in counts.items():
        if key != series.indicator or station not in rows or month not in months or item != series.item:
            continue
        if indicator.breakdown == "plan":
            if series.category in (category, total):
                found += n
        elif plan == series.plan and series.category in (category, total):
            found += n
    return found


def stocks(counts, months):
    """Consent steps (the read models' form) turned into month-end stocks."""
    out = {k: n for k, n in counts.items() if k[1] != "consent_in_force"}
    stations = {k[0] for k in counts if k[1] == "consent_in_force"}
    for station in stations:
        stock = 0
        for month in months:
            stock += counts.get((station, "consent_in_force", "", "", "", month), 0)
            if stock:
                out[(station, "consent_in_force", "", "", "", month)] = stock
    return out
