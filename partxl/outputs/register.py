"""Write the register workbook: the main table, the Ceased and Closed sheets, detail sheets and an About sheet."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_col_to_name

from partxl.config import Config
from partxl.files import atomic_write_bytes
from partxl.forms import contract
from partxl.forms.definitions import Form, Spec, Table
from partxl.forms.fieldtypes import TYPES
from partxl.forms.layout import layout_form
from partxl.forms.names import cell_name
from partxl.register.model import (
    ANSWER_COLUMN,
    CEASED_SHEET,
    CELL_NAME_COLUMN,
    CLOSED_SHEET,
    ID_COLUMN,
    MAIN_SHEET,
    OTHER_ANSWERS,
    PROPOSED_SHEET,
    RETURNS_OF,
    ROW_COLUMN,
    STAGES,
    STATUS_COLUMN,
    THRESHOLD_NAME,
    Column,
    Record,
    facts,
    register_columns,
    scalar_fields,
    sort_key,
    stage,
    table_fields,
)
from partxl.xlsx import BOOK_OPTIONS, STREAM_FROM_ROWS, StreamingWorkbook, wrapped_height, write_value
from partxl.xlsx.sheets import BOOK_FONT, FONT, HEADING, PAGE_OF, TABLE_STYLE, header_text, print_setup, with_language, write_table
from partxl.xlsx.sheets import Column as TableColumn


def register_bytes(records: list[Record], spec: Spec, config: Config, as_of: dt.date, *, stream: bool | None = None,
                   returns_of: str = "") -> bytes:
    """The register workbook: the main table, detail sheets holding every answer, and an About sheet.

    ``stream`` keeps finished rows on disk; by default, when the register is big (its detail sheets
    run to about twenty rows a partnership).
    """
    buffer = io.BytesIO()
    book = StreamingWorkbook(buffer, {**BOOK_OPTIONS, **BOOK_FONT},
                             stream=len(records) * 20 > STREAM_FROM_ROWS if stream is None else stream)
    book.set_properties({"title": f"Partnership Register {config.cycle}", "author": config.council,
                         "company": config.council, "created": dt.datetime.combine(as_of, dt.time())})
    styles = _register_styles(book)
    records = sorted(records, key=sort_key)
    columns = register_columns(spec, config)
    staged: dict[str, list[Record]] = {sheet: [] for sheet in STAGES}
    for record in records:
        staged[stage(record)].append(record)
    main = _partnership_sheet(book, styles, MAIN_SHEET, "PartnershipRegister", staged[MAIN_SHEET], columns, spec, config, as_of)
    _partnership_sheet(book, styles, PROPOSED_SHEET, "ProposedPartnerships", staged[PROPOSED_SHEET], columns, spec, config, as_of)
    _partnership_sheet(book, styles, CEASED_SHEET, "CeasedPartnerships", staged[CEASED_SHEET], columns, spec, config, as_of)
    _partnership_sheet(book, styles, CLOSED_SHEET, "ClosedPartnerships", staged[CLOSED_SHEET], columns, spec, config, as_of)
    for form, table in table_fields(spec):
        _table_sheet(book, styles, form, table, records)
    _answers_sheet(book, styles, spec, records)
    _about_sheet(book, styles, config, as_of, len(records), returns_of)
    main.activate()
    book.close()
    return with_language(buffer.getvalue(), config.language)



def _partnership_sheet(book: Any, styles: dict[str, Any], name: str, table_name: str, records: list[Record],
                       columns: list[Column], spec: Spec, config: Config, as_of: dt.date) -> Any:
    """One row per partnership: the register itself, and the same layout for ceased and closed ones."""
    sheet = book.add_worksheet(name)
    sheet.add_table(0, 0, max(len(records), 1), len(columns) - 1, {
        "name": table_name, "style": TABLE_STYLE,
        "columns": [{"header": c.heading, "header_format": styles["head"]} for c in columns]})
    sheet.set_row(0, 45)
    grant_col = next(i for i, c in enumerate(columns) if c.heading == "Annual grant (£)")
    for r, record in enumerate(records, start=1):
        known = facts(record, spec, config, as_of)
        for c, column in enumerate(columns):
            if column.kind == "formula":  # the grant threshold flag: live against the About sheet, with its value cached
                grant = f"{xl_col_to_name(grant_col)}{r + 1}"
                sheet.write_formula(r, c, f'=IF(ISNUMBER({grant}),IF({grant}>={THRESHOLD_NAME},"Yes","No"),"")',
                                    styles["text"], column.value(record, known))
            else:
                write_value(sheet, r, c, column.value(record, known), styles.get(column.kind, styles["text"]))
    for c, column in enumerate(columns):
        sheet.set_column(c, c, column.width)
    sheet.freeze_panes(1, 2)
    status_col = next(i for i, c in enumerate(columns) if c.heading == STATUS_COLUMN)
    # A4: the reader's columns, up to Status, across as many pages as keep 10-point text at 8 points or more
    # (on one A3 page it printed at 4.6), each page starting with the partnership's ID and name
    print_setup(sheet, repeat=(0, 0), widths=[c.width for c in columns[:status_col + 1]], repeat_columns=2)
    sheet.print_area(0, 0, max(len(records), 1), status_col)
    title = {MAIN_SHEET: "Partnership Register", PROPOSED_SHEET: "Proposed partnerships (awaiting SMT's agreement)",
             CEASED_SHEET: "Ceased partnerships (evaluation due)",
             CLOSED_SHEET: "Closed partnerships (evaluated)"}[name]
    sheet.set_header(header_text(left=config.council, centre=title, right=config.cycle, size=None))
    sheet.set_footer(header_text(right=PAGE_OF, size=None))
    return sheet


def _register_styles(book: Any) -> dict[str, Any]:
    base = FONT
    styles = {name: book.add_format({**base, "num_format": t.num_format}) for name, t in TYPES.items() if t.num_format}
    styles["text"] = book.add_format({**base, "text_wrap": False})
    styles["longtext"] = book.add_format({**base, "text_wrap": True})
    styles["number"] = book.add_format({**base, "num_format": "0.00"})
    styles["head"] = book.add_format({**base, **HEADING, "valign": "bottom"})  # black on pale blue: 16:1
    styles["title"] = book.add_format({**base, "bold": True, "font_size": 14})
    return styles


def _plain_table(book: Any, styles: dict[str, Any], name: str, headings: list[tuple[str, int]],
                 rows: Callable[[], Iterator[list[tuple[Any, str]]]], height: Callable[[Sequence[Any]], float | None] | None = None
                 ) -> Any:
    """A sheet holding one Excel table. ``rows`` makes the rows afresh: when the workbook is streamed they are
    counted first, because the table has to be declared before any row is streamed to disk, then written one by
    one, never all held; otherwise they are made once and held."""
    sheet = book.add_worksheet(name)
    made: Iterable[list[tuple[Any, str]]]
    if book.constant_memory:
        made, count = rows(), sum(1 for _ in rows())
    else:
        held = list(rows())
        made, count = held, len(held)
    write_table(sheet, 0, "".join(ch for ch in name.title() if ch.isalnum()), [TableColumn(h, w) for h, w in headings], made,
                count, header_format=styles["head"], style=lambda _col, cell: styles.get(cell[1], styles["text"]),
                write=lambda on, r, c, cell, fmt: write_value(on, r, c, cell[0], fmt), height=height)
    sheet.freeze_panes(1, 1)
    print_setup(sheet, repeat=(0, 0), widths=[w for _, w in headings], repeat_columns=1)
    return sheet


def _table_sheet(book: Any, styles: dict[str, Any], form: Form, table: Table, records: list[Record]) -> None:
    keys = list(table.row_keys())  # worked out once, not for each of thousands of partnerships
    labels = [table.row_label(key) if table.fixed else int(key) for key in keys]
    names = [[cell_name(form.id, table.id, key, c.id) for c in table.columns] for key in keys]
    types = [c.type for c in table.columns]
    fixed = table.fixed

    def rows() -> Iterator[list[tuple[Any, str]]]:
        for r in records:
            for label, row_names in zip(labels, names, strict=True):
                values = [r.get(name) for name in row_names]
                if fixed or any(v not in (None, "") for v in values):
                    yield [(r.id, "text"), (label, "text"), *zip(values, types, strict=True)]

    headings = [(ID_COLUMN, 12), (ROW_COLUMN, 34 if table.fixed else 6)]
    headings += [(c.label, min(TYPES[c.type].width, 50)) for c in table.columns]
    _plain_table(book, styles, table.register or table.id, headings, rows)


def _answers_sheet(book: Any, styles: dict[str, Any], spec: Spec, records: list[Record]) -> None:
    """Every answer not shown on the partnership sheets or the table sheets, one per row: nothing is lost.

    (Repeating every answer here would pass Excel's 1,048,576-row limit at county scale.)
    """
    shown = {cell_name(form.id, f.id) for form, f in scalar_fields(spec)}
    tabled = {form.id + "_" + t.id for form, t in table_fields(spec)}
    cells = [(form, cell) for form in spec.ordered_forms() for cell in layout_form(form).inputs
             if cell.name not in shown and not (cell.table is not None and f"{form.id}_{cell.table.id}" in tabled)]
    def rows() -> Iterator[list[tuple[Any, str]]]:
        for r in records:
            for form, cell in cells:
                value = r.get(cell.name)
                if value not in (None, ""):
                    kind = cell.field.type if cell.field.type != "longtext" else "longtext"
                    yield [(r.id, "text"), (form.title, "text"), (cell.label, "longtext"), (value, kind), (cell.name, "text")]

    _plain_table(book, styles, OTHER_ANSWERS, [(ID_COLUMN, 12), ("Form", 28), ("Question", 50), (ANSWER_COLUMN, 70),
                                               (CELL_NAME_COLUMN, 30)],
                 rows, height=lambda row: wrapped_height([(row[2][0], 50), (str(row[3][0]), 70)], line=13))


def _about_sheet(book: Any, styles: dict[str, Any], config: Config, as_of: dt.date, count: int, returns_of: str) -> None:
    """What the register is and how to read it; for a consolidated register, which cycle's returns it holds
    (``partxl generate`` refuses to issue that same cycle again from it, unless told to)."""
    sheet = book.add_worksheet("About")
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 90)
    print_setup(sheet, widths=[28, 90])
    sheet.write_string(0, 0, f"{config.council}: Partnership Register {config.cycle}", styles["title"])
    facts = [
        ("As at", as_of), ("Partnerships", count), ("Grant threshold (£)", config.grant_threshold),
        ("Order", "The policy's: statutory partnerships, then the non-statutory ones (" + ", ".join(
            c.casefold() for c in contract.NON_STATUTORY) + "). Not partnerships under the policy, and left out (see the "
            "validation report): " + ", ".join(c.casefold() for c in contract.EXCLUDED_CATEGORIES) + "."),
        ("Grant column", "A live formula: Yes when the annual grant is at or above the threshold above (named GrantThreshold)."),
        ("Ceased and Closed", "An ended partnership moves from the Register to Ceased, and stays there until its "
                              "evaluation (Partnership Policy, Appendix 4) comes back; then it moves to Closed."),
        ("Detail sheets", "Representatives, Assessment and Agreement hold the table answers; "
                          "Other answers holds every answer not shown elsewhere (mostly the evaluation)."),
    ]
    if config.sample_note:
        facts.insert(0, ("SAMPLE", config.sample_note))
    if returns_of:
        facts += [(RETURNS_OF, returns_of), ("Built by", "partxl consolidate, from the returns recorded in its ledger.")]
    for row, (key, value) in enumerate(facts, start=2):
        sheet.write_string(row, 0, key, styles["head"])
        kind = "date" if isinstance(value, dt.date) else ("money" if key.startswith("Grant threshold") else "longtext")
        write_value(sheet, row, 1, value, styles.get(kind, styles["text"]))
        if key.startswith("Grant threshold"):
            book.define_name(THRESHOLD_NAME, f"=About!$B${row + 1}")


def write_register(records: list[Record], spec: Spec, config: Config, path: Path, as_of: dt.date) -> None:
    """Write the register to ``path`` atomically (used for the samples; consolidate keeps copies too)."""
    data = register_bytes(records, spec, config, as_of)
    atomic_write_bytes(Path(path), data)
