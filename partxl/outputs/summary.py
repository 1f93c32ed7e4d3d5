"""The committee summary: a workbook people read as pictures first.

One printable sheet per question a committee asks (what do we have, which matter, how well
do they work, what needs action, do they follow the policy, what do they cost, what changed),
opening on a one-page overview with native Excel charts. Every overview number is a formula
over the Partnerships sheet (with its cached value), so a reader can trace it to the rows it
counts.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from partxl.config import Config
from partxl.errors import PartxlError
from partxl.files import atomic_write, replace_keeping_copy
from partxl.findings import Finding, errors
from partxl.forms import contract
from partxl.forms.definitions import Spec
from partxl.forms.names import cell_name
from partxl.forms.rules import breaks, unfilled_current_row
from partxl.register.model import Facts, Record, facts, score_table, sort_key
from partxl.register.read import read_register
from partxl.xlsx import BOOK_OPTIONS, FastWorkbook, wrapped_height, write_value
from partxl.xlsx.sheets import FONT, HEADING, NAVY, PAGE_OF, WHITE, Column, header_text, print_setup, write_table

SCORE_MEANING = {1: "Not in place – priority for action", 2: "Partly in place – action needed",
                 3: "Action identified – being implemented", 4: "Standard met – no action needed"}
SCORE_COLOURS = {1: "#E06666", 2: "#F6B26B", 3: "#B6D7A8", 4: "#6AA84F"}
POLICY_RULES = ("flag", "overdue", "past", "current_row")


class SummaryError(PartxlError):
    """The summary could not be made (no register, or no LibreOffice for --pdf)."""


@dataclass
class ReturnCounts:
    """What the last consolidate run found; unknown when the summary is made from a register alone."""

    with_errors: int | None = None
    rejected: int | None = None


@dataclass
class Row:
    record: Record
    facts: Facts

    def get(self, name: str) -> Any:
        return self.record.get(name)

    @property
    def name(self) -> str:
        return str(self.get(contract.NAME.cell) or self.record.id)

    @property
    def category(self) -> str:
        return str(self.get(contract.CATEGORY.cell) or "")

    @property
    def officer(self) -> str:
        return str(self.get(contract.LEAD_OFFICER.cell) or "")


@dataclass
class Summary:
    """Everything the sheets show, worked out once in Python (the sheets' formulas agree with it)."""

    config: Config
    spec: Spec
    as_of: dt.date
    rows: list[Row]
    previous: dict[str, Row] | None = None
    counts: ReturnCounts = field(default_factory=ReturnCounts)

    def late(self, row: Row) -> str:
        if row.record.returned:
            return "Yes" if row.record.latest_return and row.record.latest_return > self.config.deadline else "No"
        return "Yes" if self.as_of > self.config.deadline else "No"

    def compliance(self) -> list[tuple[Row, str, str]]:
        """(partnership, issue, detail) for every breach of the policy the register shows."""
        issues = []
        info = self.spec.form(contract.NAME.form)
        table = score_table(self.spec)
        for row in self.rows:
            for rule in info.rules:
                if rule.kind in POLICY_RULES and _breaks(rule, info, row.record.values, self.as_of, self.config):
                    issues.append((row, rule.title, rule.message))
            if not row.get(contract.RISKS.cell):
                issues.append((row, "Risks not stated", "The register has no details of the risks for the Authority."))
            unevidenced = [table.row_label(k) for k in row.facts.scores
                           if not row.get(contract.SCORES.column(k, "evidence"))]
            if unevidenced:
                issues.append((row, "Evidence missing", f"{len(unevidenced)} score(s) without evidence: " + "; ".join(unevidenced)))
        return issues

    def priorities(self) -> list[tuple[Row, str, int, str]]:
        table = score_table(self.spec)
        found = [(row, table.row_label(k), score, str(row.get(contract.SCORES.column(k, "evidence")) or ""))
                 for row in self.rows for k, score in row.facts.scores.items() if score <= 2]
        return sorted(found, key=lambda x: (x[2], x[0].name.casefold(), x[1]))


def _breaks(rule: Any, form: Any, values: dict[str, Any], as_of: dt.date, config: Config) -> bool:
    if rule.kind == "current_row":
        return unfilled_current_row(rule, form, values) is not None
    return breaks(rule, form, None, values, as_of, config)


def build_summary(records: list[Record], spec: Spec, config: Config, as_of: dt.date,
                  previous: list[Record] | None = None, counts: ReturnCounts | None = None) -> Summary:
    def rows(items: list[Record]) -> list[Row]:
        return [Row(r, facts(r, spec, config, as_of)) for r in sorted(items, key=sort_key)]

    return Summary(config, spec, as_of, rows(records),
                   {r.record.id: r for r in rows(previous)} if previous is not None else None, counts or ReturnCounts())


# ---------------------------------------------------------------- the workbook


def summary_bytes(summary: Summary) -> bytes:
    buffer = io.BytesIO()
    book = FastWorkbook(buffer, {**BOOK_OPTIONS, "in_memory": True})
    c = summary.config
    book.set_properties({"title": f"Partnership summary {c.cycle}", "author": c.council, "company": c.council,
                         "created": dt.datetime.combine(summary.as_of, dt.time())})
    w = _Writer(book, summary)
    overview = book.add_worksheet("Overview")
    w.significant()
    w.heat_map()
    w.priorities()
    w.compliance()
    w.finance()
    if summary.previous is not None:
        w.changes()
    w.partnerships()
    w.overview(overview)
    overview.activate()
    book.close()
    return buffer.getvalue()


class _Writer:
    def __init__(self, book: Any, summary: Summary):
        self.book, self.s, self.c = book, summary, summary.config
        base = FONT
        add = book.add_format
        self.f = {
            "text": add(base), "wrap": add({**base, "text_wrap": True}),
            "title": add({**base, "bold": True, "font_size": 16, "font_color": NAVY}),
            "subtitle": add({**base, "italic": True, "font_color": "#404040"}),
            "head": add({**base, **HEADING}),
            "section": add({**base, "bold": True, "font_color": WHITE, "bg_color": NAVY}),
            "big": add({**base, "bold": True, "font_size": 14, "align": "right", "num_format": "#,##0"}),
            "big_money": add({**base, "bold": True, "font_size": 14, "align": "right", "num_format": "£#,##0"}),
            "number": add({**base, "num_format": "#,##0"}), "money": add({**base, "num_format": "£#,##0"}),
            "money_total": add({**base, "bold": True, "num_format": "£#,##0", "top": 1}),
            "total": add({**base, "bold": True, "top": 1}),
            "mean": add({**base, "num_format": "0.0", "align": "center"}),
            "mean_total": add({**base, "num_format": "0.0", "align": "center", "bold": True, "top": 1}),
            "score": add({**base, "align": "center", "border": 1, "border_color": "#FFFFFF"}),
            "note": add({**base, "italic": True, "font_size": 9, "font_color": "#595959", "text_wrap": True}),
            "date": add({**base, "num_format": "dd/mm/yyyy", "align": "left"}),
            "rotated": add({**base, **HEADING, "text_wrap": False, "rotation": 90, "align": "center", "valign": "bottom"}),
        }
        self.scores = {n: add({"bg_color": colour}) for n, colour in SCORE_COLOURS.items()}
        self.data_rows = 0
        self.heat_range: str | None = None

    # -------------------------------------------------- shared

    def _sheet(self, name: str, title: str, widths: list[int], *, portrait: bool = False) -> Any:
        sheet = self.book.add_worksheet(name)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width)
        sheet.write_string(0, 0, title, self.f["title"])
        sheet.write_string(1, 0, f"{self.c.council} · Partnership Register {self.c.cycle} · as at {self.s.as_of:%d %B %Y}",
                           self.f["subtitle"])
        sheet.set_row(0, 24)
        print_setup(sheet, landscape=not portrait)
        sheet.set_header(header_text(left=self.c.council, centre=title, right=self.c.cycle))
        sheet.set_footer(header_text(left=f"As at {self.s.as_of:%d %B %Y}", right=PAGE_OF))
        sheet.hide_gridlines(2)
        return sheet

    def _note(self, sheet: Any, row: int, text: str, last_col: int, width: int) -> None:
        sheet.merge_range(row, 0, row, last_col, text, self.f["note"])
        sheet.set_row(row, wrapped_height([(text, width)], line=12))

    def _table(self, sheet: Any, top: int, name: str, headings: list[str], rows: list[list[Any]],
               kinds: list[str], wrap_widths: dict[int, int] | None = None) -> int:
        """An Excel table with filters from row ``top``; returns the row after it."""
        def height(row: Sequence[Any]) -> float | None:
            return wrapped_height(((str(row[c] or ""), w) for c, w in wrap_widths.items()), line=13) if wrap_widths else None

        after = write_table(sheet, top, name, [Column(h) for h in headings], rows, len(rows), header_format=self.f["head"],
                            style=lambda col, _value: self.f[kinds[col]], write=write_value, height=height)
        sheet.repeat_rows(top)
        sheet.set_row(top, 30)  # room for two-line headings
        return after

    # -------------------------------------------------- detail sheets

    def partnerships(self) -> None:
        """Every partnership with the columns the overview counts: the source of its figures."""
        sheet = self._sheet("Partnerships", "All partnerships (the source of the overview's figures)",
                            [10, 44, 28, 10, 11, 11, 9, 14, 14, 14, 9, 16])
        self.partnership_headings = ["ID", "Partnership", "Category", "Status", "Significant", "Returned", "Late",
                                     "Annual grant (£)", "Council funding (£)", "Additional funds (£)", "Mean score",
                                     "Lead officer"]
        rows = [[row.record.id, row.name, row.category, row.record.status, row.facts.significant,
                 "Yes" if row.record.returned else "No", self.s.late(row),
                 row.get(contract.ANNUAL_GRANT.cell), row.get(contract.COUNCIL_FUNDING.cell),
                 row.get(contract.ADDITIONAL_FUNDS.cell), row.facts.mean_score, row.officer] for row in self.s.rows]
        self._table(sheet, 3, "Partnerships", self.partnership_headings, rows,
                    ["text", "text", "text", "text", "text", "text", "text", "money", "money", "money", "mean", "text"])
        self.data_rows = len(rows)

    def _col(self, heading: str) -> str:
        """An absolute range over one column of the Partnerships sheet, for COUNTIFS and SUMIFS."""
        col = xl_col_to_name(self.partnership_headings.index(heading))
        return f"Partnerships!${col}$5:${col}${4 + max(self.data_rows, 1)}"

    def significant(self) -> None:
        significance = self.s.spec.form(contract.SIGNIFICANT.form)
        features = [f for f in significance.items() if getattr(f, "type", "") == "yesno"]
        grant_label = f"Grant ≥ £{self.c.grant_threshold:,.0f}"
        headings = ["ID", "Partnership", "Lead officer"] + [f.register or f.label for f in features] + [grant_label, "Features"]
        sheet = self._sheet("Significant", "Significant partnerships and what makes them so",
                            [10, 40, 16] + [13] * (len(features) + 1) + [9])
        self._note(sheet, 2, "A partnership showing any one of these features is significant "
                             "(Identifying significant partnerships).", len(headings) - 1, 150)
        rows = []
        for row in self.s.rows:
            if row.facts.significant != "Yes":
                continue
            flags = [row.get(cell_name(significance.id, f.id)) or "" for f in features] + [row.facts.grant_over_threshold]
            rows.append([row.record.id, row.name, row.officer] + flags + [len(row.facts.features)])
        kinds = ["text", "wrap", "text"] + ["text"] * (len(features) + 1) + ["number"]
        end = self._table(sheet, 3, "Significant", headings, rows, kinds)
        sheet.conditional_format(4, 3, end - 1, 3 + len(features), {"type": "cell", "criteria": "==", "value": '"Yes"',
                                                                     "format": self.scores[3]})
        sheet.set_row(3, 45)

    def heat_map(self) -> None:
        table = score_table(self.s.spec)
        keys = table.row_keys()
        scored = sorted((r for r in self.s.rows if r.facts.scores),
                        key=lambda r: (r.facts.mean_score or 0, -len(r.facts.scores), r.name.casefold()))
        sheet = self._sheet("Heat map", "Assessment heat map: weakest partnerships first", [10, 40] + [7] * len(keys) + [9])
        legend = "   ".join(f"{n} {meaning}" for n, meaning in SCORE_MEANING.items())
        self._note(sheet, 2, f"Scores (Partnership Policy, Appendix 3): {legend}. Blank: not scored.", len(keys) + 2, 130)
        top = 3
        sheet.write_string(top, 0, "ID", self.f["head"])
        sheet.write_string(top, 1, "Partnership", self.f["head"])
        for i, k in enumerate(keys):
            sheet.write_string(top, 2 + i, table.row_label(k), self.f["rotated"])
        mean_col = 2 + len(keys)
        sheet.write_string(top, mean_col, "Mean", self.f["head"])
        sheet.set_row(top, 185)
        first = top + 1
        for r, row in enumerate(scored, start=first):
            sheet.write_string(r, 0, row.record.id, self.f["text"])
            sheet.write_string(r, 1, row.name, self.f["text"])
            for i, k in enumerate(keys):
                write_value(sheet, r, 2 + i, row.facts.scores.get(k), self.f["score"])
            span = f"{xl_rowcol_to_cell(r, 2)}:{xl_rowcol_to_cell(r, mean_col - 1)}"
            sheet.write_formula(r, mean_col, f"=IF(COUNT({span})=0,\"\",AVERAGE({span}))", self.f["mean"],
                                row.facts.mean_score if row.facts.mean_score is not None else "")
        last = first + max(len(scored), 1) - 1
        sheet.write_string(last + 1, 1, "Mean per feature", self.f["total"])
        for i, k in enumerate(keys):
            values = [row.facts.scores[k] for row in scored if k in row.facts.scores]
            span = f"{xl_rowcol_to_cell(first, 2 + i)}:{xl_rowcol_to_cell(last, 2 + i)}"
            sheet.write_formula(last + 1, 2 + i, f"=IF(COUNT({span})=0,\"\",AVERAGE({span}))", self.f["mean_total"],
                                round(sum(values) / len(values), 2) if values else "")
        self.heat_range = f"'Heat map'!{xl_rowcol_to_cell(first, 2, True, True)}:{xl_rowcol_to_cell(last, mean_col - 1, True, True)}"
        for n, fmt in self.scores.items():
            sheet.conditional_format(first, 2, last, mean_col - 1, {"type": "cell", "criteria": "==", "value": n, "format": fmt})
        sheet.freeze_panes(first, 2)
        sheet.repeat_rows(top)

    def priorities(self) -> None:
        sheet = self._sheet("Priority for action", "Priority for action: features scored 1 or 2", [10, 36, 30, 7, 30, 44, 16])
        rows = [[row.record.id, row.name, feature, score, SCORE_MEANING[score], evidence or "(no evidence given)", row.officer]
                for row, feature, score, evidence in self.s.priorities()]
        end = self._table(sheet, 3, "Priorities", ["ID", "Partnership", "Feature", "Score", "Meaning", "Evidence", "Lead officer"],
                          rows, ["text", "wrap", "wrap", "score", "wrap", "wrap", "text"], {1: 36, 2: 30, 5: 44})
        for n in (1, 2):
            sheet.conditional_format(4, 3, end - 1, 3, {"type": "cell", "criteria": "==", "value": n, "format": self.scores[n]})

    def compliance(self) -> None:
        sheet = self._sheet("Compliance", "Compliance with the Partnership Policy", [10, 36, 34, 16, 70])
        issues = sorted(self.s.compliance(), key=lambda x: (x[1], x[0].name.casefold()))
        titles = sorted({issue for _, issue, _ in issues})
        sheet.write_row(3, 1, ["Issue", "Partnerships"], self.f["head"])
        top = 5 + len(titles)
        first, last = top + 1, top + max(len(issues), 1)
        for i, title in enumerate(titles, start=4):
            sheet.write_string(i, 1, title, self.f["text"])
            sheet.write_formula(i, 2, f'=COUNTIF($C${first + 1}:$C${last + 1},"{title}")', self.f["number"],
                                sum(issue == title for _, issue, _ in issues))
        rows = [[row.record.id, row.name, issue, row.officer, detail] for row, issue, detail in issues]
        self._table(sheet, top, "Compliance", ["ID", "Partnership", "Issue", "Lead officer", "What the policy asks"], rows,
                    ["text", "wrap", "text", "text", "wrap"], {1: 36, 4: 70})

    def finance(self) -> None:
        sheet = self._sheet("Finance", f"Finance: grants of £{self.c.grant_threshold:,.0f} or more and council resources",
                            [10, 42, 16, 12, 18, 18, 24])
        self._note(sheet, 2, f"Grant ≥ threshold is a live formula against the threshold in cell B{4 + len(self.s.rows) + 3} "
                             "(from the council's configuration). Filter it to see the grants finance must review.", 6, 140)
        ordered = sorted(self.s.rows, key=lambda r: (-(r.get(contract.ANNUAL_GRANT.cell) or 0), r.name.casefold()))
        headings = ["ID", "Partnership", "Annual grant (£)", f"Grant ≥ £{self.c.grant_threshold:,.0f}",
                    "Council funding (£ a year)", "Additional funds requested (£)", "Budget position"]
        top = 3
        threshold_row = top + len(ordered) + 3
        for r, row in enumerate(ordered, start=top + 1):
            grant = row.get(contract.ANNUAL_GRANT.cell)
            write_value(sheet, r, 0, row.record.id, self.f["text"])
            write_value(sheet, r, 1, row.name, self.f["text"])
            write_value(sheet, r, 2, grant, self.f["money"])
            ref = xl_rowcol_to_cell(r, 2)
            sheet.write_formula(r, 3, f'=IF(ISNUMBER({ref}),IF({ref}>=$B${threshold_row + 1},"Yes","No"),"")', self.f["text"],
                                row.facts.grant_over_threshold)
            write_value(sheet, r, 4, row.get(contract.COUNCIL_FUNDING.cell), self.f["money"])
            write_value(sheet, r, 5, row.get(contract.ADDITIONAL_FUNDS.cell), self.f["money"])
            write_value(sheet, r, 6, row.get(contract.BUDGET_POSITION.cell), self.f["text"])
        last = top + max(len(ordered), 1)
        sheet.add_table(top, 0, last, len(headings) - 1, {
            "name": "Finance", "style": "Table Style Light 9",
            "columns": [{"header": h, "header_format": self.f["head"]} for h in headings]})
        total = last + 1
        sheet.write_string(total, 1, "Total", self.f["total"])
        for col, key in ((2, contract.ANNUAL_GRANT.cell), (4, contract.COUNCIL_FUNDING.cell), (5, contract.ADDITIONAL_FUNDS.cell)):
            span = f"{xl_rowcol_to_cell(top + 1, col)}:{xl_rowcol_to_cell(last, col)}"
            value = sum(r.record.get(key) or 0 for r in ordered)
            sheet.write_formula(total, col, f"=SUM({span})", self.f["money_total"], value)
        sheet.write_string(threshold_row, 0, "Threshold", self.f["total"])
        sheet.write_number(threshold_row, 1, self.c.grant_threshold, self.f["money"])
        sheet.conditional_format(top + 1, 3, last, 3, {"type": "cell", "criteria": "==", "value": '"Yes"', "format": self.scores[2]})
        sheet.repeat_rows(top)
        sheet.set_row(top, 30)

    def changes(self) -> None:
        assert self.s.previous is not None
        sheet = self._sheet("Changes", "Changes since last year", [10, 40, 30, 22, 22])
        now = {r.record.id: r for r in self.s.rows}
        before = self.s.previous
        rows: list[list[Any]] = []
        for pid, row in now.items():
            old = before.get(pid)
            if old is None:
                rows.append([pid, row.name, "New partnership", "", row.category])
                continue
            if row.record.status == "Ended" and old.record.status != "Ended":
                rows.append([pid, row.name, "Ended", old.record.status, row.record.status])
            if row.facts.significant != old.facts.significant:
                rows.append([pid, row.name, "Significance changed", old.facts.significant, row.facts.significant])
            if row.facts.mean_score is not None and old.facts.mean_score is not None and row.facts.mean_score != old.facts.mean_score:
                direction = "Scores up" if row.facts.mean_score > old.facts.mean_score else "Scores down"
                rows.append([pid, row.name, direction, f"mean {old.facts.mean_score:.1f}", f"mean {row.facts.mean_score:.1f}"])
        for pid, old in before.items():
            if pid not in now:
                rows.append([pid, old.name, "No longer on the register", old.category, ""])
        self._table(sheet, 3, "Changes", ["ID", "Partnership", "Change", "Last year", "This year"], rows,
                    ["text", "wrap", "text", "text", "text"])

    # -------------------------------------------------- the overview

    def overview(self, sheet: Any) -> None:
        s, f = self.s, self.f
        sheet.set_column(0, 0, 46)
        sheet.set_column(1, 1, 15)
        sheet.set_column(2, 4, 11)
        sheet.set_column(5, 5, 2)
        sheet.set_column(6, 14, 9)
        sheet.write_string(0, 0, f"Partnerships {self.c.cycle}: summary for committee", f["title"])
        sheet.write_string(1, 0, f"{self.c.council} · as at {s.as_of:%d %B %Y} · returns were due by {self.c.deadline:%d %B %Y}",
                           f["subtitle"])
        sheet.set_row(0, 24)
        print_setup(sheet, one_page=True, margins=False)
        sheet.hide_gridlines(2)
        sheet.set_header(header_text(left=self.c.council, centre="Partnership summary", right=self.c.cycle))
        sheet.set_footer(header_text(left=f"As at {s.as_of:%d %B %Y}", right=PAGE_OF))
        rows = s.rows
        grant = [r.get(contract.ANNUAL_GRANT.cell) or 0 for r in rows]
        headline = [
            ("Partnerships (active and ended)", f"=COUNTA({self._col('ID')})", len(rows), "big"),
            ("Significant partnerships", f'=COUNTIF({self._col("Significant")},"Yes")',
             sum(r.facts.significant == "Yes" for r in rows), "big"),
            ("Returns received this cycle", f'=COUNTIF({self._col("Returned")},"Yes")', sum(r.record.returned for r in rows), "big"),
            ("Late returns (after the deadline, or missing once it passed)", f'=COUNTIF({self._col("Late")},"Yes")',
             sum(s.late(r) == "Yes" for r in rows), "big"),
            (f"Grants of £{self.c.grant_threshold:,.0f} or more", '=COUNTIF(Finance!$D:$D,"Yes")',
             sum(r.facts.grant_over_threshold == "Yes" for r in rows), "big"),
            ("Total annual grants (£)", f"=SUM({self._col('Annual grant (£)')})", sum(grant), "big_money"),
            ("Council funding committed (£ a year)", f"=SUM({self._col('Council funding (£)')})",
             sum(r.get(contract.COUNCIL_FUNDING.cell) or 0 for r in rows), "big_money"),
        ]
        row = 3
        sheet.merge_range(row, 0, row, 4, "Headline figures", f["section"])
        for label, formula, value, style in headline:
            row += 1
            sheet.write_string(row, 0, label, f["text"])
            sheet.write_formula(row, 1, formula, f[style], value)
        if s.counts.with_errors is not None:
            row += 1
            sheet.write_string(row, 0, "Returns sent back with errors (see the validation report)", f["text"])
            sheet.write_number(row, 1, s.counts.with_errors, f["big"])
        row += 2
        sheet.merge_range(row, 0, row, 4, "Partnerships by category and status", f["section"])
        row += 1
        sheet.write_row(row, 0, ["Category", "Active", "Ended", "Total", "Significant"], f["head"])
        category_first = row + 1
        for category in contract.CATEGORY_ORDER:
            row += 1
            in_cat = [r for r in rows if r.category == category]
            sheet.write_string(row, 0, category, f["text"])
            cat = f'{self._col("Category")},"{category}"'
            for col, (status, value) in enumerate((("Active", sum(r.record.status == "Active" for r in in_cat)),
                                                    ("Ended", sum(r.record.status == "Ended" for r in in_cat))), start=1):
                sheet.write_formula(row, col, f'=COUNTIFS({cat},{self._col("Status")},"{status}")', f["number"], value)
            sheet.write_formula(row, 3, f"=COUNTIF({cat})", f["number"], len(in_cat))
            sheet.write_formula(row, 4, f'=COUNTIFS({cat},{self._col("Significant")},"Yes")', f["number"],
                                sum(r.facts.significant == "Yes" for r in in_cat))
        category_last = row
        row += 2
        sheet.merge_range(row, 0, row, 4, "Assessment scores across all partnerships and features", f["section"])
        row += 1
        sheet.write_row(row, 0, ["Score", "Count"], f["head"])
        score_first = row + 1
        all_scores = [v for r in rows for v in r.facts.scores.values()]
        for n, meaning in SCORE_MEANING.items():
            row += 1
            sheet.write_string(row, 0, f"{n} {meaning}", f["text"])
            sheet.write_formula(row, 1, f"=COUNTIF({self.heat_range},{n})", f["number"], all_scores.count(n))
        score_last = row
        row += 2
        sheet.merge_range(row, 0, row + 2, 4, "Source: every figure is a formula over the Partnerships sheet (or the Heat map "
                          "and Finance sheets); select a cell to see it. Detail sheets: Significant, Heat map, Priority for "
                          "action, Compliance, Finance" + (", Changes." if s.previous is not None else "."), f["note"])
        self._chart(sheet, "bar", "Partnerships by category", category_first, category_last, 3, "G4", NAVY)
        self._chart(sheet, "column", "Assessment scores (count)", score_first, score_last, 1, "G22", None)

    def _chart(self, sheet: Any, kind: str, title: str, first: int, last: int, value_col: int, where: str,
               colour: str | None) -> None:
        chart = self.book.add_chart({"type": kind})
        series: dict[str, Any] = {
            "name": title,
            "categories": ["Overview", first, 0, last, 0],
            "values": ["Overview", first, value_col, last, value_col],
            "data_labels": {"value": True},
        }
        if colour:
            series["fill"] = {"color": colour}
        else:
            series["points"] = [{"fill": {"color": SCORE_COLOURS[n]}} for n in SCORE_MEANING]
        chart.add_series(series)
        chart.set_title({"name": title, "name_font": {"size": 11}})
        chart.set_legend({"none": True})
        chart.set_size({"width": 560, "height": 270})
        if kind == "bar":
            chart.set_y_axis({"reverse": True})
        sheet.insert_chart(where, chart)


# ---------------------------------------------------------------- from a register file


@dataclass
class SummaryResult:
    """The committee summary written from a register: where, whether it changed, and what reading found."""

    path: Path
    outcome: str  # written / unchanged / superseded
    partnerships: int
    pdf: Path | None = None
    findings: list[Finding] = field(default_factory=list)  # from reading the register(s)

    @property
    def ok(self) -> bool:
        return not errors(self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "outcome": self.outcome, "partnerships": self.partnerships,
                "pdf": str(self.pdf) if self.pdf else None, "findings": [f.as_dict() for f in self.findings]}


def write_summary(register: Path, out_file: Path, spec: Spec, config: Config, as_of: dt.date, *,
                  previous: Path | None = None, pdf: bool = False) -> SummaryResult:
    """The committee summary of the register at ``register`` (changes since ``previous``), and its PDF if asked."""
    current = read_register(register, spec, config)
    before = read_register(previous, spec, config) if previous else None
    built = build_summary(current.records, spec, config, as_of, before.records if before else None)
    outcome = replace_keeping_copy(out_file, summary_bytes(built))
    printed = to_pdf(out_file, out_file.with_suffix(".pdf")) if pdf else None
    return SummaryResult(out_file, outcome, len(built.rows), printed, current.findings + (before.findings if before else []))


def to_pdf(workbook: Path, pdf: Path) -> Path:
    """Print ``workbook`` to PDF with LibreOffice headless (the committee papers)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SummaryError("LibreOffice is needed for --pdf and was not found: install it "
                           "(Debian/Ubuntu: apt-get install libreoffice-calc-nogui)")
    with tempfile.TemporaryDirectory(prefix="partxl-pdf-") as tmp:
        done = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--norestore",
                               "--convert-to", "pdf", "--outdir", tmp, str(workbook)],
                              capture_output=True, text=True, timeout=600)
        made = Path(tmp) / (workbook.stem + ".pdf")
        if done.returncode != 0 or not made.exists():
            raise SummaryError(f"LibreOffice could not print {workbook.name} to PDF: {done.stderr.strip() or done.stdout.strip()}")
        atomic_write(pdf, lambda target: shutil.copyfile(made, target))
    return pdf
