"""Read a register file: the wide list of partnerships that workbooks are pre-filled from.

Layout (what ``read_register`` expects and ``partxl.outputs.register`` writes):

- sheet ``Register``: one row per partnership; ``Partnership ID`` and ``Status`` columns, then
  one column per form field that has a ``register:`` heading in its definition;
- one sheet per table field with a ``register:`` heading (``Representatives``, ``Assessment``,
  ``Agreement``): ``Partnership ID``, ``Row`` (the row number, or the fixed row's label or id),
  then one column per table column, headed by its label.

Columns that are not form fields are ignored on reading, so a council's own register with
extra columns works, and so will the consolidated register.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from partxl.config import Config
from partxl.errors import PartxlError
from partxl.findings import Code, Finding
from partxl.forms.definitions import Field, Form, Spec, Table
from partxl.forms.fieldtypes import TYPES, Refused, Unreadable
from partxl.forms.layout import layout_form
from partxl.forms.names import cell_name
from partxl.register.model import (
    ANSWER_COLUMN,
    CEASED_SHEET,
    CELL_NAME_COLUMN,
    CLOSED_SHEET,
    ID_COLUMN,
    LATEST_COLUMN,
    MAIN_SHEET,
    OTHER_ANSWERS,
    PROPOSED_SHEET,
    RETURNED_COLUMN,
    RETURNS_OF,
    ROW_COLUMN,
    SOURCE_COLUMN,
    STAGES,
    STATUS_COLUMN,
    Record,
    ReturnState,
    Status,
    _empty,
    _key,
    scalar_fields,
    table_fields,
)


class RegisterError(PartxlError):
    """A register that cannot be used at all (missing, unreadable, no ID column)."""



@dataclass
class RegisterFile:
    path: Path
    records: list[Record]
    findings: list[Finding]
    returns_of: str = ""  # a consolidated register: the cycle whose returns it holds



def _rows(book: Any, sheet: str) -> Iterator[list[Any]] | None:
    """The sheet's rows one at a time: a county register has millions of cells, never all held as Python objects."""
    if _key(sheet) not in {_key(n) for n in book.sheet_names}:
        return None
    actual = next(n for n in book.sheet_names if _key(n) == _key(sheet))
    return book.get_sheet_by_name(actual).iter_rows()



def read_register(path: Path, spec: Spec, config: Config) -> RegisterFile:
    """Read ``path`` (xlsx, xlsm, xls or ods); choice answers are matched to the forms' lists and the configuration's."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    if not path.is_file():
        raise RegisterError(f"{path}: no such register file")
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every kind of damage
        raise RegisterError(f"{path}: cannot be read as a spreadsheet ({exc})") from None
    main = _rows(book, MAIN_SHEET)
    header = next(main, None) if main is not None else None
    if not header:
        raise RegisterError(f"{path}: has no '{MAIN_SHEET}' sheet with a header row")
    reader = _Reader(path, spec, config)
    records: dict[str, Record] = {}
    for sheet in STAGES:
        rows = main if sheet == MAIN_SHEET else _rows(book, sheet)
        first = header if sheet == MAIN_SHEET else next(rows, None) if rows is not None else None
        if rows is not None and first:
            reader.main(first, rows, sheet, records)
    records_list = list(records.values())
    for form, table in table_fields(spec):
        rows = _rows(book, table.register or "")
        first = next(rows, None) if rows is not None else None
        if rows is not None and first:
            reader.table(form, table, first, rows, {r.id.casefold(): r for r in records_list})
    rows = _rows(book, OTHER_ANSWERS)
    first = next(rows, None) if rows is not None else None
    if rows is not None and first:
        reader.other_answers(first, rows, {r.id.casefold(): r for r in records_list})
    return RegisterFile(path, records_list, reader.findings, _returns_of(book))


def _returns_of(book: Any) -> str:
    """The cycle whose returns a consolidated register holds, from its About sheet ("" for any other register)."""
    about = _rows(book, "About")
    for row in about or ():
        if len(row) > 1 and _key(row[0]) == _key(RETURNS_OF):
            return str(row[1]).strip()
    return ""


class _Reader:
    def __init__(self, path: Path, spec: Spec, config: Config):
        self.path, self.spec, self.config = path, spec, config
        self.findings: list[Finding] = []
        self._choice_keys: dict[int, dict[str, str]] = {}

    def main(self, first: list[Any], rows: Iterator[list[Any]], sheet: str, records: dict[str, Record]) -> None:
        """Read one sheet of partnerships (Register, Ceased or Closed) into ``records``."""
        header = [_key(h) for h in first]
        if _key(ID_COLUMN) not in header:
            raise RegisterError(f"{self.path}: the '{sheet}' sheet has no '{ID_COLUMN}' column in row 1")
        columns = {_key(f.register): (form, f) for form, f in scalar_fields(self.spec)}
        id_col = header.index(_key(ID_COLUMN))
        status_col = header.index(_key(STATUS_COLUMN)) if _key(STATUS_COLUMN) in header else None
        plan = [(col, cell_name(columns[heading][0].id, columns[heading][1].id), columns[heading][1])
                for col, heading in enumerate(header) if heading in columns]  # worked out once a sheet, not once a row
        for number, row in enumerate(rows, start=2):
            if all(_empty(v) for v in row):
                continue
            pid = TYPES["text"].parse(row[id_col]) if not _empty(row[id_col]) else ""
            if not pid:
                self.findings.append(Code.REGISTER_MISSING_ID.at(file=str(self.path), sheet=sheet, row=number))
                continue
            if pid.casefold() in records:  # case-blind: P1 and p1 would be one file on Windows
                self.findings.append(Code.REGISTER_DUPLICATE_ID.at(file=str(self.path), sheet=sheet,
                                                                   partnership=pid, row=number))
                continue
            record = Record(pid, status=self._status(row[status_col] if status_col is not None else None, pid, sheet, number))
            for col, name, fld in plan:
                if col < len(row) and not _empty(row[col]):
                    self.put(record, name, fld, row[col], sheet)
            self._return_columns(record, header, row)
            records[pid.casefold()] = record

    def _status(self, raw: Any, pid: str, sheet: str, row: int) -> Status:
        """The Status column: a partnership on the Closed sheet is closed; a blank status is Active."""
        if sheet in (CLOSED_SHEET, PROPOSED_SHEET):  # the sheet says where it is, whatever its Status column says
            return Status.CLOSED if sheet == CLOSED_SHEET else Status.PROPOSED
        if _empty(raw):
            return Status.ENDED if sheet == CEASED_SHEET else Status.ACTIVE
        status = Status.read(raw)
        if status is None:
            self.findings.append(Code.REGISTER_STATUS_UNKNOWN.at(file=str(self.path), sheet=sheet, partnership=pid, row=row,
                                                                 value=raw))
            return Status.ACTIVE
        return status

    @staticmethod
    def _return_columns(record: Record, header: list[str], row: list[Any]) -> None:
        """A consolidated register also says whether, when and from which file each partnership returned."""
        def cell(heading: str) -> Any:
            key = _key(heading)
            return row[header.index(key)] if key in header and header.index(key) < len(row) else None

        record.state = ReturnState.read(str(cell(RETURNED_COLUMN) or ""))
        if record.state == ReturnState.WITH_ERRORS:  # "Returned with errors (3)": the count the officer has to correct
            count = re.search(r"\((\d+)\)", str(cell(RETURNED_COLUMN)))
            record.errors = int(count.group(1)) if count else 0
        latest = cell(LATEST_COLUMN)
        record.latest_return = latest.date() if isinstance(latest, dt.datetime) else latest if isinstance(latest, dt.date) else None
        record.source = str(cell(SOURCE_COLUMN) or "")

    def put(self, record: Record, name: str, fld: Field, raw: Any, sheet: str, label: str = "") -> None:
        kind = TYPES[fld.type]
        try:
            value = kind.parse(raw) if fld.type == "choice" else kind.read(fld, raw)  # a choice is matched below, forgivingly
        except (Unreadable, Refused) as exc:
            right = exc.hint if isinstance(exc, Unreadable) else kind.right(fld)
            self.findings.append(Code.REGISTER_VALUE_UNREADABLE.at(right=right, hint=right,
                                                                   **self._where(record, fld, raw, sheet, label)))
            return
        if fld.type == "choice":
            allowed = self._allowed(fld)
            match = allowed.get(_key(value))
            if match is None:
                self.findings.append(Code.REGISTER_CHOICE_UNKNOWN.at(hint="one of: " + "; ".join(allowed.values()),
                                                                     **self._where(record, fld, raw, sheet, label)))
            value = match or value
        record.values[name] = value

    def _where(self, record: Record, fld: Field, raw: Any, sheet: str, label: str) -> dict[str, Any]:
        """Where a finding about a register value points: made only for a finding (most values are fine)."""
        return dict(file=str(self.path), sheet=sheet, field=label or fld.label, partnership=record.id, value=raw)

    def _allowed(self, fld: Field) -> dict[str, str]:
        """A choice field's allowed values by their comparison key, worked out once per field."""
        if id(fld) not in self._choice_keys:  # fields of different forms may share an id
            allowed: dict[str, str] = {}
            for choice in fld.choices or self.config.choice_list(fld.choices_from or ""):
                allowed.setdefault(_key(choice), choice)
            self._choice_keys[id(fld)] = allowed
        return self._choice_keys[id(fld)]

    def other_answers(self, first: list[Any], rows: Iterator[list[Any]], records: dict[str, Record]) -> None:
        """The Other answers sheet (every answer without a column of its own, most of the evaluation), found by cell name:
        a register read back holds every answer it was written with, so rolling forward loses none."""
        header = [_key(h) for h in first]
        needed = [_key(h) for h in (ID_COLUMN, CELL_NAME_COLUMN, ANSWER_COLUMN)]
        if not set(needed) <= set(header):
            return
        id_col, name_col, answer_col = (header.index(h) for h in needed)
        cells = {c.name: c for form in self.spec.ordered_forms() for c in layout_form(form).inputs}
        for number, row in enumerate(rows, start=2):
            pid, name, answer = (row[c] if c < len(row) else None for c in (id_col, name_col, answer_col))
            if _empty(pid) or _empty(answer):
                continue
            record, cell = records.get(str(pid).strip().casefold()), cells.get(str(name or "").strip())
            if record is None:
                self.findings.append(Code.REGISTER_ORPHAN_ROW.at(file=str(self.path), sheet=OTHER_ANSWERS,
                                                                 partnership=str(pid), row=number))
            elif cell is not None and cell.name not in record.values:  # a question since removed from the forms: ignored
                self.put(record, cell.name, cell.field, answer, OTHER_ANSWERS, cell.label)

    def table(self, form: Form, table: Table, first: list[Any], rows: Iterator[list[Any]], records: dict[str, Record]) -> None:
        sheet = table.register or ""
        header = [_key(h) for h in first]
        if _key(ID_COLUMN) not in header:
            return
        id_col = header.index(_key(ID_COLUMN))
        row_col = header.index(_key(ROW_COLUMN)) if _key(ROW_COLUMN) in header else None
        columns = {col: table.columns[i] for i, c in enumerate(table.columns)
                   for col, h in enumerate(header) if h == _key(c.label)}
        fixed = {_key(r.label): r.id for r in table.rows} | {_key(r.id): r.id for r in table.rows} \
            if isinstance(table.rows, tuple) else {}
        used: dict[str, int] = {}
        names: dict[tuple[str, int], str] = {}  # each answer's name, worked out once a sheet, not once a partnership
        labels = {col: f"{table.label}: {column.label}" for col, column in columns.items()}
        for number, row in enumerate(rows, start=2):
            if all(_empty(v) for v in row):
                continue
            pid = TYPES["text"].parse(row[id_col]) if id_col < len(row) and not _empty(row[id_col]) else ""
            if not pid:
                self.findings.append(Code.REGISTER_MISSING_ID.at(file=str(self.path), sheet=sheet, row=number))
                continue
            if pid.casefold() not in records:  # case-blind, as on the Register sheet
                self.findings.append(Code.REGISTER_ORPHAN_ROW.at(file=str(self.path), sheet=sheet, partnership=pid, row=number))
                continue
            record = records[pid.casefold()]
            pid = record.id
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
                    self.put(record, names.get((key, col)) or names.setdefault((key, col), cell_name(form.id, table.id, key,
                                                                                                      column.id)),
                             column, row[col], sheet, labels[col])
        for pid, count in used.items():
            if not table.fixed and count > table.rows:  # type: ignore[operator]
                self.findings.append(Code.REGISTER_TOO_MANY_ROWS.at(
                    file=str(self.path), sheet=sheet, partnership=pid, field=table.label, count=count, room=table.rows))


