"""reports/summary.html: the class at a glance, for a TA who has to decide whom to write to and why.

- **Needs attention**: every submission that failed to grade, needs review, scored under
  LOW_SCORE_SHARE_OF_MEDIAN of the class median of its assignment, was not handed in, lost a test to
  the grader's time or output limit, or holds flagged code; each with its reason and a link to the
  student's feedback page. Written answers still to grade are the TA's own to-do, listed apart.
- **Students**: every student of the roster, with points (linked to the feedback page), status and
  flags per assignment and the total; a click on a column heading sorts by it (a small inline
  script, allowed by its hash in the page's Content-Security-Policy and nothing else).
- **Grades**: per assignment the counts of each status (`reports.status_word`: one owner for the
  words and the counts), mean, median and best, and a histogram with labelled axes.
- **Tests**: per test the share with full points and who lost points.
- The sandbox and the run's figures in the footer. Every string from a submission is escaped.
"""
from __future__ import annotations

import base64
import hashlib
import html
import os
import statistics
import time
from dataclasses import dataclass

from .model import FAILED, GRADED, MISSING, NEEDS_REVIEW, feedback_path
from .reports import display_name, max_points, results_by_student, split_points, status_word, test_rows
from .summary_charts import pass_rate_table, svg_histogram

LOW_SCORE_SHARE_OF_MEDIAN = 0.5
"""A graded submission under this share of its assignment's class median is listed as a low score."""

STATUS_WORDS = ("graded", "pending manual", "needs review", "failed to grade", "not submitted")
"""`reports.status_word`'s words, in the order the grade table shows them."""

_SORT_SCRIPT = """document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('thead th').forEach(function (th, column) {
    th.title = 'sort by this column';
    th.addEventListener('click', function () {
      var body = table.tBodies[0], rows = Array.from(body.rows);
      var up = th.getAttribute('aria-sort') !== 'ascending';
      table.querySelectorAll('thead th').forEach(function (other) { other.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
      function key(row) { var cell = row.cells[column]; return cell.dataset.sort !== undefined ? cell.dataset.sort : cell.innerText; }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
        var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return up ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});"""
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SORT_SCRIPT.encode()).digest()).decode()
CSP = (f"default-src 'none'; script-src 'sha256-{_SCRIPT_HASH}'; style-src 'unsafe-inline'; img-src data:; "
       "form-action 'none'; base-uri 'none'")

_STYLE = """body{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:90%}
thead th{background:#f2f2f2;cursor:pointer}th[aria-sort=ascending]::after{content:" \\25B2"}
th[aria-sort=descending]::after{content:" \\25BC"}td.num{text-align:right}
.bad{color:#a40000;font-weight:bold}.warn{color:#8a5a00}.bar{background:#eee;width:220px;height:0.8em}
.bar div{background:#55a868;height:100%}footer{margin-top:3em;color:#666;font-size:85%}svg{margin:0 1em 1em 0}"""


@dataclass
class Concern:
    """One reason to look at one student's assignment."""

    student: str
    assignment: str
    what: str  # "failed to grade", "needs review", "low score", "not submitted", "stopped at a limit", "flagged"
    why: str


_ORDER = ("failed to grade", "needs review", "low score", "not submitted", "stopped at a limit", "flagged")


def class_medians(course, run) -> dict[str, float | None]:
    """Assignment -> the median points of its submissions with points (None where there is none)."""
    found = {}
    for a in course.assignments():
        points = [sum(split_points(r)) for r in run.results if r.assignment == a and r.status == GRADED]
        found[a] = statistics.median(points) if points else None
    return found


def concerns(course, run, limits: dict[str, float], table: dict[str, dict]) -> list[Concern]:
    """Everything the attention list shows, most urgent first, then by student. `limits` and `table`: the
    page's maxima (reports.max_points) and results by student (reports.results_by_student), read once."""
    medians = class_medians(course, run)
    found = []
    for key, results in table.items():
        for a, result in results.items():
            if result.status in (FAILED, NEEDS_REVIEW):
                found.append(Concern(key, a, status_word(result), result.reason))
            elif result.status == MISSING:
                found.append(Concern(key, a, "not submitted", result.reason or "no submission"))
            elif a in medians and medians[a]:
                points = sum(split_points(result))
                if points < LOW_SCORE_SHARE_OF_MEDIAN * medians[a]:
                    found.append(Concern(key, a, "low score", f"{points:g} of {limits[a]:g} points, under "
                                         f"{LOW_SCORE_SHARE_OF_MEDIAN:.0%} of the class median ({medians[a]:g})"))
            if result.status == GRADED:
                stopped = [f"{t.grade_id} ({t.stopped})" for t in result.tests if t.stopped]
                if stopped:  # a correct but slow answer loses these points: the TA may want to look
                    found.append(Concern(key, a, "stopped at a limit", ", ".join(stopped)))
            if result.flags and result.status != MISSING:
                found.append(Concern(key, a, "flagged", "; ".join(result.flags[:3])
                                     + (f" (+{len(result.flags) - 3} more)" if len(result.flags) > 3 else "")))
    return sorted(found, key=lambda c: (_ORDER.index(c.what), display_name(run, c.student).lower(), c.assignment))


class SummaryPage:
    """The page's parts, from one run (see the module docstring)."""

    def __init__(self, course, run):
        self.course, self.run = course, run
        self.assignments = course.assignments()
        self.limits = max_points(course)
        self.table = results_by_student(run)

    def name(self, key: str) -> str:
        return display_name(self.run, key)

    def link(self, key: str, assignment: str) -> str | None:
        """The student's feedback page, relative to reports/ (None where none was written)."""
        result = self.table.get(key, {}).get(assignment)
        if result is None or result.status == MISSING:
            return None
        page = feedback_path(self.course, result)
        return os.path.relpath(page, self.course.reports_dir) if page.exists() else None

    def _linked(self, text: str, key: str, assignment: str) -> str:
        href = self.link(key, assignment)
        return f'<a href="{html.escape(href)}">{html.escape(text)}</a>' if href else html.escape(text)

    def attention(self) -> str:
        e = html.escape
        found = concerns(self.course, self.run, self.limits, self.table)
        rows = [f'<tr><td>{e(self.name(c.student))}</td><td>{e(c.assignment)}</td>'
                f'<td data-sort="{_ORDER.index(c.what)}" class="{"bad" if c.what in _ORDER[:3] else "warn"}">{e(c.what)}</td>'
                f'<td>{e(c.why)}</td><td>{self._linked("feedback page", c.student, c.assignment)}</td></tr>'
                for c in found]
        students = len({c.student for c in found})
        return (f"<h2>Students who need attention ({students} students, {len(found)} reasons)</h2>"
                '<table class="sortable"><thead><tr><th>student</th><th>assignment</th><th>what</th><th>why</th>'
                "<th>page</th></tr></thead><tbody>"
                + ("".join(rows) or '<tr><td colspan="5">nobody</td></tr>') + "</tbody></table>")

    def to_grade(self) -> str:
        pending = [(key, a, r.pending_manual) for key, results in sorted(self.table.items(), key=lambda i: self.name(i[0]).lower())
                   for a, r in sorted(results.items()) if r.status == GRADED and r.pending_manual]
        if not pending:
            return ""
        items = "".join(f"<li>{self._linked(self.name(key), key, a)}, {html.escape(a)}: {html.escape(', '.join(cells))}</li>"
                        for key, a, cells in pending)
        return (f"<h2>Written answers to grade ({len(pending)} submissions)</h2><p>In the formgrader "
                "(<code>make formgrade</code>), then <code>make grade</code> puts the grades into these reports.</p>"
                f"<details><summary>which</summary><ul>{items}</ul></details>")

    def students(self) -> str:
        e = html.escape
        head = "".join(f"<th>{e(a)} (of {self.limits[a]:g})</th>" for a in self.assignments)
        rows = []
        for key, results in sorted(self.table.items(), key=lambda item: self.name(item[0]).lower()):
            student = self.run.students.get(key)
            cells, total, words, flags = [], 0.0, [], 0
            for a in self.assignments:
                result = results.get(a)
                word = status_word(result)
                if result is not None and result.status == GRADED:
                    points = sum(split_points(result))
                    total += points
                    shown = f"{points:g}" + (" *" if result.pending_manual else "")
                    cells.append(f'<td class="num" data-sort="{points:g}">{self._linked(shown, key, a)}</td>')
                else:
                    rank = -1 if word == "not submitted" else -2
                    css = "bad" if word != "not submitted" else "warn"
                    cells.append(f'<td data-sort="{rank}" class="{css}">{self._linked(word, key, a)}</td>')
                if word != "graded":
                    words.append(f"{a}: {word}")
                flags += len(result.flags) if result is not None and result.status != MISSING else 0
            rows.append(f'<tr><td>{e(self.name(key))}</td><td>{e(student.name if student else "")}</td>{"".join(cells)}'
                        f'<td class="num" data-sort="{total:g}">{total:g}</td><td>{e("; ".join(words)) or "graded"}</td>'
                        f'<td class="num" data-sort="{flags}">{flags or ""}</td></tr>')
        return (f"<h2>Students ({len(rows)})</h2><p>Click a column heading to sort by it; points link to the "
                "student's feedback page; * = written answers still to grade (counted as 0 until graded).</p>"
                f'<table class="sortable"><thead><tr><th>student</th><th>name</th>{head}'
                f'<th>total (of {sum(self.limits.values()):g})</th><th>status</th><th>flags</th></tr></thead>'
                f'<tbody>{"".join(rows)}</tbody></table>')

    def grades(self) -> str:
        e = html.escape
        rows, plots = [], []
        for a in self.assignments:
            counts = {word: 0 for word in STATUS_WORDS}
            for results in self.table.values():
                counts[status_word(results.get(a))] += 1
            points = [sum(split_points(r)) for r in self.run.results if r.assignment == a and r.status == GRADED]
            spread = (f"{statistics.mean(points):.1f}", f"{statistics.median(points):g}", f"{max(points):g}") \
                if points else ("", "", "")
            rows.append(f"<tr><td>{e(a)}</td><td class=num>{self.limits[a]:g}</td>"
                        + "".join(f"<td class=num>{counts[word]}</td>" for word in STATUS_WORDS)
                        + "".join(f"<td class=num>{v}</td>" for v in spread) + "</tr>")
            plots.append(svg_histogram(f"{a} (n={len(points)})", points, self.limits[a] or 1))
        head = "".join(f"<th>{word}</th>" for word in STATUS_WORDS)
        return ("<h2>Grades</h2><p>Mean, median, best and the histograms count every submission with points "
                "(graded and pending manual, whose written answers count 0 until graded).</p>"
                f"<table><tr><th>assignment</th><th>max</th>{head}<th>mean</th><th>median</th><th>best</th></tr>"
                + "".join(rows) + "</table>" + "".join(plots))

    def tests(self) -> str:
        table = pass_rate_table(test_rows(self.course, self.run), self.name, self.link)
        return f"<h2>Tests: share of graded students with full points, and who lost points</h2>{table}"

    def footer(self) -> str:
        e = html.escape
        return (f"<footer>Written {e(time.strftime('%Y-%m-%d %H:%M'))}; {self.run.regraded} notebook(s) graded in "
                f"this run, {self.run.reused} reused, in {self.run.seconds:g} s.<br>Kernels: {e(self.run.sandbox)}</footer>")


def write_summary_html(course, run, sections: tuple[str, ...] = ()) -> None:
    """Write reports/summary.html; `sections`: further HTML parts (e.g. the similarity report's), already escaped."""
    e = html.escape
    view = SummaryPage(course, run)
    notes = "".join(f"<p><b>Note:</b> {e(note)}</p>" for note in run.notes)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>Class summary</title><style>{_STYLE}</style></head><body>
<h1>Class summary</h1>
<p>{len(view.table)} students, {len(view.assignments)} assignments.</p>{notes}
{view.attention()}
{view.to_grade()}
{view.students()}
{view.grades()}
{view.tests()}
{"".join(sections)}
<h2>Exports</h2>
<ul><li><a href="grades.csv">grades.csv</a>: every student, points and status per assignment, notes and flags</li>
<li><a href="tests.csv">tests.csv</a>: every test, with the class's counts</li>
<li><a href="similarity.csv">similarity.csv</a> and <a href="similarity.html">similarity.html</a>: pairs of students
whose own answer code is alike, the shared passages side by side</li>
<li><a href="moodle.csv">moodle.csv</a>: Moodle, Grades &gt; Import &gt; CSV file (map "ID number" or "Email address")</li>
<li><a href="canvas.csv">canvas.csv</a>: Canvas, Grades &gt; Import (students matched by SIS login)</li></ul>
{view.footer()}
<script>{_SORT_SCRIPT}</script>
</body></html>
"""
    (course.reports_dir / "summary.html").write_text(page, encoding="utf-8")
