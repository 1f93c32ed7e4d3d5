"""Open a returned workbook and pull out what partxl needs, without trusting it.

Values come from python-calamine (fast, and it reads .xlsx, .xlsm, .ods and .xls alike; it
never runs macros). What calamine does not see — defined names, sheet protection, formulas,
error values, the time the file was saved — is read from the XML parts directly, with a real
XML parser. Before any parser (ours or calamine's) sees a package, the package is checked
(:mod:`partxl.returns.package`): one way to read the zip, no zip bomb, every part read XML in
UTF-8 without a DTD.

calamine is handed only the parts checked here, already inflated (so nothing is inflated
twice, a part that lies about its size never reaches it, and no part is read that the
checks did not see: which parts are read is decided by the relationships calamine follows,
never by a name's suffix). Each sheet's part is parsed (:mod:`partxl.returns.sheetxml`)
before calamine reads its values: a sheet that reaches far beyond any return's, or that
readers would read differently, is refused rather than read, and the same parse gives its
protection, formulas and error values. A shared-strings count the part cannot hold is
refused before calamine sets memory aside for it; a Strict Open XML workbook is refused with
a finding that says how to save it as an ordinary one. A Rust panic inside calamine (a
``BaseException``) becomes a damaged-file rejection like any other of its errors.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from partxl.dates import PHANTOM_LEAP_DAY, as_libreoffice_showed
from partxl.issue.metadata import META_SHEET
from partxl.returns.package import (
    MAX_MEMBER_BYTES,
    MAX_TOTAL_BYTES,
    PICTURE,
    TOO_LARGE_HINT,
    Archive,
    Rejected,
    ambiguous,
    check_xml_bytes,
    file_bytes,
    stored_package,
)
from partxl.returns.sheetxml import MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, STRICT, STRICT_HINT, Facts, address, scan

ZIP_MAGIC, OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
READABLE = {".xlsx", ".xlsm", ".ods", ".xls"}
__all__ = ["MAX_MEMBER_BYTES", "MAX_TOTAL_BYTES", "READABLE", "TOO_LARGE_HINT", "Opened", "Rejected", "a1_to_rowcol", "open_return"]

_NO_FACTS = Facts(False)


@dataclass
class Opened:
    """A readable workbook: its sheets' values, and what the XML says about names and protection."""

    path: Path
    kind: str  # xlsx, xlsm, ods or xls
    grids: Mapping[str, list[list[Any]]]  # sheet -> rows of values, read when first asked for
    visibility: dict[str, str]  # sheet -> visible / hidden / veryhidden
    names: Mapping[str, tuple[str, str]] | None  # defined name -> (sheet, A1); None where the format hides them
    protected: Mapping[str, bool] | None  # sheet -> protection on; None where unknown
    sheet_xml: Mapping[str, bytes] = field(default_factory=dict)  # sheet -> its XML part (xlsx only), scanned on demand
    saved_at: dt.datetime | None = None
    has_macros: bool = False
    excel_days: bool = False  # an .xlsx whose day numbers are Excel's, phantom 29 February 1900 and all (see partxl.dates)
    _facts: dict[str, Facts] = field(default_factory=dict, init=False, repr=False)

    def cell(self, sheet: str, address: str) -> Any:
        """The value at ``address`` on ``sheet`` ('' when empty or outside the used area). calamine reads Excel's day
        60, the 29 February 1900 Excel shows but that never was, as the 28th: that day number is returned as it is, for
        the checks to refuse, rather than a day the officer did not see."""
        row, col = a1_to_rowcol(address)
        grid = self.grids.get(sheet)
        if grid is None or row >= len(grid) or col >= len(grid[row]):
            return ""
        value = grid[row][col]
        if self.excel_days and type(value) is dt.date and value == _DAY_59_OR_60 and \
                _raw_value(self.sheet_xml.get(sheet), address) == str(PHANTOM_LEAP_DAY):
            return PHANTOM_LEAP_DAY
        return value

    def formula_cells(self, sheet: str) -> frozenset[str]:
        """A1 addresses on ``sheet`` that hold a formula (xlsx only: other formats say nothing)."""
        return (self._facts.get(sheet) or self.facts(sheet)).formulas

    def error_cells(self, sheet: str) -> Mapping[str, str]:
        """A1 -> '#REF!', '#DIV/0!' … on ``sheet``: cells the value reader shows as blank (xlsx only)."""
        return (self._facts.get(sheet) or self.facts(sheet)).errors

    def facts(self, sheet: str) -> Facts:
        """What ``sheet``'s XML part says (nothing for other formats); asked for once per cell read, so kept."""
        facts = self.protected.facts(sheet) if isinstance(self.protected, _SheetFacts) else None
        self._facts[sheet] = facts = facts or _NO_FACTS
        return facts

    def metadata(self) -> dict[str, str] | None:
        grid = self.grids.get(META_SHEET)
        if grid is None:
            return None
        return {str(r[0]).strip(): "" if len(r) < 2 or r[1] is None else str(r[1]).strip()
                for r in grid[1:] if r and isinstance(r[0], str) and r[0].strip()}


_DAY_59_OR_60 = dt.date(1900, 2, 28)


def _raw_value(data: bytes | None, address: str) -> str | None:
    """The text of the ``<v>`` of the cell at ``address`` in a sheet part (None when there is none): a real parse, done
    only for the rare cell that needs it."""
    import pyexpat

    if data is None:
        return None
    state: dict[str, Any] = {"cell": "", "in_v": False, "text": None}
    parser = pyexpat.ParserCreate()

    def start(name: str, attributes: dict[str, str]) -> None:
        name = name.rpartition(":")[2]
        if name == "c":
            state["cell"] = attributes.get("r", "")
        elif name == "v" and state["cell"] == address:
            state["in_v"], state["text"] = True, ""

    def end(name: str) -> None:
        state["in_v"] = state["in_v"] and name.rpartition(":")[2] != "v"

    def text(chunk: str) -> None:
        if state["in_v"]:
            state["text"] += chunk

    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    try:
        parser.Parse(data, True)
    except pyexpat.ExpatError:
        return None
    return None if state["text"] is None else str(state["text"]).strip()


_A1 = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


@functools.lru_cache(maxsize=4096)  # the same few hundred addresses in every return
def a1_to_rowcol(address: str) -> tuple[int, int]:
    match = _A1.match(address.upper())
    if not match:
        raise ValueError(f"not a cell address: {address!r}")
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return int(match.group(2)) - 1, col - 1


def open_return(path: Path, data: bytes | None = None) -> Opened:
    """Open ``path`` or raise :class:`Rejected` saying why it is not a return we can read.

    With ``data`` the workbook is read from those bytes (an attachment of a message, held in memory) and ``path`` is
    only its name, whose suffix chooses the reader as a file's does; nothing is read from disk.
    """
    suffix = path.suffix.lower()
    if data is None:
        try:
            with open(path, "rb") as handle:
                head = handle.read(8)
        except OSError as exc:
            raise Rejected("FILE_UNREADABLE", str(exc.strerror or exc)) from None
    else:
        head = data[:8]
    if not head:
        raise Rejected("FILE_EMPTY")
    if suffix not in READABLE:
        raise Rejected("FILE_NOT_WORKBOOK", f"a {suffix or 'file without an extension'}")
    if head.startswith(OLE_MAGIC) and suffix != ".xls":
        raise _encrypted(path, data)
    if suffix == ".xls" and not head.startswith(OLE_MAGIC) or suffix != ".xls" and not head.startswith(ZIP_MAGIC):
        raise Rejected("FILE_NOT_WORKBOOK", f"its content is not a {suffix} workbook")
    if suffix == ".xls":
        grids, visibility = _values(path, None, data)
        return Opened(path, "xls", grids, visibility, None, None)
    archive = Archive(path, data)
    return _open_ods(path, archive) if suffix == ".ods" else _open_xlsx(path, archive, suffix.lstrip("."))


def _encrypted(path: Path, data: bytes | None) -> Rejected:
    """An encrypted workbook, told apart by its bytes: a password the officer set, or a Microsoft 365 sensitivity label
    (or rights management) that only Office, signed in as someone the label allows, can open. Only the compound file's
    directory and a few small streams are read (see partxl.returns.protection)."""
    from partxl.returns.protection import protection_of

    try:
        protection = protection_of(data if data is not None else file_bytes(path))
    except (OSError, Rejected):
        return Rejected("FILE_ENCRYPTED")
    if protection.unreadable:
        return Rejected("FILE_LABEL_PROTECTED", protection.describe())
    return Rejected("FILE_ENCRYPTED")


def _open_ods(path: Path, archive: Archive) -> Opened:
    """An .ods: every XML part checked, whatever it is called (calamine reads the file itself, LibreOffice the parts its
    manifest lists), the tables' reach, names and protection."""
    parts = _every_xml_part(archive)
    content = _parse(parts, "content.xml")
    if content is None:
        raise Rejected("FILE_DAMAGED", "it has no content.xml")
    formulas = _ods_formulas(content)
    names, protected = _ods_names_and_protection(content)
    grids, visibility = _values(path, None, archive.data)
    opened = Opened(path, "ods", grids, visibility, names, protected, saved_at=_xml_date(archive.get("meta.xml"), "date"))
    opened._facts.update({sheet: Facts(protected.get(sheet, False), cells) for sheet, cells in formulas.items()})
    return opened


def _open_xlsx(path: Path, archive: Archive, kind: str) -> Opened:
    """An .xlsx or .xlsm: the parts calamine and partxl read, each checked, and calamine given only those; each sheet's
    part parsed before calamine reads the sheet (:class:`_SheetFacts`)."""
    names, sheet_xml = _xlsx_structure(archive)
    saved_at = _xml_date(archive.get("docProps/core.xml"), "modified")
    has_macros = any(name.lower().endswith("vbaproject.bin") for name in archive.infos)
    facts = _SheetFacts(sheet_xml)
    libreoffice = _application(archive.get("docProps/app.xml")).startswith("LibreOffice")
    grids, visibility = _values(path, stored_package(archive), check=facts.facts, libreoffice_days=libreoffice)
    return Opened(path, kind, grids, visibility, names, facts, sheet_xml, saved_at, has_macros, excel_days=not libreoffice)


def _every_xml_part(archive: Archive) -> dict[str, bytes]:
    """Every part that is XML by its content, whatever its name (an .ods part called ``content.bin`` is still read by
    whatever its manifest says reads it), inflated and checked; the others (pictures) are inflated, not parsed."""
    for name in archive.infos:
        if not name.endswith("/") and not PICTURE.search(name):  # a picture is never read as XML, nor inflated
            data = archive.get(name, xml=False)
            if data is not None and (data[:2] in (b"\xfe\xff", b"\xff\xfe") or data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"
                                     or name.lower().endswith((".xml", ".rels", ".rdf"))):
                check_xml_bytes(name, data)
    return archive.parts


# ---------------------------------------------------------------- XML parts


def _parse(parts: dict[str, bytes], part: str) -> Any:
    """Parse one already-checked XML part (no DTD can reach here); None when the package lacks it."""
    data = parts.get(part)
    return None if data is None else _parse_xml(data, part)


def _parse_xml(data: bytes, part: str) -> Any:
    from xml.etree import ElementTree

    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise Rejected("FILE_DAMAGED", f"part {part} is not well-formed XML ({exc})") from None


# ---------------------------------------------------------------- xlsx: names, sheets, and what calamine will read


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"


@functools.lru_cache(maxsize=16384)  # every return of a cycle has the same names
def _split_ref(text: str, sep: str) -> tuple[str, str] | None:
    """``'Start here'!$B$4`` (or ``$'Start here'.$B$4`` in ODS) -> ("Start here", "B4"); None for ranges."""
    text = text.strip().lstrip("$")
    if sep not in text or ":" in text:
        return None
    sheet, ref = text.rsplit(sep, 1)
    sheet = sheet.strip().lstrip("$")
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    ref = ref.replace("$", "")
    return (sheet, ref) if _A1.match(ref) else None


@functools.lru_cache(maxsize=32)  # the same few bytes in every return
def _document_folder(rels: bytes | None) -> str:
    """The workbook's folder, as the package's relationships name it ('xl/' in every file Excel or LibreOffice writes;
    the last such relationship, as calamine takes it). A Strict Open XML package is refused here."""
    found = [] if rels is None else list(_parse_xml(rels, "_rels/.rels").iter(f"{_PKG_REL}Relationship"))
    if any(rel.get("Type", "").startswith(STRICT) for rel in found):
        raise Rejected("FILE_STRICT_XLSX", "its parts are linked as Strict Open XML", STRICT_HINT)
    targets = [rel.get("Target", "") for rel in found if rel.get("Type") == _OFFICE_DOCUMENT and rel.get("Target") is not None]
    if not targets:
        return "xl/"  # calamine refuses such a package: the folder only matters for the checks here
    return targets[-1][: targets[-1].rfind("/") + 1].removeprefix("/")


def _xlsx_structure(archive: Archive) -> tuple[Mapping[str, tuple[str, str]], dict[str, bytes]]:
    """Defined names and each worksheet's XML part, found (and so inflated and checked) as calamine finds them:
    the workbook in the folder ``_rels/.rels`` names, its sheets by the links beside it; and the shared strings
    and styles, which calamine reads as it opens the workbook. What is read is what the links name, whatever the
    parts are called; a link that readers could resolve differently, or two sheets in one part, are refused."""
    folder = _document_folder(archive.get("_rels/.rels"))
    book = archive.get(folder + "workbook.xml")
    if book is None:
        raise Rejected("FILE_DAMAGED", "it has no xl/workbook.xml")
    names, sheets = _book_structure(book, archive.get(folder + "_rels/workbook.xml.rels"))
    _check_shared_strings(archive.get(folder + "sharedStrings.xml"))
    archive.get(folder + "styles.xml")
    sheet_xml: dict[str, bytes] = {}
    parts: set[str] = set()
    for name, target in sheets:
        if name in sheet_xml:  # calamine would read the first of two sheets of one name: refused rather than guessed
            raise Rejected("FILE_DAMAGED", f"two sheets are called '{name}'")
        if _ODD_TARGET.search(target):
            raise ambiguous(f"sheet '{name}' is linked to its part as {target[:80]!r}, which readers resolve differently")
        if not target.lower().endswith(".xml"):  # calamine reads it; LibreOffice shows such a sheet empty
            raise ambiguous(f"sheet '{name}' is kept in a part called {target[:80]!r}, which spreadsheet programs read "
                            "differently (not .xml)")
        part = (target[1:] if target.startswith("/") else folder + target).lower()
        if part in parts:
            raise ambiguous(f"two sheets are linked to one part ({target[:80]!r})")
        parts.add(part)
        data = archive.get(part)
        if data is not None:
            sheet_xml[name] = data
    return names, sheet_xml


_ODD_TARGET = re.compile(r"(^|/)\.{1,2}(/|$)|//|[\\%#?:]|^$")  # dot segments, empty ones, escapes, a scheme: not a plain path


@functools.lru_cache(maxsize=32)  # a cycle's returns share their workbook part byte for byte: each kind is parsed once
def _book_structure(book_xml: bytes, rels_xml: bytes | None) -> tuple[Mapping[str, tuple[str, str]], tuple[tuple[str, str], ...]]:
    """The workbook's defined names (name -> sheet, A1) and its sheets (name, target as the links give it)."""
    book = _parse_xml(book_xml, "xl/workbook.xml")
    if book.tag.startswith("{" + STRICT):
        raise Rejected("FILE_STRICT_XLSX", "its workbook is Strict Open XML", STRICT_HINT)
    if book.tag != f"{_MAIN}workbook":
        raise Rejected("FILE_DAMAGED", "its workbook part is not a workbook")
    names: dict[str, tuple[str, str]] = {}
    for dn in book.iter(f"{_MAIN}definedName"):
        target = _split_ref(dn.text or "", "!")
        if dn.get("localSheetId") is None:
            if dn.get("name", "") in names:  # which of two a reader takes is anyone's guess
                raise ambiguous(f"it defines the name {dn.get('name', '')[:60]!r} twice")
            if target:
                names[dn.get("name", "")] = target
    rels = _parse_xml(rels_xml, "xl/_rels/workbook.xml.rels") if rels_xml is not None else None
    targets = {r.get("Id"): r.get("Target", "") if r.get("TargetMode", "Internal") == "Internal" else "external:"
               for r in rels.iter(f"{_PKG_REL}Relationship")} if rels is not None else {}
    sheets = tuple((sheet.get("name", ""), targets.get(sheet.get(f"{_REL}id"), "")) for sheet in book.iter(f"{_MAIN}sheet"))
    return MappingProxyType(names), sheets  # shared between returns: read-only


def _check_shared_strings(data: bytes | None) -> None:
    """calamine sets aside room for as many strings as the part's ``uniqueCount`` says: a count the part cannot hold
    (every string takes more than a byte of it) is a lie that would make it ask for more memory than there is."""
    if data is None:
        return
    count = _sst_attributes(data).get("uniqueCount", "")
    if count.isascii() and count.isdigit() and int(count) > len(data):
        raise Rejected("FILE_DAMAGED", f"its shared strings claim {int(count):,} strings in a part of {len(data):,} bytes")


def _sst_attributes(data: bytes) -> dict[str, str]:
    """The attributes of the first ``sst`` element, as calamine takes them, parsed no further than that element."""
    return _first_element(data, "sharedStrings.xml", "sst")


class _Found(Exception):
    """Raised from inside a parse as soon as the element looked for is seen: the rest is not parsed."""


def _first_element(data: bytes, part: str, local: str) -> dict[str, str]:
    """The attributes of the first element called ``local`` (in any namespace), parsed a little at a time, by expat
    with namespaces resolved as ElementTree resolves them (an unbound prefix is an error), building no tree."""
    import pyexpat

    found: list[dict[str, str]] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        if name.rpartition("}")[2] == local:
            found.append(attributes)
            raise _Found

    parser = pyexpat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    try:
        for at in range(0, len(data), 4096):
            parser.Parse(data[at: at + 4096], False)
    except _Found:
        return found[0]
    except (pyexpat.ExpatError, LookupError, ValueError) as exc:
        raise Rejected("FILE_DAMAGED", f"part {part} is not well-formed XML ({exc})") from None
    finally:
        parser.StartElementHandler = None
    return {}


# ---------------------------------------------------------------- each sheet part: how far it reaches, and what it holds

class _SheetFacts(Mapping[str, bool]):
    """sheet -> protection on; and the other facts of each sheet's part (:meth:`facts`), from one parse of the part
    (:func:`partxl.returns.sheetxml.scan`), made when partxl first asks about the sheet or calamine is about to read
    it, whichever is first: a sheet nobody reads is not parsed, and no sheet is read unparsed."""

    def __init__(self, sheet_xml: Mapping[str, bytes]):
        self._xml = sheet_xml
        self._facts: dict[str, Facts] = {}

    def facts(self, sheet: str) -> Facts | None:
        if sheet not in self._facts:
            data = self._xml.get(sheet)
            if data is None:
                return None
            self._facts[sheet] = scan(data, sheet)
        return self._facts[sheet]

    def __getitem__(self, sheet: str) -> bool:
        facts = self.facts(sheet)
        if facts is None:
            raise KeyError(sheet)
        return facts.protected

    def __iter__(self) -> Iterator[str]:
        return iter(self._xml)

    def __len__(self) -> int:
        return len(self._xml)


# ---------------------------------------------------------------- ods


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _ods_names_and_protection(content: Any) -> tuple[dict[str, tuple[str, str]], dict[str, bool]]:
    """Each named range's cell, and each table's protection. A name given two places (twice over the workbook, or
    for one sheet elsewhere than for the workbook) is refused: which one a program takes is its own choice."""
    names: dict[str, tuple[str, str]] = {}
    for nr in content.iter(f"{_ODS_TABLE}named-range"):
        target = _split_ref(nr.get(f"{_ODS_TABLE}cell-range-address", ""), ".")
        name = nr.get(f"{_ODS_TABLE}name", "")
        if target and names.setdefault(name, target) != target:
            raise ambiguous(f"the name {name} is given to two cells")
    protected = {t.get(f"{_ODS_TABLE}name", ""): t.get(f"{_ODS_TABLE}protected") == "true"
                 for t in content.iter(f"{_ODS_TABLE}table")}
    return names, protected


def _ods_formulas(content: Any) -> dict[str, frozenset[str]]:
    """Each table's formula cells (A1), with the tables checked first: a table whose cells with content (repeats
    counted, as calamine expands them) reach past the limits is refused, and so is a cell whose type needs a value it
    does not give.

    LibreOffice writes a sheet's empty remainder as one cell repeated 16,384 times and one row repeated a million
    times; those hold nothing, and calamine keeps nothing of them, so only cells with a value, a formula or text count.
    Within the limits, a formula repeated over many cells gives at most the limits' 500,000 addresses.
    """
    formulas = {}
    for table in content.iter(f"{_ODS_TABLE}table"):
        name, row, found = table.get(f"{_ODS_TABLE}name", ""), 0, set[str]()
        for element in table.iter(f"{_ODS_TABLE}table-row"):
            repeats = _repeats(element, "number-rows-repeated")
            last = _last_filled_column(element)
            if last >= 0 and (row + repeats - 1 >= MAX_SHEET_ROWS or last >= MAX_SHEET_COLUMNS):
                raise Rejected("FILE_SHEET_TOO_LARGE", f"sheet '{name}' reaches row {row + repeats:,}, column {last + 1:,}, "
                               f"beyond the {MAX_SHEET_ROWS:,} rows and {MAX_SHEET_COLUMNS:,} columns any return's sheet fits in")
            if last >= 0:
                found.update(_formula_cells(element, row, repeats, name))
            row += repeats
        formulas[name] = frozenset(found)
    return formulas


_ODS_VALUE = {"float": "value", "percentage": "value", "currency": "value", "date": "date-value", "time": "time-value",
              "boolean": "boolean-value"}  # a cell's type -> the attribute its value is in


def _formula_cells(row: Any, first: int, repeats: int, sheet: str) -> Iterator[str]:
    """The A1 addresses of a row's formula cells (the row repeated ``repeats`` times from row ``first``, from 0); a cell
    whose type needs a value it does not give is refused (calamine reads it as empty, LibreOffice as 0)."""
    col = 0
    for cell in row:
        across = _repeats(cell, "number-columns-repeated")
        kind = cell.get(f"{_ODS_OFFICE}value-type")
        if kind in _ODS_VALUE and cell.get(f"{_ODS_OFFICE}{_ODS_VALUE[kind]}") is None:
            raise ambiguous(f"the cell at row {first + 1:,}, column {col + 1:,} of sheet '{sheet}' is of type {kind} "
                            "but gives no value")
        if cell.get(f"{_ODS_TABLE}formula") is not None:
            yield from (address(r, c) for r in range(first, first + repeats) for c in range(col, col + across))
        col += across


def _last_filled_column(row: Any) -> int:
    """The last column (from 0) of a row that holds something; -1 when it holds nothing."""
    col, last = 0, -1
    for cell in row:
        repeats = _repeats(cell, "number-columns-repeated")
        if len(cell) or cell.get(f"{_ODS_OFFICE}value-type") or cell.get(f"{_ODS_TABLE}formula"):
            last = col + repeats - 1
        col += repeats
    return last


def _repeats(element: Any, attribute: str) -> int:
    text = element.get(f"{_ODS_TABLE}{attribute}", "1")
    return int(text) if text.isdigit() and text.isascii() else 1


def _application(data: bytes | None) -> str:
    """The program that saved the file, by its properties ('' when they do not say, or cannot be read: no reason to
    refuse a return). The properties of a cycle's returns are mostly the same few bytes: each is read once."""
    return _usual_application(data) if data is not None and len(data) < 65_536 else _application_of(data)


def _application_of(data: bytes | None) -> str:
    try:
        root = _parse_xml(data, "the document properties") if data is not None else None
    except Rejected:
        root = None
    if root is None:
        return ""
    return next((e.text or "" for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "Application"), "").strip()


_usual_application = functools.lru_cache(maxsize=16)(_application_of)


def _xml_date(data: bytes | None, local_name: str) -> dt.datetime | None:
    """When the file was saved, by its properties; None when they do not say, or say something no date can be
    (year 1 or 9999 with a time zone overflows on the way to UTC)."""
    if data is None:
        return None
    root = _parse_xml(data, "the document properties")
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == local_name and element.text:
            try:
                stamp = dt.datetime.fromisoformat(element.text.strip().replace("Z", "+00:00"))
                return stamp.astimezone(dt.UTC).replace(tzinfo=None) if stamp.tzinfo else stamp
            except (ValueError, OverflowError):
                return None
    return None


# ---------------------------------------------------------------- values, through calamine


class _Sheets(Mapping[str, list[list[Any]]]):
    """Each worksheet's values, read from the workbook the first time they are asked for.

    A check reads the form sheets and the hidden issue details, never the Start here sheet:
    that one is not read at all. A sheet calamine cannot read raises :class:`Rejected` then.
    """

    def __init__(self, book: Any, names: list[str], libreoffice_days: bool = False,
                 check: Callable[[str], object] | None = None):
        self._book, self._names, self._libreoffice_days, self._check = book, names, libreoffice_days, check
        self._rows: dict[str, list[list[Any]]] = {}

    def __getitem__(self, name: str) -> list[list[Any]]:
        if name not in self._rows:
            if name not in self._names:
                raise KeyError(name)
            if self._check is not None and self._check(name) is None:  # a sheet calamine finds and the checks did not
                raise ambiguous(f"sheet '{name}' is not where its links say")
            try:
                self._rows[name] = self._book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except BaseException as exc:  # calamine's own error types, and its panics (pyo3's PanicException)
                raise _rejection(exc) from None
            if self._libreoffice_days:
                self._rows[name] = [[as_libreoffice_showed(v) for v in row] for row in self._rows[name]]
        return self._rows[name]

    def get(self, name: str, default: Any = None) -> Any:  # asked once per answer cell: spared the ABC's KeyError path
        rows = self._rows.get(name)
        return rows if rows is not None else self[name] if name in self._names else default

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _values(path: Path, package: bytes | None, data: bytes | None = None, libreoffice_days: bool = False,
            check: Callable[[str], object] | None = None) -> tuple[Mapping[str, list[list[Any]]], dict[str, str]]:
    """The sheets' values and visibility: from ``package`` (the checked parts of an .xlsx), else from the workbook's
    ``data`` in memory, else from the file; with ``libreoffice_days``, dates before March 1900 as LibreOffice, which
    saved the file, showed them; ``check(sheet)`` before a sheet is read (None when that sheet was never checked:
    then it is not read)."""
    from python_calamine import CalamineWorkbook

    source = package if package is not None else data
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(source)) if source is not None else CalamineWorkbook.from_path(str(path))
        visibility = {meta.name: str(meta.visible).rsplit(".", 1)[-1].lower() for meta in book.sheets_metadata
                      if str(meta.typ).rsplit(".", 1)[-1].lower() == "worksheet"}
    except BaseException as exc:  # calamine's own errors for every kind of damage, encryption included, and its panics
        raise _rejection(exc) from None
    return _Sheets(book, list(visibility), libreoffice_days, check), visibility


def _rejection(exc: BaseException) -> Rejected:
    """What a calamine failure means for the file. A Rust panic arrives as pyo3's PanicException, a BaseException
    (so that ``except Exception`` lets it through); it is damage like any other. Interrupts and exits go on up."""
    if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
        raise exc
    name = type(exc).__name__
    if "Password" in name or "encrypt" in str(exc).lower():
        return Rejected("FILE_ENCRYPTED")
    if isinstance(exc, Exception):
        return Rejected("FILE_DAMAGED", f"{name}: {exc}")
    return Rejected("FILE_DAMAGED", f"the reader failed on it ({name}: {str(exc)[:200]})")
