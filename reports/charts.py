"""Server-side bar charts: the geometry of an inline SVG, drawn by ``reports/_bar_chart.html``.
No JavaScript and no CDN; each chart has a title, ``role="img"`` and its data as a table."""

from __future__ import annotations

LABEL_WIDTH = 300
BAR_X = 310
BAR_MAX = 280
ROW = 26
BAR_HEIGHT = 18


def bar_chart(title: str, bars: list[tuple[str, int]], chart_id: str, value_label: str = "DRPs",
              label_heading: str = "Category") -> dict:
    top = max((value or 0 for _, value in bars), default=0)
    rows = []
    for i, (label, value) in enumerate(bars):
        value = value or 0
        width = round(BAR_MAX * value / top) if top else 0
        y = i * ROW
        rows.append({"label": label if len(label) <= 42 else label[:41] + "…", "full_label": label,
                     "value": value, "y": y, "text_y": y + BAR_HEIGHT - 4, "width": width,
                     "value_x": BAR_X + width + 6})
    summary = ", ".join(f"{label}: {value or 0}" for label, value in bars)
    return {"id": chart_id, "title": title, "rows": rows, "height": max(len(rows), 1) * ROW,
            "label_width": LABEL_WIDTH, "bar_x": BAR_X, "bar_height": BAR_HEIGHT, "width": BAR_X + BAR_MAX + 50,
            "aria_label": f"Bar chart. {title}. {summary or 'No data'}.", "value_label": value_label,
            "label_heading": label_heading,
            "empty": not any(value for _, value in bars)}
