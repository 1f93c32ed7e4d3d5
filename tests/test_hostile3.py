"""What partxl reads is what Excel and LibreOffice show: the corpus of tests/hostile3.py.

Each case is checked on its own (the finding it must get, the answers it must register), and the whole corpus is
consolidated beside a good return in a separate process with a memory ceiling and a time limit, as the MIO runs it:
each file gets its outcome and finding, the good return is read, the outputs are written, no traceback is shown.
tests/test_differential.py then opens every case in LibreOffice and compares what it shows with what partxl read.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path

import pytest

from partxl.findings import Code
from partxl.returns.validate import check_file

from . import hostile3, returns
from .conftest import SAMPLE_REGISTER
from .peak import run_measured

AS_OF = "2027-04-19"
CASES = {case.name: case for case in hostile3.cases()}
READ = ("accepted", "errors", "superseded", "held")  # read (many copies of one partnership's return: some are held)


@pytest.fixture(scope="module")
def good(generated: Path, tmp_path_factory) -> Path:
    one, = returns.good_returns(generated, tmp_path_factory.mktemp("good3"), "P001")
    return one


@pytest.fixture(scope="module")
def corpus(good: Path, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus3") / "returns"
    hostile3.build(folder, good)
    shutil.copyfile(good, folder / "P001 good.xlsx")
    return folder


@pytest.fixture(scope="module")
def plain(corpus: Path, spec, config):
    return check_file(corpus / "P001 good.xlsx", spec, config, dt.date.fromisoformat(AS_OF))


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_case_is_refused_or_read_as_shown(name: str, corpus: Path, plain, spec, config):
    """A refused case gets its finding (and nothing is read from it); a read one gets the findings it must, no other
    finding the good return does not have, and registers the answers the case says."""
    case = CASES[name]
    checked = check_file(corpus / name, spec, config, dt.date.fromisoformat(AS_OF))
    codes = {f.code for f in checked.findings}
    if case.outcome == "rejected":
        assert codes == case.codes and not checked.values, (name, [(f.code, f.message) for f in checked.findings])
        return
    assert case.codes <= codes, (name, [(f.code, f.message) for f in checked.findings])
    assert codes - case.codes <= {f.code for f in plain.findings}, (name, [(f.code, f.message) for f in checked.findings])
    for key, value in case.values.items():
        assert checked.values.get(key) == value, (name, key, checked.values.get(key))
    unchanged = {k: v for k, v in plain.values.items() if k not in case.values and k != "info_accountable_body"}
    assert {k: checked.values.get(k) for k in unchanged} == unchanged, name


def test_a_refusal_says_what_to_do(corpus: Path, spec, config):
    """The officer or the MIO can act on each refusal: a Strict Open XML workbook is to be saved as an ordinary one."""
    strict = check_file(corpus / "Strict Open XML.xlsx", spec, config, dt.date.fromisoformat(AS_OF)).findings[0]
    assert "ordinary Excel Workbook (.xlsx)" in strict.hint and "Strict Open XML" in strict.message, strict
    nul = check_file(corpus / "NUL in a part name.xlsx", spec, config, dt.date.fromisoformat(AS_OF)).findings[0]
    assert "control character" in nul.message and nul.hint == Code.FILE_AMBIGUOUS.value[2], nul
    cell = check_file(corpus / "negative shared-string index.xlsx", spec, config, dt.date.fromisoformat(AS_OF)).findings[0]
    assert "'Information'" in cell.message and "B18" in cell.message and "'-1'" in cell.message, cell


def test_the_corpus_consolidates_in_bounded_time_and_memory(corpus: Path, tmp_path: Path):
    out = tmp_path / "out"
    done, peak = run_measured([sys.executable, "-m", "partxl", "consolidate", str(corpus), "--out", str(out), "--previous",
                               str(SAMPLE_REGISTER), "--as-of", AS_OF, "--json"], tmp_path / "peak.json",
                              memory=4 << 30, timeout=300)
    assert done.returncode == 1, done.stderr  # some returns refused, the report is written
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    files = {f["path"]: f["outcome"] for f in report["files"]}
    codes: dict[str, set[str]] = {}
    for finding in report["findings"]:
        codes.setdefault(finding["file"], set()).add(finding["code"])
    for case in CASES.values():
        if case.outcome == "rejected":
            assert files[case.name] == "rejected" and case.codes <= codes.get(case.name, set()), (case.name, files[case.name])
        else:
            assert files[case.name] in READ, (case.name, files[case.name])
    assert files["P001 good.xlsx"] in READ
    assert (out / "register.xlsx").is_file() and (out / "validation_report.xlsx").is_file()
    assert peak < 1024, peak


def test_the_plain_proof_and_the_full_parse_agree(corpus: Path, generated: Path):
    """Wherever the cheap proof that a sheet is plain holds, the full parse gives the same facts (and does not refuse
    the sheet): over every sheet of the corpus, the issued workbooks, and 2,000 randomly damaged copies of them."""
    import random
    import zipfile

    from partxl.returns import sheetxml
    from partxl.returns.package import Rejected

    from .test_fuzz import _damage_text

    sheets = []
    for path in [*sorted(corpus.glob("*.xlsx")), *sorted(generated.glob("*.xlsx"))[:6]]:
        try:
            with zipfile.ZipFile(path) as package:
                sheets += [package.read(n) for n in package.namelist() if n.startswith("xl/worksheets/sheet")]
        except (zipfile.BadZipFile, ValueError):
            continue
    rng = random.Random(16)
    damaged = [_damage_text(rng.choice(sheets), rng) for _ in range(2000)]
    proven = 0
    for data in sheets + damaged:
        plain = sheetxml._plain(data)
        if plain is None:
            continue
        proven += 1
        try:
            full = sheetxml._Scan(data, "sheet").run()
        except Rejected as exc:
            raise AssertionError(f"proven plain, refused by the full parse: {exc.detail}\n{data[:2000]!r}") from None
        assert plain == full, data[:2000]
    assert proven > len(sheets) // 2  # most sheets are proven plain


SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/'
         b'spreadsheetml/2006/main" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">'
         b'<dimension ref="A1:B2"/><sheetData><row r="1" spans="1:2" x14ac:dyDescent="0.25"><c r="A1" t="str"><f>A2</f>'
         b'<v>TEXT</v></c><c r="B1" t="inlineStr"><is><t>TEXT</t></is></c></row><row r="2"><c r="A2"><v>1</v></c></row>'
         b'</sheetData><sheetProtection sheet="1"/><headerFooter><oddFooter>&amp;LTEXT</oddFooter></headerFooter></worksheet>')


@pytest.mark.parametrize("text", [b"plain &amp; &lt;fine&gt; \xc2\xa3100", b"a \t\r\n b"])
def test_the_plain_proof_holds_for_well_formed_text(text: bytes):
    from partxl.returns import sheetxml

    data = SHEET.replace(b"TEXT", text)
    assert sheetxml._plain(data) == sheetxml._Scan(data, "sheet").run() == sheetxml.Facts(True, frozenset({"A1"}), {})


@pytest.mark.parametrize("how", ["control character", "form feed", "bad entity", "numeric reference", "unknown entity",
                                 "CDATA end", "not UTF-8", "surrogate", "U+FFFE", "row attribute twice",
                                 "row attribute twice by namespace", "undeclared prefix", "rich inline string",
                                 "unbalanced inline string", "namespace declared on a row", "attribute without quotes"])
def test_the_plain_proof_refuses_what_expat_no_longer_sees(how: str):
    """The cells and the page footers are proven well-formed by the grammar and the text checks, not by expat (whose
    proof of the rest is kept from return to return): each way of breaking them, or of writing them unusually, sends
    the sheet to the full parse, which refuses what is not well-formed."""
    from partxl.returns import sheetxml
    from partxl.returns.package import Rejected

    texts = {"control character": b"a\x01b", "form feed": b"a\x0cb", "bad entity": b"a & b", "numeric reference": b"&#0;",
             "unknown entity": b"&nbsp;", "CDATA end": b"a ]]> b", "not UTF-8": b"a \xff b", "surrogate": b"\xed\xa0\x80",
             "U+FFFE": b"\xef\xbf\xbe"}
    rows = {"row attribute twice": b'<row r="1" spans="1:2" spans="1:3">', "undeclared prefix": b'<row r="1" x:y="1">',
            "row attribute twice by namespace": b'<row r="1" x14ac:dyDescent="1" y:dyDescent="2" xmlns:y="http://'
                                                b'schemas.microsoft.com/office/spreadsheetml/2009/9/ac">',
            "namespace declared on a row": b'<row r="1" xmlns:q="urn:q">', "attribute without quotes": b'<row r="1" spans=1>'}
    inline = {"rich inline string": b"<is><r><t>TEXT</t></r></is>", "unbalanced inline string": b"<is><t>TEXT</r></is>"}
    if how in texts:
        for where in (b"<v>TEXT", b"<t>TEXT", b"<f>A2", b"LTEXT"):
            data = SHEET.replace(where, where.replace(b"TEXT", texts[how]).replace(b"A2", b"A2" + texts[how]))
            assert sheetxml._plain(data) is None, (how, where)
            with pytest.raises(Rejected):
                sheetxml._Scan(data, "sheet").run()
        return
    data = SHEET.replace(b'<row r="1" spans="1:2" x14ac:dyDescent="0.25">', rows[how]) if how in rows else \
        SHEET.replace(b"<is><t>TEXT</t></is>", inline[how])
    assert sheetxml._plain(data) is None, how
    if how in ("rich inline string", "namespace declared on a row"):  # unusual, not broken: the full parse reads it
        assert sheetxml._Scan(data, "sheet").run().protected
    else:
        with pytest.raises(Rejected):
            sheetxml._Scan(data, "sheet").run()


def _zip_of(parts: dict[str, bytes], crc_of: dict[str, int] | None = None) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    data = out.getvalue()
    for name, crc in (crc_of or {}).items():  # a checksum that does not match the part: written into both headers
        info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
        old = info.CRC.to_bytes(4, "little")
        data = data.replace(old, crc.to_bytes(4, "little"))
    return data


def test_a_part_shared_by_returns_is_inflated_once_and_known_only_by_its_very_bytes(tmp_path: Path):
    """Parts a cycle's returns share are inflated and checked once (kept from the second sighting on); a part is known
    again only by the same name, the same compressed bytes and the same checksum: one byte different, or a checksum
    that no longer matches, and it is read (and refused) as if never seen."""
    from partxl.returns import package

    part = b'<?xml version="1.0" encoding="UTF-8"?>\n<workbook>' + b"<x/>" * 200 + b"</workbook>"
    first, second, third = (package.Archive(tmp_path / f"{n}.xlsx", _zip_of({"xl/workbook.xml": part})) for n in "abc")
    assert first.get("xl/workbook.xml") == second.get("xl/workbook.xml") == part
    assert third.get("xl/workbook.xml") is second.get("xl/workbook.xml")  # known: not inflated again
    other = part.replace(b"<x/>", b"<y/>", 1)
    assert package.Archive(tmp_path / "c.xlsx", _zip_of({"xl/workbook.xml": other})).get("xl/workbook.xml") == other
    lying = package.Archive(tmp_path / "d.xlsx", _zip_of({"xl/workbook.xml": part}, {"xl/workbook.xml": 12345}))
    with pytest.raises(package.Rejected, match="CRC"):
        lying.get("xl/workbook.xml")
    hostile = part.replace(b"<workbook>", b"<!DOCTYPE workbook><workbook>")
    for _ in range(2):  # refused each time: a refusal is never remembered as a part
        with pytest.raises(package.Rejected):
            package.Archive(tmp_path / "e.xlsx", _zip_of({"xl/workbook.xml": hostile})).get("xl/workbook.xml")
