"""Findings: every problem partxl notices, as data.

A finding says where (file, sheet, cell as the user sees it in Excel, field), what is wrong
and what would be right. The report, the CLI and the tests all read these objects; nobody
matches printed text. Each code has one plain-English template, so a message is written once.
"""

from __future__ import annotations

import enum
import sys
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

    def but(self, **changes: str) -> Finding:
        """The same finding with some of its fields changed (a cached finding under the file's new name, say)."""
        return Finding(**{**self.__dict__, **changes})

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)  # every field is a string: no need for dataclasses.asdict's deep copy (20k findings)

    def shared(self) -> Finding:
        """The same finding, its texts shared with the equal texts already held: a run's findings repeat the same few
        hundred messages, codes and names, and each arrives from a worker process as a copy of its own."""
        return Finding(*(sys.intern(text) if type(text) is str else text for text in self.__dict__.values()))


class Code(enum.Enum):
    """Finding codes: severity, message template and hint template (``str.format`` over the finding's keywords).

    The hint says what would be right, in words the officer or the MIO can act on; a call may give a
    more specific one (the field's own help, say). Rules of the form definitions add codes of their own.
    """

    # The register a workbook is pre-filled from
    REGISTER_MISSING_ID = (ERROR, "Row {row} of the register's {sheet} sheet has no Partnership ID, so it was left out.",
                           "Give the row its Partnership ID (P001 …) and run generate again.")
    REGISTER_DUPLICATE_ID = (ERROR, "Partnership ID {partnership} appears again on row {row}; that row was left out.",
                             "Give each partnership its own ID, or delete the repeated row.")
    REGISTER_VALUE_UNREADABLE = (
        WARNING, "{partnership}: the register's '{field}' reads {value!r}, which is not {right}; it was left empty in the workbook.",
        "Correct it in the register to {right}, or let the officer fill it in.")
    REGISTER_CHOICE_UNKNOWN = (
        WARNING, "{partnership}: the register's '{field}' reads {value!r}, which is not one of the dropdown's answers; "
        "it was copied as it is and the officer will be asked to choose again.", "Use one of the dropdown's answers in the register.")
    REGISTER_UNKNOWN_OFFICER = (
        WARNING, "{partnership}: lead officer {value!r} is not among the officers in the configuration, so the workbook "
        "has no e-mail address to go to.", "Add the officer to [[officers]] in partxl.toml, or correct the name in the register.")
    REGISTER_TOO_MANY_ROWS = (
        WARNING, "{partnership}: the register has {count} rows of '{field}' but the form has room for {room}; "
        "only the first {room} were copied (the register keeps them all).", "Add rows to the form, or tidy the register's rows.")
    REGISTER_UNKNOWN_ROW = (
        WARNING, "{partnership}: '{field}' has a row {value!r} that the form does not have; it was not copied.",
        "Name the row as the form does (its label or its id).")
    REGISTER_STATUS_UNKNOWN = (
        WARNING, "{partnership}: the register's Status on {sheet} row {row} reads {value!r}, which is not a status; "
        "it was read as Active.", "Write Active, Ended or Closed (any case): Ended once the partnership has ended, Closed once "
        "it has also been evaluated.")
    PROPOSAL_NOT_ISSUED = (INFO, "{partnership} is a proposal SMT has not agreed yet (on the register's Proposed sheet), "
                                 "so no workbook was issued.", "Once SMT has agreed it, move its row to the Register sheet "
                                 "with its permanent Partnership ID and the Status Active.")
    CLOSED_NOT_ISSUED = (INFO, "{partnership} has ended and been evaluated (Closed), so no workbook was issued.", "Nothing to do.")
    REGISTER_ORPHAN_ROW = (
        WARNING, "Sheet {sheet} row {row} is for partnership {partnership}, which is not on the Register sheet; it was ignored.",
        "Add the partnership to the Register sheet, or correct the ID on this row.")

    # Opening a file
    FILE_EMPTY = (ERROR, "The file is empty (0 bytes).", "Send the workbook again; the copy received is empty.")
    FILE_NOT_WORKBOOK = (ERROR, "This is not a workbook partxl can read ({detail}).", "Send the .xlsx workbook you were issued, filled in.")
    FILE_ENCRYPTED = (ERROR, "The workbook is protected with a password to open, so it cannot be read.",
                      "Save the workbook again without a password to open, then send it.")
    FILE_LABEL_PROTECTED = (ERROR, "The workbook is protected by {detail}, so only the people the label allows can open it, "
                                   "and partxl cannot read it.",
                            "Ask the officer to change the workbook's sensitivity label to one that does not encrypt (in Excel: "
                            "Home, Sensitivity) and send it again; or, if your own account can open it, open it in Excel and "
                            "save a copy under such a label into the returns folder.")
    FILE_DAMAGED = (ERROR, "The workbook is damaged and cannot be read ({detail}).",
                    "Open the workbook in Excel; if it opens, save it again as .xlsx and send that copy.")
    FILE_TOO_LARGE = (ERROR, "The file was refused because it is, or would unpack to, far more than any return ({detail}).",
                      "Send the workbook you were issued; this file is not a partnership return.")
    FILE_HOSTILE_XML = (ERROR, "The file was refused because it holds XML that a return never contains ({detail}).",
                        "Send the workbook you were issued; this file is not a partnership return.")
    FILE_AMBIGUOUS = (ERROR, "The file was refused because spreadsheet programs could read it differently ({detail}), so "
                             "what partxl read might not be what Excel shows.",
                      "Open the workbook in Excel, check the answers, save it again as .xlsx and send that copy; if it "
                      "was not saved by Excel or LibreOffice, ask the officer where it came from.")
    FILE_STRICT_XLSX = (ERROR, "The workbook is saved as Strict Open XML ({detail}), which partxl does not read.",
                        "Open the workbook in Excel and save it as an ordinary Excel Workbook (.xlsx): File > Save As > "
                        "Excel Workbook, not 'Strict Open XML Spreadsheet'; then send that copy.")
    FILE_UNREADABLE = (ERROR, "The file could not be read from disk ({detail}).",
                       "Check the file's permissions and that it is not open elsewhere, then run again.")
    FILE_SKIPPED = (INFO, "Skipped: {detail}.", "Nothing to do.")
    FILE_SHEET_TOO_LARGE = (ERROR, "The file was refused without being read: {detail}.",
                            "If something was typed, pasted or formatted far down or across that sheet, delete those rows "
                            "and columns, save the workbook and send it again; otherwise send the workbook you were issued.")
    FILE_CRASHED = (ERROR, "Reading this file failed ({detail}); it was set aside and the rest of the run went on.",
                    "Open the workbook in Excel and save it again as .xlsx, then send that copy; if the same happens "
                    "again, send the file to whoever supports partxl.")
    FILE_TIMED_OUT = (ERROR, "Reading this file took longer than {seconds:g} seconds, so it was stopped and set aside; the rest "
                             "of the run went on.", "Open the workbook in Excel and save it again as .xlsx, then send that copy; "
                             "if the same happens again, send the file to whoever supports partxl.")
    MACROS_IGNORED = (WARNING, "The workbook contains macros; they were neither run nor kept, only its values were read.",
                      "Save the workbook as .xlsx (without macros) next time.")
    # Is it ours, and intact?
    NOT_ISSUED = (ERROR, "This workbook was not issued by partxl (it has no issue details), so it cannot be matched to a partnership.",
                  "Fill in the workbook you were sent, or ask the MIO for a new one.")
    METADATA_EDITED = (ERROR, "The workbook's hidden issue details do not match their signature: they were edited, copied from "
                              "another workbook, or the workbook was not issued by this council.",
                       "Fill in and return the workbook you were sent, unchanged apart from your answers.")
    WRONG_CYCLE = (ERROR, "This workbook was issued for the {issued} cycle, not {cycle}.", "Use the workbook issued for {cycle}.")
    FORM_UNKNOWN = (ERROR, "The workbook holds a form '{form}' that the definitions do not describe.",
                    "Ask the MIO for this cycle's workbook.")
    FORM_VERSION_OLD = (WARNING, "Sheet '{sheet}' is version {old} of the {form} form; the current version is {new}. "
                                 "Its answers were read by name; questions added since are reported as missing.",
                        "Answer the new questions, or ask the MIO for this cycle's workbook.")
    FORM_VERSION_NEWER = (ERROR, "Sheet '{sheet}' is version {old} of the {form} form, newer than the definitions here ({new}).",
                          "The MIO should update the form definitions (workbook_templates) to the version issued.")
    SHEET_MISSING = (ERROR, "Sheet '{sheet}' is missing, so none of its answers could be read.",
                     "Return the workbook with all its sheets; ask the MIO for a new copy if one was deleted.")
    PROTECTION_REMOVED = (WARNING, "Sheet '{sheet}' is no longer protected.",
                          "Answers were still read; please do not unprotect the sheets.")
    STRUCTURE_MOVED = (WARNING, "On sheet '{sheet}', {count} answer cell(s) are no longer where the form put them "
                                "(rows or columns were inserted, deleted or moved); they were read by their names.",
                       "Answers were still read by name; please do not insert, delete or move rows.")
    SHEET_RENAMED = (WARNING, "Sheet '{expected}' has been renamed '{sheet}'; its answers were read by their names.",
                     "Answers were still read; please keep the sheet names as issued.")
    SHEET_HIDDEN = (WARNING, "Sheet '{sheet}' has been hidden.", "Its answers were still read; please leave the sheets visible.")
    ANSWER_CELL_DELETED = (ERROR, "The answer cell for '{field}' on sheet '{sheet}' has been deleted (with its row or column), "
                                  "so that answer is lost.",
                           "Return the workbook with its rows as issued; ask the MIO for a new copy if needed.")
    IDENTITY_MISMATCH = (WARNING, "The workbook was issued for {partnership} '{issued}', but its name answer reads {value!r}; "
                                  "it is held until the MIO confirms which partnership it is for.",
                         "If the partnership has been renamed, tell the MIO; if the workbook's hidden details were copied from "
                         "another workbook, return the one you were sent.")
    DETAILS_COPIED = (WARNING, "Sheet '{sheet}' is headed for {value!r}, but the workbook's hidden issue details are those of "
                               "{partnership} '{issued}': they were copied in from another workbook. It is held until the MIO "
                               "confirms whose return it is.",
                      "Return the workbook you were sent for this partnership. The MIO can accept it as the right partnership, "
                      "or reject it, in decisions.xlsx.")
    OFFICER_MISMATCH = (WARNING, "The workbook was issued to {issued}, but its lead officer answer reads {value!r}; it is held "
                                 "until the MIO confirms the change.",
                        "If the lead officer has changed, tell the MIO, who will confirm it; otherwise correct the answer.")
    NAME_MISSING = (WARNING, "The answer cell '{name}' has lost its name; it was read from {cell}, where the form put it.",
                    "Check the answer in {cell}; please do not cut and paste answer cells.")
    NAMES_UNAVAILABLE = (WARNING, "This .{kind} file does not keep the names of answer cells; answers were read from where the form "
                                  "put them.",
                         "Save the workbook as .xlsx to keep its structure.")
    # Answers
    MISSING = (ERROR, "'{field}' is required but empty.", "Fill this in.")
    INVALID = (ERROR, "'{field}' reads {value!r}, which is not {right}.", "Enter {right}.")
    NOT_A_CHOICE = (ERROR, "'{field}' reads {value!r}, which is not one of the answers in its list.", "Choose an answer from the list.")
    OUT_OF_RANGE = (ERROR, "'{field}' is {value}, outside the allowed range {low} to {high}.", "Enter a value from {low} to {high}.")
    TOO_LONG = (ERROR, "'{field}' is {length:,} characters long; the most allowed is {limit:,}.",
                "Shorten the answer, or attach the detail to your e-mail.")
    TOO_FEW_ROWS = (ERROR, "'{field}' needs at least {count} row(s) filled in.", "Fill in at least {count} row(s).")
    ERROR_VALUE = (ERROR, "'{field}' shows the spreadsheet error {value}, not an answer.", "Enter {right} instead.")
    FORMULA_IN_INPUT = (WARNING, "'{field}' holds a formula; its value {value!r} was used.",
                        "Type the answer itself rather than a formula.")
    # The MIO's decisions (decisions.xlsx)
    DECISION_INVALID = (WARNING, "The decision {value!r} could not be recorded: {problem}.",
                        "Correct the row in decisions.xlsx; the next consolidate reads it again.")
    DECISIONS_UNREADABLE = (WARNING, "The decisions workbook could not be read ({detail}); no decision in it was recorded.",
                            "Open it in Excel and save it again as .xlsx; a copy is kept in superseded/.")
    DECISION_APPLIED = (INFO, "The MIO's decision ({choice}, recorded {recorded} by {who}: {reason}) was applied.", "Nothing to do.")
    DECISION_STALE = (WARNING, "A decision ({choice}) was made on {what}, which is no longer there (changed or removed); "
                               "it was not applied.", "Decide again on the question as it now stands, in decisions.xlsx.")
    # Across returns
    ORDER_UNCLEAR = (WARNING, "This return and {others}, for the same partnership, arrived together (less than a second apart, "
                              "in the same run), so which is newer cannot be told; it is held until the MIO says which stands.",
                     "In decisions.xlsx, Accept the return that stands and Reject the other(s); the date a workbook says it "
                     "was saved is its sender's, so it is not used.")
    RETURN_GONE = (INFO, "This return is no longer in the returns folder, but the register still shows it (the ledger keeps "
                         "every return).",
                   "Nothing to do if it was tidied away. To withdraw it, choose Reject on its row in decisions.xlsx and "
                   "consolidate again: the register then shows the return before it, or last year's answers.")
    SAVED_DATE_ODD = (WARNING, "The workbook says it was saved on {saved}, {why}; partxl orders returns by when they arrive, "
                               "not by that date.",
                      "Nothing to do for this return; the computer it was saved on may have its clock wrong.")
    LEDGER_ROW_ALTERED = (ERROR, "The ledger's record of this return does not match its seal: it was changed outside partxl. "
                                 "The file is no longer in the returns folder, so the record is not used and the register "
                                 "does not show it.",
                          "Nothing partxl records should be edited by hand (the MIO's decisions go in decisions.xlsx): restore "
                          "the ledger from a backup, or put the file back in the returns folder to have it read again.")
    LEDGER_ROW_REREAD = (WARNING, "The ledger's record of this file did not match its seal: it was changed outside partxl. The "
                                  "file was read again and recorded afresh.",
                         "Nothing to do for this file; find out who edited the ledger: nothing partxl records should be edited "
                         "by hand (the MIO's decisions go in decisions.xlsx).")
    DECISION_ALTERED = (ERROR, "A decision in the ledger ({choice} on the {what}, recorded {recorded} by {who}) does not "
                               "match its seal: it was changed outside partxl (or recorded before decisions were sealed), "
                               "so it is not applied.",
                        "If the decision stands, make it again in decisions.xlsx with its reason; decisions are never "
                        "edited in the ledger by hand.")
    DECISION_LOG_ALTERED = (WARNING, "An entry of the ledger's decision log ({choice} on the {what}, recorded {recorded} by "
                                     "{who}) does not match its seal: the audit trail was changed outside partxl, so the "
                                     "entry is not shown as the MIO's.",
                            "The decisions in force are sealed on their own (an edited one is not applied). Restore the "
                            "ledger from a backup, and find out who edited it: nothing partxl records is edited by hand.")
    SAME_FILE_TWICE = (INFO, "This file is identical to {other}; it was read once.", "Nothing to do; delete the copy if you like.")
    FILENAME_MISMATCH = (WARNING, "The file is named as if for {claimed}, but the workbook was issued for {partnership}; "
                                  "it is held until the MIO confirms which partnership it is for.",
                         "Send each partnership's return in the workbook issued for it, named as issued.")
    DUPLICATE_RETURN = (WARNING, "Another return for {partnership} ({newer}) is newer, so this one was kept in the history only.",
                        "Nothing to do unless the older return was meant to win.")
    NEW_PROPOSAL = (WARNING, "A new partnership proposal ('{value}'); it was put on the register's Proposed sheet as "
                             "{partnership}, until SMT agrees it.", "Once SMT has agreed it, move its row to the Register sheet "
                             "with its permanent Partnership ID and the Status Active.")
    UNKNOWN_PARTNERSHIP = (WARNING, "Partnership {partnership} is not on the previous register; it was added as new.",
                           "Check that the previous register given is last cycle's.")
    EXCLUDED = (INFO, "{partnership} is a {value}: not a partnership under the policy, so it is left off the register.",
                "Nothing to do, unless its type of arrangement is wrong.")
    NOT_RETURNED = (WARNING, "No return has been accepted for {partnership} this cycle; last year's entry is kept.",
                    "Remind the lead officer; returns were due by {deadline}.")

    def __init__(self, severity: Severity, template: str, hint: str):
        self.severity, self.template, self.hint = severity, template, hint

    def at(self, *, hint: str = "", file: str = "", sheet: str = "", cell: str = "", field: str = "",
           value: Any = "", partnership: str = "", form: str = "", **params: Any) -> Finding:
        """This finding, at a place; ``hint`` replaces the catalogue's when the caller knows better."""
        words = dict(field=field, value=value, partnership=partnership, sheet=sheet, cell=cell, form=form, **params)
        return Finding(code=self.name, severity=self.severity, message=self.template.format(**words),
                       hint=hint or self.hint.format(**words), file=file, sheet=sheet, cell=cell, field=field,
                       value="" if value is None else str(value), partnership=partnership, form=form)


# A return with any of these is held, not accepted: its answers contradict the identity it was issued with, and
# only the MIO can say whose return it is (it must not replace another partnership's row or accepted return).
HOLDS = frozenset({"IDENTITY_MISMATCH", "DETAILS_COPIED", "OFFICER_MISMATCH", "FILENAME_MISMATCH", "ORDER_UNCLEAR"})


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]


def ordered(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.file, f.partnership, f.sheet,
                                           _cell_key(f.cell), f.code))


def _cell_key(cell: str) -> tuple[int, str]:
    digits = "".join(ch for ch in cell if ch.isdigit())
    return (int(digits) if digits else 0, cell)

