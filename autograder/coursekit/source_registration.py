"""The course's sources, made and registered: each assignment's source notebook is made from its
script (`convert_sources`) and the gradebook learns its graded cells (`register_sources`, through
nbgrader's own `generate_assignment`); `sync_assignments` does both. A small JSON file in the
course's state folder remembers what was made from what, so a re-run converts or registers an
assignment again only when its script (or the code that converts it) changed.

Registering is the start of every run in a new course, and nbgrader's `generate_assignment` spends
most of it on two things the pipeline does once instead (`tests/test_gradebook_location.py` proves the
gradebook's rows are the same as with nbgrader's own preprocessors):

- its SaveCells preprocessor commits after every cell (about a hundred commits, each a write to the
  disk, per notebook): here the cells of a notebook are written in one transaction
  (`OneTransactionSaveCells`), so a registration that fails half-way leaves nothing behind either;
- its cell-metadata validator reads its schema files and checks the schema for every cell
  (`nbgrader_pass.read_and_check_schemas_once`).
"""
from __future__ import annotations

import functools
import json
import warnings
from pathlib import Path

from .gradebook import GradingError, gradebook_location, open_gradebook
from .model import Course, file_digest


def sync_assignments(course: Course) -> dict[str, str]:
    """Make the gradebook know the current source of every assignment; return source digests."""
    return register_sources(course, convert_sources(course))


def _sync_state(course: Course) -> tuple[Path, dict]:
    course.state_dir.mkdir(parents=True, exist_ok=True)
    synced_file = course.synced_sources_file
    return synced_file, json.loads(synced_file.read_text()) if synced_file.exists() else {}


def convert_sources(course: Course) -> dict[str, str]:
    """Make each assignment's source notebook from its script where the script (or the code that
    converts it) changed since it was made, or the notebook was edited since the gradebook learned
    it; return the source notebooks' digests."""
    from .sources import notebook_from_script, write_notebook

    synced_file, synced = _sync_state(course)
    converted = synced.setdefault("converted from", {})
    digests = {}
    for assignment in course.assignments():
        script = course.scripts_dir / assignment / f"{assignment}.py"
        made_from = _conversion_key(script)
        digests[assignment] = (file_digest([course.source_notebook(assignment)], course.root)
                               if course.source_notebook(assignment).exists() else "")
        if converted.get(assignment) != made_from or digests[assignment] != synced.get(assignment):
            # jupytext and the source checks: 0.2-0.3 s a notebook (once per process and script text, see
            # sources), paid again only when its script changed
            write_notebook(notebook_from_script(script), course.source_notebook(assignment))
            digests[assignment] = file_digest([course.source_notebook(assignment)], course.root)
            converted[assignment] = made_from
    synced_file.write_text(json.dumps(synced, indent=1, sort_keys=True))
    return digests


def register_sources(course: Course, digests: dict[str, str]) -> dict[str, str]:
    """Register each source notebook (by `digests`, from `convert_sources`) in the gradebook.

    `generate_assignment` runs only for an assignment whose source changed since the last sync,
    writing its release into the course's git-ignored release/ (the student release in
    notebooks/ is made elsewhere and never from a gradebook that holds submissions).
    """
    from nbgrader.apps.api import NbGraderAPI

    from .nbgrader_pass import read_and_check_schemas_once

    synced_file, synced = _sync_state(course)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with open_gradebook(course) as gradebook:
            registered = {a.name for a in gradebook.assignments}
    read_and_check_schemas_once()
    for assignment, digest in digests.items():
        if synced.get(assignment) == digest and assignment in registered:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = NbGraderAPI(config=registration_config(course)).generate_assignment(assignment, force=True,
                                                                                         create=True)
        if not result["success"]:
            raise GradingError(
                f"nbgrader could not register {assignment} in {gradebook_location(course)}; if its graded cells "
                f"changed after students were graded, grade in a fresh course folder.\n{result.get('log', '')[-2000:]}")
        synced[assignment] = digest
        synced_file.write_text(json.dumps(synced, indent=1, sort_keys=True))
    return digests


def registration_config(course: Course):
    """The course's nbgrader configuration, its `generate_assignment` saving cells in one transaction."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import SaveCells

    config = course.config()
    preprocessors = (config.GenerateAssignment.preprocessors if "preprocessors" in config.GenerateAssignment
                     else GenerateAssignment.class_traits()["preprocessors"].default())
    config.GenerateAssignment.preprocessors = [one_transaction_save_cells() if p is SaveCells else p
                                               for p in preprocessors]
    return config


@functools.cache
def one_transaction_save_cells():
    """nbgrader's SaveCells preprocessor, a notebook's cells written in one transaction."""
    from nbgrader.preprocessors import SaveCells

    class OneTransactionSaveCells(SaveCells):
        """nbgrader's `Gradebook` commits after each cell it adds or updates: while this notebook's cells
        are saved, a commit only flushes (the gradebook's queries see the rows), and the notebook is
        committed at the end, or rolled back whole if saving it fails (nbgrader rolls back and raises on
        a bad cell: that undoes the notebook's earlier cells too)."""

        def _create_notebook(self, nb) -> None:
            session = self.gradebook.db
            session.commit = session.flush  # an attribute of this session object, removed below
            try:
                super()._create_notebook(nb)
            except BaseException:
                del session.commit
                session.rollback()
                raise
            del session.commit
            session.commit()

    return OneTransactionSaveCells


def _conversion_key(script: Path) -> str:
    """What a source notebook is made from: its script and the code that converts it."""
    from . import cell_skipping, sources

    return file_digest([script, Path(sources.__file__), Path(cell_skipping.__file__)], Path("/"))
