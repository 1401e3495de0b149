"""reports/summary.html: the class at a glance, for a TA.

The grade distribution per assignment (inline SVG histograms), the pass rate of every test (bars in
a table; no plotting library: matplotlib's import and rendering cost the serial end of every run
about 1.5 s), the students who need attention (failed to grade, needs review, pending
written answers, flagged code), and links to the LMS exports. Every string from a submission is
escaped.
"""
from __future__ import annotations

import html
import statistics
import time

from .model import FAILED, GRADED, MISSING, NEEDS_REVIEW
from .reports import _by_student, _name, max_points, split_points, status_word, test_rows


def histogram(values: list[float], upper: float, bins: int = 10) -> list[int]:
    """Counts in `bins` equal bins over [0, upper], the last one closed (numpy.histogram's edges and rule)."""
    import bisect

    edges = [index * (upper / bins) for index in range(bins)] + [upper]
    counts = [0] * bins
    for value in values:
        counts[min(max(bisect.bisect_right(edges, value) - 1, 0), bins - 1)] += 1
    return counts


def _svg_histogram(title: str, values: list[float], upper: float, bins: int = 10) -> str:
    """A grade histogram as inline SVG, each bar with its range and count as a tooltip."""
    e = html.escape
    counts, width, height, left, bottom = histogram(values, upper, bins), 300, 170, 30, 30
    top = max(counts + [1])
    step = (width - left - 10) / bins
    bars = []
    for index, count in enumerate(counts):
        low, high = upper * index / bins, upper * (index + 1) / bins
        bar = (height - bottom - 20) * count / top
        bars.append(f'<rect x="{left + index * step + 1:.1f}" y="{height - bottom - bar:.1f}" width="{step - 2:.1f}" '
                    f'height="{bar:.1f}" fill="#4c72b0"><title>{low:g} to {high:g} points: {count} '
                    f'student(s)</title></rect>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
            f'aria-label="{e(title)}: grade histogram">'
            f'<text x="{width / 2}" y="12" font-size="11" text-anchor="middle">{e(title)}</text>{"".join(bars)}'
            f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#333"/>'
            f'<text x="{left}" y="{height - bottom + 14}" font-size="10">0</text>'
            f'<text x="{width - 10}" y="{height - bottom + 14}" font-size="10" text-anchor="end">{upper:g}</text>'
            f'<text x="{width / 2}" y="{height - 4}" font-size="10" text-anchor="middle">points out of {upper:g}; '
            f'tallest bar {top} student(s)</text></svg>')


def _distribution_plot(course, run) -> str:
    limits = max_points(course)
    plots = []
    for assignment in course.assignments():
        points = [sum(split_points(r)) for r in run.results if r.assignment == assignment and r.status == GRADED]
        plots.append(_svg_histogram(f"{assignment} (n={len(points)})", points, limits[assignment] or 1))
    return "".join(plots)


def _pass_rate_plot(rows) -> str:
    """The share of graded students with full points per test, as bars in a table (readable without
    images, sortable by eye)."""
    e = html.escape
    rows = [r for r in rows if r["kind"] == "auto"]
    if not rows:
        return ""
    lines = []
    for r in rows:
        rate = r["full_points"] / r["students"] if r["students"] else 0.0
        lines.append(f'<tr><td>{e(r["assignment"])}/{e(r["test"])}</td><td>{rate:.0%}</td><td style="width:300px">'
                     f'<div style="background:#55a868;height:0.8em;width:{rate * 100:.1f}%"></div></td></tr>')
    return "<table><tr><th>test</th><th>full points</th><th></th></tr>" + "".join(lines) + "</table>"


def write_summary_html(course, run) -> None:
    e = html.escape
    assignments = course.assignments()
    limits = max_points(course)
    table = _by_student(run)
    counts = {a: {} for a in assignments}
    for key in table:
        for a in assignments:
            word = status_word(table[key].get(a))
            counts[a][word] = counts[a].get(word, 0) + 1
    stats_rows = []
    for a in assignments:
        points = [sum(split_points(r)) for r in run.results if r.assignment == a and r.status == GRADED]
        spread = (f"{statistics.mean(points):.1f}", f"{statistics.median(points):g}", f"{max(points):g}") if points else ("", "", "")
        stats_rows.append(f"<tr><td>{e(a)}</td><td>{limits[a]:g}</td><td>{len(points)}</td>"
                          + "".join(f"<td>{v}</td>" for v in spread)
                          + "<td>" + e(", ".join(f"{k}: {v}" for k, v in sorted(counts[a].items()))) + "</td></tr>")
    attention = []
    for key in sorted(table, key=lambda k: _name(run, k).lower()):
        for a, result in sorted(table[key].items()):
            why = ""
            if result.status in (FAILED, NEEDS_REVIEW):
                why = f"{status_word(result)}: {result.reason}"
            elif result.status == MISSING and result.reason != "no submission":
                why = result.reason
            elif result.status == GRADED and result.pending_manual:
                why = f"written answers to grade: {', '.join(result.pending_manual)}"
            stopped = [f"{t.grade_id} ({t.stopped})" for t in result.tests if t.stopped] if result.status == GRADED else []
            if stopped:  # a correct but slow answer loses these points: the TA may want to look
                why = "; ".join(filter(None, [why, "stopped at a limit: " + ", ".join(stopped)]))
            if result.flags and result.status != MISSING:
                why = "; ".join(filter(None, [why, "flagged: " + "; ".join(result.flags[:3])]))
            if why:
                attention.append(f"<tr><td>{e(_name(run, key))}</td><td>{e(a)}</td><td>{e(why)}</td></tr>")
    rows = test_rows(course, run)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Class summary</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:90%}}</style></head><body>
<h1>Class summary</h1>
<p>{len(table)} students, {len(assignments)} assignments; written {e(time.strftime('%Y-%m-%d %H:%M'))};
kernels: {e(run.sandbox)}; {run.regraded} notebook(s) graded in this run, {run.reused} reused.</p>
{''.join(f'<p><b>Note:</b> {e(note)}</p>' for note in run.notes)}
<h2>Grade distribution</h2>
<table><tr><th>assignment</th><th>max</th><th>graded</th><th>mean</th><th>median</th><th>best</th><th>status</th></tr>
{''.join(stats_rows)}</table>
{_distribution_plot(course, run)}
<h2>Students who need attention ({len(attention)})</h2>
<table><tr><th>student</th><th>assignment</th><th>why</th></tr>{''.join(attention) or '<tr><td colspan="3">nobody</td></tr>'}</table>
<h2>Tests: share of graded students with full points</h2>
{_pass_rate_plot(rows)}
<h2>Exports</h2>
<ul><li><a href="grades.csv">grades.csv</a>: every student, points and status per assignment, notes and flags</li>
<li><a href="tests.csv">tests.csv</a>: every test, with the class's counts</li>
<li><a href="moodle.csv">moodle.csv</a>: Moodle, Grades &gt; Import &gt; CSV file (map "ID number" or "Email address")</li>
<li><a href="canvas.csv">canvas.csv</a>: Canvas, Grades &gt; Import (students matched by SIS login)</li></ul>
</body></html>
"""
    (course.reports_dir / "summary.html").write_text(page, encoding="utf-8")
