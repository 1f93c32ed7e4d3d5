"""Small helpers shared by everything that writes a workbook with xlsxwriter."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from math import ceil
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


def wrapped_height(texts_and_widths: Iterable[tuple[str, float]], line: float = 15, minimum: float = 15) -> float:
    """A row height that shows wrapped text whole: spreadsheet programs do not grow rows written by a library.

    A rough count of lines (characters per line ≈ column width) is enough for screen and print.
    """
    lines = max((sum(ceil(max(len(part), 1) / max(width * 1.2 - 2, 1)) for part in str(text).split("\n"))
                 for text, width in texts_and_widths), default=1)
    return max(minimum, lines * line + 4)


def legacy_password_hash(password: str) -> str:
    """The 16-bit password verifier of ECMA-376 Part 4 §14.7.1, as Excel expects in ``workbookPassword``."""
    digest = 0
    for char in reversed(password):
        digest = ((digest >> 14) & 0x01) | ((digest << 1) & 0x7FFF)
        digest ^= ord(char)
    digest = ((digest >> 14) & 0x01) | ((digest << 1) & 0x7FFF)
    return f"{digest ^ len(password) ^ 0xCE4B:X}"


def lock_structure(data: bytes, password: str) -> bytes:
    """Protect the workbook structure (no renaming, moving, adding or deleting sheets).

    xlsxwriter cannot write ``<workbookProtection>``, so it is added to ``xl/workbook.xml``
    in the finished package; entry order and timestamps are kept, so the output stays
    byte-for-byte reproducible.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    protection = f'<workbookProtection workbookPassword="{legacy_password_hash(password)}" lockStructure="1"/>'
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/workbook.xml":
                text = content.decode("utf-8")
                if "<bookViews>" not in text:
                    raise ValueError("xl/workbook.xml has no <bookViews> to put the protection before")
                content = text.replace("<bookViews>", protection + "<bookViews>", 1).encode("utf-8")
            target.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
