"""`make formgrade` without a browser: which course, what the grader sees, what is refused.

The browser walks through the same pages in test_browser.py; these are the cheap checks of each piece.
"""
from __future__ import annotations

import json
import re

import nbformat
import pytest
from nbgrader.utils import is_grade, is_solution

from coursekit.formgrade import FormgradeError, course_argument, prepare, server_command
from coursekit.formgrader_extension import PIPELINE_STEPS, RUBRIC_HEADING, RubricPreprocessor, model_answers, refusing
from coursekit.model import Course
from coursekit.paths import COURSE_ROOT, REPO_ROOT
from coursekit.reports import summary_lines


def test_an_ungraded_course_is_refused_with_what_to_run(tmp_path):
    course = Course(tmp_path / "course")
    course.root.mkdir()
    with pytest.raises(FormgradeError, match=r"make grade COURSE=.*first"):
        prepare(course)
    assert not (course.root / "nbgrader_config.py").exists()


def test_the_server_listens_on_loopback_with_a_token_and_lands_on_the_formgrader(tmp_path):
    command = server_command(Course(tmp_path), 8899, "secret-token", open_browser=False)
    assert "--ServerApp.ip=127.0.0.1" in command and "--IdentityProvider.token=secret-token" in command
    assert "--LabApp.default_url=/formgrader" in command  # JupyterLab's own default URL wins over ServerApp's
    assert f"--ServerApp.root_dir={tmp_path.resolve()}" in command
    assert "--ServerApp.jpserver_extensions=coursekit.formgrader_extension=True" in command


def test_the_course_is_named_as_the_make_command_line_names_it(tmp_path):
    assert course_argument(Course(COURSE_ROOT)) == ""
    assert course_argument(Course(REPO_ROOT / "build" / "demo" / "course")) == " COURSE=build/demo/course"
    assert course_argument(Course(tmp_path)) == f" COURSE={tmp_path.resolve()}"


def test_the_last_line_of_a_run_says_what_to_type_for_the_written_answers(example_class_parallel):
    course, run, _ = example_class_parallel
    assert any(r.pending_manual for r in run.results), "the example class has written answers to grade"
    where = f" COURSE={course.root}"
    assert summary_lines(course, run)[-1] == (f"Next: grade the written answers with `make formgrade{where}`, "
                                              f"then `make grade{where}` puts them into the reports.")


def test_model_answers_and_rubrics_come_from_the_course_source(example_class_parallel):
    course, _, _ = example_class_parallel
    answers = model_answers(course.source_notebook("03_scaling_laws"))
    rubric_points = {"kaplan_protocol_answer": 2, "narrow_interval_answer": 2, "kaplan_vs_chinchilla": 4}
    assert set(answers) == set(rubric_points)
    for answer, points in rubric_points.items():
        assert answers[answer].startswith("**Model answer.**")
        assert f"**Rubric ({points} points).**" in answers[answer]
        assert "BEGIN SOLUTION" not in answers[answer]


def test_the_rubric_follows_each_written_answer_and_nothing_else(example_class_parallel):
    course, _, _ = example_class_parallel
    assignment = "01_contrastive"
    executed = nbformat.read(course.executed_notebook("complete", assignment), as_version=4)
    written = [c.metadata["nbgrader"]["grade_id"] for c in executed.cells
               if is_grade(c) and is_solution(c)]
    assert len(written) >= 2
    nb, _ = RubricPreprocessor(lambda a, n: course.source_notebook(a)).preprocess(
        executed, {"assignment_id": assignment, "notebook_id": assignment})
    inserted = [i for i, c in enumerate(nb.cells) if "course_rubric" in c.metadata]
    assert [nb.cells[i].metadata["course_rubric"] for i in inserted] == written
    for i in inserted:
        assert nb.cells[i - 1].metadata["nbgrader"]["grade_id"] == nb.cells[i].metadata["course_rubric"]
        assert nb.cells[i].source.startswith(f"**{RUBRIC_HEADING}**") and "Rubric" in nb.cells[i].source
    untouched, _ = RubricPreprocessor(lambda a, n: course.source_notebook(a)).preprocess(
        nbformat.read(course.executed_notebook("complete", assignment), as_version=4), {})
    assert not any("course_rubric" in c.metadata for c in untouched.cells), "no ids, no rubric"


def test_every_pipeline_step_is_refused_with_the_command_to_run():
    from nbgrader.server_extensions.formgrader.apihandlers import AutogradeHandler

    refused = refusing(AutogradeHandler, "autograde")
    assert issubclass(refused, AutogradeHandler) and refused.get is AutogradeHandler.get
    assert all(re.search(r"make (release|grade)", step) for step in PIPELINE_STEPS.values()
               if step != PIPELINE_STEPS["edit"])

    class Request:
        method, path = "POST", "/formgrader/api/submission/a/s/autograde"

    class Handler:
        request, log = Request(), type("L", (), {"warning": staticmethod(lambda *a: None)})()
        status, body = None, None

        def set_status(self, status):
            self.status = status

        def finish(self, body):
            self.body = json.loads(body)

    handler = Handler()
    refused.post.__wrapped__(handler, "a", "s")
    assert handler.status == 200 and handler.body["success"] is False
    assert "make grade" in handler.body["error"]
