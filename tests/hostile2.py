"""The second hostile corpus: files that used to stop a whole run, each with the outcome it must get now.

tests/hostile.py holds returns that are damaged, edited or malicious in ways partxl always turned into a
finding. These are the ones that ended ``partxl consolidate`` itself (exit 2, no register, no report, no
name of the file that did it), or stalled it: a cell reference far out in a sheet (calamine asks for
hundreds of GiB and aborts the process), a lying count of shared strings, a table of an .ods that
unfolds to billions of cells, a Rust panic in the .xls reader, a reader that aborts, a date in the
properties that overflows, a name that is not UTF-8, a named pipe or a link to a device in the folder,
and a comment that made the old regular-expression scans quadratic. Each is made here from a good
return (the .xls ones with xlwt, from the good return's values), so nothing binary is committed.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import shutil
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import openpyxl

from .hostile import Case, _part, _zip_edit

INFORMATION = "xl/worksheets/sheet3.xml"  # the Information sheet of a generated return
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _sheet(change: Callable[[bytes], bytes], part: str = INFORMATION) -> Callable[[Path, Path], None]:
    """The good return with one sheet part changed."""
    return _zip_edit(lambda name, data: change(data) if name == part else data)


def _far_dimension(ref: str) -> Callable[[Path, Path], None]:
    return _sheet(lambda data: re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="A1:{ref}"'.encode(), data, count=1))


def _far_cell(ref: str) -> Callable[[Path, Path], None]:
    """A cell with a value at ``ref``, in a row of its own at the end of the sheet data."""
    row = re.sub(r"^[A-Z]+", "", ref)
    cell = f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>far out</t></is></c></row>'.encode()
    return _sheet(lambda data: data.replace(b"</sheetData>", cell + b"</sheetData>", 1))


def _far_row_without_address(data: bytes) -> bytes:
    """A last row at 1,048,576 whose cell gives no address: calamine places it by the row."""
    return data.replace(b"</sheetData>", b'<row r="1048576"><c t="inlineStr"><is><t>far out</t></is></c></row></sheetData>', 1)


def _comment_of_error_cells(data: bytes) -> bytes:
    """A comment of 20,000 ``<c t="e">`` (about 180 KB) before the sheet data: the old regular expressions
    tried each one against the rest of the part (minutes); an XML parser passes over a comment."""
    return data.replace(b"<sheetData>", b"<!--" + b'<c t="e">' * 20000 + b"--><sheetData>", 1)


_LYING_STRINGS = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}" count="1" uniqueCount="4000000000">'
                  "<si><t>only one</t></si></sst>").encode()


def _saved(stamp: str) -> Callable[[Path, Path], None]:
    """The good return saved 'at' ``stamp`` by its document properties (year 1 or 9999 with a time zone overflows)."""
    return _zip_edit(lambda name, data: re.sub(rb"<dcterms:modified([^>]*)>[^<]*<", f"<dcterms:modified\\1>{stamp}<".encode(),
                                               data) if name == "docProps/core.xml" else data)


def noise_png(megabytes: float, seed: int = 1) -> bytes:
    """A valid PNG of random pixels (as a photo, it does not compress) of about ``megabytes`` MB."""
    side = int((megabytes * 1e6 / 3) ** 0.5)
    pixels = random.Random(seed).randbytes(3 * side * side)
    image = b"".join(b"\0" + pixels[r * 3 * side:(r + 1) * 3 * side] for r in range(side))  # each row: filter 0, its pixels

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)  # 8 bits a channel, RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(image, 1)) + chunk(b"IEND", b"")


_DRAWING_NS = ('xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
               'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
               'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def with_photo(megabytes: float, sheet: str = INFORMATION) -> Callable[[Path, Path], None]:
    """The good return with a photo of about ``megabytes`` MB pasted on a sheet, as Excel stores one: the picture
    in xl/media, a drawing anchoring it at H2, and the relationships and content types that tie them together."""
    drawing = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><xdr:wsDr {_DRAWING_NS}><xdr:oneCellAnchor>'
               '<xdr:from><xdr:col>7</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>'
               '<xdr:ext cx="2880000" cy="2880000"/><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="Site photo"/><xdr:cNvPicPr>'
               '<a:picLocks noChangeAspect="1"/></xdr:cNvPicPr></xdr:nvPicPr><xdr:blipFill><a:blip r:embed="rId1"/><a:stretch>'
               '<a:fillRect/></a:stretch></xdr:blipFill><xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="2880000" cy="2880000"/>'
               '</a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/></xdr:oneCellAnchor>'
               '</xdr:wsDr>').encode()

    def rels(target: str, kind: str) -> bytes:
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                f'package/2006/relationships"><Relationship Id="rId1" Type="{_RELS}/{kind}" Target="{target}"/>'
                "</Relationships>").encode()

    def change(name: str, data: bytes) -> bytes:
        if name == sheet:
            later = [data.find(tag) for tag in (b"<legacyDrawing", b"<picture", b"<oleObjects", b"<tableParts", b"<extLst")]
            at = min([i for i in later if i >= 0] or [data.rindex(b"</worksheet>")])
            return data[:at] + f'<drawing xmlns:r="{_RELS}" r:id="rId1"/>'.encode() + data[at:]
        if name == "[Content_Types].xml":
            return data.replace(b"<Default ", b'<Default Extension="png" ContentType="image/png"/><Override '
                                b'PartName="/xl/drawings/drawing1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                                b'drawing+xml"/><Default ', 1)
        return data

    def build(good: Path, target: Path) -> None:
        folder, part = sheet.rsplit("/", 1)
        extra = {f"{folder}/_rels/{part}.rels": rels("../drawings/drawing1.xml", "drawing"), "xl/drawings/drawing1.xml": drawing,
                 "xl/drawings/_rels/drawing1.xml.rels": rels("../media/image1.png", "image"), "xl/media/image1.png": noise_png(megabytes)}
        _zip_edit(change, extra)(good, target)
    return build


# ---------------------------------------------------------------- .ods and .xls


def _far_ods(good: Path, target: Path) -> None:
    """An .ods whose one table holds a value repeated over 1,000 columns and 90,000 rows: 90 million cells
    (calamine's own limit is 100 million), about 3 GiB once calamine unfolds them."""
    body = ('<table:table-row><table:table-cell office:value-type="string"><text:p>P001</text:p></table:table-cell>'
            '</table:table-row><table:table-row table:number-rows-repeated="90000"><table:table-cell '
            'office:value-type="float" office:value="1" table:number-columns-repeated="1000"><text:p>1</text:p>'
            "</table:table-cell></table:table-row>")
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
               f'<office:spreadsheet><table:table table:name="Information">{body}</table:table></office:spreadsheet>'
               "</office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    with zipfile.ZipFile(target, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        package.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        package.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)


def as_xls(good: Path, target: Path, formula: bool = False) -> bytes:
    """The good return's values written as an .xls (Excel 97-2003) with xlwt; with ``formula``, also the formula
    =1+1 in K1 of the first sheet. Returns the file's bytes (also written to ``target``)."""
    import xlwt

    source = openpyxl.load_workbook(good)
    book = xlwt.Workbook(encoding="utf-8")
    dates = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for sheet in source.worksheets:
        out = book.add_sheet(sheet.title)
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                value = cell.value if isinstance(cell.value, (int, float, bool, dt.date)) else str(cell.value)
                out.write(cell.row - 1, cell.column - 1, value, dates if isinstance(value, dt.date) else xlwt.Style.default_style)
    if formula:
        book.get_sheet(0).write(0, 10, xlwt.Formula("1+1"))
    book.save(str(target))
    return target.read_bytes()


def _record(data: bytes, kind: int, after: bytes = b"") -> int:
    """Where the first BIFF record of ``kind`` starts (whose body begins with ``after``), in the file's bytes."""
    at = data.find(struct.pack("<H", kind))
    while at >= 0 and data[at + 4: at + 4 + len(after)] != after:
        at = data.find(struct.pack("<H", kind), at + 1)
    assert at >= 0, f"no record {kind:#06x}"
    return at


def xls_panic(good: Path, target: Path) -> None:
    """An .xls whose formula record says its formula is 65,535 bytes long when it has 7: calamine's Rust code
    slices past the end and panics (pyo3's PanicException, a BaseException)."""
    data = bytearray(as_xls(good, target, formula=True))
    at = _record(data, 0x0006, struct.pack("<HH", 0, 10))  # FORMULA at row 0, column 10
    data[at + 24: at + 26] = struct.pack("<H", 0xFFFF)  # cce, after the 20 bytes of cell, value and flags
    target.write_bytes(bytes(data))


def xls_abort(good: Path, target: Path) -> None:
    """An .xls whose first sheet declares 268 million rows by 65,535 columns: calamine sets room aside for every
    cell (hundreds of TB), the allocation fails and the process aborts (SIGABRT), as damaged .xls files do."""
    data = bytearray(as_xls(good, target))
    at = data.find(struct.pack("<HH", 0x0200, 14))  # the first sheet's DIMENSIONS, as BIFF8 writes it
    assert at >= 0, "no DIMENSIONS record"
    data[at + 4: at + 16] = struct.pack("<IIHH", 0, 0x10000000, 0, 0xFFFF)
    target.write_bytes(bytes(data))


# ---------------------------------------------------------------- things in the folder that are not files, and names


def _fifo(good: Path, target: Path) -> None:
    os.mkfifo(target)  # hashing it would wait for a writer forever


def _link_to(device: str) -> Callable[[Path, Path], None]:
    return lambda good, target: os.symlink(device, target)  # /dev/zero: hashing it would never end


def _loop(good: Path, target: Path) -> None:
    os.symlink(target.name, target)  # a link to itself


def _sparse(good: Path, target: Path) -> None:
    with open(target, "wb") as handle:
        handle.truncate(300 * 1024 * 1024)  # 300 MB on paper, nothing on disk


def _undecodable(name: bytes) -> Callable[[Path, Path], None]:
    """The good return (made different by a comment) under a name that is not UTF-8 (Latin-1, from an old share).
    ``name`` may hold a folder: made too (its name not UTF-8 either)."""
    def build(good: Path, target: Path) -> None:
        path = os.fsencode(target)[: -len(os.fsencode(shown(name)))] + name  # the corpus folder, then the odd name
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copyfile(good, path)
        with open(path, "r+b") as handle, zipfile.ZipFile(handle, "a") as package:
            package.comment = name
    return build


def shown(name: bytes) -> str:
    """A name that is not UTF-8 as consolidate shows it: its odd bytes escaped."""
    return name.decode("utf-8", "backslashreplace")


CAFE, CAFE_FOLDER = b"P001 caf\xe9 return.xlsx", b"caf\xe9 folder/P001 in a folder.xlsx"
RETURN_OUTCOMES = ("accepted", "superseded")  # the same partnership several times: the newest wins, the others stay


def cases() -> list[Case]:
    """Every case. An 'accepted' case is the good return again, changed where a reader stumbled: it must be read
    as the good one is (the same partnership several times: only the newest stands, the others are superseded)."""
    return [
        # 1. cells far out: refused before calamine sizes a grid by them
        Case("dimension to XFD1048576.xlsx", "rejected", {"FILE_SHEET_TOO_LARGE"}, _far_dimension("XFD1048576")),
        Case("cell at XFD1048576.xlsx", "rejected", {"FILE_SHEET_TOO_LARGE"}, _far_cell("XFD1048576")),
        Case("cell at AAA100000.xlsx", "rejected", {"FILE_SHEET_TOO_LARGE"}, _far_cell("AAA100000")),
        Case("cell at A99999999999.xlsx", "rejected", {"FILE_SHEET_TOO_LARGE"}, _far_cell("A99999999999")),
        Case("cell at Z1048576.xlsx", "rejected", {"FILE_SHEET_TOO_LARGE"}, _far_cell("Z1048576")),
        Case("row 1048576, cell without address.xlsx", "rejected", {"FILE_SHEET_TOO_LARGE"}, _sheet(_far_row_without_address)),
        Case("shared strings claim billions.xlsx", "rejected", {"FILE_DAMAGED"}, _part("xl/sharedStrings.xml", _LYING_STRINGS)),
        Case("ninety million cells.ods", "rejected", {"FILE_SHEET_TOO_LARGE"}, _far_ods),
        # 2. a Rust panic, and 7. a reader that aborts its process
        Case("formula too long.xls", "rejected", {"FILE_DAMAGED"}, xls_panic),
        Case("reader aborts.xls", "rejected", {"FILE_CRASHED"}, xls_abort),
        # 3. a saved date no date can be
        Case("saved in year 1.xlsx", "accepted", set(), _saved("0001-01-01T00:00:00+05:00")),
        Case("saved in year 9999.xlsx", "accepted", set(), _saved("9999-12-31T23:59:59-05:00")),
        # 4. names that are not UTF-8
        Case(shown(CAFE), "accepted", set(), _undecodable(CAFE)),
        Case(shown(CAFE_FOLDER), "accepted", set(), _undecodable(CAFE_FOLDER)),
        # 5. not files
        Case("waiting pipe.xlsx", "skipped", {"FILE_SKIPPED"}, _fifo),
        Case("endless.xlsx", "skipped", {"FILE_SKIPPED"}, _link_to("/dev/zero")),
        Case("link to itself.xlsx", "rejected", {"FILE_UNREADABLE"}, _loop),
        Case("three hundred MB.xlsx", "rejected", {"FILE_TOO_LARGE"}, _sparse),
        # 6. what made the old scans quadratic
        Case("comment of error cells.xlsx", "accepted", set(), _sheet(_comment_of_error_cells)),
        # 8. a genuine return, as officers send them: a site photo pasted in; a name with a line break and an escape
        Case("P001 with a site photo.xlsx", "accepted", set(), with_photo(15)),
        Case("P001 return\nBcc: everyone@council.example\x1b[2J.xlsx", "accepted", set(), _zip_edit(lambda name, data: data)),
    ]


def build(folder: Path, good: Path, corpus: Callable[[], list[Case]] = cases) -> list[Case]:
    """Make every case of ``corpus`` in ``folder`` from the good return."""
    folder.mkdir(parents=True, exist_ok=True)
    built = corpus()
    for case in built:
        assert case.build is not None
        case.build(good, folder / case.name)
    return built


__all__ = ["CAFE", "CAFE_FOLDER", "RETURN_OUTCOMES", "Case", "as_xls", "build", "cases", "noise_png", "shown", "with_photo",
           "xls_abort", "xls_panic"]
