"""Writing workbooks with xlsxwriter: what every writer of partxl shares.

``writer`` holds the workbook classes (text never turned into a formula, a locked structure,
streaming for big workbooks) and the guarded fast path over xlsxwriter's internals: taken only on
the xlsxwriter versions it was checked on (``FAST_PATH_VERSIONS``), switched with
:func:`use_fast_path` or ``PARTXL_XLSX_FAST=0|1``.
"""

from partxl.xlsx.writer import (
    BOOK_OPTIONS,
    FAST_PATH_VERSIONS,
    STREAM_FROM_ROWS,
    FastWorkbook,
    LockedWorkbook,
    StreamingWorkbook,
    legacy_password_hash,
    use_fast_path,
    wrapped_height,
    write_value,
)

__all__ = ["BOOK_OPTIONS", "FAST_PATH_VERSIONS", "STREAM_FROM_ROWS", "FastWorkbook", "LockedWorkbook", "StreamingWorkbook",
           "legacy_password_hash", "use_fast_path", "wrapped_height", "write_value"]
