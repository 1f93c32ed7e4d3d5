"""Open a returned workbook and pull out what partxl needs, without trusting it.

Values come from python-calamine (fast, and it reads .xlsx, .xlsm, .ods and .xls alike; it
never runs macros). What calamine does not see — defined names, sheet protection, formulas,
error values, the time the file was saved — is read from the small XML parts directly.
Before any parser (ours or calamine's) sees a package, it is checked for zip bombs (declared
and actual sizes) and every XML part is scanned for a DTD, which spreadsheet parts never have
and entity bombs and external entities (XXE) need; such a file is refused, not parsed.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from partxl.issue.metadata import META_SHEET

ZIP_MAGIC, OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
READABLE = {".xlsx", ".xlsm", ".ods", ".xls"}
MAX_MEMBER_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, RuntimeError, ValueError, EOFError, NotImplementedError)


class Rejected(Exception):
    """A file that cannot be read as a return; ``code`` names the finding, ``hint`` what would be right."""

    def __init__(self, code: str, detail: str = "", hint: str = ""):
        super().__init__(detail or code)
        self.code, self.detail, self.hint = code, detail, hint


@dataclass
class Opened:
    """A readable workbook: its sheets' values, and what the XML says about names and protection."""

    path: Path
    kind: str  # xlsx, xlsm, ods or xls
    grids: Mapping[str, list[list[Any]]]  # sheet -> rows of values, read when first asked for
    visibility: dict[str, str]  # sheet -> visible / hidden / veryhidden
    names: Mapping[str, tuple[str, str]] | None  # defined name -> (sheet, A1); None where the format hides them
    protected: dict[str, bool] | None  # sheet -> protection on; None where unknown
    sheet_xml: dict[str, bytes] = field(default_factory=dict)  # sheet -> its XML part (xlsx only), scanned on demand
    saved_at: dt.datetime | None = None
    has_macros: bool = False
    _scanned: dict[str, tuple[frozenset[str], dict[str, str]]] = field(default_factory=dict, init=False, repr=False)

    def cell(self, sheet: str, address: str) -> Any:
        """The value at ``address`` on ``sheet`` ('' when empty or outside the used area)."""
        row, col = a1_to_rowcol(address)
        grid = self.grids.get(sheet)
        if grid is None or row >= len(grid) or col >= len(grid[row]):
            return ""
        return grid[row][col]

    def formula_cells(self, sheet: str) -> frozenset[str]:
        """A1 addresses on ``sheet`` that hold a formula (xlsx only: other formats say nothing)."""
        return self._scan(sheet)[0]

    def error_cells(self, sheet: str) -> dict[str, str]:
        """A1 -> '#REF!', '#DIV/0!' … on ``sheet``: cells the value reader shows as blank (xlsx only)."""
        return self._scan(sheet)[1]

    def _scan(self, sheet: str) -> tuple[frozenset[str], dict[str, str]]:
        """Only the sheets answers are read from are scanned, and each once: most sheets have neither."""
        if sheet not in self._scanned:
            data = self.sheet_xml.get(sheet, b"")
            has_formulas = b"</f>" in data or b":f>" in data  # a formula's closing tag; not <formula> of formatting
            self._scanned[sheet] = (frozenset(m.decode() for m in _FORMULA_CELL.findall(data)) if has_formulas else frozenset(),
                                    _error_cells(data) if b't="e"' in data else {})
        return self._scanned[sheet]

    def metadata(self) -> dict[str, str] | None:
        grid = self.grids.get(META_SHEET)
        if grid is None:
            return None
        return {str(r[0]).strip(): "" if len(r) < 2 or r[1] is None else str(r[1]).strip()
                for r in grid[1:] if r and isinstance(r[0], str) and r[0].strip()}


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


def open_return(path: Path) -> Opened:
    """Open ``path`` or raise :class:`Rejected` saying why it is not a return we can read."""
    suffix = path.suffix.lower()
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise Rejected("FILE_UNREADABLE", str(exc.strerror or exc)) from None
    if not head:
        raise Rejected("FILE_EMPTY")
    if suffix not in READABLE:
        raise Rejected("FILE_NOT_WORKBOOK", f"a {suffix or 'file without an extension'}")
    if head.startswith(OLE_MAGIC) and suffix != ".xls":
        raise Rejected("FILE_ENCRYPTED")
    if suffix == ".xls" and not head.startswith(OLE_MAGIC) or suffix != ".xls" and not head.startswith(ZIP_MAGIC):
        raise Rejected("FILE_NOT_WORKBOOK", f"its content is not a {suffix} workbook")
    names: Mapping[str, tuple[str, str]] | None = None
    protected: dict[str, bool] | None = None
    saved_at: dt.datetime | None = None
    sheet_xml: dict[str, bytes] = {}
    has_macros = False
    if suffix != ".xls":
        parts = _inflated_parts(path)
        if suffix == ".ods":
            names, protected = _ods_names_and_protection(parts)
            saved_at = _xml_date(parts, "meta.xml", "date")
        else:
            names, protected, sheet_xml = _xlsx_structure(parts)
            saved_at = _xml_date(parts, "docProps/core.xml", "modified")
            has_macros = any(n.lower().endswith("vbaproject.bin") for n in parts)
    grids, visibility = _values(path)
    return Opened(path, suffix.lstrip("."), grids, visibility, names, protected, sheet_xml, saved_at, has_macros)


def _inflated_parts(path: Path) -> dict[str, bytes]:
    """Every part of the package, inflated once and checked on the way, before any parser sees it.

    - declared sizes first: a zip bomb is refused before anything is inflated;
    - then each part is inflated counting bytes, so a zip that lies about its sizes is caught too;
    - a part that declares a DTD is refused: spreadsheet parts never do, and an entity bomb or an
      external entity (XXE) must, wherever it hides (the sheets and shared strings calamine parses too);
      so the standard library's parser, which never sees a DTD, is safe to use afterwards.
    The XML parts are kept (a workbook's are small) so that nothing is inflated twice; others are counted only.
    Any DTD anywhere in an XML part refuses the file (a comment that mentions one is a false alarm worth having).
    """
    try:
        archive = zipfile.ZipFile(path)
    except ZIP_ERRORS as exc:
        raise Rejected("FILE_DAMAGED", str(exc)) from None
    with archive:
        total = 0
        for info in archive.infolist():
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES or (ratio > MAX_RATIO and info.file_size > 5_000_000):
                raise Rejected("FILE_TOO_LARGE", f"part {info.filename} would inflate to {info.file_size:,} bytes")
        parts: dict[str, bytes] = {}
        total = 0
        for info in archive.infolist():
            keep = info.filename.lower().endswith((".xml", ".rels"))
            blocks: list[bytes] = []
            size = 0
            try:
                with archive.open(info) as part:
                    while block := part.read(1 << 16):
                        size += len(block)
                        total += len(block)
                        if size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES:
                            raise Rejected("FILE_TOO_LARGE", f"part {info.filename} inflates to more than {MAX_MEMBER_BYTES:,} bytes")
                        if keep:
                            blocks.append(block)
            except ZIP_ERRORS as exc:
                raise Rejected("FILE_DAMAGED", f"part {info.filename}: {exc}") from None
            parts[info.filename] = b"".join(blocks)
            if keep and _DTD.search(parts[info.filename]):
                raise Rejected("FILE_HOSTILE_XML", f"part {info.filename} declares a document type or entities")
        return parts


_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


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


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


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


_PROTECTED = re.compile(rb'sheetProtection\b[^>]*?\bsheet="(1|true)"')
_FORMULA_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3}[0-9]+)"[^>]*>\s*<(?:\w+:)?f\b')


_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*\bt="e"[^>]*)>(.*?)</(?:\w+:)?c>', re.S)
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3}[0-9]+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")


def _error_cells(data: bytes) -> dict[str, str]:
    """Cells showing a spreadsheet error (#REF!, #DIV/0! …), which the value reader turns into blanks."""
    found = {}
    for attributes, inner in _ERROR_CELL.findall(data):
        ref, value = _CELL_REF.search(attributes), _VALUE.search(inner)
        if ref:
            found[ref.group(1).decode()] = value.group(1).decode() if value else "#N/A"
    return found


def _xlsx_structure(parts: dict[str, bytes]) -> tuple[Mapping[str, tuple[str, str]], dict[str, bool], dict[str, bytes]]:
    """Defined names, which sheets are protected, and each sheet's XML part (for formulas and errors)."""
    book = parts.get("xl/workbook.xml")
    if book is None:
        raise Rejected("FILE_DAMAGED", "it has no xl/workbook.xml")
    names, sheets = _book_structure(book, parts.get("xl/_rels/workbook.xml.rels"))
    protected, sheet_xml = {}, {}
    for name, part in sheets:
        data = parts.get(part)
        if data is None:
            continue
        at = data.find(b"sheetProtection")
        protected[name] = at >= 0 and bool(_PROTECTED.match(data, at))
        sheet_xml[name] = data
    return names, protected, sheet_xml


@functools.lru_cache(maxsize=32)  # a cycle's returns share their workbook part byte for byte: each kind is parsed once
def _book_structure(book_xml: bytes, rels_xml: bytes | None) -> tuple[Mapping[str, tuple[str, str]], tuple[tuple[str, str], ...]]:
    """The workbook's defined names (name -> sheet, A1) and its sheets (name, part), from the workbook part and its links."""
    book = _parse_xml(book_xml, "xl/workbook.xml")
    names = {}
    for dn in book.iter(f"{_MAIN}definedName"):
        target = _split_ref(dn.text or "", "!")
        if target and dn.get("localSheetId") is None:
            names[dn.get("name", "")] = target
    rels = _parse_xml(rels_xml, "xl/_rels/workbook.xml.rels") if rels_xml is not None else None
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL}Relationship")} if rels is not None else {}
    sheets = []
    for sheet in book.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_REL}id"), "")
        sheets.append((sheet.get("name", ""), target.lstrip("/") if target.startswith("/") else "xl/" + target))
    return MappingProxyType(names), tuple(sheets)  # shared between returns: read-only


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def _ods_names_and_protection(parts: dict[str, bytes]) -> tuple[dict[str, tuple[str, str]], dict[str, bool]]:
    content = _parse(parts, "content.xml")
    if content is None:
        raise Rejected("FILE_DAMAGED", "it has no content.xml")
    names = {}
    for nr in content.iter(f"{_ODS_TABLE}named-range"):
        target = _split_ref(nr.get(f"{_ODS_TABLE}cell-range-address", ""), ".")
        if target:
            names[nr.get(f"{_ODS_TABLE}name", "")] = target
    protected = {t.get(f"{_ODS_TABLE}name", ""): t.get(f"{_ODS_TABLE}protected") == "true"
                 for t in content.iter(f"{_ODS_TABLE}table")}
    return names, protected


def _xml_date(parts: dict[str, bytes], part: str, local_name: str) -> dt.datetime | None:
    root = _parse(parts, part)
    if root is None:
        return None
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == local_name and element.text:
            try:
                stamp = dt.datetime.fromisoformat(element.text.strip().replace("Z", "+00:00"))
            except ValueError:
                return None
            return stamp.astimezone(dt.UTC).replace(tzinfo=None) if stamp.tzinfo else stamp
    return None


class _Sheets(Mapping[str, list[list[Any]]]):
    """Each worksheet's values, read from the workbook the first time they are asked for.

    A check reads the form sheets and the hidden issue details, never the Start here sheet:
    that one is not read at all. A sheet calamine cannot read raises :class:`Rejected` then.
    """

    def __init__(self, book: Any, names: list[str]):
        self._book, self._names = book, names
        self._rows: dict[str, list[list[Any]]] = {}

    def __getitem__(self, name: str) -> list[list[Any]]:
        if name not in self._rows:
            if name not in self._names:
                raise KeyError(name)
            try:
                self._rows[name] = self._book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except Exception as exc:  # calamine's own error types
                raise _rejection(exc) from None
        return self._rows[name]

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _values(path: Path) -> tuple[Mapping[str, list[list[Any]]], dict[str, str]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        visibility = {meta.name: str(meta.visible).rsplit(".", 1)[-1].lower() for meta in book.sheets_metadata
                      if str(meta.typ).rsplit(".", 1)[-1].lower() == "worksheet"}
    except Exception as exc:  # calamine's own errors for every kind of damage, encryption included
        raise _rejection(exc) from None
    return _Sheets(book, list(visibility)), visibility


def _rejection(exc: Exception) -> Rejected:
    name = type(exc).__name__
    if "Password" in name or "encrypt" in str(exc).lower():
        return Rejected("FILE_ENCRYPTED")
    return Rejected("FILE_DAMAGED", f"{name}: {exc}")
