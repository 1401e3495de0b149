"""Resource caps for one sandbox: memory, processes, file size; cgroups where they can be made.

`apply_caps` runs in the launcher just before it execs bwrap, so the caps bind everything the
sandbox starts. Rlimits always apply (RLIMIT_DATA, RLIMIT_FSIZE; RLIMIT_NPROC binds every user but
root). Where this process may create child cgroups (cgroup v1, or v2 with the controller
delegated), a pids cgroup caps the tasks and a memory cgroup the memory of the whole sandbox.
"""
from __future__ import annotations

import os
import resource
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

MEMORY_LIMIT_MB = 4096
"""Per-process data limit (and the memory cgroup's limit): the solutions peak near 1 GB."""
MAX_PROCESSES = 128
"""Tasks (processes and threads) in one sandbox: a kernel uses about 20."""
MAX_FILE_MB = 512
TMP_SIZE_MB = 512
WORK_SIZE_MB = 512  # the in-memory working folder

@dataclass
class Caps:
    """Which caps hold for one sandbox, and the cgroup folders to remove afterwards."""

    memory: str = ""
    processes: str = ""
    cgroups: list[Path] = field(default_factory=list)


def _own_cgroup(controller: str) -> Path | None:
    """A writable cgroup folder of this process for `controller` (v1, or v2 with it enabled)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            folder = Path("/sys/fs/cgroup") / controller / path.lstrip("/")
        elif controllers == "":
            unified = Path("/sys/fs/cgroup/unified") if Path("/sys/fs/cgroup/unified").is_dir() else Path("/sys/fs/cgroup")
            folder = unified / path.lstrip("/")
            enabled = (folder / "cgroup.subtree_control")
            if not enabled.exists() or controller not in enabled.read_text().split():
                continue
        else:
            continue
        if folder.is_dir() and os.access(folder, os.W_OK):
            return folder
    return None


def _cgroup_limit(controller: str, files: dict[str, str], name: str) -> Path | None:
    """Make a child cgroup with `files` written, move this process into it; None if not possible."""
    parent = _own_cgroup(controller)
    if parent is None:
        return None
    folder = parent / name
    try:
        folder.mkdir()
        for file, value in files.items():
            (folder / file).write_text(value)
        (folder / "cgroup.procs").write_text(str(os.getpid()))
        return folder
    except OSError:
        try:
            folder.rmdir()
        except OSError:
            pass
        return None


def apply_caps(memory_mb: int, max_processes: int) -> Caps:
    """Cap this process (about to exec bwrap) and so everything the sandbox starts."""
    caps = Caps()
    limit = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_MB << 20, MAX_FILE_MB << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    caps.memory = f"{memory_mb} MB of data per process (RLIMIT_DATA)"
    name = f"coursekit-{uuid.uuid4().hex[:12]}"
    pids = _cgroup_limit("pids", {"pids.max": str(max_processes)}, name)
    if pids is not None:
        caps.cgroups.append(pids)
        caps.processes = f"{max_processes} tasks (pids cgroup)"
    elif os.geteuid() != 0:  # RLIMIT_NPROC never binds root, whatever the namespace
        resource.setrlimit(resource.RLIMIT_NPROC, (max_processes, max_processes))
        caps.processes = f"{max_processes} processes (RLIMIT_NPROC)"
    memory = _cgroup_limit("memory", {"memory.limit_in_bytes": str(limit)}, name) or \
        _cgroup_limit("memory", {"memory.max": str(limit)}, name)
    if memory is not None:
        caps.cgroups.append(memory)
        caps.memory += f", {memory_mb} MB in all (memory cgroup)"
    return caps


def remove_cgroups(wait_s: float = 0.0, root_name_prefix: str = "coursekit-") -> int:
    """Remove the empty cgroups that finished sandboxes left (retrying for `wait_s` while their
    last processes exit); return how many are still in use."""
    deadline = time.monotonic() + wait_s
    while True:
        busy = 0
        for controller in ("pids", "memory"):
            parent = _own_cgroup(controller)
            for folder in parent.glob(root_name_prefix + "*") if parent is not None else []:
                try:
                    folder.rmdir()  # fails while a process is still in it
                except OSError:
                    busy += 1
        if not busy or time.monotonic() >= deadline:
            return busy
        time.sleep(0.1)


def describe_caps(memory_mb: int = MEMORY_LIMIT_MB, max_processes: int = MAX_PROCESSES) -> str:
    """Which caps each sandbox will get on this machine (what `apply_caps` will manage to set)."""
    memory = f"{memory_mb} MB of data per process"
    if _own_cgroup("memory") is not None:
        memory += f" and {memory_mb} MB in all (memory cgroup)"
    if _own_cgroup("pids") is not None:
        processes = f"{max_processes} tasks (pids cgroup)"
    elif os.geteuid() != 0:
        processes = f"{max_processes} processes (RLIMIT_NPROC)"
    else:
        processes = "NO process cap (root without a writable pids cgroup)"
    return (f"{memory}, {processes}, {MAX_FILE_MB} MB per file, in-memory /tmp and working folder of "
            f"{TMP_SIZE_MB} and {WORK_SIZE_MB} MB")

