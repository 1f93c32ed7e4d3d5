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
