"""The class reports: grades.csv, tests.csv, summary.html, the LMS exports, and the printed summary.

Every student of the roster has a row, with a status per assignment (graded, pending manual, needs
review, failed to grade, not submitted). Points are split into autograded and written, each with
its maximum, so the arithmetic can be checked by hand: an assignment's points are its autograded
points plus its written points (none while the submission needs review or could not be graded);
`total` is their sum over assignments; `max_total` is the course's maximum (every assignment,
written answers included, submitted or not).
"""
from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass

import nbformat
from nbgrader.utils import is_grade, is_solution

from .feedback import describe_status
from .formgrade import course_argument
from .model import FAILED, GRADED, MISSING, NEEDS_REVIEW


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(value) -> str:
    """A CSV cell a spreadsheet cannot run: text that begins like a formula (=, +, -, @, a tab, a
    carriage return: OWASP's list) gets a leading apostrophe, which spreadsheets show as text; every
    other value is written as it is (student ids round-trip)."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class InertWriter:
    """csv.writer whose every cell goes through `inert` (every CSV the grader writes)."""

    def __init__(self, handle):
        self._writer = csv.writer(handle)

    def writerow(self, row) -> None:
        self._writer.writerow([inert(value) for value in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


@dataclass
class Maxima:
    auto: float
    written: float

    @property
    def total(self) -> float:
        return self.auto + self.written


def maxima(course) -> dict[str, Maxima]:
    """Assignment -> the points its source notebook's autograded tests and written answers are worth."""
    found = {}
    for assignment in course.assignments():
        nb = nbformat.read(course.source_notebook(assignment), as_version=4)
        points = [(float(c.metadata["nbgrader"]["points"]), is_solution(c)) for c in nb.cells if is_grade(c)]
        found[assignment] = Maxima(sum(p for p, written in points if not written), sum(p for p, written in points if written))
    return found


def max_points(course) -> dict[str, float]:
    return {a: m.total for a, m in maxima(course).items()}


def status_word(result) -> str:
    """Short status for a CSV cell: tells 'failed to grade' and 'not submitted' from 'scored 0'."""
    if result is None or result.status == MISSING:
        return "not submitted"
    if result.status == GRADED:
        return "pending manual" if result.pending_manual else "graded"
    if result.status == NEEDS_REVIEW:
        return "needs review"
    return "failed to grade"


def split_points(result) -> tuple[float, float]:
    """(autograded, written) points that count."""
    if result is None or result.status != GRADED:
        return 0.0, 0.0
    return (sum(t.points or 0.0 for t in result.tests if not t.manual),
            sum(t.points or 0.0 for t in result.tests if t.manual))


def results_by_student(run) -> dict[str, dict[str, object]]:
    table: dict[str, dict[str, object]] = {key: {} for key in run.students}
    for result in run.results:
        table.setdefault(result.student, {})[result.assignment] = result
    return table


def display_name(run, key: str) -> str:
    student = run.students.get(key)
    return student.id if student else key


def write_reports(course, run) -> None:
    course.reports_dir.mkdir(parents=True, exist_ok=True)
    _write_grades_csv(course, run)
    _write_tests_csv(course, run)
    _write_lms_exports(course, run)


def _write_grades_csv(course, run) -> None:
    assignments = course.assignments()
    limits = maxima(course)
    course_max = sum(m.total for m in limits.values())
    header = ["student", "name", "email", "folder"]
    for a in assignments:
        header += [a, f"{a} auto", f"{a} auto max", f"{a} written", f"{a} written max", f"{a} status"]
    header += ["total", "max_total", "pending_manual", "notes", "flags"]
    with open(course.reports_dir / "grades.csv", "w", newline="", encoding="utf-8") as handle:
        writer = InertWriter(handle)
        writer.writerow(header)
        for key, row_results in sorted(results_by_student(run).items(), key=lambda item: display_name(run, item[0]).lower()):
            student = run.students.get(key)
            row = [display_name(run, key), student.name if student else "", student.email if student else "", key]
            notes, pending, flags, total = [], [], [], 0.0
            for a in assignments:
                result = row_results.get(a)
                auto, written = split_points(result)
                total += auto + written
                row += [f"{auto + written:g}", f"{auto:g}", f"{limits[a].auto:g}", f"{written:g}",
                        f"{limits[a].written:g}", status_word(result)]
                if result is not None and result.status in (FAILED, NEEDS_REVIEW):
                    notes.append(f"{a}: {status_word(result)}: {result.reason}")
                elif result is not None and result.status == MISSING and result.reason != "no submission":
                    notes.append(f"{a}: {result.reason}")
                elif result is not None and result.status == GRADED and result.reason:
                    notes.append(f"{a}: note: {result.reason}")
                if result is not None and result.status == GRADED:
                    notes += [f"{a}: {t.grade_id} stopped at the {t.stopped} ({t.message})" for t in result.tests if t.stopped]
                if result is not None and result.status != MISSING and not result.sandboxed:
                    notes.append(f"{a}: graded WITHOUT the sandbox (UNSAFE=1)")
                if result is not None:
                    pending += [f"{a}/{g}" for g in result.pending_manual]
                    flags += [f"{a}: {flag}" for flag in result.flags if result.status != MISSING]
            notes += [f"{r.assignment}: {r.reason}" for a, r in row_results.items() if a not in assignments]
            writer.writerow(row + [f"{total:g}", f"{course_max:g}", " ".join(pending), "; ".join(notes), "; ".join(flags)])


def test_rows(course, run) -> list[dict]:
    """A row per graded cell of every assignment, in notebook order, with the class's counts and the keys of
    the students who lost points on it (`lost_by`, as many as `lost_points`)."""
    cells: dict[tuple[str, str], list] = defaultdict(list)
    for result in run.results:
        if result.status != GRADED:  # a submission under review has no points to count yet
            continue
        for test in result.tests:
            cells[(result.assignment, test.grade_id)].append((result.student, test))
    rows = []
    for assignment in course.assignments():
        nb = nbformat.read(course.source_notebook(assignment), as_version=4)
        for cell in (c for c in nb.cells if is_grade(c)):
            grade_id = cell.metadata["nbgrader"]["grade_id"]
            tests = cells.get((assignment, grade_id), [])
            most = float(cell.metadata["nbgrader"]["points"])
            scored = [t.points for _, t in tests if t.points is not None]
            rows.append({"assignment": assignment, "test": grade_id, "kind": "manual" if is_solution(cell) else "auto",
                         "max_points": f"{most:g}", "students": len(tests),
                         "full_points": sum(p >= most for p in scored), "lost_points": sum(p < most for p in scored),
                         "lost_by": sorted(student for student, t in tests if t.points is not None and t.points < most),
                         "timed_out": sum(t.stopped == "time limit" for _, t in tests),
                         "output_limit": sum(t.stopped == "output limit" for _, t in tests),
                         "pending": len(tests) - len(scored),
                         "mean_points": f"{sum(scored) / len(scored):.2f}" if scored else ""})
    return rows


def _write_tests_csv(course, run) -> None:
    rows = test_rows(course, run)
    with open(course.reports_dir / "tests.csv", "w", newline="", encoding="utf-8") as handle:
        fields = ["assignment", "test", "kind", "max_points", "students", "full_points", "lost_points", "timed_out",
                  "output_limit", "pending", "mean_points"]
        writer = InertWriter(handle)
        writer.writerow(fields)
        writer.writerows([[row[f] for f in fields] for row in rows])


def _write_lms_exports(course, run) -> None:
    """moodle.csv and canvas.csv: one column per assignment, in the layouts their grade imports read."""
    assignments = course.assignments()
    limits = maxima(course)
    table = results_by_student(run)
    students = sorted(table, key=lambda key: display_name(run, key).lower())

    def points(key, a):
        result = table[key].get(a)
        auto, written = split_points(result)
        return f"{auto + written:g}" if result is not None and result.status == GRADED else ""

    with open(course.reports_dir / "moodle.csv", "w", newline="", encoding="utf-8") as handle:
        writer = InertWriter(handle)  # Grades > Import > CSV file: map "ID number" or "Email address"
        writer.writerow(["ID number", "Email address", "Full name", *assignments])
        for key in students:
            student = run.students.get(key)
            writer.writerow([display_name(run, key), student.email if student else "", student.name if student else "",
                             *(points(key, a) for a in assignments)])
    with open(course.reports_dir / "canvas.csv", "w", newline="", encoding="utf-8") as handle:
        writer = InertWriter(handle)  # Grades > Import: the first five columns identify the student
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *assignments])
        writer.writerow(["    Points Possible", "", "", "", "", *(f"{limits[a].total:g}" for a in assignments)])
        for key in students:
            student = run.students.get(key)
            writer.writerow([(student.name if student and student.name else display_name(run, key)), "", display_name(run, key),
                             display_name(run, key), "", *(points(key, a) for a in assignments)])


def summary_lines(course, run) -> list[str]:
    """The table `make grade` prints."""
    assignments = course.assignments()
    limits = max_points(course)
    table = results_by_student(run)
    width = max([len(display_name(run, k)) for k in table] + [7])
    lines = [f"{'student':{width}s}  " + "  ".join(f"{a:>18s}" for a in assignments) + "       total"]
    problems, review, flagged = [], [], []
    for key in sorted(table, key=lambda k: display_name(run, k).lower()):
        name, cells, total = display_name(run, key), [], 0.0
        for assignment in assignments:
            result = table[key].get(assignment)
            if result is None or result.status == MISSING:
                cells.append(f"{'not submitted':>18s}")
                if result is not None and result.reason != "no submission":
                    problems.append(f"  {name}/{assignment}: {result.reason}")
            elif result.status == FAILED:
                cells.append(f"{'FAILED TO GRADE':>18s}")
                problems.append(f"  {name}/{assignment}: {describe_status(result)}")
            elif result.status == NEEDS_REVIEW:
                cells.append(f"{'NEEDS REVIEW':>18s}")
                review.append(f"  {name}/{assignment}: {result.reason}")
            else:
                mark = "*" if result.pending_manual else " "
                cells.append(f"{result.points:>9g} / {limits[assignment]:<5g}{mark} ")
                total += result.points
            if result is not None and result.flags and result.status != MISSING:
                flagged.append(f"  {name}/{assignment}: " + "; ".join(result.flags[:4])
                               + (f" (+{len(result.flags) - 4} more)" if len(result.flags) > 4 else ""))
        for result in table[key].values():
            if result.assignment not in assignments:
                problems.append(f"  {name}/{result.assignment}: {result.reason}")
        lines.append(f"{name:{width}s}  " + "  ".join(cells) + f"  {total:>6g} / {sum(limits.values()):g}")
    lines.append("(* written answers still to be graded in the formgrader)")
    if problems:
        lines += ["Could not be graded or not handed in as a notebook (0 points, reason given):", *problems]
    if review:
        lines += ["NEEDS REVIEW: the grader's known answers came out wrong (tampering suspected; no points "
                  "until a TA has looked at the notebook):", *review]
    if flagged:
        lines += ["Flagged for a TA to look at (graded as usual; code that reaches outside its task):", *flagged]
    lines += [f"note: {note}" for note in run.notes]
    lines.append(f"kernels: {run.sandbox}")
    lines.append(f"{run.regraded} notebook(s) graded, {run.reused} unchanged and reused, in {run.seconds:g} s. "
                 f"Reports: {course.reports_dir}/summary.html, grades.csv, tests.csv, moodle.csv, canvas.csv, "
                 "similarity.csv; "
                 f"feedback: {course.feedback_dir}/")
    if any(r.pending_manual for r in run.results if r.status == GRADED):
        where = course_argument(course)
        lines.append(f"Next: grade the written answers with `make formgrade{where}`, then `make grade{where}` "
                     "puts them into the reports.")
    return lines
