"""One submission never sees another's state: one worker grades a submission that leaves a variable,
a patched module, an environment variable, files and a running process behind, then a clean one,
whose test checks that none of it is there. Both are kernels forked from the same warm zygote
(see warm_kernels): what the zygote kills and wipes between them is what this test checks. A kernel
can also try to signal the zygote that forked it: the zygote is its sandbox's first process, which
signals from inside do not reach, so stopping or killing it changes nothing. A submission that
replaced a library function keeps its points and is marked for review."""
from __future__ import annotations

from pathlib import Path

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
_left = [p for p in os.listdir("/proc") if p.isdigit() and os.path.exists(f"/proc/{p}/cmdline")
         and b"leftover-marker" in open(f"/proc/{p}/cmdline", "rb").read()]
assert not _left, "a process started by another submission"
'''

LEAK = '''import builtins, os, subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)  # leftover-marker"])
import numpy
builtins.LEAKED = LEAKED = 1
os.environ["LEAKED"] = "1"
numpy.sum = lambda *args, **kwargs: 42
open("leak.txt", "w").write("left behind")
open("/tmp/leak.txt", "w").write("left behind")
'''


STOP_ZYGOTE = "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)  # the process that forked this kernel"
KILL_ZYGOTE = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"


def test_a_submission_sees_nothing_that_the_previous_one_in_its_worker_left(tmp_path):
    scripts = tmp_path / "scripts"
    (scripts / "toy").mkdir(parents=True)
    (scripts / "toy" / "toy.py").write_text(TOY)
    course = Course(tmp_path / "course", scripts_dir=scripts)
    clean = notebook_from_script(scripts / "toy" / "toy.py")
    leaky = nbformat.reads(nbformat.writes(clean), as_version=4)
    leaky.cells.append(nbformat.v4.new_code_cell(LEAK))  # after the test: its own test passes
    stops, kills = (nbformat.reads(nbformat.writes(clean), as_version=4) for _ in range(2))
    stops.cells.append(nbformat.v4.new_code_cell(STOP_ZYGOTE))
    kills.cells.append(nbformat.v4.new_code_cell(KILL_ZYGOTE))
    for student, nb in (("a_leaks", leaky), ("b_clean", clean), ("c_leaks", leaky), ("d_clean", clean),
                        ("e_stops_its_zygote", stops), ("f_clean", clean), ("g_kills_its_zygote", kills),
                        ("h_clean", clean)):
        write_notebook(nb, course.submitted_dir / student / "toy" / "toy.ipynb")
    run = grade_class(course, jobs=1, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False)
    results = results_by_key(run)
    for student in ("b_clean", "d_clean", "f_clean", "h_clean"):  # each right after a hostile one, same worker
        result = results[(student, "toy")]
        assert result.status == "graded" and result.points == 1, \
            f"{student}: {result.status} {result.points} {[(t.grade_id, t.message) for t in result.tests]}"
    # the zygote is its sandbox's first process: signals from a kernel inside (SIGKILL, SIGSTOP) do not reach
    # it, so stopping or killing it changes nothing and those two submissions are graded as usual
    for student in ("e_stops_its_zygote", "g_kills_its_zygote"):
        result = results[(student, "toy")]
        assert result.status == "graded", f"{student}: {result.status} {result.reason!r} {result.flags}"
    # the leaking one replaced numpy.sum after its test: its own points stand, a TA is asked to look
    for student in ("a_leaks", "c_leaks"):
        result = results[(student, "toy")]
        assert result.status == "needs review" and "numpy.sum" in result.reason, (student, result.status, result.reason)



def test_workers_start_before_the_intake_and_the_ones_not_needed_stop_without_leftovers(tmp_path, short_temporary):
    """The workers (and their zygotes) start before the gradebook is opened, `JOBS` of them; a class of one
    notebook keeps one: the other stops its zygote at once and removes its folders, and no process of the
    run outlives it nor any temporary file (the run's temporary folder is one of this test's)."""

    import psutil

    scripts = tmp_path / "scripts"
    (scripts / "toy").mkdir(parents=True)
    (scripts / "toy" / "toy.py").write_text(TOY)
    course = Course(tmp_path / "course", scripts_dir=scripts)
    write_notebook(notebook_from_script(scripts / "toy" / "toy.py"), course.submitted_dir / "only" / "toy" / "toy.ipynb")
    temporary = short_temporary
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    run = grade_class(course, jobs=2, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False)
    result = results_by_key(run)[("only", "toy")]
    assert result.status == "graded" and result.points == 1, (result.status, result.reason)
    steps = list(run.steps)
    assert steps.index("start the workers (their zygotes import meanwhile)") < steps.index(
        "open the gradebook, register the sources"), steps
    assert {p.pid for p in psutil.Process().children(recursive=True)} <= before, "a worker or sandbox outlived the run"
    assert not list(temporary.iterdir()), "the run left temporary files or folders"


def test_a_killed_worker_leaves_no_folder_of_its_zygote(tmp_path, short_temporary):
    """A worker that outruns its wall-clock limit is killed with its process group, and its zygote's
    sandbox ends with it: the pool removes the worker's temporary folder, where the zygote's sockets and
    working folder are (they were left in /tmp before), and starts another worker with a folder of its
    own."""
    import os
    import time

    import psutil

    from coursekit.sandbox import write_kernelspec
    from coursekit.workers import WorkerPool

    temporary = short_temporary
    pool = WorkerPool(1, str(write_kernelspec(tmp_path / "kernelspec")), [])
    try:
        worker = pool.workers[0][0]
        folder = Path(pool.folders[worker.pid])
        assert folder.parent == temporary

        def zygote_running() -> list:
            """The worker's descendants once its zygote runs in its sandbox (bubblewrap has set itself up)."""
            found = psutil.Process(worker.pid).children(recursive=True)
            return found if any("zygote" in " ".join(p.cmdline()) for p in found) else []

        deadline = time.monotonic() + 60  # as when the watchdog ends a worker: in its own group, zygote started
        while not (os.getpgid(worker.pid) == worker.pid and len(list(folder.glob("fmz-*"))) == 2
                   and (sandbox := zygote_running())):
            assert time.monotonic() < deadline, list(folder.iterdir())
            time.sleep(0.05)
        pool._replace(0)  # what the watchdog does to a worker past its limit
        assert not worker.is_alive() and not folder.exists()
        _, alive = psutil.wait_procs(sandbox, timeout=10)
        assert not alive, f"the killed worker's sandbox outlived it: {alive}"
        assert [Path(f) for f in pool.folders.values()] == list(temporary.iterdir())
    finally:
        pool.close()
    assert not list(temporary.iterdir()), "closing the pool left a worker's folder"
