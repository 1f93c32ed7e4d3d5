"""Findings: every problem partxl notices, as data.

A finding says where (file, sheet, cell as the user sees it in Excel, field), what is wrong
and what would be right. The report, the CLI and the tests all read these objects; nobody
matches printed text. Each code has one plain-English template, so a message is written once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Severity(enum.StrEnum):
    """How much a finding matters: an error keeps a return out of the register; a warning asks for action."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
SEVERITY_ORDER: dict[str, int] = {ERROR: 0, WARNING: 1, INFO: 2}


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
    form: str = ""

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)  # every field is a string: no need for dataclasses.asdict's deep copy (20k findings)


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
    CLOSED_NOT_ISSUED = (INFO, "{partnership} has ended and been evaluated (Closed), so no workbook was issued.")
    REGISTER_ORPHAN_ROW = (
        WARNING, "Sheet {sheet} row {row} is for partnership {partnership}, which is not on the Register sheet; it was ignored.")

    # Opening a file
    FILE_EMPTY = (ERROR, "The file is empty (0 bytes).")
    FILE_NOT_WORKBOOK = (ERROR, "This is not a workbook partxl can read ({detail}).")
    FILE_ENCRYPTED = (ERROR, "The workbook is protected with a password to open, so it cannot be read.")
    FILE_DAMAGED = (ERROR, "The workbook is damaged and cannot be read ({detail}).")
    FILE_TOO_LARGE = (ERROR, "The file was refused because it would unpack to far more than any return ({detail}).")
    FILE_HOSTILE_XML = (ERROR, "The file was refused because it holds XML that a return never contains ({detail}).")
    FILE_UNREADABLE = (ERROR, "The file could not be read from disk ({detail}).")
    FILE_SKIPPED = (INFO, "Skipped: {detail}.")
    MACROS_IGNORED = (WARNING, "The workbook contains macros; they were neither run nor kept, only its values were read.")
    # Is it ours, and intact?
    NOT_ISSUED = (ERROR, "This workbook was not issued by partxl (it has no issue details), so it cannot be matched to a partnership.")
    METADATA_EDITED = (ERROR, "The workbook's hidden issue details do not match their signature: they were edited, copied from "
                              "another workbook, or the workbook was not issued by this council.")
    WRONG_CYCLE = (ERROR, "This workbook was issued for the {issued} cycle, not {cycle}.")
    FORM_UNKNOWN = (ERROR, "The workbook holds a form '{form}' that the definitions do not describe.")
    FORM_VERSION_OLD = (WARNING, "Sheet '{sheet}' is version {old} of the {form} form; the current version is {new}. "
                                 "Its answers were read by name; questions added since are reported as missing.")
    FORM_VERSION_NEWER = (ERROR, "Sheet '{sheet}' is version {old} of the {form} form, newer than the definitions here ({new}).")
    SHEET_MISSING = (ERROR, "Sheet '{sheet}' is missing, so none of its answers could be read.")
    PROTECTION_REMOVED = (WARNING, "Sheet '{sheet}' is no longer protected.")
    STRUCTURE_MOVED = (WARNING, "On sheet '{sheet}', {count} answer cell(s) are no longer where the form put them "
                                "(rows or columns were inserted, deleted or moved); they were read by their names.")
    SHEET_RENAMED = (WARNING, "Sheet '{expected}' has been renamed '{sheet}'; its answers were read by their names.")
    SHEET_HIDDEN = (WARNING, "Sheet '{sheet}' has been hidden.")
    ANSWER_CELL_DELETED = (ERROR, "The answer cell for '{field}' on sheet '{sheet}' has been deleted (with its row or column), "
                                  "so that answer is lost.")
    IDENTITY_MISMATCH = (WARNING, "The workbook was issued for {partnership} '{issued}', but its name answer reads {value!r}.")
    NAME_MISSING = (WARNING, "The answer cell '{name}' has lost its name; it was read from {cell}, where the form put it.")
    NAMES_UNAVAILABLE = (WARNING, "A {kind} file does not keep the names of answer cells; answers were read from where the form put them.")
    # Answers
    MISSING = (ERROR, "'{field}' is required but empty.")
    INVALID = (ERROR, "'{field}' reads {value!r}, which is not {right}.")
    NOT_A_CHOICE = (ERROR, "'{field}' reads {value!r}, which is not one of the answers in its list.")
    OUT_OF_RANGE = (ERROR, "'{field}' is {value}, outside the allowed range {low} to {high}.")
    TOO_LONG = (ERROR, "'{field}' is {length:,} characters long; the most allowed is {limit:,}.")
    TOO_FEW_ROWS = (ERROR, "'{field}' needs at least {count} row(s) filled in.")
    ERROR_VALUE = (ERROR, "'{field}' shows the spreadsheet error {value}, not an answer.")
    FORMULA_IN_INPUT = (WARNING, "'{field}' holds a formula; its value {value!r} was used.")
    # Across returns
    SAME_FILE_TWICE = (INFO, "This file is identical to {other}; it was read once.")
    FILENAME_MISMATCH = (WARNING, "The file is named as if for {claimed}, but the workbook is {partnership}'s; "
                                  "it was read as {partnership}.")
    DUPLICATE_RETURN = (WARNING, "Another return for {partnership} ({newer}) is newer, so this one was kept in the history only.")
    NEW_PROPOSAL = (WARNING, "A new partnership proposal ('{value}'); it was added to the register as {partnership}, "
                             "pending SMT approval.")
    UNKNOWN_PARTNERSHIP = (WARNING, "Partnership {partnership} is not on the previous register; it was added as new.")
    EXCLUDED = (INFO, "{partnership} is a {value}: not a partnership under the policy, so it is left off the register.")
    NOT_RETURNED = (WARNING, "No return has been accepted for {partnership} this cycle; last year's entry is kept.")

    def __init__(self, severity: str, template: str):
        self.severity, self.template = severity, template

    def at(self, *, hint: str = "", file: str = "", sheet: str = "", cell: str = "", field: str = "",
           value: Any = "", partnership: str = "", form: str = "", **params: Any) -> Finding:
        message = self.template.format(field=field, value=value, partnership=partnership, sheet=sheet,
                                       cell=cell, form=form, **params)
        return Finding(code=self.name, severity=self.severity, message=message, hint=hint, file=file,
                       sheet=sheet, cell=cell, field=field, value="" if value is None else str(value),
                       partnership=partnership, form=form)


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]


def ordered(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.file, f.partnership, f.sheet,
                                           _cell_key(f.cell), f.code))


def _cell_key(cell: str) -> tuple[int, str]:
    digits = "".join(ch for ch in cell if ch.isdigit())
    return (int(digits) if digits else 0, cell)

