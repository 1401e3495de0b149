"""`make bench`: what grading costs on this machine, every second accounted for.

1. The sandbox's cost per notebook: a kernel started, `import numpy`, shut down, with and without
   bubblewrap (median of 5).
2. Per notebook: the wall time to execute the solution (every cell, hidden tests included) in a
   fresh kernel, and the time `make grade` takes for one complete submission in a fresh course.
3. One submission of the first notebook, step by step: the run's own steps (the grader process;
   its workers start before it opens the gradebook, and their zygotes import meanwhile) and, inside
   "workers grading", the worker's (the feedback exporter loaded and the wait for the zygote's
   imports, once per worker; the kernel's start, forked from it; the setup cells, the student's
   cells, the instructor cells still run, the tests, the grader's known-answer cells, nbgrader's own
   work, the feedback page), with what is left unaccounted.
4. A class of N copies of that notebook, in one run: `make grade` with `jobs` workers, the same
   on a local Dask cluster of `jobs` one-thread workers (`make grade SCHEDULER=...`), the same with
   every instructor cell run (EVERYCELL=1, the grader before it skipped any), and plain `nbgrader
   autograde` (the CLI, serial); the speed-ups, the mean seconds per step of a submission, the
   serial merge per submission, the overhead per submission beyond the cells that must run, and the
   peak memory of a worker and of its kernel; for the cluster, its start and the grader's serial
   part per submission (what caps a cluster of any size).
5. The gradebook merge on a simulated class of 10,000 submissions of a tiny assignment (submissions
   per second), and the grader's whole serial part per submission.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from nbclient import NotebookClient

from .example_class import fill, solution_sources
from .execution import GUARDS, VISIBLE_RUN
from .grading import grade_class
from .model import Course
from .paths import BUILD_DIR, DATA_DIR, KERNEL_NAME, assignments
from .releases import student_notebook
from .simulated_class import time_merge, time_serial_part
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


def make_class(assignment: str, size: int, submitted: Path, partial: bool = False) -> None:
    """`size` students, each handing in the complete solution of `assignment` (or the example class's
    partial one: its tests that lose points get the visible run)."""
    from .example_class import partial_functions

    solutions = solution_sources(assignment)
    which = set(partial_functions(assignment)) if partial else set(solutions)
    nb = fill(student_notebook(assignment), solutions, which)
    shutil.rmtree(submitted, ignore_errors=True)
    for index in range(size):
        write_notebook(nb, submitted / f"student{index:02d}" / assignment / f"{assignment}.ipynb")


def time_pipeline(root: Path, assignment: str, size: int, jobs: int, every_cell: bool = False,
                  scheduler: str | None = None, partial: bool = False):
    """Grade a fresh class of `size` copies of the solution (on the Dask cluster at `scheduler`, if
    given; of the partial one, if `partial`); (seconds, the run)."""
    shutil.rmtree(root, ignore_errors=True)
    course = Course(root)
    make_class(assignment, size, course.submitted_dir, partial)
    started = time.perf_counter()
    run = grade_class(course, jobs=jobs, force=True, progress=False, every_cell=every_cell, scheduler=scheduler)
    elapsed = time.perf_counter() - started
    failed = [(r.student, r.reason) for r in run.results if r.status == "failed"]
    if failed:
        raise RuntimeError(f"benchmark class did not grade cleanly: {failed}")
    return elapsed, run


def time_plain_nbgrader(root: Path, assignment: str, size: int) -> float:
    """The same class through the nbgrader CLI, the way a course without this pipeline grades."""
    shutil.rmtree(root, ignore_errors=True)
    course = Course(root)
    make_class(assignment, size, course.submitted_dir)
    from .source_registration import sync_assignments

    sync_assignments(course)
    config_file = root / "nbgrader_config.py"
    config_file.write_text("from coursekit.nbgrader_config import course_config\n"
                           f"c = get_config()\nc.merge(course_config(__import__('pathlib').Path({str(root)!r})))\n")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"], cwd=root,
                   env={**__import__("os").environ, "COURSE_DATA_DIR": str(DATA_DIR)},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def import_seconds(assignment: str) -> float:
    """Seconds a fresh interpreter takes for the import lines of the notebook's setup cell."""
    import ast

    setup = next(c for c in notebook_from_script(source_script(assignment)).cells
                 if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    imports = "\n".join(ast.unparse(n) for n in ast.parse(setup.source).body
                        if isinstance(n, (ast.Import, ast.ImportFrom)))
    code = f"import time\nt = time.perf_counter()\n{imports}\nprint(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"})
    return float(out.stdout.strip().splitlines()[-1])


MUST_RUN = ("locked setup cells", "student cells", "instructor cells run", "test cells")


def graded(run) -> list:
    return [r for r in run.results if r.timings]


def mean_timings(run) -> dict[str, float]:
    results = graded(run)
    names = list(dict.fromkeys(k for r in results for k in r.timings))
    return {k: sum(r.timings.get(k, 0.0) for r in results) / len(results) for k in names}


def print_one_submission(seconds: float, run, imports_s: float) -> None:
    """Every second of one submission graded alone (a class of one, one worker)."""
    result = graded(run)[0]
    print(f"\none submission of {result.assignment}, graded alone ({seconds:.1f} s wall clock):")
    waiting = "workers grading (the grader waits)"
    for name, value in run.steps.items():
        print(f"  {value:7.2f} s  {name}")
        if name == waiting:
            for step, part in result.timings.items():
                if step in ("merge into the gradebook",):
                    continue
                extra = (f"   (their imports alone take {imports_s:.2f} s in a fresh interpreter: here the zygote "
                         "has them)") if step == "locked setup cells" else ""
                print(f"  {'':9s}  {part:7.2f} s  {step}{extra}")
            inside = sum(v for k, v in result.timings.items() if k != "merge into the gradebook")
            print(f"  {'':9s}  {run.steps[waiting] - inside:7.2f} s  job to the worker, result back (the rest)")
    print(f"  {seconds - sum(run.steps.values()):7.2f} s  unaccounted (outside grade_class)")


def print_class(size: int, jobs: int, rows: list[tuple[str, float]], run) -> None:
    plain = rows[-1][1]
    print(f"\nclass of {size} copies, {jobs} jobs on {__import__('os').cpu_count()} cores:")
    for name, seconds in rows:
        print(f"  {name:44s} {seconds:7.1f} s  {size / seconds * 60:6.1f} notebooks/min  {plain / seconds:4.2f}x nbgrader")
    means = mean_timings(run)
    print(f"\n  mean seconds per submission, in the workers ({jobs} at once):")
    for name, value in means.items():
        print(f"    {value:6.2f} s  {name}")
    per_core = rows[0][1] * jobs / size
    must_run = sum(means.get(k, 0.0) for k in MUST_RUN)
    merge = (run.steps.get("store each result, merge it into the gradebook (serial)", 0.0)
             + run.steps.get("merge the last batch into the gradebook (serial)", 0.0))
    print(f"  serial part (store, merge into the gradebook): {merge / size:.3f} s per submission")
    print(f"  worker-seconds per submission {per_core:.2f} s = cells that must run {must_run:.2f} s "
          f"+ overhead {per_core - must_run:.2f} s (goal: under 0.5 s)")
    in_workers = sum(v for k, v in means.items() if k not in MUST_RUN and k != "merge into the gradebook")
    start_and_end = per_core - must_run - in_workers
    print(f"  overhead {per_core - must_run:.2f} s = the workers' steps besides the cells {in_workers:.2f} s (the "
          f"rows above but the cells and the merge) + the run's start and end {start_and_end:.2f} s per submission "
          f"({start_and_end * size / jobs:.1f} s of wall clock on each of {jobs} workers: the sources made and "
          f"registered, the intake, the zygotes' imports while the workers had no job, the last notebooks, the "
          f"reports)")
    memory = [r.memory_mb for r in graded(run) if r.memory_mb]
    if memory:
        peak = {part: max(m.get(part, 0.0) for m in memory) for part in ("worker", "zygote", "kernel")}
        print(f"  peak memory per worker: {peak['worker']:.0f} MB (the worker process) + {peak['zygote']:.0f} MB "
              f"(its zygote) + {peak['kernel']:.0f} MB (its largest kernel, which shares the zygote's pages until it "
              f"writes them) = at most {sum(peak.values()):.0f} MB")


def print_cluster(size: int, workers: int, start_s: float, run) -> None:
    """What the cluster run costs beyond the pool's: its start, the grader's serial part per
    submission (which caps a cluster's speed), the shipping on the workers."""
    from .cluster import SHIP
    from .grading import SHIPPING

    serial = (run.steps.get("store each result, merge it into the gradebook (serial)", 0.0)
              + run.steps.get("merge the last batch into the gradebook (serial)", 0.0) + run.steps.get(SHIPPING, 0.0))
    print(f"\n  on {workers} local Dask workers (started once in {start_s:.1f} s, not counted above): the grader's serial "
          f"part {serial / size * 1000:.1f} ms per submission (of which sending and receiving "
          f"{run.steps.get(SHIPPING, 0.0) / size * 1000:.1f} ms), so at most {size / max(serial, 1e-9):,.0f} "
          f"submissions/s whatever the cluster's size; on the workers, unpacking and packing a job "
          f"{mean_timings(run).get(SHIP, 0.0):.3f} s; worker-seconds per submission "
          f"{run.steps.get('workers grading (the grader waits)', 0.0) * workers / size:.2f} s")


def main(args) -> int:
    workdir = BUILD_DIR / "bench"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    plain, boxed = time_kernel(False, workdir), time_kernel(True, workdir)
    print(f"sandbox cost per notebook (kernel start + `import numpy` + shutdown, median of 5): "
          f"plain {plain:.2f} s, sandboxed {boxed:.2f} s, cost {boxed - plain:+.2f} s (goal: under 0.3 s)\n")
    print(f"{'notebook':20s} {'execute solution':>18s} {'grade one submission':>22s}")
    ones = {}
    for assignment in assignments():
        solution_s = time_solution(assignment, workdir)
        ones[assignment] = time_pipeline(workdir / f"one-{assignment}", assignment, 1, jobs=1)
        print(f"{assignment:20s} {solution_s:>16.1f} s {ones[assignment][0]:>20.1f} s", flush=True)
    assignment = assignments()[0]
    print_one_submission(*ones[assignment], import_seconds(assignment))
    size, jobs = args.class_size, args.jobs
    fast = time_pipeline(workdir / "parallel", assignment, size, jobs=jobs)
    from .cluster import local_cluster

    started = time.perf_counter()
    with local_cluster(jobs) as address:
        cluster_start_s = time.perf_counter() - started
        on_cluster = time_pipeline(workdir / "cluster", assignment, size, jobs, scheduler=address)
    rows = [(f"make grade JOBS={jobs}", fast[0]),
            (f"make grade SCHEDULER= ({jobs} local Dask workers)", on_cluster[0]),
            (f"make grade JOBS={jobs} EVERYCELL=1", time_pipeline(workdir / "every", assignment, size, jobs,
                                                                  every_cell=True)[0]),
            ("nbgrader autograde (CLI, serial)", time_plain_nbgrader(workdir / "nbgrader", assignment, size))]
    print_class(size, jobs, rows, fast[1])
    print_cluster(size, jobs, cluster_start_s, on_cluster[1])
    partly = time_pipeline(workdir / "partial", assignment, size, jobs, partial=True)
    means = mean_timings(partly[1])
    print(f"\n  a class of {size} partial submissions (about half the tests lose points): {partly[0]:.1f} s; per "
          f"submission the visible run {means.get(VISIBLE_RUN, 0.0):.2f} s, the hidden checks' state reports and "
          f"clean-ups {means.get(GUARDS, 0.0):.2f} s (a complete one: {mean_timings(fast[1]).get(GUARDS, 0.0):.2f} s, "
          f"no visible run)")
    merged, through_finish = 10_000, 1_000
    merge_s, _ = time_merge(workdir / "merge", merged)
    serial_s, _ = time_serial_part(workdir / "serial", through_finish)
    print(f"\ngradebook merge, a simulated class of {merged:,} submissions of a tiny assignment: {merge_s:.1f} s, "
          f"{merged / merge_s:.0f} submissions/s (batches of 100)\nthe grader's whole serial part (result stored, "
          f"executed notebook moved, merged), {through_finish:,} such submissions: "
          f"{serial_s / through_finish * 1000:.1f} ms each")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0
