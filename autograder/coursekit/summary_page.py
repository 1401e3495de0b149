"""reports/summary.html: the class at a glance, for a TA.

The grade distribution per assignment, the pass rate of every test (plots made with matplotlib,
embedded in the page), the students who need attention (failed to grade, needs review, pending
written answers, flagged code), and links to the LMS exports. Every string from a submission is
escaped.
"""
from __future__ import annotations

import base64
import html
import io
import statistics
import time

from .model import FAILED, GRADED, MISSING, NEEDS_REVIEW
from .reports import _by_student, _name, max_points, split_points, status_word, test_rows


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return f'<img alt="plot" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _distribution_plot(course, run) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assignments = course.assignments()
    limits = max_points(course)
    figure, axes = plt.subplots(1, len(assignments), figsize=(4 * len(assignments), 2.8), squeeze=False)
    for axis, assignment in zip(axes[0], assignments):
        points = [sum(split_points(r)) for r in run.results if r.assignment == assignment and r.status == GRADED]
        axis.hist(points, bins=10, range=(0, limits[assignment] or 1), color="#4c72b0")
        axis.set_title(f"{assignment} (n={len(points)})", fontsize=9)
        axis.set_xlabel(f"points out of {limits[assignment]:g}")
        axis.yaxis.get_major_locator().set_params(integer=True)  # students come whole
    axes[0][0].set_ylabel("students")
    figure.tight_layout()
    image = _png(figure)
    plt.close(figure)
    return image


def _pass_rate_plot(rows) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if r["kind"] == "auto"]
    if not rows:
        return ""
    figure, axis = plt.subplots(figsize=(7, 0.22 * len(rows) + 1))
    rates = [r["full_points"] / r["students"] if r["students"] else 0.0 for r in rows]
    labels = [f"{r['assignment']}/{r['test']}" for r in rows]
    axis.barh(range(len(rows)), rates, color="#55a868")
    axis.set_yticks(range(len(rows)), labels, fontsize=7)
    axis.invert_yaxis()
    axis.set_xlim(0, 1)
    axis.set_xlabel("share of graded students with full points")
    figure.tight_layout()
    image = _png(figure)
    plt.close(figure)
    return image


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
