"""A simulated class of a tiny test-only assignment (answer() -> 42: its notebook runs in well under a
second): thousands of graded results made without executing anything, to measure and test what the
grader does serially with each (`make bench`, tests/test_gradebook_merge.py).
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from .model import Course, SubmissionResult

TINY_ASSIGNMENT = '''# %% nbgrader={"grade_id": "answer", "solution": true}
def answer():
    ### BEGIN SOLUTION
    return 42
    ### END SOLUTION

# %% nbgrader={"grade_id": "test_value", "grade": true, "points": 2}
"""answer() is 42."""
assert answer() == 42

# %% nbgrader={"grade_id": "test_type", "grade": true, "points": 1}
"""answer() is an int."""
assert isinstance(answer(), int)

# %% [markdown] nbgrader={"grade_id": "why", "solution": true, "grade": true, "points": 1}
# ### BEGIN SOLUTION
# Because.
# ### END SOLUTION
'''


def tiny_result(student: str, index: int):
    """A graded result of the tiny assignment, its scores drawn from `index` (known to the caller)."""
    from .model import GRADED, TestOutcome

    unanswered = index % 5 == 0
    tests = [TestOutcome("test_value", 2.0, 2.0 * (index % 2)), TestOutcome("test_type", 1.0, float(index % 3 > 0)),
             TestOutcome("why", 1.0, 0.0 if unanswered else None, manual=True)]
    return SubmissionResult(student, "tiny", GRADED, tests=tests, unanswered=["answer", "why"] if unanswered else [])


def tiny_course(root: Path):
    """A course with the tiny assignment registered; its ClassGrading, checked (as `make grade` starts)."""
    from .class_grading import ClassGrading

    shutil.rmtree(root, ignore_errors=True)
    (root / "scripts" / "tiny").mkdir(parents=True)
    (root / "scripts" / "tiny" / "tiny.py").write_text(TINY_ASSIGNMENT)
    course = Course(root / "course", scripts_dir=root / "scripts")
    grading = ClassGrading(course, force=True, cell_timeout_s=60, unsafe=True)
    grading.check()
    return grading


def time_merge(root: Path, count: int) -> tuple[float, Course]:
    """Seconds to merge `count` graded submissions of the tiny assignment into its gradebook, in the
    grader's batches; the course (to check what its gradebook holds)."""
    from .gradebook_merge import entry_for

    grading = tiny_course(root)
    entries = [entry_for(tiny_result(f"s{index:05d}", index)) for index in range(count)]
    started = time.perf_counter()
    for entry in entries:
        assert not grading.merging.add(entry)
    assert not grading.merging.flush()
    return time.perf_counter() - started, grading.course


def time_serial_part(root: Path, count: int) -> tuple[float, Course]:
    """Seconds the grader's whole serial part per submission (`ClassGrading.finish`: the result stored,
    the executed notebook moved for the formgrader, the work folder removed, the scores merged in
    batches) takes for `count` submissions of the tiny assignment, as if the workers had just returned
    them; the course."""
    from .model import Job

    grading = tiny_course(root)
    course = grading.course
    source = course.source_notebook("tiny").read_bytes()
    results = []
    for index in range(count):  # what the workers would leave: a work folder with the executed notebook
        student = f"s{index:05d}"
        work = course.state_dir / "work" / f"{student}__tiny"
        executed = work / "autograded" / student / "tiny" / "tiny.ipynb"
        executed.parent.mkdir(parents=True)
        executed.write_bytes(source)
        grading.todo[(student, "tiny")] = Job(student, "tiny", "", "", "", str(work), 60.0, 60)
        grading.fingerprints[(student, "tiny")] = f"simulated-{index}"
        result = tiny_result(student, index)
        result.feedback_of = result.page_digest()  # as if its worker had written the page
        results.append(result)
    started = time.perf_counter()
    for result in results:
        grading.finish(result)
    grading.flush_merge()
    return time.perf_counter() - started, course
