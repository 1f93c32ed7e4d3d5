"""Writing workbooks with xlsxwriter: what every writer of partxl shares.

``writer`` holds the workbook classes (text never turned into a formula, a locked structure,
streaming for big workbooks) and the guarded fast path over xlsxwriter's internals.
"""

from partxl.xlsx.writer import (
                                BOOK_OPTIONS,
                                STREAM_FROM_ROWS,
                                FastWorkbook,
                                LockedWorkbook,
                                StreamingWorkbook,
                                legacy_password_hash,
                                wrapped_height,
                                write_value,
)

__all__ = ["BOOK_OPTIONS", "STREAM_FROM_ROWS", "FastWorkbook", "LockedWorkbook", "StreamingWorkbook", "legacy_password_hash",
           "wrapped_height", "write_value"]
