"""nbgrader's Execute preprocessor as the grader runs it: it notes the cell that timed out (for the
retry without a stuck cell) and times the kernel's start, shutdown and whole run, and each kind of
cell from nbclient's timing metadata (for `make bench`); its kernel client stops waiting as soon as
the kernel is ready (`ready_client_class`)."""
from __future__ import annotations

import time
from pathlib import Path

import nbformat

from .output_limits import FLOOD_NOTE, MAX_CELL_BYTES, MAX_MESSAGE_BYTES, MAX_NOTEBOOK_BYTES, OutputBudget, describe_bytes


def cell_digest(source: str) -> str:
    import hashlib

    return hashlib.sha256(source.encode()).hexdigest()


# how long the client listens on IOPub for the idle status of its kernel_info before asking again: a
# subscriber that connects after the kernel published it (ZeroMQ's "slow joiner") never sees it
IOPUB_WAIT_S = 0.05
IOPUB_RECONNECT_S = 10.0  # for a new IOPub connection to hear the kernel
RECONNECT_MS = 5  # how soon the client's sockets connect again to a kernel not yet listening (ZeroMQ: 100)
EXECUTE_SECONDS: dict[str, float] = {}  # this worker's current job: kernel start, whole execution (see TrackedExecute)
FLOODED: dict[str, int] = {}  # this worker's current job: cell id -> the output limit it passed (see output_limits)


def _seconds(execution: dict) -> float:
    """A cell's run time from nbclient's timing metadata (0 when it did not run); a test run in steps
    notes its own (see hidden_checks)."""
    from datetime import datetime

    if "coursekit.seconds" in execution:
        return float(execution["coursekit.seconds"])
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
            # a message over the limit is refused by ZeroMQ before the grader holds it (see output_limits)
            self.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
            try:
                return super().start_channels(*args, **kwargs)
            finally:  # the context's default for later sockets is the library's again
                self.context.sockopts.pop(zmq.RECONNECT_IVL, None)
                self.context.sockopts.pop(zmq.MAXMSGSIZE, None)

        async def reconnect_iopub(self) -> None:
            """A new IOPub connection, for one that a message over MAX_MESSAGE_BYTES ended (ZeroMQ
            refuses the message and drops the connection for good); ready once it hears the kernel."""
            old, self._iopub_channel = self._iopub_channel, None
            if old is not None:
                old.close()
            self.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
            try:
                self.iopub_channel.start()
            finally:
                self.context.sockopts.pop(zmq.MAXMSGSIZE, None)
            await self.wait_for_ready(timeout=IOPUB_RECONNECT_S)

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


SKIP_TAG = "skip-execution"  # nbclient's tag for a cell it must not run


def tracked_execute_class():
    """nbgrader's Execute preprocessor, noting the first cell that timed out since the last one that
    answered: if the kernel never answers again, that cell is the one to skip on a retry."""
    import asyncio

    from nbclient.util import ensure_async, run_sync
    from nbgrader.preprocessors import Execute
    from traitlets import Integer, List, Unicode

    from .hidden_checks import Baseline, execute_in_steps, split_hidden

    class TrackedExecute(Execute):
        progress_path = Unicode("").tag(config=True)
        max_cell_output_bytes = Integer(MAX_CELL_BYTES, help="Outputs one cell may keep while graded; the "
                                        "cell is stopped at the first message past it").tag(config=True)
        max_notebook_output_bytes = Integer(MAX_NOTEBOOK_BYTES, help="Outputs the notebook's cells may keep in "
                                            "all (the grader's own cells aside); each cell past it is stopped").tag(config=True)
        grader_cell_token = Unicode("", help="Cells whose metadata 'coursekit' holds this token are the "
                                    "grader's own: they count against their cell's limit only, and their state "
                                    "reports are the baseline of the hidden checks' guard (see hidden_checks); "
                                    "without it, test cells run as one request").tag(config=True)
        helper_names = List(Unicode(), help="The locked cells' functions and modules, which the guard before "
                            "each test's hidden checks reports").tag(config=True)
        submission_seed = Integer(0, help="The seed of the hidden tests' per-submission fixtures").tag(config=True)

        def preprocess(self, nb, resources=None, km=None):
            self._budget = OutputBudget(self.max_cell_output_bytes, self.max_notebook_output_bytes)
            self._baseline = Baseline(self.grader_cell_token)
            self._digest_source = None
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

        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            meta = cell.metadata.get("nbgrader", {})
            if (self.grader_cell_token and cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")
                    and SKIP_TAG not in cell.metadata.get("tags", []) and split_hidden(cell.source)):
                self._digest_source = cell.source  # a cell stuck in any step is this cell
                try:
                    cell, outputs = await execute_in_steps(self._execute_one, cell, cell_index, execution_count,
                                                           self._baseline, list(self.helper_names), self.submission_seed)
                finally:
                    self._digest_source = None
                cell.outputs = outputs
                self.nb["cells"][cell_index] = cell
                return cell
            cell = await self._execute_one(cell, cell_index, execution_count, store_history)
            self._baseline.note(cell)
            return cell

        async def _execute_one(self, cell, cell_index, execution_count, store_history):
            self._timed_out = False
            cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            execution = cell.get("metadata", {}).get("execution", {})
            if (cell.cell_type == "code" and "shell.execute_reply" in execution and "iopub.status.idle" not in execution
                    and not self._timed_out and hasattr(self.kc, "reconnect_iopub")):
                # the kernel answered but IOPub never said idle: a message over the limit ended its connection
                self._budget.flooded.setdefault(cell_index, MAX_MESSAGE_BYTES)
                self._flooded(cell, cell_index)
                try:
                    await self.kc.reconnect_iopub()
                except RuntimeError:  # a kernel that no longer answers: the next cell's time limit deals with it
                    pass
            return cell

        execute_cell = run_sync(async_execute_cell)

        def _flooded(self, cell, cell_index) -> None:
            """The error that fails a flooded cell (a flooded test must not pass), and the note for the TA."""
            limit = describe_bytes(self._budget.flooded[cell_index])
            cell.outputs.append(nbformat.v4.new_output(
                "error", ename="OutputLimit", evalue=f"the cell's output passed {limit} while graded",
                traceback=[f"OutputLimit: the cell's output passed {limit} while graded"]))
            FLOODED[cell.get("id") or str(cell_index)] = self._budget.flooded[cell_index]

        def process_message(self, msg, cell, cell_index):
            grader_cell = bool(self.grader_cell_token) and cell.metadata.get("coursekit") == self.grader_cell_token
            verdict = self._budget.admit(msg["msg_type"], msg.get("content") or {}, cell_index, grader_cell)
            if verdict == "keep":
                return super().process_message(msg, cell, cell_index)
            if verdict in ("stop", "stopped"):  # a note and an error (a flooded test must not pass); it stops
                limit = describe_bytes(self._budget.flooded[cell_index])
                if verdict == "stop":
                    cell.outputs.append(nbformat.v4.new_output("stream", name="stdout",
                                                               text=FLOOD_NOTE.format(limit=limit)))
                    asyncio.ensure_future(ensure_async(self.km.interrupt_kernel()))
                else:  # the kernel cut its output itself, noted it and interrupted the cell
                    super().process_message(msg, cell, cell_index)
                self._flooded(cell, cell_index)
            return None

        def on_cell_executed(self, **kwargs):
            super().on_cell_executed(**kwargs)
            self._timed_out = (kwargs.get("execute_reply") or {}).get("content", {}).get("ename") == "CellTimeoutError"
            if not self.progress_path:
                return
            path = Path(self.progress_path)
            if self._timed_out:
                if path.exists() and path.read_text():
                    # a second cell timed out and the kernel never answered in between: stop here
                    raise StuckKernel(path.read_text())
                path.write_text(cell_digest(self._digest_source or kwargs["cell"].source))
            else:  # the kernel answered: whatever timed out before was not stuck for good
                path.write_text("")

    return TrackedExecute
