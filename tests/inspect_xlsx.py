"""Read a workbook's structure with openpyxl, independently of partxl's own code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.cell import range_boundaries


@dataclass
class Named:
    name: str
    sheet: str
    address: str  # A1, without $


def defined_cells(book: openpyxl.Workbook) -> dict[str, Named]:
    """Every workbook-level name that points at a single cell."""
    found = {}
    for name, dn in book.defined_names.items():
        for sheet, ref in dn.destinations:
            ref = ref.replace("$", "")
            if ":" not in ref:
                found[name] = Named(name, sheet, ref)
    return found


def unlocked_cells(sheet: Any) -> set[str]:
    return {c.coordinate for row in sheet.iter_rows() for c in row
            if c.has_style and c.protection is not None and not c.protection.locked}


def validation_at(sheet: Any, address: str) -> Any:
    for dv in sheet.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            min_col, min_row, max_col, max_row = range_boundaries(rng.coord)
            col, row = range_boundaries(address)[:2]
            if min_col <= col <= max_col and min_row <= row <= max_row:
                return dv
    return None


def metadata(book: openpyxl.Workbook) -> dict[str, str]:
    sheet = book["_partxl"]
    return {r[0].value: r[1].value or "" for r in sheet.iter_rows(min_row=2, max_col=2) if r[0].value}  # empty text reads as None


def load(path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def register_answers(path: Path, spec: Any) -> dict[tuple[str, str], Any]:
    """Every answer a register workbook holds, as openpyxl cells keyed by (partnership id, cell name).

    Read the way a person would find them: the partnership sheets by column heading, the table
    sheets by row and column, and the Other answers sheet by cell name; the headings come from
    the definitions (spec), the values straight from the file.
    """
    book = openpyxl.load_workbook(path)
    by_heading = {f.register: f"{form.id}_{f.id}" for form in spec.forms.values() for f in form.items()
                  if getattr(f, "columns", None) is None and f.register}
    found: dict[tuple[str, str], Any] = {}
    for sheet_name in ("Register", "Ceased", "Closed"):
        if sheet_name not in book.sheetnames:
            continue
        rows = list(book[sheet_name].iter_rows())
        header = [c.value for c in rows[0]]
        for row in rows[1:]:
            for heading, cell in zip(header, row, strict=True):
                if heading in by_heading and cell.value is not None and row[0].value:
                    found[(row[0].value, by_heading[heading])] = cell
    for form in spec.forms.values():
        for table in form.items():
            if getattr(table, "columns", None) is None or not table.register:
                continue
            rows = list(book[table.register].iter_rows())
            header = [c.value for c in rows[0]]
            labels = {r.label: r.id for r in table.rows} if not isinstance(table.rows, int) else {}
            for row in rows[1:]:
                if not row[0].value:
                    continue
                key = labels.get(row[1].value, str(row[1].value))
                for column in table.columns:
                    cell = row[header.index(column.label)]
                    if cell.value is not None:
                        found[(row[0].value, f"{form.id}_{table.id}_{key}_{column.id}")] = cell
    rows = list(book["Other answers"].iter_rows())
    header = [c.value for c in rows[0]]
    for row in rows[1:]:
        if row[0].value:
            found[(row[0].value, row[header.index("Cell name")].value)] = row[header.index("Answer")]
    return found
