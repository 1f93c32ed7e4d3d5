"""Findings: every problem partxl notices, as data.

A finding says where (file, sheet, cell as the user sees it in Excel, field), what is wrong
and what would be right. The report, the CLI and the tests all read these objects; nobody
matches printed text. Each code has one plain-English template, so a message is written once.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from typing import Any

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    hint: str = ""
    file: str = ""
    sheet: str = ""
    cell: str = ""
    field: str = ""
    value: str = ""
    partnership: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class Code(enum.Enum):
    """Finding codes with their severity and message template (``str.format`` over the keywords)."""

    REGISTER_MISSING_ID = (ERROR, "Row {row} of the register has no Partnership ID, so no workbook was made for it.")
    REGISTER_DUPLICATE_ID = (ERROR, "Partnership ID {partnership} appears again on row {row}; that row was left out.")
    REGISTER_VALUE_UNREADABLE = (
        WARNING, "{partnership}: the register's '{field}' reads {value!r}, which is not {right}; it was left empty in the workbook.")
    REGISTER_CHOICE_UNKNOWN = (
        WARNING, "{partnership}: the register's '{field}' reads {value!r}, which is not one of the dropdown's answers; "
        "it was copied as it is and the officer will be asked to choose again.")
    REGISTER_UNKNOWN_OFFICER = (
        WARNING, "{partnership}: lead officer {value!r} is not among the officers in the configuration, so the workbook "
        "has no e-mail address to go to.")
    REGISTER_TOO_MANY_ROWS = (
        WARNING, "{partnership}: the register has {count} rows of '{field}' but the form has room for {room}; "
        "only the first {room} were copied (the register keeps them all).")
    REGISTER_UNKNOWN_ROW = (
        WARNING, "{partnership}: '{field}' has a row {value!r} that the form does not have; it was not copied.")
    REGISTER_ORPHAN_ROW = (
        WARNING, "Sheet {sheet} row {row} is for partnership {partnership}, which is not on the Register sheet; it was ignored.")

    def __init__(self, severity: str, template: str):
        self.severity, self.template = severity, template

    def at(self, *, hint: str = "", file: str = "", sheet: str = "", cell: str = "", field: str = "",
           value: Any = "", partnership: str = "", **params: Any) -> Finding:
        message = self.template.format(field=field, value=value, partnership=partnership, sheet=sheet,
                                       cell=cell, **params)
        return Finding(code=self.name, severity=self.severity, message=message, hint=hint, file=file,
                       sheet=sheet, cell=cell, field=field, value="" if value is None else str(value),
                       partnership=partnership)


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]
