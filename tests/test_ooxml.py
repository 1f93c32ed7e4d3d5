"""Every .xlsx partxl writes passes an OOXML (ECMA-376) schema check.

The check (tests/ooxml.py) is openxml-audit's validator, a pure-Python port of the Open XML SDK's,
with two gaps of it filled. It is first shown to catch files broken on purpose, and to pass the
same files untouched; then every kind of workbook partxl writes is made through the public API
and checked: the partnership workbooks and the blank proposal, the three outputs of consolidate,
the summary written on its own, and the streamed (constant-memory) register and report.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import partxl
from partxl.outputs.register import register_bytes
from partxl.outputs.report import report_bytes

from . import ooxml
from .conftest import REPO, SAMPLE_REGISTER

AS_OF = dt.date(2027, 4, 19)
PROPOSAL = "New partnership proposal.xlsx"
CONSOLIDATED = ("register.xlsx", "validation_report.xlsx", "committee_summary.xlsx", "decisions.xlsx")
REGISTER_STREAMED = "register.xlsx, streamed"
REPORT_STREAMED = "validation_report.xlsx, streamed"


@dataclass(frozen=True)
class Outputs:
    files: dict[str, Path]  # every output but the partnership workbooks, by label
    partnerships: list[Path]  # one generated workbook per partnership of the sample register
    consolidated: list[str]  # the names of the .xlsx files consolidate wrote


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    """Everything partxl writes as .xlsx, made once through the public API from the shipped samples."""
    out = tmp_path_factory.mktemp("ooxml")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(out)  # no partxl.toml here: the shipped defaults and forms
        ws = partxl.Workspace.load()
    generated = ws.generate(out / "workbooks", register=SAMPLE_REGISTER, blank=True)
    result = ws.consolidate(REPO / "samples" / "returns", out=out, previous=SAMPLE_REGISTER, as_of=AS_OF)
    ws.summary(out / "register.xlsx", out=out / "summary.xlsx", previous=SAMPLE_REGISTER, as_of=AS_OF)
    (out / "register-streamed.xlsx").write_bytes(
        register_bytes(ws.records(SAMPLE_REGISTER), ws.spec, ws.config, AS_OF, stream=True))
    (out / "report-streamed.xlsx").write_bytes(report_bytes(result, ws.config, AS_OF, stream=True))

    workbooks = sorted(generated.files)
    files = {PROPOSAL: out / "workbooks" / PROPOSAL, "summary.xlsx (partxl summary)": out / "summary.xlsx",
             REGISTER_STREAMED: out / "register-streamed.xlsx", REPORT_STREAMED: out / "report-streamed.xlsx"}
    files |= {name: out / name for name in CONSOLIDATED}
    return Outputs(files, [p for p in workbooks if p.name != PROPOSAL],
                   sorted(p.name for p in result.outputs if p.suffix == ".xlsx"))


def _assert_passes(path: Path, label: str) -> None:
    problems = ooxml.check(path)
    assert not problems, ooxml.describe(problems, label)


# ---------------------------------------------------------------- the check catches broken files

WORKSHEET = r"xl/worksheets/sheet\d+\.xml"


@dataclass(frozen=True)
class Breakage:
    source: str  # the label of the good output it starts from
    part: str  # regex: the first part of this name that the edit changes is broken
    edit: Callable[[str], str]
    expected: str  # found in the message of a problem reported for that part


BREAKAGES = {
    "unknown element inside sheetData": Breakage(
        PROPOSAL, WORKSHEET, lambda x: x.replace("<sheetData>", "<sheetData><bogus/>", 1), "Unexpected element 'bogus'"),
    "cell type not in ST_CellType": Breakage(
        PROPOSAL, WORKSHEET, lambda x: re.sub(r'(<c r="[A-Z]+\d+"[^>]*?) t="s"', r'\1 t="bogus"', x, count=1),
        "Value 'bogus' is not in allowed values"),
    "cols after sheetData (out of schema order)": Breakage(
        PROPOSAL, WORKSHEET, lambda x: re.sub(r"(<cols>.*?</cols>)(<sheetData>.*?</sheetData>)", r"\2\1", x, count=1),
        "Unexpected element 'cols'"),
    "two values in one cell": Breakage(
        PROPOSAL, WORKSHEET, lambda x: x.replace("</v></c>", "</v><v>1</v></c>", 1), "Unexpected element 'v'"),
    "data validation type not in ST_DataValidationType": Breakage(
        PROPOSAL, WORKSHEET, lambda x: re.sub(r'<dataValidation type="\w+"', '<dataValidation type="calendar"', x, count=1),
        "Value 'calendar' is not in allowed values"),
    "boolean attribute not a boolean": Breakage(
        PROPOSAL, WORKSHEET, lambda x: re.sub(r'showGridLines="\w+"', 'showGridLines="maybe"', x, count=1),
        "Invalid boolean value: 'maybe'"),
    "required attribute missing": Breakage(
        PROPOSAL, WORKSHEET, lambda x: re.sub(r'<pageMargins left="[^"]*" ', "<pageMargins ", x, count=1),
        "Required attribute 'left' is missing"),
    "undeclared attribute on a styles element": Breakage(
        PROPOSAL, r"xl/styles\.xml", lambda x: x.replace("<cellXfs ", '<cellXfs bogus="1" ', 1),
        "The 'bogus' attribute is not declared"),
    # openxml-audit 0.8 alone misses the next two; tests/ooxml.py adds the checks that catch them
    "undeclared attribute on a row": Breakage(
        PROPOSAL, WORKSHEET, lambda x: re.sub(r'<row r="(\d+)"', r'<row r="\1" bogus="1"', x, count=1),
        "The 'bogus' attribute is not declared"),
    "worksheet not well-formed": Breakage(
        PROPOSAL, WORKSHEET, lambda x: x.replace("</sheetData>", "</sheetDat>", 1), "not well-formed XML"),
    "chart elements out of schema order": Breakage(
        "committee_summary.xlsx", r"xl/charts/chart\d+\.xml",
        lambda x: re.sub(r"(<c:barDir [^>]*/>)(<c:grouping [^>]*/>)", r"\2\1", x, count=1), "'barDir'"),
    "table elements out of schema order": Breakage(
        "committee_summary.xlsx", r"xl/tables/table\d+\.xml",
        lambda x: re.sub(r"(<autoFilter [^>]*/>)(<tableColumns .*?</tableColumns>)", r"\2\1", x, count=1),
        "Unexpected element 'autoFilter'"),
    "relationship to a missing part": Breakage(
        "committee_summary.xlsx", r"xl/_rels/workbook\.xml\.rels",
        lambda x: x.replace('Target="worksheets/sheet2.xml"', 'Target="worksheets/sheet99.xml"', 1),
        "Relationship target not found"),
}


@pytest.mark.parametrize("label", sorted({b.source for b in BREAKAGES.values()}))
def test_the_check_passes_the_untouched_file(outputs: Outputs, label: str) -> None:
    _assert_passes(outputs.files[label], label)


@pytest.mark.parametrize("name", list(BREAKAGES))
def test_the_check_catches_a_broken_file(outputs: Outputs, tmp_path: Path, name: str) -> None:
    breakage = BREAKAGES[name]
    broken = tmp_path / "broken.xlsx"
    part = ooxml.rewrite(outputs.files[breakage.source], broken, breakage.part, breakage.edit)
    problems = ooxml.check(broken)
    assert any(p.part == part and breakage.expected in p.message for p in problems), (
        f"{name}: expected a problem in {part} saying {breakage.expected!r}\n" + ooxml.describe(problems, "reported"))


# ---------------------------------------------------------------- every kind of workbook partxl writes passes


def test_every_partnership_workbook_passes(outputs: Outputs) -> None:
    """Every generated partnership workbook: they come in several layouts (by category) and differ in what is
    pre-filled, and checking all of them takes about three seconds."""
    assert len(outputs.partnerships) >= 10
    failing = [ooxml.describe(problems, path.name) for path in outputs.partnerships if (problems := ooxml.check(path))]
    assert not failing, "\n".join(failing)


@pytest.mark.parametrize("label", [PROPOSAL, *CONSOLIDATED, "summary.xlsx (partxl summary)", REGISTER_STREAMED, REPORT_STREAMED])
def test_output_passes(outputs: Outputs, label: str) -> None:
    _assert_passes(outputs.files[label], label)


def test_every_consolidate_output_is_checked(outputs: Outputs) -> None:
    assert outputs.consolidated == sorted(CONSOLIDATED), "consolidate writes a new .xlsx: add it to CONSOLIDATED"


@pytest.mark.parametrize("label", [REGISTER_STREAMED, REPORT_STREAMED])
def test_the_streamed_outputs_are_streamed(outputs: Outputs, label: str) -> None:
    """xlsxwriter's constant-memory mode writes inline strings and no shared-strings part: so the check above saw
    that mode's XML, not the in-memory one's again."""
    with zipfile.ZipFile(outputs.files[label]) as book:
        assert "xl/sharedStrings.xml" not in book.namelist()
        assert any(b't="inlineStr"' in book.read(n) for n in book.namelist() if re.fullmatch(WORKSHEET, n))
