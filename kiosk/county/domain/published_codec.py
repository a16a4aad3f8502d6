"""A published report as bytes (compressed JSON) and back, so that the county keeps the last
one of each year (kiosk/county/store/sql_reports.py) and every process serves that same one.
Freshness is not kept: it is read live when a report is shown."""

from __future__ import annotations

import json
import zlib

from kiosk.county.domain.published import PublishedReport, SeriesKey

FORMAT = 1


def encode(report: PublishedReport) -> bytes:
    series = list(report.series)
    index = {key: n for n, key in enumerate(series)}
    body = {
        "format": FORMAT, "year": report.year, "threshold": report.threshold,
        "stations": list(report.stations), "series": [list(key) for key in series],
        "columns": [list(report.columns[key]) for key in series],
        "cells": [[index[key], row, column, value]
                  for (key, row, column), value in report.cells.items()],
        "plan_names": report.plan_names,
        "item_names": [[plan, item, name] for (plan, item), name in report.item_names.items()],
        "counted": report.counted,
    }
    return zlib.compress(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(), 6)


def decode(data: bytes) -> PublishedReport:
    body = json.loads(zlib.decompress(data))
    if body.get("format") != FORMAT:
        raise ValueError(f"published report format {body.get('format')!r}, expected {FORMAT}")
    series = tuple(SeriesKey(*key) for key in body["series"])
    return PublishedReport(
        year=body["year"], threshold=body["threshold"], stations=tuple(body["stations"]),
        series=series, columns={key: tuple(c) for key, c in zip(series, body["columns"], strict=True)},
        cells={(series[n], row, column): value for n, row, column, value in body["cells"]},
        plan_names=dict(body["plan_names"]),
        item_names={(plan, item): name for plan, item, name in body["item_names"]},
        counted=dict(body.get("counted", {})))
