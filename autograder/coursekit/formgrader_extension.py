"""The course's layer over nbgrader's formgrader (a Jupyter server extension).

`make formgrade` enables it beside nbgrader's own extension. It changes three things and leaves the
grading forms, the gradebook and nbgrader's handlers as they are:

- **Rubrics**: under each written answer, the grader sees the model answer and rubric, read from
  the course's own source notebook (`source/<assignment>/<assignment>.ipynb`). Only the
  formgrader's page shows them; the student's notebook and feedback are not touched.
- **Offline**: pages load MathJax from this server (`jupyter_server_mathjax`), not from a CDN, with
  the STIX-Web fonts that package ships and its HTML-CSS output in every browser (MathJax's default TeX
  fonts, which the HTML-CSS and NativeMML outputs ask for, are not in it: a 404 on each page).
- **The reports' view of each assignment**: Manage Assignments shows an assignment as "released"
  once its student version is built (the course hands it out through the LMS, not nbgrader's
  exchange), and its submissions as the reports count them: every student who handed in a
  notebook, graded or not (nbgrader would count the folders of one `submitted/`).
- **One pipeline**: nbgrader's generate, release, collect, autograde and feedback actions (which
  would run student code without the sandbox, or write unredacted feedback) answer with what to run
  instead, and the management pages say how this course is graded instead of nbgrader's exchange.
"""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
from jinja2 import ChoiceLoader, DictLoader, FileSystemLoader, PrefixLoader
from nbconvert.preprocessors import Preprocessor
from nbgrader.utils import is_grade, is_solution
from tornado import web

TEMPLATES = Path(__file__).with_name("formgrader_templates")
RUBRIC_HEADING = "Model answer and rubric (graders only: not in the student's notebook or feedback)"
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"  # the configuration jupyter_server_mathjax ships
PIPELINE_STEPS = {  # what to do instead of each of nbgrader's own actions
    "generate": "run `make release`", "unrelease": "run `make release`",
    "release": "run `make release` and hand out build/fm-exercises-student.zip",
    "collect": "run `make grade ZIP=lms-export.zip`", "autograde": "run `make grade`",
    "generate_feedback": "run `make grade`", "release_feedback": "run `make grade`",
    "edit": "edit autograder/source/<assignment>/<assignment>.py, then run `make release`",
}


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "coursekit.formgrader_extension"}]


def model_answers(source_notebook: Path) -> dict[str, str]:
    """grade_id -> model answer and rubric of every written (manually graded) answer in a source notebook."""
    from .releases import without_solution_delimiters

    if not source_notebook.exists():
        return {}
    nb = nbformat.read(source_notebook, as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: without_solution_delimiters(cell.source).strip()
            for cell in nb.cells if is_grade(cell) and is_solution(cell)}


class RubricPreprocessor(Preprocessor):
    """Insert, after each written answer, a markdown cell with its model answer and rubric.

    `source_for(assignment_id, notebook_id)` gives the source notebook's path; the formgrader puts
    both ids in the resources of the page it renders.
    """

    def __init__(self, source_for, **kw):
        super().__init__(**kw)
        self.source_for = source_for

    def preprocess(self, nb, resources):
        assignment, notebook = resources.get("assignment_id"), resources.get("notebook_id")
        if not assignment or not notebook:
            return nb, resources
        answers = model_answers(self.source_for(assignment, notebook))
        cells = []
        for cell in nb.cells:
            cells.append(cell)
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in answers and is_solution(cell):
                quoted = "\n".join(f"> {line}" if line else ">" for line in answers[grade_id].split("\n"))
                rubric = nbformat.v4.new_markdown_cell(f"**{RUBRIC_HEADING}**\n\n{quoted}")
                rubric.metadata["course_rubric"] = grade_id
                cells.append(rubric)
        nb.cells = cells
        return nb, resources


def mathjax_template(url: str) -> str:
    """nbconvert's `mathjax` macro, pointed at this server's copy of MathJax."""
    config = json.dumps({
        "tex2jax": {"inlineMath": [["$", "$"], ["\\(", "\\)"]], "displayMath": [["$$", "$$"], ["\\[", "\\]"]],
                    "processEscapes": True, "processEnvironments": True},
        "TeX": {"equationNumbers": {"autoNumber": "AMS"}}, "displayAlign": "center", "messageStyle": "none",
        "HTML-CSS": {"availableFonts": ["STIX-Web"], "preferredFont": "STIX-Web", "webFont": "STIX-Web",
                     "imageFont": None},
        "SVG": {"font": "STIX-Web"},
        # HTML-CSS in every browser: the NativeMML output (chosen where the browser has MathML) asks for
        # TeX web fonts (MathJax_Script-Regular.otf for \\mathcal) that the package does not ship either
        "MMLorHTML": {"prefer": {"MSIE": "HTML", "Firefox": "HTML", "Opera": "HTML", "Chrome": "HTML",
                                 "Safari": "HTML", "other": "HTML"}}})
    return ('{%- macro mathjax(url=None) -%}\n'
            f'<script type="text/x-mathjax-config">MathJax.Hub.Config({config});</script>\n'
            f'<script src="{url}?config={MATHJAX_CONFIG}"></script>\n'
            '{%- endmacro %}\n')


def refusing(handler_class: type, step: str) -> type:
    """A subclass of an nbgrader API handler whose POST/PUT says which course command to run instead."""

    def refuse(self, *args, **kwargs):
        message = (f"Switched off in this course: {PIPELINE_STEPS[step]} instead. nbgrader's own {step} "
                   "would bypass the course's pipeline (sandboxed grading, redacted feedback).")
        self.log.warning("formgrader: refused %s %s", self.request.method, self.request.path)
        # the formgrader's pages show the `error` of a 200 reply to their POSTs; a PUT is plainly refused
        self.set_status(200 if self.request.method == "POST" else 403)
        self.finish(json.dumps({"success": False, "error": message, "log": message, "value": message}))

    return type(f"Course{handler_class.__name__}", (handler_class,),
                {"post": web.authenticated(refuse), "put": web.authenticated(refuse)})


def course_view(assignment: dict, root: Path) -> dict:
    """An assignment as nbgrader's API gives it, with the course's status and the reports' submission count."""
    from .model import MISSING, Course

    name = assignment.get("name")
    released = (root / "release" / str(name) / f"{name}.ipynb").is_file()
    handed_in = {r.student for r in Course(root).stored_results() if r.assignment == name and r.status != MISSING}
    return {**assignment, "status": "released" if released else "draft", "releaseable": False,
            "num_submissions": len(handed_in)}


def with_course_view(handler_class: type, many: bool) -> type:
    """nbgrader's assignment API handler whose GET answers with `course_view` of each assignment."""

    def get(self, *args):
        root = Path(self.api.coursedir.root)
        if many:
            found = self.api.get_assignments()
            self.write(json.dumps([course_view(a, root) for a in found]))
            return
        found = self.api.get_assignment(args[0])
        if found is None:
            raise web.HTTPError(404)
        self.write(json.dumps(course_view(found, root)))

    return type(f"Course{handler_class.__name__}View", (handler_class,), {"get": web.authenticated(get)})


def refusing_handlers(base_url: str) -> list[tuple]:
    from jupyter_server.utils import url_path_join
    from nbgrader.server_extensions.formgrader import apihandlers as api

    routes = [
        (r"/formgrader/api/assignment/([^/]+)/assign", api.AssignHandler, "generate"),
        (r"/formgrader/api/assignment/([^/]+)/unrelease", api.UnReleaseHandler, "unrelease"),
        (r"/formgrader/api/assignment/([^/]+)/release", api.ReleaseHandler, "release"),
        (r"/formgrader/api/assignment/([^/]+)/collect", api.CollectHandler, "collect"),
        (r"/formgrader/api/assignment/([^/]+)/generate_feedback", api.GenerateAllFeedbackHandler, "generate_feedback"),
        (r"/formgrader/api/assignment/([^/]+)/release_feedback", api.ReleaseAllFeedbackHandler, "release_feedback"),
        (r"/formgrader/api/assignment/([^/]+)/([^/]+)/generate_feedback", api.GenerateFeedbackHandler,
         "generate_feedback"),
        (r"/formgrader/api/assignment/([^/]+)/([^/]+)/release_feedback", api.ReleaseFeedbackHandler,
         "release_feedback"),
        (r"/formgrader/api/submission/([^/]+)/([^/]+)/autograde", api.AutogradeHandler, "autograde"),
        (r"/formgrader/api/assignment/([^/]+)", api.AssignmentHandler, "edit"),  # GET still answers
    ]
    handlers = [(url_path_join(base_url, pattern),
                 refusing(with_course_view(cls, many=False) if cls is api.AssignmentHandler else cls, step))
                for pattern, cls, step in routes]
    handlers.insert(0, (url_path_join(base_url, r"/formgrader/api/assignments"),
                        with_course_view(api.AssignmentCollectionHandler, many=True)))
    handlers.append((url_path_join(base_url, r"/formgrader/course/static/(.*)"), web.StaticFileHandler,
                     {"path": str(TEMPLATES)}))
    return handlers


def _load_jupyter_server_extension(serverapp) -> None:
    """Register the course's handlers before nbgrader's (extensions load in name order: ours first)."""
    serverapp.web_app.add_handlers(".*$", refusing_handlers(serverapp.web_app.settings["base_url"]))
    serverapp.log.info("coursekit: formgrader actions outside the course pipeline are switched off")


async def _start_jupyter_server_extension(serverapp) -> None:
    """Once every extension is loaded: give nbgrader's page renderers the course's rubric and MathJax."""
    from jupyter_server.utils import url_path_join

    settings = serverapp.web_app.settings
    formgrader = settings.get("nbgrader_formgrader")
    if formgrader is None:
        serverapp.log.error("coursekit: nbgrader's formgrader extension is not enabled; nothing to extend")
        return
    exporter = settings["nbgrader_exporter"]
    mathjax_url = settings.get("mathjax_url") or url_path_join(settings["base_url"], "static/jupyter_server_mathjax/MathJax.js")
    exporter.extra_loaders = [DictLoader({"mathjax.html.j2": mathjax_template(mathjax_url)}), *exporter.extra_loaders]

    def source_for(assignment_id: str, notebook_id: str) -> Path:
        coursedir = formgrader.coursedir
        return Path(coursedir.format_path(coursedir.source_directory, ".", assignment_id)) / f"{notebook_id}.ipynb"

    exporter.register_preprocessor(RubricPreprocessor(source_for), enabled=True)
    pages = settings["nbgrader_jinja2_env"]
    pages.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES)), PrefixLoader({"nbgrader": pages.loader}), pages.loader])
    serverapp.log.info("coursekit: formgrader shows rubrics and serves MathJax from %s", mathjax_url)
