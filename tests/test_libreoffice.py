"""Generated workbooks in a real spreadsheet program (LibreOffice Calc, our stand-in for Excel).

What LibreOffice 7.4 keeps when it opens and re-saves one of our workbooks as .xlsx, recorded
here so that we design around it:
- kept: defined names, sheet protection and which cells are unlocked, every data validation
  with its input message and error alert, conditional formats, the start sheet's formulas,
  print titles, landscape / fit-to-width, headers and footers, the metadata text;
- changed: "is blank" conditional formats come back as the equivalent formula rule, and cells
  that share a validation are regrouped into ranges (C7 C8 C9 -> C7:C9);
- changed: the very-hidden metadata sheet comes back merely hidden (so ingest accepts
  either state, and relies on the signature, not on the sheet being invisible);
- dropped: the workbook structure lock (it writes an empty <workbookProtection/>), so
  after a Calc save sheets can be renamed or moved: ingest must find sheets by their
  content and names, and say so when they moved;
- typing through Calc's own input: a locked cell refuses it, an unlocked input takes it;
  headless Calc does not enforce list validation on typed text, so ingest must check choices.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import openpyxl
import pytest

from partxl.issue.metadata import Metadata, verify

from . import libreoffice
from .inspect_xlsx import defined_cells, load, metadata, unlocked_cells

pytestmark = pytest.mark.libreoffice


SAME_RULE = {"containsBlanks": "expression"}  # Calc writes "is blank" as the equivalent formula rule


def _cells(sqref: str) -> set[str]:
    """'C7:C9 D4' -> {'C7', 'C8', 'C9', 'D4'}: the same cells however a client groups them into ranges."""
    from openpyxl.utils.cell import get_column_letter, range_boundaries

    found = set()
    for part in sqref.split():
        min_col, min_row, max_col, max_row = range_boundaries(part)
        found |= {f"{get_column_letter(c)}{r}" for c in range(min_col, max_col + 1) for r in range(min_row, max_row + 1)}
    return found


def _structure(book: openpyxl.Workbook) -> dict:
    return {
        "names": {n: (c.sheet, c.address) for n, c in defined_cells(book).items()},
        "sheets": [s.title for s in book.worksheets],
        "protected": {s.title: bool(s.protection.sheet) for s in book.worksheets},
        "unlocked": {s.title: unlocked_cells(s) for s in book.worksheets},
        "validations": {s.title: {(cell, d.type, d.promptTitle, d.prompt, d.showErrorMessage)
                                   for d in s.data_validations.dataValidation for cell in _cells(str(d.sqref))}
                        for s in book.worksheets},
        "conditional": {s.title: {(cell, SAME_RULE.get(rule.type, rule.type)) for cf in s.conditional_formatting
                                  for rule in cf.rules for cell in _cells(str(cf.sqref))} for s in book.worksheets},
        "print_titles": {s.title: s.print_title_rows for s in book.worksheets[2:]},
        "landscape": {s.title: s.page_setup.orientation for s in book.worksheets[2:]},
    }


@pytest.fixture(scope="module")
def round_tripped(generated: Path, tmp_path_factory) -> dict[Path, Path]:
    files = sorted(generated.glob("*.xlsx"))
    out = libreoffice.convert(files, "xlsx:Calc MS Excel 2007 XML", tmp_path_factory.mktemp("lo"))
    return dict(zip(files, out, strict=True))


def test_libreoffice_keeps_names_protection_and_validation(round_tripped: dict[Path, Path], config):
    assert len(round_tripped) == 41
    for ours, theirs in round_tripped.items():
        before, after = load(ours), load(theirs)
        assert _structure(after) == _structure(before), ours.name
        assert before["_partxl"].sheet_state == "veryHidden" and after["_partxl"].sheet_state == "hidden"
        assert before.security.lockStructure and not (after.security and after.security.lockStructure)
        meta = metadata(after)
        signature = meta.pop("signature")
        assert verify(Metadata(**meta), signature, config.integrity_key), ours.name
        assert all(after[s].protection.sheet for s in after.sheetnames)


def test_libreoffice_keeps_prefilled_values(round_tripped: dict[Path, Path]):
    for ours, theirs in list(round_tripped.items())[:10]:
        before, after = load(ours), load(theirs)
        for name, cell in defined_cells(before).items():
            assert after[cell.sheet][cell.address].value == before[cell.sheet][cell.address].value, (ours.name, name)


def test_a_person_typing_in_calc_can_fill_inputs_but_not_labels(generated: Path, tmp_path: Path):
    blank = generated / "New partnership proposal.xlsx"
    names = defined_cells(load(blank))
    name, formed, grant = names["info_name"], names["info_date_formed"], names["significance_annual_grant"]
    typing = [
        ["type", "Information", name.address, "Typed In Calc Partnership"],
        ["type", "Information", "A" + name.address[1:], "I overwrite the label"],
        ["type", "Information", "A1", "I overwrite the title"],
        ["type", "Significance", grant.address, "150000"],
        ["type", "Start here", "B4", "not here either"],
    ]
    results = libreoffice.type_into([{"in": str(blank), "out": str(tmp_path / "typed.xlsx"), "ops": typing}], tmp_path)
    cells = {(s, a): holds for s, a, _typed, holds in results[0]["cells"]}
    assert cells[("Information", name.address)] == "Typed In Calc Partnership"
    assert cells[("Information", "A" + name.address[1:])].startswith("Name of partnership")
    assert cells[("Information", "A1")] == "Partnership Information Form"
    assert cells[("Start here", "B4")] != "not here either"
    saved = load(tmp_path / "typed.xlsx")
    assert saved["Information"][name.address].value == "Typed In Calc Partnership"
    assert saved["Significance"][grant.address].value == 150000
    assert saved["Information"][formed.address].value is None
    assert defined_cells(saved)["info_name"].address == name.address
    # the start sheet's "answers still needed" is live: Calc recalculated it after the typing
    count_before = openpyxl.load_workbook(blank, data_only=True)["Start here"]
    count_after = openpyxl.load_workbook(tmp_path / "typed.xlsx", data_only=True)["Start here"]
    info_row = next(r for r in range(1, 40) if count_before[f"A{r}"].value == "Information")
    assert count_after[f"C{info_row}"].value == count_before[f"C{info_row}"].value - 1


def test_libreoffice_prints_every_sheet_to_pdf(generated: Path, tmp_path: Path):
    pdf, = libreoffice.convert([generated / "New partnership proposal.xlsx"], "pdf", tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 4  # start sheet and three forms, each at least a page
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Partnership Information Form" in text and "Wexbridge District Council" in text
