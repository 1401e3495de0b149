#!/usr/bin/env python3
"""Open the exercise notebooks in JupyterLab, set up as the grader expects: `python start_lab.py`.

What it does, so that nothing about your Python installation changes:
- serves this folder on 127.0.0.1 only, with a token in the address it prints (and opens);
- JupyterLab runs in this folder, so nbgrader's Validate button reads `nbgrader_config.py` here:
  the grader's time limits, so a notebook that validates grades the same;
- the notebooks' kernel, "Python (foundation-models course)", is the Python running this script
  (its kernelspec lives in a temporary folder that is removed when JupyterLab stops), and the only
  kernel JupyterLab offers (another Python would not grade the same);
- nbgrader's instructor tools (Formgrader, Create Assignment, course and assignment lists) are off.

First install the packages once: `python -m pip install -r requirements.txt` (in a virtual
environment, or on Colab-like machines as they are). Stop JupyterLab with Ctrl-C.
Standard library only: this file is not part of the graded work.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
KERNEL_NAME = "fm-course"
KERNEL_DISPLAY_NAME = "Python (foundation-models course)"
NEEDED_MODULES = ("jupyterlab", "nbgrader", "ipykernel", "torch", "numpy", "scipy", "sklearn", "matplotlib")
INSTRUCTOR_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
)
INSTRUCTOR_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:menu",  # would be left empty
    "@jupyterlab/apputils-extension:announcements",  # asks to fetch Jupyter news; the course runs offline
)


def missing_modules() -> list[str]:
    return [name for name in NEEDED_MODULES if importlib.util.find_spec(name) is None]


def write_student_setup(folder: Path) -> dict[str, str]:
    """Kernelspec and Jupyter settings in `folder`; returns the environment variables that use them."""
    kernel_dir = folder / "data" / "kernels" / KERNEL_NAME
    kernel_dir.mkdir(parents=True)
    (kernel_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": KERNEL_DISPLAY_NAME, "language": "python"}, indent=1))
    config_dir = folder / "config"
    (config_dir / "labconfig").mkdir(parents=True)
    # A Jupyter config folder on JUPYTER_CONFIG_PATH outranks the installation's own settings.
    (config_dir / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {name: True for name in INSTRUCTOR_LAB_PLUGINS}}, indent=1))
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {name: False for name in INSTRUCTOR_SERVER_EXTENSIONS}},
         "KernelSpecManager": {"allowed_kernelspecs": [KERNEL_NAME], "ensure_native_kernel": False},
         "MultiKernelManager": {"default_kernel_name": KERNEL_NAME}}, indent=1))

    def prepend(variable: str, path: Path) -> str:
        return os.pathsep.join([str(path)] + [p for p in os.environ.get(variable, "").split(os.pathsep) if p])

    return {"JUPYTER_PATH": prepend("JUPYTER_PATH", folder / "data"),
            "JUPYTER_CONFIG_PATH": prepend("JUPYTER_CONFIG_PATH", config_dir)}


def lab_command(port: int, token: str | None, open_browser: bool) -> list[str]:
    command = [sys.executable, "-m", "jupyterlab", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
               f"--ServerApp.root_dir={HERE}", f"--ServerApp.open_browser={open_browser}"]
    if token is not None:
        command.append(f"--IdentityProvider.token={token}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and Colab-like machines run as root
        command.append("--allow-root")
    return command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8888, help="first port to try (default 8888)")
    parser.add_argument("--no-browser", action="store_true", help="print the address instead of opening it")
    parser.add_argument("--token", default=None, help="the access token (default: a new random one)")
    args = parser.parse_args(argv)
    missing = missing_modules()
    if missing:
        print(f"Missing packages: {', '.join(missing)}. Install them with\n"
              f"  {Path(sys.executable).name} -m pip install -r {HERE / 'requirements.txt'}", file=sys.stderr)
        return 1
    folder = Path(tempfile.mkdtemp(prefix="fm-course-lab-"))
    try:
        env = {**os.environ, **write_student_setup(folder)}
        server = subprocess.Popen(lab_command(args.port, args.token, not args.no_browser), cwd=HERE, env=env)
        signal.signal(signal.SIGTERM, lambda *_: server.terminate())  # stopping the launcher stops JupyterLab
        try:
            return server.wait()
        except KeyboardInterrupt:  # JupyterLab got the Ctrl-C too and asks to confirm; stop it for good
            server.terminate()
            return server.wait()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
