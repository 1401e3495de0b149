"""The kernel side of the grader, inside the sandbox: a grading worker's zygote (see `warm_kernels`),
run as `python -c <this file> <working folder> <modules to import>...`, or one cold kernel, run as
`python -c <this file> --kernel <max cell output bytes> -f <connection file> <kernel arguments>...`.

Standalone on purpose: the sandbox holds the Python environment, never the course (coursekit is
not importable in it). The zygote imports the modules, then starts one kernel at a time on the
worker's request (a JSON line on stdin: `start` with the connection file, the submission's files and
the kernel's arguments; `signal`), killing and wiping what the previous kernel left first, and
answers on stdout (`ready`, `started`, `exited`).

Every kernel it starts keeps its outputs small where they are made (`limit_outputs`): a cell's
outputs stop at the grader's per-cell limit (the message that passes it is cut, a note says so, and
the cell is interrupted), and no message the kernel sends (an error's text, a reply) passes it
either. The grader counts again what arrives (`output_limits`): this only spares an honest flood
(a print in a loop, a huge repr) the grader's refusal of an oversized message.
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
WORK = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != "--kernel" else "/grading/work"
FLOOD_NOTE = ("[the grader stopped this cell: its output passed {limit}; the rest was not kept. "
              "Print less (a summary, a few values) and run it again]\n")  # the grader reads it from here (output_limits)
_OUTPUTS = {"stream", "display_data", "execute_result", "update_display_data", "error"}


def message_bytes(value, budget: int) -> int:
    """About how many bytes a message's content holds (strings and bytes summed; stops counting
    past `budget`, which is all a caller needs to know). The grader's side uses it too (output_limits)."""
    total, stack = 0, [value]
    while stack and total <= budget:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
            total += len(item)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        else:
            total += 8
    return total


def _cut(content: dict, kind: str, room: int, note: str) -> dict:
    """The content of one message cut to about `room` bytes, `note` in place of the rest."""
    if kind == "stream":
        return {**content, "text": str(content.get("text", ""))[:max(0, room)] + note}
    if kind == "error" or "traceback" in content:
        return {**content, "evalue": str(content.get("evalue", ""))[:1000],
                "traceback": [str(line)[:1000] for line in list(content.get("traceback") or [])[:20]]}
    if kind in ("display_data", "execute_result", "update_display_data"):
        return {**content, "data": {"text/plain": note}, "metadata": {}}
    return content


def limit_outputs(session, max_cell_bytes: int) -> None:
    """Keep every message the kernel's `session` sends, and each cell's outputs together, within
    `max_cell_bytes` (see the module docstring)."""
    import _thread

    from jupyter_client.session import extract_header

    send = session.send
    spent: dict[str, int] = {}
    stopped: set[str] = set()
    note = FLOOD_NOTE.format(limit=f"{max_cell_bytes / (1 << 20):g} MB")

    def limited_send(stream, msg_or_type, content=None, parent=None, *args, **kwargs):
        if isinstance(msg_or_type, dict):
            kind, body = msg_or_type.get("msg_type") or msg_or_type.get("header", {}).get("msg_type"), msg_or_type.get("content") or {}
            parent_id = (msg_or_type.get("parent_header") or {}).get("msg_id", "")
        else:
            kind, body = msg_or_type, content or {}
            parent_id = extract_header(parent).get("msg_id", "") if parent else ""
        size = message_bytes(body, max_cell_bytes)
        cut = None
        if kind in _OUTPUTS:
            if parent_id in stopped:
                if not (kind == "error" and size < 65536):  # the interrupt's own error still tells the cell failed
                    return None
            elif spent.get(parent_id, 0) + size > max_cell_bytes:
                stopped.add(parent_id)
                cut = _cut(body, kind, max_cell_bytes - spent.get(parent_id, 0), note)
            else:
                spent[parent_id] = spent.get(parent_id, 0) + size
        elif size > max_cell_bytes:  # a reply or status that carries a huge text (an error's)
            cut = _cut(body, kind, max_cell_bytes, note)
        if cut is not None:
            if isinstance(msg_or_type, dict):
                msg_or_type = {**msg_or_type, "content": cut}
            else:
                content = cut
        sent = send(stream, msg_or_type, content, parent, *args, **kwargs)
        if cut is not None and kind in _OUTPUTS:
            _thread.interrupt_main()  # the cell stops (once its note is out): what it prints next is not kept
        return sent

    session.send = limited_send


def _launch(arguments: list[str], max_cell_bytes: int) -> None:
    """Run ipykernel with its outputs limited (never returns)."""
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(arguments)
    limit_outputs(app.kernel.session, max_cell_bytes)
    app.start()
    os._exit(0)


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
        for fd in (0, 1, 2):  # the zygote's pipes to the worker: never the kernel's
            os.dup2(devnull, fd)
        os.closerange(3, 65536)
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
        _launch(sys.argv[1:], int(request.get("max_cell_bytes", 2 << 20)))
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
    if sys.argv[1:2] == ["--kernel"]:  # a cold kernel: the sandbox's first process
        _launch(sys.argv[3:], int(sys.argv[2]))
    serve(sys.argv[2:])
