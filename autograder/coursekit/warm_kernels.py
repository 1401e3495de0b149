"""Warm kernels: a grading worker pays the kernel's start-up and the notebooks' imports once, not
once per submission, and no submission sees another's state.

Each worker starts one *zygote*: a Python process inside the grader's bubblewrap sandbox (the same
command line as a kernel's, see `sandbox.bwrap_command`: no network, user nobody, read-only
environment, in-memory /tmp and working folder, the same caps), which imports ipykernel and the
libraries that the assignments' read-only cells import (as soon as the worker starts, while the
grader is still registering the sources), freezes what they made for the garbage collector
(each kernel shares those pages instead of copying them), then waits. For each submission the
worker's kernel manager (`WarmKernelProvisioner`, a jupyter_client kernel provisioner) sends it the
connection file and the submission's files, and the zygote

1. kills every other process of its sandbox and empties the working folder, /tmp and /dev/shm:
   no process, no file of the previous submission is left;
2. forks: the child becomes a session of its own, drops the zygote's pipes to the worker, writes
   the submission's files and runs ipykernel: a fresh copy of a process that never ran student
   code, so no variable, patched module or environment variable of another submission is in it;
3. tells the worker when that kernel has ended.

The zygote cannot be attached to or read by a kernel running as the same user (it is not dumpable),
its only channel to the worker is a pair of pipes that kernels do not inherit, and a zygote that
stops answering is killed with its sandbox and started again. If no zygote can be started, the
kernel starts cold, as before (`make test` proves both give the same grades).
"""
from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner

from .output_limits import MAX_CELL_BYTES
from .sandbox import (ENV_DATA_DIR, ENV_MAX_PROCESSES, ENV_MEMORY_MB, GRADER_KERNEL_ARGUMENTS, KERNEL_SIDE_SCRIPT,
                      SANDBOX_LAUNCH_ENV, WORK, bwrap_binary, bwrap_command)
from .sandbox_mounts import python_in_sandbox

ENV_PRELOAD = "COURSEKIT_PRELOAD"  # the modules the worker's zygote imports (comma-separated)
START_TIMEOUT_S = 60.0  # for the zygote's imports
ANSWER_TIMEOUT_S = 10.0  # for a fork, or a kernel's end once killed: else the zygote is killed and replaced


# ---------------------------------------------------------------------------- in the worker
class Zygote:
    """The worker's handle on its zygote: the pipes, and a thread that reads what it says."""

    def __init__(self, preload: list[str]):
        from .sandbox_caps import MAX_PROCESSES, MEMORY_LIMIT_MB, apply_caps

        bwrap = bwrap_binary()
        if bwrap is None:
            raise RuntimeError("bwrap not found")
        self.socket_dir = tempfile.mkdtemp(prefix="fmz-")  # short: unix socket paths allow ~100 bytes
        self.empty = tempfile.mkdtemp(prefix="fmz-work-")
        # the sandbox has no coursekit (it would show the course): the zygote is a script of its own
        program = [python_in_sandbox(), "-c", KERNEL_SIDE_SCRIPT.read_text(), WORK, *preload]
        command = bwrap_command(bwrap, self.empty, os.environ.get(ENV_DATA_DIR), None, self.socket_dir, program)
        memory = int(os.environ.get(ENV_MEMORY_MB, MEMORY_LIMIT_MB))
        processes = int(os.environ.get(ENV_MAX_PROCESSES, MAX_PROCESSES))
        # its only descriptors are the two pipes (stderr is not the grader's terminal or log, which a
        # kernel could write to), and nothing of the grader's environment
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=SANDBOX_LAUNCH_ENV,
                                        preexec_fn=lambda: apply_caps(memory, processes))
        self.messages: queue.Queue = queue.Queue()
        self.kernel: WarmKernel | None = None
        self.preloaded: list[str] | None = None  # the modules it imported, once it says it is ready
        self.peak_mb = 0.0
        self.started = time.monotonic()
        threading.Thread(target=self._read, daemon=True).start()

    def wait_ready(self) -> None:
        """Wait for its imports (RuntimeError if it ends or they outlast START_TIMEOUT_S)."""
        if self.preloaded is None:
            ready = self._expect("ready", max(0.0, self.started + START_TIMEOUT_S - time.monotonic()))
            self.preloaded, self.peak_mb = ready["ready"], ready.get("peak_mb", 0.0)

    def _read(self) -> None:
        for line in self.process.stdout:
            try:
                self.messages.put(json.loads(line))
            except ValueError:
                continue
        self.messages.put({"gone": True})

    def _expect(self, key: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"the zygote did not say {key!r} within {timeout:.0f} s") from None
            if "gone" in message:
                raise RuntimeError("the zygote ended")
            if key in message:
                return message
            if "exited" in message and self.kernel is not None:
                self.kernel.ended(message)

    def request(self, message: dict) -> None:
        try:
            self.process.stdin.write((json.dumps(message) + "\n").encode())
            self.process.stdin.flush()
        except OSError as error:
            raise RuntimeError(f"the zygote is gone: {error}") from None

    def alive(self) -> bool:
        return self.process.poll() is None

    def start_kernel(self, connection_text: str, folder: Path, arguments: list[str]) -> "WarmKernel":
        files = {}
        for entry in sorted(folder.iterdir()):
            if entry.is_file() and not entry.is_symlink():
                files[entry.name] = base64.b64encode(entry.read_bytes()).decode()
        self.request({"op": "start", "connection": connection_text, "files": files, "arguments": arguments,
                      "max_cell_bytes": MAX_CELL_BYTES})
        started = self._expect("started", ANSWER_TIMEOUT_S)
        self.kernel = WarmKernel(self, started["started"])
        return self.kernel

    def close(self, remove_folders: bool = False) -> None:
        """End the zygote and its sandbox (a kernel in it ends too); its folders stay until
        `remove_folders` (a cold kernel started instead may still use the socket folder)."""
        try:
            self.process.kill()
            self.process.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if remove_folders:
            shutil.rmtree(self.socket_dir, ignore_errors=True)
            shutil.rmtree(self.empty, ignore_errors=True)


class WarmKernel:
    """What jupyter_client's LocalProvisioner expects of a Popen, for a kernel forked by a zygote."""

    def __init__(self, zygote: Zygote, pid: int):
        self.zygote, self.pid = zygote, pid
        self.returncode: int | None = None
        self.peak_mb = 0.0  # the kernel's peak resident memory, once it has ended
        self.stdin = self.stdout = self.stderr = None

    def poll(self) -> int | None:
        if self.returncode is None:
            while True:
                try:
                    self._take(self.zygote.messages.get_nowait())
                except queue.Empty:
                    break
        if self.returncode is None and not self.zygote.alive():
            self.returncode = -signal.SIGKILL
        return self.returncode

    def _take(self, message: dict) -> None:
        if "exited" in message:
            self.ended(message)
        elif "gone" in message:
            self.returncode = -signal.SIGKILL

    def ended(self, message: dict) -> None:
        self.returncode = message["exited"]
        self.peak_mb = message.get("peak_mb", 0.0)

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:  # woken by the zygote's answer, not a polling interval
            remaining = 0.05 if deadline is None else min(0.05, deadline - time.monotonic())
            if remaining <= 0:
                raise subprocess.TimeoutExpired("warm kernel", timeout)
            try:
                self._take(self.zygote.messages.get(timeout=remaining))
            except queue.Empty:
                continue
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is not None:
            return
        try:
            self.zygote.request({"op": "signal", "signum": int(signum)})
            if signum == signal.SIGKILL:
                self.wait(ANSWER_TIMEOUT_S)
        except (RuntimeError, subprocess.TimeoutExpired):
            # a zygote that does not answer (stopped by a kernel, say) ends with its whole sandbox
            self.zygote.close()
            self.returncode = -signal.SIGKILL

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


_ZYGOTE: list[Zygote] = []  # this worker's


def start_zygote() -> None:
    """Start this worker's zygote if it has none, without waiting for its imports (a worker starts
    it at once, and its imports run while the grader is still registering the sources)."""
    if _ZYGOTE and not _ZYGOTE[0].alive():  # between jobs: nothing uses its folders any more
        _ZYGOTE.pop().close(remove_folders=True)
    if not _ZYGOTE:
        preload = [m for m in os.environ.get(ENV_PRELOAD, "").split(",") if m]
        try:
            _ZYGOTE.append(Zygote(preload))
        except (OSError, RuntimeError):
            pass


def current_zygote() -> Zygote | None:
    """This worker's zygote, started (again) if needed, its imports done; None if it cannot be
    (kernels start cold)."""
    start_zygote()
    if not _ZYGOTE:
        return None
    try:
        _ZYGOTE[0].wait_ready()
    except RuntimeError:
        _ZYGOTE.pop().close(remove_folders=True)
        return None
    return _ZYGOTE[0]


def empty_folder(folder: Path) -> None:
    """Remove everything in `folder` (what a kernel left beside its sockets), keep the folder."""
    for entry in folder.iterdir() if folder.is_dir() else []:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def stop_zygote() -> None:
    while _ZYGOTE:
        _ZYGOTE.pop().close(remove_folders=True)


class WarmKernelProvisioner(LocalProvisioner):
    """Starts the kernel as a fork of the worker's zygote; the cold sandbox launcher if there is none."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        zygote = _ZYGOTE[0] if _ZYGOTE else None  # the one execute_job chose (never replaced here)
        connection_file = Path(self.parent.connection_file)
        socket_dir = str(Path(self.connection_info.get("ip", "")).parent)
        if zygote is None or not zygote.alive() or socket_dir != zygote.socket_dir:
            return await super().launch_kernel(cmd, **kwargs)
        cwd = Path(kwargs.get("cwd") or os.getcwd())
        arguments = cmd[cmd.index("-f") + 2:] if "-f" in cmd else []  # what follows the connection file
        arguments += [a for a in GRADER_KERNEL_ARGUMENTS if a not in arguments]
        try:
            self.process = zygote.start_kernel(connection_file.read_text(), cwd, arguments)
        except RuntimeError:  # stopped or gone: never the next submission's loss, a cold kernel instead
            zygote.close()
            return await super().launch_kernel(cmd, **kwargs)
        self.pid, self.pgid, self.cwd = self.process.pid, None, str(cwd)
        return self.connection_info


def preload_modules(source_notebooks: list[Path]) -> list[str]:
    """The modules the read-only cells of these source notebooks import (dotted, deduplicated)."""
    import ast

    import nbformat

    modules: list[str] = []
    for path in source_notebooks:
        try:
            cells = nbformat.read(path, as_version=4).cells
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.cell_type != "code" or not cell.metadata.get("nbgrader", {}).get("locked"):
                continue
            if cell.metadata["nbgrader"].get("grade"):
                continue  # tests import what they check: not worth a zygote's memory
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, ast.Import):
                    modules += [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules.append(node.module)
    return list(dict.fromkeys(modules))

