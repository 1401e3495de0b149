"""One submission never sees another's state: one worker grades a submission that leaves a variable,
a patched module, an environment variable and files behind, then a clean one, whose test checks
that none of it is there. (Each submission gets a fresh sandboxed kernel today; this test holds any
future warm-kernel or pre-forked worker to the same standard.)"""
from __future__ import annotations

import nbformat

from coursekit.grading import grade_class
from coursekit.model import Course
from coursekit.sources import notebook_from_script, write_notebook

from conftest import GRADING_CELL_TIMEOUT_S, results_by_key

TOY = '''# %% nbgrader={"grade_id": "setup", "locked": true}
import builtins
import os

import numpy as np

# %% nbgrader={"grade_id": "double", "solution": true}
def double(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION

# %% nbgrader={"grade_id": "test_clean_kernel", "grade": true, "points": 1}
"""double works, in a kernel where no earlier submission left anything."""
assert double(2) == 4
assert not os.path.exists("leak.txt") and not os.path.exists("/tmp/leak.txt"), "a file from another submission"
assert not hasattr(builtins, "LEAKED") and "LEAKED" not in globals(), "a variable from another submission"
assert "LEAKED" not in os.environ, "an environment variable from another submission"
assert np.sum([1, 2]) == 3, "a module patched by another submission"
'''

LEAK = '''import builtins, os
import numpy
builtins.LEAKED = LEAKED = 1
os.environ["LEAKED"] = "1"
numpy.sum = lambda *args, **kwargs: 42
open("leak.txt", "w").write("left behind")
open("/tmp/leak.txt", "w").write("left behind")
'''


def test_a_submission_sees_nothing_that_the_previous_one_in_its_worker_left(tmp_path):
    scripts = tmp_path / "scripts"
    (scripts / "toy").mkdir(parents=True)
    (scripts / "toy" / "toy.py").write_text(TOY)
    course = Course(tmp_path / "course", scripts_dir=scripts)
    clean = notebook_from_script(scripts / "toy" / "toy.py")
    leaky = nbformat.reads(nbformat.writes(clean), as_version=4)
    leaky.cells.append(nbformat.v4.new_code_cell(LEAK))  # after the test: its own test passes
    for student, nb in (("a_leaks", leaky), ("b_clean", clean), ("c_leaks", leaky), ("d_clean", clean)):
        write_notebook(nb, course.submitted_dir / student / "toy" / "toy.ipynb")
    run = grade_class(course, jobs=1, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False)
    results = results_by_key(run)
    for student in ("b_clean", "d_clean"):  # each graded right after a leaking one, by the same worker
        result = results[(student, "toy")]
        assert result.status == "graded" and result.points == 1, \
            f"{student}: {result.status} {result.points} {[(t.grade_id, t.message) for t in result.tests]}"
    assert all(results[(s, "toy")].status != "failed" for s in ("a_leaks", "c_leaks"))
