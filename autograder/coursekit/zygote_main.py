"""The zygote of a grading worker's warm kernels (see `warm_kernels`): runs inside the sandbox as
`python -c <this file> <working folder> <modules to import>...`.

Standalone on purpose: the sandbox holds the Python environment, never the course (coursekit is
not importable in it). It imports the modules, then starts one kernel at a time on the worker's
request (a JSON line on stdin: `start` with the connection file, the submission's files and the
kernel's arguments; `signal`), killing and wiping what the previous kernel left first, and answers
on stdout (`ready`, `started`, `exited`).
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import sys
import time

PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 4, 36
WORK = sys.argv[1] if len(sys.argv) > 1 else "/grading/work"


def _prctl(option: int, value: int) -> None:
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def _send(message: dict) -> None:
    os.write(1, (json.dumps(message) + "\n").encode())


def _reset_sandbox() -> None:
    """Kill every process of the sandbox but this one (and bwrap's init), reap them, empty the
    folders a kernel can write to."""
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(0.01)
    for folder in (WORK, "/tmp", "/dev/shm"):
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for entry in entries:
            path = os.path.join(folder, entry)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass


def _run_kernel(request: dict) -> None:
    """In the forked child: become the submission's kernel (never returns)."""
    try:
        signal.set_wakeup_fd(-1)  # the zygote's wake-up pipe: closed below, its number must not be reused
        os.setsid()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)  # the zygote's pipes to the worker: never the kernel's
        os.dup2(devnull, 1)
        os.closerange(3, 4096)
        for name, data in request["files"].items():
            if "/" in name or name in (".", ".."):
                continue
            path = os.path.join(WORK, name)
            with open(path, "wb") as handle:
                handle.write(base64.b64decode(data))
            os.chmod(path, 0o444)
        connection = os.path.join("/tmp", f".kernel-{secrets.token_hex(8)}.json")
        with open(os.open(connection, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400), "w") as handle:
            handle.write(request["connection"])
        os.chdir(WORK)
        sys.argv = ["ipykernel_launcher", "-f", connection, *request["arguments"]]
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=sys.argv[1:])
        os._exit(0)
    except BaseException:  # noqa: BLE001 - a child must never return into the zygote's loop
        import traceback

        traceback.print_exc()
        os._exit(1)


def serve(preload: list[str]) -> None:
    """The zygote's loop: import, then start one kernel at a time on the worker's request."""
    import importlib
    import select

    _prctl(PR_SET_DUMPABLE, 0)  # a kernel (same user) may not ptrace it or read /proc/<pid>/mem
    _prctl(PR_SET_CHILD_SUBREAPER, 1)  # what a kernel leaves running comes back here, to be killed
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # debugpy's import-time warning about frozen modules
    loaded = []
    # ipykernel.debugger: every kernel's start imports debugpy for its debugger (0.15 s), unless the zygote has
    for name in ["ipykernel.kernelapp", "ipykernel.debugger", *preload]:
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception:  # noqa: BLE001 - a kernel imports it itself, cold
            pass
    import gc
    import resource

    # what the imports made is never collected: a kernel's first collections need not walk it, nor its
    # pages be copied for the collector's bookkeeping (each fork shares them with this process)
    gc.collect()
    gc.freeze()
    _send({"ready": loaded, "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)})
    # a kernel's end wakes the loop at once (SIGCHLD writes a byte into this pipe), not at its next timeout
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.set_wakeup_fd(wake_write)
    child, pending = None, b""
    while True:
        readable, _, _ = select.select([0, wake_read], [], [], 0.5)
        if wake_read in readable:
            readable.remove(wake_read)
            try:
                os.read(wake_read, 4096)
            except BlockingIOError:
                pass
        if child is not None:
            pid, status, usage = os.wait4(child, os.WNOHANG)
            if pid:
                _send({"exited": os.waitstatus_to_exitcode(status), "peak_mb": round(usage.ru_maxrss / 1024, 1)})
                child = None
                _reset_sandbox()
        if not readable:
            continue
        chunk = os.read(0, 1 << 20)
        if not chunk:  # the worker is gone
            _reset_sandbox()
            return
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            request = json.loads(line)
            if request["op"] == "start":
                if child is not None:  # the worker moved on without waiting for the last kernel's end
                    os.kill(child, signal.SIGKILL)
                    os.waitpid(child, 0)
                    _send({"exited": -signal.SIGKILL})
                    child = None
                _reset_sandbox()
                child = os.fork()
                if child == 0:
                    _run_kernel(request)
                _send({"started": child})
            elif request["op"] == "signal" and child is not None:
                try:
                    os.kill(child, int(request["signum"]))
                except ProcessLookupError:
                    pass


if __name__ == "__main__":
    serve(sys.argv[2:])
