"""What is required, and when: the Start here count of answers still needed includes the answers other answers make
required, so an officer who sees 0 has nothing required left (it read 0 on the evaluation workbook, which needs two)."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from partxl.forms.layout import layout_form, required_empty_count, requirements


def _start_here(path: Path) -> dict[str, tuple[str, object]]:
    """Sheet -> (formula, cached count) of the Start here table, read as Excel would show it and as written."""
    formulas = openpyxl.load_workbook(path)["Start here"]
    cached = openpyxl.load_workbook(path, data_only=True)["Start here"]
    return {row[0].value: (row[2].value, cached[row[2].coordinate].value) for row in formulas.iter_rows()
            if isinstance(row[2].value, str) and row[2].value.startswith("=")}


def test_the_evaluation_workbook_counts_what_the_concluded_reason_requires(generated: Path):
    ceased = next(p for p in generated.glob("*.xlsx") if openpyxl.load_workbook(p).sheetnames[2:] == ["Evaluation"])
    formula, count = _start_here(ceased)["Evaluation"]
    assert "evaluation_lessons" in formula and "evaluation_outcomes" in formula and "evaluation_reason_details" in formula
    assert count == 3  # the reason is pre-filled "Partnership concluded": the outcomes, the lessons and why are needed


def test_a_used_row_and_a_yes_make_answers_required_in_the_count(spec):
    info = layout_form(spec.form("info"))
    conditional = {r.cell.name: r for r in requirements(info) if r.condition is not None}
    assert any(n.startswith("info_reps_2_") for n in conditional) and "info_agreement_type" in conditional
    assert conditional["info_agreement_type"].condition == 'info_has_agreement="Yes"'
    base = {r.cell.name: "x" for r in requirements(info) if r.condition is None}  # every always-required answer given
    assert required_empty_count(info, base) == 0
    assert required_empty_count(info, {**base, "info_has_agreement": "Yes"}) == 1  # the agreement type
    row_two = {**base, "info_reps_2_name": "Cllr New"}
    needed = {r.cell.name for r in requirements(info) if r.cell.name.startswith("info_reps_2_") and r.applies(row_two)}
    assert required_empty_count(info, row_two) == len(needed - {"info_reps_2_name"}) > 0
