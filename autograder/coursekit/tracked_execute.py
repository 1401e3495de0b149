"""nbgrader's Execute preprocessor as the grader runs it: it notes the cell that timed out (for the
retry without a stuck cell) and times the kernel's start, shutdown and whole run, and each kind of
cell from nbclient's timing metadata (for `make bench`)."""
from __future__ import annotations

import time
from pathlib import Path

import nbformat


def cell_digest(source: str) -> str:
    import hashlib

    return hashlib.sha256(source.encode()).hexdigest()


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
