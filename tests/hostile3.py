"""The third hostile corpus: returns that make partxl read something other than what Excel and LibreOffice show.

Each case is the good return changed the way an attack on the checks would change it: a formula or an error value
written so that a scan of the bytes misses it, protection removed while the text ``sheetProtection sheet="1"``
sits in a cell, a zip that readers read differently (a NUL, a case or a backslash in a part's name, a local header
naming another part, overlapping entries, bytes hidden before, between or after the parts), a sheet part not called
``.xml``, a part in UTF-16 or EBCDIC (where a DTD hides from a byte search), cells that calamine and LibreOffice
read differently (a negative shared-string index, a value beside an inline string), and a Strict Open XML
workbook. Each case says what partxl must do: refuse it with a finding (``rejected`` and its code), or read it
(``read``), with the findings that must then be reported and the answers that must then be registered.
tests/test_hostile3.py runs them; tests/test_differential.py checks the read ones against LibreOffice.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from . import hostile2
from .hostile import Case, _zip_edit

INFORMATION = "xl/worksheets/sheet3.xml"  # the Information sheet of a generated return
B18 = rb'<c r="B18" s="20" t="inlineStr"><is><t>Wexbridge District Council</t></is></c>'  # info_accountable_body
BODY = "Wexbridge District Council"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}" count="2" uniqueCount="2">'
          "<si><t>first</t></si><si><t>second</t></si></sst>").encode()
STRICT_NAMESPACES = {  # transitional -> strict, as Excel's 'Strict Open XML Spreadsheet' writes them
    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": b"http://purl.oclc.org/ooxml/spreadsheetml/main",
    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships": b"http://purl.oclc.org/ooxml/officeDocument/relationships",
}


def _sheet(change: Callable[[bytes], bytes], part: str = INFORMATION) -> Callable[[Path, Path], None]:
    return _zip_edit(lambda name, data: change(data) if name == part else data)


def _b18(cell: bytes) -> Callable[[Path, Path], None]:
    """The good return with the accountable body's cell (B18 on Information) written as ``cell``."""
    def change(data: bytes) -> bytes:
        assert B18 in data, "the good return's B18 is not as expected"
        return data.replace(B18, cell, 1)
    return _sheet(change)


def _with_shared_strings(cell: bytes) -> Callable[[Path, Path], None]:
    """B18 as ``cell``, in a package given a shared-strings part (linked and typed, as Excel writes it)."""
    def change(name: str, data: bytes) -> bytes:
        if name == INFORMATION:
            return data.replace(B18, cell, 1)
        if name == "[Content_Types].xml":
            return data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(b"</Relationships>", b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/'
                                b'2006/relationships/sharedStrings" Target="sharedStrings.xml" Id="rId99"/></Relationships>')
        return data
    return _zip_edit(change, {"xl/sharedStrings.xml": SHARED})


def _unprotected_with(text: bytes) -> Callable[[Path, Path], None]:
    """Information's protection removed, and ``text`` put where a byte search finds it (a comment, a cell's text)."""
    def change(data: bytes) -> bytes:
        data, removed = re.subn(rb"<sheetProtection [^>]*/>", b"", data, count=1)
        assert removed
        return data.replace(B18, text, 1)
    return _sheet(change)


def _prefixed(data: bytes) -> bytes:
    """The whole sheet with its namespace under the prefix ``x:`` (as the Open XML SDK writes it): nothing changes."""
    data = re.sub(rb"<(/?)([A-Za-z]+)([ />])", rb"<\1x:\2\3", data)
    return data.replace(b'<x:worksheet xmlns="', b'<x:worksheet xmlns:x="', 1)


def _renamed_sheet_part(new: str, cell: bytes) -> Callable[[Path, Path], None]:
    """The Information sheet's part called ``new`` (links and content types follow), its B18 as ``cell``."""
    old = INFORMATION.removeprefix("xl/")
    def build(good: Path, target: Path) -> None:
        with zipfile.ZipFile(good) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info)
                if info.filename == INFORMATION:
                    dst.writestr(f"xl/{new}", data.replace(B18, cell, 1))
                    continue
                dst.writestr(info.filename, data.replace(old.encode(), new.encode()))
    return build


def _strict(good: Path, target: Path) -> None:
    """Every part in Strict Open XML's namespaces, as Excel saves 'Strict Open XML Spreadsheet'."""
    def change(name: str, data: bytes) -> bytes:
        for old, new in STRICT_NAMESPACES.items():
            data = data.replace(old, new)
        return data.replace(b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/",
                            b"http://purl.oclc.org/ooxml/officeDocument/relationships/")
    _zip_edit(change)(good, target)


def _encoded(codec: str, declared: str, dtd: bool) -> Callable[[Path, Path], None]:
    """The shared strings part in ``codec`` (declaring ``declared``), with an entity bomb's DTD when ``dtd``."""
    bomb = '<!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' if dtd else ""
    text = (f'<?xml version="1.0" encoding="{declared}"?>{bomb}<sst xmlns="{_MAIN}" count="2" uniqueCount="2">'
            f"<si><t>{'&b;' if dtd else 'first'}</t></si><si><t>second</t></si></sst>")
    data = text.encode(codec)
    def build(good: Path, target: Path) -> None:
        _with_shared_strings(b'<c r="B18" s="20" t="s"><v>1</v></c>')(good, target)
        _zip_edit(lambda name, old: data if name == "xl/sharedStrings.xml" else old)(target, target.with_suffix(".tmp"))
        target.with_suffix(".tmp").replace(target)
    return build


# ---------------------------------------------------------------- zips that readers read differently


def _entry(name: bytes, data: bytes, local_name: bytes | None = None) -> tuple[bytes, Callable[[int], bytes]]:
    """A stored entry: its local header with its data, and its directory record given the entry's offset."""
    crc, local_name = zlib.crc32(data), name if local_name is None else local_name
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, crc, len(data), len(data), len(local_name), 0)
    def record(offset: int) -> bytes:
        return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0x21, crc, len(data), len(data), len(name),
                           0, 0, 0, 0, 0, offset) + name
    return local + local_name + data, record


def raw_zip(target: Path, entries: list[tuple[bytes, bytes, bytes | None]], *, before: bytes = b"", between: bytes = b"",
            after: bytes = b"", repeat_header_of: int | None = None, repeat_as: bytes = b"") -> None:
    """A zip written byte by byte (the zipfile module cannot write a NUL in a name, a header naming another part, …):
    ``entries`` are (name in the directory, data, name in the local header or None); ``before`` the first entry,
    ``between`` the first and second, ``after`` the end record; ``repeat_header_of``: one more directory record, for
    ``repeat_as``, pointing at that entry's local header (two entries over the same bytes)."""
    out, records, offsets = bytearray(before), [], []
    for i, (name, data, local_name) in enumerate(entries):
        offsets.append(len(out))
        local, record = _entry(name, data, local_name)
        out += local
        records.append(record(offsets[-1]))
        if i == 0:
            out += between
    if repeat_header_of is not None:
        records.append(_entry(repeat_as, entries[repeat_header_of][1])[1](offsets[repeat_header_of]))
    start = len(out)
    for record_bytes in records:
        out += record_bytes
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(records), len(records), len(out) - start, start, 0) + after
    target.write_bytes(bytes(out))


def _parts(good: Path) -> list[tuple[bytes, bytes, bytes | None]]:
    with zipfile.ZipFile(good) as package:
        return [(info.filename.encode(), package.read(info), None) for info in package.infolist()]


def _other_answer(good: Path) -> bytes:
    with zipfile.ZipFile(good) as package:
        return package.read(INFORMATION).replace(B18, B18.replace(BODY.encode(), b"Someone Else Entirely"), 1)


def _zip_case(shape: str) -> Callable[[Path, Path], None]:
    """The good return's parts in a zip of one of these shapes, with a second Information sheet (other answers)
    hidden where one reader finds it and another does not."""
    def build(good: Path, target: Path) -> None:
        parts, other = _parts(good), _other_answer(good)
        sheet = next(i for i, (name, _, _) in enumerate(parts) if name == INFORMATION.encode())
        hidden = _entry(INFORMATION.encode(), other)[0]
        if shape == "nul":
            parts.insert(sheet, (INFORMATION.encode() + b"\x00.bak", other, None))
        elif shape == "duplicate":
            parts.append((INFORMATION.encode(), other, None))
        elif shape == "case":
            parts.append((INFORMATION.upper().encode(), other, None))
        elif shape == "backslash":
            parts.append((INFORMATION.replace("/", "\\").encode(), other, None))
        elif shape == "local name":
            parts[sheet] = (INFORMATION.encode(), parts[sheet][1], b"xl/worksheets/sheet9.xml")
        if shape == "overlap":
            raw_zip(target, parts, repeat_header_of=sheet, repeat_as=b"xl/worksheets/sheet9.xml")
        elif shape == "before":
            raw_zip(target, parts, before=hidden)
        elif shape == "between":
            raw_zip(target, parts, between=hidden)
        elif shape == "after":
            raw_zip(target, parts, after=b"\r\n-- \r\nSent from my phone\r\n")
        else:
            raw_zip(target, parts)
    return build


def cases() -> list[Case]:
    """Every case; ``read`` cases list the findings that must be reported and the answers then registered."""
    return [
        # formulas and error values however written
        Case("formula in single quotes.xlsx", "read", {"FORMULA_IN_INPUT"}, _b18(
            b"<c r='B18' s='20' t='str'><f>\"Wexbridge District \"&amp;\"Council\"</f><v>Wexbridge District Council</v></c>"),
            {"info_accountable_body": BODY}),
        Case("shared formula, self-closing.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _b18(  # Calc shows Err:520
            b'<c r="B18" s="20" t="str"><f t="shared" si="0" ref="B18"/><v>Wexbridge District Council</v></c>')),
        Case("shared formula.xlsx", "read", {"FORMULA_IN_INPUT"}, _b18(
            b'<c r="B18" s="20" t="str"><f t="shared" si="0" ref="B18">"Wexbridge District Council"</f>'
            b"<v>Wexbridge District Council</v></c>"), {"info_accountable_body": BODY}),
        Case("formula under a prefix.xlsx", "read", {"FORMULA_IN_INPUT"}, _b18(
            f'<c r="B18" s="20" t="str"><m:f xmlns:m="{_MAIN}">"Wexbridge District Council"</m:f>'
            "<v>Wexbridge District Council</v></c>".encode())),
        Case("error value in single quotes.xlsx", "read", {"ERROR_VALUE"}, _b18(b"<c r='B18' s='20' t='e'><v>#REF!</v></c>")),
        Case("text that looks like a formula.xlsx", "read", set(), _b18(
            b'<c r="B18" s="20" t="inlineStr"><is><t>&lt;f&gt;1+1&lt;/f&gt; t="e" <![CDATA[<f>2</f>]]></t></is></c>'),
            {"info_accountable_body": '<f>1+1</f> t="e" <f>2</f>'}),
        # protection
        Case("protection removed, its tag typed in a cell.xlsx", "read", {"PROTECTION_REMOVED"}, _unprotected_with(
            b'<c r="B18" s="20" t="inlineStr"><is><t><![CDATA[<sheetProtection sheet="1"/>]]></t></is></c>'),
            {"info_accountable_body": '<sheetProtection sheet="1"/>'}),
        Case("protection removed, its tag in a comment.xlsx", "read", {"PROTECTION_REMOVED"},
             _unprotected_with(B18 + b'<!--<sheetProtection sheet="1"/>-->')),
        Case("protection in another namespace.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _sheet(
            lambda d: d.replace(b"<sheetProtection ", b'<o:sheetProtection xmlns:o="urn:other" ', 1))),
        # zips that readers read differently
        Case("NUL in a part name.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _zip_case("nul")),
        Case("two parts of one name.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _zip_case("duplicate")),
        Case("names differing in case.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _zip_case("case")),
        Case("backslash in a part name.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _zip_case("backslash")),
        Case("local header names another part.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _zip_case("local name")),
        Case("overlapping parts.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _zip_case("overlap")),
        Case("a part hidden before the first.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _zip_case("before")),
        Case("a part hidden between two.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _zip_case("between")),
        Case("bytes after the end.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _zip_case("after")),
        Case("zip written plainly by hand.xlsx", "read", set(), _zip_case("plain"), {"info_accountable_body": BODY}),
        # parts read by their links, not their names
        Case("sheet part called .bin.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _renamed_sheet_part(  # Calc shows it empty
            "worksheets/sheet3.bin", b'<c r="B18" s="20" t="str"><f>"x"</f><v>Wexbridge District Council</v></c>')),
        Case("sheet linked through a dot-dot path.xlsx", "rejected", {"FILE_AMBIGUOUS"},
             _zip_edit(lambda name, data: data.replace(b'Target="/xl/worksheets/sheet3.xml"',
                                                       b'Target="worksheets/../worksheets/sheet3.xml"')
                       if name == "xl/_rels/workbook.xml.rels" else data)),
        # encodings
        Case("DTD in a UTF-16 part.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _encoded("utf-16", "UTF-16", dtd=True)),
        Case("UTF-16 part.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _encoded("utf-16", "UTF-16", dtd=False)),
        Case("DTD in an EBCDIC part.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _encoded("cp037", "cp037", dtd=True)),
        Case("DTD in a Latin-1 part.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _encoded("latin-1", "ISO-8859-1", dtd=True)),
        Case("UTF-8 with a byte-order mark.xlsx", "read", set(), _sheet(lambda d: b"\xef\xbb\xbf" + (
            d if d.startswith(b"<?xml") else b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + d)),
            {"info_accountable_body": BODY}),
        # cells the readers read differently
        Case("negative shared-string index.xlsx", "rejected", {"FILE_AMBIGUOUS"},
             _with_shared_strings(b'<c r="B18" s="20" t="s"><v>-1</v></c>')),
        Case("fractional shared-string index.xlsx", "rejected", {"FILE_AMBIGUOUS"},
             _with_shared_strings(b'<c r="B18" s="20" t="s"><v>1.5</v></c>')),
        Case("shared string, plainly.xlsx", "read", set(), _with_shared_strings(b'<c r="B18" s="20" t="s"><v>1</v></c>'),
             {"info_accountable_body": "second"}),
        Case("value beside an inline string.xlsx", "rejected", {"FILE_AMBIGUOUS"},
             _b18(b'<c r="B18" s="20" t="inlineStr"><v>5</v><is><t>Someone Else</t></is></c>')),
        Case("inline string in a number cell.xlsx", "rejected", {"FILE_AMBIGUOUS"},
             _b18(b'<c r="B18" s="20"><is><t>Someone Else</t></is></c>')),
        Case("two values in a cell.xlsx", "rejected", {"FILE_AMBIGUOUS"},
             _b18(b'<c r="B18" s="20" t="str"><v>Someone Else</v><v>Wexbridge District Council</v></c>')),
        Case("a cell given twice.xlsx", "rejected", {"FILE_AMBIGUOUS"},
             _b18(B18 + b'<c r="B18" s="20" t="inlineStr"><is><t>Someone Else</t></is></c>')),
        Case("cells out of order, each at its address.xlsx", "read", set(),  # every reader places a cell by its address
             _b18(b'<c r="E18" s="20" t="inlineStr"><is><t>x</t></is></c>' + B18), {"info_accountable_body": BODY}),
        Case("a cell in another namespace.xlsx", "rejected", {"FILE_AMBIGUOUS"},
             _b18(b'<o:c xmlns:o="urn:other" r="B18" t="inlineStr"><o:is><o:t>Someone Else</o:t></o:is></o:c>')),
        Case("a number written oddly.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _b18(b'<c r="B18" s="20"><v>inf</v></c>')),
        Case("two sets of cells.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _sheet(
            lambda d: d.replace(b"</sheetData>", b"</sheetData><sheetData/>", 1))),
        Case("a name defined twice.xlsx", "rejected", {"FILE_AMBIGUOUS"}, _zip_edit(
            lambda name, data: re.sub(rb'<definedName name="info_accountable_body">[^<]*</definedName>', lambda m: m[0] + (
                b"<definedName name=\"info_accountable_body\">'Information'!$B$19</definedName>"), data)
            if name == "xl/workbook.xml" else data)),
        Case("the whole sheet under a prefix.xlsx", "read", set(), _sheet(_prefixed), {"info_accountable_body": BODY}),
        Case("comments around the cells.xlsx", "read", set(), _b18(
            b'<!-- <c r="B18" t="inlineStr"><is><t>Someone Else</t></is></c> -->' + B18), {"info_accountable_body": BODY}),
        # Strict Open XML
        Case("Strict Open XML.xlsx", "rejected", {"FILE_STRICT_XLSX"}, _strict),
    ]


def build(folder: Path, good: Path) -> list[Case]:
    return hostile2.build(folder, good, cases)


__all__ = ["BODY", "Case", "build", "cases", "raw_zip"]
