"""What a grading sandbox mounts of the grader's machine: a view of the Python environment and of
`data/` that names no folder of the grader's checkout.

A kernel can read its own mount table (`/proc/self/mountinfo`), which names the host folder each
bind mount comes from, and the Python environment holds the checkout's path in a few files
(`pyvenv.cfg`, the editable install of this package). So the sandbox does not mount the virtual
environment and `data/` where they lie: it mounts a *view* of them, made once per environment in
a private folder of the system's temporary folder (mode 0700, name unpredictable, its path kept in
the environment itself, `<venv>/.coursekit-sandbox-view`):

- `python/lib`: the environment's `lib/`, hard-linked file by file (half a second for 50,000
  files, no disk space), without this package's editable install;
- `python/pyvenv.cfg`: the base interpreter's folder and version only; `python/bin/python`: a link to
  the base interpreter (the sandbox runs `/grading/python/bin/python`);
- `data/<digest>`: the course's data folder, linked (or copied) the same way, bound at /grading/data.

Where hard links cannot be made (the temporary folder on another file system), the environment is
mounted from its own folder at the same neutral path, its files that name the checkout masked, and
`describe()` says that the mount table names the environment's folder.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PYTHON = "/grading/python"  # the environment, inside the sandbox
VIEW_NOTE = ".coursekit-sandbox-view"  # in the venv: where its view lives
SYSTEM_TMP = tempfile.gettempdir()  # as the process started (tests point tempfile at short-lived folders)
_OWN_INSTALL = ("__editable__.coursekit", "__editable___coursekit", "coursekit-")  # this package's install


@dataclass(frozen=True)
class EnvironmentView:
    """The folders the sandbox mounts for the Python environment and the data."""

    python: Path  # bound at PYTHON (a linked view, or the venv itself when `linked` is False)
    linked: bool  # False: the venv is mounted from its own folder (the mount table names it)
    root: Path | None  # the view's folder (where a venv mounted directly keeps its neutral pyvenv.cfg)

    def covers(self) -> list[tuple[str, str]]:
        """(host file, path in the sandbox) to bind over the directly mounted venv's files that name
        the checkout: its pyvenv.cfg by the view's, this package's install by /dev/null."""
        if self.linked or self.root is None:
            return []
        site = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
        own = sorted(p for p in site.iterdir() if p.name.startswith(_OWN_INSTALL)) if site.is_dir() else []
        found = [(str(self.root / "pyvenv.cfg"), f"{PYTHON}/pyvenv.cfg")]
        for path in own:
            for file in ([path] if path.is_file() else sorted(f for f in path.rglob("*") if f.is_file())):
                found.append((os.devnull, f"{PYTHON}/{file.relative_to(sys.prefix).as_posix()}"))
        return found

    def data(self, data_dir: str | None) -> str | None:
        """The folder to bind at /grading/data for the course data at `data_dir` (a view of it)."""
        if not data_dir or self.root is None or not Path(data_dir).is_dir():
            return data_dir
        source = Path(data_dir).resolve()
        stamp = hashlib.sha256(f"{source}|{_tree_stamp(source)}".encode()).hexdigest()[:16]
        target = self.root / "data" / stamp
        if not target.is_dir():
            _link_tree(source, target, ignore=None)
        return str(target)

    def describe(self) -> str:
        return ("the Python environment and data/ through a linked view outside the checkout" if self.linked else
                "the Python environment mounted from its own folder (the kernel's mount table names it)")


def _tree_stamp(folder: Path) -> str:
    """Changes when a file under `folder` is added, removed or rewritten."""
    stats = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            info = path.stat()
            stats.append(f"{path.relative_to(folder)}:{info.st_size}:{info.st_mtime_ns}")
    return hashlib.sha256("\n".join(stats).encode()).hexdigest()


def _link_tree(source: Path, target: Path, ignore) -> None:
    """`target` as a tree of hard links to `source`'s files (a copy where links cannot be made),
    made under a temporary name and renamed (never half made)."""
    partial = target.with_name(target.name + f".partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copytree(source, partial, symlinks=True, ignore=ignore, copy_function=os.link)
    except (OSError, shutil.Error):
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(source, partial, symlinks=True, ignore=ignore)
    os.replace(partial, target)


def _write_pyvenv_cfg(path: Path) -> None:
    """The environment's pyvenv.cfg without the command that made it (which names the checkout)."""
    base = Path(sys._base_executable).resolve()
    path.write_text(f"home = {base.parent}\ninclude-system-site-packages = false\n"
                    f"version = {'.'.join(map(str, sys.version_info[:3]))}\n")


def _environment_stamp() -> str:
    """Changes when the environment is reinstalled (the Makefile's stamp) or moved."""
    stamp = Path(sys.prefix) / ".installed"
    when = stamp.stat().st_mtime_ns if stamp.exists() else (Path(sys.prefix) / "lib").stat().st_mtime_ns
    return hashlib.sha256(f"{Path(sys.prefix).resolve()}|{sys.version}|{when}".encode()).hexdigest()[:16]


def _valid(root: Path, stamp: str) -> bool:
    try:
        info = root.stat()
        return (info.st_uid == os.geteuid() and (info.st_mode & 0o077) == 0
                and (root / "stamp").read_text() == stamp and (root / "python" / "bin" / "python").is_symlink())
    except OSError:
        return False


def _build(stamp: str) -> Path | None:
    """A new linked view of the environment; None where its files cannot be hard-linked."""
    root = Path(tempfile.mkdtemp(prefix="coursekit-view-", dir=SYSTEM_TMP))  # mode 0700, an unpredictable name
    lib = Path(sys.prefix) / "lib"
    probe = next((p for p in lib.rglob("*.py")), None)
    try:
        if probe is None:
            raise OSError("no library files")
        os.link(probe, root / "probe")  # one link first: a temporary folder on another file system fails here
        (root / "probe").unlink()
        python = root / "python"
        (python / "bin").mkdir(parents=True)

        def ignore(folder: str, names: list[str]) -> set[str]:
            return {n for n in names if n.startswith(_OWN_INSTALL)} if folder.endswith("site-packages") else set()

        shutil.copytree(lib, python / "lib", symlinks=True, ignore=ignore, copy_function=os.link)
        base = Path(sys._base_executable).resolve()
        (python / "bin" / "python").symlink_to(base)
        (python / "bin" / "python3").symlink_to("python")
        _write_pyvenv_cfg(python / "pyvenv.cfg")
        (root / "stamp").write_text(stamp)
        return root
    except (OSError, shutil.Error):
        shutil.rmtree(root, ignore_errors=True)
        return None


_VIEW: list[EnvironmentView] = []  # this process's


def environment_view() -> EnvironmentView:
    """The environment's view (made on first use, kept in the venv's note for later runs)."""
    if _VIEW and (_VIEW[0].root is None or _VIEW[0].root.is_dir()):
        return _VIEW[0]
    _VIEW.clear()
    stamp = _environment_stamp()
    note = Path(sys.prefix) / VIEW_NOTE
    try:
        root = Path(note.read_text().strip())
    except OSError:
        root = None
    if root is None or not _valid(root, stamp):
        if root is not None and root.name.startswith("coursekit-view-") and _owned(root):
            shutil.rmtree(root, ignore_errors=True)  # an older view of this environment
        root = _build(stamp)
        if root is not None:
            try:
                note.write_text(str(root))
            except OSError:  # a read-only environment: the view lives as long as this process's
                pass
    if root is not None:
        view = EnvironmentView(root / "python", True, root)
    else:  # mounted from its own folder, its pyvenv.cfg covered by a neutral one
        fallback = Path(tempfile.mkdtemp(prefix="coursekit-view-", dir=SYSTEM_TMP))
        _write_pyvenv_cfg(fallback / "pyvenv.cfg")
        view = EnvironmentView(Path(sys.prefix), False, fallback)
    _VIEW.append(view)
    return view


def _owned(path: Path) -> bool:
    try:
        return path.stat().st_uid == os.geteuid()
    except OSError:
        return False


def python_in_sandbox() -> str:
    """The interpreter a sandboxed program runs."""
    return f"{PYTHON}/bin/python"
