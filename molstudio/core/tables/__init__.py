"""Compound tables in and out: CSV, TSV, XLSX, SDF and SMI files, their columns' roles,
censored values and the built-in example sets.

:func:`read_table` / :func:`iter_table_chunks` read (whole or streamed) with a
:class:`LoadReport`; :func:`write_table` / :func:`open_table_writer` write atomically.
The format modules (``sniff``, ``delimited``, ``smi``, ``sdf``, ``xlsx``, ``writers``) and
the cell cleaning they share (``cells``) sit behind these functions.
"""

from molstudio.core.tables.cells import RowProblem
from molstudio.core.tables.columns import (
    ColumnRoles,
    detect_roles,
    is_classification,
    task_type,
)
from molstudio.core.tables.examples import EXAMPLES, Example, write_example
from molstudio.core.tables.qualified import SUFFIX as QUALIFIER_SUFFIX
from molstudio.core.tables.qualified import (
    is_qualifier_column,
    qualifier_columns,
    split_qualified,
)
from molstudio.core.tables.reading import (
    SUPPORTED_EXTENSIONS,
    LoadedTable,
    LoadReport,
    iter_table_chunks,
    open_table_writer,
    read_table,
    write_table,
)

__all__ = [
    "EXAMPLES",
    "QUALIFIER_SUFFIX",
    "SUPPORTED_EXTENSIONS",
    "ColumnRoles",
    "Example",
    "LoadReport",
    "LoadedTable",
    "RowProblem",
    "detect_roles",
    "is_classification",
    "is_qualifier_column",
    "iter_table_chunks",
    "open_table_writer",
    "qualifier_columns",
    "read_table",
    "split_qualified",
    "task_type",
    "write_example",
    "write_table",
]
