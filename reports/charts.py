"""Bar charts as inline SVG, drawn on the server: no JavaScript, no CDN, no style
attributes (the Content-Security-Policy allows only ``style-src 'self'``), so colours
and sizes are SVG presentation attributes.

Domain-free: categories are labels, series are lists of numbers (``int`` or
``Decimal``; ``None`` draws nothing), and ``value_text`` says how a value is written
in the tooltip and at the end of a bar. Geometry is computed in ``Decimal`` so that
money never passes through a float.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#2f6db5", "#e08a2e", "#3a9a5b", "#b8433f", "#7a5aa6", "#8c8c8c")
Number = int | Decimal


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[Number | None]
    colour: str = ""


def _text_width(text: str, size: int) -> int:
    """A rough width in pixels: CJK characters are square, others about half."""
    return sum(size if ord(ch) > 0x2E7F else size * 62 // 100 for ch in text)


def _px(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _plain(value: Number) -> str:
    return f"{value:,}"


def bar_chart(
    *,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    stacked: bool = False,
    value_text: Callable[[Number], str] = _plain,
    width: int = 720,
    bar_height: int = 18,
) -> SafeString:
    """Horizontal bars, one group per category: side by side (``stacked=False``) or
    one bar made of the series (``stacked=True``). Returns an ``<svg>`` element."""
    font = 12
    label_w = min(max((_text_width(c, font) for c in categories), default=0) + 16, width // 3)
    value_w = 110
    plot_w = Decimal(width - label_w - value_w)
    legend_h = 22 if len(series) > 1 or stacked else 0
    per_group = bar_height if stacked else bar_height * max(len(series), 1)
    gap = 8
    height = legend_h + len(categories) * (per_group + gap) + gap

    def total(i: int) -> Decimal:
        return sum((Decimal(s.values[i] or 0) for s in series), Decimal(0))

    if stacked:
        peak = max((total(i) for i in range(len(categories))), default=Decimal(0))
    else:
        peak = max(
            (Decimal(v) for s in series for v in s.values if v is not None), default=Decimal(0)
        )
    scale = plot_w / peak if peak > 0 else Decimal(0)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(title)}" font-size="{font}">',
        f"<title>{escape(title)}</title>",
    ]
    x = label_w
    for n, s in enumerate(series):
        colour = s.colour or PALETTE[n % len(PALETTE)]
        parts.append(
            f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"></rect>'
            f'<text x="{x + 16}" y="14" fill="#333">{escape(s.label)}</text>'
        )
        x += 16 + _text_width(s.label, font) + 18
    if not legend_h:
        parts = parts[:2]
    y = legend_h + gap
    for i, category in enumerate(categories):
        parts.append(
            f'<text x="{label_w - 6}" y="{y + per_group // 2 + font // 2 - 1}" '
            f'text-anchor="end" fill="#333">{escape(category)}</text>'
        )
        offset = Decimal(0)
        for n, s in enumerate(series):
            value = s.values[i]
            colour = s.colour or PALETTE[n % len(PALETTE)]
            top = y if stacked else y + n * bar_height
            if value is not None and value > 0:
                length = Decimal(value) * scale
                tip = f"{category} · {s.label}: {value_text(value)}"
                parts.append(
                    f'<rect x="{_px(label_w + offset)}" y="{top}" width="{_px(length)}" '
                    f'height="{bar_height - 2}" fill="{colour}"><title>{escape(tip)}</title></rect>'
                )
                if stacked:
                    offset += length
            if not stacked and value is not None:
                end = label_w + (Decimal(value) * scale if value > 0 else Decimal(0))
                parts.append(
                    f'<text x="{_px(end + 4)}" y="{top + bar_height - 5}" fill="#555">'
                    f"{escape(value_text(value))}</text>"
                )
        if stacked:
            parts.append(
                f'<text x="{_px(label_w + offset + 4)}" y="{y + bar_height - 5}" fill="#555">'
                f"{escape(value_text(total(i)))}</text>"
            )
        y += per_group + gap
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
