"""Small helpers shared by everything that writes a workbook with xlsxwriter."""

from __future__ import annotations

import datetime as dt
from typing import Any

# Text is never turned into formulas, links or numbers: what a user typed is written as they typed it.
BOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def write_value(sheet: Any, row: int, col: int, value: Any, fmt: Any) -> None:
    """Write by Python type; text always as text, so a name like '=cmd|…' never becomes a formula."""
    if value is None or value == "":
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, fmt)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value, fmt)
    elif isinstance(value, dt.datetime):
        sheet.write_datetime(row, col, value, fmt)
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), fmt)
    else:
        sheet.write_string(row, col, str(value), fmt)
