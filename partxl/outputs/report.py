"""The validation report: every file and every finding, as a workbook an officer can act on."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from partxl.config import Config
from partxl.findings import SEVERITY_ORDER, Code, ordered
from partxl.forms import contract
from partxl.register.model import ReturnState
from partxl.returns.results import ConsolidateResult, Outcome
from partxl.returns.status import officer_status
from partxl.xlsx import BOOK_OPTIONS, STREAM_FROM_ROWS, StreamingWorkbook, wrapped_height, write_value
from partxl.xlsx.sheets import BOOK_FONT, FONT, HEADING, PAGE_OF, Column, header_text, print_setup, with_language, write_table

FINDING_COLUMNS = [("Severity", 9), ("File", 36), ("Partnership", 12), ("Form", 24), ("Sheet", 13), ("Cell", 7),
                   ("Field", 34), ("Code", 24), ("What is wrong", 70), ("What would be right", 50), ("Value", 24)]


def report_bytes(result: ConsolidateResult, config: Config, as_of: dt.date, *, stream: bool | None = None) -> bytes:
    """The validation report; ``stream`` keeps finished rows on disk (by default when there are many findings)."""
    buffer = io.BytesIO()
    rows = len(result.findings) + len(result.files) + len(result.records)
    book = StreamingWorkbook(buffer, {**BOOK_OPTIONS, **BOOK_FONT}, stream=rows > STREAM_FROM_ROWS if stream is None else stream)
    book.set_properties({"title": f"Validation report {config.cycle}", "author": config.council,
                         "created": dt.datetime.combine(as_of, dt.time())})
    s = _styles(book)
    page = _Page(config.council, config.cycle, as_of)
    _summary(book, s, result, config, as_of)
    findings = ordered(result.findings)
    finding_rows = ([f.severity, f.file, f.partnership, f.form, f.sheet, f.cell, f.field, f.code, f.message, f.hint, f.value]
            for f in findings)
    sheet = _table(book, s, page, "Findings", FINDING_COLUMNS, finding_rows, wrap={8, 9}, count=len(findings))
    last = max(len(findings), 1)
    sheet.conditional_format(1, 0, last, 0, {"type": "cell", "criteria": "==", "value": '"error"', "format": s["error"]})
    sheet.conditional_format(1, 0, last, 0, {"type": "cell", "criteria": "==", "value": '"warning"', "format": s["warning"]})
    files = [[f.path, f.outcome.text, f.partnership, sum(x.severity == "error" for x in f.findings), f.warnings,
              f.saved_at or "", f.sender, f.received or "", f.size, f.sha256] for f in result.files]
    _table(book, s, page, "Files", [("File", 40), ("Outcome", 34), ("Partnership", 12), ("Errors", 8), ("Warnings", 9),
                              ("Saved", 19), ("Sent by", 28), ("Received (UTC)", 19), ("Size (bytes)", 12), ("SHA-256", 66)],
           files)
    excluded = [[r.id, r.get(contract.NAME.cell, ""), r.get(contract.CATEGORY.cell, ""),
                 r.get(contract.LEAD_OFFICER.cell, ""),
                 "Not a partnership under the policy: the register excludes contractual arrangements and shared services."]
                for r in result.excluded]
    _table(book, s, page, "Excluded", [("Partnership ID", 14), ("Name", 40), ("Category", 24), ("Lead officer", 18), ("Why", 80)],
           excluded, wrap={4})
    status = [[o.officer, o.email, p.id, p.name, p.state, "; ".join(p.files)]
              for o in officer_status(result, config) for p in o.partnerships]
    _table(book, s, page, "Status by officer", [("Lead officer", 18), ("E-mail", 34), ("Partnership", 12), ("Name", 40),
                                          ("State", 13), ("Files received", 50)], status)
    decided = [[str(d.kind), d.key, str(d.choice), d.value, d.day, d.reason, d.who, d.recorded.replace("T", " ")]
               for d in result.decisions]
    decided += [[f"Waived: {f.code}", f.file, "Waive", f.partnership, "", f.message, "", ""] for f in result.waived]
    decided += [[f"Altered: {f.code}", "", "", f.partnership, "", f.message, "", ""] for f in result.findings
                if f.code in (Code.DECISION_ALTERED.name, Code.DECISION_LOG_ALTERED.name)]  # beside the decisions, for audit
    _table(book, s, page, "Decisions", [("Question", 16), ("Key or file", 30), ("Decision", 10), ("Partnership ID", 12),
                                        ("Date SMT agreed", 12), ("Reason or what was waived", 60), ("Who", 16),
                                        ("Recorded", 19)], decided, wrap={5})
    book.close()
    return with_language(buffer.getvalue(), config.language)


def _styles(book: Any) -> dict[str, Any]:
    base = FONT
    return {
        "text": book.add_format(base), "wrap": book.add_format({**base, "text_wrap": True}),
        "head": book.add_format({**base, **HEADING}),  # black on pale blue: 16:1
        "title": book.add_format({**base, "bold": True, "font_size": 14}),
        "number": book.add_format({**base, "num_format": "#,##0"}),
        "error": book.add_format({"bg_color": "#F4CCCC", "font_color": "#990000"}),
        "warning": book.add_format({"bg_color": "#FFF2CC", "font_color": "#7F6000"}),
    }


def _table(book: Any, s: dict[str, Any], page: _Page, name: str, columns: list[tuple[str, int]], rows: Iterable[list[Any]],
           wrap: Collection[int] = (), count: int | None = None) -> Any:
    """A sheet holding one Excel table, declared first and then streamed row by row (give ``count`` to stream ``rows``)."""
    if count is None:
        rows = list(rows)
        count = len(rows)
    sheet = book.add_worksheet(name)

    def style(col: int, value: Any) -> Any:
        return s["wrap"] if col in wrap else (s["number"] if isinstance(value, int) else s["text"])

    def height(row: Sequence[Any]) -> float | None:
        return wrapped_height(((str(row[c] or ""), columns[c][1]) for c in wrap), line=13) if wrap else None

    write_table(sheet, 0, name.replace(" ", ""), [Column(h, w) for h, w in columns], rows, count, header_format=s["head"],
                style=style, write=write_value, height=height)
    sheet.freeze_panes(1, 0)
    page.setup(sheet, name, repeat=(0, 0), widths=[w for _, w in columns])
    return sheet


@dataclass(frozen=True)
class _Page:
    """How every sheet of the report prints: A4, its name, the council and cycle in the header, the page in the footer."""

    council: str
    cycle: str
    as_of: dt.date

    def setup(self, sheet: Any, name: str, repeat: tuple[int, int] | None = None, widths: list[int] | None = None) -> None:
        print_setup(sheet, repeat=repeat, widths=widths, repeat_columns=1)
        sheet.set_header(header_text(left=self.council, centre=f"Validation report: {name}", right=self.cycle))
        sheet.set_footer(header_text(left=f"As at {self.as_of:%d %B %Y}", right=PAGE_OF))


def _summary(book: Any, s: dict[str, Any], result: ConsolidateResult, config: Config, as_of: dt.date) -> None:
    sheet = book.add_worksheet("Summary")
    sheet.set_column(0, 0, 44)
    sheet.set_column(1, 1, 8)
    sheet.set_column(2, 2, 80)
    _Page(config.council, config.cycle, as_of).setup(sheet, "Summary", widths=[44, 8, 80])
    sheet.write_string(0, 0, f"{config.council}: validation report, {config.cycle}", s["title"])
    sheet.write_string(1, 0, f"As at {as_of:%d %B %Y}. Returns were due by {config.deadline:%d %B %Y}.", s["text"])
    if config.sample_note:
        sheet.write_string(2, 0, config.sample_note, s["text"])
    counts = Counter(f.outcome for f in result.files)
    returned = sum(r.returned for r in result.records)
    lines = [
        ("Files in the folder", len(result.files)),
        ("Returns accepted", counts[Outcome.ACCEPTED]),
        ("  of which with warnings to act on", sum(1 for f in result.files if f.outcome == Outcome.ACCEPTED and f.warnings)),
        ("Returns accepted but replaced by a newer return", counts[Outcome.SUPERSEDED]),
        ("Returns not accepted (errors to correct)", counts[Outcome.ERRORS]),
        ("Returns held until the MIO confirms whose they are", counts[Outcome.HELD]),
        ("Files rejected (could not be read)", counts[Outcome.REJECTED]),
        ("Files skipped", counts[Outcome.SKIPPED]),
        ("Partnerships on the register", len(result.records)),
        ("  that sent a return this cycle", returned),
        *((f"    {state}", sum(r.state == state for r in result.records)) for state in ReturnState if state != ReturnState.NOT_RETURNED),
        ("  not yet returned (last year's answers shown)", len(result.records) - returned),
        ("Left off the register (not partnerships)", len(result.excluded)),
    ]
    row = 3
    for label, value in lines:
        sheet.write_string(row, 0, label, s["text"])
        sheet.write_number(row, 1, value, s["number"])
        row += 1
    row += 1
    sheet.write_row(row, 0, ["Finding", "Count", "Example"], s["head"])
    by_code = Counter((f.severity, f.code) for f in result.findings)
    examples = {(f.severity, f.code): f.message for f in reversed(result.findings)}
    for (severity, code), count in sorted(by_code.items(), key=lambda kv: (SEVERITY_ORDER.get(kv[0][0], 9), -kv[1], kv[0][1])):
        row += 1
        sheet.write_string(row, 0, f"{code} ({severity})", s["text"])
        sheet.write_number(row, 1, count, s["number"])
        sheet.write_string(row, 2, examples[(severity, code)], s["wrap"])
        sheet.set_row(row, wrapped_height([(examples[(severity, code)], 80)], line=13))
    sheet.activate()
