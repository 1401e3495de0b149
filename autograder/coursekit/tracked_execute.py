"""nbgrader's Execute preprocessor as the grader runs it: it notes the cell that timed out (for the
retry without a stuck cell) and times the kernel's start, shutdown and whole run, and each kind of
cell from nbclient's timing metadata (for `make bench`); its kernel client stops waiting as soon as
the kernel is ready (`ready_client_class`)."""
from __future__ import annotations

import time
from pathlib import Path

import nbformat


def cell_digest(source: str) -> str:
    import hashlib

    return hashlib.sha256(source.encode()).hexdigest()


# how long the client listens on IOPub for the idle status of its kernel_info before asking again: a
# subscriber that connects after the kernel published it (ZeroMQ's "slow joiner") never sees it
IOPUB_WAIT_S = 0.05
RECONNECT_MS = 5  # how soon the client's sockets connect again to a kernel not yet listening (ZeroMQ: 100)
EXECUTE_SECONDS: dict[str, float] = {}  # this worker's current job: kernel start, whole execution (see TrackedExecute)


def _seconds(execution: dict) -> float:
    """A cell's run time from nbclient's timing metadata (0 when it did not run)."""
    from datetime import datetime

    try:
        start, end = execution["iopub.execute_input"], execution["shell.execute_reply"]
        return (datetime.fromisoformat(end.replace("Z", "+00:00"))
                - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
    except (KeyError, TypeError, ValueError):
        return 0.0


def cell_seconds(executed: nbformat.NotebookNode, source_cells: list, grader_cells: set[str]) -> dict[str, float]:
    """Seconds the kernel spent on each kind of cell: locked setup, student, instructor, tests, grader's own."""
    instructor = {c.source for c in source_cells if c.cell_type == "code" and "nbgrader" not in c.metadata}
    totals = dict.fromkeys(("locked setup cells", "student cells", "instructor cells run", "test cells",
                            "known-answer cells"), 0.0)
    for cell in executed.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        if cell.source in grader_cells:
            kind = "known-answer cells"
        elif meta.get("grade") and not meta.get("solution"):
            kind = "test cells"
        elif meta.get("locked"):
            kind = "locked setup cells"
        elif not meta and cell.source in instructor:
            kind = "instructor cells run"
        else:
            kind = "student cells"
        totals[kind] += _seconds(cell.metadata.get("execution", {}))
    return {k: round(v, 3) for k, v in totals.items()}


class StuckKernel(RuntimeError):
    """The kernel never answered the interrupt of a timed-out cell (its digest is the message)."""


def ready_client_class():
    """jupyter_client's kernel client with a `wait_for_ready` that ends when the kernel is ready.

    jupyter_client's own, after the kernel answers `kernel_info`, listens to IOPub until it has been
    silent for 0.2 s: every kernel start paid 0.2 s of nothing. This one reads IOPub up to the idle
    status of its own `kernel_info` request (the kernel's earlier messages are read on the way; a late
    one is ignored by nbclient, which reads only the replies to its requests). As jupyter_client's, it
    asks again while IOPub is not yet connected, and fails if the kernel dies or the time runs out. Its
    sockets try again every few milliseconds to reach a kernel that is not yet listening."""
    from queue import Empty

    import zmq
    from jupyter_client.asynchronous import AsyncKernelClient

    class ReadyKernelClient(AsyncKernelClient):
        def start_channels(self, *args, **kwargs):
            """Connect with a short reconnect interval: a kernel binds its sockets some 0.08 s after its
            fork, so the first connection fails, and ZeroMQ tries again only after RECONNECT_IVL (100 ms
            by default): 0.06-0.1 s of every kernel's start spent waiting."""
            self.context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)
            try:
                return super().start_channels(*args, **kwargs)
            finally:  # the context's default for later sockets is the library's again
                self.context.sockopts.pop(zmq.RECONNECT_IVL, None)

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
            while True:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")
                request = self.kernel_info()
                try:
                    reply = await self.shell_channel.get_msg(timeout=1)
                    while reply["parent_header"].get("msg_id") != request:
                        reply = await self.shell_channel.get_msg(timeout=1)
                    while True:  # IOPub up to this request's idle (Empty: not connected yet, ask again)
                        message = await self.iopub_channel.get_msg(timeout=IOPUB_WAIT_S)
                        if (message["parent_header"].get("msg_id") == request and message["msg_type"] == "status"
                                and message["content"].get("execution_state") == "idle"):
                            self._handle_kernel_info_reply(reply)
                            return
                except Empty:
                    if not await self._async_is_alive():
                        raise RuntimeError("Kernel died before replying to kernel_info") from None

    return ReadyKernelClient


def tracked_execute_class():
    """nbgrader's Execute preprocessor, noting the first cell that timed out since the last one that
    answered: if the kernel never answers again, that cell is the one to skip on a retry."""
    from nbclient.util import run_sync
    from nbgrader.preprocessors import Execute
    from traitlets import Unicode

    class TrackedExecute(Execute):
        progress_path = Unicode("").tag(config=True)

        def preprocess(self, nb, resources=None, km=None):
            started = time.perf_counter()
            try:
                return super().preprocess(nb, resources, km)
            finally:
                EXECUTE_SECONDS["execute"] = time.perf_counter() - started

        async def async_start_new_kernel(self, **kwargs):
            started = time.perf_counter()
            await super().async_start_new_kernel(**kwargs)
            self.km.client_factory = ready_client_class()
            EXECUTE_SECONDS["kernel start"] = time.perf_counter() - started

        async def async_start_new_kernel_client(self):
            started = time.perf_counter()
            try:
                return await super().async_start_new_kernel_client()
            finally:
                EXECUTE_SECONDS["kernel start"] = EXECUTE_SECONDS.get("kernel start", 0.0) + time.perf_counter() - started

        async def _async_cleanup_kernel(self):
            started = time.perf_counter()
            try:
                await super()._async_cleanup_kernel()
            finally:
                EXECUTE_SECONDS["kernel shutdown"] = EXECUTE_SECONDS.get("kernel shutdown", 0.0) + time.perf_counter() - started

        _cleanup_kernel = run_sync(_async_cleanup_kernel)
        start_new_kernel = run_sync(async_start_new_kernel)  # nbclient binds the sync names to its own
        start_new_kernel_client = run_sync(async_start_new_kernel_client)

        def on_cell_executed(self, **kwargs):
            super().on_cell_executed(**kwargs)
            if not self.progress_path:
                return
            path = Path(self.progress_path)
            if kwargs["execute_reply"]["content"].get("ename") == "CellTimeoutError":
                if path.exists() and path.read_text():
                    # a second cell timed out and the kernel never answered in between: stop here
                    raise StuckKernel(path.read_text())
                path.write_text(cell_digest(kwargs["cell"].source))
            else:  # the kernel answered: whatever timed out before was not stuck for good
                path.write_text("")

    return TrackedExecute
