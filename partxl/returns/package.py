"""A workbook's zip package, checked before any parser (ours, calamine's, or the officer's Excel) could disagree on it.

A zip can be written so that two readers see different files in it: two entries of one name (or of names that
differ only by case, a backslash for a slash, or a NUL that one reader cuts the name at), a local header that names
its entry differently from the central directory, entries that overlap or hide bytes between them, bytes before the
first entry or after the end of the directory. partxl reads what the central directory says; Excel, LibreOffice and
calamine each read their own way. So a package is read only when there is one way to read it: every entry laid
out end to end from the first byte, each named the same in both places, the directory straight after them and the
end record last. Anything else is refused as ambiguous (``FILE_AMBIGUOUS``), not guessed at. Excel, LibreOffice,
openpyxl and xlsxwriter all write packages like that.

Then the sizes: the ones the directory declares first (a zip bomb is refused before anything is inflated), then
each part inflated counting bytes. Every part read is XML in UTF-8 (what every spreadsheet writer writes: a part in
UTF-16 or another encoding could hide a DTD from a search of its bytes and be decoded differently by each reader,
so it is refused), and declares no DTD (spreadsheet parts never do; entity bombs and external entities need one):
so the parsers used afterwards never see a DTD.
"""

from __future__ import annotations

import functools
import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

MAX_MEMBER_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200
TOO_LARGE_HINT = ("A return is well under 1 MB. If a photo or a scanned document was pasted into the workbook, delete it "
                  "(send it separately if it matters) and send the workbook again; otherwise send the workbook you were issued.")
MAX_PARTS = 10_000  # a return has about twenty parts; the zip we hand calamine counts its parts in 16 bits
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, RuntimeError, ValueError, EOFError, NotImplementedError,
              struct.error, IndexError)
_LOCAL, _DESCRIPTOR, _END = b"PK\x03\x04", b"PK\x07\x08", b"PK\x05\x06"
_CONTROL = re.compile("[\x00-\x1f\x7f]")


class Rejected(Exception):
    """A file that cannot be read as a return; ``code`` names the finding, ``hint`` what would be right."""

    def __init__(self, code: str, detail: str = "", hint: str = ""):
        super().__init__(detail or code)
        self.code, self.detail, self.hint = code, detail, hint


def ambiguous(detail: str) -> Rejected:
    return Rejected("FILE_AMBIGUOUS", detail)


class Archive:
    """The package, checked as it is read (see the module's docstring).

    Only the parts something reads are inflated, each once, and looked up as calamine looks them up (by name,
    ignoring case). The file is read once into memory (its size is checked first) and each part inflated by zlib
    directly: the zipfile module's reader costs more than the inflating, for a workbook's twenty small parts.
    """

    def __init__(self, path: Path, data: bytes | None = None):
        """The package of the file at ``path``, or of ``data`` (a workbook held in memory: ``path`` is only its name)."""
        if data is not None and len(data) > MAX_TOTAL_BYTES:
            raise Rejected("FILE_TOO_LARGE", f"the file is more than {MAX_TOTAL_BYTES:,} bytes", TOO_LARGE_HINT)
        try:
            self.data = file_bytes(path) if data is None else data
            self.zip = zipfile.ZipFile(io.BytesIO(self.data))
            listed = self.zip.infolist()
        except ZIP_ERRORS as exc:
            raise Rejected("FILE_DAMAGED", str(exc)) from None
        _check_declared_sizes(listed)
        _check_names(listed)
        _check_layout(self.data, listed, self.zip)
        self.infos = {info.filename: info for info in listed}
        self._folded = {name.lower(): name for name in self.infos}
        self.parts: dict[str, bytes] = {}  # inflated and checked, in the order read
        self._inflated = 0

    def get(self, path: str, *, xml: bool = True) -> bytes | None:
        """The part at ``path`` (found as calamine finds it), inflated and checked; None when there is none.
        ``xml``: the part must be XML in UTF-8 without a DTD."""
        name = self._folded.get(path.lower(), path)
        if name not in self.parts:
            info = self.infos.get(name)
            if info is None:
                return None
            known = _known_key(self.data, info, xml)
            data = _KNOWN.get(known) if known is not None else None
            if data is None or len(data) > MAX_TOTAL_BYTES - self._inflated:
                data = self._read(name, info, xml, known[-1] if known is not None else None)
                if known is not None:
                    _remember(known, data)
            self._inflated += len(data)
            self.parts[name] = data
        return self.parts[name]

    def _read(self, name: str, info: zipfile.ZipInfo, xml: bool, raw: bytes | None) -> bytes:
        """The part inflated and checked; ``raw``: its compressed bytes, when already taken out of the file."""
        try:
            data = _inflate(self.data, info, self.zip, MAX_TOTAL_BYTES - self._inflated, raw)
        except ZIP_ERRORS as exc:
            raise Rejected("FILE_DAMAGED", f"part {name}: {exc}") from None
        if xml:
            check_xml_bytes(name, data)
        return data


# The parts a cycle's returns share byte for byte (the workbook part, its links, the styles, the properties: a fifth of
# what is inflated): each is inflated and checked once, and known again by its name and its compressed bytes, compared
# whole (never by a checksum, which a file could be made to match). Small parts only, kept from their second sighting
# (the sheets, which differ from return to return, would otherwise push out the parts that do not), and only so many.
_KNOWN: dict[tuple[str, int, int, int, bool, bytes], bytes] = {}
_SEEN_ONCE: set[int] = set()  # the keys' hashes: a false match only keeps a part one sighting early
_KNOWN_PARTS, _KNOWN_PART_BYTES = 64, 65_536


def _known_key(data: bytes, info: zipfile.ZipInfo, xml: bool) -> tuple[str, int, int, int, bool, bytes] | None:
    """What a part is known again by, if it is small enough to remember; None otherwise."""
    if info.file_size > _KNOWN_PART_BYTES or info.compress_size > _KNOWN_PART_BYTES or info.flag_bits & 1 \
            or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    try:
        raw = _member_data(data, info)
    except (zipfile.BadZipFile, struct.error):
        return None
    return info.filename, info.CRC, info.file_size, info.compress_type, xml, raw


def _remember(key: tuple[str, int, int, int, bool, bytes], data: bytes) -> None:
    if hash(key) not in _SEEN_ONCE:
        if len(_SEEN_ONCE) >= 8 * _KNOWN_PARTS:
            _SEEN_ONCE.clear()
        _SEEN_ONCE.add(hash(key))
        return
    if len(_KNOWN) >= _KNOWN_PARTS:
        _KNOWN.clear()
    _KNOWN[key] = data


def file_bytes(path: Path) -> bytes:
    """The whole file, unless it is bigger than any package partxl will inflate (then it is not read at all)."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_TOTAL_BYTES + 1)
    if len(data) > MAX_TOTAL_BYTES:
        raise Rejected("FILE_TOO_LARGE", f"the file is more than {MAX_TOTAL_BYTES:,} bytes", TOO_LARGE_HINT)
    return data


# Pictures an officer pastes in (a logo, a site photo: often 5-15 MB, and a phone's photo more) and thumbnails: no
# reader inflates them, so their size is no reason to refuse a return; only the whole file's size bounds them.
PICTURE = re.compile(r"\.(png|jpe?g|gif|bmp|tiff?|emf|wmf|svg|webp|heic|heif)$", re.IGNORECASE)


def _check_declared_sizes(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip bomb from the sizes its directory declares, before inflating anything."""
    if len(infos) > MAX_PARTS:
        raise Rejected("FILE_TOO_LARGE", f"it has {len(infos):,} parts")
    total = 0
    for info in infos:
        if PICTURE.search(info.filename):
            continue  # never inflated (calamine is handed only the parts read): a photo pasted in costs nothing
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES or (ratio > MAX_RATIO and info.file_size > 5_000_000):
            raise Rejected("FILE_TOO_LARGE", f"part {info.filename} would inflate to {info.file_size:,} bytes")


def _check_names(infos: list[zipfile.ZipInfo]) -> None:
    """Names every reader reads alike: no NUL or other control character (the zipfile module cuts a name at a NUL,
    other readers do not), no backslash (some readers take it for a slash), no two alike ignoring case (calamine
    finds parts ignoring case, Excel's packages are case-insensitive)."""
    seen: set[str] = set()
    for info in infos:
        name = info.orig_filename
        if _CONTROL.search(name):
            raise ambiguous(f"a part's name holds a control character ({name!r})")
        if "\\" in name:
            raise ambiguous(f"a part's name holds a backslash ({name!r})")
        folded = name.lower()
        if folded in seen:
            raise ambiguous(f"two of its parts are called {name!r}")
        seen.add(folded)


def _check_layout(data: bytes, infos: list[zipfile.ZipInfo], archive: zipfile.ZipFile) -> None:
    """Entries end to end from byte 0, each local header agreeing with the directory, then the directory, then the
    end record as the last bytes of the file (its comment included). Nothing before, between, over or after."""
    at = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset != at:
            raise ambiguous(f"there are {'hidden bytes before' if info.header_offset > at else 'overlapping parts at'} "
                            f"part {info.orig_filename!r}")
        at = _entry_end(data, info)
    directory_start = archive.start_dir  # where the zipfile module read the directory
    if directory_start != at:
        raise ambiguous("there are hidden bytes between its last part and its directory")
    end = data.rfind(_END)
    if end < 0 or end + 22 > len(data):
        raise ambiguous("its end record is missing")
    count, size, offset, comment = struct.unpack("<HIIH", data[end + 10: end + 22])
    zip64 = offset == 0xFFFFFFFF or count == 0xFFFF
    if end + 22 + comment != len(data):
        raise ambiguous("there are bytes after the end of the package")
    if not zip64 and (offset != directory_start or count != len(infos) or offset + size != end):
        raise ambiguous("its directory is not where its end record says")


def _entry_end(data: bytes, info: zipfile.ZipInfo) -> int:
    """Where an entry (local header, name, extra, data, descriptor) ends, checking its header against the directory."""
    at = info.header_offset
    header = data[at: at + 30]
    if len(header) < 30 or header[:4] != _LOCAL:
        raise Rejected("FILE_DAMAGED", f"part {info.orig_filename!r} has no local header")
    flags, method, _time, _date, crc, compressed, size, name_length, extra_length = struct.unpack("<HHHHIIIHH", header[6:30])
    name = data[at + 30: at + 30 + name_length]
    encoded = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437", "surrogateescape")
    if name != encoded:
        raise ambiguous(f"part {info.orig_filename!r} is named {name!r} in its own header")
    if method != info.compress_type or (flags & 0x800) != (info.flag_bits & 0x800):
        raise ambiguous(f"part {info.orig_filename!r} is described differently in its own header")
    if not flags & 0x08 and (crc != info.CRC or (compressed, size) != (info.compress_size, info.file_size)
                             and (compressed, size) != (0xFFFFFFFF, 0xFFFFFFFF)):
        raise ambiguous(f"part {info.orig_filename!r} gives different sizes in its own header")
    end = at + 30 + name_length + extra_length + info.compress_size
    if flags & 0x08:  # a data descriptor follows the data: CRC and sizes, with or without its signature
        wide = info.compress_size >= 0xFFFFFFFF or info.file_size >= 0xFFFFFFFF
        end += (4 if data[end: end + 4] == _DESCRIPTOR else 0) + (20 if wide else 12)
    if end > len(data):
        raise Rejected("FILE_DAMAGED", f"part {info.orig_filename!r} is cut short")
    return end


def _inflate(data: bytes, info: zipfile.ZipInfo, archive: zipfile.ZipFile, room: int, raw: bytes | None = None) -> bytes:
    """One part, inflated counting bytes (no further than the limits) and checked against its CRC; ``raw``: its
    compressed bytes, when the caller has them already."""
    limit = min(MAX_MEMBER_BYTES, room)
    if info.flag_bits & 1:
        raise zipfile.BadZipFile("the part is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        inflated = _inflate_other(archive, info, limit)
    else:
        raw = _member_data(data, info) if raw is None else raw
        inflated = raw[: limit + 1] if info.compress_type == zipfile.ZIP_STORED else _deflated(raw, limit)
    if len(inflated) > limit:
        raise Rejected("FILE_TOO_LARGE", f"part {info.filename} inflates to more than {limit:,} bytes")
    if len(inflated) != info.file_size:
        raise zipfile.BadZipFile(f"it inflates to {len(inflated):,} bytes, not the {info.file_size:,} declared")
    if zlib.crc32(inflated) != info.CRC:
        raise zipfile.BadZipFile("Bad CRC-32")
    return inflated


def _member_data(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """The compressed bytes of a part, found through its local header as the zip format lays it out."""
    at = info.header_offset
    name_length, extra_length = struct.unpack("<HH", data[at + 26: at + 30])
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


# ---------------------------------------------------------------- every XML part: UTF-8, and no DTD


_UTF8_NAMES = frozenset({"utf-8", "utf8"})
_XML_START = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*<")


def check_xml_bytes(name: str, data: bytes) -> None:
    """Refuse a part that is not UTF-8 XML as every writer writes it, or that declares a DTD.

    The encoding is what the XML parser itself reads from the part's declaration (and a part with a NUL byte or a
    byte-order mark other than UTF-8's is UTF-16 or UTF-32 whatever it declares); once a part is known to be UTF-8,
    a DTD cannot hide from a search of its bytes (``<!DOCTYPE`` and ``<!ENTITY`` are ASCII, and UTF-8 writes ASCII
    as itself), so the search decides, and is cheap: almost no part has ``<!`` at all.
    """
    if b"\x00" in data or data.startswith((b"\xfe\xff", b"\xff\xfe")):
        raise ambiguous(f"part {name} is not in UTF-8 (UTF-16 or UTF-32)")
    if _XML_START.match(data) is None:
        raise ambiguous(f"part {name} is not XML in UTF-8")
    encoding = _declared_encoding(data)
    if encoding is not None and encoding.lower() not in _UTF8_NAMES:
        raise ambiguous(f"part {name} is in the encoding {encoding[:40]!r}, not UTF-8")
    if b"!" in data and b"<!" in data and (b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper()):  # memchr first
        raise Rejected("FILE_HOSTILE_XML", f"part {name} declares a document type or entities")


def _declared_encoding(data: bytes) -> str | None:
    """The encoding the XML declaration gives (None without one), as expat reads the declaration."""
    start = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if not start.startswith(b"<?xml"):
        return None
    declaration = start[: start.find(b"?>") + 2]
    return (_usual_encoding_declared if len(declaration) < 200 else _encoding_declared)(declaration)


def _encoding_declared(declaration: bytes) -> str | None:
    import pyexpat

    said: list[str | None] = []
    parser = pyexpat.ParserCreate()
    parser.XmlDeclHandler = lambda _version, encoding, _standalone: said.append(encoding)
    try:
        parser.Parse(declaration, False)
    except (pyexpat.ExpatError, ValueError, LookupError):  # an encoding expat does not know is one no writer uses
        return "unknown"
    return said[0] if said else "unknown"


# Every part of every return declares itself in one of a few ways: each is parsed once.
_usual_encoding_declared = functools.lru_cache(maxsize=64)(_encoding_declared)


def stored_package(archive: Archive) -> bytes:
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
