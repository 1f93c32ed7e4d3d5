"""The form files load strictly, and the JSON Schema editors use agrees with what partxl accepts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from jsonschema import Draft202012Validator

import partxl
import partxl.forms
from partxl.config import load_config
from partxl.forms import definitions as d
from partxl.forms.definitions import DefinitionError, load_spec
from partxl.forms.fieldtypes import TYPES

from .conftest import SAMPLE_REGISTER
from .inspect_xlsx import defined_cells, validation_at

TEMPLATES = Path(__file__).resolve().parent.parent / "workbook_templates"
SCHEMA_DIR = Path(partxl.forms.__file__).parent / "schema"
SHIPPED = sorted(p.name for p in TEMPLATES.glob("*.yaml"))


def schema_for(name: str) -> dict[str, Any]:
    kind = "workbook" if name == "workbook.yaml" else "form"
    return json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))


def load(path: Path) -> Any:
    """A definition file as partxl reads it (its strict loader), for the schema to validate."""
    return d._load_yaml(path)


def schema_errors(path: Path) -> list[str]:
    validator = Draft202012Validator(schema_for(path.name))
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(load(path))]


def templates_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "workbook_templates"
    shutil.copytree(TEMPLATES, folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {path.name} exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")


# ---------------------------------------------------------------- the schema itself


@pytest.mark.parametrize("kind", ["form", "workbook"])
def test_the_schema_is_a_valid_draft_2020_12_schema(kind: str):
    schema = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_file_validates(name: str):
    assert schema_errors(TEMPLATES / name) == []


def test_the_schema_names_what_definitions_py_knows():
    form, workbook = schema_for("info.yaml"), schema_for("workbook.yaml")
    defs = form["$defs"]
    assert set(defs["field"]["properties"]["type"]["enum"]) == set(TYPES)
    assert defs["table"]["properties"]["type"]["const"] == "table"
    assert set(defs["field"]["properties"]["choices_from"]["enum"]) == d.CHOICE_SOURCES
    assert set(defs["rule"]["properties"]["kind"]["enum"]) == d.RULE_KINDS
    assert set(defs["rule"]["properties"]["severity"]["enum"]) == d.SEVERITIES
    assert set(defs["rule"]["properties"]["months_from"]["enum"]) == d.MONTHS_FROM
    assert set(defs["computed"]["properties"]["kind"]["enum"]) == d.COMPUTED_KINDS
    assert set(defs["computed"]["properties"]["threshold"]["enum"]) == d.THRESHOLDS
    assert defs["id"]["pattern"] == d.ID_PATTERN.pattern
    assert form["properties"]["id"]["pattern"] == d.FORM_ID_PATTERN.pattern
    assert set(form["properties"]["id"]["not"]["enum"]) == d.RESERVED_FORM_IDS
    assert workbook["$defs"]["workbook"]["properties"]["forms"]["items"]["pattern"] == d.FORM_ID_PATTERN.pattern
    # the keys each level allows: the schema's properties are what definitions.py reads
    assert set(form["properties"]) == d._FORM_KEYS
    assert set(defs["field"]["properties"]) == d._FIELD_KEYS
    assert set(defs["table"]["properties"]) == d._TABLE_KEYS
    assert set(defs["section"]["properties"]) == {"title", "fields"}
    assert set(defs["fixed_row"]["properties"]) == {"id", "label", "text"}
    assert set(defs["condition"]["properties"]) == {"field", "equals"}
    assert set(defs["computed"]["properties"]) == {"id", "label", "kind", "field", "fields", "threshold", "fields_from"}
    assert set(defs["computed"]["properties"]["fields_from"]["enum"]) == d.FIELDS_FROM
    assert set(defs["rule"]["properties"]) == {"kind", "field", "other", "when", "equals", "message", "severity", "code",
                                              "months", "months_from", "unless", "title", "by", "setting"}
    assert set(defs["rule"]["properties"]["setting"]["enum"]) == d.SETTINGS
    assert set(workbook["$defs"]["workbook"]["properties"]) == {"title", "forms", "steps"}


def test_every_key_has_help_for_the_officer_editing_the_file():
    """Descriptions show as hover help in the editor: every key the officer can write has one."""
    missing = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, sub in node.get("properties", {}).items():
                if isinstance(sub, dict) and not sub.get("description"):
                    missing.append(f"{where}.{key}")
            for key, sub in node.items():
                walk(sub, f"{where}/{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{where}[{i}]")

    for kind in ("form", "workbook"):
        walk(json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8")), kind)
    assert [m for m in missing if "/if" not in m and "/then" not in m and "/else" not in m] == []


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_file_points_editors_at_its_schema(name: str):
    first = (TEMPLATES / name).read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, first
    target = (TEMPLATES / match.group(1)).resolve()
    kind = "workbook" if name == "workbook.yaml" else "form"
    assert target == (SCHEMA_DIR / f"{kind}.schema.json").resolve() and target.is_file()


# ---------------------------------------------------------------- the schema and definitions.py agree

BROKEN = [
    # (file, text to replace, replacement, words of definitions.py's problem, where the schema's error points)
    ("info.yaml", "        max_length: 200\n        register: Partnership name\n",
     "        max_length: 200\n        colour: red\n        register: Partnership name\n",
     "unknown key(s) colour", "$.sections[0].fields[0]"),
    ("info.yaml", "        type: longtext\n        required: true\n        register: Main purpose",
     "        type: paragraph\n        required: true\n        register: Main purpose",
     "unknown type 'paragraph'", "$.sections[0].fields[4].type"),
    ("assessment.yaml", "          - id: trust\n", "          - id: Trust!\n",
     "should start with a lower-case letter", "$.sections[0].fields[0].rows[8].id"),
    ("info.yaml", "      - id: accountable_body\n", "      - id: accountable-body\n",
     "should start with a lower-case letter", "$.sections[0].fields[3].id"),
    ("info.yaml", "        label: Name of partnership\n", "", "'label' is missing", "$.sections[0].fields[0]"),
    ("evaluation.yaml", "  - kind: required_if\n    field: lessons\n", "  - field: lessons\n", "'kind' is missing", "$.rules[0]"),
    ("evaluation.yaml", "  - kind: required_if\n    field: lessons\n", "  - kind: required_iff\n    field: lessons\n",
     "unknown rule kind 'required_iff'", "$.rules[0].kind"),
    ("info.yaml", "        required: true\n        max_length: 200\n        register: Partnership name",
     "        required: yes\n        max_length: 200\n        register: Partnership name",
     "'required' should be true or false, found 'yes'", "$.sections[0].fields[0].required"),
    ("info.yaml", "        required: true\n        max_length: 200\n        register: Partnership name",
     "        required: No\n        max_length: 200\n        register: Partnership name",
     "'required' should be true or false, found 'No'", "$.sections[0].fields[0].required"),
    ("info.yaml", "        label: Name of partnership\n", "        label: 2024\n",
     "'label' should be text, found 2024 (put it in quotes", "$.sections[0].fields[0].label"),
    ("info.yaml", "        label: Name of partnership\n", "        label:\n", "'label' is empty", "$.sections[0].fields[0].label"),
    # choices
    ("info.yaml", "        choices:\n          - Within existing budgets\n          - Additional funds required\n"
     "          - No financial commitment\n", "", "a choice field needs 'choices'", "$.sections[1].fields[4]"),
    ("info.yaml", "        choices:\n          - Within existing budgets\n          - Additional funds required\n"
     "          - No financial commitment\n", "        choices: []\n", "'choices' is an empty list", "$.sections[1].fields[4].choices"),
    ("info.yaml", "          - No financial commitment\n", "          - No financial commitment\n          -\n",
     "choice 4 is empty", "$.sections[1].fields[4].choices[3]"),
    ("info.yaml", "          - No financial commitment\n", "          - No financial commitment\n          - true\n",
     "choice 4 should be text, found True", "$.sections[1].fields[4].choices[3]"),
    ("info.yaml", "          - No financial commitment\n", "          - No financial commitment\n          - Within existing budgets\n",
     "the same choice is listed twice", "$.sections[1].fields[4].choices"),
    ("info.yaml", "        choices_from: leads\n", "        choices_from: staff\n",
     "choices_from 'staff' is not known", "$.sections[0].fields[2].choices_from"),
    ("info.yaml", "        choices_from: leads\n", "        choices_from: leads\n        choices: [Me, You]\n",
     "not both", "$.sections[0].fields[2]"),
    ("info.yaml", "        max_length: 200\n        register: Partnership name\n",
     "        max_length: 200\n        choices: [A, B]\n        register: Partnership name\n",
     "only a choice field has choices", "$.sections[0].fields[0]"),
    ("info.yaml", "        max_length: 200\n        register: Partnership name\n",
     "        max_length: 0\n        register: Partnership name\n", "max_length should be 1 or more", "$.sections[0].fields[0].max_length"),
    # tables and fixed rows
    ("info.yaml", "        rows: 6\n", "        rows: 0\n", "rows should be between 1 and 200", "$.sections[4].fields[0].rows"),
    ("info.yaml", "        rows: 6\n", "        rows: 201\n", "rows should be between 1 and 200", "$.sections[4].fields[0].rows"),
    ("info.yaml", "        min_rows: 1\n", "        min_rows: -1\n", "min_rows should be 0 or more", "$.sections[4].fields[0].min_rows"),
    ("info.yaml", "        min_rows: 1\n", "        min_rows: one\n",
     "'min_rows' should be a whole number", "$.sections[4].fields[0].min_rows"),
    ("agreement.yaml", "          - {id: purpose, label: Overall purpose,", "          - {id: purpose, heading: Overall purpose,",
     "unknown key(s) heading", "$.sections[0].fields[0].rows[0]"),
    ("assessment.yaml", "          - id: score\n            label: Score (1–4)\n            type: score\n",
     "          - id: score\n            label: Score (1–4)\n            type: table\n",
     "unknown type 'table'", "$.sections[0].fields[0].columns[0].type"),
    # the form, sections, rules, computed values
    ("significance.yaml", "id: significance\n", "id: meta\n", "reserved", "$.id"),
    ("significance.yaml", "id: significance\n", "id: significance_form\n", "should start with a lower-case letter", "$.id"),
    ("significance.yaml", "version: 2\n", "version: 0\n", "version should be 1 or more", "$.version"),
    ("significance.yaml", "version: 2\n", 'version: "1"\n', "'version' should be a whole number", "$.version"),
    ("significance.yaml", "sheet: Significance\n", "sheet: 'Significance: the scorecard'\n", "sheet name", "$.sheet"),
    ("significance.yaml", "  - title: Resources at the disposal of the partnership\n",
     "  - title: Resources at the disposal of the partnership\n    intro: More\n", "unknown key(s) intro", "$.sections[2]"),
    ("significance.yaml", "    threshold: grant_threshold\n", "    threshold: grant_treshold\n",
     "threshold 'grant_treshold' is not a setting", "$.computed[0].threshold"),
    ("significance.yaml", "    kind: any_yes\n    fields: [major_service,", "    kind: any_yes\n    feilds: [major_service,",
     "unknown key(s) feilds", "$.computed[1]"),
    ("significance.yaml", "    equals: \"Yes\"\n    severity: warning\n    message: The Information",
     "    severity: warning\n    message: The Information", "an implies rule needs 'equals'", "$.rules[0]"),
    ("significance.yaml", "    severity: warning\n    message: The Information", "    severity: warn\n    message: The Information",
     "severity should be error or warning", "$.rules[0].severity"),
    ("info.yaml", "    code: REVIEW_OVERDUE\n", "    code: review_overdue\n", "should be capitals", "$.rules[13].code"),
    ("info.yaml", "    months_from: review_interval_months\n    code: REVIEW_OVERDUE\n", "    code: REVIEW_OVERDUE\n",
     "an overdue rule needs 'months_from'", "$.rules[13]"),
    ("info.yaml", "    months_from: review_interval_months\n    code: REVIEW_OVERDUE\n",
     "    months_from: review_months\n    code: REVIEW_OVERDUE\n",
     "months_from 'review_months' is not a setting", "$.rules[13].months_from"),
    ("info.yaml", "    months_from: review_interval_months\n    code: REVIEW_OVERDUE\n", "    months: 0\n    code: REVIEW_OVERDUE\n",
     "months should be 1 or more", "$.rules[13].months"),
    ("info.yaml", '    when: {field: has_agreement, equals: "Yes"}\n', "    when: {field: has_agreement, is: \"Yes\"}\n",
     "unknown key(s) is", "$.rules[3].when"),
    # workbook.yaml
    ("workbook.yaml", "  annual:\n    title: Annual partnership return\n",
     "  annual:\n    title: Annual partnership return\n    colour: red\n", "unknown key(s) colour", "$.workbooks.annual"),
    ("workbook.yaml", "    title: Evaluation of an ended partnership\n", "", "'title' is missing", "$.workbooks.ended"),
    ("workbook.yaml", "forms: [info, proposal, significance, agreement]", "forms: [info, proposal, significance, info]",
     "duplicate form 'info'", "$.workbooks.proposal.forms"),
    ("workbook.yaml", "forms: [info, proposal, significance, agreement]", "forms: [info, proposal, significance, agreement_form]",
     "no definition file", "$.workbooks.proposal.forms[3]"),
    ("workbook.yaml", "      - Answer the questions on the Evaluation sheet; the outcomes and the lessons learnt are needed.\n",
     "      - Answer the questions on the Evaluation sheet: the outcomes and the lessons learnt are needed.\n",
     "step 2 should be text, found {", "$.workbooks.ended.steps[1]"),
    ("workbook.yaml", "by {deadline}. The partnership", "by {date}. The partnership", "unknown placeholder", "$.workbooks.ended.steps[2]"),
    ("workbook.yaml", "workbooks:\n", "workbook:\n", "unknown key(s) workbook", "$"),
]


@pytest.mark.parametrize("filename,old,new,problem,at", BROKEN, ids=[f"{b[0]}: {b[3]}" for b in BROKEN])
def test_a_broken_file_is_rejected_by_the_schema_and_by_partxl(tmp_path: Path, filename: str, old: str, new: str, problem: str,
                                                               at: str):
    folder = templates_copy(tmp_path)
    edit(folder / filename, old, new)
    errors = schema_errors(folder / filename)
    assert errors, "the schema accepts what partxl refuses"
    assert any(e.startswith(f"{at}: ") for e in errors), errors
    with pytest.raises(DefinitionError) as caught:
        load_spec(folder)
    assert caught.value.path.name == filename
    assert problem in caught.value.problem, str(caught.value)


ACCEPTED = [
    # (file, text to replace, replacement): unusual, but right, for the schema and for partxl alike
    ("info.yaml", "        label: Name of partnership\n", "        label: 2024-01-01\n"),
    ("info.yaml", "          - No financial commitment\n", "          - No financial commitment\n          - 10\n          - 1.50\n"),
    ("info.yaml", '    when: {field: has_agreement, equals: "Yes"}\n', "    when: {field: has_agreement, equals: Yes}\n"),
    ("info.yaml", "        required: true\n        max_length: 200\n        register: Partnership name\n",
     "        required: TRUE\n        max_length: 200\n        register: Partnership name\n"),
    ("info.yaml", "    months_from: review_interval_months\n    code: REVIEW_OVERDUE\n", "    months: 12\n    code: REVIEW_OVERDUE\n"),
    ("info.yaml", "        rows: 6\n        min_rows: 1\n", "        rows: 6\n"),
    ("workbook.yaml", "  ended:\n", "  closing:\n    title: Closing\n    forms: [evaluation]\n  ended:\n"),
]


@pytest.mark.parametrize("filename,old,new", ACCEPTED, ids=[a[2].strip()[:40] for a in ACCEPTED])
def test_what_partxl_accepts_the_schema_accepts(tmp_path: Path, filename: str, old: str, new: str):
    folder = templates_copy(tmp_path)
    edit(folder / filename, old, new)
    assert schema_errors(folder / filename) == []
    load_spec(folder)


BEYOND_THE_SCHEMA = [
    # (file, text to replace, replacement, words of the problem): what only partxl can check, across keys or files
    ("info.yaml", "          - No financial commitment\n", "          - No financial commitment\n          - within existing budgets\n",
     "the same choice is listed twice"),
    ("info.yaml", "      - id: accountable_body\n", "      - id: name\n", "duplicate field id 'name'"),
    ("info.yaml", "        rows: 6\n        min_rows: 1\n", "        rows: 6\n        min_rows: 7\n", "min_rows 7 is more than rows 6"),
    ("significance.yaml", "    field: statutory_duty\n", "    field: statutory_dutty\n", "no field 'statutory_dutty'"),
    ("significance.yaml", "sheet: Significance\n", "sheet: information\n", "uses sheet name"),
]


@pytest.mark.parametrize("filename,old,new,problem", BEYOND_THE_SCHEMA, ids=[b[3] for b in BEYOND_THE_SCHEMA])
def test_what_the_schema_cannot_see_partxl_still_checks(tmp_path: Path, filename: str, old: str, new: str, problem: str):
    """JSON Schema checks one file's shape; comparisons across keys, ids and files are partxl's to make."""
    folder = templates_copy(tmp_path)
    edit(folder / filename, old, new)
    assert schema_errors(folder / filename) == []
    with pytest.raises(DefinitionError) as caught:
        load_spec(folder)
    assert caught.value.path.name == filename and problem in caught.value.problem, str(caught.value)


# ---------------------------------------------------------------- strict loading


def test_a_duplicated_key_names_the_file_the_line_and_the_key(tmp_path: Path):
    folder = templates_copy(tmp_path)
    info = folder / "info.yaml"
    edit(info, "        label: Type of arrangement\n", "        label: Type of arrangement\n        label: Kind of arrangement\n")
    lines = info.read_text(encoding="utf-8").splitlines()
    first = lines.index("        label: Type of arrangement") + 1
    with pytest.raises(DefinitionError) as caught:
        load_spec(folder)
    error = caught.value
    assert error.path.name == "info.yaml"
    assert error.where == f"line {first + 1}"
    assert "'label' is given twice" in error.problem and f"line {first}" in error.problem
    assert str(error).startswith(f"info.yaml: line {first + 1}: 'label'")


@pytest.mark.parametrize("text,line,key", [
    ("id: info\nversion: 1\nid: info2\n", 3, "id"),
    ("workbooks:\n  annual: {title: A, forms: [info]}\n  annual: {title: B, forms: [info]}\n", 3, "annual"),
    ("rules:\n  - kind: flag\n    when: {field: a, equals: 'Yes', field: b}\n", 3, "field"),
])
def test_a_duplicated_key_anywhere_is_an_error(tmp_path: Path, text: str, line: int, key: str):
    path = tmp_path / "form.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load(path)
    assert caught.value.where == f"line {line}" and f"'{key}' is given twice" in caught.value.problem


def test_a_merged_block_may_be_overridden(tmp_path: Path):
    path = tmp_path / "form.yaml"
    path.write_text("base: &base {type: text, label: A}\nfield:\n  <<: *base\n  label: B\n", encoding="utf-8")
    assert load(path)["field"] == {"type": "text", "label": "B"}


YAML_11_SURPRISES = {
    # written: what partxl reads (PyYAML's YAML 1.1 reading in the comment)
    "No": "No",  # False
    "yes": "yes",  # True
    "on": "on",  # True
    "Off": "Off",  # False
    "y": "y",  # True
    "n": "n",  # False
    "2024-01-01": "2024-01-01",  # datetime.date(2024, 1, 1)
    "1:30": "1:30",  # 90
    "1_000": "1_000",  # 1000
    "010": 10,  # 8
    "true": True,
    "False": False,
    "TRUE": True,
    "12": 12,
    "1.5": 1.5,
    "~": None,
}


@pytest.mark.parametrize("written,read", list(YAML_11_SURPRISES.items()))
def test_plain_values_are_read_as_yaml_1_2_reads_them(tmp_path: Path, written: str, read: Any):
    path = tmp_path / "x.yaml"
    path.write_text(f"value: {written}\nlist: [{written}]\n", encoding="utf-8")
    loaded = load(path)
    assert loaded["value"] == read and type(loaded["value"]) is type(read)
    assert loaded["list"] == [read]


def test_choices_and_equals_keep_numbers_as_written(tmp_path: Path):
    path = tmp_path / "x.yaml"
    path.write_text("choices: [1-2 years, 10, 1.50, 007, Yes, No]\nequals: 2.50\nmin: 1.50\nrows: 010\n", encoding="utf-8")
    assert load(path) == {"choices": ["1-2 years", "10", "1.50", "007", "Yes", "No"], "equals": "2.50", "min": 1.5, "rows": 10}


def test_the_fast_loader_is_kept():
    if getattr(yaml, "__with_libyaml__", False):
        assert issubclass(d._YAML_LOADER, yaml.CSafeLoader)


def test_the_pure_python_loader_reads_the_same():
    """Without libyaml partxl falls back to PyYAML's own parser, and reads the files the same way."""
    script = (
        "import json, yaml\n"
        "if hasattr(yaml, 'CSafeLoader'): del yaml.CSafeLoader\n"
        "from partxl.forms import definitions as d\n"
        "assert d._YAML_LOADER.__mro__[1] is yaml.SafeLoader\n"
        "data = yaml.load('choices: [No, 1.50]\\nx: [on, 2024-01-01, 010, True]', Loader=d._YAML_LOADER)\n"
        "try:\n"
        "    yaml.load('a: 1\\na: 2\\n', Loader=d._YAML_LOADER)\n"
        "except yaml.YAMLError as exc:\n"
        "    data['duplicate_line'] = exc.problem_mark.line + 1\n"
        "print(json.dumps(data))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == {"choices": ["No", "1.50"], "x": ["on", "2024-01-01", 10, True], "duplicate_line": 2}


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path):
    folder = templates_copy(tmp_path)
    info = folder / "info.yaml"
    info.write_bytes(info.read_bytes().replace(b"Partnership name", "Partnership n\xe4me".encode("latin-1")))
    with pytest.raises(DefinitionError) as caught:
        load_spec(folder)
    assert caught.value.path.name == "info.yaml" and "UTF-8" in caught.value.problem


def test_a_date_label_is_kept_as_the_text_written(tmp_path: Path):
    folder = templates_copy(tmp_path)
    edit(folder / "info.yaml", "        label: Date formed\n", "        label: 2024-01-01\n")
    assert load_spec(folder).form("info").item("date_formed").label == "2024-01-01"


# ---------------------------------------------------------------- Yes and No stay text, into the workbook


def test_an_unquoted_yes_no_choice_list_reaches_the_dropdown_as_written(tmp_path: Path):
    folder = templates_copy(tmp_path)
    edit(folder / "info.yaml", "      - id: comments\n",
         "      - id: confident\n        label: Are you confident in the partnership?\n        type: choice\n"
         "        choices: [Yes, No, Not sure, 10, 1.50]\n      - id: comments\n")
    spec = load_spec(folder)
    assert spec.form("info").item("confident").choices == ("Yes", "No", "Not sure", "10", "1.50")
    assert schema_errors(folder / "info.yaml") == []

    result = partxl.Workspace(load_config(None), spec).generate(tmp_path / "out", register=SAMPLE_REGISTER, only=("P001",))
    assert result.ok, result.findings
    path, = (tmp_path / "out").glob("*.xlsx")
    book = openpyxl.load_workbook(path)
    cell = defined_cells(book)["info_confident"]
    dv = validation_at(book[cell.sheet], cell.address)
    (sheet, ref), = book.defined_names[dv.formula1].destinations
    offered = [c.value for row in book[sheet][ref.replace("$", "")] for c in row]
    assert offered == ["Yes", "No", "Not sure", "10", "1.50"]
