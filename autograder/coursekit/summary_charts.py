"""The class summary's charts, drawn as inline SVG and HTML (no plotting library: matplotlib's import
and rendering cost the serial end of every run about 1.5 s).

- `svg_histogram`: a grade histogram with both axes labelled (points, students), integer ticks on
  the count axis and each bar's count written above it; with no grade it says so instead.
- `pass_rate_table`: per test, the share of graded students with full points as a bar, and the
  students who lost points on it, each a link to their feedback page.
"""
from __future__ import annotations

import bisect
import html
import math
from typing import Callable


def histogram(values: list[float], upper: float, bins: int = 10) -> list[int]:
    """Counts in `bins` equal bins over [0, upper], the last one closed (numpy.histogram's edges and rule)."""
    edges = [index * (upper / bins) for index in range(bins)] + [upper]
    counts = [0] * bins
    for value in values:
        counts[min(max(bisect.bisect_right(edges, value) - 1, 0), bins - 1)] += 1
    return counts


def _count_ticks(top: int) -> list[int]:
    """Integer ticks from 0 to at least `top`, at most six of them."""
    step = max(1, math.ceil(top / 5))
    return list(range(0, top + step, step))


def svg_histogram(title: str, values: list[float], upper: float, bins: int = 10) -> str:
    """A grade histogram as inline SVG: x = points out of `upper`, y = students, counts above the bars."""
    e = html.escape
    width, height, left, right, top_margin, bottom = 330, 200, 44, 10, 24, 40
    plot_w, plot_h = width - left - right, height - top_margin - bottom
    base = top_margin + plot_h
    parts = [f'<text x="{width / 2}" y="14" font-size="12" text-anchor="middle" font-weight="bold">{e(title)}</text>']
    parts.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#333"/>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 4}" font-size="11" text-anchor="middle">'
                 f'points (out of {upper:g})</text>')
    for fraction in (0.0, 0.5, 1.0):
        x = left + fraction * plot_w
        parts.append(f'<line x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base + 4}" stroke="#333"/>'
                     f'<text x="{x:.1f}" y="{base + 15}" font-size="10" text-anchor="middle">{upper * fraction:g}</text>')
    if not values:
        parts.append(f'<text x="{left + plot_w / 2}" y="{top_margin + plot_h / 2}" font-size="12" '
                     f'text-anchor="middle" fill="#666">no graded submissions</text>')
        return _svg(width, height, title, "no graded submissions", parts)
    counts = histogram(values, upper, bins)
    ticks = _count_ticks(max(counts))
    scale = plot_h / ticks[-1]
    parts.append(f'<line x1="{left}" y1="{top_margin}" x2="{left}" y2="{base}" stroke="#333"/>')
    parts.append(f'<text x="12" y="{top_margin + plot_h / 2}" font-size="11" text-anchor="middle" '
                 f'transform="rotate(-90 12 {top_margin + plot_h / 2})">students</text>')
    for tick in ticks:
        y = base - tick * scale
        parts.append(f'<line x1="{left - 4}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="#333"/>'
                     f'<text x="{left - 6}" y="{y + 3.5:.1f}" font-size="10" text-anchor="end">{tick}</text>')
    step = plot_w / bins
    for index, count in enumerate(counts):
        low, high = upper * index / bins, upper * (index + 1) / bins
        bar, x = count * scale, left + index * step
        parts.append(f'<rect x="{x + 1:.1f}" y="{base - bar:.1f}" width="{step - 2:.1f}" height="{bar:.1f}" '
                     f'fill="#4c72b0"><title>{low:g} to {high:g} points: {count} student(s)</title></rect>')
        if count:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{base - bar - 3:.1f}" font-size="10" '
                         f'text-anchor="middle">{count}</text>')
    return _svg(width, height, title, f"{len(values)} graded submissions", parts)


def _svg(width: int, height: int, title: str, what: str, parts: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
            f'aria-label="{html.escape(title)}: grade histogram, {what}">{"".join(parts)}</svg>')


def pass_rate_table(rows: list[dict], name: Callable[[str], str], page: Callable[[str, str], str | None],
                    shown: int = 12) -> str:
    """Per autograded test: the share of graded students with full points, and who lost points (linked).

    `rows`: reports.test_rows; `name(key)`: the student's id; `page(key, assignment)`: the relative link
    to their feedback page, or None."""
    e = html.escape
    lines = []
    for row in (r for r in rows if r["kind"] == "auto"):
        rate = row["full_points"] / row["students"] if row["students"] else 0.0
        links = []
        for key in row["lost_by"]:
            href = page(key, row["assignment"])
            links.append(f'<a href="{e(href)}">{e(name(key))}</a>' if href else e(name(key)))
        lost = ", ".join(links[:shown])
        if len(links) > shown:
            lost += f'<details><summary>{len(links) - shown} more</summary>{", ".join(links[shown:])}</details>'
        bar = (f'<div class="bar"><div style="width:{rate * 100:.1f}%"></div></div>' if row["students"] else "")
        lines.append(f'<tr><td>{e(row["assignment"])}</td><td>{e(row["test"])}</td><td>{e(row["max_points"])}</td>'
                     f'<td data-sort="{rate:.4f}">{rate:.0%} of {row["students"]}</td><td>{bar}</td>'
                     f'<td data-sort="{len(links)}">{lost or "nobody"}</td></tr>')
    if not lines:
        return "<p>No autograded test.</p>"
    return ('<table class="sortable"><thead><tr><th>assignment</th><th>test</th><th>points</th><th>full points</th>'
            '<th></th><th>lost points</th></tr></thead><tbody>' + "".join(lines) + "</tbody></table>")
