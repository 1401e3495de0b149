"""`make bench`: what grading costs on this machine.

First the sandbox's cost per notebook: a kernel started, `import numpy`, shut down, with and
without bubblewrap (median of 5). Then, per notebook: the wall time to execute the solution (hidden tests included) in a fresh kernel,
and the time `make grade` takes for one complete submission (worker start, execution, merge,
feedback). Then a class of N copies of one notebook graded three ways: this pipeline serially
(1 job), in parallel (all cores), and plain `nbgrader autograde` (the CLI, serial).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from nbclient import NotebookClient

from .example_class import fill, solution_sources
from .grading import grade_class
from .model import Course
from .paths import BUILD_DIR, DATA_DIR, KERNEL_NAME, assignments
from .releases import student_notebook
from .sources import notebook_from_script, source_script, write_notebook


def time_solution(assignment: str, workdir: Path) -> float:
    """Seconds to execute the source notebook (solutions + hidden tests) top to bottom."""
    nb = notebook_from_script(source_script(assignment))
    client = NotebookClient(nb, timeout=600, kernel_name=KERNEL_NAME, resources={"metadata": {"path": str(workdir)}})
    started = time.perf_counter()
    client.execute()
    return time.perf_counter() - started


def time_kernel(sandboxed: bool, workdir: Path, repeats: int = 5) -> float:
    """Median seconds to start a kernel, run `import numpy` and shut it down, sandboxed or not."""
    import os
    import statistics
    import tempfile

    import nbformat
    from traitlets.config import Config

    from .sandbox import ENV_DATA_DIR, KERNEL_NAME as SANDBOX_KERNEL, write_kernelspec
    from .sandbox_caps import remove_cgroups

    os.environ["JUPYTER_PATH"] = str(write_kernelspec(workdir / "kernelspec"))
    os.environ[ENV_DATA_DIR] = str(DATA_DIR)
    times = []
    for _ in range(repeats):
        config = Config()
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = tempfile.mkdtemp(prefix="fmk-") + "/k"
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import numpy")])
        client = NotebookClient(nb, timeout=60, kernel_name=SANDBOX_KERNEL if sandboxed else KERNEL_NAME,
                                config=config, resources={"metadata": {"path": str(workdir)}})
        started = time.perf_counter()
        client.execute()
        times.append(time.perf_counter() - started)
        shutil.rmtree(Path(config.KernelManager.ip).parent, ignore_errors=True)
    remove_cgroups(wait_s=5.0)
    return statistics.median(times)


def make_class(assignment: str, size: int, submitted: Path) -> None:
    """`size` students, each handing in the complete solution of `assignment`."""
    solutions = solution_sources(assignment)
    nb = fill(student_notebook(assignment), solutions, set(solutions))
    shutil.rmtree(submitted, ignore_errors=True)
    for index in range(size):
        write_notebook(nb, submitted / f"student{index:02d}" / assignment / f"{assignment}.ipynb")


def time_pipeline(root: Path, assignment: str, size: int, jobs: int) -> float:
    shutil.rmtree(root, ignore_errors=True)
    course = Course(root)
    make_class(assignment, size, course.submitted_dir)
    started = time.perf_counter()
    run = grade_class(course, jobs=jobs, force=True, progress=False)
    elapsed = time.perf_counter() - started
    failed = [(r.student, r.reason) for r in run.results if r.status == "failed"]
    if failed:
        raise RuntimeError(f"benchmark class did not grade cleanly: {failed}")
    return elapsed


def time_plain_nbgrader(root: Path, assignment: str, size: int) -> float:
    """The same class through the nbgrader CLI, the way a course without this pipeline grades."""
    shutil.rmtree(root, ignore_errors=True)
    course = Course(root)
    make_class(assignment, size, course.submitted_dir)
    from .gradebook import sync_assignments

    sync_assignments(course)
    config_file = root / "nbgrader_config.py"
    config_file.write_text("from coursekit.nbgrader_config import course_config\n"
                           f"c = get_config()\nc.merge(course_config(__import__('pathlib').Path({str(root)!r})))\n")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"], cwd=root,
                   env={**__import__("os").environ, "COURSE_DATA_DIR": str(DATA_DIR)},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main(args) -> int:
    workdir = BUILD_DIR / "bench"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    plain, boxed = time_kernel(False, workdir), time_kernel(True, workdir)
    print(f"sandbox cost per notebook (kernel start + `import numpy` + shutdown, median of 5): "
          f"plain {plain:.2f} s, sandboxed {boxed:.2f} s, cost {boxed - plain:+.2f} s (goal: under 0.3 s)\n")
    print(f"{'notebook':20s} {'execute solution':>18s} {'grade one submission':>22s}")
    for assignment in assignments():
        solution_s = time_solution(assignment, workdir)
        one_s = time_pipeline(workdir / f"one-{assignment}", assignment, 1, jobs=1)
        print(f"{assignment:20s} {solution_s:>16.1f} s {one_s:>20.1f} s", flush=True)
    assignment = assignments()[0]
    size = args.class_size
    print(f"\nclass of {size} copies of {assignment}:")
    rows = [("make grade, 1 job", time_pipeline(workdir / "serial", assignment, size, jobs=1)),
            (f"make grade, {args.jobs} jobs", time_pipeline(workdir / "parallel", assignment, size, jobs=args.jobs)),
            ("nbgrader autograde (CLI)", time_plain_nbgrader(workdir / "nbgrader", assignment, size))]
    for name, seconds in rows:
        print(f"  {name:28s} {seconds:7.1f} s  {size / seconds * 60:6.1f} notebooks/min")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0
