"""The shared sheet helpers: headers and footers print what they say, whatever a name holds."""

from __future__ import annotations

import openpyxl
import pytest

import partxl
from partxl.xlsx.sheets import PAGE_OF, header_text


@pytest.mark.parametrize("text,expected", [
    ("Wexbridge District Council", "&L&8Wexbridge District Council"),
    ("100 Club Partnership", "&L&8 100 Club Partnership"),  # '&8100' would be a font size of 8100
    ("Bridge & Tunnel", "&L&8Bridge && Tunnel"),  # '&' starts a code
    ("&P", "&L&8&&P"),  # a name that looks like a code stays text
])
def test_header_text_escapes_what_would_be_a_code(text, expected):
    assert header_text(left=text) == expected


def test_page_numbers_are_codes_and_parts_keep_their_places():
    assert header_text(left="A", centre="B", right=PAGE_OF) == "&L&8A&C&8B&R&8Page &P of &N"
    assert header_text(right=PAGE_OF, size=None) == "&RPage &P of &N"


def test_a_partnership_named_with_a_leading_number_prints_its_name(tmp_path):
    ws = partxl.Workspace.load()
    records = ws.records(partxl_samples() / "register.xlsx")[:1]
    records[0].values[partxl.cell_name("info", "name")] = "100 Club & Friends"
    ws.write_register(records, tmp_path / "register.xlsx")
    ws.generate(tmp_path / "out", register=tmp_path / "register.xlsx")
    book = openpyxl.load_workbook(next((tmp_path / "out").glob("*.xlsx")))
    footer = book["Information"].oddFooter.left
    assert footer.size == 8 and footer.text.strip() == "100 Club && Friends"  # openpyxl leaves '&&' as written, as Excel's XML has it


def partxl_samples():
    from .conftest import REPO

    return REPO / "samples"
