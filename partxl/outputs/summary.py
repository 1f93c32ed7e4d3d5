"""The committee summary: a workbook people read as pictures first.

One printable sheet per question a committee asks (what do we have, which matter, how well
do they work, what needs action, do they follow the policy, what do they cost, what changed),
opening on a one-page overview with native Excel charts. Every overview number is a formula
over the Partnerships sheet (with its cached value), so a reader can trace it to the rows it
counts.

It is made in two steps, so that no sheet depends on another having been drawn before it:

1. :func:`summary_model` works out everything the sheets show, as frozen data, in plain Python
   (nothing here touches xlsxwriter), so every figure can be tested without a workbook.
2. One function per sheet draws its part of the model and returns the ranges it wrote that
   other sheets refer to; the overview is given those ranges as arguments, so its formulas
   point at what was written whatever order the sheets are drawn in.
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from xlsxwriter.chart import Chart
from xlsxwriter.format import Format
from xlsxwriter.utility import quote_sheetname, xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from partxl.config import Config
from partxl.files import replace_keeping_copy
from partxl.findings import Finding, errors
from partxl.forms import contract
from partxl.forms.definitions import Field, Form, Rule, Spec
from partxl.forms.fieldtypes import pounds
from partxl.forms.layout import fields_of
from partxl.forms.names import cell_name
from partxl.forms.rules import POLICY_KINDS, breaks, unfilled_current_row
from partxl.register.model import (
    CLOSED_SHEET,
    PROPOSED_SHEET,
    Facts,
    Record,
    ReturnState,
    Status,
    facts,
    heading,
    score_table,
    sort_key,
    stage,
)
from partxl.register.read import read_register
from partxl.returns.decisions import in_force
from partxl.returns.ledger import Ledger
from partxl.returns.results import waivers
from partxl.xlsx import BOOK_OPTIONS, FastWorkbook, wrapped_height, write_value
from partxl.xlsx.sheets import (
    BOOK_FONT,
    FONT,
    HEADING,
    LANGUAGE,
    NAVY,
    PAGE_OF,
    SCORE_FILLS,
    TABLE_STYLE,
    WHITE,
    Column,
    across,
    header_text,
    print_setup,
    with_language,
    write_table,
)

SCORE_MEANING = {1: "Not in place – Priority for action", 2: "Partly in place – Action needed",  # the policy's own labels
                 3: "Action identified – Being implemented", 4: "Standard met – No action needed"}
SCORE_COLOURS = SCORE_FILLS  # red to pale green, each a step lighter: told apart in greyscale too
OVERVIEW, PARTNERSHIPS, HEAT_MAP, FINANCE = "Overview", "Partnerships", "Heat map", "Finance"  # sheets others refer to
LOW_SCORES = "Scores of 1 and 2"

Cell = str | int | float | dt.date | None
"""A value a sheet writes as it is: text as text, a number as a number, nothing as a blank cell."""


# ---------------------------------------------------------------- what the summary is made from


@dataclass
class ReturnCounts:
    """What the last consolidate run found; unknown when the summary is made from a register alone."""

    rejected: int | None = None  # files that could not be read at all: nobody's return


@dataclass
class Row:
    record: Record
    facts: Facts

    def get(self, name: str) -> Any:
        return self.record.get(name)

    @property
    def shown(self) -> str:
        """Its name as the detail sheets show it: marked when its answers are last year's (nothing accepted this cycle)."""
        return self.name if self.record.current else f"{self.name} (last year's answers)"

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
    """The partnerships a summary is made from, with their facts (what consolidate hands to a worker to draw)."""

    config: Config
    spec: Spec
    as_of: dt.date
    rows: list[Row]
    previous: dict[str, Row] | None = None
    counts: ReturnCounts = field(default_factory=ReturnCounts)
    proposals: int = 0  # proposals SMT has not agreed yet: not partnerships of the Council, so in no figure
    waived: frozenset[tuple[str, str]] = frozenset()  # (partnership, rule code) the MIO waived: not a breach


def build_summary(records: list[Record], spec: Spec, config: Config, as_of: dt.date,
                  previous: list[Record] | None = None, counts: ReturnCounts | None = None,
                  waived: frozenset[tuple[str, str]] = frozenset()) -> Summary:
    def rows(items: list[Record]) -> list[Row]:
        agreed = (r for r in items if stage(r) != PROPOSED_SHEET)
        return [Row(r, facts(r, spec, config, as_of)) for r in sorted(agreed, key=sort_key)]

    return Summary(config, spec, as_of, rows(records),
                   {r.record.id: r for r in rows(previous)} if previous is not None else None, counts or ReturnCounts(),
                   sum(stage(r) == PROPOSED_SHEET for r in records), waived)


# ---------------------------------------------------------------- the model: every figure, worked out first


@dataclass(frozen=True)
class About:
    """Whose summary, of which cycle, as at when: what title lines, page margins and labels say."""

    council: str
    cycle: str
    as_of: dt.date
    deadline: dt.date
    grant_threshold: float


@dataclass(frozen=True)
class Partnership:
    """One row of the Partnerships sheet: the rows the overview's formulas count."""

    id: str
    name: str
    category: str
    status: str
    significant: str
    returned: str  # where its returns this cycle leave it (a ReturnState: Returned, Returned with errors, Held …)
    late: str  # Yes / No: returned after the deadline, or not returned once it passed (never for a closed one)
    annual_grant: float | None
    council_funding: float | None
    additional_funds: float | None
    mean_score: float | None
    lead_officer: str


@dataclass(frozen=True)
class SignificantRow:
    """A significant partnership and the features that make it so."""

    id: str
    name: str
    lead_officer: str
    answers: tuple[str, ...]  # Yes, No or "" for each of the scorecard's yes/no features, in its order
    grant_over_threshold: str
    features: int  # how many features it shows


@dataclass(frozen=True)
class Significance:
    features: tuple[str, ...]  # the scorecard's yes/no answers (the defining questions, then the features), by register heading
    rows: tuple[SignificantRow, ...]  # significant partnerships only, in the register's order
    test: str = ""  # what makes a partnership significant, as the Council's configuration says ([policy] significant_if)


@dataclass(frozen=True)
class HeatRow:
    id: str
    name: str
    scores: tuple[int | None, ...]  # one per assessment feature; None: not scored
    mean: float | None


@dataclass(frozen=True)
class HeatMap:
    features: tuple[str, ...]  # the assessment features, by label
    rows: tuple[HeatRow, ...]  # partnerships with any score, weakest first
    feature_means: tuple[float | None, ...]  # one per feature; None: nobody scored it


@dataclass(frozen=True)
class LowScore:
    """A feature scored 1 (not in place – priority for action) or 2 (partly in place – action needed)."""

    id: str
    name: str
    feature: str
    score: int
    evidence: str  # "" when none was given
    lead_officer: str


@dataclass(frozen=True)
class Issue:
    """One breach of the Partnership Policy by one partnership."""

    id: str
    name: str
    issue: str
    lead_officer: str
    detail: str


@dataclass(frozen=True)
class Compliance:
    counts: tuple[tuple[str, int], ...]  # (issue, how many times it is listed), issues in alphabetical order
    issues: tuple[Issue, ...]  # by issue, then partnership name


@dataclass(frozen=True)
class FinanceRow:
    id: str
    name: str
    annual_grant: float | None
    over_threshold: str  # Yes / No, "" when no grant is stated
    council_funding: float | None
    additional_funds: float | None
    budget_position: Cell


@dataclass(frozen=True)
class Finance:
    rows: tuple[FinanceRow, ...]  # largest grant first
    annual_grants: float  # the totals row
    council_funding: float
    additional_funds: float


@dataclass(frozen=True)
class Change:
    """One change since last year's register."""

    id: str
    name: str
    change: str
    last_year: str
    this_year: str


@dataclass(frozen=True)
class Headlines:
    """The overview's headline figures: each the cached value of a formula over the detail sheets."""

    partnerships: int
    significant: int
    sent: int  # partnerships that sent anything this cycle
    states: tuple[tuple[str, int], ...]  # how many partnerships each return state holds, in the lifecycle's order
    late: int
    grants_over_threshold: int
    annual_grants: float
    council_funding: float
    rejected: int | None  # files that could not be read; None when not known (a summary of a register alone)
    proposals: int  # proposals awaiting SMT's agreement (counted in no other figure)


@dataclass(frozen=True)
class CategoryCount:
    category: str
    active: int
    ended: int
    total: int
    significant: int


@dataclass(frozen=True)
class Overview:
    headlines: Headlines
    categories: tuple[CategoryCount, ...]  # the policy's categories, in its order
    scores: Mapping[int, int]  # how many of each score 1–4, across every partnership and feature
    with_changes: bool  # whether there is a Changes sheet to point readers to


@dataclass(frozen=True)
class SummaryModel:
    """Everything the summary shows, one part per sheet, worked out before any sheet is drawn."""

    about: About
    overview: Overview
    partnerships: tuple[Partnership, ...]
    significant: Significance
    heat_map: HeatMap
    low_scores: tuple[LowScore, ...]
    compliance: Compliance
    finance: Finance
    changes: tuple[Change, ...] | None  # None without last year's register


def summary_model(summary: Summary) -> SummaryModel:
    """The model of ``summary``: every row and figure its sheets show."""
    c = summary.config
    partnerships = _partnership_rows(summary)
    money = _finance(summary.rows)
    return SummaryModel(
        about=About(c.council, c.cycle, summary.as_of, c.deadline, c.grant_threshold),
        overview=Overview(_headlines(partnerships, money, summary.counts, summary.proposals), _category_counts(partnerships),
                          _score_counts(summary.rows), summary.previous is not None),
        partnerships=partnerships, significant=_significance(summary), heat_map=_heat_map(summary),
        low_scores=_low_scores(summary), compliance=_compliance(summary), finance=money,
        changes=_changes(summary.rows, summary.previous) if summary.previous is not None else None)


def _late(row: Row, deadline: dt.date, as_of: dt.date) -> str:
    """Yes for a return made after the deadline, or none made once the deadline has passed (a closed partnership owes none)."""
    if stage(row.record) == CLOSED_SHEET:
        return "No"
    if row.record.returned:
        return "Yes" if row.record.latest_return and row.record.latest_return > deadline else "No"
    return "Yes" if as_of > deadline else "No"


def _partnership_rows(summary: Summary) -> tuple[Partnership, ...]:
    """One row per partnership in the register's order: the columns the overview's formulas count."""
    deadline = summary.config.deadline
    return tuple(Partnership(row.record.id, row.shown, row.category, row.record.status, row.facts.significant,
                             str(row.record.state), _late(row, deadline, summary.as_of),
                             row.get(contract.ANNUAL_GRANT.cell), row.get(contract.COUNCIL_FUNDING.cell),
                             row.get(contract.ADDITIONAL_FUNDS.cell), row.facts.mean_score, row.officer)
                 for row in summary.rows)


def _yes(values: Iterable[str]) -> int:
    """How many are "Yes": what the overview's COUNTIF(…,"Yes") gives over the same values."""
    return sum(value == "Yes" for value in values)


def _headlines(partnerships: Sequence[Partnership], money: Finance, counts: ReturnCounts, proposals: int) -> Headlines:
    """Counted from the same rows as the sheets the overview's formulas count (Partnerships, and Finance's flags)."""
    states = tuple((str(s), sum(p.returned == s for p in partnerships)) for s in ReturnState)
    return Headlines(
        partnerships=len(partnerships), significant=_yes(p.significant for p in partnerships),
        sent=sum(p.returned != ReturnState.NOT_RETURNED for p in partnerships), states=states,
        late=_yes(p.late for p in partnerships), grants_over_threshold=_yes(r.over_threshold for r in money.rows),
        annual_grants=sum(p.annual_grant or 0 for p in partnerships),
        council_funding=sum(p.council_funding or 0 for p in partnerships), rejected=counts.rejected, proposals=proposals)


def _category_counts(partnerships: Sequence[Partnership]) -> tuple[CategoryCount, ...]:
    """Active, ended, all and significant partnerships of each of the policy's categories."""
    counts = []
    for category in contract.CATEGORY_ORDER:
        mine = [p for p in partnerships if p.category == category]
        counts.append(CategoryCount(category, sum(p.status == Status.ACTIVE for p in mine),
                                    sum(p.status in (Status.ENDED, Status.CLOSED) for p in mine),
                                    len(mine), _yes(p.significant for p in mine)))
    return tuple(counts)


def _score_counts(rows: Sequence[Row]) -> dict[int, int]:
    """How many times each score 1–4 was given, over every partnership and feature (the heat map's cells)."""
    scores = [v for r in rows for v in r.facts.scores.values()]
    return {n: scores.count(n) for n in SCORE_MEANING}


def _significance(summary: Summary) -> Significance:
    """Each significant partnership's answer to every yes/no question of the scorecard (the defining questions and the
    features they may show), whatever the council's form asks, and the test that made it significant."""
    form = summary.spec.form(contract.SIGNIFICANT.form)
    features = [f for f in form.items() if isinstance(f, Field) and f.type == "yesno"]
    rows = tuple(SignificantRow(row.record.id, row.shown, row.officer,
                                tuple(row.get(cell_name(form.id, f.id)) or "" for f in features),
                                row.facts.grant_over_threshold, len(row.facts.features))
                 for row in summary.rows if row.facts.significant == "Yes")
    significant = next(c for c in form.computed if c.id == contract.SIGNIFICANT.id)
    test = "; ".join(heading(form, ref) for ref in fields_of(significant, summary.config))
    return Significance(tuple(f.register or f.label for f in features), rows, test)


def _heat_map(summary: Summary) -> HeatMap:
    """Every scored partnership's scores, weakest (lowest mean, then fewest scores) first, and each feature's mean."""
    table = score_table(summary.spec)
    keys = table.row_keys()
    scored = sorted((r for r in summary.rows if r.facts.scores),
                    key=lambda r: (r.facts.mean_score or 0, -len(r.facts.scores), r.name.casefold()))
    rows = tuple(HeatRow(r.record.id, r.shown, tuple(r.facts.scores.get(k) for k in keys), _average(r.facts.scores.values()))
                 for r in scored)
    means = tuple(_average(score for row in rows if (score := row.scores[i]) is not None) for i in range(len(keys)))
    return HeatMap(tuple(table.row_label(k) for k in keys), rows, means)


def _average(scores: Iterable[int]) -> float | None:
    """The mean as the sheet's AVERAGE computes it (not rounded: it is the formula's cached value; the format rounds)."""
    given = list(scores)
    return sum(given) / len(given) if given else None


def _low_scores(summary: Summary) -> tuple[LowScore, ...]:
    """Every feature scored 1 or 2: 1s first, then by partnership, then in the matrix's order (2 before 10)."""
    table = score_table(summary.spec)
    order = {table.row_label(k): n for n, k in enumerate(table.row_keys())}
    found = [LowScore(row.record.id, row.shown, table.row_label(k), score,
                      str(row.get(contract.SCORES.column(k, "evidence")) or ""), row.officer)
             for row in summary.rows for k, score in row.facts.scores.items() if score <= 2]
    return tuple(sorted(found, key=lambda p: (p.score, p.name.casefold(), order[p.feature])))


def _compliance(summary: Summary) -> Compliance:
    """The issues grouped by kind (as a committee reads them), with how many there are of each."""
    listed = sorted(_issues(summary), key=lambda i: (i.issue, i.name.casefold()))
    titles = sorted({i.issue for i in listed})
    return Compliance(tuple((title, sum(i.issue == title for i in listed)) for title in titles), tuple(listed))


def _issues(summary: Summary) -> Iterator[Issue]:
    """Every breach of the policy the register shows, partnership by partnership: the policy rules of every form
    (the Information form's, the risk checklist's gaps, …), then what the register itself lacks."""
    policy = [(form, rule) for form in summary.spec.ordered_forms() for rule in form.rules if rule.kind in POLICY_KINDS]
    table = score_table(summary.spec)
    for row in summary.rows:
        if stage(row.record) == CLOSED_SHEET:
            continue  # ended and evaluated: the policy asks nothing more of it
        for form, rule in policy:
            if (row.record.id, rule.code) not in summary.waived \
                    and _breaks(rule, form, row.record.values, summary.as_of, summary.config):
                yield _issue(row, rule.title, rule.message)
        if not row.get(contract.RISKS.cell):
            yield _issue(row, "Risks not stated", "The register has no details of the risks for the Authority.")
        unevidenced = [table.row_label(k) for k in row.facts.scores if not row.get(contract.SCORES.column(k, "evidence"))]
        if unevidenced:
            yield _issue(row, "Evidence missing", f"{len(unevidenced)} score(s) without evidence: " + "; ".join(unevidenced))


def _issue(row: Row, title: str, detail: str) -> Issue:
    return Issue(row.record.id, row.shown, title, row.officer, detail)


def _breaks(rule: Rule, form: Form, values: dict[str, Any], as_of: dt.date, config: Config) -> bool:
    """Whether a register row breaks ``rule``, checked the way returns are (a current_row rule has its own check)."""
    if rule.kind == "current_row":
        return unfilled_current_row(rule, form, values) is not None
    return breaks(rule, form, None, values, as_of, config)


def _finance(rows: Sequence[Row]) -> Finance:
    """Every partnership's money, largest grant first, and the totals (summed in that order, as the sheet's SUMs are)."""
    ordered = sorted(rows, key=lambda r: (-(r.get(contract.ANNUAL_GRANT.cell) or 0), r.name.casefold()))
    lines = tuple(FinanceRow(r.record.id, r.shown, r.get(contract.ANNUAL_GRANT.cell), r.facts.grant_over_threshold,
                             r.get(contract.COUNCIL_FUNDING.cell), r.get(contract.ADDITIONAL_FUNDS.cell),
                             r.get(contract.BUDGET_POSITION.cell)) for r in ordered)
    return Finance(lines, sum(r.annual_grant or 0 for r in lines), sum(r.council_funding or 0 for r in lines),
                   sum(r.additional_funds or 0 for r in lines))


def _changes(rows: Sequence[Row], before: Mapping[str, Row]) -> tuple[Change, ...]:
    """What changed since last year, partnership by partnership (new, ended, renamed, a new lead officer, another
    category, significance and its features, money, scores); then who left the register."""
    found: list[Change] = []
    now = {r.record.id: r for r in rows}
    for pid, row in now.items():
        old = before.get(pid)
        if old is None:
            found.append(Change(pid, row.name, "New partnership", "", row.category))
            continue
        found += [Change(pid, row.name, what, was, is_) for what, was, is_ in _differences(old, row)]
    found += [Change(pid, old.name, "No longer on the register", old.category, "") for pid, old in before.items() if pid not in now]
    return tuple(found)


def _differences(old: Row, row: Row) -> Iterator[tuple[str, str, str]]:
    """(what changed, last year, this year) for one partnership on both registers."""
    if row.record.status in (Status.ENDED, Status.CLOSED) and old.record.status not in (Status.ENDED, Status.CLOSED):
        yield "Ended", str(old.record.status), str(row.record.status)
    for what, was, is_ in (("Renamed", old.name, row.name), ("New lead officer", old.officer, row.officer),
                           ("Category changed", old.category, row.category),
                           ("Significance changed", old.facts.significant, row.facts.significant),
                           ("Grant threshold crossed", old.facts.grant_over_threshold, row.facts.grant_over_threshold)):
        if was != is_ and (was and is_ or what != "Grant threshold crossed"):  # crossing it needs a grant both years
            yield what, was, is_
    if set(row.facts.features) != set(old.facts.features):
        yield "Significance features changed", "; ".join(old.facts.features) or "(none)", "; ".join(row.facts.features) or "(none)"
    for cell, what in ((contract.ANNUAL_GRANT.cell, "Annual grant"), (contract.COUNCIL_FUNDING.cell, "Council funding")):
        was_money, is_money = old.get(cell), row.get(cell)
        if isinstance(was_money, (int, float)) and isinstance(is_money, (int, float)) and was_money != is_money:
            yield f"{what} {'up' if is_money > was_money else 'down'}", pounds(was_money), pounds(is_money)
    new_mean, old_mean = row.facts.mean_score, old.facts.mean_score
    if new_mean is not None and old_mean is not None and new_mean != old_mean:
        yield "Scores up" if new_mean > old_mean else "Scores down", f"mean {old_mean:.1f}", f"mean {new_mean:.1f}"


# ---------------------------------------------------------------- the sheets: one function each


@dataclass(frozen=True)
class Pen:
    """The workbook being drawn, its cell formats, and what every sheet's title lines and margins say."""

    book: Workbook
    formats: dict[str, Format]
    scores: dict[int, Format]  # a fill in each score's colour, for conditional formats
    about: About


@dataclass(frozen=True)
class PartnershipRanges:
    """Absolute ranges over the Partnerships sheet's data rows (``Partnerships!$D$5:$D$39``), one per column counted."""

    id: str
    category: str
    status: str
    significant: str
    returned: str
    late: str
    annual_grant: str
    council_funding: str


@dataclass(frozen=True)
class FinanceRanges:
    flags: str  # the whole "Grant ≥" column: Yes, No or blank per partnership
    threshold: str  # the cell holding the threshold the flags compare grants with


def pen_for(book: Workbook, about: About) -> Pen:
    """The formats every sheet draws with, made once per workbook."""
    base = FONT
    add = book.add_format
    formats = {
        "text": add(base), "wrap": add({**base, "text_wrap": True}),
        "title": add({**base, "bold": True, "font_size": 16, "font_color": NAVY}),
        "subtitle": add({**base, "italic": True, "font_color": "#404040"}),
        "head": add({**base, **HEADING}),
        "section": add({**base, "bold": True, "font_color": WHITE, "bg_color": NAVY}),
        "big": add({**base, "bold": True, "font_size": 14, "align": "right", "num_format": "#,##0"}),
        "big_money": add({**base, "bold": True, "font_size": 14, "align": "right", "num_format": "£#,##0.00"}),
        "number": add({**base, "num_format": "#,##0"}), "money": add({**base, "num_format": "£#,##0.00"}),
        "money_total": add({**base, "bold": True, "num_format": "£#,##0.00", "top": 1}),
        "total": add({**base, "bold": True, "top": 1}),
        "mean": add({**base, "num_format": "0.0", "align": "center"}),
        "mean_total": add({**base, "num_format": "0.0", "align": "center", "bold": True, "top": 1}),
        "score": add({**base, "align": "center", "border": 1, "border_color": "#FFFFFF"}),
        "note": add({**base, "italic": True, "font_size": 9, "font_color": "#595959"}),  # one line, run on across the row
        "rotated": add({**base, **HEADING, "text_wrap": False, "rotation": 90, "align": "center", "valign": "bottom"}),
    }
    return Pen(book, formats, {n: add({"bg_color": colour}) for n, colour in SCORE_COLOURS.items()}, about)


def _absolute(sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    """``Sheet!$A$1:$B$2`` (written as a range even when it is one cell, as every formula here always has been)."""
    return (f"{quote_sheetname(sheet)}!{xl_rowcol_to_cell(first_row, first_col, True, True)}:"
            f"{xl_rowcol_to_cell(last_row, last_col, True, True)}")


def _sheet(pen: Pen, name: str, title: str, widths: list[int]) -> Worksheet:
    """A detail sheet (landscape) with its title lines, column widths, page setup and margins."""
    about = pen.about
    sheet = pen.book.add_worksheet(name)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.write_string(0, 0, title, pen.formats["title"])
    sheet.write_string(1, 0, f"{about.council} · Partnership Register {about.cycle} · as at {about.as_of:%d %B %Y}",
                       pen.formats["subtitle"])
    sheet.set_row(0, 24)
    print_setup(sheet, widths=widths)
    sheet.set_header(header_text(left=about.council, centre=title, right=about.cycle))
    sheet.set_footer(header_text(left=f"As at {about.as_of:%d %B %Y}", right=PAGE_OF))
    sheet.hide_gridlines(2)
    return sheet


def _note(pen: Pen, sheet: Worksheet, row: int, text: str, last_col: int) -> None:
    """A one-line note running across the row above a table (not merged: screen readers trip on merged cells)."""
    across(sheet, row, 0, last_col, text, pen.formats["note"])


def _table(pen: Pen, sheet: Worksheet, top: int, name: str, headings: Sequence[str], rows: Sequence[Sequence[Cell]],
           kinds: Sequence[str], wrap_widths: dict[int, int] | None = None) -> int:
    """An Excel table with filters from row ``top``; returns the row after it."""
    def height(row: Sequence[Any]) -> float | None:
        return wrapped_height(((str(row[c] or ""), w) for c, w in wrap_widths.items()), line=13) if wrap_widths else None

    after = write_table(sheet, top, name, [Column(h) for h in headings], rows, len(rows), header_format=pen.formats["head"],
                        style=lambda col, _value: pen.formats[kinds[col]], write=write_value, height=height)
    sheet.repeat_rows(top)
    sheet.set_row(top, 30)  # room for two-line headings
    return after


_PARTNERSHIP_COLUMNS = (  # (field of Partnership, heading, width, format), in the sheet's order: one A4 page wide at 86 %
    ("id", "ID", 10, "text"), ("name", "Partnership", 28, "wrap"), ("category", "Category", 18, "wrap"),
    ("status", "Status", 9, "text"), ("significant", "Significant", 11, "text"), ("returned", "This cycle's return", 15, "wrap"),
    ("late", "Late", 7, "text"), ("annual_grant", "Annual grant (£)", 13, "money"),
    ("council_funding", "Council funding (£)", 13, "money"), ("additional_funds", "Additional funds (£)", 13, "money"),
    ("mean_score", "Mean score", 8, "mean"), ("lead_officer", "Lead officer", 16, "text"),
)


def partnerships_sheet(pen: Pen, part: Sequence[Partnership]) -> PartnershipRanges:
    """Every partnership with the columns the overview counts: the source of its figures. Returns those columns' ranges."""
    sheet = _sheet(pen, PARTNERSHIPS, "All partnerships (the source of the overview's figures)",
                   [width for _, _, width, _ in _PARTNERSHIP_COLUMNS])
    top = 3
    rows = [[getattr(p, name) for name, _, _, _ in _PARTNERSHIP_COLUMNS] for p in part]
    _table(pen, sheet, top, PARTNERSHIPS, [heading for _, heading, _, _ in _PARTNERSHIP_COLUMNS], rows,
           [kind for _, _, _, kind in _PARTNERSHIP_COLUMNS],
           {col: width for col, (_, _, width, kind) in enumerate(_PARTNERSHIP_COLUMNS) if kind == "wrap"})
    last = top + max(len(rows), 1)
    where = {name: _absolute(PARTNERSHIPS, top + 1, col, last, col) for col, (name, _, _, _) in enumerate(_PARTNERSHIP_COLUMNS)}
    return PartnershipRanges(**{f.name: where[f.name] for f in fields(PartnershipRanges)})


def significant_sheet(pen: Pen, part: Significance) -> None:
    """The significant partnerships, each feature they show (and the grant flag) filled in the colour of a met standard."""
    count = len(part.features)
    headings = ["ID", "Partnership", "Lead officer", *part.features, f"Grant ≥ {pounds(pen.about.grant_threshold)}", "Features"]
    sheet = _sheet(pen, "Significant", "Significant partnerships and what makes them so", [10, 40, 16] + [13] * (count + 1) + [9])
    _note(pen, sheet, 2, f"Significant: Yes to any of {part.test} (the Council's test). The other answers are the features a "
                         "significant partnership may show, as evidence (Identifying significant partnerships).", len(headings) - 1)
    rows: list[list[Cell]] = [[r.id, r.name, r.lead_officer, *r.answers, r.grant_over_threshold, r.features] for r in part.rows]
    kinds = ["text", "wrap", "text"] + ["text"] * (count + 1) + ["number"]
    end = _table(pen, sheet, 3, "Significant", headings, rows, kinds, {1: 40})
    sheet.conditional_format(4, 3, end - 1, 3 + count, {"type": "cell", "criteria": "==", "value": '"Yes"', "format": pen.scores[3]})
    sheet.set_row(3, 45)


def heat_map_sheet(pen: Pen, part: HeatMap) -> str:
    """The scores, coloured, with each partnership's and each feature's mean. Returns the absolute range of the scores."""
    f = pen.formats
    features = len(part.features)
    sheet = _sheet(pen, HEAT_MAP, "Assessment heat map: weakest partnerships first", [10, 40] + [7] * features + [9])
    legend = "; ".join(f"{n} {meaning}" for n, meaning in SCORE_MEANING.items())
    _note(pen, sheet, 2, f"Scores (Partnership Policy, Appendix 3): {legend}. Blank: not scored.", features + 2)
    top = 3
    sheet.write_string(top, 0, "ID", f["head"])
    sheet.write_string(top, 1, "Partnership", f["head"])
    for i, label in enumerate(part.features):
        sheet.write_string(top, 2 + i, label, f["rotated"])
    mean_col = 2 + features
    sheet.write_string(top, mean_col, "Mean", f["head"])
    sheet.set_row(top, 185)
    first = top + 1
    for r, row in enumerate(part.rows, start=first):
        sheet.write_string(r, 0, row.id, f["text"])
        sheet.write_string(r, 1, row.name, f["text"])
        for i, score in enumerate(row.scores):
            write_value(sheet, r, 2 + i, score, f["score"])
        _mean(sheet, r, mean_col, xl_rowcol_to_cell(r, 2), xl_rowcol_to_cell(r, mean_col - 1), f["mean"], row.mean)
    last = first + max(len(part.rows), 1) - 1
    sheet.write_string(last + 1, 1, "Mean per feature", f["total"])
    for i, mean in enumerate(part.feature_means):
        _mean(sheet, last + 1, 2 + i, xl_rowcol_to_cell(first, 2 + i), xl_rowcol_to_cell(last, 2 + i), f["mean_total"], mean)
    for n, fmt in pen.scores.items():
        sheet.conditional_format(first, 2, last, mean_col - 1, {"type": "cell", "criteria": "==", "value": n, "format": fmt})
    sheet.freeze_panes(first, 2)
    sheet.repeat_rows(top)
    return _absolute(HEAT_MAP, first, 2, last, mean_col - 1)


def _mean(sheet: Worksheet, row: int, col: int, start: str, end: str, fmt: Format, value: float | None) -> None:
    """The mean of the scores from ``start`` to ``end`` as a formula (blank when none), its value cached."""
    span = f"{start}:{end}"
    sheet.write_formula(row, col, f"=IF(COUNT({span})=0,\"\",AVERAGE({span}))", fmt, value if value is not None else "")


def low_scores_sheet(pen: Pen, part: Sequence[LowScore]) -> None:
    """Each feature scored 1 or 2, labelled as the policy's scale labels it (1 is the priority for action, 2 needs action),
    its score coloured as on the heat map, with the evidence given (or the lack of it)."""
    sheet = _sheet(pen, LOW_SCORES, "Features scored 1 (not in place – priority for action) or 2 (partly in place – action needed)",
                   [10, 30, 26, 7, 26, 40, 16])
    rows: list[list[Cell]] = [[p.id, p.name, p.feature, p.score, SCORE_MEANING[p.score], p.evidence or "(no evidence given)",
                                p.lead_officer] for p in part]
    end = _table(pen, sheet, 3, "LowScores", ["ID", "Partnership", "Feature", "Score", "Meaning", "Evidence", "Lead officer"],
                 rows, ["text", "wrap", "wrap", "score", "wrap", "wrap", "text"], {1: 30, 2: 26, 4: 26, 5: 40})
    for n in (1, 2):
        sheet.conditional_format(4, 3, end - 1, 3, {"type": "cell", "criteria": "==", "value": n, "format": pen.scores[n]})


def compliance_sheet(pen: Pen, part: Compliance) -> None:
    """A count per issue (a COUNTIF over the issues listed below it), then every issue."""
    sheet = _sheet(pen, "Compliance", "Compliance with the Partnership Policy", [10, 32, 30, 16, 60])
    sheet.write_row(3, 1, ["Issue", "Partnerships"], pen.formats["head"])
    top = 5 + len(part.counts)
    first, last = top + 1, top + max(len(part.issues), 1)
    listed = f"{xl_rowcol_to_cell(first, 2, True, True)}:{xl_rowcol_to_cell(last, 2, True, True)}"
    for i, (title, count) in enumerate(part.counts, start=4):
        sheet.write_string(i, 1, title, pen.formats["text"])
        sheet.write_formula(i, 2, f"=COUNTIF({listed},{criterion(title)})", pen.formats["number"], count)
    rows = [[i.id, i.name, i.issue, i.lead_officer, i.detail] for i in part.issues]
    _table(pen, sheet, top, "Compliance", ["ID", "Partnership", "Issue", "Lead officer", "What the policy asks"], rows,
           ["text", "wrap", "wrap", "text", "wrap"], {1: 32, 2: 30, 4: 60})


def criterion(text: str) -> str:
    """A COUNTIF criterion that matches ``text`` exactly: a council's own title or category may hold a double quote, a
    wildcard (* ? ~) or start like a comparison (= < >), which Excel would otherwise read as such."""
    escaped = "".join("~" + ch if ch in "*?~" else ch for ch in text).replace('"', '""')
    return f'"={escaped}"' if text and text[0] in "=<>" else f'"{escaped}"'


_FLAGS = 3  # the Finance sheet's column of grant flags ("Grant ≥ £…")


def finance_sheet(pen: Pen, part: Finance) -> FinanceRanges:
    """Money per partnership, the grant flag a live formula against the threshold cell. Returns the flags and threshold."""
    f, threshold = pen.formats, pen.about.grant_threshold
    top = 3
    threshold_row = top + len(part.rows) + 3
    threshold_cell = xl_rowcol_to_cell(threshold_row, 1, True, True)
    sheet = _sheet(pen, FINANCE, f"Finance: grants of {pounds(threshold)} or more and council resources", [10, 42, 16, 12, 18, 18, 24])
    _note(pen, sheet, 2, f"Grant ≥ threshold is a live formula against the threshold in cell {xl_rowcol_to_cell(threshold_row, 1)} "
                         "(from the council's configuration). Filter it to see the grants finance must review.", 6)
    headings = ["ID", "Partnership", "Annual grant (£)", f"Grant ≥ {pounds(threshold)}",
                "Council funding (£ a year)", "Additional funds requested (£)", "Budget position"]
    for r, row in enumerate(part.rows, start=top + 1):
        _finance_row(pen, sheet, r, row, threshold_cell)
    last = top + max(len(part.rows), 1)
    sheet.add_table(top, 0, last, len(headings) - 1, {
        "name": "Finance", "style": TABLE_STYLE,
        "columns": [{"header": h, "header_format": f["head"]} for h in headings]})
    sheet.write_string(last + 1, 1, "Total", f["total"])
    for col, total in ((2, part.annual_grants), (4, part.council_funding), (5, part.additional_funds)):
        sheet.write_formula(last + 1, col, f"=SUM({xl_rowcol_to_cell(top + 1, col)}:{xl_rowcol_to_cell(last, col)})",
                            f["money_total"], total)
    sheet.write_string(threshold_row, 0, "Threshold", f["total"])
    sheet.write_number(threshold_row, 1, threshold, f["money"])
    sheet.conditional_format(top + 1, _FLAGS, last, _FLAGS, {"type": "cell", "criteria": "==", "value": '"Yes"',
                                                                 "format": pen.scores[2]})
    sheet.repeat_rows(top)
    sheet.set_row(top, 30)
    flags = xl_col_to_name(_FLAGS)
    return FinanceRanges(f"{quote_sheetname(FINANCE)}!${flags}:${flags}", f"{quote_sheetname(FINANCE)}!{threshold_cell}")


def _finance_row(pen: Pen, sheet: Worksheet, r: int, row: FinanceRow, threshold_cell: str) -> None:
    """One partnership's money; its grant flag (column D) a formula comparing its grant with ``threshold_cell``."""
    f = pen.formats
    write_value(sheet, r, 0, row.id, f["text"])
    write_value(sheet, r, 1, row.name, f["text"])
    write_value(sheet, r, 2, row.annual_grant, f["money"])
    grant = xl_rowcol_to_cell(r, 2)
    sheet.write_formula(r, _FLAGS, f'=IF(ISNUMBER({grant}),IF({grant}>={threshold_cell},"Yes","No"),"")', f["text"], row.over_threshold)
    write_value(sheet, r, 4, row.council_funding, f["money"])
    write_value(sheet, r, 5, row.additional_funds, f["money"])
    write_value(sheet, r, 6, row.budget_position, f["text"])


def changes_sheet(pen: Pen, part: Sequence[Change]) -> None:
    """What changed since last year's register, one row per change."""
    sheet = _sheet(pen, "Changes", "Changes since last year", [10, 40, 30, 22, 22])
    rows = [[c.id, c.name, c.change, c.last_year, c.this_year] for c in part]
    _table(pen, sheet, 3, "Changes", ["ID", "Partnership", "Change", "Last year", "This year"], rows,
           ["text", "wrap", "text", "text", "text"])


def overview_sheet(pen: Pen, sheet: Worksheet, part: Overview, partnerships: PartnershipRanges, scores: str,
                   finance: FinanceRanges) -> None:
    """The one-page overview on ``sheet`` (added first, to be the first tab): every figure a formula over the ranges
    the detail sheets returned (``scores``: the heat map's), with the model's figure as its cached value."""
    _overview_page(pen, sheet)
    row = _headline_figures(pen, sheet, 3, part.headlines, partnerships, finance)
    category_first, category_last = _category_table(pen, sheet, row + 2, part.categories, partnerships)
    score_first, score_last = _score_table(pen, sheet, category_last + 2, part.scores, scores)
    source = ("Source: every figure is a formula over the Partnerships sheet (or the Heat map and Finance sheets); select a "
              "cell to see it. Detail sheets: Significant, Heat map, Scores of 1 and 2, Compliance, Finance"
              + (", Changes." if part.with_changes else "."))
    for line, text in enumerate(textwrap.wrap(source, 100), start=score_last + 2):  # a line a row: not merged, not cut off
        across(sheet, line, 0, 4, text, pen.formats["note"])
    categories, scores_chart = chart_descriptions(part)
    _chart(pen, sheet, "bar", "Partnerships by category", category_first, category_last, 3, "G4", NAVY, categories)
    _chart(pen, sheet, "bar", "Assessment scores (count)", score_first, score_last, 1, "G22", None, scores_chart)


def chart_descriptions(part: Overview) -> tuple[str, str]:
    """What each of the overview's two charts shows, in words and figures: their alternative text, in the workbook
    and in its PDF (for readers who cannot see a chart; WCAG 2.2 1.1.1)."""
    categories = "; ".join(f"{c.category} {c.total}" for c in part.categories)
    scores = "; ".join(f"{n} {meaning}: {part.scores[n]}" for n, meaning in SCORE_MEANING.items())
    return (f"Bar chart: partnerships by category (active and ended) — {categories}.",
            f"Bar chart: assessment scores across all partnerships and features, how many of each — {scores}.")


def _overview_page(pen: Pen, sheet: Worksheet) -> None:
    """Column widths, title lines and page setup: one page, no margins to speak of."""
    about, f = pen.about, pen.formats
    sheet.set_column(0, 0, 56)
    sheet.set_column(1, 1, 17)
    sheet.set_column(2, 4, 10)
    sheet.set_column(5, 5, 2)
    sheet.set_column(6, 14, 9)
    sheet.write_string(0, 0, f"Partnerships {about.cycle}: summary for committee", f["title"])
    sheet.write_string(1, 0, f"{about.council} · as at {about.as_of:%d %B %Y} · returns were due by {about.deadline:%d %B %Y}",
                       f["subtitle"])
    sheet.set_row(0, 24)
    print_setup(sheet, one_page=True)
    sheet.hide_gridlines(2)
    sheet.set_header(header_text(left=about.council, centre="Partnership summary", right=about.cycle))
    sheet.set_footer(header_text(left=f"As at {about.as_of:%d %B %Y}", right=PAGE_OF))


_STATE_LABELS = {
    ReturnState.RETURNED: "accepted", ReturnState.WITH_ERRORS: "with errors to correct (last good answers shown)",
    ReturnState.HELD: "held until the MIO confirms whose they are", ReturnState.NOT_RETURNED: "not yet returned",
}


def _headline_figures(pen: Pen, sheet: Worksheet, row: int, h: Headlines, p: PartnershipRanges, finance: FinanceRanges) -> int:
    """The headline section from ``row``; returns its last row."""
    f = pen.formats
    figures = [
        ("Partnerships (active and ended)", f"=COUNTA({p.id})", h.partnerships, "big"),
        ("Significant partnerships", f'=COUNTIF({p.significant},"Yes")', h.significant, "big"),
        ("Partnerships that sent a return this cycle", f'=COUNTA({p.id})-COUNTIF({p.returned},"{ReturnState.NOT_RETURNED}")',
         h.sent, "big"),
        *((f"  {_STATE_LABELS[ReturnState(state)]}", f'=COUNTIF({p.returned},"{state}")', count, "big") for state, count in h.states),
        ("Late returns (after the deadline, or missing once it passed)", f'=COUNTIF({p.late},"Yes")', h.late, "big"),
        (f"Grants of {pounds(pen.about.grant_threshold)} or more", f'=COUNTIF({finance.flags},"Yes")', h.grants_over_threshold, "big"),
        ("Total annual grants (£)", f"=SUM({p.annual_grant})", h.annual_grants, "big_money"),
        ("Council funding committed (£ a year)", f"=SUM({p.council_funding})", h.council_funding, "big_money"),
    ]
    across(sheet, row, 0, 4, "Headline figures", f["section"])
    for label, formula, value, style in figures:
        row += 1
        sheet.write_string(row, 0, label, f["text"])
        sheet.write_formula(row, 1, formula, f[style], value)
    if h.proposals:
        row += 1
        sheet.write_string(row, 0, "Proposals awaiting SMT's agreement (in none of the figures above)", f["text"])
        sheet.write_number(row, 1, h.proposals, f["big"])
    if h.rejected is not None:
        row += 1
        sheet.write_string(row, 0, "Files that could not be read (see the validation report)", f["text"])
        sheet.write_number(row, 1, h.rejected, f["big"])
    return row


def _category_table(pen: Pen, sheet: Worksheet, row: int, counts: Sequence[CategoryCount], p: PartnershipRanges) -> tuple[int, int]:
    """Partnerships by category and status from ``row``; returns the first and last rows of figures (for the chart)."""
    f = pen.formats
    across(sheet, row, 0, 4, "Partnerships by category and status", f["section"])
    row += 1
    sheet.write_row(row, 0, ["Category", "Active", "Ended", "Total", "Significant"], f["head"])
    first = row + 1
    for c in counts:
        row += 1
        sheet.write_string(row, 0, c.category, f["text"])
        category = f"{p.category},{criterion(c.category)}"
        sheet.write_formula(row, 1, f'=COUNTIFS({category},{p.status},"Active")', f["number"], c.active)
        sheet.write_formula(row, 2, f'=COUNTIFS({category},{p.status},"Ended")+COUNTIFS({category},{p.status},"Closed")',
                            f["number"], c.ended)
        sheet.write_formula(row, 3, f"=COUNTIF({category})", f["number"], c.total)
        sheet.write_formula(row, 4, f'=COUNTIFS({category},{p.significant},"Yes")', f["number"], c.significant)
    return first, row


def _score_table(pen: Pen, sheet: Worksheet, row: int, counts: Mapping[int, int], scores: str) -> tuple[int, int]:
    """How many of each score, counted over the heat map's ``scores``, from ``row``; returns its first and last rows."""
    f = pen.formats
    across(sheet, row, 0, 4, "Assessment scores across all partnerships and features", f["section"])
    row += 1
    sheet.write_row(row, 0, ["Score", "Count"], f["head"])
    first = row + 1
    for n, meaning in SCORE_MEANING.items():
        row += 1
        sheet.write_string(row, 0, f"{n} {meaning}", f["text"])
        sheet.write_formula(row, 1, f"=COUNTIF({scores},{n})", f["number"], counts[n])
    return first, row


def _chart(pen: Pen, sheet: Worksheet, kind: str, title: str, first: int, last: int, value_col: int, where: str,
           colour: str | None, description: str) -> None:
    """A native chart of the overview's rows ``first`` to ``last``: labels in column A, values in ``value_col``;
    ``description`` its alternative text."""
    chart: Chart = pen.book.add_chart({"type": kind})
    series: dict[str, Any] = {
        "name": title,
        "categories": [sheet.get_name(), first, 0, last, 0],
        "values": [sheet.get_name(), first, value_col, last, value_col],
        "data_labels": {"value": True},
    }
    if colour:
        series["fill"] = {"color": colour}
    else:  # outlined: the palettes' pale bars stand out from the white plot area (WCAG 2.2 1.4.11)
        series["points"] = [{"fill": {"color": SCORE_COLOURS[n]}, "border": {"color": "#404040"}} for n in SCORE_MEANING]
    chart.add_series(series)
    chart.set_title({"name": title, "name_font": {"size": 11}})
    chart.set_legend({"none": True})
    chart.set_size({"width": 380, "height": 250})  # beside the tables, on one A4 page at 85 % or more
    if kind == "bar":
        chart.set_y_axis({"reverse": True})
    sheet.insert_chart(where, chart, {"description": description})


# ---------------------------------------------------------------- the workbook


def summary_bytes(summary: Summary) -> bytes:
    """The committee summary workbook of ``summary``."""
    return draw(summary_model(summary), summary.config.language)


def draw(model: SummaryModel, language: str = LANGUAGE) -> bytes:
    """The workbook of ``model``: the overview's tab first, drawn last from the ranges the detail sheets return."""
    buffer = io.BytesIO()
    book = FastWorkbook(buffer, {**BOOK_OPTIONS, **BOOK_FONT, "in_memory": True})
    about = model.about
    book.set_properties({"title": f"Partnership summary {about.cycle}", "author": about.council, "company": about.council,
                         "created": dt.datetime.combine(about.as_of, dt.time())})
    drawing = pen_for(book, about)
    front = book.add_worksheet(OVERVIEW)  # the first tab; the others' tabs follow in the order they are drawn
    significant_sheet(drawing, model.significant)
    scores = heat_map_sheet(drawing, model.heat_map)
    low_scores_sheet(drawing, model.low_scores)
    compliance_sheet(drawing, model.compliance)
    money = finance_sheet(drawing, model.finance)
    if model.changes is not None:
        changes_sheet(drawing, model.changes)
    partnerships = partnerships_sheet(drawing, model.partnerships)
    overview_sheet(drawing, front, model.overview, partnerships, scores, money)
    front.activate()
    book.close()
    return with_language(buffer.getvalue(), language)


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
                  previous: Path | None = None, pdf: bool = False, ledger: Path | None = None) -> SummaryResult:
    """The committee summary of the register at ``register`` (changes since ``previous``), and its PDF if asked.

    The MIO's waivers come from ``ledger`` (only read) when there is one, so that the summary of a register on its
    own shows a waived finding as consolidate's summary does: no breach."""
    current = read_register(register, spec, config)
    before = read_register(previous, spec, config) if previous else None
    waived: frozenset[tuple[str, str]] = frozenset()
    if ledger is not None and ledger.is_file():
        with Ledger.snapshot(ledger, config.signing_key()) as held:
            waived = waivers(in_force(held).decisions)
    built = build_summary(current.records, spec, config, as_of, before.records if before else None, waived=waived)
    outcome = replace_keeping_copy(out_file, summary_bytes(built))
    if pdf:  # imported here: the PDF's helpers are not needed by the consolidations that write summaries
        from partxl.outputs.pdf import to_pdf
    printed = to_pdf(out_file, out_file.with_suffix(".pdf"), language=config.language) if pdf else None
    return SummaryResult(out_file, outcome, len(built.rows), printed, current.findings + (before.findings if before else []))
