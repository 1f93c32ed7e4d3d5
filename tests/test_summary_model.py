"""The committee summary's model, worked out before any sheet is drawn, and the sheets drawn from it.

The figures are checked on a small register written out here, where every count is known by
hand (a grant of exactly the threshold, one a penny under it, an ended partnership, a late
return, a missing one). The drawing is checked for what the refactor into a model promised:
the overview's formulas come from the ranges the other sheets return, so drawing the sheets in
another order gives the same formulas, pointing at the columns they count.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import column_index_from_string

import partxl
from partxl.config import Config
from partxl.forms import contract
from partxl.forms.definitions import Spec
from partxl.outputs import summary as s
from partxl.outputs.summary import build_summary, summary_bytes, summary_model
from partxl.register.model import ReturnState
from partxl.xlsx import BOOK_OPTIONS, FastWorkbook

AS_OF = dt.date(2027, 4, 19)  # before the default deadline, 25 June 2027
AFTER_DEADLINE = dt.date(2027, 7, 12)


def record(pid: str, name: str, category: str, *, status: str = "Active", grant: float | None = None,
           funding: float | None = None, features: tuple[str, ...] = (), scores: dict[str, int] | None = None,
           evidence: dict[str, str] | None = None, returned: dt.date | None = None, key: bool = False,
           **answers: Any) -> partxl.Record:
    """A partnership as the register holds it: answers keyed by cell name (``info_name``, ``assessment_features_trust_score``…)."""
    values: dict[str, Any] = {"info_name": name, "info_category": category, "info_lead_officer": f"Officer {pid}",
                              "info_risks": "Stated", "info_has_agreement": "Yes", "info_exit_strategy": "Yes"}
    if grant is not None:
        values[contract.ANNUAL_GRANT.cell] = grant
    if funding is not None:
        values[contract.COUNCIL_FUNDING.cell] = funding
    for feature in ("major_service", "senior_representation", "significant_resource", "high_risk", "statutory_duty"):
        values[f"significance_{feature}"] = "Yes" if feature in features else "No"
    values["significance_key_to_priorities"] = "Yes" if key else "No"  # a defining question: what makes it significant
    values["significance_national_influence"] = "No"
    for key, score in (scores or {}).items():
        values[contract.SCORES.column(key, "score")] = score
    for key, text in (evidence or {}).items():
        values[contract.SCORES.column(key, "evidence")] = text
    values.update(answers)
    state = ReturnState.RETURNED if returned is not None else ReturnState.NOT_RETURNED
    return partxl.Record(pid, status=status, values=values, state=state, latest_return=returned,
                         source=f"{pid} return.xlsx" if returned is not None else "")


ALL_FOURS = {k: 4 for k in ("action_outcome", "well_governed", "leadership", "efficient", "inclusive", "outward_focused",
                            "learning", "performance", "trust", "evaluates")}


def register() -> list[partxl.Record]:
    return [
        record("P1", "Alpha Board", contract.STATUTORY, grant=100_000, funding=5_000, features=("major_service",),
               scores={"trust": 1, "well_governed": 2, "leadership": 4}, evidence={"trust": "Minutes 2026"},
               returned=dt.date(2027, 2, 25), key=True),
        record("P2", "Beta Forum", contract.NETWORK, status="Ended", grant=99_999.99, funding=1_000.5,
               scores={"trust": 2, "inclusive": 3}, returned=dt.date(2027, 6, 28), info_has_agreement="No"),
        record("P3", "Gamma Group", contract.COMMUNITY, info_risks=None),
        record("P4", "Delta Trust", contract.COMMUNITY, grant=250_000, scores=ALL_FOURS, returned=dt.date(2027, 6, 25), key=True),
    ]


@pytest.fixture(scope="module")
def model(spec: Spec, config: Config) -> s.SummaryModel:
    return summary_model(build_summary(register(), spec, config, AS_OF))


def test_the_partnerships_are_in_the_policys_order_with_their_returns(model: s.SummaryModel):
    assert [(p.id, p.category, p.status, p.significant, p.returned, p.late) for p in model.partnerships] == [
        ("P1", contract.STATUTORY, "Active", "Yes", "Returned", "No"),
        ("P4", contract.COMMUNITY, "Active", "Yes", "Returned", "No"),  # returned on the deadline itself: not late
        ("P3", contract.COMMUNITY, "Active", "No", "Not yet returned", "No"),  # not returned, deadline still to come
        ("P2", contract.NETWORK, "Ended", "No", "Returned", "Yes"),  # returned after the deadline
    ]


def test_headline_figures(model: s.SummaryModel):
    h = model.overview.headlines
    assert (h.partnerships, h.significant, h.sent, h.late) == (4, 2, 3, 1)
    assert dict(h.states) == {"Returned": 3, "Returned with errors": 0, "Held: identity to confirm": 0, "Not yet returned": 1}
    assert h.grants_over_threshold == 2  # exactly £100,000 and £250,000; not £99,999.99
    assert h.annual_grants == pytest.approx(449_999.99)
    assert h.council_funding == pytest.approx(6_000.5)
    assert h.rejected is None  # a summary of a register alone does not know what consolidate found


def test_a_missing_return_is_late_once_the_deadline_has_passed(spec: Spec, config: Config):
    later = summary_model(build_summary(register(), spec, config, AFTER_DEADLINE))
    assert {p.id: p.late for p in later.partnerships} == {"P1": "No", "P4": "No", "P3": "Yes", "P2": "Yes"}
    assert later.overview.headlines.late == 2


def test_counts_per_category_and_status(model: s.SummaryModel):
    assert [(c.category, c.active, c.ended, c.total, c.significant) for c in model.overview.categories] == [
        (contract.STATUTORY, 1, 0, 1, 1),
        (contract.COMMUNITY, 2, 0, 2, 1),
        (contract.NETWORK, 0, 1, 1, 0),
        (contract.OTHER_NON_STATUTORY, 0, 0, 0, 0),  # every heading of the policy's register, even an empty one
    ]


def test_grants_at_or_above_the_threshold_and_the_totals(model: s.SummaryModel):
    money = model.finance
    assert [(r.id, r.annual_grant, r.over_threshold) for r in money.rows] == [
        ("P4", 250_000, "Yes"), ("P1", 100_000, "Yes"), ("P2", 99_999.99, "No"), ("P3", None, "")]  # largest first
    assert money.annual_grants == pytest.approx(449_999.99)
    assert (money.council_funding, money.additional_funds) == (6_000.5, 0)
    assert [(r.id, r.grant_over_threshold) for r in model.significant.rows] == [("P1", "Yes"), ("P4", "Yes")]


def test_significant_partnerships_and_their_features(model: s.SummaryModel):
    assert model.significant.features[:3] == ("Key to Community Strategy / Corporate Plan",
                                              "Influences national or regional thinking", "Delivers a major service")
    assert len(model.significant.features) == 7  # the two defining questions, then the five yes/no features
    assert model.significant.test == "Key to Community Strategy / Corporate Plan; Influences national or regional thinking"
    alpha, delta = model.significant.rows
    assert alpha.answers == ("Yes", "No", "Yes", "No", "No", "No", "No") and alpha.features == 2  # the service and the grant
    assert delta.answers == ("Yes", "No") + ("No",) * 5 and delta.features == 1


def test_score_distribution_and_heat_map(model: s.SummaryModel):
    assert dict(model.overview.scores) == {1: 1, 2: 2, 3: 1, 4: 11}
    heat = model.heat_map
    assert [(r.id, r.mean) for r in heat.rows] == [("P1", 7 / 3), ("P2", 2.5), ("P4", 4.0)]  # weakest first; P3 unscored
    means = dict(zip(heat.features, heat.feature_means, strict=True))  # AVERAGE's own values, cached unrounded
    assert means["9. Trust"] == 7 / 3 and means["2. Well governed"] == 3.0 and means["5. Inclusive"] == 3.5
    assert means["4. Efficient"] == 4.0
    given = [v for r in heat.rows for v in r.scores if v is not None]
    assert sorted(given) == sorted(v for n, count in model.overview.scores.items() for v in [n] * count)


def test_low_scores_keep_the_matrixs_order_of_features(spec: Spec, config: Config):
    ones = record("P1", "Alpha Board", contract.STATUTORY, scores={"evaluates": 2, "well_governed": 2, "trust": 2})
    model = summary_model(build_summary([ones], spec, config, AS_OF))
    assert [p.feature for p in model.low_scores] == ["2. Well governed", "9. Trust", "10. Regularly evaluates"]  # not as text


def test_low_scores_are_exactly_the_ones_and_twos(model: s.SummaryModel):
    assert [(p.id, p.feature, p.score, p.evidence) for p in model.low_scores] == [
        ("P1", "9. Trust", 1, "Minutes 2026"),
        ("P1", "2. Well governed", 2, ""),
        ("P2", "9. Trust", 2, ""),
    ]


def test_compliance_issues_and_their_counts(model: s.SummaryModel):
    issues = {(i.id, i.issue) for i in model.compliance.issues}
    assert issues == {("P1", "Evidence missing"), ("P2", "Evidence missing"), ("P4", "Evidence missing"),
                      ("P2", "No agreement / terms of reference"), ("P3", "Risks not stated")}
    assert model.compliance.counts == (("Evidence missing", 3), ("No agreement / terms of reference", 1),
                                       ("Risks not stated", 1))
    alpha = next(i for i in model.compliance.issues if i.id == "P1")
    assert alpha.detail == "2 score(s) without evidence: 2. Well governed; 3. Good leadership"


def test_changes_since_last_year(spec: Spec, config: Config):
    last_year = [
        record("P1", "Alpha Partnership Board", contract.COMMUNITY, grant=90_000, funding=4_000, scores={"trust": 3},
               info_lead_officer="Officer X"),
        record("P2", "Beta Forum", contract.NETWORK),
        record("P9", "Omega Panel", contract.NETWORK),
    ]
    changed = summary_model(build_summary(register(), spec, config, AS_OF, previous=last_year))
    assert changed.overview.with_changes
    assert [(c.id, c.change, c.last_year, c.this_year) for c in changed.changes or ()] == [
        ("P1", "Renamed", "Alpha Partnership Board", "Alpha Board"),
        ("P1", "New lead officer", "Officer X", "Officer P1"),
        ("P1", "Category changed", contract.COMMUNITY, contract.STATUTORY),
        ("P1", "Significance changed", "No", "Yes"),
        ("P1", "Grant threshold crossed", "No", "Yes"),  # £90,000 to £100,000: at the threshold counts
        ("P1", "Significance features changed", "(none)", "Delivers a major service; Grant of £100,000 or more"),
        ("P1", "Annual grant up", "£90,000", "£100,000"),
        ("P1", "Council funding up", "£4,000", "£5,000"),
        ("P1", "Scores down", "mean 3.0", "mean 2.3"),
        ("P4", "New partnership", "", contract.COMMUNITY),
        ("P3", "New partnership", "", contract.COMMUNITY),
        ("P2", "Ended", "Active", "Ended"),  # no grant last year: crossing the threshold needs one both years
        ("P9", "No longer on the register", contract.NETWORK, ""),
    ]


def test_without_last_years_register_there_are_no_changes(model: s.SummaryModel):
    assert model.changes is None and not model.overview.with_changes


def test_the_model_is_frozen(model: s.SummaryModel):
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.overview.headlines.partnerships = 5  # type: ignore[misc]


# ---------------------------------------------------------------- drawing from the model


def _draw(model: s.SummaryModel, order: Callable[[s.Pen, s.SummaryModel, Any], None]) -> openpyxl.Workbook:
    """The sheets drawn by ``order(pen, model, overview sheet)``, read back with their formulas."""
    buffer = io.BytesIO()
    book = FastWorkbook(buffer, {**BOOK_OPTIONS, "in_memory": True})
    pen = s.pen_for(book, model.about)
    order(pen, model, book.add_worksheet(s.OVERVIEW))
    book.close()
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))


def _backwards(pen: s.Pen, model: s.SummaryModel, front: Any) -> None:
    """The sheets the overview counts first, the overview next, the other detail sheets after it."""
    partnerships = s.partnerships_sheet(pen, model.partnerships)
    money = s.finance_sheet(pen, model.finance)
    scores = s.heat_map_sheet(pen, model.heat_map)
    s.overview_sheet(pen, front, model.overview, partnerships, scores, money)
    s.compliance_sheet(pen, model.compliance)
    s.low_scores_sheet(pen, model.low_scores)
    s.significant_sheet(pen, model.significant)


def _formulas(sheet: Any) -> dict[str, str]:
    return {c.coordinate: c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")}


def test_drawing_the_sheets_in_another_order_gives_the_same_overview_formulas(spec: Spec, config: Config, model: s.SummaryModel):
    usual = openpyxl.load_workbook(io.BytesIO(summary_bytes(build_summary(register(), spec, config, AS_OF))))
    other = _draw(model, _backwards)
    assert other.sheetnames[:2] == ["Overview", "Partnerships"]  # the tab order did change
    assert _formulas(other["Overview"]) == _formulas(usual["Overview"])
    assert len(_formulas(usual["Overview"])) == 7 + 4 + 4 * len(contract.CATEGORY_ORDER) + 4  # headlines, states, 4 a category, scores


def test_every_overview_formula_points_at_the_column_it_counts(model: s.SummaryModel):
    book = _draw(model, _backwards)
    found = set()
    for formula in _formulas(book["Overview"]).values():
        for sheet, first_col, first_row, last_col, last_row in re.findall(
                r"('?[\w ]+'?)!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", formula):
            if sheet == "Partnerships":
                assert first_col == last_col and (first_row, last_row) == ("5", str(4 + len(model.partnerships))), formula
                found.add(book["Partnerships"][f"{first_col}4"].value)
            else:
                assert (sheet, first_col, last_col) == ("'Heat map'", "C", "L") and (first_row, last_row) == ("5", "7")
    assert found == {"ID", "Significant", "This cycle's return", "Late", "Category", "Status", "Annual grant (£)", "Council funding (£)"}
    grants = next(f for f in _formulas(book["Overview"]).values() if "Finance!" in f)
    assert grants == '=COUNTIF(Finance!$D:$D,"Yes")' and book["Finance"]["D4"].value == "Grant ≥ £100,000"


def test_the_ranges_each_sheet_returns(model: s.SummaryModel):
    book = FastWorkbook(io.BytesIO(), {**BOOK_OPTIONS, "in_memory": True})
    pen = s.pen_for(book, model.about)
    money = s.finance_sheet(pen, model.finance)
    assert money == s.FinanceRanges(flags="Finance!$D:$D", threshold="Finance!$B$11")  # 4 rows, a total, a gap, then it
    assert s.heat_map_sheet(pen, model.heat_map) == "'Heat map'!$C$5:$L$7"
    ranges = s.partnerships_sheet(pen, model.partnerships)
    assert (ranges.id, ranges.late, ranges.council_funding) == (
        "Partnerships!$A$5:$A$8", "Partnerships!$G$5:$G$8", "Partnerships!$I$5:$I$8")
    book.close()


def test_the_finance_flags_compare_with_the_threshold_cell_returned(model: s.SummaryModel):
    found: dict[str, s.FinanceRanges] = {}

    def finance_only(pen: s.Pen, model: s.SummaryModel, front: Any) -> None:
        found["ranges"] = s.finance_sheet(pen, model.finance)

    sheet = _draw(model, finance_only)["Finance"]
    cell = found["ranges"].threshold.split("!")[1]
    assert sheet[cell.replace("$", "")].value == 100_000
    flags = [sheet.cell(row, column_index_from_string("D")).value for row in range(5, 9)]
    assert all(f"IF(C{row}>={cell}," in flag for row, flag in enumerate(flags, start=5))


def test_the_overview_uses_only_the_ranges_it_is_given(model: s.SummaryModel):
    given = s.PartnershipRanges(**{f.name: f"Elsewhere!{f.name}" for f in dataclasses.fields(s.PartnershipRanges)})

    def overview_alone(pen: s.Pen, model: s.SummaryModel, front: Any) -> None:
        s.overview_sheet(pen, front, model.overview, given, "Scores!X1:Y2", s.FinanceRanges("Flags!Z:Z", "Flags!A1"))

    formulas = _formulas(_draw(model, overview_alone)["Overview"])
    assert formulas["B5"] == "=COUNTA(Elsewhere!id)"
    assert formulas["B13"] == '=COUNTIF(Flags!Z:Z,"Yes")'
    assert formulas["B19"] == f'=COUNTIFS(Elsewhere!category,"{contract.STATUTORY}",Elsewhere!status,"Active")'
    assert formulas[f"B{22 + len(contract.CATEGORY_ORDER)}"] == "=COUNTIF(Scores!X1:Y2,1)"  # under the table of categories
    referred = {m for f in formulas.values() for m in re.findall(r"(\w+)!", f)}
    assert referred == {"Elsewhere", "Flags", "Scores"}


def test_an_empty_register_still_gives_formulas_over_one_row(spec: Spec, config: Config):
    empty = summary_model(build_summary([], spec, config, AS_OF))
    assert empty.overview.headlines.partnerships == 0 and dict(empty.overview.scores) == {1: 0, 2: 0, 3: 0, 4: 0}
    formulas = _formulas(openpyxl.load_workbook(io.BytesIO(summary_bytes(build_summary([], spec, config, AS_OF))))["Overview"])
    assert formulas["B5"] == "=COUNTA(Partnerships!$A$5:$A$5)"
