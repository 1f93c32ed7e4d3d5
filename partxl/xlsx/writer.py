"""Small helpers shared by everything that writes a workbook with xlsxwriter, and partxl's guarded fast path.

partxl makes xlsxwriter faster by overriding some of its private methods (:class:`FastFormulaWorksheet`)
and calling its private cell writers (:func:`write_value`). Private methods change between xlsxwriter
releases, patch releases included (3.2.1 renamed the cell records, 3.3.0 the row and column records,
3.3.1 sent validation formulas through ``_prepare_formula``), so that fast path is taken only on the
versions it was checked on, byte for byte against stock xlsxwriter (tests/test_xlsx_fastpath.py).
On any other version every workbook is written by xlsxwriter's own classes through its public
methods: slower, never different. ``PARTXL_XLSX_FAST=0`` (or :func:`use_fast_path`) forces that.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import os
import re
import zipfile
from collections.abc import Callable, Iterable
from math import ceil
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter import Workbook
from xlsxwriter.utility import xl_range, xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import Worksheet

from partxl.dates import agreed_serial

STREAM_FROM_ROWS = 50_000  # a workbook expected to hold more rows than this is streamed (see StreamingWorkbook)
# Text is never turned into formulas, links or numbers: what a user typed is written as they typed it.
BOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}

FAST_PATH_VERSIONS = ((3, 2, 0), (3, 3, 1))  # checked byte for byte: these and every release between (3.2.4 cannot be imported)
TESTED = " to ".join(".".join(map(str, v)) for v in FAST_PATH_VERSIONS)
FAST_ENV = "PARTXL_XLSX_FAST"  # "0": always stock xlsxwriter; "1": the fast path even on an unchecked version (to check it)


def _tested(version: str) -> bool:
    """Whether xlsxwriter ``version`` is one the fast path was checked on (a pre-release or local build is not)."""
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", version)
    return match is not None and FAST_PATH_VERSIONS[0] <= tuple(map(int, match.groups())) <= FAST_PATH_VERSIONS[1]


def _fast_by_default() -> bool:
    """``PARTXL_XLSX_FAST`` when set, else the installed xlsxwriter's version: read once, when partxl is imported."""
    forced = os.environ.get(FAST_ENV, "")
    if forced not in ("", "0", "1"):
        raise ValueError(f"{FAST_ENV}={forced!r}: use 0 (stock xlsxwriter) or 1 (partxl's fast path), or leave it unset")
    return forced == "1" if forced else _tested(xlsxwriter.__version__)


FAST_PATH = _fast_by_default()


def use_fast_path(enabled: bool) -> bool:
    """Take the fast path (or not) in workbooks made from now on; returns the previous setting.

    Worker processes forked afterwards inherit it; a process started afresh reads ``PARTXL_XLSX_FAST``.
    A workbook keeps the path it started on, whatever is set while it is being written.
    """
    global FAST_PATH
    previous, FAST_PATH = FAST_PATH, enabled
    return previous


def write_value(sheet: Any, row: int, col: int, value: Any, fmt: Any) -> None:
    """Write by Python type; text always as text, so a name like '=cmd|…' never becomes a formula.

    Rows and columns are always numbers here, so a fast-path sheet has xlsxwriter's private writers
    called directly, skipping the public methods' check for A1-style addresses. With xlsxwriter 3.3.1
    that saves 8-10 % of a 1,000-partnership register (0.66 → 0.62 s CPU), about 1 % of a validation
    report or of generate. Any other sheet is written through the public methods.
    """
    fast = isinstance(sheet, FastFormulaWorksheet)
    if value is None or value == "":
        (sheet._write_blank if fast else sheet.write_blank)(row, col, None, fmt)
    elif isinstance(value, str):
        (sheet._write_string if fast else sheet.write_string)(row, col, value, fmt)
    elif isinstance(value, bool):
        (sheet._write_boolean if fast else sheet.write_boolean)(row, col, value, fmt)
    elif isinstance(value, (int, float)):
        (sheet._write_number if fast else sheet.write_number)(row, col, value, fmt)
    elif isinstance(value, dt.date):  # its serial (partxl.dates); as text where Excel and LibreOffice would differ
        number = agreed_serial(value)
        if number is None:
            (sheet._write_string if fast else sheet.write_string)(row, col, f"{value:%d/%m/%Y}", fmt)
        else:
            (sheet._write_number if fast else sheet.write_number)(row, col, number, fmt)
    else:
        (sheet._write_string if fast else sheet.write_string)(row, col, str(value), fmt)


def wrapped_height(texts_and_widths: Iterable[tuple[str, float]], line: float = 15, minimum: float = 15) -> float:
    """A row height that shows wrapped text whole: spreadsheet programs do not grow rows written by a library.

    A rough count of lines (characters per line ≈ column width) is enough for screen and print.
    """
    lines = max((_lines(str(text), width) for text, width in texts_and_widths), default=1)
    return max(minimum, lines * line + 4)


@functools.lru_cache(maxsize=4096)  # the report's messages and hints repeat from file to file
def _lines(text: str, width: float) -> int:
    return sum(ceil(max(len(part), 1) / max(width * 1.2 - 2, 1)) for part in text.split("\n"))


def legacy_password_hash(password: str) -> str:
    """The 16-bit password verifier of ECMA-376 Part 4 §14.7.1, as Excel expects in ``workbookPassword``."""
    digest = 0
    for char in reversed(password):
        digest = ((digest >> 14) & 0x01) | ((digest << 1) & 0x7FFF)
        digest ^= ord(char)
    digest = ((digest >> 14) & 0x01) | ((digest << 1) & 0x7FFF)
    return f"{digest ^ len(password) ^ 0xCE4B:X}"


# Every formula xlsxwriter's _prepare_formula could change when not asked for future functions: each of its
# ``\bNAME\(`` patterns, and its ``\SINGLE\(`` (any character before INGLE). Looser than those, never stricter.
_MAY_EXPAND = re.compile(
    r"(ANCHORARRAY|BYCOL|BYROW|CHOOSECOLS|CHOOSEROWS|DROP|EXPAND|FILTER|HSTACK|LAMBDA|MAKEARRAY|MAP|RANDARRAY|REDUCE|"
    r"SCAN|SEQUENCE|SORT|SORTBY|SWITCH|TAKE|TEXTSPLIT|TOCOL|TOROW|UNIQUE|VSTACK|WRAPCOLS|WRAPROWS|XLOOKUP|INGLE)\(")


class FastFormulaWorksheet(Worksheet):
    """A worksheet that writes its formulas and common cells with less of xlsxwriter's work (fast path only).

    Both overrides give the same text as xlsxwriter; they were kept because each still saves more
    than 3 % of a job it serves (measured on xlsxwriter 3.3.1, CPU time, best of 15, with and without).
    """

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        """A ``write_formula`` formula with none of the Excel 365 functions, only stripped of ``=`` and braces.

        xlsxwriter runs about thirty regular expressions over every formula a cell holds. Saves 5 % of
        generate (41 sample workbooks: 0.77 → 0.73 s), 4-6 % of a 1,000-partnership register, 15-17 %
        of the committee summary. Since 3.3.1 validation and conditional-format formulas come here too,
        asking for future functions: those go to xlsxwriter (they are 7 calls in 8 here, and a third of
        generate's time), as do the formulas of sheets that use future functions.
        """
        if self.use_future_functions or expand_future_functions or _MAY_EXPAND.search(formula):
            return super()._prepare_formula(formula, expand_future_functions)
        return formula.removeprefix("{").removeprefix("=").removesuffix("}")

    def add_table(self, first_row: int, first_col: int, last_row: int, last_col: int,
                  options: dict[str, Any] | None = None) -> Any:
        """A table declared over its header and first row, then stretched to its last row: the same XML.

        xlsxwriter records every cell of a table (three dictionary operations a cell, to refuse overlapping tables,
        which partxl never makes): a tenth of a validation report's time. A table with cells of its own to write
        (data given at once, a formula or a format for a column, a totals row) is added as xlsxwriter adds it.
        """
        given = options or {}
        if "data" in given or given.get("total_row") or not given.get("header_row", True) or last_row <= first_row + 1 \
                or any(c.get("formula") or c.get("format") or c.get("total_function") for c in given.get("columns", [])):
            return super().add_table(first_row, first_col, last_row, last_col, options)
        before = len(self.tables)
        done = super().add_table(first_row, first_col, first_row + 1, last_col, options)
        if done == 0 and len(self.tables) == before + 1:
            table, whole = self.tables[-1], xl_range(first_row, first_col, last_row, last_col)
            table["range"] = table["a_range"] = whole
            if table.get("autofilter"):
                table["autofilter"] = whole
                for col in range(first_col, last_col + 1):
                    self.filter_cells[(first_row, col)] = ("table", whole)
        return done

    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        """A formatted text, number or blank cell written straight away; every other cell as xlsxwriter does.

        This is the innermost loop of writing a sheet; xlsxwriter builds a list of attributes and
        runs an escaping regular expression over each, though a cell reference and a style number
        never need escaping. Saves 31-33 % of a 1,000-partnership register (0.81 → 0.62 s), 54-57 % of
        it streamed, 14-17 % of a validation report, 13 % of the summary, 2-4 % of generate.
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
    """xlsxwriter's workbook; its sheets take the fast path if :data:`FAST_PATH` is on when it is made."""

    stock_sheet: type[Worksheet] = Worksheet
    fast_sheet: type[Worksheet] = FastFormulaWorksheet

    def __init__(self, target: Any, options: dict[str, Any] | None = None):
        super().__init__(target, options)
        self.fast = FAST_PATH
        self.worksheet_class = self.fast_sheet if self.fast else self.stock_sheet  # as add_worksheet documents


class LockedWorkbook(FastWorkbook):
    """A workbook whose structure is protected (no renaming, moving, adding or deleting sheets).

    xlsxwriter has no option for ``<workbookProtection>``, which belongs just before ``<bookViews>``
    in xl/workbook.xml. The fast path writes it there from xlsxwriter's private ``_write_book_views``;
    otherwise the finished package is rewritten with it, by zipfile alone, so the lock holds on any
    xlsxwriter (at about 2.5 ms a workbook). Both give the same xl/workbook.xml.
    """

    def __init__(self, target: Any, options: dict[str, Any] | None = None, *, structure_password: str = ""):
        super().__init__(target, options)
        self.target = target
        self.protection = f'<workbookProtection workbookPassword="{legacy_password_hash(structure_password)}" lockStructure="1"/>'

    def _write_book_views(self, *args: Any, **kwargs: Any) -> None:
        if self.fast:
            self.fh.write(self.protection)
        super()._write_book_views(*args, **kwargs)

    def close(self) -> None:
        super().close()
        if not self.fast:
            _rewrite(self.target, lambda package: _with_part(package, "xl/workbook.xml", self._with_protection))

    def _with_protection(self, xml: bytes) -> bytes:
        if self.protection.encode() in xml:  # closed twice
            return xml
        if b"<bookViews>" not in xml:
            raise RuntimeError(f"xlsxwriter {xlsxwriter.__version__} wrote no <bookViews>: cannot lock the workbook structure")
        return xml.replace(b"<bookViews>", self.protection.encode() + b"<bookViews>", 1)


def _rewrite(target: Any, change: Callable[[bytes], bytes]) -> None:
    """Replace what xlsxwriter wrote to ``target`` (a file name or a seekable binary file) by ``change`` of it."""
    if isinstance(target, (str, os.PathLike)):
        Path(target).write_bytes(change(Path(target).read_bytes()))
        return
    target.seek(0)
    changed = change(target.read())
    target.seek(0)
    target.truncate()
    target.write(changed)


def _with_part(package: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    """The zip ``package`` with its part ``name`` changed; every part keeps its place, date and compression."""
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        parts = [(info, source.read(info)) for info in source.infolist()]
    rewritten = io.BytesIO()
    with zipfile.ZipFile(rewritten, "w") as target:
        for info, data in parts:
            target.writestr(info, change(data) if info.filename == name else data)
    return rewritten.getvalue()


class _Unrecorded(dict[Any, Any]):
    """Stands in for xlsxwriter's record of every cell of every table, kept only to refuse overlapping tables.

    partxl's tables never overlap, and that record (a dict entry per cell) was most of what a
    streamed register holds: 17 MiB of the 19 MiB peak for 1,000 partnerships (tracemalloc, 3.3.1).
    """

    def __setitem__(self, key: Any, value: Any) -> None:
        return None


class StreamingWorksheet(Worksheet):
    """A worksheet whose rows go to disk as they are finished, when its workbook has ``constant_memory``.

    xlsxwriter refuses tables in that mode because a table's header row may already have gone to
    disk. A table added before any row below its header is written is safe, and partxl adds its
    tables first; adding one later raises rather than writing a broken file. (Only the refusal is
    lifted: the header cells the table writes are still written the streaming way, as inline text.)

    No public option does this, so it leans on xlsxwriter internals on every version, fast path or
    not: the sheet's ``constant_memory`` and ``previous_row``, and ``add_table`` writing its header
    through ``_write_string``. Should a release change those, ``add_table`` raises rather than write
    a broken file; ``stream=False`` then still works.
    """

    constant_memory: bool

    def __init__(self) -> None:
        super().__init__()
        self._headers_written = 0

    def add_table(self, first_row: int, first_col: int, last_row: int, last_col: int,
                  options: dict[str, Any] | None = None) -> Any:
        if not self.constant_memory:
            return super().add_table(first_row, first_col, last_row, last_col, options)
        if not hasattr(self, "previous_row"):
            raise _cannot_stream(self.name, "does not say which rows it has streamed")
        if self.previous_row > first_row:
            raise ValueError(f"table on {self.name} added after its rows were written")
        self.constant_memory, self._headers_written = False, 0
        self._write_string = self._header_cell  # only while the table is added: every other string goes straight through
        try:
            done = super().add_table(first_row, first_col, last_row, last_col, options)
        finally:
            del self._write_string
            self.constant_memory = True
        if done == 0 and (options or {}).get("header_row", True) and self._headers_written < last_col - first_col + 1:
            raise _cannot_stream(self.name, "wrote a table header some other way than _write_string")
        return done

    def _header_cell(self, *args: Any, **kwargs: Any) -> Any:
        """A table's header cell, written as every other cell of this streamed sheet is."""
        self._headers_written += 1
        self.constant_memory = True
        try:
            return Worksheet._write_string(self, *args, **kwargs)
        finally:
            self.constant_memory = False


def _cannot_stream(sheet: str, why: str) -> RuntimeError:
    return RuntimeError(f"xlsxwriter {xlsxwriter.__version__} {why}, so partxl cannot stream the table on {sheet}: "
                        f"write the workbook with stream=False, or install an xlsxwriter from {TESTED} (they were checked)")


class FastStreamingWorksheet(StreamingWorksheet, FastFormulaWorksheet):
    """A :class:`StreamingWorksheet` on the fast path, which also keeps no record of its tables' cells."""

    def __init__(self) -> None:
        super().__init__()
        self.table_cells = _Unrecorded()


class StreamingWorkbook(FastWorkbook):
    """A workbook that can keep finished rows on disk rather than in memory (``stream``).

    Streaming costs time (each text is written inline, through temporary files: a 1,000-return
    consolidation took 0.25 s longer) and saves memory (xlsxwriter holds every cell until the
    end otherwise: at 10,000 returns, hundreds of MB), so it is for big workbooks only. Either
    way, write every sheet top to bottom and add its table and header-row height before its rows.
    """

    stock_sheet = StreamingWorksheet
    fast_sheet = FastStreamingWorksheet

    def __init__(self, target: Any, options: dict[str, Any] | None = None, *, stream: bool):
        super().__init__(target, {**(options or {}), "constant_memory": stream, "in_memory": not stream})
