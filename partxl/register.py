"""The register file: the wide list of partnerships that workbooks are pre-filled from.

Layout (what ``read_register`` expects and ``write_register`` writes):

- sheet ``Register``: one row per partnership; ``Partnership ID`` and ``Status`` columns, then
  one column per form field that has a ``register:`` heading in its definition;
- one sheet per table field with a ``register:`` heading (``Representatives``, ``Assessment``,
  ``Agreement``): ``Partnership ID``, ``Row`` (the row number, or the fixed row's label or id),
  then one column per table column, headed by its label.

Columns that are not form fields are ignored on reading, so a council's own register with
extra columns works, and so will the consolidated register.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .fieldtypes import TYPES, Unreadable
from .files import atomic_write
from .findings import Code, Finding
from .spec import Field, Form, Spec, Table, cell_name
from .xlsx import BOOK_OPTIONS, write_value

MAIN_SHEET = "Register"
ID_COLUMN = "Partnership ID"
STATUS_COLUMN = "Status"
ROW_COLUMN = "Row"


class RegisterError(Exception):
    """A register that cannot be used at all (missing, unreadable, no ID column)."""


@dataclass
class Record:
    """One partnership: its id, status and every known answer keyed by cell name."""

    id: str
    status: str = "Active"
    values: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


@dataclass
class RegisterFile:
    path: Path
    records: list[Record]
    findings: list[Finding]


def scalar_fields(spec: Spec) -> Iterator[tuple[Form, Field]]:
    """Fields with a register column, in form order."""
    for form in spec.ordered_forms():
        for item in form.items():
            if isinstance(item, Field) and item.register:
                yield form, item


def table_fields(spec: Spec) -> Iterator[tuple[Form, Table]]:
    for form in spec.ordered_forms():
        for item in form.items():
            if isinstance(item, Table) and item.register:
                yield form, item


def _key(text: Any) -> str:
    return " ".join(str(text).split()).casefold()


def _rows(book: Any, sheet: str) -> list[list[Any]] | None:
    if _key(sheet) not in {_key(n) for n in book.sheet_names}:
        return None
    actual = next(n for n in book.sheet_names if _key(n) == _key(sheet))
    return book.get_sheet_by_name(actual).to_python(skip_empty_area=False)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_register(path: Path, spec: Spec, choices: dict[str, tuple[str, ...]]) -> RegisterFile:
    """Read ``path`` (xlsx, xlsm, xls or ods). ``choices`` maps a choices_from source to its values."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    if not path.is_file():
        raise RegisterError(f"{path}: no such register file")
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every kind of damage
        raise RegisterError(f"{path}: cannot be read as a spreadsheet ({exc})") from None
    rows = _rows(book, MAIN_SHEET)
    if not rows:
        raise RegisterError(f"{path}: has no '{MAIN_SHEET}' sheet with a header row")
    reader = _Reader(path, spec, choices)
    records = reader.main(rows)
    for form, table in table_fields(spec):
        table_rows = _rows(book, table.register or "")
        if table_rows:
            reader.table(form, table, table_rows, {r.id: r for r in records})
    return RegisterFile(path, records, reader.findings)


class _Reader:
    def __init__(self, path: Path, spec: Spec, choices: dict[str, tuple[str, ...]]):
        self.path, self.spec, self.choices = path, spec, choices
        self.findings: list[Finding] = []

    def main(self, rows: list[list[Any]]) -> list[Record]:
        header = [_key(h) for h in rows[0]]
        if _key(ID_COLUMN) not in header:
            raise RegisterError(f"{self.path}: the '{MAIN_SHEET}' sheet has no '{ID_COLUMN}' column in row 1")
        columns = {_key(f.register): (form, f) for form, f in scalar_fields(self.spec)}
        id_col = header.index(_key(ID_COLUMN))
        status_col = header.index(_key(STATUS_COLUMN)) if _key(STATUS_COLUMN) in header else None
        records: dict[str, Record] = {}
        for number, row in enumerate(rows[1:], start=2):
            if all(_empty(v) for v in row):
                continue
            pid = TYPES["text"].parse(row[id_col]) if not _empty(row[id_col]) else ""
            if not pid:
                self.findings.append(Code.REGISTER_MISSING_ID.at(file=str(self.path), sheet=MAIN_SHEET, row=number))
                continue
            if pid.casefold() in records:  # case-blind: P1 and p1 would be one file on Windows
                self.findings.append(Code.REGISTER_DUPLICATE_ID.at(file=str(self.path), sheet=MAIN_SHEET,
                                                                   partnership=pid, row=number))
                continue
            record = Record(pid, status=str(row[status_col]).strip() if status_col is not None and
                            not _empty(row[status_col]) else "Active")
            for col, heading in enumerate(header):
                if heading in columns and col < len(row) and not _empty(row[col]):
                    form, fld = columns[heading]
                    self.put(record, cell_name(form.id, fld.id), fld, row[col], MAIN_SHEET)
            records[pid.casefold()] = record
        return list(records.values())

    def put(self, record: Record, name: str, fld: Field, raw: Any, sheet: str, label: str = "") -> None:
        where = dict(file=str(self.path), sheet=sheet, field=label or fld.label, partnership=record.id, value=raw)
        try:
            value = TYPES[fld.type].parse(raw)
        except Unreadable as exc:
            self.findings.append(Code.REGISTER_VALUE_UNREADABLE.at(right=exc.hint, hint=exc.hint, **where))
            return
        if fld.type == "choice":
            allowed = fld.choices or self.choices.get(fld.choices_from or "", ())
            match = next((c for c in allowed if _key(c) == _key(value)), None)
            if match is None:
                self.findings.append(Code.REGISTER_CHOICE_UNKNOWN.at(hint="one of: " + "; ".join(allowed), **where))
            value = match or value
        record.values[name] = value

    def table(self, form: Form, table: Table, rows: list[list[Any]], records: dict[str, Record]) -> None:
        sheet = table.register or ""
        header = [_key(h) for h in rows[0]]
        if _key(ID_COLUMN) not in header:
            return
        id_col = header.index(_key(ID_COLUMN))
        row_col = header.index(_key(ROW_COLUMN)) if _key(ROW_COLUMN) in header else None
        columns = {col: table.columns[i] for i, c in enumerate(table.columns)
                   for col, h in enumerate(header) if h == _key(c.label)}
        fixed = {(_key(r.label)): r.id for r in table.rows} | {_key(r.id): r.id for r in table.rows} if table.fixed else {}
        used: dict[str, int] = {}
        for number, row in enumerate(rows[1:], start=2):
            if all(_empty(v) for v in row):
                continue
            pid = TYPES["text"].parse(row[id_col])
            if pid not in records:
                self.findings.append(Code.REGISTER_ORPHAN_ROW.at(file=str(self.path), sheet=sheet, partnership=pid, row=number))
                continue
            record = records[pid]
            if table.fixed:
                label = row[row_col] if row_col is not None else ""
                key = fixed.get(_key(label))
                if key is None:
                    self.findings.append(Code.REGISTER_UNKNOWN_ROW.at(file=str(self.path), sheet=sheet, partnership=pid,
                                                                      field=table.label, value=label))
                    continue
            else:
                used[pid] = used.get(pid, 0) + 1
                if used[pid] > table.rows:  # type: ignore[operator]
                    continue
                key = str(used[pid])
            for col, column in columns.items():
                if col < len(row) and not _empty(row[col]):
                    self.put(record, cell_name(form.id, table.id, key, column.id), column, row[col], sheet,
                             f"{table.label}: {column.label}")
        for pid, count in used.items():
            if not table.fixed and count > table.rows:  # type: ignore[operator]
                self.findings.append(Code.REGISTER_TOO_MANY_ROWS.at(
                    file=str(self.path), sheet=sheet, partnership=pid, field=table.label, count=count, room=table.rows))


# ---------------------------------------------------------------- writing


def write_register(records: list[Record], spec: Spec, path: Path) -> None:
    """Write ``records`` in the layout above (atomically), readable and filterable in Excel."""
    import xlsxwriter

    def build(target: Path) -> None:
        book = xlsxwriter.Workbook(str(target), BOOK_OPTIONS)
        head = book.add_format({"bold": True, "bg_color": "#1F4E79", "font_color": "#FFFFFF",
                                "text_wrap": True, "valign": "top", "border": 1})
        formats = {name: book.add_format({"num_format": t.num_format, "valign": "top"})
                   for name, t in TYPES.items() if t.num_format}
        plain = book.add_format({"valign": "top"})
        fields = list(scalar_fields(spec))
        headings = [ID_COLUMN, STATUS_COLUMN] + [f.register or "" for _, f in fields]
        main = [[r.id, r.status] + [(r.get(cell_name(form.id, f.id)), f.type) for form, f in fields]
                for r in records]
        _sheet(book, MAIN_SHEET, headings, main, head, formats, plain, [14, 10] + [min(max(len(h), 12), 40) for h in headings[2:]])
        for form, table in table_fields(spec):
            rows = []
            for r in records:
                for key in table.row_keys():
                    cells = [(r.get(cell_name(form.id, table.id, key, c.id)), c.type) for c in table.columns]
                    if table.fixed or any(v not in (None, "") for v, _ in cells):
                        rows.append([r.id, table.row_label(key) if table.fixed else int(key)] + cells)
            _sheet(book, table.register or table.id, [ID_COLUMN, ROW_COLUMN] + [c.label for c in table.columns],
                   rows, head, formats, plain, [14, 34 if table.fixed else 6] + [min(TYPES[c.type].width, 50) for c in table.columns])
        book.close()

    atomic_write(Path(path), build)


def _sheet(book: Any, name: str, headings: list[str], rows: list[list[Any]], head: Any,
           formats: dict[str, Any], plain: Any, widths: list[int]) -> None:
    sheet = book.add_worksheet(name)
    sheet.write_row(0, 0, headings, head)
    for r, row in enumerate(rows, start=1):
        for c, cell in enumerate(row):
            value, ftype = cell if isinstance(cell, tuple) else (cell, "text")
            write_value(sheet, r, c, value, formats.get(ftype, plain))
    for c, width in enumerate(widths):
        sheet.set_column(c, c, width)
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, max(len(rows), 1), len(headings) - 1)
