"""`partxl consolidate` and `partxl check`, end to end through the CLI, on filled-in returns.

The returns are made three ways from the generated workbooks: filled with openpyxl, typed in
LibreOffice Calc and saved as .xlsx, and the same saved as .ods. Each carries the same planted
mistakes; the report must list exactly those, and the register must hold every typed value.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from partxl.forms import contract
from partxl.forms.definitions import load_spec
from partxl.returns.validate import check_file

from . import returns
from .conftest import SAMPLE_REGISTER, run_cli
from .inspect_xlsx import register_answers

AS_OF = "2027-04-19"
VARIANTS = ["openpyxl", pytest.param("xlsx", marks=pytest.mark.libreoffice), pytest.param("ods", marks=pytest.mark.libreoffice)]


@dataclass
class Run:
    variant: str
    folder: Path
    out: Path
    items: list[returns.Return]
    code: int
    report: dict[str, Any]
    generated: Path


def consolidate(folder: Path, out: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    code, stdout, stderr = run_cli("consolidate", str(folder), "--out", str(out), "--previous", str(SAMPLE_REGISTER),
                                   "--as-of", AS_OF, "--json", *extra)
    return code, (json.loads(stdout) if stdout.strip() else {}), stderr


def _run(variant: str, generated: Path, config, tmp_path_factory) -> Run:
    base = tmp_path_factory.mktemp(f"consolidate-{variant}")
    items = returns.build(variant, generated, base / "returns", config, base)
    code, report, err = consolidate(base / "returns", base / "out")
    assert report, err
    return Run(variant, base / "returns", base / "out", items, code, report, generated)


@pytest.fixture(scope="module", params=VARIANTS)
def run(request, generated: Path, config, tmp_path_factory) -> Run:
    """The planted returns, made by each client in turn."""
    return _run(request.param, generated, config, tmp_path_factory)


@pytest.fixture(scope="module")
def filled(generated: Path, config, tmp_path_factory) -> Run:
    """The planted returns filled with openpyxl: for what does not depend on the client (ledger, writing, check)."""
    return _run("openpyxl", generated, config, tmp_path_factory)


def _file_of(run: Run, item: returns.Return) -> str:
    suffix = ".xlsx" if run.variant in ("openpyxl", "xlsx") else ".ods"
    return item.name + suffix


def test_the_planted_returns_start_from_clean_workbooks(generated: Path, spec, config):
    for item in returns.plan():
        checked = check_file(returns.source_file(generated, item), spec, config, dt.date.fromisoformat(AS_OF))
        assert checked.accepted and not checked.findings, (item.source, [f.code for f in checked.findings])


def test_the_report_lists_exactly_the_planted_mistakes(run: Run):
    assert run.code == 1  # some returns have errors
    for item in run.items:
        name = _file_of(run, item)
        located = returns.where(item, run.generated)
        expected = {(code, located[cell][1] if cell else "") for code, cell in item.expect}
        actual = {(f["code"], f["cell"]) for f in run.report["findings"] if f["file"] == name}
        assert actual == expected, name
    outcomes = {f["path"]: f["outcome"] for f in run.report["files"]}
    for item in run.items:
        wanted = "errors" if not item.accepted else ("superseded" if item.name == "P015 first go" else "accepted")
        if ("METADATA_EDITED", "") in item.expect:
            wanted = "rejected"  # edited issue details: nobody's return, not P013's (whose details it claims)
        assert outcomes[_file_of(run, item)] == wanted, item.name
    assert outcomes["covering note.txt"] == "rejected" and outcomes["~$P001 annual return.xlsx"] == "skipped"
    note = next(f for f in run.report["findings"] if f["file"] == "covering note.txt")
    assert note["code"] == "FILE_NOT_WORKBOOK" and note["hint"]


def test_the_report_workbook_holds_every_finding(run: Run):
    book = openpyxl.load_workbook(run.out / "validation_report.xlsx")
    rows = list(book["Findings"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    found = sorted((r[header.index("File")] or "", r[header.index("Code")], r[header.index("Cell")] or "") for r in body)
    assert found == sorted((f["file"], f["code"], f["cell"]) for f in run.report["findings"])
    files = [r[0] for r in book["Files"].iter_rows(min_row=2, values_only=True)]
    assert sorted(files) == sorted(f["path"] for f in run.report["files"])
    excluded = {r[0] for r in book["Excluded"].iter_rows(min_row=2, values_only=True)}
    assert excluded == {"P027", "P034", "P035", "P036", "P037", "P038", "P039"}  # joint working, contracts, a grant, …


def _answers(out: Path) -> dict[tuple[str, str], Any]:
    return {key: cell.value for key, cell in register_answers(out / "register.xlsx", load_spec()).items()}


def _main(out: Path) -> dict[str, dict[str, Any]]:
    return _main_register(out / "register.xlsx")


def _same(register_value: Any, typed: Any) -> bool:
    if isinstance(typed, dt.date):
        return isinstance(register_value, dt.datetime) and register_value.date() == typed
    if isinstance(typed, (int, float)):
        return register_value == typed
    return register_value == typed


def test_every_typed_value_is_in_the_register(run: Run):
    answers, main = _answers(run.out), _main(run.out)
    newest = {}
    for item in run.items:
        if item.accepted and item.source != "NEW":
            newest[item.source] = item  # later items are newer
    for pid, item in newest.items():
        for name, value in item.typed.items():
            assert _same(answers.get((pid, name)), value), (run.variant, pid, name, answers.get((pid, name)), value)
        assert main[pid]["Returned"] == "Returned"
        assert main[pid]["Source file"] == _file_of(run, item)
    assert answers[("P015", "info_reviewed_by")] == "New Reviewer"
    assert not [pid for pid in main if pid.startswith("NEW-")]  # not on the register until SMT agrees it
    proposed = _main_register(run.out / "register.xlsx", "Proposed")
    assert [(r["Partnership name"], r["Status"]) for r in proposed.values()] == [("Wexbridge Youth Voice Forum", "Proposed")]
    previous = _main_register(SAMPLE_REGISTER)
    for item in run.items:
        if not item.accepted:
            pid = item.source
            errors = sum(code in returns.ERROR_CODES for code, _ in item.expect)
            said = "Not yet returned" if ("METADATA_EDITED", "") in item.expect else f"Returned with errors ({errors})"
            assert main[pid]["Returned"] == f"{said}: last year's data", pid  # what it holds, and from when
            assert main[pid]["Accountable body"] == previous[pid]["Accountable body"]
    assert main["P001"]["Comments"].startswith("=HYPERLINK")  # kept as text, never a formula
    changes = main["P019"]["Representative changes"]
    assert "finished 24/02/2027" in changes and "Cllr New Person started 25/02/2027" in changes
    assert main["P019"]["Representatives"] == "Cllr New Person"


def _main_register(path: Path, sheet_name: str = "Register") -> dict[str, dict[str, Any]]:
    sheet = openpyxl.load_workbook(path)[sheet_name]
    rows = list(sheet.iter_rows(values_only=True))
    return {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}


def test_the_register_is_ordered_filtered_and_finance_can_filter_grants(run: Run, config):
    book = openpyxl.load_workbook(run.out / "register.xlsx")
    sheet = book["Register"]
    assert "PartnershipRegister" in sheet.tables and sheet.freeze_panes == "C2"
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    order = list(contract.CATEGORY_ORDER)
    categories = [r[header.index("Category")] for r in rows[1:]]
    assert categories == sorted(categories, key=order.index) and set(categories) == set(order)
    column = header.index(f"Grant ≥ £{config.grant_threshold:,.0f}")
    grant = header.index("Annual grant (£)")
    cached = list(openpyxl.load_workbook(run.out / "register.xlsx", data_only=True)["Register"].iter_rows(values_only=True))
    for r, (formula_row, value_row) in enumerate(zip(rows[1:], cached[1:], strict=True), start=2):
        assert "GrantThreshold" in formula_row[column]
        amount = value_row[grant]
        assert value_row[column] == ("" if amount is None else ("Yes" if amount >= config.grant_threshold else "No")), r
    assert book.defined_names["GrantThreshold"] is not None


def test_rerunning_changes_nothing(filled: Run, tmp_path: Path):
    out = tmp_path / "out"
    shutil.copytree(filled.out, out)
    before = {p.name: p.read_bytes() for p in out.glob("*.xlsx")}
    code, report, _ = consolidate(filled.folder, out)
    assert code == filled.code and set(report["outputs"].values()) == {"unchanged"}
    assert {p.name: p.read_bytes() for p in out.glob("*.xlsx")} == before
    assert [f["outcome"] for f in report["files"]] == [f["outcome"] for f in filled.report["files"]]
    assert not (out / "superseded").exists()


def test_one_more_return_changes_one_row(filled: Run, tmp_path: Path):
    out, folder = tmp_path / "out", tmp_path / "returns"
    shutil.copytree(filled.out, out)
    shutil.copytree(filled.folder, folder)
    fixed = returns.Return("P002", "P002 corrected", {**returns.FRESH_REVIEW, "info_council_funding": 5000})
    returns.fill_with_openpyxl([fixed], filled.generated, folder)
    before = _main(out)
    code, report, _ = consolidate(folder, out)
    after = _main(out)
    changed = {pid for pid in before if before[pid] != after[pid]}
    assert changed == {"P002"} and after["P002"]["Council funding (£ a year)"] == 5000
    assert report["outputs"][str(out / "register.xlsx")] == "superseded"
    kept, = (out / "superseded").glob("register.*.xlsx")
    assert _main_register(kept) == before
    assert all(f["cached"] for f in report["files"] if f["path"] != "P002 corrected.xlsx" and f["outcome"] != "skipped")


def test_an_interrupted_write_leaves_the_old_register(filled: Run, tmp_path: Path, monkeypatch):
    out, folder = tmp_path / "out", tmp_path / "returns"
    shutil.copytree(filled.out, out)
    shutil.copytree(filled.folder, folder)
    returns.fill_with_openpyxl([returns.Return("P002", "P002 corrected", {**returns.FRESH_REVIEW,
                                                                          "info_council_funding": 5000})], filled.generated, folder)
    before = (out / "register.xlsx").read_bytes()

    def disk_full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("partxl.files.os.replace", disk_full)
    code, _, err = consolidate(folder, out)
    assert code == 2 and "No space left" in err and "Traceback" not in err
    assert (out / "register.xlsx").read_bytes() == before
    assert not [p for p in out.rglob("*.tmp")]
    monkeypatch.undo()
    code, report, _ = consolidate(folder, out)
    assert _main(out)["P002"]["Council funding (£ a year)"] == 5000


def test_check_tells_an_officer_what_to_fix(filled: Run):
    item = next(i for i in filled.items if i.name == "P002 return")
    sheet, cell = returns.where(item, filled.generated)["info_council_funding"]
    code, out, _ = run_cli("check", str(filled.folder / "P002 return.xlsx"), "--as-of", AS_OF)
    assert code == 1 and f"{sheet}!{cell}" in out and "about five thousand" in out
    code, out, _ = run_cli("check", str(filled.folder / "P001 annual return.xlsx"), "--as-of", AS_OF, "--json")
    assert code == 0 and json.loads(out) == {"accepted": True, "findings": []}
    code, out, _ = run_cli("check", str(filled.folder / "covering note.txt"))
    assert code == 1 and "not a workbook" in out


@pytest.mark.libreoffice
def test_an_xls_saved_by_libreoffice_is_read_where_the_form_put_its_answers(generated: Path, config, tmp_path: Path):
    folder = tmp_path / "returns"
    folder.mkdir()
    item = returns.plan()[0]  # P001, typed in Calc and saved in the old Excel format
    returns.fill_with_libreoffice([item], generated, folder, "xls", tmp_path)
    code, report, _ = consolidate(folder, tmp_path / "out")
    assert [f["outcome"] for f in report["files"]] == ["accepted"]
    assert {f["code"] for f in report["findings"] if f["file"]} == {"NAMES_UNAVAILABLE"}
    answers = _answers(tmp_path / "out")
    for name, value in item.typed.items():
        assert _same(answers[("P001", name)], value), name


def test_a_workbook_of_an_older_form_version_is_read_and_new_questions_reported(filled: Run, tmp_path: Path):
    templates = tmp_path / "workbook_templates"
    shutil.copytree(Path(__file__).resolve().parent.parent / "workbook_templates", templates)
    info = templates / "info.yaml"
    version = load_spec().form("info").version
    text = info.read_text().replace(f"version: {version}", f"version: {version + 1}", 1).replace(
        "      - id: comments\n", "      - id: website\n        label: Partnership website\n        type: text\n"
        "        required: true\n        help: Its web address.\n      - id: comments\n", 1)
    info.write_text(text)
    (tmp_path / "partxl.toml").write_text(f'[paths]\ntemplates = "{templates}"\n'
                                          '[integrity]\nkey = "partxl-sample-key-not-secret"\nsample = true\n')
    code, out, _ = run_cli("--config", str(tmp_path / "partxl.toml"), "check", str(filled.folder / "P001 annual return.xlsx"),
                           "--as-of", AS_OF, "--json")
    found = {(f["code"], f["field"]) for f in json.loads(out)["findings"]}
    assert ("FORM_VERSION_OLD", "") in found and ("MISSING", "Partnership website") in found
    assert code == 1


def test_a_return_for_a_partnership_the_register_does_not_know_is_added_as_new(filled: Run, tmp_path: Path):
    previous = openpyxl.load_workbook(SAMPLE_REGISTER)
    sheet = previous["Register"]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "P001":
            row[0].value = "P999"
    previous.save(tmp_path / "previous.xlsx")
    folder = tmp_path / "returns"
    folder.mkdir()
    shutil.copy(filled.folder / "P001 annual return.xlsx", folder)
    code, stdout, _ = run_cli("consolidate", str(folder), "--out", str(tmp_path / "out"), "--previous",
                              str(tmp_path / "previous.xlsx"), "--as-of", AS_OF, "--json")
    report = json.loads(stdout)
    assert ("UNKNOWN_PARTNERSHIP", "P001") in {(f["code"], f["partnership"]) for f in report["findings"]}
    assert code == 0
    assert _main(tmp_path / "out")["P001"]["Returned"] == "Returned"


def test_an_unexpected_failure_is_one_clear_line_and_debug_shows_where(filled: Run, tmp_path: Path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr("partxl.outputs.report.report_bytes", broken)
    code, _, err = consolidate(filled.folder, tmp_path / "out")
    assert code == 2 and "something nobody foresaw" in err and "Traceback" not in err and "--debug" in err
    with pytest.raises(RuntimeError):
        run_cli("--debug", "consolidate", str(filled.folder), "--out", str(tmp_path / "out"), "--previous", str(SAMPLE_REGISTER))


def test_a_macro_workbook_is_read_but_its_macros_never_run_or_kept(filled: Run, tmp_path: Path):
    import zipfile

    folder = tmp_path / "returns"
    folder.mkdir()
    with zipfile.ZipFile(filled.folder / "P001 annual return.xlsx") as src, \
            zipfile.ZipFile(folder / "P001 with macros.xlsm", "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really VBA, and never executed")
    code, report, _ = consolidate(folder, tmp_path / "out")
    assert [f["outcome"] for f in report["files"]] == ["accepted"] and code == 0
    assert [f["code"] for f in report["findings"] if f["file"]] == ["MACROS_IGNORED"]
    with zipfile.ZipFile(tmp_path / "out" / "register.xlsx") as register:
        assert not [n for n in register.namelist() if "vba" in n.lower()]
