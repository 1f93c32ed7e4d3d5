"""`partxl generate`, checked on the files it writes (read back with openpyxl, not partxl)."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from partxl.forms.definitions import Table, load_spec
from partxl.issue.metadata import Metadata, sign, verify

from .conftest import SAMPLE_REGISTER, run_cli
from .inspect_xlsx import defined_cells, load, metadata, unlocked_cells, validation_at

EXCEL_TYPE = {"text": "textLength", "longtext": "textLength", "date": "date", "money": "decimal",
              "integer": "whole", "yesno": "list", "choice": "list", "score": "whole"}


@pytest.fixture(scope="session")
def issued(generated: Path) -> dict[str, openpyxl.Workbook]:
    """The generated workbooks, opened once, by partnership id (from their metadata)."""
    books = {}
    for path in generated.glob("*.xlsx"):
        book = load(path)
        books[metadata(book)["partnership_id"]] = book
    return books


def workbooks(folder: Path) -> dict[str, Path]:
    """Generated workbooks by partnership id, found through their metadata (not their file names)."""
    found = {}
    for path in folder.glob("*.xlsx"):
        found[metadata(load(path))["partnership_id"]] = path
    return found


def expected_cells(form) -> list[tuple[str, object, object]]:
    """(name, field, table) for every input the definition describes, named as the README documents."""
    cells = []
    for item in form.items():
        if isinstance(item, Table):
            keys = [str(i) for i in range(1, item.rows + 1)] if isinstance(item.rows, int) else [r.id for r in item.rows]
            cells += [(f"{form.id}_{item.id}_{k}_{c.id}", c, item) for k in keys for c in item.columns]
        else:
            cells.append((f"{form.id}_{item.id}", item, None))
    return cells


def test_every_sheet_is_protected_and_only_named_inputs_are_unlocked(issued, spec):
    assert len(issued) == 41  # 40 partnerships and the blank proposal
    for path, book in issued.items():
        assert book.security.lockStructure, f"{path}: sheets can be renamed, moved or deleted"
        names = defined_cells(book)
        for sheet in book.worksheets:
            assert sheet.protection.sheet, f"{path.name}: {sheet.title} is not protected"
            inputs = {n.address for n in names.values() if n.sheet == sheet.title and not n.name.startswith(("cfg_",))
                      and not any(n.name == f"{f.id}_{c.id}" for f in spec.forms.values() for c in f.computed)}
            assert unlocked_cells(sheet) == inputs, f"{path.name}: {sheet.title}"
            for address in inputs:
                assert not sheet[address].protection.locked
        if "Information" in book.sheetnames:
            info = book["Information"]
            assert info["A6"].protection.locked and info["A6"].value.startswith("Name of partnership")
        else:
            assert metadata(book)["workbook"] == "ended" and book.sheetnames[2:] == ["Evaluation"]


def test_every_field_has_a_named_cell_with_its_validation_and_message(issued, spec, config):
    book = issued["P001"]
    names = defined_cells(book)
    lists = {name: dn for name, dn in book.defined_names.items() if name.startswith("list_")}
    for form in spec.workbooks["annual"].forms:
        for name, fld, _table in expected_cells(form):
            assert name in names, f"no defined name {name}"
            cell = names[name]
            assert cell.sheet == form.sheet
            dv = validation_at(book[cell.sheet], cell.address)
            assert dv is not None, f"{name} has no validation"
            assert dv.type == EXCEL_TYPE[fld.type], name
            assert dv.showInputMessage and dv.showErrorMessage and dv.errorStyle in (None, "stop")
            assert dv.promptTitle and fld.label.startswith(dv.promptTitle.rstrip("…"))
            assert " ".join((fld.help or fld.label).split()).startswith(dv.prompt.rstrip("…"))
            if fld.type == "score":
                assert (dv.formula1, dv.formula2) == ("1", "4")
            if fld.type == "money":
                assert float(dv.formula1) == 0
            if fld.type == "yesno":
                assert dv.formula1 == '"Yes,No"'
            if fld.type == "choice":
                source = lists[dv.formula1.lstrip("=")]
                (sheet_name, ref), = source.destinations
                values = [c.value for row in book[sheet_name][ref.replace("$", "")] for c in row]
                assert values == list(fld.choices or config.choice_list(fld.choices_from))


def _register_rows(sheet) -> list[dict]:
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:] if any(v is not None for v in r)]


def test_prefilled_values_equal_the_register(issued, spec):
    register = openpyxl.load_workbook(SAMPLE_REGISTER)
    by_heading = {f.register: (form, f) for form in spec.forms.values() for f in form.items()
                  if not isinstance(f, Table) and f.register}
    compared = 0
    for row in _register_rows(register["Register"]) + _register_rows(register["Ceased"]):
        book = issued[row["Partnership ID"]]
        names = defined_cells(book)
        for heading, value in row.items():
            if heading in by_heading and value is not None and f"{by_heading[heading][0].id}_{by_heading[heading][1].id}" in names:
                form, fld = by_heading[heading]
                cell = names[f"{form.id}_{fld.id}"]
                assert book[cell.sheet][cell.address].value == value, (row["Partnership ID"], heading)
                compared += 1
    reps: dict[str, int] = {}
    for row in _register_rows(register["Representatives"]):
        pid = row["Partnership ID"]
        reps[pid] = reps.get(pid, 0) + 1
        names = defined_cells(book := issued[pid])
        if "info_name" not in names:
            continue  # an ended partnership gets the evaluation only
        cell = names[f"info_reps_{reps[pid]}_name"]
        assert book[cell.sheet][cell.address].value == row["Name"]
        compared += 1
    table = spec.form("assessment").item("features")
    label_to_id = {r.label: r.id for r in table.rows}
    for row in _register_rows(register["Assessment"])[:40]:
        names = defined_cells(book := issued[row["Partnership ID"]])
        if "info_name" not in names:
            continue
        cell = names[f"assessment_features_{label_to_id[row['Row']]}_score"]
        assert book[cell.sheet][cell.address].value == row["Score (1–4)"]
        compared += 1
    assert compared > 1000


def test_metadata_is_hidden_complete_and_signed(issued, config):
    book = issued["P001"]
    assert book["_partxl"].sheet_state == "veryHidden"
    meta = metadata(book)
    assert meta["partnership_id"] == "P001"
    assert meta["cycle"] == config.cycle and meta["deadline"] == config.deadline.isoformat()
    assert meta["issued_to"] == "Alan Whitfield" and meta["issued_to_email"].endswith("@wexbridge-dc.example")
    assert meta["forms"] == ",".join(f"{f.id}@{f.version}" for f in load_spec().workbooks["annual"].forms)
    assert meta["forms"].startswith("info@2,significance@2,risk@1,assessment@1,")
    signature = meta.pop("signature")
    data = Metadata(**meta)
    assert verify(data, signature, config.integrity_key)
    assert not verify(Metadata(**{**meta, "partnership_id": "P002"}), signature, config.integrity_key)
    assert not verify(data, signature, "another council's key")
    assert sign(data, config.integrity_key) == signature
    ids = {metadata(b)["issue_id"] for b in issued.values()}
    assert len(ids) == len(issued) == 41


def test_blank_proposal_has_the_proposal_forms_and_nothing_filled(generated: Path, spec):
    book = load(generated / "New partnership proposal.xlsx")
    assert metadata(book)["partnership_id"] == "NEW"
    assert book.sheetnames == ["Start here", "_partxl"] + [f.sheet for f in spec.workbooks["proposal"].forms] \
        or set(book.sheetnames) == {"Start here", "_partxl", *(f.sheet for f in spec.workbooks["proposal"].forms)}
    for name, cell in defined_cells(book).items():
        if name.startswith(("info_", "agreement_")):
            assert book[cell.sheet][cell.address].value is None, name


def test_significance_is_a_live_formula_with_the_configured_threshold(generated: Path, workdir: Path, config):
    paths = {metadata(load(p))["partnership_id"]: p for p in generated.glob("P00[679] *.xlsx")}
    for pid, grant_expected in (("P009", "No"), ("P006", "Yes"), ("P007", "Yes")):  # £99,500, £100,000, £250,000
        formulas = load(paths[pid])
        values = openpyxl.load_workbook(paths[pid], data_only=True)
        cell = defined_cells(formulas)["significance_grant_over_threshold"]
        assert "cfg_grant_threshold" in formulas[cell.sheet][cell.address].value
        assert values[cell.sheet][cell.address].value == grant_expected, pid
        threshold = defined_cells(formulas)["cfg_grant_threshold"]
        assert values[threshold.sheet][threshold.address].value == config.grant_threshold
        assert formulas[threshold.sheet][threshold.address].protection.locked
    # the threshold is configuration, not code
    (workdir / "partxl.toml").write_text('[policy]\ngrant_threshold = 50000\n[cycle]\nissue_date = 2027-04-19\n'
                                          '[integrity]\nkey = "partxl-sample-key-not-secret"\nsample = true\n')
    code, _, err = run_cli("--config", str(workdir / "partxl.toml"), "generate", "--register", str(SAMPLE_REGISTER),
                           "--out", str(workdir / "out"), "--only", "P009")
    assert code == 0, err
    path, = (workdir / "out").glob("*.xlsx")
    values = openpyxl.load_workbook(path, data_only=True)
    cell = defined_cells(load(path))["significance_grant_over_threshold"]
    assert values[cell.sheet][cell.address].value == "Yes"


def test_required_inputs_are_marked_by_conditional_formatting(issued, spec):
    book = issued["P001"]
    names = defined_cells(book)
    for form in spec.workbooks["annual"].forms:
        sheet = book[form.sheet]
        marked = {ref for cf in sheet.conditional_formatting if any(r.type in ("containsBlanks", "expression") for r in cf.rules)
                  for ref in str(cf.sqref).split()}
        for name, fld, table in expected_cells(form):
            if fld.required and (table is None or table.fixed or name.split("_")[-2] == "1"):
                assert names[name].address in marked, name


def test_hostile_names_make_safe_files_and_stay_text(tmp_path: Path):
    hostile = {"H1": "A/B Partnership", "H2": "../../etc/passwd", "H3": "C:\\Windows: Forum", "H4": "=cmd|' /C calc'!A0",
               "H5": "CON", "H6": "  dots... ..  ", "S/1": "Same", "S:1": "Same"}  # the last two make the same safe name
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Register"
    sheet.append(["Partnership ID", "Partnership name", "Lead officer"])
    for i, (pid, name) in enumerate(hostile.items(), start=2):
        sheet.append([pid, name, "Alan Whitfield"])
        sheet.cell(row=i, column=2).data_type = "s"
    book.save(tmp_path / "hostile.xlsx")
    out = tmp_path / "out"
    code, _, err = run_cli("generate", "--register", str(tmp_path / "hostile.xlsx"), "--out", str(out))
    assert code == 0, err
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert len(files) == len(hostile) and all(p.parent == out for p in files)
    for path in files:
        assert not set('<>:"/\\|?*') & set(path.name) and not path.name.startswith((".", " "))
        assert path.stem.split(" ")[0] not in {"CON", "PRN", "AUX", "NUL"}
    by_id = workbooks(out)
    for pid, name in hostile.items():
        book = load(by_id[pid])
        cell = defined_cells(book)["info_name"]
        stored = book[cell.sheet][cell.address]
        assert stored.data_type == "s" and stored.value == " ".join(name.split())  # stray spaces trimmed, nothing else
        with zipfile.ZipFile(by_id[pid]) as z:
            sheet_xml = z.read("xl/worksheets/sheet3.xml").decode()
        assert f'r="{cell.address}"><f>' not in sheet_xml and "<f>cmd" not in sheet_xml


def test_rerun_changes_nothing_and_a_change_keeps_the_old_copy(workdir: Path):
    out = workdir / "out"
    args = ("generate", "--register", str(workdir / "register.xlsx"), "--out", str(out), "--json")
    code, first, _ = run_cli(*args)
    assert code == 0 and set(json.loads(first)["files"].values()) == {"written"}
    before = {p.name: p.read_bytes() for p in out.glob("*.xlsx")}
    code, second, _ = run_cli(*args)
    assert set(json.loads(second)["files"].values()) == {"unchanged"}
    assert {p.name: p.read_bytes() for p in out.glob("*.xlsx")} == before
    book = openpyxl.load_workbook(workdir / "register.xlsx")
    column = next(c.column_letter for c in book["Register"][1] if c.value == "Accountable body")
    row = next(c.row for c in book["Register"]["A"] if c.value == "P001")
    book["Register"][f"{column}{row}"].value = "Somebody Else's Body"
    book.save(workdir / "register.xlsx")
    code, third, _ = run_cli(*args)
    outcomes = json.loads(third)["files"]
    changed = [p for p, o in outcomes.items() if o == "superseded"]
    assert len(changed) == 1 and Path(changed[0]).name.startswith("P001 ")
    kept, = (out / "superseded").glob("P001 *.xlsx")
    assert kept.read_bytes() == before[Path(changed[0]).name]


def test_only_one_partnership_and_an_unknown_id(workdir: Path):
    out = workdir / "out"
    code, _, _ = run_cli("generate", "--register", str(workdir / "register.xlsx"), "--out", str(out), "--only", "p002")
    assert code == 0 and [p.name[:4] for p in out.glob("*.xlsx")] == ["P002"]
    code, _, err = run_cli("generate", "--register", str(workdir / "register.xlsx"), "--out", str(out), "--only", "P999")
    assert code == 2 and "P999" in err


def test_register_problems_become_findings_and_good_rows_still_generate(tmp_path: Path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Register"
    sheet.append(["Partnership ID", "Partnership name", "Lead officer", "Date formed", "Annual grant (£)", "Statutory"])
    sheet.append(["X1", "Good", "Alan Whitfield", dt.datetime(2020, 4, 1), "£120,000", "y"])
    sheet.append(["X2", "Bad date", "Nobody Known", "next spring", 5, "no"])
    sheet.append(["X1", "Duplicate", "Alan Whitfield", None, None, None])
    sheet.append([None, "No id", "Alan Whitfield", None, None, None])
    book.save(tmp_path / "reg.xlsx")
    code, out, _ = run_cli("generate", "--register", str(tmp_path / "reg.xlsx"), "--out", str(tmp_path / "out"), "--json")
    report = json.loads(out)
    codes = sorted(f["code"] for f in report["findings"])
    assert codes == ["REGISTER_CHOICE_UNKNOWN", "REGISTER_DUPLICATE_ID", "REGISTER_MISSING_ID",
                     "REGISTER_UNKNOWN_OFFICER", "REGISTER_VALUE_UNREADABLE"]
    assert code == 1
    bad = next(f for f in report["findings"] if f["code"] == "REGISTER_VALUE_UNREADABLE")
    assert (bad["partnership"], bad["field"], bad["value"]) == ("X2", "Date formed", "next spring")
    assert "31/03/2025" in bad["hint"]
    by_id = workbooks(tmp_path / "out")
    assert sorted(by_id) == ["X1", "X2"]
    good = load(by_id["X1"])
    names = defined_cells(good)
    value = lambda n: good[names[n].sheet][names[n].address].value  # noqa: E731
    assert value("significance_annual_grant") == 120000 and value("info_statutory") == "Yes"
    assert value("info_date_formed") == dt.datetime(2020, 4, 1)


def test_a_missing_register_is_a_clear_error(tmp_path: Path):
    code, _, err = run_cli("generate", "--register", str(tmp_path / "nope.xlsx"), "--out", str(tmp_path / "o"))
    assert code == 2 and "nope.xlsx" in err and "Traceback" not in err
    (tmp_path / "junk.xlsx").write_bytes(b"this is not a workbook")
    code, _, err = run_cli("generate", "--register", str(tmp_path / "junk.xlsx"), "--out", str(tmp_path / "o"))
    assert code == 2 and "junk.xlsx" in err


@pytest.mark.parametrize("command", ["init", "generate", "consolidate", "check", "summary", "status", "chase", "publish"])
def test_every_command_has_help(command: str):
    code, out, _ = run_cli(command, "--help")
    assert code == 0 and "Usage:" in out
