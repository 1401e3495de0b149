"""Output floods bounded while they happen: what a kernel sends the grader is counted as it arrives.

A kernel is capped in memory inside its sandbox, but the grader's worker that receives its outputs is
not sandboxed: a cell printing a gigabyte, or one huge `_repr_pretty_`, would grow the worker and
leave a gigabyte notebook for the formgrader. So, during execution:

- every message a kernel sends is at most MAX_MESSAGE_BYTES (ZeroMQ's own limit on the grader's
  sockets, `ZMQ_MAXMSGSIZE`: a larger one is refused before it is read, and its connection is
  re-made; the cell's output is lost, the grader's memory is not);
- each cell keeps at most `max_cell_bytes` of outputs and the notebook `max_notebook_bytes`: the
  first message past either is dropped, a note takes its place, and the cell is interrupted (it
  stops, and what it would have printed next is dropped too). A flooded test cell fails; any other
  cell costs nothing by itself. The grader names the cell in the submission's note.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# the kernel's side of the limit (zygote_main, standalone in the sandbox) owns the note and the count
from .zygote_main import FLOOD_NOTE, message_bytes

MAX_MESSAGE_BYTES = 8 << 20
MAX_CELL_BYTES = 2 << 20
MAX_NOTEBOOK_BYTES = 16 << 20

FLOOD_MARK = FLOOD_NOTE.split("{")[0]
_COUNTED = {"stream", "display_data", "execute_result", "error", "update_display_data", "clear_output"}


def describe_bytes(count: int) -> str:
    return f"{count / (1 << 20):g} MB" if count >= 1 << 20 else f"{count / 1024:g} kB"


@dataclass
class OutputBudget:
    """Counts one notebook's outputs as they arrive (see the module docstring)."""

    max_cell_bytes: int = MAX_CELL_BYTES
    max_notebook_bytes: int = MAX_NOTEBOOK_BYTES
    notebook_bytes: int = 0
    cell_bytes: dict[int, int] = field(default_factory=dict)
    flooded: dict[int, int] = field(default_factory=dict)  # cell index -> the limit it passed

    def admit(self, msg_type: str, content: dict, cell_index: int, grader_cell: bool = False) -> str:
        """'keep', 'drop' (a cell already stopped), 'stop' (this message passes a limit: drop it, note
        it, interrupt the kernel) or 'stopped' (the kernel cut its own output and stopped the cell:
        keep its note). The grader's own cells count against their cell's limit only."""
        if msg_type not in _COUNTED and not msg_type.startswith("comm"):
            return "keep"
        if cell_index in self.flooded:
            return "drop"
        size = message_bytes(content, max(self.max_cell_bytes, self.max_notebook_bytes))
        shown = content.get("text") if msg_type == "stream" else (content.get("data") or {}).get("text/plain")
        if size <= self.max_cell_bytes + 4096 and FLOOD_MARK in str(shown or ""):
            self.flooded[cell_index] = self.max_cell_bytes
            self.notebook_bytes += size
            return "stopped"
        cell = self.cell_bytes.get(cell_index, 0) + size
        over_notebook = not grader_cell and self.notebook_bytes + size > self.max_notebook_bytes
        if cell > self.max_cell_bytes or over_notebook:
            self.flooded[cell_index] = self.max_cell_bytes if cell > self.max_cell_bytes else self.max_notebook_bytes
            return "stop"
        self.cell_bytes[cell_index] = cell
        if not grader_cell:
            self.notebook_bytes += size
        return "keep"
