"""grades.csv (a row per student), tests.csv (a row per test for the class) and the summary."""
from __future__ import annotations

import csv
from collections import defaultdict

import nbformat
from nbgrader.utils import is_grade

from .feedback import describe_status
from .model import FAILED, GRADED, MISSING, NEEDS_REVIEW


def max_points(course) -> dict[str, float]:
    """Assignment -> the points its source notebook's grade cells are worth."""
    totals = {}
    for assignment in course.assignments():
        nb = nbformat.read(course.source_notebook(assignment), as_version=4)
        totals[assignment] = sum(float(c.metadata["nbgrader"]["points"]) for c in nb.cells if is_grade(c))
    return totals


def status_word(result) -> str:
    """Short status for a CSV cell: tells 'failed to grade' and 'not submitted' from 'scored 0'."""
    if result.status == GRADED:
        return "pending manual" if result.pending_manual else "graded"
    if result.status == NEEDS_REVIEW:
        return "needs review"
    return "failed to grade" if result.status == FAILED else "not submitted"


def write_reports(course, run) -> None:
    results = run.results
    course.reports_dir.mkdir(parents=True, exist_ok=True)
    assignments = course.assignments()
    maxima = max_points(course)
    by_student: dict[str, dict[str, object]] = defaultdict(dict)
    for result in results:
        by_student[result.student][result.assignment] = result

    with open(course.reports_dir / "grades.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *assignments, *(f"{a} status" for a in assignments),
                         "total", "max_total", "pending_manual", "notes", "flags"])
        for student in sorted(by_student):
            row_points, row_status, notes, pending, flags = [], [], [], [], []
            for assignment in assignments:
                result = by_student[student].get(assignment)
                row_points.append(f"{result.points:g}" if result else "0")
                row_status.append(status_word(result) if result else "not submitted")
                if result and result.status in (FAILED, NEEDS_REVIEW):
                    notes.append(f"{assignment}: {status_word(result)}: {result.reason}")
                if result and result.status != MISSING and not result.sandboxed:
                    notes.append(f"{assignment}: graded WITHOUT the sandbox (UNSAFE=1)")
                if result:
                    pending += [f"{assignment}/{g}" for g in result.pending_manual]
                    flags += [f"{assignment}: {flag}" for flag in result.flags]
            extra = [r for a, r in by_student[student].items() if a not in assignments]
            notes += [f"{r.assignment}: {r.reason}" for r in extra]
            total = sum(float(p) for p in row_points)
            writer.writerow([student, *row_points, *row_status, f"{total:g}", f"{sum(maxima.values()):g}",
                             " ".join(pending), "; ".join(notes), "; ".join(flags)])

    with open(course.reports_dir / "tests.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["assignment", "test", "kind", "max_points", "students", "full_points",
                         "lost_points", "pending", "mean_points"])
        cells: dict[tuple[str, str], list] = defaultdict(list)  # filled in notebook order
        for result in results:
            if result.status != GRADED:  # a submission under review has no points to count yet
                continue
            for test in result.tests:
                cells[(result.assignment, test.grade_id)].append(test)
        for (assignment, grade_id), tests in sorted(cells.items(), key=lambda item: assignments.index(item[0][0])
                                                   if item[0][0] in assignments else len(assignments)):
            scored = [t.points for t in tests if t.points is not None]
            writer.writerow([assignment, grade_id, "manual" if tests[0].manual else "auto", f"{tests[0].max_points:g}",
                             len(tests), sum(p >= tests[0].max_points for p in scored),
                             sum(p < tests[0].max_points for p in scored), len(tests) - len(scored),
                             f"{sum(scored) / len(scored):.2f}" if scored else ""])


def summary_lines(course, run) -> list[str]:
    """The table `make grade` prints."""
    assignments = course.assignments()
    maxima = max_points(course)
    width = max([len(r.student) for r in run.results] + [7])
    lines = [f"{'student':{width}s}  " + "  ".join(f"{a:>18s}" for a in assignments) + "       total"]
    by_student: dict[str, dict] = defaultdict(dict)
    for result in run.results:
        by_student[result.student][result.assignment] = result
    problems, review, flagged = [], [], []
    for student in sorted(by_student):
        cells, total = [], 0.0
        for assignment in assignments:
            result = by_student[student].get(assignment)
            if result is None or result.status == "missing":
                cells.append(f"{'not submitted':>18s}")
            elif result.status == FAILED:
                cells.append(f"{'FAILED TO GRADE':>18s}")
            elif result.status == NEEDS_REVIEW:
                cells.append(f"{'NEEDS REVIEW':>18s}")
            else:
                mark = "*" if result.pending_manual else " "
                cells.append(f"{result.points:>9g} / {maxima[assignment]:<5g}{mark} ")
                total += result.points
            if result is not None and result.status == FAILED:
                problems.append(f"  {student}/{assignment}: {describe_status(result)}")
            if result is not None and result.status == NEEDS_REVIEW:
                review.append(f"  {student}/{assignment}: {result.reason}")
            if result is not None and result.flags and result.status != MISSING:
                flagged.append(f"  {student}/{assignment}: " + "; ".join(result.flags[:4])
                               + (f" (+{len(result.flags) - 4} more)" if len(result.flags) > 4 else ""))
        for result in by_student[student].values():
            if result.assignment not in assignments:
                problems.append(f"  {student}/{result.assignment}: {result.reason}")
        lines.append(f"{student:{width}s}  " + "  ".join(cells) + f"  {total:>6g} / {sum(maxima.values()):g}")
    lines.append("(* written answers still to be graded in the formgrader: `make formgrade`)")
    if problems:
        lines += ["Could not be graded (0 points for the affected assignment, reason given):", *problems]
    if review:
        lines += ["NEEDS REVIEW: the grader's known answers came out wrong (tampering suspected; no points "
                  "until a TA has looked at the notebook):", *review]
    if flagged:
        lines += ["Flagged for a TA to look at (graded as usual; code that reaches outside its task):", *flagged]
    lines += [f"note: {note}" for note in run.notes]
    lines.append(f"kernels: {run.sandbox}")
    lines.append(f"{run.regraded} notebook(s) graded, {run.reused} unchanged and reused, in {run.seconds:g} s. "
                 f"Reports: {course.reports_dir}/grades.csv, tests.csv; feedback: {course.feedback_dir}/")
    return lines
