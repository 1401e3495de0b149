"""The notebook a student's feedback page shows, built only from bytes that never met a hidden test.

nbgrader runs the hidden tests in the student's own kernel, so anything that kernel printed after a
hidden test ran may carry the test (its history, its frames, its source in `linecache`), however
it is filtered afterwards (nbgrader issue #917). So the page shows nothing the grading kernel
printed. Its notebook is made of:

- **the submission**: every cell's source and outputs as the student handed them in (their own
  machine, their own run), the read-only cells' sources as the source has them;
- **the source**: each test cell's visible part (what the release shows), each test's docstring;
- **the grader's verdict**: per test, points and pass or fail (numbers the grader read from the
  graded notebook), and a message that is either the grader's own words (a time limit, an output
  limit, a skipped cell) or the error of that test in the *visible run* (`visible_run`): the same
  notebook executed again, in a fresh kernel, without any hidden test, so what it prints is what
  the student's own code does against the tests they can see.

Outputs are capped (MAX_OUTPUT_CHARS per text, MAX_IMAGE_BYTES per image, MAX_OUTPUTS_PER_CELL)
and an SVG becomes an `<img>` (inert); the page's renderer sanitises every fragment (`safe_html`).
"""
from __future__ import annotations

import base64
import secrets

import nbformat
from nbformat import NotebookNode

from .model import TestOutcome

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SUBMITTED_KEY = "coursekit_submitted"  # a cell's marker for its submitted outputs (see remember_outputs)
MAX_OUTPUT_CHARS = 10_000  # of one text output
MAX_IMAGE_BYTES = 500_000  # of one base64 image
MAX_OUTPUTS_PER_CELL = 50


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


def remember_outputs(nb: dict) -> dict[str, list]:
    """Mark every code cell of a submission (a JSON dict, before nbgrader clears its outputs) and keep
    its outputs under the mark, which the student cannot have guessed; `submitted_outputs` finds them."""
    token = secrets.token_hex(8)
    saved: dict[str, list] = {}
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        marker = f"{token}-{index}"
        saved[marker] = list(cell.get("outputs", []))
        cell.setdefault("metadata", {})[SUBMITTED_KEY] = marker
    return saved


def forget_markers(nb: NotebookNode) -> NotebookNode:
    for cell in nb.cells:
        cell.metadata.pop(SUBMITTED_KEY, None)
    return nb


def _cap(text: str) -> str:
    if len(text) <= MAX_OUTPUT_CHARS:
        return text
    return text[:MAX_OUTPUT_CHARS] + f"\n[... {len(text) - MAX_OUTPUT_CHARS:,} more characters not shown]"


def shown_output(output: dict) -> NotebookNode | None:
    """One output as the page may show it: capped; an SVG as an inert image; widget state dropped."""
    output = nbformat.from_dict(dict(output))
    kind = output.get("output_type")
    if kind == "stream":
        output.text = _cap(str(output.get("text", "")))
    elif kind == "error":
        output.ename = str(output.get("ename", ""))[:200]
        output.evalue = _cap(str(output.get("evalue", "")))
        output.traceback = [_cap(str(line)) for line in list(output.get("traceback", []))[:100]]
    elif kind in ("display_data", "execute_result"):
        data = dict(output.get("data", {}))
        kept = {}
        for mime, value in data.items():
            value = "".join(value) if isinstance(value, list) else value
            if not isinstance(value, str):
                continue  # JSON payloads for widgets and the like: not rendered in feedback
            if mime == "image/svg+xml":
                if len(value) <= MAX_IMAGE_BYTES:
                    encoded = base64.b64encode(value.encode()).decode()
                    kept["text/html"] = f'<img alt="figure" src="data:image/svg+xml;base64,{encoded}">'
            elif mime.startswith("image/"):
                if len(value) <= MAX_IMAGE_BYTES:
                    kept[mime] = value
            elif mime in ("text/plain", "text/html", "text/markdown", "text/latex"):
                kept[mime] = _cap(value)
        if not kept:
            return nbformat.v4.new_output("stream", name="stdout", text="[output too large for the feedback]\n")
        output.data = kept
        output.metadata = {}
    else:
        return None
    return output


def _shown(outputs: list) -> list:
    shown = [o for o in (shown_output(o) for o in outputs[:MAX_OUTPUTS_PER_CELL]) if o is not None]
    if len(outputs) > MAX_OUTPUTS_PER_CELL:
        shown.append(nbformat.v4.new_output("stream", name="stdout", text="[more outputs not shown]\n"))
    return shown


def verdict_line(test: TestOutcome) -> str:
    if test.points is None:
        return f"[graded by hand: waiting for a grader ({test.max_points:g} points)]\n"
    word = test.stopped_word() or ("passed" if test.points >= test.max_points else
                                   ("partly passed" if test.points > 0 else "failed"))
    line = f"[graded: {word}, {test.points:g} / {test.max_points:g} points"
    return line + (f": {test.message}]\n" if test.message and test.points < test.max_points else "]\n")


def student_view(executed: NotebookNode, submitted: dict[str, list], roles: dict[str, dict],
                 tests: list[TestOutcome], visible: dict[str, list] | None, not_rerun_label: str,
                 not_rerun: set[str]) -> NotebookNode:
    """The page's notebook (see the module docstring). `executed`: the graded notebook, used only for
    its cell order and sources (the sources nbgrader restored: read-only cells from the source, the
    student's own cells as handed in); `submitted`: marker -> the outputs the student handed in;
    `roles`: grade_id -> the source's nbgrader metadata; `visible`: grade_id -> the outputs of that
    test in the visible run; `not_rerun`: the markers of the cells the grader did not run."""
    by_id = {t.grade_id: t for t in tests}
    view = nbformat.v4.new_notebook(metadata={k: executed.metadata[k] for k in ("kernelspec", "language_info")
                                              if k in executed.metadata})
    for cell in executed.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        role = roles.get(grade_id, {}) if grade_id else {}
        if cell.cell_type != "code":
            new = (nbformat.v4.new_markdown_cell(cell.source) if cell.cell_type == "markdown"
                   else nbformat.v4.new_raw_cell(cell.source))
            if cell.get("attachments"):
                new.attachments = cell.attachments
            view.cells.append(new)
            continue
        if role.get("grade") and not role.get("solution"):  # a test: the verdict, and its visible run if it failed
            new = nbformat.v4.new_code_cell(strip_hidden(cell.source))
            test = by_id.get(grade_id)
            if test is not None:
                new.outputs = [nbformat.v4.new_output("stream", name="stdout", text=verdict_line(test))]
                if test.points is not None and test.points < test.max_points and visible and grade_id in visible:
                    new.outputs += [_short_traceback(o) for o in _shown(visible[grade_id])]
        else:
            new = nbformat.v4.new_code_cell(strip_hidden(cell.source))  # (only tests have hidden parts)
            marker = cell.metadata.get(SUBMITTED_KEY, "")
            own = _shown(submitted.get(marker, []))
            if marker in not_rerun:
                own = [nbformat.v4.new_output("stream", name="stdout", text=not_rerun_label)] + own
            new.outputs = own
        view.cells.append(new)
    return view


def _short_traceback(output: NotebookNode) -> NotebookNode:
    """A test's error as its last line: the test's code stays in the cell above, not in a traceback."""
    if output.get("output_type") == "error":
        output.traceback = [f"{output.ename}: {output.evalue}"]
    return output


def source_view(source: NotebookNode) -> NotebookNode:
    """The source notebook as a page would show it (hidden tests cut, no outputs): what a worker renders
    once to load the exporter with the instructor's cells."""
    view = nbformat.v4.new_notebook()
    for cell in source.cells:
        if cell.cell_type == "code":
            view.cells.append(nbformat.v4.new_code_cell(strip_hidden(cell.source)))
        elif cell.cell_type == "markdown":
            view.cells.append(nbformat.v4.new_markdown_cell(strip_hidden(cell.source)))
    return view
