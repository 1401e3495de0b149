"""Per-student HTML feedback: every test's points, pass/fail and message; never hidden-test code or output.

nbgrader's own `generate_feedback` renders the autograded notebook as it is, hidden tests, their
output and tracebacks included. Here the autograded notebook is cleaned first:

- hidden-test regions are cut from every cell's source;
- a test cell with hidden parts shows no kernel output at all (student code runs in that kernel
  and could print the hidden code); its result and the instructor's docstring are in the table;
- other cells keep their outputs, capped in size, with any line that repeats hidden-test code
  removed, and a visible test's traceback reduced to its last line;
- every string from a submission is escaped, and the page is rendered with nbconvert's HTML
  sanitiser on (a student's markdown or output cannot put live HTML in the page).
"""
from __future__ import annotations

import functools
import html
import json
import re
from pathlib import Path

import nbformat
from jinja2 import pass_context
from nbconvert import HTMLExporter
from nbformat import NotebookNode

from .execution import HIDDEN_BEGIN, HIDDEN_END
from .model import FAILED, GRADED, MISSING, NEEDS_REVIEW, NO_ANSWER, feedback_path

MAX_OUTPUT_CHARS = 10_000  # of one text output
MAX_IMAGE_BYTES = 500_000  # of one base64 image
MAX_OUTPUTS_PER_CELL = 50
REDACTED = "[line removed from the feedback: it repeats hidden-test code]"


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


def hidden_lines(source_nb: NotebookNode, min_length: int = 20) -> set[str]:
    """Distinctive lines that the source has only inside hidden-test regions."""
    inside, outside = set(), set()
    for cell in source_nb.cells:
        hidden = False
        for line in cell.source.split("\n"):
            if HIDDEN_BEGIN in line:
                hidden = True
            elif HIDDEN_END in line:
                hidden = False
            else:
                (inside if hidden else outside).add(line.strip())
    return {line for line in inside - outside if len(line) >= min_length}


def _redact(text: str, secret: set[str]) -> str:
    lines = text.split("\n")
    return "\n".join(REDACTED if line.strip() in secret else line for line in lines)


def _cap(text: str) -> str:
    if len(text) <= MAX_OUTPUT_CHARS:
        return text
    return text[:MAX_OUTPUT_CHARS] + f"\n[... {len(text) - MAX_OUTPUT_CHARS:,} more characters not shown]"


def _clean_output(output: NotebookNode, secret: set[str]) -> NotebookNode | None:
    if output.output_type == "stream":
        output.text = _cap(_redact(output.text, secret))
    elif output.output_type == "error":
        output.ename = _cap(_redact(str(output.get("ename", "")), secret))[:200]
        output.evalue = _cap(_redact(str(output.get("evalue", "")), secret))
        output.traceback = [_cap(_redact(line, secret)) for line in output.get("traceback", [])[:100]]
    elif output.output_type in ("display_data", "execute_result"):
        data = output.get("data", {})
        for mime in list(data):
            value = data[mime]
            if mime.startswith("image/") and mime != "image/svg+xml":
                if len(value) > MAX_IMAGE_BYTES:
                    del data[mime]
            elif isinstance(value, str):
                data[mime] = _cap(_redact(value, secret))
            elif isinstance(value, list):
                data[mime] = _cap(_redact("".join(value), secret))
            else:
                del data[mime]  # JSON payloads for widgets and the like: not rendered in feedback
        if not data:
            return nbformat.v4.new_output("stream", name="stdout", text="[output too large for the feedback]\n")
    return output


def clean_for_student(nb: NotebookNode, secret: set[str] = frozenset()) -> NotebookNode:
    """The autograded notebook without hidden code or hidden-test output (see the module docstring)."""
    for cell in nb.cells:
        graded_test = bool(cell.metadata.get("nbgrader", {}).get("grade")) and not cell.metadata.get(
            "nbgrader", {}).get("solution")
        had_hidden = HIDDEN_BEGIN in cell.source
        cell.source = strip_hidden(cell.source)
        if cell.cell_type != "code":
            continue
        if graded_test and had_hidden:
            cell.outputs = [nbformat.v4.new_output(
                "stream", name="stdout", text="[this test has hidden parts: its output is not shown; "
                                              "its result is in the table at the top]\n")]
            continue
        outputs = [_clean_output(o, secret) for o in cell.outputs[:MAX_OUTPUTS_PER_CELL]]
        for output in outputs:
            if graded_test and output is not None and output.output_type == "error":
                output.traceback = [f"{output.ename}: {output.evalue}"]  # the test's code stays out of view
        if len(cell.outputs) > MAX_OUTPUTS_PER_CELL:
            outputs.append(nbformat.v4.new_output("stream", name="stdout", text="[more outputs not shown]\n"))
        cell.outputs = [o for o in outputs if o is not None]
    return nb


def _text(value) -> str:
    """Escape a submission's string for the summary (markdown table and HTML)."""
    escaped = html.escape(str(value), quote=False)
    return re.sub(r"([\\`*_\[\]|~])", r"\\\1", escaped).replace("\n", " ")


def describe_status(result) -> str:
    if result.status == GRADED:
        return "graded" + (" (written answers pending)" if result.pending_manual else "")
    if result.status == MISSING:
        return "not submitted"
    if result.status == NEEDS_REVIEW:
        return "needs review by the teaching staff"
    return f"could not be graded: {result.reason}"


def _summary_markdown(result, name: str) -> str:
    lines = [f"# Feedback: {_text(result.assignment)}", "",
             f"**Student:** {_text(name)}  **Status:** {_text(describe_status(result))}", ""]
    if result.status == NEEDS_REVIEW:
        lines += ["The grader's own checks did not come out as expected while your notebook ran, so no "
                  "points are given until a member of the teaching staff has looked at it.", ""]
        return "\n".join(lines)
    if result.status == GRADED and result.reason:
        lines += [f"**Note:** {_text(result.reason)}", ""]
    if result.tests and result.status == GRADED:
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
            message = test.comment if test.manual and test.comment else test.message
            lines.append(f"| {_text(test.grade_id)} | {shown} / {test.max_points:g} | {verdict} | {_text(message)} |")
    return "\n".join(lines)


def feedback_notebook(course, result, name: str = "") -> NotebookNode:
    """The notebook that is rendered as one student's feedback for one assignment."""
    return _feedback_notebook(result, name, course.executed_notebook(result.student, result.assignment),
                              course.source_notebook(result.assignment))


def _feedback_notebook(result, name: str, executed: Path, source: Path) -> NotebookNode:
    nb = nbformat.v4.new_notebook()
    if result.status == GRADED and executed.exists():
        secret = hidden_lines(nbformat.read(source, as_version=4)) if source.exists() else set()
        nb = clean_for_student(nbformat.read(executed, as_version=4), secret)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(_summary_markdown(result, name or result.student)))
    return nb


_EXPORTER: list[HTMLExporter] = []


def _memoised(function, size: int = 8192):
    """`function` with its results kept for the same text and options: every submission of an
    assignment repeats the instructor's cells, whose highlighting and sanitising are the bulk of a
    page's cost."""
    @functools.lru_cache(maxsize=size)
    def cached(text: str, options: tuple) -> str:
        return function(text, **{key: json.loads(value) for key, value in options})

    def call(text, **kwargs):
        try:
            options = tuple(sorted((key, json.dumps(value, sort_keys=True)) for key, value in kwargs.items()))
        except TypeError:
            return function(text, **kwargs)
        return cached(text, options) if isinstance(text, str) else function(text, **kwargs)

    return call


_IMAGE_WITHOUT_ALT = re.compile(r"<img(?![^>]*\balt=)")
_FOCUSABLE = re.compile(r'(<div class="(?:[^"]*\s)?(?:jp-Cell-inputWrapper|jp-OutputArea-output)(?:\s[^"]*)?")')


class FeedbackExporter(HTMLExporter):
    """nbconvert's lab HTML, without its last step: parsing the whole page again (BeautifulSoup, about
    half the cost of a page) to give images an alt text and cells a tabindex, done here on the text.
    The notebook is validated once, not after each of nbconvert's dozen preprocessors, and a markdown
    cell without attachments is rendered once per text (every page repeats the instructor's)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # nbconvert's markdown renderer reads only the cell's attachments and the resources' path from
        # its context: a cell without attachments renders the same for the same text and path
        self._markdown = _memoised(lambda text, path: HTMLExporter.markdown2html(
            self, {"resources": {"metadata": {"path": path}}}, text))

    def from_notebook_node(self, nb, resources=None, **kw):
        from nbconvert.exporters.templateexporter import TemplateExporter
        from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

        nbformat.validate(nb, relax_add_props=True)
        resources = self._init_resources(resources)
        self.register_filter("highlight_code", self.filters["highlight_code"])
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata,
                                                                       parent=self, resources=resources))
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        page = _IMAGE_WITHOUT_ALT.sub('<img alt="No description has been provided for this image"', page)
        return _FOCUSABLE.sub(r'\1 tabindex="0"', page), resources

    def _validate_preprocessor(self, nbc, preprocessor):
        """Validated once, before the preprocessors (see the class)."""

    @pass_context
    def markdown2html(self, context, source):
        if context.get("cell", {}).get("attachments"):
            return super().markdown2html(context, source)
        return self._markdown(source, path=context.get("resources", {}).get("metadata", {}).get("path", ""))


def exporter(warm_with: list[Path] | None = None) -> HTMLExporter:
    """The process's HTML exporter, made once: loading its templates costs more than a page, and its
    highlighting and sanitising keep their results for the same text. `warm_with`: render these
    notebooks now (the grader does, before its workers fork and inherit what is loaded)."""
    if not _EXPORTER:
        from nbconvert.filters import Highlight2HTML, clean_html

        html_exporter = FeedbackExporter(template_name="lab", sanitize_html=True)
        highlight = _memoised(Highlight2HTML(pygments_lexer="ipython3", parent=html_exporter))

        def highlight_code(source, language=None, metadata=None):  # the only metadata it reads
            magics = (metadata or {}).get("magics_language")
            return highlight(source, language=language, metadata={"magics_language": magics} if magics else None)

        html_exporter.filters = {**html_exporter.filters, "highlight_code": highlight_code,
                                 "clean_html": _memoised(clean_html)}
        _EXPORTER.append(html_exporter)
    for path in warm_with or []:
        notebook = nbformat.read(path, as_version=4) if path.exists() else nbformat.v4.new_notebook()
        _EXPORTER[0].from_notebook_node(clean_for_student(notebook, hidden_lines(notebook)))
    return _EXPORTER[0]


def render_page(result, name: str, executed: Path, source: Path, out: Path) -> Path:
    """Write one feedback page from an executed notebook (in a grading worker, or in the course)."""
    body, _ = exporter().from_notebook_node(_feedback_notebook(result, name, executed, source))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    return out


def write_feedback(course, results, names: dict[str, str] | None = None) -> list[Path]:
    """feedback/<student key>/<assignment>/<assignment>.html for every result; return the paths.

    names: student key -> the id the student is known by (shown on the page)."""
    written = []
    for result in results:
        if result.status == FAILED and result.assignment not in course.assignments():
            continue  # an unknown folder: reported in the summary, no feedback page
        name = (names or {}).get(result.student, result.student)
        written.append(render_page(result, name, course.executed_notebook(result.student, result.assignment),
                                   course.source_notebook(result.assignment), feedback_path(course, result)))
    return written
