"""What every sheet partxl prints shares: fonts and colours, page setup, header and footer text, table sheets.

The workbooks officers fill in, the register, the validation report and the committee summary
all look and print alike because they take these from here; a fix made here (the escaping of a
header, the paper size) reaches every one of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

FONT = {"font_name": "Arial", "font_size": 10, "valign": "top"}  # every cell format starts from this
NAVY, WHITE, GREY, YELLOW = "#1F4E79", "#FFFFFF", "#F2F2F2", "#FFF2CC"
HEADING = {"bold": True, "text_wrap": True, "bg_color": "#D9E1F2", "border": 1, "border_color": "#8EA9DB"}
A4, A3 = 9, 8  # Excel's paper codes
TABLE_STYLE = "Table Style Light 9"


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


def print_setup(sheet: Any, *, landscape: bool = True, paper: int = A4, fit_width: bool = True, one_page: bool = False,
                repeat: tuple[int, int] | None = None, margins: bool = True) -> None:
    """Print as a reader expects: A4, fitted to the page's width (or onto one page), title rows on every page."""
    if landscape:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.set_paper(paper)
    if one_page:
        sheet.fit_to_pages(1, 1)
    elif fit_width:
        sheet.fit_to_pages(1, 0)
    if repeat is not None:
        sheet.repeat_rows(*repeat)
    if margins:
        sheet.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)


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
