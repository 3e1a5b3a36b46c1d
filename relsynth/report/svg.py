"""Small inline-SVG charts for the HTML report: grouped bars (real vs synthetic) and heatmaps.

No plotting library and nothing fetched: each function returns an ``<svg>`` element as text, every
label escaped, exact values in ``<title>`` tooltips (shown on hover without any script).
"""

from __future__ import annotations

from html import escape

from relsynth.report.result import Histogram

REAL = "#3b6ea8"
SYNTHETIC = "#e07b39"
INK = "#333"
GRID = "#ddd"
FONT = 'font-family="system-ui, sans-serif" font-size="10"'
LABEL_CHARS = 22


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def _open(width: float, height: float, label: str) -> str:
    return (f'<svg width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'role="img" aria-label="{esc(label)}" {FONT}>')


def legend(x: float, y: float) -> str:
    return (f'<rect x="{x:.0f}" y="{y - 8:.0f}" width="9" height="9" fill="{REAL}"/>'
            f'<text x="{x + 12:.0f}" y="{y:.0f}" fill="{INK}">real</text>'
            f'<rect x="{x + 45:.0f}" y="{y - 8:.0f}" width="9" height="9" fill="{SYNTHETIC}"/>'
            f'<text x="{x + 57:.0f}" y="{y:.0f}" fill="{INK}">synthetic</text>')


def vertical_bars(hist: Histogram, *, title: str, width: int = 380, height: int = 170,
                  every_label: bool = False) -> str:
    """Grouped vertical bars, one group per bin; x labels: all (``every_label``) or first, middle,
    last and NULL."""
    left, right, top, bottom = 38, 8, 18, 30
    n = max(len(hist.labels), 1)
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(max(hist.real, default=0), max(hist.synthetic, default=0)) or 1.0
    group = plot_w / n
    bar = max(group * 0.42, 0.5)
    parts = [_open(width, height, title), legend(left, 11),
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{INK}"/>',
             f'<line x1="{left}" y1="{top}" x2="{width - right}" y2="{top}" stroke="{GRID}"/>',
             f'<text x="{left - 3}" y="{top + 4}" text-anchor="end" fill="{INK}">{percent(peak)}</text>',
             f'<text x="{left - 3}" y="{top + plot_h}" text-anchor="end" fill="{INK}">0</text>']
    null = [i for i, s in enumerate(hist.labels) if s == "NULL"]
    bins = n - len(null)
    for i in null:  # NULL is no value on the axis: named above its bar, behind a dashed line
        parts.append(f'<line x1="{left + i * group:.1f}" y1="{top}" x2="{left + i * group:.1f}" '
                     f'y2="{top + plot_h}" stroke="#aaa" stroke-dasharray="3,3"/>'
                     f'<text x="{width - right}" y="{top - 3}" text-anchor="end" fill="{INK}">NULL</text>')
    if every_label and max((len(s) for s in hist.labels), default=0) <= 3:
        shown = set(range(n))
    elif hist.ticks:  # continuous bins: the range's ends and middle on the axis
        shown = set()
        for k, text in enumerate(hist.ticks):
            anchor = ("start", "middle", "end")[min(k, 2)] if len(hist.ticks) == 3 else "middle"
            x = left + bins * group * k / max(len(hist.ticks) - 1, 1)
            parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 12}" text-anchor="{anchor}" fill="{INK}">'
                         f'{esc(short(text, 18))}</text>')
    else:
        shown = {0, bins // 2, bins - 1}
    for i, label in enumerate(hist.labels):
        x0 = left + i * group + group * 0.08
        tip = f"{label}: real {percent(hist.real[i])}, synthetic {percent(hist.synthetic[i])}"
        parts.append(f"<g><title>{esc(tip)}</title>")
        for j, (value, color) in enumerate(((hist.real[i], REAL), (hist.synthetic[i], SYNTHETIC))):
            h = plot_h * value / peak
            parts.append(f'<rect x="{x0 + j * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" '
                         f'height="{h:.1f}" fill="{color}"/>')
        parts.append(f'<rect x="{left + i * group:.1f}" y="{top}" width="{group:.1f}" height="{plot_h}" '
                     f'fill="transparent"/></g>')
        if i in shown:
            anchor = "end" if i == bins - 1 and len(label) > 3 else "middle"
            x = left + i * group + (group if anchor == "end" else group / 2)
            parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 12}" text-anchor="{anchor}" fill="{INK}">'
                         f'{esc(short(label, 18))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(hist: Histogram, *, title: str, width: int = 380) -> str:
    """One row per category (label on the left), a real and a synthetic bar in each."""
    label_w, right, top, row = 130, 72, 18, 16
    height = top + row * len(hist.labels) + 6
    plot_w = width - label_w - right
    peak = max(max(hist.real, default=0), max(hist.synthetic, default=0)) or 1.0
    parts = [_open(width, height, title), legend(label_w, 11)]
    for i, label in enumerate(hist.labels):
        y = top + i * row
        tip = f"{label}: real {percent(hist.real[i])}, synthetic {percent(hist.synthetic[i])}"
        parts.append(f"<g><title>{esc(tip)}</title>"
                     f'<rect x="0" y="{y}" width="{width}" height="{row}" fill="transparent"/>'
                     f'<text x="{label_w - 4}" y="{y + 11}" text-anchor="end" fill="{INK}">{esc(short(label))}</text>')
        for j, (value, color) in enumerate(((hist.real[i], REAL), (hist.synthetic[i], SYNTHETIC))):
            w = plot_w * value / peak
            parts.append(f'<rect x="{label_w}" y="{y + 2 + j * 6}" width="{w:.1f}" height="6" fill="{color}"/>')
        parts.append(f'<text x="{label_w + plot_w * max(hist.real[i], hist.synthetic[i]) / peak + 3:.1f}" '
                     f'y="{y + 11}" fill="#777">{percent(hist.real[i])}/{percent(hist.synthetic[i])}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def _cell_color(value: float) -> str:
    """-1 blue, 0 white, +1 red."""
    v = max(-1.0, min(1.0, value))
    if v >= 0:
        return f"rgb(255,{255 - int(170 * v)},{255 - int(190 * v)})"
    return f"rgb({255 - int(190 * -v)},{255 - int(140 * -v)},255)"


def heatmap(columns: tuple[str, ...], matrix: tuple[tuple[float, ...], ...], *, title: str, cell: int = 0) -> str:
    """A correlation matrix; rows labelled on the left, columns by number (the row order)."""
    n = len(columns)
    cell = cell or max(10, min(26, 260 // max(n, 1)))
    label_w, top = 120, 30
    size = n * cell
    parts = [_open(label_w + size + 4, top + size + 4, title),
             f'<text x="{label_w}" y="11" fill="{INK}" font-weight="bold">{esc(title)}</text>']
    for j in range(n):
        parts.append(f'<text x="{label_w + j * cell + cell / 2:.1f}" y="{top - 4}" text-anchor="middle" '
                     f'fill="#777">{j + 1}</text>')
    for i, name in enumerate(columns):
        y = top + i * cell
        parts.append(f'<text x="{label_w - 4}" y="{y + cell / 2 + 3:.1f}" text-anchor="end" fill="{INK}">'
                     f'{i + 1}. {esc(short(name, 16))}</text>')
        for j, value in enumerate(matrix[i]):
            tip = f"{columns[i]} × {columns[j]}: {value:+.2f}"
            parts.append(f'<rect x="{label_w + j * cell}" y="{y}" width="{cell - 1}" height="{cell - 1}" '
                         f'fill="{_cell_color(value)}"><title>{esc(tip)}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)
