"""coursekit: build the releases of the foundation-models exercise notebooks and grade a class.

Modules, one concern each:
- ``paths``: where things live in the repository and the nbgrader course.
- ``sources``: jupytext percent sources -> nbgrader source notebooks.
- ``releases``: student release (``notebooks/``), solution release (``solutions/``), the LMS zip.
- ``nbgrader_config``: the one nbgrader configuration (CLI, formgrader and in-process API).
- ``grading``: parallel autograding around nbgrader's single-writer sqlite gradebook.
- ``feedback``: per-student HTML feedback that never shows hidden-test code.
- ``reports``: grades.csv, the per-test table and the printed summary.
- ``mutants``: runs the wrong and alternative answers in ``tests/answers`` against the tests.
- ``bench``: timings for ``make bench``.
- ``cli``: ``python -m coursekit ...``, what the Makefile calls.
"""

import os as _os
import sys as _sys

# nbgrader runs the `alembic` executable of its environment when it creates a gradebook, and
# jupyter_client starts kernels by name: make this environment's bin/ win, however we were started.
_bin = _os.path.dirname(_sys.executable)
if _os.environ.get("PATH", "").split(_os.pathsep)[0] != _bin:
    _os.environ["PATH"] = _bin + _os.pathsep + _os.environ.get("PATH", "")
