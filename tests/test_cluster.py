"""`make grade SCHEDULER=...`: the same grades from a Dask cluster, a killed or hung worker loses
nothing, and a cluster that cannot grade as this machine would is refused with the reason.

The cluster is two worker processes on 127.0.0.1, started and stopped by the test (`local_cluster`).
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import threading
import time

import nbformat
import pytest

from coursekit.cluster import ClusterError, ClusterPool, environment_fingerprint, local_cluster, worker_readiness
from coursekit.example_class import build_example_class, expected_autograde_points
from coursekit.grading import grade_class
from coursekit.model import Course
from coursekit.paths import assignments

from conftest import GRADING_CELL_TIMEOUT_S, results_by_key


def grades(result) -> tuple:
    return result.status, [(t.grade_id, t.points, t.message) for t in result.tests]


def kill_one_worker_then_freeze_one(address: str, course: Course, done: threading.Event) -> dict:
    """Once a notebook is graded, SIGKILL a busy Dask worker; then SIGSTOP a worker busy with another
    notebook (a hung worker: no heartbeat, the scheduler gives up on it after the worker-ttl). Killing
    first leaves the class's work to follow both, however fast it grades; the frozen task is never the
    killed one's retry (a task whose worker died twice would be reported, rightly, as failed). The
    tasks each held, the frozen pid."""
    from distributed import Client

    said = {"frozen": [], "killed": [], "frozen_pid": None, "killed_worker": None}
    with Client(address, set_as_default=False) as client:
        # retried once, then reported (see cluster.CLUSTER_CONFIG)
        assert client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.allowed_failures) == 1
        while not done.is_set() and not said["frozen"]:
            busy = {worker: sorted(k for k in keys if k.startswith("grade-"))
                    for worker, keys in client.processing().items()}
            busy = {worker: keys for worker, keys in busy.items() if keys}
            graded = [p for p in course.results_dir.glob("*.json") if not p.name.startswith("broken__")] \
                if course.results_dir.is_dir() else []
            if not said["killed"] and graded and busy:
                worker, keys = sorted(busy.items())[0]
                os.kill(client.run(os.getpid, workers=[worker])[worker], signal.SIGKILL)
                said.update(killed=keys, killed_worker=worker)
            elif said["killed"]:
                for worker, keys in sorted(busy.items()):
                    if worker != said["killed_worker"] and not set(keys) & set(said["killed"]):
                        said.update(frozen=keys, frozen_worker=worker,
                                    frozen_pid=client.run(os.getpid, workers=[worker])[worker])
                        os.kill(said["frozen_pid"], signal.SIGSTOP)
                        break
            time.sleep(0.2)
    return said


PROBE = """import os, pathlib
print("uid", os.getuid(), "| sees the course:", pathlib.Path({course!r}).exists())"""


def add_a_prober(course: Course, assignment: str) -> None:
    """A student whose complete notebook also prints what its kernel is and sees (the sandbox on a worker)."""
    nb = nbformat.read(course.submitted_dir / "complete" / assignment / f"{assignment}.ipynb", as_version=4)
    nb.cells.insert(1, nbformat.v4.new_code_cell(PROBE.format(course=str(course.root))))
    (course.submitted_dir / "prober" / assignment).mkdir(parents=True)
    nbformat.write(nb, course.submitted_dir / "prober" / assignment / f"{assignment}.ipynb")


def test_two_dask_workers_grade_the_example_class_as_the_pool_does_and_a_killed_or_hung_worker_loses_nothing(
        example_class_parallel, tmp_path):
    """Grades, messages and statuses equal the local pool's run (itself checked against the sources by
    test_grading), also for the notebooks a worker was grading when it hung (stopped: the scheduler
    gives up on it after the worker-ttl, here 10 s) or was killed; the kernels run in the sandbox
    there too."""
    _, pool_run, _ = example_class_parallel
    course = Course(tmp_path / "course")
    build_example_class(assignments(), course.submitted_dir)
    add_a_prober(course, assignments()[-1])
    with local_cluster(2, worker_ttl="10s") as address:
        done, runs, errors = threading.Event(), [], []

        def grade() -> None:
            try:
                runs.append(grade_class(course, force=True, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False,
                                        scheduler=address))
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)
            finally:
                done.set()

        grader = threading.Thread(target=grade)
        grader.start()
        said = kill_one_worker_then_freeze_one(address, course, done)
        grader.join(600)
        if said["frozen_pid"]:  # before the cluster closes (it would wait for it), unless its nanny did
            with contextlib.suppress(ProcessLookupError):
                os.kill(said["frozen_pid"], signal.SIGKILL)
    assert not errors, errors
    assert said["killed"] and said["frozen"], f"a worker was not busy when it had to be: the test proved nothing {said}"
    run, expected = results_by_key(runs[0]), results_by_key(pool_run)
    prober = run[("prober", assignments()[-1])]
    run = {key: result for key, result in run.items() if key[0] != "prober"}  # (missing its other notebooks)
    assert set(run) == set(expected)
    differ = {key: (grades(run[key]), grades(expected[key])) for key in expected if grades(run[key]) != grades(expected[key])}
    assert not differ, (f"the cluster's grades differ from the local pool's: {differ}; why: "
                        f"{ {key: run[key].reason for key in differ} }; the tasks killed and frozen: {said}")
    for assignment in assignments():
        for student in ("complete", "partial"):
            result = run[(student, assignment)]
            assert sum(t.points or 0 for t in result.tests if not t.manual) == expected_autograde_points(assignment, student)
    for key, result in run.items():
        if result.status == "graded":  # what the formgrader and the student read came back from the cluster
            assert course.executed_notebook(*key).exists(), key
            assert (course.feedback_dir / key[0] / key[1] / f"{key[1]}.html").stat().st_size > 1000, key
    assert not list((course.state_dir / "work").glob("*")) if (course.state_dir / "work").exists() else True
    assert grades(prober)[1] == grades(run[("complete", prober.assignment)])[1]
    printed = [o.get("text", "") for c in nbformat.read(course.executed_notebook("prober", prober.assignment), 4).cells
               if c.cell_type == "code" for o in c.outputs]
    assert any("uid 65534 | sees the course: False" in text for text in printed), printed[:3]


def test_an_unreachable_scheduler_is_a_clear_error():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ClusterError, match=rf"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}.*dask scheduler"):
        ClusterPool(f"tcp://127.0.0.1:{port}", [], True, snapshot=None, connect_timeout_s=2)


def _readiness_in_a_daemon(queue) -> None:
    queue.put(worker_readiness(False, environment_fingerprint()))


def test_a_worker_that_would_grade_differently_says_why():
    """Another course environment, or a daemonic worker process (which may not start the grading
    process): each is named; a worker like this machine has nothing to say."""
    assert worker_readiness(False, environment_fingerprint()) == ""
    assert "course environment differs" in worker_readiness(False, "0" * 16)
    queue = multiprocessing.get_context("fork").Queue()
    daemon = multiprocessing.get_context("fork").Process(target=_readiness_in_a_daemon, args=(queue,), daemon=True)
    daemon.start()
    said = queue.get(timeout=60)
    daemon.join(10)
    assert "DASK_DISTRIBUTED__WORKER__DAEMON=False" in said


def _die() -> None:
    os._exit(1)  # the worker process ends, as a machine that fails would end it


def test_a_notebook_whose_worker_dies_twice_is_reported_failed_with_the_reason(tmp_path):
    """Retried once on another worker (allowed-failures 1), then a failed result the TA can act on,
    never an exception that ends the run."""
    from distributed import Client

    from coursekit.cluster import WORKER_DIED_TWICE
    from coursekit.model import Job

    job = Job("alice", "01_contrastive", "", "", "", str(tmp_path / "work"), 60.0, 60)
    with local_cluster(2) as address, Client(address, set_as_default=False) as client:
        future = client.submit(_die, pure=False)
        result = ClusterPool.receive(job, future)
    assert (result.student, result.assignment, result.status, result.reason) == (
        "alice", "01_contrastive", "failed", WORKER_DIED_TWICE)
