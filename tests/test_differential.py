"""What partxl registers is what LibreOffice shows: every case of the hostile corpus, and returns from the property
tests' generator, opened in one headless Calc session (tests/lo_cells.py), answer by answer.

For each file partxl either refuses (a finding that the file cannot be read) or registers answers. Each answer partxl
registers must be what Calc shows in the cell the answer's defined name points at (the name read by openpyxl, not by
partxl; Calc's values read a whole sheet at a time):
the same number (a date as its serial), or text that partxl's own reading of the answer's type turns into the same
value. An answer partxl registers nothing for must show nothing in Calc, unless partxl said why at that cell (an
error value, text that is not a date …). A file partxl reads and Calc cannot open fails the test too.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partxl.forms.definitions import load_spec
from partxl.forms.fieldtypes import TYPES, Refused, Unreadable
from partxl.forms.layout import InputCell, layout_form
from partxl.returns.validate import Checked, check_file

from . import hostile3, libreoffice, returns
from .test_properties import INFO_CELLS, value_for

pytestmark = pytest.mark.libreoffice
SPEC = load_spec()
AS_OF = dt.date(2027, 4, 19)
ANSWERS: dict[str, InputCell] = {cell.name: cell for form in SPEC.forms.values() for cell in layout_form(form).inputs}
EPOCH = dt.date(1899, 12, 30)  # day 0 of Calc's and Excel's serial dates (after 1 March 1900)
GENERATED = 12  # returns drawn from the property tests' generator


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
    libreoffice.require()
    work = tmp_path_factory.mktemp("lo-cells")
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
    if kind in ("VALUE", "FORMULA_VALUE"):
        if isinstance(value, dt.date):
            return EPOCH + dt.timedelta(days=number) == value
        return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(number - value) < 1e-9
    if kind not in ("TEXT", "FORMULA_TEXT"):
        return False
    field = cell.field
    choices = field.choices or config.choice_list(field.choices_from or "") if field.type == "choice" else ()
    try:
        return bool(TYPES[field.type].read(field, text, choices) == value)
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


def test_what_partxl_registers_is_what_libreoffice_shows(files: list[Path], shown: dict[str, dict], spec, config):
    compared = refused = 0
    problems: list[str] = []
    for path in files:
        checked = check_file(path, spec, config, AS_OF)
        if _refused(checked):
            refused += 1
            continue
        calc = shown[path.name]
        if not calc["loaded"]:
            problems.append(f"{path.name}: partxl read it, Calc could not open it ({calc['error']})")
            continue
        flagged = {(f.sheet, f.cell) for f in checked.findings if f.code != "MISSING"}
        for name, (sheet, address) in returns.names(path).items():
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
    assert not problems, "\n".join(problems)
    assert refused >= sum(case.outcome == "rejected" for case in hostile3.cases())  # the refused cases were refused
    assert compared > 1000, compared  # and many answers were compared


DISAGREE = ("negative shared-string index.xlsx", "fractional shared-string index.xlsx", "value beside an inline string.xlsx",
            "inline string in a number cell.xlsx")


def test_the_cells_refused_are_ones_the_readers_disagree_on(files: list[Path], shown: dict[str, dict]):
    """Why those cells are refused rather than read: calamine alone gives one answer, Calc shows another."""
    from python_calamine import CalamineWorkbook

    for name in DISAGREE:
        calc = calc_cell(shown[name]["sheets"], "Information", "B18")
        grid = CalamineWorkbook.from_path(shown[name]["in"]).get_sheet_by_name("Information").to_python(skip_empty_area=False)
        assert str(grid[17][1]) != calc[1], (name, grid[17][1], calc)
