"""What changes at county scale: big registers and reports are streamed to disk row by row.

The streamed path is forced on the sample cycle here (it otherwise starts at tens of thousands of
rows, which `bench/run.py --returns 10000` exercises) and must give the same workbooks' contents as
the in-memory path, with their Excel tables intact, in a file LibreOffice opens.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

import partxl.outputs.register
import partxl.outputs.report

from . import libreoffice
from .conftest import REPO, SAMPLE_REGISTER, run_cli

STREAMED = ("register.xlsx", "validation_report.xlsx")


def _values(path: Path) -> dict[str, list[list[object]]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def _tables(path: Path) -> dict[str, str]:
    """Each Excel table's name and range, as the package declares them."""
    import re

    with zipfile.ZipFile(path) as package:
        found = {}
        for name in package.namelist():
            if name.startswith("xl/tables/"):
                xml = package.read(name).decode()
                found[re.search(r'\bname="([^"]+)"', xml).group(1)] = re.search(r'\bref="([^"]+)"', xml).group(1)
        return found


@pytest.fixture(scope="module")
def streamed(sample_cycle: Path, sample_returns: Path, tmp_path_factory) -> Path:
    """The sample cycle consolidated again through the CLI, with streaming forced for the register and the report."""
    out = tmp_path_factory.mktemp("streamed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(partxl.outputs.register, "STREAM_FROM_ROWS", 0)
        patch.setattr(partxl.outputs.report, "STREAM_FROM_ROWS", 0)
        code, _, err = run_cli("consolidate", str(sample_returns), "--out", str(out), "--previous",
                               str(SAMPLE_REGISTER), "--as-of", "2027-04-19")
    assert code in (0, 1), err
    return out


@pytest.mark.parametrize("name", STREAMED)
def test_a_streamed_workbook_holds_what_the_in_memory_one_does(name: str, sample_cycle: Path, streamed: Path):
    with zipfile.ZipFile(streamed / name) as package:  # it really was streamed: text inline, not shared
        sheet = package.read("xl/worksheets/sheet1.xml")
    assert b't="inlineStr"' in sheet
    assert _values(streamed / name) == _values(sample_cycle / name)
    assert _tables(streamed / name) == _tables(sample_cycle / name)
    assert _tables(streamed / name)  # the register's and report's tables, with their ranges


@pytest.mark.libreoffice
def test_libreoffice_opens_the_streamed_workbooks_and_keeps_every_value(streamed: Path, tmp_path: Path):
    converted = libreoffice.convert([streamed / name for name in STREAMED], "xlsx", tmp_path)
    for original, saved in zip(STREAMED, converted, strict=True):
        mine, theirs = _values(streamed / original), _values(saved)
        assert list(theirs) == list(mine)
        for sheet, rows in mine.items():
            assert len(theirs[sheet]) == len(rows), sheet
            assert theirs[sheet][0] == rows[0], sheet  # the table's header row
        assert set(_tables(saved).values()) == set(_tables(streamed / original).values())


TRICKY = ["plain", " leading space", "trailing space ", "tab\there", "line\nbreak", "_x0041_ looks escaped", 'a & b < c > d "q"',
          "\x07bell", "non-character \ufffe", "emoji 🎉 and عربى", "<r>not rich</r>", "=cmd|' /C calc'!A0", "nbsp\u00a0",
          "\u2028separator", "12345"]


@pytest.mark.parametrize("stream", [True, False])
def test_partxls_fast_cell_writer_writes_what_xlsxwriter_writes(stream: bool, tmp_path: Path):
    """partxl writes common cells itself (see FastFormulaWorksheet._write_cell): byte for byte what xlsxwriter would."""
    import datetime as dt

    import xlsxwriter

    from partxl.xlsx import BOOK_OPTIONS, StreamingWorkbook, write_value

    def sheet_xml(book_class, target: Path, options: dict) -> bytes:
        book = book_class(str(target), options) if book_class is xlsxwriter.Workbook else book_class(str(target), options, stream=stream)
        sheet, fmt = book.add_worksheet("Values"), book.add_format({"text_wrap": True})
        for row, value in enumerate([*TRICKY, 3.25, 0, -1e-9, dt.date(2026, 3, 31), None, True], start=0):
            write_value(sheet, row, 0, value, fmt) if book_class is not xlsxwriter.Workbook else \
                sheet.write(row, 0, value if value is not None else "", fmt)
        sheet.write_string(len(TRICKY) + 10, 0, "unformatted")
        book.close()
        with zipfile.ZipFile(target) as package:
            return package.read("xl/worksheets/sheet1.xml")

    options = {**BOOK_OPTIONS, "constant_memory": stream, "default_date_format": "dd/mm/yyyy"}
    mine = sheet_xml(StreamingWorkbook, tmp_path / "mine.xlsx", options)
    theirs = sheet_xml(xlsxwriter.Workbook, tmp_path / "theirs.xlsx", options)
    assert mine == theirs
    assert (b"inlineStr" in mine) == stream


def test_the_benchmark_runs_and_reports_its_figures(tmp_path: Path):
    """bench/run.py end to end on a few returns (its figures are not asserted: tests never time anything)."""
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(REPO / "bench" / "run.py"), "--returns", "30", "--repeat", "1",
                           "--only", "consolidate,rerun,floor", "--results", str(tmp_path)],
                          capture_output=True, text=True, timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stderr
    [written] = tmp_path.glob("*-n30.json")
    result = json.loads(written.read_text())
    assert set(result["seconds"]) == {"consolidate", "rerun", "floor"}
    assert set(result["ratios"]) == {"consolidate / floor", "rerun / consolidate"}
    assert "30 file(s) read" in result["consolidate_said"]
    assert result["machine"]["cpus"] and result["peak_rss_mib"]["consolidate"] > 0
