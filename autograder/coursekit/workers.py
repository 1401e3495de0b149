"""The worker pool: forked processes that execute one submission at a time, with a wall-clock watchdog."""
from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import signal
import tempfile
import time
import traceback
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from .execution import execute_job
from .model import FAILED, GRADED, Job, SubmissionResult
from .paths import DATA_DIR

WORKER_CRASHED = ("the grading worker crashed (the machine's fault, not the notebook's, unless it repeats: "
                  "run `make grade` again)")


def write_own_feedback(job: Job, result: SubmissionResult) -> None:
    """The worker renders its submission's feedback page, with what the grader will store: the intake's
    note and the written answers' grades so far. The grader rewrites the page if its result differs
    (a merge that failed), comparing `feedback_of`."""
    from .feedback import render_page
    from .gradebook import apply_manual_scores

    if not job.feedback_out:
        return
    started = time.monotonic()
    if job.intake_note and job.intake_note not in result.reason:
        result.reason = "; ".join(filter(None, [result.reason, job.intake_note]))
    if result.status == GRADED:
        apply_manual_scores(result, job.manual_scores, job.manual_comments)
    render_page(result, job.student_name, job.student_view_file, Path(job.feedback_out))
    result.feedback_of = result.page_digest()
    result.timings["feedback page"] = round(time.monotonic() - started, 3)


WORKER_MEMORY_MB = 2048
"""What a worker may allocate beyond what it had when it started (it peaks near 200 MB): kernels are
capped in their sandbox, their outputs as they arrive (`output_limits`); this caps the worker too."""


def cap_own_memory(extra_mb: int) -> None:
    """A soft RLIMIT_DATA of this process's data size now plus `extra_mb` (forked from the grader, it
    starts with the grader's mappings; the hard limit stays, so a sandbox launched from here sets its own)."""
    import resource

    try:
        status = Path("/proc/self/status").read_text()
        data_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmData:")))
    except (OSError, StopIteration, ValueError):
        return
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    soft = (data_kb << 10) + (extra_mb << 20)
    resource.setrlimit(resource.RLIMIT_DATA, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def peak_memory_mb() -> dict[str, float]:
    """The peak resident memory of this worker, of its zygote, and of the kernel it last ran (the
    zygote measures its kernels; a cold kernel's memory is not known here)."""
    import resource

    from .warm_kernels import _ZYGOTE

    memory = {"worker": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if _ZYGOTE:
        memory["zygote"] = _ZYGOTE[0].peak_mb
        if _ZYGOTE[0].kernel is not None and _ZYGOTE[0].kernel.peak_mb:
            memory["kernel"] = _ZYGOTE[0].kernel.peak_mb
    return memory


def _die_with_parent(parent: int, folder: str) -> None:
    """A thread in each worker: if the grader itself is killed, end this worker and its group at once
    (its sandboxes die with it), rather than wait forever for the next job; its zygote's sandbox is
    ended first, so that nothing writes into the worker's temporary folder once it is removed."""
    from .warm_kernels import _ZYGOTE

    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            try:
                for zygote in list(_ZYGOTE):
                    zygote.close()
                shutil.rmtree(folder, ignore_errors=True)
                os.killpg(0, signal.SIGKILL)
            finally:
                os._exit(1)


def _worker_main(conn, kernelspec_dir: str | None, parent: int, preload: list[str], folder: str) -> None:
    """A worker process (forked with nbgrader imported): start its zygote, whose imports run while the
    grader registers the sources, then execute jobs until told to stop. The first job of an assignment
    loads the feedback exporter with its instructor's cells, while the zygote may still import. Its
    temporary files and folders (its zygote's, its kernels' sockets) go in `folder`, which the pool
    removes when the worker ends, even killed."""
    import threading

    tempfile.tempdir = folder

    from .feedback import exporter
    from .sandbox import ENV_DATA_DIR
    from .sandbox_caps import remove_cgroups
    from .warm_kernels import ENV_PRELOAD, current_zygote, start_zygote, stop_zygote

    os.setpgrp()  # a stuck job is killed with its process group; sandboxes die with their parent
    cap_own_memory(WORKER_MEMORY_MB)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the grader's to handle: it closes the pool
    threading.Thread(target=_die_with_parent, args=(parent, folder), daemon=True).start()
    warnings.simplefilter("ignore")  # nbgrader's SQLAlchemy use warns on every submission; harmless
    # an unsandboxed kernel inherits this environment; the sandbox sets its own (sandbox.KERNEL_ENV)
    os.environ.setdefault("COURSE_DATA_DIR", str(DATA_DIR))
    os.environ[ENV_DATA_DIR] = os.environ["COURSE_DATA_DIR"]
    os.environ["OMP_NUM_THREADS"] = "1"  # same numbers serial or parallel, no oversubscription
    os.environ["MKL_NUM_THREADS"] = "1"
    os.environ["PYTHONWARNINGS"] = "ignore"  # a library warning in a test cell would cost points
    os.environ["MPLBACKEND"] = "Agg"
    if kernelspec_dir:  # the grader's sandboxed kernelspec, seen by this process only
        os.environ["JUPYTER_PATH"] = kernelspec_dir + os.pathsep + os.environ.get("JUPYTER_PATH", "")
        os.environ[ENV_PRELOAD] = ",".join(preload)
        start_zygote()  # its imports (seconds) run while the grader registers the sources and takes in the class
    warmed: set[str] = set()  # source notebooks whose instructor cells this worker's exporter has rendered

    while True:
        job = conn.recv()
        if job is None:
            stop_zygote()
            return
        try:
            once = {}
            if job["feedback_out"] and job["source_notebook"] not in warmed:
                # the first page of an assignment renders (and keeps) its instructor's cells; done while
                # the zygote may still import
                started = time.monotonic()
                exporter(warm_with=[Path(job["source_notebook"])])
                warmed.add(job["source_notebook"])
                once["feedback exporter loaded, the assignment's cells rendered (once per worker)"] = \
                    round(time.monotonic() - started, 3)
            if kernelspec_dir:  # its imports are paid once for this worker (see warm_kernels)
                started = time.monotonic()
                current_zygote()
                waited = time.monotonic() - started
                if waited > 0.001:  # (again, if a kernel took the last one down)
                    once["waiting for the zygote's imports (once per worker)"] = round(waited, 3)
            result = execute_job(Job(**job))
            write_own_feedback(Job(**job), result)
            result.memory_mb = peak_memory_mb()
            if result.timings:
                result.timings.update(once)
        except Exception as error:  # a bug or a broken submission must not take the run down
            result = SubmissionResult(job["student"], job["assignment"], FAILED,
                                      f"grader error (not the student's fault: a TA runs `make grade` again, and "
                                      f"reports it if it stays): {type(error).__name__}: {error}"[:400])
            result.reason += " | " + traceback.format_exc().strip().splitlines()[-1][:200]
        remove_cgroups()
        conn.send(asdict(result))


class WorkerPool:
    """`size` worker processes, each running one job at a time; stuck workers are replaced."""

    def __init__(self, size: int, kernelspec_dir: str | None = None, preload: list[str] | None = None):
        # fork: workers inherit the imported nbgrader instead of paying seconds of imports each;
        # the pool starts before any thread (tqdm's monitor) exists in this process.
        self.context = mp.get_context("fork")
        self.size = max(1, size)
        self.kernelspec_dir = kernelspec_dir
        self.preload = list(preload or [])  # modules each worker's zygote imports (warm kernels)
        self.folders: dict[int, str] = {}  # a worker's pid -> its temporary folder (see _worker_main)
        self.workers: list[tuple[mp.Process, object]] = [self._start() for _ in range(self.size)]

    def _start(self):
        parent, child = self.context.Pipe()
        folder = tempfile.mkdtemp(prefix="fmw-")  # short: the zygote's unix sockets go below it
        process = self.context.Process(target=_worker_main, daemon=True,
                                       args=(child, self.kernelspec_dir, os.getpid(), self.preload, folder))
        process.start()
        self.folders[process.pid] = folder
        return process, parent

    def _ended(self, process: mp.Process) -> None:
        """Remove the temporary folder of a worker that has ended (what a killed worker's zygote left)."""
        shutil.rmtree(self.folders.pop(process.pid, ""), ignore_errors=True)

    def keep(self, size: int) -> None:
        """End the workers beyond the first `size` (none has had a job yet: nothing is lost); each
        stops its zygote and removes its folders, or is killed with its process group."""
        size = max(1, size)
        extra, self.workers = self.workers[size:], self.workers[:size]
        for process, conn in extra:
            try:
                conn.send(None)
            except OSError:
                pass
        for process, conn in extra:
            process.join(5)
            if process.is_alive():
                os.killpg(process.pid, signal.SIGKILL)
                process.join(5)
            conn.close()
            self._ended(process)
        self.size = len(self.workers)

    def run(self, jobs: list[Job], on_result: Callable[[SubmissionResult], None],
            on_stuck: Callable[[Job], Job | None] = lambda job: None) -> None:
        """Run every job; on_stuck(job) may give a job to run instead of one that outran its limit."""
        pending = list(jobs)
        busy: dict[int, tuple[Job, float]] = {}
        while pending or busy:
            for slot in range(self.size):
                if slot not in busy and pending:
                    job = pending.pop(0)
                    self.workers[slot][1].send(asdict(job))
                    busy[slot] = (job, time.monotonic())
            for slot, (job, started) in list(busy.items()):
                process, conn = self.workers[slot]
                if conn.poll(0.05):
                    try:
                        on_result(SubmissionResult.from_json(conn.recv()))
                    except (EOFError, OSError):
                        on_result(SubmissionResult(job.student, job.assignment, FAILED, WORKER_CRASHED))
                        self._replace(slot)
                    del busy[slot]
                elif not process.is_alive() or time.monotonic() - started > job.wall_limit_s:
                    stuck = process.is_alive()
                    reason = (f"grading did not finish within {job.wall_limit_s:.0f} s (a cell ignored the "
                              "interrupt at its time limit, even in a fresh kernel without that cell)") if stuck else WORKER_CRASHED
                    self._replace(slot)
                    retry = on_stuck(job) if stuck else None
                    del busy[slot]
                    if retry is not None:
                        pending.insert(0, retry)
                        continue
                    on_result(SubmissionResult(job.student, job.assignment, FAILED, reason,
                                               seconds=round(time.monotonic() - started, 2)))

    def _replace(self, slot: int) -> None:
        process, conn = self.workers[slot]
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        process.join(5)
        self._ended(process)
        self.workers[slot] = self._start()

    def close(self) -> None:
        for process, conn in self.workers:
            try:
                conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        for process, _ in self.workers:
            process.join(10)
            if process.is_alive():
                os.killpg(process.pid, signal.SIGKILL)
                process.join(5)
            self._ended(process)
