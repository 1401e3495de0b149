"""Per-student HTML feedback: every test's points, pass or fail and message, and the notebook as the
student handed it in; nothing the grading kernel printed.

A page is rendered from the submission's *student view* (`student_view`: the student's own cells and
outputs, each test's visible part with the grader's verdict and its visible run's error) and the
grader's result. It is one self-contained file a student can open offline:

- its header (status, note, points, the results table) is written here, every value escaped;
- its notebook is nbconvert's lab template without the scripts it would load from a CDN (require.js,
  MathJax, mermaid): markdown math is typeset as MathML (`safe_html`), which browsers render natively;
- every fragment from a notebook (markdown, HTML outputs, highlighted code) passes one sanitiser's
  allowlist (`safe_html.clean`), and the page's Content-Security-Policy allows no script and no
  request but inline images and styles.
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

from .model import FAILED, GRADED, MISSING, NEEDS_REVIEW, NO_ANSWER, feedback_path
from .safe_html import clean, markdown
from .student_view import source_view

TEMPLATES = Path(__file__).with_name("feedback_templates")  # feedback/: the lab template, made self-contained


def describe_status(result) -> str:
    if result.status == GRADED:
        return "graded" + (" (written answers pending)" if result.pending_manual else "")
    if result.status == MISSING:
        return "not submitted"
    if result.status == NEEDS_REVIEW:
        return "needs review by the teaching staff"
    return f"could not be graded: {result.reason}"


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _verdict(test) -> tuple[str, str]:
    """(the word, the points) a results row shows."""
    if test.points is None:
        return "waiting for a grader", "–"
    if test.manual:
        return ("not answered" if test.message == NO_ANSWER else "graded by hand"), f"{test.points:g}"
    if test.stopped_word():  # the grader's limit, not a wrong answer: said as such
        return test.stopped_word(), f"{test.points:g}"
    return ("passed" if test.points >= test.max_points else ("partly" if test.points > 0 else "failed")), f"{test.points:g}"


def summary_html(result, name: str) -> str:
    """The page's header: who, the status, the note, the points and a row per test (all escaped)."""
    parts = [f'<header class="cf-summary"><h1>Feedback: {_e(result.assignment)}</h1>',
             f'<p><strong>Student:</strong> {_e(name)} &nbsp; <strong>Status:</strong> {_e(describe_status(result))}</p>']
    if result.status == NEEDS_REVIEW:
        parts.append("<p>The grader's own checks did not come out as expected while your notebook ran, so no points "
                     "are given until a member of the teaching staff has looked at it.</p></header>")
        return "\n".join(parts)
    if result.status == GRADED and result.reason:
        parts.append(f'<p class="cf-note"><strong>Note:</strong> {_e(result.reason)}</p>')
    if result.tests and result.status == GRADED:
        total = sum(t.max_points for t in result.tests)
        pending = f" ({len(result.pending_manual)} written answer(s) not graded yet)" if result.pending_manual else ""
        parts.append(f"<p><strong>Points:</strong> {result.points:g} / {total:g}{_e(pending)}</p>")
        parts.append("<p>Below: your notebook as you handed it in, with the grader's result under each test. A "
                     "test's message comes from running your notebook again with the visible tests only.</p>")
        parts.append('<table class="cf-results"><thead><tr><th scope="col">test</th><th scope="col">points</th>'
                     '<th scope="col">result</th><th scope="col">message</th></tr></thead><tbody>')
        for test in result.tests:
            word, shown = _verdict(test)
            message = test.comment if test.manual and test.comment else test.message
            parts.append(f'<tr class="cf-{word.split()[0]}"><td><code>{_e(test.grade_id)}</code></td>'
                         f"<td>{shown} / {test.max_points:g}</td><td>{_e(word)}</td><td>{_e(message)}</td></tr>")
        parts.append("</tbody></table>")
    parts.append("</header>")
    return "\n".join(parts)


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
    """nbconvert's lab HTML from the `feedback` template (see the module docstring), without its last
    step: parsing the whole page again (BeautifulSoup, about half the cost of a page) to give images an
    alt text and cells a tabindex, done here on the text. The notebook is validated once, not after
    each of nbconvert's dozen preprocessors, and a markdown cell without attachments is rendered once
    per text (every page repeats the instructor's)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._markdown = _memoised(lambda text, path: markdown(text, path=path))

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
        cell = context.get("cell", {})
        path = context.get("resources", {}).get("metadata", {}).get("path", "")
        if cell.get("attachments"):
            return markdown(source, path=path, attachments=cell["attachments"])
        return self._markdown(source, path=path)


_EXPORTER: list[HTMLExporter] = []


def exporter(warm_with: list[Path] | None = None) -> HTMLExporter:
    """The process's HTML exporter, made once: loading its templates costs more than a page, and its
    highlighting and sanitising keep their results for the same text. `warm_with`: render these
    source notebooks now (the grader does, before its workers fork and inherit what is loaded)."""
    if not _EXPORTER:
        from nbconvert.filters import Highlight2HTML

        html_exporter = FeedbackExporter(template_name="feedback", extra_template_basedirs=[str(TEMPLATES)])
        highlight = _memoised(Highlight2HTML(pygments_lexer="ipython3", parent=html_exporter))

        def highlight_code(source, language=None, metadata=None):  # the only metadata it reads
            magics = (metadata or {}).get("magics_language")
            return highlight(source, language=language, metadata={"magics_language": magics} if magics else None)

        html_exporter.filters = {**html_exporter.filters, "highlight_code": highlight_code,
                                 "clean_html": _memoised(clean)}
        _EXPORTER.append(html_exporter)
    for path in warm_with or []:
        notebook = nbformat.read(path, as_version=4) if path.exists() else nbformat.v4.new_notebook()
        _EXPORTER[0].from_notebook_node(source_view(notebook), {"feedback_summary": ""})
    return _EXPORTER[0]


def feedback_notebook(result, view: Path) -> NotebookNode:
    """The notebook a page shows: the student view (see student_view), if the result is graded."""
    if result.status == GRADED and view.exists():
        return nbformat.read(view, as_version=4)
    return nbformat.v4.new_notebook()


def render_page(result, name: str, view: Path, out: Path) -> Path:
    """Write one feedback page (in a grading worker, or in the course)."""
    body, _ = exporter().from_notebook_node(feedback_notebook(result, view),
                                            {"feedback_summary": summary_html(result, name or result.student)})
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
        written.append(render_page(result, name, course.student_view(result.student, result.assignment),
                                   feedback_path(course, result)))
    return written
