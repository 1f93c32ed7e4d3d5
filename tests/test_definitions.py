"""Definition files a council edits by hand: mistakes are named, additions just work."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from partxl.forms.definitions import DefinitionError, load_spec

from .conftest import SAMPLE_REGISTER, run_cli
from .inspect_xlsx import defined_cells, validation_at

TEMPLATES = Path(__file__).resolve().parent.parent / "workbook_templates"


def workspace(tmp_path: Path) -> Path:
    code, _, err = run_cli("init", str(tmp_path / "ws"))
    assert code == 0, err
    return tmp_path / "ws"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


MISTAKES = [
    # (file, text to replace, replacement, field the error must name, words of the problem)
    ("info.yaml", "        type: longtext\n        required: true\n        register: Main purpose",
     "        type: paragraph\n        required: true\n        register: Main purpose", "purpose", "unknown type 'paragraph'"),
    ("info.yaml", "      - id: accountable_body", "      - id: name", "name", "duplicate field id 'name'"),
    ("info.yaml", "        choices:\n          - Within existing budgets\n          - Additional funds required\n"
     "          - No financial commitment\n", "", "budget_position", "a choice field needs 'choices'"),
    ("significance.yaml", "    field: statutory_duty\n", "    field: statutory_dutty\n", "statutory_dutty", "no field 'statutory_dutty'"),
    ("assessment.yaml", "          - id: trust\n", "          - id: Trust!\n", "Trust!", "should start with a lower-case letter"),
    ("info.yaml", "        required: true\n        max_length: 200\n        register: Partnership name",
     "        required: yes please\n        max_length: 200\n        register: Partnership name", "name",
     "'required' should be true or false"),
    ("info.yaml", "sheet: Information", "sheet: Info:rmation", "the form", "sheet name"),
    ("workbook.yaml", "forms: [info, proposal, significance, agreement]", "forms: [info, signifcance]", "proposal", "no definition file"),
    ("evaluation.yaml", "  - title: Summary\n", "  - title: Summary\n   bad: [indent\n", "line", "not valid YAML"),
]


@pytest.mark.parametrize("filename,old,new,field,problem", MISTAKES, ids=[m[4] for m in MISTAKES])
def test_a_mistake_names_the_file_and_the_field(tmp_path: Path, filename, old, new, field, problem):
    ws = workspace(tmp_path)
    edit(ws / "workbook_templates" / filename, old, new)
    with pytest.raises(DefinitionError) as caught:
        load_spec(ws / "workbook_templates")
    assert caught.value.path.name == filename
    assert field in caught.value.where or field in caught.value.problem
    assert problem in caught.value.problem
    code, _, err = run_cli("--config", str(ws / "partxl.toml"), "generate", "--register", str(SAMPLE_REGISTER),
                           "--out", str(tmp_path / "out"))
    assert code == 2 and filename in err and field in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_council_adds_a_question_and_a_choice_by_editing_the_file(tmp_path: Path):
    ws = workspace(tmp_path)
    info = ws / "workbook_templates" / "info.yaml"
    edit(info, "          - No financial commitment\n", "          - No financial commitment\n          - Funded by a grant\n")
    edit(info, "      - id: comments\n", "      - id: website\n        label: Partnership website\n        type: text\n"
         "        help: The partnership's own web address.\n      - id: comments\n")
    edit(info, "version: 2", "version: 3")
    code, _, err = run_cli("--config", str(ws / "partxl.toml"), "generate", "--register", str(SAMPLE_REGISTER),
                           "--out", str(tmp_path / "out"), "--only", "P001")
    assert code == 0, err
    path, = (tmp_path / "out").glob("*.xlsx")
    book = openpyxl.load_workbook(path)
    names = defined_cells(book)
    assert "info_website" in names
    dv = validation_at(book["Information"], names["info_budget_position"].address)
    (sheet, ref), = book.defined_names[dv.formula1].destinations
    assert "Funded by a grant" in [c.value for row in book[sheet][ref.replace("$", "")] for c in row]
    meta = {r[0].value: r[1].value for r in book["_partxl"].iter_rows(min_row=2, max_col=2)}
    assert meta["forms"].startswith("info@3,")


def test_the_shipped_definitions_cover_the_policy_forms():
    spec = load_spec(TEMPLATES)
    assert {"info", "significance", "risk", "assessment", "agreement", "evaluation", "proposal"} <= set(spec.forms)
    features = spec.form("assessment").item("features")
    assert len(features.rows) == 10 and all(r.text for r in features.rows)
    assert [c.type for c in features.columns] == ["score", "longtext"]
    assert len(spec.form("agreement").item("elements").rows) >= 17
    grant = spec.form("significance").item("annual_grant")
    assert grant.type == "money" and grant.required


def test_init_never_overwrites(tmp_path: Path):
    ws = workspace(tmp_path)
    (ws / "partxl.toml").write_text("# mine\n")
    code, out, _ = run_cli("init", str(ws))
    assert code == 0 and (ws / "partxl.toml").read_text() == "# mine\n" and "nothing was changed" in out


def test_init_writes_a_fresh_key_and_a_config_that_loads(tmp_path: Path):
    from partxl.config import load_config

    one, two = workspace(tmp_path / "a"), workspace(tmp_path / "b")
    c1, c2 = load_config(one / "partxl.toml"), load_config(two / "partxl.toml")
    assert c1.integrity_key != c2.integrity_key and len(c1.integrity_key) == 64
    assert c1.templates == one / "workbook_templates"
    shutil.rmtree(one / "workbook_templates")
    code, _, err = run_cli("--config", str(one / "partxl.toml"), "generate", "--out", str(tmp_path / "o"))
    assert code == 2 and "workbook_templates" in err


def test_a_config_typo_is_named(tmp_path: Path):
    (tmp_path / "partxl.toml").write_text("[policy]\ngrant_treshold = 5\n")
    code, _, err = run_cli("--config", str(tmp_path / "partxl.toml"), "generate", "--out", str(tmp_path / "o"))
    assert code == 2 and "grant_treshold" in err and "partxl.toml" in err


def test_init_writes_a_starter_register_the_next_command_reads(tmp_path: Path):
    code, out, err = run_cli("init", str(tmp_path / "council"))
    assert code == 0 and "register.xlsx" in out, err
    book = openpyxl.load_workbook(tmp_path / "council" / "register.xlsx")
    assert book.sheetnames[:4] == ["Register", "Proposed", "Ceased", "Closed"]
    assert [c.value for c in book["Register"][1]][:2] == ["Partnership ID", "Partnership name"]
    code, out, err = run_cli("--config", str(tmp_path / "council" / "partxl.toml"), "generate", "--register",
                             str(tmp_path / "council" / "register.xlsx"), "--out", str(tmp_path / "wb"), "--blank")
    assert code == 0 and (tmp_path / "wb" / "New partnership proposal.xlsx").is_file(), err
