"""Server-rendered charts (issue 14): SVG geometry computed here, drawn by
``templates/admin/core/_columns.html``; no script, so the back office's CSP stays as it is.

``columns(points, series)``: stacked columns, one per point (a day), one colour per series,
with the highest total labelled. Values are ints or Decimals; geometry is in whole pixels
(integer arithmetic: no float in app code)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

#: colours of the series, in order (Unfold's primary, then warning and danger tones)
PALETTE = ("#9333ea", "#f59e0b", "#ef4444", "#64748b", "#0ea5e9", "#10b981")


def columns(
    points: list[tuple[str, list[Any]]],
    series: list[str],
    *,
    width: int = 640,
    height: int = 160,
    pad: int = 24,
) -> dict[str, Any]:
    """``points``: ``[(label, [value per series]), ...]`` in order (e.g. 30 days)."""
    totals = [sum((Decimal(v or 0) for v in values), Decimal(0)) for _, values in points]
    top = max(totals, default=Decimal(0)) or Decimal(1)
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    slot = max(inner_w // max(len(points), 1), 2)
    bar_w = max(slot - 2, 1)
    bars = []
    for index, (label, values) in enumerate(points):
        x = pad + index * slot
        y_bottom = pad + inner_h
        for position, value in enumerate(values):
            amount = Decimal(value or 0)
            h = int(amount * inner_h / top)
            if h <= 0:
                continue
            y_bottom -= h
            bars.append(
                {
                    "x": x,
                    "y": y_bottom,
                    "w": bar_w,
                    "h": h,
                    "color": PALETTE[position % len(PALETTE)],
                    "title": f"{label} · {series[position]}: {value}",
                }
            )
    labels = []
    if points:
        labels = [
            {"x": pad, "text": points[0][0]},
            {"x": pad + (len(points) - 1) * slot, "text": points[-1][0]},
        ]
    return {
        "width": width,
        "height": height,
        "pad": pad,
        "baseline": pad + inner_h,
        "right": width - pad,
        "bars": bars,
        "labels": labels,
        "top": top,
        "legend": [
            {"name": name, "color": PALETTE[i % len(PALETTE)]} for i, name in enumerate(series)
        ],
    }


def share_bars(rows: list[tuple[str, Any, str]], *, url: str = "") -> list[dict[str, Any]]:
    """Horizontal bars for a ranked list: ``(label, value, shown)`` -> widths in percent."""
    top = max((Decimal(value or 0) for _, value, _ in rows), default=Decimal(0)) or Decimal(1)
    return [
        {"label": label, "shown": shown, "percent": int(Decimal(value or 0) * 100 / top)}
        for label, value, shown in rows
    ]
