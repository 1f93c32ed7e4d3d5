"""What partxl registers is what LibreOffice shows: every case of the hostile corpus, and returns from the property
tests' generator, opened in one headless Calc session (tests/lo_cells.py), answer by answer.

For each file partxl either refuses (a finding that the file cannot be read) or registers answers. Each answer partxl
registers must be what Calc shows in the cell the answer's defined name points at (the name read by openpyxl, not by
partxl; Calc's values read a whole sheet at a time):
the same number (a date as its serial), or text that partxl's own reading of the answer's type turns into the same
value. An answer partxl registers nothing for must show nothing in Calc, unless partxl said why at that cell (an
error value, text that is not a date …). A file partxl reads and Calc cannot open fails the test too.

The same holds for .ods and .xls: some of those returns saved by Calc in each format, one whose rows were moved, and
the hostile .ods cases (tests/hostile_ods.py). There openpyxl cannot read the names, so each answer is looked for where
Calc's own reading of its name puts it (tests/lo_cells.py reports Calc's names).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xlsxwriter.utility import xl_rowcol_to_cell

from partxl.forms.definitions import load_spec
from partxl.forms.fieldtypes import TYPES, Refused, Unreadable
from partxl.forms.layout import InputCell, layout_form
from partxl.returns.validate import Checked, check_file

from . import hostile3, hostile_ods, libreoffice, returns
from .test_properties import INFO_CELLS, value_for

pytestmark = pytest.mark.libreoffice
SPEC = load_spec()
AS_OF = dt.date(2027, 4, 19)
ANSWERS: dict[str, InputCell] = {cell.name: cell for form in SPEC.forms.values() for cell in layout_form(form).inputs}
EPOCH = dt.date(1899, 12, 30)  # day 0 of Calc's and Excel's serial dates (after 1 March 1900)
GENERATED = 12  # returns drawn from the property tests' generator
FORMATS_GENERATED = 6  # of those, saved as .ods and .xls too


@pytest.fixture(scope="module")
def files(generated: Path, config, tmp_path_factory) -> list[Path]:
    """The hostile corpus beside its good return, and returns filled by the property tests' generator."""
    folder = tmp_path_factory.mktemp("differential")
    plan = {item.source: item for item in returns.plan()}
    good, = returns.fill_with_openpyxl([plan["P001"]], generated, tmp_path_factory.mktemp("differential-good"))
    cases = hostile3.build(folder, good)
    shutil.copyfile(good, folder / "P001 good.xlsx")
    made = [folder / case.name for case in cases] + [folder / "P001 good.xlsx"]
    source = returns.source_file(generated, returns.Return("P001", "x"))
    located = returns.names(source)

    @settings(max_examples=GENERATED, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def draw(data: Any) -> None:
        chosen = data.draw(st.lists(st.sampled_from(INFO_CELLS), min_size=1, max_size=8, unique_by=lambda c: c.name))
        book = openpyxl.load_workbook(source)
        for cell in chosen:
            sheet, address = located[cell.name]
            book[sheet][address].value = value = data.draw(value_for(cell, config))
            if isinstance(value, str):
                book[sheet][address].data_type = "s"
        target = folder / f"generated {len(made):03d}.xlsx"
        book.save(target)
        made.append(target)

    draw()
    return made


@pytest.fixture(scope="module")
def shown(files: list[Path], tmp_path_factory) -> dict[str, dict]:
    """What Calc shows, file by file: one soffice for all of them."""
    return _calc_shows(files, tmp_path_factory.mktemp("lo-cells"))


@pytest.fixture(scope="module")
def formats(files: list[Path], generated: Path, tmp_path_factory) -> dict[str, list[Path]]:
    """The good return, some of the generated returns and one whose officer inserted rows above the answers (the names
    moved with them), each saved by Calc as .ods and as .xls; the .ods ones with the hostile .ods cases
    (tests/hostile_ods.py) made from the good one. Calc takes about a second and a half a file, hence not all of them."""
    work = tmp_path_factory.mktemp("differential-formats")
    moved = next(item for item in returns.plan() if item.move_rows)
    sources = [path for path in files if path.name == "P001 good.xlsx"]
    sources += [path for path in files if path.name.startswith("generated ")][:FORMATS_GENERATED]
    sources += returns.fill_with_openpyxl([moved], generated, work)
    ods = libreoffice.convert(sources, "ods", work / "ods")
    cases = hostile_ods.build(work / "ods", work / "ods" / "P001 good.ods")
    return {"ods": ods + [work / "ods" / case.name for case in cases],
            "xls": libreoffice.convert(sources, "xls", work / "xls")}


@pytest.fixture(scope="module")
def formats_shown(formats: dict[str, list[Path]], tmp_path_factory) -> dict[str, dict]:
    return _calc_shows([path for paths in formats.values() for path in paths], tmp_path_factory.mktemp("lo-cells-formats"))


def _calc_shows(files: list[Path], work: Path) -> dict[str, dict]:
    """What Calc shows in each of ``files`` (tests/lo_cells.py), by file name: one soffice for all of them."""
    libreoffice.require()
    jobs = work / "jobs.json"
    jobs.write_text(json.dumps({"jobs": [{"in": str(path)} for path in files]}))
    done = subprocess.run([libreoffice.SYSTEM_PYTHON, str(libreoffice.HERE / "lo_cells.py"), str(jobs)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return {Path(result["in"]).name: result for result in json.loads(done.stdout)["results"]}


def _refused(checked: Checked) -> bool:
    return checked.metadata is None and any(f.code.startswith("FILE_") for f in checked.findings)


def _agrees(cell: InputCell, value: Any, kind: str, text: str, number: float, config: Any) -> bool:
    """Whether what Calc shows (``kind``, ``text``, ``number``) is ``value`` for this answer."""
    shown: Any = text
    if kind in ("VALUE", "FORMULA_VALUE"):
        if isinstance(value, dt.date):
            return EPOCH + dt.timedelta(days=number) == value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return abs(number - value) < 1e-9
        shown = number  # a number where the answer is not one (text, a choice): as partxl's type reads a number
    elif kind not in ("TEXT", "FORMULA_TEXT"):
        return False
    field = cell.field
    choices = field.choices or config.choice_list(field.choices_from or "") if field.type == "choice" else ()
    try:
        return bool(TYPES[field.type].read(field, shown, choices) == value)
    except (Unreadable, Refused):
        return False


def calc_cell(sheets: dict[str, dict], sheet: str, address: str) -> tuple[str, str, float]:
    """What Calc shows at ``sheet``!``address``: its kind (EMPTY, VALUE, TEXT, FORMULA_VALUE, FORMULA_TEXT), its text
    and its number."""
    from partxl.returns.read import a1_to_rowcol

    row, col = a1_to_rowcol(address)
    area = sheets.get(sheet, {"data": [], "formulas": []})
    if row >= len(area["data"]) or col >= len(area["data"][row]):
        return "EMPTY", "", 0.0
    data, formula = area["data"][row][col], area["formulas"][row][col]
    number = data if isinstance(data, float) else 0.0
    if formula == "":
        return "EMPTY", "", 0.0
    kind = ("FORMULA_" if str(formula).startswith("=") else "") + ("VALUE" if isinstance(data, float) else "TEXT")
    return kind, "" if isinstance(data, float) else str(data), number


Where = dict[str, tuple[str, str]]  # answer name -> (sheet, A1)


def _compare(files: list[Path], shown: dict[str, dict], where: Callable[[Path, dict], Where], spec: Any,
             config: Any) -> tuple[int, set[str], list[str]]:
    """Each file checked by partxl, answer by answer against what Calc shows at ``where(file, what Calc read)``: how
    many answers were compared, the files partxl refused, and every disagreement."""
    compared, refused = 0, set()
    problems: list[str] = []
    for path in files:
        checked = check_file(path, spec, config, AS_OF)
        if _refused(checked):
            refused.add(path.name)
            continue
        calc = shown[path.name]
        if not calc["loaded"]:
            problems.append(f"{path.name}: partxl read it, Calc could not open it ({calc['error']})")
            continue
        flagged = {(f.sheet, f.cell) for f in checked.findings if f.code != "MISSING"}
        for name, (sheet, address) in where(path, calc).items():
            if name not in ANSWERS:
                continue
            kind, text, number = calc_cell(calc["sheets"], sheet, address)
            value = checked.values.get(name)
            if value is None:
                if kind != "EMPTY" and (sheet, address) not in flagged:
                    problems.append(f"{path.name} {name} ({sheet}!{address}): partxl read nothing, Calc shows {text!r}")
                continue
            compared += 1
            if not _agrees(ANSWERS[name], value, kind, text, number, config):
                problems.append(f"{path.name} {name} ({sheet}!{address}): partxl read {value!r}, Calc shows {kind} {text!r}")
    return compared, refused, problems


def test_what_partxl_registers_is_what_libreoffice_shows(files: list[Path], shown: dict[str, dict], spec, config):
    compared, refused, problems = _compare(files, shown, lambda path, _calc: returns.names(path), spec, config)
    assert not problems, "\n".join(problems)
    assert len(refused) >= sum(case.outcome == "rejected" for case in hostile3.cases())  # the refused cases were refused
    assert compared > 1000, compared  # and many answers were compared


def _calc_names(_path: Path, calc: dict) -> Where:
    """Where Calc puts each answer in an .ods or .xls: the cell its name refers to, as Calc reads the name."""
    return {name: (sheet, xl_rowcol_to_cell(row, col)) for name, (sheet, row, col) in calc["names"].items()}


@pytest.mark.parametrize(("kind", "least"), [("ods", 1500), ("xls", 500)])
def test_what_partxl_registers_from_ods_and_xls_is_what_libreoffice_shows(kind: str, least: int, formats, formats_shown,
                                                                         spec, config):
    """The same, for returns saved as .ods and as .xls: every answer partxl registers is what Calc shows at that
    answer's name as Calc reads it (partxl reads an .ods's names itself, and an .xls's answers where the form put
    them), or partxl refused the file. The return with rows inserted is read by its names from an .ods; from an .xls,
    whose names partxl cannot read, it is refused rather than read from cells that now hold other answers."""
    compared, refused, problems = _compare(formats[kind], formats_shown, _calc_names, spec, config)
    assert not problems, "\n".join(problems)
    rejected = {case.name for case in hostile_ods.cases() if case.outcome == "rejected"}
    assert refused == (rejected if kind == "ods" else {"P011 return.xls"})
    assert compared > least, compared  # and many answers were compared


def test_each_hostile_ods_case_ends_as_it_must(formats: dict[str, list[Path]], spec, config):
    """Refused with its finding, or read with the findings and answers the case says."""
    folder = formats["ods"][0].parent
    for case in hostile_ods.cases():
        checked = check_file(folder / case.name, spec, config, AS_OF)
        codes = {finding.code for finding in checked.findings}
        assert _refused(checked) == (case.outcome == "rejected"), (case.name, codes)
        assert case.codes <= codes, (case.name, codes)
        assert {name: checked.values.get(name) for name in case.values} == case.values, case.name


DISAGREE = ("negative shared-string index.xlsx", "fractional shared-string index.xlsx", "value beside an inline string.xlsx",
            "inline string in a number cell.xlsx")


def test_the_cells_refused_are_ones_the_readers_disagree_on(files: list[Path], shown: dict[str, dict]):
    """Why those cells are refused rather than read: calamine alone gives one answer, Calc shows another."""
    from python_calamine import CalamineWorkbook

    for name in DISAGREE:
        calc = calc_cell(shown[name]["sheets"], "Information", "B18")
        grid = CalamineWorkbook.from_path(shown[name]["in"]).get_sheet_by_name("Information").to_python(skip_empty_area=False)
        assert str(grid[17][1]) != calc[1], (name, grid[17][1], calc)
