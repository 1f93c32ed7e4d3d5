"""Hostile .ods returns: the good return as LibreOffice saves it, with one answer written the way an .ods can say two
things at once (a value beside different text, a cell repeated or merged over an answer, a formula whose stored result
is stale, a name given twice, spaces and paragraphs written as elements, a hidden sheet).

Each case says what partxl must do with it (see tests/hostile.py's Case). tests/test_differential.py opens each in
LibreOffice Calc and checks that every answer partxl registers is what Calc shows at that answer's name.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from .hostile import Case

B18 = ('<table:table-cell table:style-name="ce17" table:content-validation-name="val4" office:value-type="string" '
       'calcext:value-type="string"><text:p>Wexbridge District Council</text:p></table:table-cell>')  # info_accountable_body
C18_START = '<table:table-cell table:style-name="ce48" office:value-type="string" calcext:value-type="string"><text:p>The organisation'
FUNDING = 'office:value="42000" calcext:value-type="float"><text:p>£42,000.00</text:p>'  # info_council_funding
FORMED = 'office:date-value="2007-08-03" calcext:value-type="date"><text:p>03/08/2007</text:p>'  # info_date_formed
A18 = '<table:table-cell table:style-name="ce6" office:value-type="string" calcext:value-type="string"><text:p>Organisation'
NAME = '<table:named-range table:name="info_accountable_body"'


def _content(change: Callable[[str], str]) -> Callable[[Path, Path], None]:
    """Copy the good .ods, with its content.xml changed (each part stored as it was: the mimetype first, uncompressed)."""
    def build(good: Path, target: Path) -> None:
        with zipfile.ZipFile(good) as src, zipfile.ZipFile(target, "w") as dst:
            for info in src.infolist():
                data = src.read(info)
                if info.filename == "content.xml":
                    data = change(data.decode()).encode()
                dst.writestr(info, data)
    return build


def _replace(old: str, new: str) -> Callable[[Path, Path], None]:
    """The first ``old`` in content.xml (the first answer written so) as ``new``."""
    def change(content: str) -> str:
        assert old in content, f"the good .ods does not hold {old[:60]!r}"
        return content.replace(old, new, 1)
    return _content(change)


def _b18(cell: str) -> Callable[[Path, Path], None]:
    return _replace(B18, cell)


def _b18_text(inner: str) -> Callable[[Path, Path], None]:
    """B18 as a text cell whose content is the elements ``inner``."""
    return _b18(B18.replace("<text:p>Wexbridge District Council</text:p>", inner))


def _repeated_over_b18_and_c18(content: str) -> str:
    start = content.index(B18)
    end = content.index("</table:table-cell>", content.index(C18_START, start)) + len("</table:table-cell>")
    return content[:start] + B18.replace("<table:table-cell ", '<table:table-cell table:number-columns-repeated="2" ', 1) \
        + content[end:]


def _merged_over_b18(content: str) -> str:
    assert content.count(A18) == 1 and content.count(B18) == 1
    covered = B18.replace("<table:table-cell ", "<table:covered-table-cell ").replace("</table:table-cell>", "</table:covered-table-cell>")
    return content.replace(A18, A18.replace("<table:table-cell ", '<table:table-cell table:number-columns-spanned="2" '
                                                                 'table:number-rows-spanned="1" ', 1)).replace(B18, covered)


def _named_twice(content: str) -> str:
    """info_accountable_body named a second time, at the help text beside it (C18)."""
    start = content.index(NAME)
    end = content.index("/>", start) + 2
    first = content[start:end]
    assert "$B$18" in first, first
    return content[:end] + first.replace("$B$18", "$C$18") + content[end:]


def _hidden(content: str) -> str:
    """The Information sheet given a table style that hides it."""
    style = ('<style:style style:name="taHidden" style:family="table"><style:table-properties table:display="false" '
             'style:writing-mode="lr-tb"/></style:style>')
    marker = "</office:automatic-styles>"
    table = '<table:table table:name="Information" table:style-name="'
    assert content.count(marker) == 1 and content.count(table) == 1
    content = content.replace(marker, style + marker)
    start = content.index(table) + len(table)
    return content[:start] + "taHidden" + content[content.index('"', start):]


def cases() -> list[Case]:
    """The .ods cases; ``values``: answers that must then be registered exactly."""
    return [
        Case("text beside a different string value.ods", "read", set(), _b18(B18.replace(
            'office:value-type="string" ', 'office:value-type="string" office:string-value="Someone Else" '))),
        Case("number beside different text.ods", "read", set(), _replace(
            FUNDING, FUNDING.replace("£42,000.00", "£99,999.00")), {"info_council_funding": 42000}),
        Case("date beside different text.ods", "read", set(), _replace(
            FORMED, FORMED.replace("03/08/2007", "01/01/1999"))),
        Case("number cell without a value.ods", "rejected", {"FILE_AMBIGUOUS"},  # calamine reads it empty, Calc as 0
             _replace(FUNDING, 'calcext:value-type="float"><text:p>42000</text:p>')),
        Case("text typed as a number.ods", "read", set(), _b18(B18.replace('office:value-type="string" calcext:value-type="string"',
                                                                          'office:value-type="float" office:value="7"'))),
        Case("spaces written as elements.ods", "read", set(), _b18_text(
            '<text:p>Wexbridge<text:s text:c="3"/>District<text:tab/>Council</text:p>')),
        Case("text in two paragraphs.ods", "read", set(), _b18_text(
            "<text:p>Wexbridge District</text:p><text:p>Council</text:p>")),
        Case("text in spans and a link.ods", "read", set(), _b18_text(
            '<text:p><text:span text:style-name="T1">Wexbridge</text:span> <text:a xlink:href="http://example.invalid">'
            "District</text:a> Council<text:line-break/>Offices</text:p>")),
        Case("one cell repeated over the answer.ods", "read", set(), _content(_repeated_over_b18_and_c18),
             {"info_accountable_body": "Wexbridge District Council"}),
        Case("answer under a merged cell.ods", "read", set(), _content(_merged_over_b18)),
        Case("formula in an answer.ods", "rejected", {"FILE_AMBIGUOUS"}, _b18(B18.replace(
            'office:value-type="string"', 'table:formula="of:=&quot;Someone&quot;&amp;&quot; Else&quot;" office:value-type="string"'))),
        Case("stale TODAY() in an answer.ods", "rejected", {"FILE_AMBIGUOUS"}, _replace(
            FORMED, FORMED.replace('office:date-value', 'table:formula="of:=TODAY()" office:date-value'))),
        Case("a name defined twice.ods", "rejected", {"FILE_AMBIGUOUS"}, _content(_named_twice)),
        Case("sheet hidden.ods", "read", {"SHEET_HIDDEN"}, _content(_hidden)),
    ]


def build(folder: Path, good: Path) -> list[Case]:
    """Write every case into ``folder``, each made from ``good`` (the good return saved as .ods by LibreOffice)."""
    made = cases()
    for case in made:
        assert case.build is not None
        case.build(good, folder / case.name)
    return made
