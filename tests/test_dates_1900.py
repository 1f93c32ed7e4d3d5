"""The first days Excel has survive every trip (issue 16, "Also").

1 January 1900 is Excel's day 1; Excel also counts a 29 February 1900 that never was (day 60), and has no
date before 1900. xlsxwriter wrote 1 January 1900 at midnight as day 0 (a time of day alone), so a return
answering 01/01/1900 reached the register as no date at all. Now a date answer of 1900-01-01 goes from the
return to the register, into next year's pre-filled workbook and back unchanged; day 60 is no date to guess;
and a date before 1900 is never written as a negative day number (which makes calamine panic).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.datetime import from_excel, to_excel

from partxl.dates import AGREED_FROM, as_libreoffice_showed, day_of, serial
from partxl.forms.fieldtypes import DATE_MIN, Unreadable, parse_date
from partxl.forms.fieldtypes import serial as bound_serial
from partxl.returns.validate import check_file
from partxl.workspace import Workspace
from partxl.xlsx import LockedWorkbook, write_value

from . import returns
from .conftest import SAMPLE_REGISTER, run_cli
from .libreoffice import convert

EDGE_DAYS = [dt.date(1900, 1, 1), dt.date(1900, 1, 2), dt.date(1900, 2, 28), dt.date(1900, 3, 1), dt.date(1904, 2, 29),
             dt.date(2000, 2, 29), dt.date(2100, 12, 31)]


def test_serials_are_excels_as_openpyxl_counts_them():
    """openpyxl's conversion, written apart from ours, as the oracle: every day of 1900 and the edge days."""
    days = [dt.date(1900, 1, 1) + dt.timedelta(days=n) for n in range(366)] + EDGE_DAYS
    for day in days:
        assert serial(day) == to_excel(day), day
        assert day_of(int(to_excel(day))) == day and from_excel(serial(day)).date() == day, day
    assert serial(dt.datetime(1900, 1, 1, 12)) == 1.5 and serial(dt.datetime(1900, 3, 1, 6)) == 61.25
    assert serial(dt.date(1899, 12, 31)) is None and serial(dt.date(1850, 6, 1)) is None
    assert day_of(60) is None and day_of(0) is None and day_of(59) == dt.date(1900, 2, 28) and day_of(61) == dt.date(1900, 3, 1)
    assert bound_serial(DATE_MIN) == 1  # the workbooks' date validation lets an officer type 01/01/1900


def test_an_xlsx_libreoffice_saved_is_read_as_libreoffice_showed_it():
    """LibreOffice writes 1 January 1900 as day 2 (its own count), which calamine (Excel's count) reads as the 2nd."""
    assert as_libreoffice_showed(dt.date(1900, 1, 2)) == dt.date(1900, 1, 1)
    assert as_libreoffice_showed(dt.datetime(1900, 2, 27, 12)) == dt.datetime(1900, 2, 26, 12)
    assert as_libreoffice_showed(dt.date(1900, 1, 1)) == dt.date(1899, 12, 31)  # day 1: LibreOffice's 31 December 1899
    for same in (dt.date(1900, 2, 28), dt.date(1900, 3, 1), dt.date(2027, 6, 25), "01/01/1900", 2.0, None):
        assert as_libreoffice_showed(same) == same


def test_a_day_number_is_read_as_excel_shows_it():
    assert parse_date(1) == dt.date(1900, 1, 1) and parse_date(59.0) == dt.date(1900, 2, 28) and parse_date(61) == dt.date(1900, 3, 1)
    with pytest.raises(Unreadable) as caught:
        parse_date(60)
    assert "29/02/1900" in caught.value.hint and "not a leap year" in caught.value.hint
    for nonsense in (0, -5, 1.5):
        with pytest.raises(Unreadable):
            parse_date(nonsense)


def test_written_as_the_day_both_programs_show(tmp_path: Path):
    """From 1 March 1900 a serial (Excel's and LibreOffice's alike); before, text (xlsxwriter wrote 1 January 1900 as
    day 0, and LibreOffice reads day 1 as 31 December 1899); before 1900, text (a negative day panics calamine)."""
    path = tmp_path / "days.xlsx"
    book = LockedWorkbook(str(path))
    sheet = book.add_worksheet("Days")
    when = book.add_format({"num_format": "dd/mm/yyyy"})
    for row, day in enumerate([dt.date(1900, 1, 1), dt.datetime(1900, 1, 1), dt.date(1900, 3, 1), dt.date(1850, 6, 1)]):
        write_value(sheet, row, 0, day, when)
    book.close()
    read = [row[0] for row in openpyxl.load_workbook(path)["Days"].iter_rows(values_only=True)]
    assert read == ["01/01/1900", "01/01/1900", dt.datetime(1900, 3, 1), "01/06/1850"]  # as text where the programs differ
    with zipfile.ZipFile(path) as package:
        cells = dict(re.findall(rb'<c r="(A\d)"[^>]*><v>([^<]*)</v>', package.read("xl/worksheets/sheet1.xml")))
    assert cells[b"A3"] == b"61"


NEXT_CYCLE = ('[cycle]\nname = "2027/28"\ndeadline = 2028-06-23\nissue_date = 2028-03-27\n'
              '[integrity]\nkey = "partxl-sample-key-not-secret"\nsample = true\n')


@pytest.mark.parametrize("day", [dt.date(1900, 1, 1), dt.date(1900, 2, 28), dt.date(1900, 3, 1)], ids=str)
def test_the_day_goes_from_the_return_to_the_register_into_next_years_workbook_and_back(generated: Path, tmp_path: Path,
                                                                                      day: dt.date):
    item = returns.Return("P001", "P001 annual return", {**returns.FRESH_REVIEW, "info_date_formed": day})
    (tmp_path / "returns").mkdir()
    returns.fill_with_openpyxl([item], generated, tmp_path / "returns")
    _round_trip(tmp_path, day)


def test_excels_29_february_1900_is_refused_not_read_as_the_28th(generated: Path, tmp_path: Path):
    """Excel accepts 29/02/1900 and stores day 60, which calamine reads as 28 February: the officer is asked instead."""
    plan = [returns.Return("P001", f"P001 day {n}", {**returns.FRESH_REVIEW, "info_date_formed": n}) for n in (59, 60)]
    day_59, day_60 = returns.fill_with_openpyxl(plan, generated, tmp_path)  # numbers, in the date cell's date format
    workspace = Workspace.load()
    read = {n: check_file(path, workspace.spec, workspace.config, dt.date(2027, 4, 19)) for n, path in ((59, day_59), (60, day_60))}
    assert read[59].values is not None and read[59].values["info_date_formed"] == dt.date(1900, 2, 28) and read[59].accepted
    invalid, = [f for f in read[60].findings if f.code == "INVALID"]
    assert invalid.field == "Date formed" and "29/02/1900" in invalid.hint and not read[60].accepted


def _round_trip(tmp_path: Path, day: dt.date) -> Path:
    """consolidate the returns folder, read the register, generate next year's P001 from it and read that back."""
    code, printed, err = run_cli("consolidate", str(tmp_path / "returns"), "--out", str(tmp_path / "out"), "--previous",
                                 str(SAMPLE_REGISTER), "--as-of", "2027-04-19", "--json")
    assert [f["outcome"] for f in json.loads(printed)["files"]] == ["accepted"], err
    workspace = Workspace.load()
    record = {r.id: r for r in workspace.records(tmp_path / "out" / "register.xlsx")}["P001"]
    assert record.get("info_date_formed") == day
    rows = {row["Partnership ID"]: row for row in workspace.register_rows(tmp_path / "out" / "register.xlsx")}
    assert rows["P001"]["Date formed"] == day
    (tmp_path / "next.toml").write_text(NEXT_CYCLE, encoding="utf-8")
    code, _, err = run_cli("--config", str(tmp_path / "next.toml"), "generate", "--register", str(tmp_path / "out" / "register.xlsx"),
                           "--out", str(tmp_path / "next"), "--only", "P001")
    assert code == 0, err
    issued, = (tmp_path / "next").glob("P001 *.xlsx")
    following = Workspace.load(config=tmp_path / "next.toml")
    checked = check_file(issued, following.spec, following.config, dt.date(2028, 3, 27))
    assert checked.values is not None and checked.values["info_date_formed"] == day
    shown = openpyxl.load_workbook(issued)["Information"][_address(issued, "info_date_formed")].value
    assert shown == (dt.datetime.combine(day, dt.time()) if day >= AGREED_FROM else f"{day:%d/%m/%Y}")
    return issued


def _address(path: Path, name: str) -> str:
    from .inspect_xlsx import defined_cells, load

    return defined_cells(load(path))[name].address


@pytest.mark.libreoffice
def test_typed_in_libreoffice_the_day_survives_the_same_trip(generated: Path, tmp_path: Path):
    """An officer types 1900-01-01 in Calc (whose own day numbers start elsewhere) and saves the workbook as .xlsx."""
    item = returns.Return("P001", "P001 annual return", {**returns.FRESH_REVIEW, "info_date_formed": dt.date(1900, 1, 1)})
    (tmp_path / "returns").mkdir()
    saved, = returns.fill_with_libreoffice([item], generated, tmp_path / "returns", "xlsx", tmp_path)
    workspace = Workspace.load()
    checked = check_file(saved, workspace.spec, workspace.config, dt.date(2027, 4, 19))
    assert checked.values is not None and checked.values["info_date_formed"] == dt.date(1900, 1, 1), checked.findings
    issued = _round_trip(tmp_path, dt.date(1900, 1, 1))
    opened, = convert([issued], "ods", tmp_path / "ods")  # next year's workbook as LibreOffice shows it
    following = Workspace.load(config=tmp_path / "next.toml")
    checked = check_file(opened, following.spec, following.config, dt.date(2028, 3, 27))
    assert checked.values is not None and checked.values["info_date_formed"] == dt.date(1900, 1, 1)
