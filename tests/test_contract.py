"""The fields partxl's code relies on (partxl.forms.contract) are checked when the forms load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from partxl import DefinitionError
from partxl.config import load_config
from partxl.forms import contract
from partxl.forms.definitions import load_spec
from partxl.forms.layout import evaluate_all, formula

from .conftest import REPO


def _templates(tmp_path: Path) -> Path:
    folder = tmp_path / "workbook_templates"
    shutil.copytree(REPO / "workbook_templates", folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_shipped_forms_meet_the_contract(spec):
    for need in contract.NEEDED:
        form = spec.form(need.form)
        if need.types == ("computed",):
            assert any(c.id == need.id for c in form.computed)
        else:
            assert form.item(need.id).type in need.types, need.id


CHANGES = [  # (file, old text, new text, field named, words of the problem)
    ("info.yaml", "          - label: Network group / forum\n", "          - label: Network group or forum\n", "category",
     "'Network group / forum'"),
    ("info.yaml", "      - id: review_date\n", "      - id: last_review\n", "review_date", "missing"),
    ("significance.yaml", "      - id: annual_grant\n        label: Annual grant the partnership receives (£)\n        type: money",
     "      - id: annual_grant\n        label: Annual grant the partnership receives (£)\n        type: text", "annual_grant",
     "type 'text'"),
    ("evaluation.yaml", "choices: [Annual review, Change of representative, Partnership concluded]",
     "choices: [Annual review, Change of representative, Partnership ended]", "reason", "'Partnership concluded'"),
    ("assessment.yaml", "          - id: score\n", "          - id: rating\n", "features", "column 'score'"),
]


@pytest.mark.parametrize("filename,old,new,field,problem", CHANGES, ids=[c[3] for c in CHANGES])
def test_renaming_what_the_code_relies_on_is_an_error_naming_the_file_and_field(tmp_path, filename, old, new, field, problem):
    folder = _templates(tmp_path)
    _edit(folder / filename, old, new)
    if field == "review_date":  # the rules that name it must follow, or they would be the first error
        text = (folder / filename).read_text().replace("field: review_date", "field: last_review")
        (folder / filename).write_text(text)
    with pytest.raises(DefinitionError) as caught:
        load_spec(folder)
    assert caught.value.path.name == filename
    assert f"'{field}'" in caught.value.where and problem in caught.value.problem and "relies on it" in caught.value.problem


def test_rewording_a_label_or_adding_a_choice_is_fine(tmp_path):
    folder = _templates(tmp_path)
    _edit(folder / "info.yaml", "        label: Type of arrangement\n", "        label: What kind of arrangement is this?\n")
    _edit(folder / "info.yaml", "          - label: Shared service\n", "          - Informal network\n          - label: Shared service\n")
    assert "Informal network" in load_spec(folder).form("info").item("category").choices


def test_a_computed_value_can_read_another_forms_answer(tmp_path):
    folder = _templates(tmp_path)
    _edit(folder / "significance.yaml", "fields: [major_service, senior_representation,",
          'fields: ["info:statutory", major_service, senior_representation,')
    form = load_spec(folder).form("significance")
    shows = next(c for c in form.computed if c.id == contract.SHOWS_FEATURES.id)
    config = load_config(None)
    assert 'info_statutory="Yes"' in formula(shows, form, config)  # the Excel formula names the other form's cell
    nothing = {f"significance_{f}": "No" for f in ("major_service", "senior_representation", "significant_resource",
                                                    "high_risk", "statutory_duty")}
    values = evaluate_all(form, {**nothing, "info_statutory": "Yes"}, config)
    assert values[contract.SHOWS_FEATURES.cell] == "Yes"  # and Python's twin reads the same cell
    assert evaluate_all(form, {**nothing, "info_statutory": "No"}, config)[contract.SHOWS_FEATURES.cell] == "No"
