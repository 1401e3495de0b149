"""Per-student HTML feedback: every test's points, pass/fail and message, never hidden-test code.

nbgrader's own `generate_feedback` renders the autograded notebook as it is, hidden tests and
tracebacks included. Here the autograded notebook is cleaned first: hidden-test regions are cut
from every cell, and the outputs of graded cells keep only the error's name and message.
"""
from __future__ import annotations

import html
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbformat import NotebookNode

from .grading import NO_ANSWER, feedback_path

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def strip_hidden(source: str) -> str:
    """Drop every hidden-test region (markers included) from a cell's source."""
    kept, hidden = [], False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            hidden = True
        elif HIDDEN_END in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


def clean_for_student(nb: NotebookNode) -> NotebookNode:
    """The autograded notebook without hidden code: sources cut, graded cells' tracebacks shortened."""
    for cell in nb.cells:
        cell.source = strip_hidden(cell.source)
        graded = cell.metadata.get("nbgrader", {}).get("grade", False)
        if cell.cell_type == "code" and graded:
            for output in cell.outputs:
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
    return nb


def _summary_markdown(result, title: str) -> str:
    lines = [f"# Feedback: {title}", "",
             f"**Student:** `{result.student}`  **Status:** {describe_status(result)}", ""]
    if result.status == "graded" and result.reason:
        lines += [f"**Note:** {html.escape(result.reason)}", ""]
    if result.tests:
        total = sum(t.max_points for t in result.tests)
        lines += [f"**Points:** {result.points:g} / {total:g}"
                  + (f" ({len(result.pending_manual)} written answer(s) not graded yet)" if result.pending_manual else ""),
                  "", "| test | points | result | message |", "| --- | --- | --- | --- |"]
        for test in result.tests:
            if test.points is None:
                verdict, shown = "waiting for a grader", "–"
            else:
                verdict = "passed" if test.points >= test.max_points else ("partly" if test.points > 0 else "failed")
                if test.manual:
                    verdict = "not answered" if test.message == NO_ANSWER else "graded by hand"
                shown = f"{test.points:g}"
            message = html.escape(test.message).replace("|", "\\|").replace("\n", " ")
            lines.append(f"| `{test.grade_id}` | {shown} / {test.max_points:g} | {verdict} | {message} |")
    return "\n".join(lines)


def describe_status(result) -> str:
    if result.status == "graded":
        return "graded" + (" (written answers pending)" if result.pending_manual else "")
    if result.status == "missing":
        return "not submitted"
    return f"could not be graded: {result.reason}"


def feedback_notebook(course, result) -> NotebookNode:
    """The notebook that is rendered as one student's feedback for one assignment."""
    title = result.assignment
    graded_nb = course.autograded_dir / result.student / result.assignment / f"{result.assignment}.ipynb"
    nb = nbformat.v4.new_notebook()
    if result.status == "graded" and graded_nb.exists():
        nb = clean_for_student(nbformat.read(graded_nb, as_version=4))
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(_summary_markdown(result, title)))
    return nb


def write_feedback(course, results) -> list[Path]:
    """feedback/<student>/<assignment>/<assignment>.html for every result; return the paths."""
    exporter = HTMLExporter(template_name="lab")
    written = []
    for result in results:
        if result.status == "failed" and result.assignment not in course.assignments():
            continue  # an unknown folder: reported in the summary, no feedback page
        out = feedback_path(course, result)
        body, _ = exporter.from_notebook_node(feedback_notebook(course, result))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(body, encoding="utf-8")
        written.append(out)
    return written
