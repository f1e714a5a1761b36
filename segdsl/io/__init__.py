"""Data in and out: streaming readers, row validation against an input
schema, and atomic writers for results and rejected rows."""
from .errors import InputError
from .readers import (DEFAULT_BATCH_SIZE, RawRow, columns, detect_format, expand, iter_files,
                      read_batches, read_rows)
from .validate import RowValidator, check_columns
from .writers import (OutputColumn, OutputWriter, QuarantineWriter, open_output, open_quarantine,
                      output_format)

__all__ = [
    "InputError",
    "DEFAULT_BATCH_SIZE", "RawRow", "columns", "detect_format", "expand", "iter_files",
    "read_batches", "read_rows",
    "RowValidator", "check_columns",
    "OutputColumn", "OutputWriter", "QuarantineWriter", "open_output", "open_quarantine",
    "output_format",
]
