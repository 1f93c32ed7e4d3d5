"""Small helpers shared by everything that writes a workbook with xlsxwriter."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from math import ceil
from typing import Any

from xlsxwriter import Workbook
from xlsxwriter.utility import xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import Worksheet

STREAM_FROM_ROWS = 50_000  # a workbook expected to hold more rows than this is streamed (see StreamingWorkbook)
# Text is never turned into formulas, links or numbers: what a user typed is written as they typed it.
BOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def write_value(sheet: Any, row: int, col: int, value: Any, fmt: Any) -> None:
    """Write by Python type; text always as text, so a name like '=cmd|…' never becomes a formula.

    Rows and columns are always numbers here, so xlsxwriter's private writers are called directly,
    skipping the public methods' check for A1-style addresses (a tenth of the time of a 150,000-cell register).
    """
    if value is None or value == "":
        sheet._write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        sheet._write_string(row, col, value, fmt)
    elif isinstance(value, bool):
        sheet._write_boolean(row, col, value, fmt)
    elif isinstance(value, (int, float)):
        sheet._write_number(row, col, value, fmt)
    elif isinstance(value, dt.datetime):
        sheet._write_datetime(row, col, value, fmt)
    elif isinstance(value, dt.date):
        sheet._write_datetime(row, col, dt.datetime.combine(value, dt.time()), fmt)
    else:
        sheet._write_string(row, col, str(value), fmt)


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


_DYNAMIC_FUNCTIONS = re.compile(
    r"\b(ANCHORARRAY|BYCOL|BYROW|CHOOSECOLS|CHOOSEROWS|DROP|EXPAND|FILTER|HSTACK|LAMBDA|MAKEARRAY|MAP|RANDARRAY|REDUCE|"
    r"SCAN|SEQUENCE|SORT|SORTBY|SWITCH|TAKE|TEXTSPLIT|TOCOL|TOROW|UNIQUE|VSTACK|WRAPCOLS|WRAPROWS|XLOOKUP)\(|SINGLE\(")


class FastFormulaWorksheet(Worksheet):
    """A worksheet that skips xlsxwriter's Excel 365 function rewriting when a formula has none of those functions.

    Profiling ``partxl generate`` showed xlsxwriter's ``_prepare_formula`` running about thirty regular
    expressions over every validation and conditional-format formula: 40 % of the time for forms
    that never use a dynamic-array function. The result is the same text; only the work is saved.
    """

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        if self.use_future_functions or expand_future_functions or _DYNAMIC_FUNCTIONS.search(formula):
            return super()._prepare_formula(formula, expand_future_functions)
        if formula.startswith("{"):
            formula = formula[1:]
        if formula.startswith("="):
            formula = formula[1:]
        if formula.endswith("}"):
            formula = formula[:-1]
        return formula


    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        """A formatted text, number or blank cell written straight away; every other cell as xlsxwriter does.

        This is the innermost loop of writing a sheet; xlsxwriter builds a list of attributes and
        runs an escaping regular expression over each, though a cell reference and a style number
        never need escaping. The bytes written are the same (the tests compare whole files).
        """
        fmt = cell.format
        if fmt is None:
            super()._write_cell(row, col, cell)
            return
        kind = type(cell).__name__
        if kind == "String" and self.constant_memory:
            text = cell.string  # written inline: only plain text here, anything xlsxwriter would escape or mark goes to it
            if not _plain(text):
                super()._write_cell(row, col, cell)
                return
            self.fh.write(f'<c r="{xl_rowcol_to_cell_fast(row, col)}" s="{fmt._get_xf_index()}" t="inlineStr"><is><t>{text}</t></is></c>')
        elif kind == "String":
            self.fh.write(f'<c r="{xl_rowcol_to_cell_fast(row, col)}" s="{fmt._get_xf_index()}" t="s"><v>{cell.string}</v></c>')
        elif kind in ("Number", "Datetime"):
            self.fh.write(f'<c r="{xl_rowcol_to_cell_fast(row, col)}" s="{fmt._get_xf_index()}"><v>{cell.number:.16G}</v></c>')
        elif kind == "Blank":
            self.fh.write(f'<c r="{xl_rowcol_to_cell_fast(row, col)}" s="{fmt._get_xf_index()}"/>')
        else:
            super()._write_cell(row, col, cell)


def _plain(text: str) -> bool:
    """Text xlsxwriter would write inline unchanged: no control or non-characters (escaped as _xHHHH_), no literal
    _x escape, no XML markup characters, no leading or trailing space (which needs xml:space), not a rich string."""
    return bool(text) and text.isprintable() and "_x" not in text and "&" not in text and "<" not in text \
        and ">" not in text and not text[0].isspace() and not text[-1].isspace()


class FastWorkbook(Workbook):
    """xlsxwriter's workbook with :class:`FastFormulaWorksheet` sheets."""

    worksheet_class = FastFormulaWorksheet


class LockedWorkbook(FastWorkbook):
    """A workbook whose structure is protected (no renaming, moving, adding or deleting sheets).

    xlsxwriter has no option for ``<workbookProtection>``; it belongs just before ``<bookViews>``.
    """

    def __init__(self, target: Any, options: dict[str, Any] | None = None, *, structure_password: str = ""):
        super().__init__(target, options)
        self.structure_password = structure_password

    def _write_book_views(self) -> None:
        self._xml_empty_tag("workbookProtection", [("workbookPassword", legacy_password_hash(self.structure_password)),
                                                   ("lockStructure", 1)])
        super()._write_book_views()


class _Unrecorded(dict[Any, Any]):
    """Stands in for xlsxwriter's record of every cell of every table, kept only to refuse overlapping tables.

    partxl's tables never overlap, and for a register of 10,000 partnerships that record (a dict
    entry per cell) was one of the largest things in memory.
    """

    def __setitem__(self, key: Any, value: Any) -> None:
        return None


class StreamingWorksheet(FastFormulaWorksheet):
    """A worksheet whose rows go to disk as they are finished, when its workbook has ``constant_memory``.

    xlsxwriter refuses tables in that mode because a table's header row may already have gone to
    disk. A table added before any row below its header is written is safe, and partxl adds its
    tables first; adding one later raises rather than writing a broken file. (Only the refusal is
    lifted: the header cells the table writes are still written the streaming way, as inline text.)
    """

    constant_memory: bool

    def __init__(self) -> None:
        super().__init__()
        self.table_cells = _Unrecorded()
        self._streaming_table = False

    def add_table(self, first_row: int, first_col: int, last_row: int, last_col: int,
                  options: dict[str, Any] | None = None) -> Any:
        if not self.constant_memory:
            return super().add_table(first_row, first_col, last_row, last_col, options)
        if self.previous_row > first_row:
            raise ValueError(f"table on {self.name} added after its rows were written")
        self.constant_memory, self._streaming_table = False, True
        try:
            return super().add_table(first_row, first_col, last_row, last_col, options)
        finally:
            self.constant_memory, self._streaming_table = True, False

    def _write_string(self, row: int, col: int, string: str, cell_format: Any = None) -> int:
        if not self._streaming_table:
            return super()._write_string(row, col, string, cell_format)
        self.constant_memory = True  # a table's header cell: written as every other cell of this sheet is
        try:
            return super()._write_string(row, col, string, cell_format)
        finally:
            self.constant_memory = False


class StreamingWorkbook(FastWorkbook):
    """A workbook that can keep finished rows on disk rather than in memory (``stream``).

    Streaming costs time (each text is written inline, through temporary files: a 1,000-return
    consolidation took 0.25 s longer) and saves memory (xlsxwriter holds every cell until the
    end otherwise: at 10,000 returns, hundreds of MB), so it is for big workbooks only. Either
    way, write every sheet top to bottom and add its table and header-row height before its rows.
    """

    worksheet_class = StreamingWorksheet

    def __init__(self, target: Any, options: dict[str, Any] | None = None, *, stream: bool):
        super().__init__(target, {**(options or {}), "constant_memory": stream, "in_memory": not stream})
