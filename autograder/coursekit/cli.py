"""`python -m coursekit COMMAND`: what the Makefile runs. `python -m coursekit -h` lists the commands."""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from .paths import BUILD_DIR, COURSE_ROOT, STUDENT_RELEASE_DIR, assignments


def cmd_release(args) -> int:
    from .releases import build_student_release, build_student_zip

    paths = build_student_release(args.assignments or assignments())
    # the zip holds the whole release, also when only some notebooks were regenerated
    zip_path = build_student_zip(sorted(STUDENT_RELEASE_DIR.glob("*.ipynb")))
    print(f"student release: {', '.join(str(p) for p in paths)}; zip for the LMS: {zip_path}")
    return 0


def cmd_solutions(args) -> int:
    from .releases import build_solution_release

    paths = build_solution_release(args.assignments or assignments())
    print(f"solution release: {', '.join(str(p) for p in paths)}")
    return 0


def cmd_sources(args) -> int:
    from .sources import build_source_notebook

    for assignment in args.assignments or assignments():
        print(build_source_notebook(assignment))
    return 0


def _grade_and_print(course, args, zip_path: Path | None = None) -> int:
    from .grading import GradingError, grade_class
    from .reports import summary_lines

    try:
        run = grade_class(course, jobs=args.jobs, force=args.force, cell_timeout_s=args.cell_timeout,
                          unsafe=args.unsafe, zip_path=zip_path, every_cell=args.every_cell,
                          scheduler=args.scheduler)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(summary_lines(course, run)))
    return 130 if run.interrupted else 0


def cmd_grade(args) -> int:
    from .model import Course

    course = Course(Path(args.course))
    if args.zip:
        import zipfile

        if not zipfile.is_zipfile(args.zip):
            print(f"error: ZIP={args.zip} is not a zip file (or does not exist).", file=sys.stderr)
            return 2
        return _grade_and_print(course, args, Path(args.zip))
    if not course.submitted_dir.is_dir():
        print(f"error: no submissions: {course.submitted_dir} does not exist. Put the class's submissions there "
              "as <student>/<assignment>/<assignment>.ipynb, or run `make grade ZIP=path/to/lms.zip`.", file=sys.stderr)
        return 2
    return _grade_and_print(course, args)


def cmd_demo(args) -> int:
    from .example_class import build_example_class
    from .model import Course

    root = BUILD_DIR / "demo"
    shutil.rmtree(root, ignore_errors=True)
    course = Course(root / "course")
    build_example_class(assignments(), course.submitted_dir)
    print(f"example class (complete, blank, partial, broken) written to {course.submitted_dir}")
    args.force = True
    return _grade_and_print(course, args)


def cmd_formgrade(args) -> int:
    from .formgrade import main

    return main(Path(args.course), args.port, not args.no_browser)


def cmd_mutants(args) -> int:
    from .mutants import main

    return main(args.assignments or assignments())


def cmd_gpu_check(args) -> int:
    from .gpu_check import main

    return main(args.assignments)


def cmd_bench(args) -> int:
    from .bench import main

    return main(args)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m coursekit", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)

    def add(name, func, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    for name, func, text in (("sources", cmd_sources, "regenerate the nbgrader source notebooks from the scripts"),
                             ("release", cmd_release, "regenerate notebooks/ and the student zip"),
                             ("solutions", cmd_solutions, "regenerate solutions/"),
                             ("mutants", cmd_mutants, "run the wrong and alternative answers in tests/answers")):
        add(name, func, text).add_argument("assignments", nargs="*", help="default: all")
    for name, func, text in (("grade", cmd_grade, "autograde every submission, write feedback and reports"),
                             ("demo", cmd_demo, "grade the bundled example class in build/demo")):
        p = add(name, func, text)
        p.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS") or 0) or None,
                       help="parallel graders (default: all cores)")
        p.add_argument("--force", action="store_true", help="regrade unchanged submissions too")
        p.add_argument("--cell-timeout", type=int, default=None, help="seconds per cell (default 60)")
        p.add_argument("--course", default=str(COURSE_ROOT), help="nbgrader course folder (default autograder/)")
        p.add_argument("--zip", default=None, help="an LMS zip of submissions (a folder per student, or Moodle/Canvas flat names)")
        p.add_argument("--unsafe", action="store_true", default=bool(os.environ.get("UNSAFE")),
                       help="grade without the sandbox (student code runs with your rights; the report says so)")
        p.add_argument("--every-cell", action="store_true", default=bool(os.environ.get("EVERYCELL")),
                       help='also run the instructor cells marked grading="skip" (no grade depends on them)')
        p.add_argument("--scheduler", default=os.environ.get("SCHEDULER") or None,
                       help="a Dask scheduler's address (tcp://host:8786): its workers execute the submissions")
    formgrade = add("formgrade", cmd_formgrade, "open nbgrader's formgrader on a graded course (127.0.0.1, with a token)")
    formgrade.add_argument("--course", default=str(COURSE_ROOT), help="the graded course folder (default autograder/)")
    formgrade.add_argument("--port", type=int, default=8889)
    formgrade.add_argument("--no-browser", action="store_true", help="print the address instead of opening it")
    add("sandbox", cmd_sandbox, "check that the grading sandbox (bubblewrap) works on this machine")
    gpu_check = add("gpu-check", cmd_gpu_check, "on a GPU machine: run the solution, then call each graded torch "
                    "function with CUDA tensors and compare with CPU (exits 2 without a CUDA device)")
    gpu_check.add_argument("assignments", nargs="*", help="default: every notebook with GPU cases (01_contrastive)")
    bench = add("bench", cmd_bench, "time the solutions, every step of one grading, and a class of 20 (make grade, EVERYCELL=1, nbgrader)")
    bench.add_argument("--class-size", type=int, default=20)
    bench.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


def cmd_sandbox(args) -> int:
    from .sandbox import probe

    result = probe()
    print(("sandbox available: " if result.available else "sandbox NOT available: ") + result.detail)
    return 0 if result.available else 1
