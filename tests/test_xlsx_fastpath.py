"""partxl's fast path over xlsxwriter's internals writes exactly what stock xlsxwriter writes.

As XlsxWriter's own test suite compares each file it writes with a golden file, every real output
of partxl is made here twice, on the fast path and forced through stock xlsxwriter, and every part
of the two packages must be the same bytes. (Only the zip container may differ, in its dates.)
Other tests check that the fast path is really taken, so that these comparisons cannot pass by
comparing stock with stock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

import partxl
from partxl.issue.generate import build_workbook
from partxl.outputs.register import register_bytes
from partxl.outputs.report import report_bytes
from partxl.outputs.summary import build_summary, summary_bytes
from partxl.outputs.write import OUTPUT_NAMES
from partxl.register.model import Record
from partxl.workers import PARALLEL_FROM
from partxl.xlsx import writer

from .conftest import REPO, SAMPLE_REGISTER

AS_OF = dt.date(2027, 4, 19)
# Text a writer must not mistake for markup, a formula or whitespace to drop: &, < >, a leading =, emoji,
# right-to-left script, a literal _x escape, control characters, a non-character, leading and trailing spaces.
AWKWARD = "  =SUM(A1) & Sons <Ltd> 🎉 عربى _x0041_ \x07bell\x1f\ufffe end  "
MODES = {"fast": True, "stock": False}


@contextmanager
def fast_path(enabled: bool) -> Iterator[None]:
    """The fast path on or off for workbooks made in this process, and in worker processes however they start."""
    previous = writer.use_fast_path(enabled)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(writer.FAST_ENV, "1" if enabled else "0")
        try:
            yield
        finally:
            writer.use_fast_path(previous)


def parts(package: bytes | Path) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package) if isinstance(package, bytes) else package) as opened:
        return {name: opened.read(name) for name in opened.namelist()}


def assert_same_parts(fast: bytes | Path, stock: bytes | Path, label: str) -> None:
    mine, theirs = parts(fast), parts(stock)
    assert set(mine) == set(theirs), label
    assert [name for name in mine if mine[name] != theirs[name]] == [], label


def both(make: Callable[[], bytes]) -> dict[str, bytes]:
    """``make()`` on the fast path and on the stock one."""
    made = {}
    for mode, enabled in MODES.items():
        with fast_path(enabled):
            made[mode] = make()
    return made


@pytest.fixture(scope="module")
def workspace() -> partxl.Workspace:
    return partxl.Workspace.load()


@pytest.fixture(scope="module")
def awkward(workspace: partxl.Workspace) -> Record:
    """A sample partnership renamed, its free-text answers rewritten with awkward text (kept as it is: not read back
    from a register, which trims spaces) and its amounts given all 17 significant digits a float can have."""
    source = workspace.records(SAMPLE_REGISTER)[0]
    values = {k: awkward_value(k, v) for k, v in source.values.items()}
    return dataclasses.replace(source, id="P099", values={**values, "info_name": AWKWARD})


def awkward_value(name: str, value: Any) -> Any:
    if isinstance(value, str) and name != "info_lead_officer":
        return f"{AWKWARD}{name}{AWKWARD}"
    if isinstance(value, float):
        return value + 1 / 3
    return value


@pytest.fixture(scope="module")
def awkward_register(workspace: partxl.Workspace, awkward: Record, tmp_path_factory) -> Path:
    """The sample register with the awkward partnership added."""
    path = tmp_path_factory.mktemp("awkward") / "register.xlsx"
    workspace.write_register([*workspace.records(SAMPLE_REGISTER), awkward], path, as_of=AS_OF)
    return path


@pytest.fixture(scope="module")
def generated(workspace: partxl.Workspace, awkward_register: Path, tmp_path_factory) -> dict[str, Path]:
    """`generate --blank` of the awkward register, on each path."""
    out = {}
    for mode, enabled in MODES.items():
        out[mode] = tmp_path_factory.mktemp(f"generated-{mode}")
        with fast_path(enabled):
            result = workspace.generate(out[mode], register=awkward_register, blank=True)
        assert set(result.files.values()) == {"written"}, result.files
    return out


@pytest.fixture(scope="module")
def consolidated(workspace: partxl.Workspace, awkward_register: Path, tmp_path_factory) -> dict[str, partxl.ConsolidateResult]:
    """The sample returns consolidated over the awkward register, on each path."""
    results = {}
    for mode, enabled in MODES.items():
        with fast_path(enabled):
            results[mode] = workspace.consolidate(REPO / "samples" / "returns", out=tmp_path_factory.mktemp(f"cycle-{mode}"),
                                                  previous=awkward_register, as_of=AS_OF)
    return results


def test_generated_workbooks_and_the_blank_proposal_are_the_same_on_both_paths(generated: dict[str, Path]):
    names = {path.name for path in generated["fast"].iterdir()}
    assert names == {path.name for path in generated["stock"].iterdir()}
    assert "New partnership proposal.xlsx" in names and any(name.startswith("P099 ") for name in names)
    assert len(names) > PARALLEL_FROM  # so built in worker processes, which must take the same path
    for name in sorted(names):
        assert_same_parts(generated["fast"] / name, generated["stock"] / name, name)


def test_a_workbook_with_awkward_text_is_the_same_on_both_paths(workspace: partxl.Workspace, awkward: Record):
    kind = workspace.spec.workbooks["annual"]
    made = both(lambda: build_workbook(workspace.config, kind, awkward))
    assert "🎉".encode() in parts(made["fast"])["xl/sharedStrings.xml"]
    assert_same_parts(made["fast"], made["stock"], "awkward workbook")


@pytest.mark.parametrize("name", OUTPUT_NAMES)
def test_consolidation_outputs_are_the_same_on_both_paths(consolidated: dict[str, partxl.ConsolidateResult], name: str):
    paths = {mode: next(path for path in result.outputs if path.name == name) for mode, result in consolidated.items()}
    assert_same_parts(paths["fast"], paths["stock"], name)


def test_the_committee_summary_of_awkward_text_is_the_same_on_both_paths(workspace: partxl.Workspace, awkward: Record,
                                                                         consolidated: dict[str, partxl.ConsolidateResult]):
    records = [*consolidated["fast"].records, awkward]
    made = both(lambda: summary_bytes(build_summary(records, workspace.spec, workspace.config, AS_OF)))
    assert_same_parts(made["fast"], made["stock"], "summary")


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "in memory"])
def test_the_register_and_report_are_the_same_on_both_paths_streamed_or_not(
        workspace: partxl.Workspace, awkward: Record, consolidated: dict[str, partxl.ConsolidateResult], stream: bool):
    result = consolidated["fast"]
    records = [*result.records, awkward]
    register = both(lambda: register_bytes(records, workspace.spec, workspace.config, AS_OF, stream=stream))
    report = both(lambda: report_bytes(result, workspace.config, AS_OF, stream=stream))
    main_sheet = parts(register["fast"])["xl/worksheets/sheet1.xml"]
    assert (b't="inlineStr"' in main_sheet) == stream and "xl/tables/table1.xml" in parts(register["fast"])
    assert_same_parts(register["fast"], register["stock"], "register")
    assert_same_parts(report["fast"], report["stock"], "report")


def test_a_subprocess_forced_onto_the_stock_path_generates_the_same_workbooks(generated: dict[str, Path], awkward_register: Path,
                                                                             tmp_path: Path):
    """PARTXL_XLSX_FAST=0 in a fresh `partxl generate` (and its workers): the same files as the fast path made."""
    env = {**os.environ, writer.FAST_ENV: "0"}
    done = subprocess.run([sys.executable, "-m", "partxl", "generate", "--register", str(awkward_register), "--out", str(tmp_path),
                           "--blank"], capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    names = sorted(path.name for path in generated["fast"].iterdir())
    assert sorted(path.name for path in tmp_path.iterdir()) == names
    for name in names:
        assert_same_parts(generated["fast"] / name, tmp_path / name, name)


def _fast_path_in_a_fresh_process(setting: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != writer.FAST_ENV}
    if setting is not None:
        env[writer.FAST_ENV] = setting
    return subprocess.run([sys.executable, "-c", "from partxl.xlsx import writer; print(writer.FAST_PATH)"],
                          capture_output=True, text=True, env=env, timeout=60)


def test_the_installed_xlsxwriter_decides_unless_the_environment_says():
    assert _fast_path_in_a_fresh_process(None).stdout.strip() == str(writer._tested(xlsxwriter.__version__))
    assert _fast_path_in_a_fresh_process("0").stdout.strip() == "False"
    assert _fast_path_in_a_fresh_process("1").stdout.strip() == "True"
    wrong = _fast_path_in_a_fresh_process("no")
    assert wrong.returncode != 0 and "PARTXL_XLSX_FAST='no'" in wrong.stderr


@pytest.mark.parametrize("version, tested", [("3.2.0", True), ("3.2.5", True), ("3.3.1", True), ("3.1.9", False), ("3.3.2", False),
                                             ("3.4.0", False), ("4.0.0", False), ("3.3.1rc1", False), ("3.3", False)])
def test_only_the_checked_xlsxwriter_versions_take_the_fast_path(version: str, tested: bool):
    assert writer._tested(version) is tested


@pytest.mark.parametrize("formula", ["=SUM(A1:A3)", "{=SUM(A1:A3*B1:B3)}", "=IF(A1=\"}\",1,2)", "=XLOOKUP(A1,B:B,C:C)",
                                     "=_xlfn.XLOOKUP(A1,B:B,C:C)", "=FILTER(A:A,B:B)", "=ASINGLE(A1)", "=SINGLE(A1)", "=MAPPING(A1)",
                                     "=STDEV.S(A1:A3)", "=A1&\"SORT(\"", "SUM(1)"])
@pytest.mark.parametrize("future", [False, True])
def test_the_fast_formula_preparation_gives_xlsxwriters_text(formula: str, future: bool):
    """Including xlsxwriter's own quirks: its SINGLE pattern is ``\\SINGLE\\(``, so it rewrites ``ASINGLE(`` too."""
    mine, theirs = writer.FastFormulaWorksheet(), Worksheet()
    assert mine._prepare_formula(formula, future) == theirs._prepare_formula(formula, future)
    mine.use_future_functions = theirs.use_future_functions = True
    assert mine._prepare_formula(formula) == theirs._prepare_formula(formula)


def _spy(patch: pytest.MonkeyPatch, owner: type, name: str, calls: Counter[str]) -> None:
    original = owner.__dict__[name]

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[f"{owner.__name__}.{name}"] += 1
        return original(*args, **kwargs)

    patch.setattr(owner, name, counted)


@pytest.mark.parametrize("mode", MODES)
def test_the_fast_path_is_taken_when_on_and_bypassed_when_off(workspace: partxl.Workspace, awkward: Record, mode: str,
                                                               monkeypatch):
    """Counted, with xlsxwriter's own methods spied on too: the fast overrides' own writing is the difference."""
    calls: Counter[str] = Counter()
    for owner, name in [(writer.FastFormulaWorksheet, "_write_cell"), (Worksheet, "_write_cell"),
                        (writer.FastFormulaWorksheet, "_prepare_formula"), (Worksheet, "_prepare_formula"),
                        (writer.LockedWorkbook, "_write_book_views"), (Worksheet, "write_string")]:
        _spy(monkeypatch, owner, name, calls)
    with fast_path(MODES[mode]):
        build_workbook(workspace.config, workspace.spec.workbooks["annual"], awkward)
        register_bytes([awkward], workspace.spec, workspace.config, AS_OF, stream=True)
    cells_by_partxl = calls["FastFormulaWorksheet._write_cell"] - calls["Worksheet._write_cell"]
    formulas_by_partxl = calls["FastFormulaWorksheet._prepare_formula"] - calls["Worksheet._prepare_formula"]
    if mode == "fast":
        assert cells_by_partxl > 500 and formulas_by_partxl > 5
    else:
        assert calls["FastFormulaWorksheet._write_cell"] == calls["FastFormulaWorksheet._prepare_formula"] == 0
        assert calls["Worksheet._write_cell"] > 500 and calls["Worksheet._prepare_formula"] > 5
        assert calls["Worksheet.write_string"] > 500  # write_value through the public methods
    assert calls["LockedWorkbook._write_book_views"] == 1  # xlsxwriter calls it either way; only the fast path writes in it


@pytest.mark.parametrize("mode", MODES)
def test_write_value_uses_the_private_writers_only_on_the_fast_path(mode: str, monkeypatch):
    calls: Counter[str] = Counter()
    for name in ("write_blank", "write_string", "write_boolean", "write_number", "write_datetime"):
        _spy(monkeypatch, Worksheet, name, calls)
    with fast_path(MODES[mode]):
        book = writer.FastWorkbook(io.BytesIO(), {"in_memory": True})
    sheet, fmt = book.add_worksheet(), book.add_format()
    for col, value in enumerate([None, "text", True, 3.5, dt.datetime(2026, 1, 2, 3, 4), dt.date(2026, 1, 2), Path("x")]):
        writer.write_value(sheet, 0, col, value, fmt)
    book.close()
    assert isinstance(sheet, writer.FastFormulaWorksheet) is (mode == "fast")
    assert sum(calls.values()) == (0 if mode == "fast" else 7)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("to_file", [True, False], ids=["to a file", "in memory"])
def test_the_structure_lock_is_written_once_on_both_paths(mode: str, to_file: bool, tmp_path: Path):
    target: Any = str(tmp_path / "locked.xlsx") if to_file else io.BytesIO()
    with fast_path(MODES[mode]):
        book = writer.LockedWorkbook(target, {"in_memory": not to_file}, structure_password="secret")
    book.add_worksheet()
    book.close()
    with pytest.warns(UserWarning, match="already closed"):
        book.close()
    package = Path(target).read_bytes() if to_file else target.getvalue()
    xml = parts(package)["xl/workbook.xml"]
    expected = f'<workbookProtection workbookPassword="{writer.legacy_password_hash("secret")}" lockStructure="1"/><bookViews>'
    assert xml.count(b"<workbookProtection") == 1 and expected.encode() in xml


def test_a_streamed_table_is_refused_when_xlsxwriter_writes_its_header_unseen(monkeypatch):
    """A release whose add_table no longer writes the header through _write_string: an error, not a broken file."""
    monkeypatch.setattr(Worksheet, "add_table", lambda self, *args, **kwargs: 0)
    book = writer.StreamingWorkbook(io.BytesIO(), stream=True)
    sheet = book.add_worksheet("Data")
    with pytest.raises(RuntimeError, match="cannot stream the table on Data"):
        sheet.add_table(0, 0, 3, 2, {"columns": [{"header": h} for h in "ABC"]})
    book.close()
