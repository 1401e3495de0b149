"""nbgrader's autograde of one notebook, in memory: its preprocessors, without a course on disk.

`NbGraderAPI.autograde` wants a course folder per submission: the source and the submission copied
in, the gradebook opened six times (student, submission, notebooks), the notebook read and written
twice through nbconvert (validated after each of twelve preprocessors) and every score written to
the gradebook. The grader needs none of those writes: the scores are read from the executed notebook
(`execution.read_outcomes`) and merged into the course's gradebook by `gradebook_merge`. So a worker
runs nbgrader's own preprocessor classes, in nbgrader's order and with the course's configuration,
on the notebook it holds:

- sanitize: ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata
  (the kernelspec and the graded cells come from the gradebook snapshot, read-only);
- autograde, with NBGRADER_EXECUTION=autograde: Execute (the grader's `TrackedExecute`),
  IgnorePattern, ClearMetadataPreprocessor, LimitOutput.

Left out: SaveAutoGrades and AssignLatePenalties (they only write scores into the gradebook), and
the second CheckCellMetadata (it re-reads the metadata the first one checked; the kernel changes
outputs only). The notebook is normalised and validated as nbconvert does, once per stage rather
than after every preprocessor. The submission's other files reach the kernel's folder as nbgrader
copies them (its ignore globs, no notebooks), regular files only. `tests/test_nbgrader_pass.py`
compares the result with nbgrader's own autograde of the same submission; `tests/test_grading.py`
and `tests/test_mutants.py` hold every grade of the example class and of every answer in
`tests/answers` to what the sources expect.
"""
from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import nbformat
from nbformat import validator


def copy_other_files(submission: Path, kernel_dir: Path, ignore: list[str]) -> None:
    """The files nbgrader's autograde copies next to the notebook (not its ignored globs, no
    notebook), without symbolic links or checkpoints (`model.submission_files`)."""
    from nbgrader.utils import find_all_files

    from .model import submission_files

    wanted = {Path(p) for p in find_all_files(str(submission), ignore + ["*.ipynb"])}
    for path in submission_files(submission):
        if path in wanted:
            target = kernel_dir / path.relative_to(submission)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)


def _checked(nb: nbformat.NotebookNode, stage: str) -> None:
    try:
        nbformat.validate(nb, relax_add_props=True)
    except nbformat.ValidationError as error:  # as nbconvert: an invalid notebook is not graded
        raise nbformat.ValidationError(f"the notebook is invalid after nbgrader's {stage}: {error.message}") from None


def read_and_check_schemas_once() -> None:
    """Make nbgrader's cell-metadata validator read and check its JSON schemas once per process.

    As released, OverwriteCells makes a new validator for every cell, which reads three schema
    files from disk, and every cell's check calls `jsonschema.validate`, which checks the schema
    itself before the cell (two thirds of a notebook's 0.15 s in nbgrader's preprocessors). The
    checks are the same: each file is read once, each schema checked once, and a cell is validated
    as `jsonschema.validate` does (its best-matching error raised). `tests/test_nbgrader_pass.py`
    compares the whole pass with nbgrader's own autograde."""
    import functools
    import json
    import os
    from types import SimpleNamespace

    import jsonschema
    from nbgrader.nbgraderformat import common

    if isinstance(common.jsonschema, SimpleNamespace):
        return

    @functools.lru_cache(maxsize=None)
    def schema_of(version: int) -> dict:
        with open(os.path.join(common.root, f"v{version:d}.json")) as handle:
            return json.loads(handle.read())

    def read_schema(self) -> None:  # nbgrader's __init__, the file read once
        self.schema = schema_of(self.schema_version)

    validators: dict[int, tuple[dict, object]] = {}  # id(schema) -> (the schema, kept alive; its validator)

    def validate(instance, schema) -> None:
        if id(schema) not in validators:
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            validators[id(schema)] = (schema, cls(schema))
        error = jsonschema.exceptions.best_match(validators[id(schema)][1].iter_errors(instance))
        if error is not None:
            raise error

    common.BaseMetadataValidator.__init__ = read_schema
    common.jsonschema = SimpleNamespace(validate=validate)


def autograde_notebook(nb: nbformat.NotebookNode, *, student: str, assignment: str, db_url: str,
                       kernel_dir: Path, config, execute_class) -> nbformat.NotebookNode:
    """The notebook as nbgrader's autograde leaves it: sanitised against the gradebook at `db_url`,
    executed with `execute_class` in `kernel_dir`. Raises what the preprocessors raise."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, DeduplicateIds, IgnorePattern, LimitOutput,
                                        OverwriteCells, OverwriteKernelspec)
    from nbgrader.utils import setenv

    from .paths import COURSE_ID

    read_and_check_schemas_once()
    resources = {"unique_key": assignment, "output_files_dir": f"{assignment}_files",
                 "metadata": {"name": assignment, "path": str(kernel_dir)},
                 "nbgrader": {"student": student, "assignment": assignment, "notebook": assignment,
                              "db_url": db_url, "course_id": COURSE_ID}}
    stages = (("sanitizing", (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata),
               contextlib.nullcontext()),
              ("autograding", (execute_class, IgnorePattern, ClearMetadataPreprocessor, LimitOutput),
               setenv(NBGRADER_EXECUTION="autograde")))
    for stage, preprocessors, environment in stages:
        _, nb = validator.normalize(nb)
        nb = nbformat.from_dict(nb)
        with environment:
            for preprocessor in preprocessors:
                nb, resources = preprocessor(config=config)(nb, resources)
        _checked(nb, stage)
    return nb
