"""The MIO's decisions workbook: every open question and every decision in force, to be decided in Excel.

A row per question (a held return, a proposal, a policy finding that may be waived) with a dropdown for
the decision and cells for the partnership ID, the date SMT agreed a proposal, and the reason; a row per
decision in force, which can be revoked. Only those cells can be typed in; the next ``partxl consolidate``
reads them back (``partxl.returns.decisions``).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from partxl.config import Config
from partxl.returns.decisions import CHOICES, COLUMNS, SHEET, Choice, Decision, Question
from partxl.returns.results import ConsolidateResult
from partxl.xlsx import BOOK_OPTIONS, FastWorkbook, wrapped_height, write_value
from partxl.xlsx.sheets import FONT, HEADING, PAGE_OF, YELLOW, Column, header_text, print_setup, with_language, write_table

WIDTHS = (14, 12, 40, 60, 12, 14, 14, 50, 19, 20)
ADDED_ROWS = 50  # rows below the table with the decision's dropdown, for rows the MIO adds
STEPS = (
    "Decide each open question on the Decisions sheet: choose in the Decision column, then give the reason "
    "(internal audit reads it).",
    "A held return: Accept it (as the partnership in the Partnership ID column, the one it was issued for if left "
    "empty) or Reject it.",
    "A proposal: Agree it once SMT has (give its permanent Partnership ID and the date SMT agreed it) or Reject it.",
    "A finding of the policy's checks: Waive it for that partnership with a reason, say a forum that works to terms of "
    "reference rather than a formal agreement. A waiver stays, in later cycles too, until revoked.",
    "Any other return can be rejected: add a row with File in the Question column, its SHA-256 (from the validation "
    "report's Files sheet) in the Key column, Reject and the reason.",
    "A decision already recorded can be revoked: choose Revoke.",
    "Save this workbook where it is and run partxl consolidate again: it records the decisions in the ledger (who, "
    "when, why) and applies them; a decision it cannot record is listed in the validation report.",
)


def decisions_bytes(result: ConsolidateResult, config: Config, as_of: dt.date) -> bytes:
    """The decisions workbook of a consolidation."""
    buffer = io.BytesIO()
    book = FastWorkbook(buffer, {**BOOK_OPTIONS, "in_memory": True})
    book.set_properties({"title": f"Decisions for the MIO {config.cycle}", "author": config.council,
                         "created": dt.datetime.combine(as_of, dt.time())})
    formats = {"text": book.add_format({**FONT, "text_wrap": True}), "head": book.add_format({**FONT, **HEADING}),
               "input": book.add_format({**FONT, "text_wrap": True, "locked": False, "border": 1, "border_color": "#7F7F7F"}),
               "open": book.add_format({"bg_color": YELLOW})}
    sheet = book.add_worksheet(SHEET)
    rows = _rows(result)
    write_table(sheet, 0, "Decisions", [Column(h, w) for h, w in zip(COLUMNS, WIDTHS, strict=True)], rows, len(rows),
                header_format=formats["head"], style=lambda col, _value: formats["input" if 4 <= col <= 7 else "text"],
                write=write_value, height=lambda row: wrapped_height([(str(row[c] or ""), WIDTHS[c]) for c in (2, 3, 7, 9)], line=13))
    for c, width in enumerate(WIDTHS):  # below the table, every cell may be typed in: the MIO may add a row (a File to reject)
        sheet.set_column(c, c, width, formats["input"])
    every = sorted({str(c) for choices in CHOICES.values() for c in choices} | {str(Choice.REVOKE)})
    sheet.data_validation(len(rows) + 1, 4, len(rows) + ADDED_ROWS, 4, {"validate": "list", "source": every})
    for r, row in enumerate(rows, start=1):
        choices = [*CHOICES[row[0]], *((Choice.REVOKE,) if row[8] else ())]
        sheet.data_validation(r, 4, r, 4, {"validate": "list", "source": [str(c) for c in choices],
                                           "input_title": "Decision", "input_message": "Choose the decision."})
        sheet.data_validation(r, 6, r, 6, {"validate": "date", "criteria": ">", "value": dt.datetime(1990, 1, 1),
                                           "input_message": "The date SMT agreed the proposal."})
    if rows:
        sheet.conditional_format(1, 4, len(rows), 4, {"type": "blanks", "format": formats["open"]})
    sheet.freeze_panes(1, 3)
    print_setup(sheet, repeat=(0, 0))
    sheet.set_header(header_text(left=config.council, centre="Decisions for the MIO", right=config.cycle))
    sheet.set_footer(header_text(right=PAGE_OF))
    sheet.protect(config.protection_password, {"select_locked_cells": True, "select_unlocked_cells": True,
                                               "autofilter": True, "sort": True, "format_rows": True})
    _how_to(book, formats["text"], config)
    sheet.activate()
    book.close()
    return with_language(buffer.getvalue(), config.language)


def _rows(result: ConsolidateResult) -> list[list[Any]]:
    """The decisions in force first (so they can be revoked), then the open questions, each as a row of COLUMNS."""
    files = {f.sha256: f.path for f in result.files if f.sha256}
    rows = [_decided(d, files) for d in result.decisions]
    decided = {(d.kind, d.key.casefold()) for d in result.decisions}
    rows += [_open(q) for q in result.questions if (q.kind, q.key.casefold()) not in decided]
    return rows


def _decided(d: Decision, files: dict[str, str]) -> list[Any]:
    what = files.get(d.key, d.key) if d.kind in ("Held return", "File") else d.key
    partnership = d.key.split("|")[0] if d.kind == "Finding" else (d.value or "")
    return [str(d.kind), partnership, what, "Decided", str(d.choice), d.value, d.day, d.reason, d.recorded.replace("T", " "),
            d.key]


def _open(q: Question) -> list[Any]:
    return [str(q.kind), q.partnership, q.what, q.why, "", "", "", "", "", q.key]


def _how_to(book: Any, text: Any, config: Config) -> None:
    sheet = book.add_worksheet("How to decide")
    sheet.set_column(0, 0, 110)
    for row, step in enumerate(STEPS):
        sheet.write_string(row, 0, f"{row + 1}. {step}", text)
    sheet.write_string(len(STEPS) + 1, 0, f"Decisions are recorded in the name of {config.mio_name}, the MIO of the configuration.",
                       text)
    print_setup(sheet, landscape=False, margins=False)
