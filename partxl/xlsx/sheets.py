"""What every sheet partxl prints shares: fonts and colours, page setup, header and footer text, table sheets.

The workbooks officers fill in, the register, the validation report and the committee summary
all look and print alike because they take these from here; a fix made here (the escaping of a
header, the paper size) reaches every one of them.
"""

from __future__ import annotations

import copy
import io
import struct
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape  # not xml.sax.saxutils, which imports urllib.request (ssl, http.client, email...): 30 ms
from typing import Any

FONT = {"font_name": "Arial", "font_size": 10, "valign": "top"}  # every cell format starts from this
# Every text colour partxl writes on every fill it writes reaches WCAG 2.2's 4.5:1 (tests/test_a11y_workbooks.py
# reads them back from each workbook's styles): navy on white 8.9:1, white on navy 8.9:1, black on heading blue 16:1.
NAVY, WHITE, GREY, YELLOW = "#1F4E79", "#FFFFFF", "#F2F2F2", "#FFF2CC"
HEADING = {"bold": True, "text_wrap": True, "bg_color": "#D9E1F2", "border": 1, "border_color": "#8EA9DB"}
A4, A3 = 9, 8  # Excel's paper codes
# Excel's table style for every table: a bold black header over a blue rule, rows banded in pale blue (#DCE6F1).
# The Light 8-14 and Medium 1-7 styles head their tables in white on an accent colour: on Office's blue (#4F81BD)
# that is 4.0:1, below the 4.5:1 WCAG 2.2 asks of text.
TABLE_STYLE = "Table Style Light 2"
# The workbook's own default font (Excel's Normal style, xlsxwriter's Calibri 11 otherwise): column widths are
# counted in its digits, so a program without Calibri (LibreOffice printing the committee papers) drew every
# column a third wider than Excel does and shrank each page to fit; Arial has metric twins everywhere.
BOOK_FONT = {"default_format_properties": {"font_name": "Arial", "font_size": 10, "font_scheme": "none"}}  # not the theme's Calibri
# A score's fill, from red (1, not in place) to pale green (4, standard met), each a step lighter (CIE L* 54, 66,
# 79, 91): told apart in greyscale and by readers who do not tell red from green; black digits on each reach
# 5.3:1 or more. The forms officers score in and the committee summary colour scores alike.
SCORE_FILLS = {1: "#D9534F", 2: "#E38A3F", 3: "#A8D08D", 4: "#D9EAD3"}
LANGUAGE = "en-GB"  # the language every workbook and PDF partxl writes declares (BCP 47), unless told otherwise
# Fit to the page's width no smaller than this, measured in Excel's column widths: 10-point text prints at 8.5
# points or more in Excel, and at 8 or more from LibreOffice, whose columns come out about 6 % wider.
MIN_PRINT_SCALE = 0.85


class Raw(str):
    """Header or footer text written as it is, with Excel's codes: ``&P`` the page, ``&N`` the pages."""


PAGE_OF = Raw("Page &P of &N")


def header_text(*, left: str = "", centre: str = "", right: str = "", size: int | None = 8) -> str:
    """A header or footer: each part escaped, so that a council called 'A & B' or a partnership called
    '100 Club' prints as written ('&' starts a code, and '&8' followed by digits would be a font size)."""
    def part(code: str, text: str) -> str:
        if not text:
            return ""
        escaped = text if isinstance(text, Raw) else text.replace("&", "&&")
        sized = f"&{size}" if size else ""
        gap = " " if sized and escaped[:1].isdigit() else ""
        return f"&{code}{sized}{gap}{escaped}"

    return part("L", left) + part("C", centre) + part("R", right)


_PAPER_POINTS = {A4: (595.3, 841.9), A3: (841.9, 1190.6)}  # portrait width and height
_SIDE_MARGINS = {True: 0.5, False: 0.7}  # inches a side: partxl's margins, or Excel's default ones


def column_points(width: float) -> float:
    """How wide a column ``width`` characters wide prints, in points, at 100 % (Excel's Arial 10: 7 px a character, 5 px padding)."""
    return (int(width * 7 + 0.5) + 5) * 0.75


def pages_wide(widths: Sequence[float], *, landscape: bool = True, paper: int = A4, margins: bool = True,
               repeat_columns: int = 0) -> int:
    """The fewest pages across that print columns of ``widths`` at :data:`MIN_PRINT_SCALE` or more, the first
    ``repeat_columns`` printed on every page (LibreOffice counts them once a page, the first page too, when it fits)."""
    short, long = _PAPER_POINTS.get(paper, _PAPER_POINTS[A4])
    printable = (long if landscape else short) - 2 * 72 * _SIDE_MARGINS[margins]
    total = sum(column_points(w) for w in widths)
    repeated = sum(column_points(w) for w in widths[:repeat_columns])
    pages = 1
    while (total + (pages if pages > 1 else 0) * repeated) * MIN_PRINT_SCALE > pages * printable and pages < len(widths):
        pages += 1
    return pages


def print_scale(widths: Sequence[float], pages: int = 1, *, landscape: bool = True, paper: int = A4, margins: bool = True,
                repeat_columns: int = 0) -> float:
    """The scale columns of ``widths`` print at when fitted to ``pages`` across (1.0: they fit as they are)."""
    short, long = _PAPER_POINTS.get(paper, _PAPER_POINTS[A4])
    printable = (long if landscape else short) - 2 * 72 * _SIDE_MARGINS[margins]
    total = sum(column_points(w) for w in widths) + (pages if pages > 1 else 0) * sum(column_points(w) for w in widths[:repeat_columns])
    return min(1.0, pages * printable / total)


def print_setup(sheet: Any, *, landscape: bool = True, paper: int = A4, fit_width: bool = True, one_page: bool = False,
                repeat: tuple[int, int] | None = None, margins: bool = True, widths: Sequence[float] | None = None,
                repeat_columns: int = 0) -> None:
    """Print as a reader expects: A4, fitted to the page's width (or onto one page), title rows on every page.

    Given its column ``widths``, a sheet too wide to fit one page at :data:`MIN_PRINT_SCALE` or more is fitted
    to as many pages across as it needs, printed across then down, its first ``repeat_columns`` on every page.
    """
    if landscape:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.set_paper(paper)
    if one_page:
        sheet.fit_to_pages(1, 1)
    elif fit_width:
        across = pages_wide(widths, landscape=landscape, paper=paper, margins=margins, repeat_columns=repeat_columns) \
            if widths else 1
        sheet.fit_to_pages(across, 0)
        if across > 1:
            sheet.print_across()
            if repeat_columns:
                sheet.repeat_columns(0, repeat_columns - 1)
    if repeat is not None:
        sheet.repeat_rows(*repeat)
    if margins:
        sheet.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)


def across(sheet: Any, row: int, first_col: int, last_col: int, text: str, fmt: Any) -> None:
    """``text`` in the first cell of a row's span and ``fmt`` on every cell of it: what a merged range showed,
    without merging (screen readers and Excel's Accessibility Checker trip on merged cells). Give ``fmt``
    ``center_across`` to centre the text across the span, or leave it to run on from the first cell."""
    sheet.write_string(row, first_col, text, fmt)
    for col in range(first_col + 1, last_col + 1):
        sheet.write_blank(row, col, None, fmt)


@dataclass(frozen=True)
class Column:
    """A column of a table sheet: its heading and width."""

    heading: str
    width: int | None = None  # None: the sheet's own column widths stand


def write_table(sheet: Any, top: int, name: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]], count: int, *,
                header_format: Any, style: Callable[[int, Any], Any], write: Callable[[Any, int, int, Any, Any], None],
                height: Callable[[Sequence[Any]], float | None] | None = None, table_style: str = TABLE_STYLE) -> int:
    """An Excel table (with filters) from row ``top``: declared first, then its ``count`` rows written one by one.

    A streamed sheet cannot go back to a row once written, so the table is declared before any of
    its rows; ``rows`` may be a generator. ``style(col, value)`` gives each cell's format, ``write``
    writes it (partxl's text-never-a-formula writer), ``height(row)`` a row's height. Returns the row
    after the table.
    """
    last = top + max(count, 1)
    sheet.add_table(top, 0, last, len(columns) - 1, {
        "name": name, "style": table_style,
        "columns": [{"header": c.heading, "header_format": header_format} for c in columns]})
    for r, row in enumerate(rows, start=top + 1):
        for c, value in enumerate(row):
            write(sheet, r, c, value, style(c, value))
        tall = height(row) if height is not None else None
        if tall is not None:
            sheet.set_row(r, tall)
    for c, column in enumerate(columns):
        if column.width is not None:
            sheet.set_column(c, c, column.width)
    return last + 1


# ---------------------------------------------------------------- the document's language

_CORE = "docProps/core.xml"
_CENTRAL, _END = b"PK\x01\x02", b"PK\x05\x06"


def with_language(package: bytes, language: str = LANGUAGE) -> bytes:
    """The xlsx ``package`` with ``language`` as its document language (``dc:language`` in its core properties,
    Excel's File > Info > Language), which xlsxwriter has no option for.

    Only that small part is written again: every other part is copied as it was, byte for byte, still
    compressed, so a big register costs no more than a form (a zip rewritten part by part would deflate it
    all again). The result is what zipfile gives rewriting the package with that one part changed.
    """
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        infos = source.infolist()
        core = next((info for info in infos if info.filename == _CORE), None)
        if core is None:
            return package
        xml = source.read(core)
    tag = f"<dc:language>{escape(language, quote=False)}</dc:language>".encode()
    if b"<dc:language>" in xml or b"</cp:coreProperties>" not in xml:
        return package
    changed = xml.replace(b"</cp:coreProperties>", tag + b"</cp:coreProperties>", 1)
    single = io.BytesIO()
    with zipfile.ZipFile(single, "w") as alone:
        alone.writestr(copy.copy(core), changed)  # zipfile writes its sizes and offset into the info it is given
    return _with_record(package, infos, core, single.getvalue())


def _with_record(package: bytes, infos: list[zipfile.ZipInfo], replaced: zipfile.ZipInfo, alone: bytes) -> bytes:
    """``package`` with the entry ``replaced`` taken from the one-entry zip ``alone``, every other entry copied raw."""
    end = package.rfind(_END)
    if end < 0 or len(package) >= 0xFFFFFFFF or any(i.header_offset >= 0xFFFFFFFF for i in infos):
        raise ValueError("not a plain zip package")  # zip64 (4 GB): never an xlsx partxl writes
    count, size, start = struct.unpack("<HII", package[end + 10:end + 20])
    alone_end = alone.rfind(_END)
    alone_start = struct.unpack("<I", alone[alone_end + 16:alone_end + 20])[0]
    starts = sorted(i.header_offset for i in infos) + [start]
    span = {i.filename: (i.header_offset, starts[starts.index(i.header_offset) + 1]) for i in infos}
    local, central, at = io.BytesIO(), io.BytesIO(), start
    for info in infos:
        record = _central_record(package, at)
        at += len(record)
        offset = local.tell()
        if info.filename == replaced.filename:
            local.write(alone[:alone_start])
            record = alone[alone_start:alone_end]
        else:
            first, after = span[info.filename]
            local.write(package[first:after])
        central.write(record[:42] + struct.pack("<I", offset) + record[46:])
    body, directory = local.getvalue(), central.getvalue()
    tail = package[end:]
    return body + directory + tail[:10] + struct.pack("<HII", count, len(directory), len(body)) + tail[20:]


def _central_record(package: bytes, at: int) -> bytes:
    if package[at:at + 4] != _CENTRAL:
        raise ValueError("zip central directory out of order")
    name, extra, comment = struct.unpack("<HHH", package[at + 28:at + 34])
    return package[at:at + 46 + name + extra + comment]
