"""Open a returned workbook and pull out what partxl needs, without trusting it.

Values come from python-calamine (fast, and it reads .xlsx, .xlsm, .ods and .xls alike; it
never runs macros). What calamine does not see — defined names, sheet protection, formulas,
error values, the time the file was saved — is read from the small XML parts directly.
Before any parser (ours or calamine's) sees a package, it is checked for zip bombs (declared
and actual sizes) and every XML part is scanned for a DTD, which spreadsheet parts never have
and entity bombs and external entities (XXE) need; such a file is refused, not parsed.

calamine is handed only the parts checked here, already inflated (so nothing is inflated
twice, and a part that lies about its size never reaches it), and nothing it would size
its memory from is left unchecked: a sheet whose cells reach far beyond any return's (one cell
at XFD1048576 makes calamine ask for hundreds of GiB and abort the process) and a
shared-strings count that the part cannot hold are refused before calamine reads them. A
Rust panic inside calamine (a ``BaseException``) becomes a damaged-file rejection like any
other of its errors.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from partxl.dates import PHANTOM_LEAP_DAY, as_libreoffice_showed
from partxl.issue.metadata import META_SHEET

ZIP_MAGIC, OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
READABLE = {".xlsx", ".xlsm", ".ods", ".xls"}
MAX_MEMBER_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200
TOO_LARGE_HINT = ("A return is well under 1 MB. If a photo or a scanned document was pasted into the workbook, delete it "
                  "(send it separately if it matters) and send the workbook again; otherwise send the workbook you were issued.")
MAX_PARTS = 10_000  # a return has about twenty parts; the zip we hand calamine counts its parts in 16 bits
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, RuntimeError, ValueError, EOFError, NotImplementedError,
              struct.error, IndexError)
# How far a return's sheet may reach. The forms' widest sheet uses 11 columns (A-K: the hidden issue details, one
# list per dropdown) and the longest 42 rows (Information); the issue details' lists are as long as the longest
# dropdown (the council's officers: tens, for a large council a few hundred). Ten times that and more is no return:
# a sheet beyond it would cost calamine about 40 bytes a cell of its rectangle (a cell at Z1048576 is 1.1 GiB, at
# XFD1048576 hundreds of GiB and an abort), so it is refused, unread, rather than read. Within these limits a
# sheet's grid stays below about 25 MB.
MAX_SHEET_ROWS = 5_000
MAX_SHEET_COLUMNS = 100


class Rejected(Exception):
    """A file that cannot be read as a return; ``code`` names the finding, ``hint`` what would be right."""

    def __init__(self, code: str, detail: str = "", hint: str = ""):
        super().__init__(detail or code)
        self.code, self.detail, self.hint = code, detail, hint


@dataclass(frozen=True)
class _Facts:
    """What a sheet's XML part says that calamine does not: protection, formulas, error values, and how far it reaches."""

    protected: bool
    formulas: frozenset[str] = frozenset()
    errors: Mapping[str, str] = field(default_factory=dict)
    beyond: str = ""  # where the sheet reaches past the limits ("" when it does not)


_NO_FACTS = _Facts(False)


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
    _facts: dict[str, _Facts] = field(default_factory=dict, init=False, repr=False)

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

    def facts(self, sheet: str) -> _Facts:
        """What ``sheet``'s XML part says (nothing for other formats); asked for once per cell read, so kept."""
        facts = self.protected.facts(sheet) if isinstance(self.protected, _Protection) else None
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
    archive = _Archive(path, data)
    return _open_ods(path, archive) if suffix == ".ods" else _open_xlsx(path, archive, suffix.lstrip("."))


def _encrypted(path: Path, data: bytes | None) -> Rejected:
    """An encrypted workbook, told apart by its bytes: a password the officer set, or a Microsoft 365 sensitivity label
    (or rights management) that only Office, signed in as someone the label allows, can open. Only the compound file's
    directory and a few small streams are read (see partxl.returns.protection)."""
    from partxl.returns.protection import protection_of

    try:
        protection = protection_of(data if data is not None else _file_bytes(path))
    except (OSError, Rejected):
        return Rejected("FILE_ENCRYPTED")
    if protection.unreadable:
        return Rejected("FILE_LABEL_PROTECTED", protection.describe())
    return Rejected("FILE_ENCRYPTED")


def _open_ods(path: Path, archive: _Archive) -> Opened:
    """An .ods: every XML part checked (calamine reads the file itself), the tables' reach, names and protection."""
    parts = archive.every_xml_part()
    content = _parse(parts, "content.xml")
    if content is None:
        raise Rejected("FILE_DAMAGED", "it has no content.xml")
    _check_ods_extent(content)
    names, protected = _ods_names_and_protection(content)
    grids, visibility = _values(path, None, archive.data)
    return Opened(path, "ods", grids, visibility, names, protected, saved_at=_xml_date(archive.get("meta.xml"), "date"))


def _open_xlsx(path: Path, archive: _Archive, kind: str) -> Opened:
    """An .xlsx or .xlsm: the parts calamine and partxl read, each checked, and calamine given only those."""
    names, sheet_xml = _xlsx_structure(archive)
    saved_at = _xml_date(archive.get("docProps/core.xml"), "modified")
    plain = _check_extents(archive.parts, sheet_xml)
    has_macros = any(name.lower().endswith("vbaproject.bin") for name in archive.infos)
    libreoffice = _application(archive.get("docProps/app.xml")).startswith("LibreOffice")
    grids, visibility = _values(path, _stored_package(archive), libreoffice_days=libreoffice)
    return Opened(path, kind, grids, visibility, names, _Protection(sheet_xml, plain), sheet_xml, saved_at, has_macros,
                  excel_days=not libreoffice)


# ---------------------------------------------------------------- the package: sizes, and no DTD anywhere


class _Archive:
    """The package, checked as it is read, before any parser sees a part of it.

    - the sizes its directory declares first: a zip bomb is refused before anything is inflated;
    - then each part is inflated counting bytes, so a zip that lies about its sizes is caught too;
    - a part that declares a DTD is refused: spreadsheet parts never do, and an entity bomb or an
      external entity (XXE) must, wherever it hides (the sheets and shared strings calamine parses too);
      so the standard library's parser, which never sees a DTD, is safe to use afterwards.
    Only the parts something reads are inflated (calamine is handed only those, see :func:`_stored_package`),
    each once, and looked up as calamine looks them up (by name, ignoring case). The file is read once into
    memory (its size is checked first) and each part inflated by zlib directly: the zipfile module's reader
    costs more than the inflating, for a workbook's twenty small parts.
    """

    def __init__(self, path: Path, data: bytes | None = None):
        if data is not None and len(data) > MAX_TOTAL_BYTES:
            raise Rejected("FILE_TOO_LARGE", f"the file is more than {MAX_TOTAL_BYTES:,} bytes")
        try:
            self.data = _file_bytes(path) if data is None else data
            self.zip = zipfile.ZipFile(io.BytesIO(self.data))
            listed = self.zip.infolist()
        except ZIP_ERRORS as exc:
            raise Rejected("FILE_DAMAGED", str(exc)) from None
        _check_declared_sizes(listed)
        self.infos = {info.filename: info for info in listed}
        self._folded = {name.replace("\\", "/").lower(): name for name in self.infos}
        self.parts: dict[str, bytes] = {}  # inflated and checked, in the order read
        self._inflated = 0

    def get(self, path: str) -> bytes | None:
        """The part at ``path`` (found as calamine finds it), inflated and checked; None when there is none."""
        name = self._folded.get(path.lower(), path)
        if name not in self.parts:
            info = self.infos.get(name)
            if info is None:
                return None
            try:
                data = _inflate(self.data, info, self.zip, MAX_TOTAL_BYTES - self._inflated)
            except ZIP_ERRORS as exc:
                raise Rejected("FILE_DAMAGED", f"part {name}: {exc}") from None
            self._inflated += len(data)
            _refuse_dtd(name, data)
            self.parts[name] = data
        return self.parts[name]

    def every_xml_part(self) -> dict[str, bytes]:
        """Every XML part, inflated and checked (for a reader that is handed the file itself)."""
        for name in self.infos:
            if name.lower().endswith((".xml", ".rels")):
                self.get(name)
        return self.parts


def _file_bytes(path: Path) -> bytes:
    """The whole file, unless it is bigger than any package partxl will inflate (then it is not read at all)."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_TOTAL_BYTES + 1)
    if len(data) > MAX_TOTAL_BYTES:
        raise Rejected("FILE_TOO_LARGE", f"the file is more than {MAX_TOTAL_BYTES:,} bytes", TOO_LARGE_HINT)
    return data


# Pictures an officer pastes in (a logo, a site photo: often 5-15 MB, and a phone's photo more) and thumbnails: no
# reader inflates them, so their size is no reason to refuse a return; only the whole file's size bounds them.
_PICTURE = re.compile(r"\.(png|jpe?g|gif|bmp|tiff?|emf|wmf|svg|webp|heic|heif)$", re.IGNORECASE)


def _check_declared_sizes(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip bomb from the sizes its directory declares, before inflating anything; and a package with two
    parts of one name (ignoring case, as calamine finds parts), where which one a reader takes is anyone's guess."""
    if len(infos) > MAX_PARTS:
        raise Rejected("FILE_TOO_LARGE", f"it has {len(infos):,} parts")
    folded = {info.filename.replace("\\", "/").lower() for info in infos}
    if len(folded) < len(infos):
        raise Rejected("FILE_DAMAGED", "two of its parts have the same name")
    total = 0
    for info in infos:
        if _PICTURE.search(info.filename):
            continue  # never inflated (calamine is handed only the parts read): a photo pasted in costs nothing
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES or (ratio > MAX_RATIO and info.file_size > 5_000_000):
            raise Rejected("FILE_TOO_LARGE", f"part {info.filename} would inflate to {info.file_size:,} bytes")


def _inflate(data: bytes, info: zipfile.ZipInfo, archive: zipfile.ZipFile, room: int) -> bytes:
    """One part, inflated counting bytes (no further than the limits) and checked against its CRC."""
    limit = min(MAX_MEMBER_BYTES, room)
    if info.flag_bits & 1:
        raise zipfile.BadZipFile("the part is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        inflated = _inflate_other(archive, info, limit)
    else:
        raw = _member_data(data, info)
        inflated = raw[: limit + 1] if info.compress_type == zipfile.ZIP_STORED else _deflated(raw, limit)
    if len(inflated) > limit:
        raise Rejected("FILE_TOO_LARGE", f"part {info.filename} inflates to more than {limit:,} bytes")
    if zlib.crc32(inflated) != info.CRC:
        raise zipfile.BadZipFile("Bad CRC-32")
    return inflated


def _member_data(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """The compressed bytes of a part, found through its local header as the zip format lays it out."""
    at = info.header_offset
    header = data[at: at + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local file header")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = at + 30 + name_length + extra_length
    raw = data[start: start + info.compress_size]
    if len(raw) < info.compress_size:
        raise zipfile.BadZipFile("the part is cut short")
    return raw


def _deflated(raw: bytes, limit: int) -> bytes:
    """Inflate a deflated part in steps of 1 MiB, stopping as soon as it is past ``limit`` (a bomb goes no further)."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    chunks: list[bytes] = []
    size = 0
    pending = raw
    while not inflater.eof:
        chunk = inflater.decompress(pending, 1 << 20)
        chunks.append(chunk)
        size += len(chunk)
        pending = inflater.unconsumed_tail
        if size > limit or not chunk and not pending:
            break
    if size <= limit and not inflater.eof:
        raise zlib.error("the compressed data is cut short")
    return b"".join(chunks)


def _inflate_other(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A part compressed some other way (bzip2, LZMA): the zipfile module's reader, counting as it goes."""
    blocks: list[bytes] = []
    size = 0
    with archive.open(info) as part:
        while block := part.read(1 << 16):
            size += len(block)
            if size > limit:
                raise Rejected("FILE_TOO_LARGE", f"part {info.filename} inflates to more than {limit:,} bytes")
            blocks.append(block)
    return b"".join(blocks)


_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _refuse_dtd(name: str, data: bytes) -> None:
    """A DTD anywhere in the part refuses the file; the cheap test first (almost no part has ``<!`` at all).

    A part in UTF-16 (NUL bytes) is searched as text too, so that a DTD cannot hide in the wider encoding; a part
    without a ``!`` (in any of these encodings) has none, and that is the one test most parts need.
    """
    if b"!" not in data:
        return
    texts = [data] if b"\x00" not in data else [data, *(data.decode(c, "ignore").encode() for c in ("utf-16-le", "utf-16-be"))]
    if any(b"<!" in text and _DTD.search(text) for text in texts):
        raise Rejected("FILE_HOSTILE_XML", f"part {name} declares a document type or entities")


def _stored_package(archive: _Archive) -> bytes:
    """The parts read and checked, as a zip of stored (not compressed) parts, for calamine to read.

    calamine then reads exactly what was checked here, from memory, inflates nothing again, and cannot reach
    a part that was not checked: it has no other.
    """
    out, directory = io.BytesIO(), io.BytesIO()
    for name, data in archive.parts.items():
        info = archive.infos[name]
        encoded = name.encode()
        flags = 0x800 if not encoded.isascii() else 0  # names in UTF-8
        offset, crc = out.tell(), zlib.crc32(data) if info.compress_type not in (0, 8) else info.CRC
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, 0, 0, 0x21, crc, len(data), len(data), len(encoded), 0))
        out.write(encoded)
        out.write(data)
        directory.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, 0, 0, 0x21, crc, len(data), len(data),
                                    len(encoded), 0, 0, 0, 0, 0, offset))
        directory.write(encoded)
    start, count = out.tell(), len(archive.parts)
    out.write(directory.getvalue())
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory.getvalue()), start, 0))
    return out.getvalue()


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
    the last such relationship, as calamine takes it)."""
    targets = [] if rels is None else [rel.get("Target", "") for rel in _parse_xml(rels, "_rels/.rels").iter(f"{_PKG_REL}Relationship")
                                       if rel.get("Type") == _OFFICE_DOCUMENT and rel.get("Target") is not None]
    if not targets:
        return "xl/"  # calamine refuses such a package: the folder only matters for the checks here
    return targets[-1][: targets[-1].rfind("/") + 1].removeprefix("/")


def _xlsx_structure(archive: _Archive) -> tuple[Mapping[str, tuple[str, str]], dict[str, bytes]]:
    """Defined names and each worksheet's XML part, found (and so inflated and checked) as calamine finds them:
    the workbook in the folder ``_rels/.rels`` names, its sheets by the links beside it; and the shared strings
    and styles, which calamine reads as it opens the workbook."""
    folder = _document_folder(archive.get("_rels/.rels"))
    book = archive.get(folder + "workbook.xml")
    if book is None:
        raise Rejected("FILE_DAMAGED", "it has no xl/workbook.xml")
    names, sheets = _book_structure(book, archive.get(folder + "_rels/workbook.xml.rels"))
    _check_shared_strings(archive.get(folder + "sharedStrings.xml"))
    archive.get(folder + "styles.xml")
    sheet_xml: dict[str, bytes] = {}
    for name, target in sheets:
        if name in sheet_xml:  # calamine would read the first of two sheets of one name: refused rather than guessed
            raise Rejected("FILE_DAMAGED", f"two sheets are called '{name}'")
        data = archive.get(target[1:] if target.startswith("/") else folder + target)
        if data is not None:
            sheet_xml[name] = data
    return names, sheet_xml


@functools.lru_cache(maxsize=32)  # a cycle's returns share their workbook part byte for byte: each kind is parsed once
def _book_structure(book_xml: bytes, rels_xml: bytes | None) -> tuple[Mapping[str, tuple[str, str]], tuple[tuple[str, str], ...]]:
    """The workbook's defined names (name -> sheet, A1) and its sheets (name, target as the links give it)."""
    book = _parse_xml(book_xml, "xl/workbook.xml")
    names = {}
    for dn in book.iter(f"{_MAIN}definedName"):
        target = _split_ref(dn.text or "", "!")
        if target and dn.get("localSheetId") is None:
            names[dn.get("name", "")] = target
    rels = _parse_xml(rels_xml, "xl/_rels/workbook.xml.rels") if rels_xml is not None else None
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL}Relationship")} if rels is not None else {}
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
    """The attributes of the first ``sst`` element, as calamine takes them. When nothing but the XML declaration comes
    before ``<sst`` (as every writer has it), that one tag is parsed; otherwise the part, up to that element."""
    at = data.find(b"<sst")
    prolog = data[:at].lstrip(b"\xef\xbb\xbf \t\r\n")
    if at >= 0 and (not prolog or prolog.startswith(b"<?xml") and prolog.count(b"<") == 1 and prolog.rstrip().endswith(b"?>")):
        found = _tag_attributes(data, at)
        if found is not None:
            return found
    return _first_element(data, "sharedStrings.xml", "sst")


def _first_element(data: bytes, part: str, local: str) -> dict[str, str]:
    """The attributes of the first element called ``local`` (in any namespace), parsed a little at a time."""
    from xml.etree import ElementTree

    parser: Any = ElementTree.XMLPullParser(events=("start",))
    try:
        for at in range(0, len(data), 4096):
            parser.feed(data[at: at + 4096])
            for _event, element in parser.read_events():
                if element.tag.rpartition("}")[2] == local:
                    return dict(element.attrib)
    except ElementTree.ParseError as exc:
        raise Rejected("FILE_DAMAGED", f"part {part} is not well-formed XML ({exc})") from None
    return {}


# ---------------------------------------------------------------- each sheet part: how far it reaches, and what it holds


def _check_extents(parts: dict[str, bytes], sheet_xml: Mapping[str, bytes]) -> set[int]:
    """Before calamine reads any sheet, every part it could read as one (every part holding sheet data, whatever the
    links say) is seen to stay within the limits; the first that does not refuses the file, naming its sheet.
    The ids of the parts proven plain (see :func:`_plain_extent`)."""
    sheets = {id(data): name for name, data in sheet_xml.items()}
    plain = set()
    for part, data in parts.items():
        if b"sheetData" not in data:
            continue
        if _plain_extent(data):
            plain.add(id(data))
        elif beyond := _full_scan(data, sheets.get(id(data), part)).beyond:
            raise Rejected("FILE_SHEET_TOO_LARGE", beyond)
    return plain


class _Protection(Mapping[str, bool]):
    """sheet -> protection on; and the other facts of each sheet's part (:meth:`facts`), all worked out for a sheet
    when first asked. Only the sheets answers are read from are asked about, and each once: most of them have
    neither formulas nor errors, and are not parsed at all."""

    def __init__(self, sheet_xml: Mapping[str, bytes], plain: set[int]):
        self._xml, self._plain = sheet_xml, plain  # the ids of the parts whose every cell says where it is
        self._facts: dict[str, _Facts] = {}

    def facts(self, sheet: str) -> _Facts | None:
        if sheet not in self._facts:
            data = self._xml.get(sheet)
            if data is None:
                return None
            self._facts[sheet] = _plain_facts(data) or _scanned_facts(data, sheet, id(data) in self._plain)
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


def _sheet_data(data: bytes) -> tuple[int, int]:
    """Where the cells are: from the first mention of ``sheetData`` to just past the last. calamine reads cells only
    between its sheetData start and end tags, which lie within that span however the part is written."""
    start = max(data.find(b"sheetData") - 1, 0)
    end = data.rfind(b"sheetData")
    close = data.find(b">", end)
    return start, len(data) if end < 0 or close < 0 else close + 1


# The cheap proof that a part is plain: every cell element is written as Excel, LibreOffice, openpyxl and xlsxwriter
# write it, <c r="B12" s="3" t="s"> with nothing else in the tag, within A1:Z999, and the used range is declared the
# same way (or not at all). calamine places a cell by its r, so such a part reaches no further; a comment or CDATA
# can only add text that looks like more cells, never hide one. Each test is a search in C, linear in the part and
# most of them only over the span of the sheet data, together a small part of what the real parse costs; whatever
# is not proven plain goes to the real parse, which decides. (A regular expression here only ever proves a part
# plain; it never reads one.)
_ODD_CELL = re.compile(rb'<c(?:[\t\r\n/>]| (?!r="[A-Z]?[0-9]{1,3}"(?: s="[0-9]{1,6}")?(?: t="[a-zA-Z]{1,9}")?/?>))')
_PREFIXED_CELL = re.compile(rb":c[\t\r\n />]")
_PLAIN_DIMENSION = re.compile(rb'<dimension ref="[A-Z]?[0-9]{1,3}(?::[A-Z]?[0-9]{1,3})?"/>')


def _plain_extent(data: bytes) -> bool:
    """Whether the part is proven, cheaply, to stay within A1:Z999 (see above). NUL bytes mean another encoding,
    and what comes before the sheet data (where calamine reads the declared range) must be plain tags."""
    start, end = _sheet_data(data)
    head = data[:start]
    dimensions = head.count(b"dimension")
    return (b"\x00" not in data and b"!" not in head and head.count(b"<?") <= 1 and data[start:start + 1] == b"<"
            and (dimensions == 0 or dimensions == 1 and _PLAIN_DIMENSION.search(head) is not None)
            and not (data.find(b":c", start, end) >= 0 and _PREFIXED_CELL.search(data, start, end))
            and _ODD_CELL.search(data, start, end) is None)


def _plain_facts(data: bytes) -> _Facts | None:
    """The facts of a part whose sheet data holds no formulas and no error values: only its protection, read from
    that one tag. None when the part needs the real parse."""
    start, end = _sheet_data(data)
    if data.find(b"</f", start, end) >= 0 or data.find(b":f", start, end) >= 0 or data.find(b't="e"', start, end) >= 0:
        return None
    protected = _protection_tag(data)
    return None if protected is None else _Facts(protected)


def _protection_tag(data: bytes) -> bool | None:
    """Whether the ``<sheetProtection>`` tag turns protection on; None when there is one not written plainly."""
    at = data.find(b"<sheetProtection")
    if at < 0:
        return None if b"sheetProtection" in data else False
    tag = _tag_attributes(data, at)
    return None if tag is None else tag.get("sheet") in ("1", "true")


def _tag_attributes(data: bytes, at: int) -> dict[str, str] | None:
    """The attributes of the one tag that starts at ``at``, read by the XML parser (None when it is not a whole tag)."""
    import pyexpat

    end = data.find(b">", at)
    if end < 0:
        return None
    tag = data[at: end + 1]
    found: dict[str, str] = {}
    parser = pyexpat.ParserCreate()
    parser.StartElementHandler = lambda _name, attributes: found.update(attributes)
    try:
        parser.Parse(tag if tag.endswith(b"/>") else tag[:-1] + b"/>", True)
    except pyexpat.ExpatError:
        return None
    return found


def _scanned_facts(data: bytes, sheet: str, plain: bool) -> _Facts:
    """Formulas and error values from a real parse: of the sheet data alone, with a lean handler, when the part is
    plain (every cell says where it is; the rest of a form's sheet, its validations and their help texts, is twice
    as long) and states its protection plainly; of the whole part, placing cells as calamine does, otherwise."""
    start, end = _sheet_data(data)
    protected = _protection_tag(data)
    if plain and protected is not None and data[start:start + 10] == b"<sheetData":
        contents = _cell_contents(data[start:end])
        if contents is not None:
            return _Facts(protected, *contents)
    return _full_scan(data, sheet)


def _cell_contents(data: bytes) -> tuple[frozenset[str], dict[str, str]] | None:
    """The formula cells and error values of sheet data whose cells all give their address (None if not XML)."""
    import pyexpat

    formulas: set[str] = set()
    errors: dict[str, str] = {}
    cell = ["", ""]  # the open cell's address and type
    parser = pyexpat.ParserCreate()

    def start(name: str, attributes: dict[str, str]) -> None:
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "c":
            cell[0], cell[1] = attributes.get("r", ""), attributes.get("t", "")
            if cell[1] == "e":
                errors[cell[0]] = "#N/A"
        elif name == "f":
            formulas.add(cell[0])
        elif name == "v" and cell[1] == "e":
            errors[cell[0]] = _text_at(data, parser.CurrentByteIndex)

    parser.StartElementHandler = start
    try:
        parser.Parse(data, True)
    except pyexpat.ExpatError:
        return None
    finally:
        parser.StartElementHandler = None
    return frozenset(formulas), errors


def _text_at(data: bytes, at: int) -> str:
    """The text of the element whose tag starts at byte ``at`` (an error value: '#REF!', '#DIV/0!' …)."""
    start = data.find(b">", at) + 1
    end = data.find(b"<", start)
    return data[start:end].decode("utf-8", "replace").strip() or "#N/A"


@functools.lru_cache(maxsize=16)  # the extent check at opening and the facts asked for later share one parse
def _full_scan(data: bytes, sheet: str) -> _Facts:
    """Everything about a part from one real parse of all of it (:class:`_SheetScan`)."""
    scan = _SheetScan(data, sheet)
    with contextlib.suppress(_Beyond):  # it says how far, which is all that is wanted then
        scan.parse()
    return _Facts(scan.protected, frozenset(scan.formulas), scan.errors, scan.beyond)


class _Beyond(Exception):
    """Raised from inside the parse as soon as a sheet is seen to reach past the limits: no need to read further."""


class _SheetScan:
    """One pass of the XML parser over a sheet part, placing cells as calamine does, noting formulas and errors.

    calamine takes a cell's place from its ``r`` attribute, or else from the running row (a ``<row r>``, or one
    more than the row before) and column (one more than the cell before); its grid spans the cells that hold
    something. The dimension a sheet declares is checked too: older calamine sets room aside by it. expat is
    linear however the part is written (a comment of repeated ``<c t="e">`` is just a comment to it), and no DTD
    can reach it. The handlers see every element, so this is the slow path: plain parts never come here.
    """

    def __init__(self, data: bytes, sheet: str):
        import pyexpat

        self.data, self.sheet = data, sheet
        self.protected, self.beyond = False, ""
        self.formulas: set[str] = set()
        self.errors: dict[str, str] = {}
        self._row = self._col = 0
        self._cell: str | None = None  # the address of the open cell
        self._cell_type = ""
        self._placed = False
        self._in_data = False
        self._parser = pyexpat.ParserCreate()
        self._parser.StartElementHandler = self._start
        self._parser.EndElementHandler = self._end

    def parse(self) -> None:
        """Parse the part; :class:`_Beyond` once it reaches too far, :class:`Rejected` when it is not XML."""
        import pyexpat

        try:
            self._parser.Parse(self.data, True)
        except pyexpat.ExpatError as exc:
            raise Rejected("FILE_DAMAGED", f"sheet '{self.sheet}' is not well-formed XML ({exc})") from None
        finally:  # the parser holds this scan through its handlers: let both go without waiting for the cycle collector
            self._parser.StartElementHandler = self._parser.EndElementHandler = None

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        if ":" in name:
            name = name.rpartition(":")[2]
        if self._cell is not None:
            self._in_cell(name)
        elif self._in_data:
            if name == "c":
                self._open_cell(attributes)
            elif name == "row" and "r" in attributes:
                self._row = _row_index(attributes["r"], self._row)
        elif name == "sheetData":
            self._in_data = True
        elif name == "dimension":
            for corner in attributes.get("ref", "").split(":"):
                self._check(*_position(corner, (0, 0)), f"its declared used range {attributes.get('ref', '')}")
        elif name == "sheetProtection":
            self.protected = attributes.get("sheet") in ("1", "true")

    def _end(self, name: str) -> None:
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "c" and self._cell is not None:
            if self._cell_type == "e" and self._cell not in self.errors:
                self.errors[self._cell] = "#N/A"
            self._cell, self._col = None, self._col + 1
        elif name == "row" and self._in_data:
            self._row, self._col = self._row + 1, 0
        elif name == "sheetData":
            self._in_data = False

    def _open_cell(self, attributes: dict[str, str]) -> None:
        reference = attributes.get("r")
        if reference is not None:
            self._row, self._col = _position(reference, (self._row, self._col))
            reference = reference.upper()
        self._cell = reference if reference is not None and _A1.match(reference) else _address(self._row, self._col)
        self._cell_type, self._placed = attributes.get("t", ""), False

    def _in_cell(self, name: str) -> None:
        """Anything inside a cell gives it content: it is placed (and checked), and noted if a formula or an error."""
        if not self._placed:
            self._placed = True
            self._check(self._row, self._col, f"cell {self._cell}")
        if name == "f":
            self.formulas.add(self._cell or "")
        elif name == "v" and self._cell_type == "e":
            self.errors[self._cell or ""] = _text_at(self.data, self._parser.CurrentByteIndex)

    def _check(self, row: int, col: int, what: str) -> None:
        if row >= MAX_SHEET_ROWS or col >= MAX_SHEET_COLUMNS:
            self.beyond = (f"sheet '{self.sheet}' reaches {what}, beyond the {MAX_SHEET_ROWS:,} rows and "
                           f"{MAX_SHEET_COLUMNS:,} columns any return's sheet fits in")
            raise _Beyond


def _position(reference: str, otherwise: tuple[int, int]) -> tuple[int, int]:
    """(row, column) from 0 of an address as calamine reads it (letters in either case, then digits); ``otherwise``
    when it is not one (calamine then fails on the sheet, which is reported as damaged)."""
    letters = reference.rstrip("0123456789")
    digits = reference[len(letters):]
    if not digits or not letters.isascii() or not letters.isalpha():
        return otherwise
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return int(digits) - 1, col - 1


def _row_index(reference: str, otherwise: int) -> int:
    """The row (from 0) of a ``<row r>`` as calamine reads it (letters before the digits are passed over)."""
    digits = reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    return int(digits) - 1 if digits.isascii() and digits.isdigit() else otherwise


def _address(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col > 0:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


# ---------------------------------------------------------------- ods


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _ods_names_and_protection(content: Any) -> tuple[dict[str, tuple[str, str]], dict[str, bool]]:
    names = {}
    for nr in content.iter(f"{_ODS_TABLE}named-range"):
        target = _split_ref(nr.get(f"{_ODS_TABLE}cell-range-address", ""), ".")
        if target:
            names[nr.get(f"{_ODS_TABLE}name", "")] = target
    protected = {t.get(f"{_ODS_TABLE}name", ""): t.get(f"{_ODS_TABLE}protected") == "true"
                 for t in content.iter(f"{_ODS_TABLE}table")}
    return names, protected


def _check_ods_extent(content: Any) -> None:
    """Refuse a table whose cells with content (repeats counted, as calamine expands them) reach past the limits.

    LibreOffice writes a sheet's empty remainder as one cell repeated 16,384 times and one row repeated a million
    times; those hold nothing, and calamine keeps nothing of them, so only cells with a value, a formula or text count.
    """
    for table in content.iter(f"{_ODS_TABLE}table"):
        row = 0
        for element in table.iter(f"{_ODS_TABLE}table-row"):
            repeats = _repeats(element, "number-rows-repeated")
            last = _last_filled_column(element)
            if last >= 0 and (row + repeats - 1 >= MAX_SHEET_ROWS or last >= MAX_SHEET_COLUMNS):
                raise Rejected("FILE_SHEET_TOO_LARGE", f"sheet '{table.get(f'{_ODS_TABLE}name', '')}' reaches row "
                               f"{row + repeats:,}, column {last + 1:,}, beyond the {MAX_SHEET_ROWS:,} rows and "
                               f"{MAX_SHEET_COLUMNS:,} columns any return's sheet fits in")
            row += repeats


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
    refuse a return)."""
    try:
        root = _parse_xml(data, "the document properties") if data is not None else None
    except Rejected:
        root = None
    if root is None:
        return ""
    return next((e.text or "" for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "Application"), "").strip()


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

    def __init__(self, book: Any, names: list[str], libreoffice_days: bool = False):
        self._book, self._names, self._libreoffice_days = book, names, libreoffice_days
        self._rows: dict[str, list[list[Any]]] = {}

    def __getitem__(self, name: str) -> list[list[Any]]:
        if name not in self._rows:
            if name not in self._names:
                raise KeyError(name)
            try:
                self._rows[name] = self._book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except BaseException as exc:  # calamine's own error types, and its panics (pyo3's PanicException)
                raise _rejection(exc) from None
            if self._libreoffice_days:
                self._rows[name] = [[as_libreoffice_showed(v) for v in row] for row in self._rows[name]]
        return self._rows[name]

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _values(path: Path, package: bytes | None, data: bytes | None = None,
            libreoffice_days: bool = False) -> tuple[Mapping[str, list[list[Any]]], dict[str, str]]:
    """The sheets' values and visibility: from ``package`` (the checked parts of an .xlsx), else from the workbook's
    ``data`` in memory, else from the file; with ``libreoffice_days``, dates before March 1900 as LibreOffice, which
    saved the file, showed them."""
    from python_calamine import CalamineWorkbook

    source = package if package is not None else data
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(source)) if source is not None else CalamineWorkbook.from_path(str(path))
        visibility = {meta.name: str(meta.visible).rsplit(".", 1)[-1].lower() for meta in book.sheets_metadata
                      if str(meta.typ).rsplit(".", 1)[-1].lower() == "worksheet"}
    except BaseException as exc:  # calamine's own errors for every kind of damage, encryption included, and its panics
        raise _rejection(exc) from None
    return _Sheets(book, list(visibility), libreoffice_days), visibility


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
