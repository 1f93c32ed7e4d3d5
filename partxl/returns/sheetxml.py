"""What a worksheet part holds, from one real XML parse of the very bytes calamine is then handed.

calamine reads a sheet's values; partxl needs what it does not say (protection, formulas, error values) and must
know that the values it says are the ones Excel and LibreOffice show. Both come from one parse here, by expat, with
namespaces resolved (so a prefix, a comment, CDATA or a quote style changes nothing, and text typed into a cell is
text), before calamine reads the sheet. A sheet is refused when the readers would read it differently:

- an element calamine acts on (it goes by local names, ignoring namespaces) in another namespace, a second
  ``sheetData`` or ``sheetProtection``, anything but rows and cells among the cells;
- a cell whose address is not plain, out of order or given twice (which cell holds an answer must not depend on
  the reader), a cell of an unknown type, two values, a value beside an inline string or an inline string in a cell
  not typed as one (calamine shows the string, LibreOffice nothing), a shared-string index that is not a plain
  number (calamine reads -1 as the first string, LibreOffice shows nothing), a number or a boolean written oddly;
- a Strict Open XML sheet (``FILE_STRICT_XLSX``: partxl reads the usual, transitional, form).
How far the sheet reaches is checked on the way (``FILE_SHEET_TOO_LARGE``: calamine sizes its grid by the cells
that hold something, older versions by the declared dimension), and the parse stops there.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from partxl.returns.package import Rejected, ambiguous

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT = "http://purl.oclc.org/ooxml/"
STRICT_HINT = ("Open the workbook in Excel and save it as an ordinary Excel Workbook (.xlsx): File > Save As > "
               "Excel Workbook, not 'Strict Open XML Spreadsheet'; then send that copy.")
# How far a return's sheet may reach. The forms' widest sheet uses 11 columns (A-K: the hidden issue details, one
# list per dropdown) and the longest 42 rows (Information); the issue details' lists are as long as the longest
# dropdown (the council's officers: tens, for a large council a few hundred). Ten times that and more is no return:
# a sheet beyond it would cost calamine about 40 bytes a cell of its rectangle (a cell at Z1048576 is 1.1 GiB, at
# XFD1048576 hundreds of GiB and an abort), so it is refused, unread, rather than read. Within these limits a
# sheet's grid stays below about 25 MB.
MAX_SHEET_ROWS = 5_000
MAX_SHEET_COLUMNS = 100

_SEP = "}"
_WORKSHEET, _SHEET_DATA, _ROW, _C, _F, _V, _IS = (f"{MAIN}{_SEP}{n}" for n in ("worksheet", "sheetData", "row", "c", "f", "v", "is"))
_DIMENSION, _PROTECTION = f"{MAIN}{_SEP}dimension", f"{MAIN}{_SEP}sheetProtection"
_ACTED_ON = frozenset({"worksheet", "sheetData", "dimension", "sheetProtection"})  # what calamine or partxl read outside the cells
_CELL_TYPES = frozenset({"n", "s", "str", "inlineStr", "b", "e", "d"})
_A1 = re.compile(r"([A-Z]{1,3})([1-9][0-9]*)")
_NUMBER = re.compile(rb"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


@dataclass(frozen=True)
class Facts:
    """What a sheet's XML part says that calamine does not: protection, formulas and error values."""

    protected: bool
    formulas: frozenset[str] = frozenset()
    errors: Mapping[str, str] = field(default_factory=dict)


class _Beyond(Exception):
    """Raised from inside the parse as soon as a sheet is seen to reach past the limits."""


@functools.lru_cache(maxsize=8192)  # the same few hundred addresses in every return
def _column_row(reference: str) -> tuple[int, int] | None:
    """(column, row) from 0 of a plain A1 address (upper-case letters, then a row from 1); None otherwise."""
    match = _A1.fullmatch(reference)
    if match is None:
        return None
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return col - 1, int(match.group(2)) - 1


def address(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col > 0:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def scan(data: bytes, sheet: str) -> Facts:
    """The facts of ``sheet``'s part, or :class:`Rejected` saying why it cannot be read as every reader reads it:
    from the plain-sheet proof when it holds (:func:`_plain`), else from the full parse (:class:`_Scan`), which decides
    everything the proof is not sure of."""
    return _plain(data) or _Scan(data, sheet).run()


# ---------------------------------------------------------------- the plain sheet: the same facts, for less
#
# The full parse calls Python for each of a sheet's few thousand elements, which doubled the time a return takes to
# check. Every writer writes the cells of a sheet the same plain way, and for such a sheet the same facts come from
# a handful of operations in C, on the same bytes:
# 1. The cells, from ``<sheetData`` to ``</sheetData>``, match in full a grammar of plain rows and cells: each cell
#    ``<c r="B12" s="3" t="s">`` with nothing else in its tag, holding what its type allows (a shared-string number,
#    a number as numbers are written, 0 or 1, an inline string of plain text; a formula before the value) and
#    nothing else; rows ``<row r="12" ...>`` with attributes written plainly, each once, holding only cells. Their
#    text is well-formed XML text as it stands: characters XML allows, ``&`` only in the five named references, no
#    ``]]>``. So the cells are one well-formed element, whatever surrounds them.
# 2. expat parses the rest of the part (the same bytes with the cells replaced by ``<sheetData/>``), with handlers
#    only for what a plain part never has (so none is called): it is well-formed, has no DTD, comment, CDATA section
#    or processing instruction, and declares its namespaces on its root alone, the default one being SpreadsheetML's
#    (no prefix is bound to it). In such a document every ``<`` byte starts a tag and an unprefixed name is in
#    SpreadsheetML: a search for ``<sheetData`` finds the element. The rest of a cycle's sheets is the same bytes
#    from return to return (the cells are what differ), so its proof is kept for the next return.
# 3. The addresses are each given once, each in its own row (as the full parse places cells, by their address
#    whatever their order), and stay within the limits (the empty cells too: one far out sends the sheet to the full
#    parse, which places only cells with content, as calamine does); the declared dimension is written plainly within
#    them; protection is one tag.
# Whatever is not proven goes to the full parse. tests/test_hostile3.py holds the two to the same facts.

_ROW_NUMBER = rb"(?:[1-9][0-9]{0,2}|[1-4][0-9]{3}|5000)"  # 1 to MAX_SHEET_ROWS
_COLUMN_LETTERS = rb"(?:[A-Z]|[AB][A-Z]|C[A-V])"  # A to CV: MAX_SHEET_COLUMNS
_CELL_TAG = rb'<c r="' + _COLUMN_LETTERS + rb'(?P=row)"(?: s="[0-9]{1,5}")?'  # in its own row
_TEXT = rb'[^<]'  # text: what else it may not hold is checked apart (:func:`_plain_text`)
_FORMULA = rb'(?:<f>' + _TEXT + rb'+</f>)?'  # a formula of its own (shared and array ones go to the full parse)
_NUMBER_V = rb'(?:<v>(?:-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)?</v>)?'
_INLINE = rb'<is>(?:<t/>|<t(?: xml:space="preserve")?>' + _TEXT + rb'*</t>)</is>'  # rich text goes to the full parse
_PLAIN_CELL = (_CELL_TAG + rb'(?:/>|>' + _FORMULA + _NUMBER_V + rb'</c>'
               rb'| t="n"(?:/>|>' + _FORMULA + _NUMBER_V + rb'</c>)'
               rb'| t="s"(?:/>|>' + _FORMULA + rb'<v>[0-9]{1,9}</v></c>)'
               rb'| t="(?:str|e|d)"(?:/>|>' + _FORMULA + rb'(?:<v>' + _TEXT + rb'*</v>)?</c>)'
               rb'| t="b"(?:/>|>' + _FORMULA + rb'(?:<v>[01]</v>)?</c>)'
               rb'| t="inlineStr"(?:/>|>' + _INLINE + rb'</c>))')
_NAME = rb'[A-Za-z_][A-Za-z0-9_.-]*(?::[A-Za-z_][A-Za-z0-9_.-]*)?'  # a name, with a prefix or without
_ATTRIBUTES = rb'(?: ' + _NAME + rb'="[^"<&>]*")*'  # each once, each prefix declared: see _plain_rows
_PLAIN_DATA = re.compile(rb'<sheetData(?:/>|>(?:[ \t\r\n]*<row r="(?P<row>' + _ROW_NUMBER + rb')"' + _ATTRIBUTES
                         + rb'(?:/>|>(?:[ \t\r\n]*' + _PLAIN_CELL + rb')*[ \t\r\n]*</row>))*[ \t\r\n]*</sheetData>)')
_ROW_ATTRIBUTES = re.compile(rb'<row r="[0-9]+"([^>]*)')  # on proven cells: a row's attributes (no value holds >)
_ATTRIBUTE_NAME = re.compile(rb' (' + _NAME + rb')="')
_NOT_NAMED_REFERENCE = re.compile(rb'&(?!(?:amp|lt|gt|quot|apos);)')
_NOT_XML_CHARACTERS = bytes(c for c in range(32) if c not in (9, 10, 13))  # C0 controls but tab, line feed, return
_ADDRESS = re.compile(rb'<c r="([^"]+)')  # on proven cells: each cell's address
_FORMULA_CELLS = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^<>]*>(?=<f>)')
_ERROR_CELLS = re.compile(rb'<c r="([A-Z]+[0-9]+)"(?: s="[0-9]+")? t="e"(?:/>|>' + _FORMULA + rb'(?:<v>([^<]*)</v>)?</c>)')
_PLAIN_DIMENSION = re.compile(rb'<dimension ref="([A-Z]{1,3})([1-9][0-9]{0,4})(?::([A-Z]{1,3})([1-9][0-9]{0,4}))?"/>')
_COLUMNS = {letters: n for n, letters in enumerate(address(0, c)[:-1] for c in range(MAX_SHEET_COLUMNS))}


_PREFIXED_NAME = re.compile(rb":(?:sheetData|sheetProtection|dimension)\b")  # one search for the three
_EMPTY_CELLS, _EMPTY_HEADER_FOOTER = b"<sheetData/>", b"<headerFooter/>"
_PLAIN_HEADER_FOOTER = re.compile(rb'<headerFooter>(?:<(?P<part>(?:odd|even|first)(?:Header|Footer))>' + _TEXT
                                  + rb'*</(?P=part)>)*</headerFooter>')


class _NotPlain(Exception):
    """Raised from inside the first parse as soon as the part is seen not to be plain."""


def _not_plain(*_args: object) -> None:
    raise _NotPlain


def _plain(data: bytes) -> Facts | None:
    """The facts of a plain part (see above); None when the part is not proven plain."""
    start, end = data.find(b"<sheetData"), data.rfind(b"</sheetData>")
    if start < 0:
        return None
    stop = end + 12 if end > start else data.find(b">", start) + 1
    cells = data[start:stop]  # one sheetData: the grammar allows no other inside, the rest of the part holds none
    if not _PLAIN_DATA.fullmatch(cells) or not _plain_text(cells):
        return None
    tags = _plain_document(_outside(data, start, stop))
    if tags is None or not _plain_rows(cells, tags[0][1]):
        return None
    addresses = _ADDRESS.findall(cells)
    if len(set(addresses)) != len(addresses):  # a cell given twice
        return None
    formulas = frozenset(m.decode() for m in _FORMULA_CELLS.findall(cells)) if b"<f>" in cells else frozenset()
    errors = {cell.decode(): value.decode("utf-8", "replace").strip() or "#N/A" for cell, value in _ERROR_CELLS.findall(cells)} \
        if b' t="e"' in cells else {}
    protection = tags[1][1] if len(tags) > 1 else {}
    return Facts(protection.get("sheet") in ("1", "true"), formulas, errors)


def _outside(data: bytes, start: int, stop: int) -> bytes:
    """The part with its cells (``data[start:stop]``, proven already) and its running headers and footers left out:
    what is the same from return to return, so that its parse is kept (:func:`_plain_document`). The headers and
    footers name the partnership; they are left out only when they are proven plain as the cells are, each an
    element of text (a page's header or footer never holds more) and the whole written without attributes."""
    rest = data[stop:]
    at = rest.find(b"<headerFooter>")
    footer = _PLAIN_HEADER_FOOTER.match(rest, at) if at >= 0 else None
    if footer is not None and _plain_text(footer.group()):
        rest = rest[:at] + _EMPTY_HEADER_FOOTER + rest[footer.end():]
    return data[:start] + _EMPTY_CELLS + rest


def _plain_text(cells: bytes) -> bool:
    """The text among the cells is well-formed as it stands: no character XML forbids (C0 controls, U+FFFE, U+FFFF,
    bytes that are not UTF-8), ``&`` only in the five named references, no ``]]>``."""
    if b"&" in cells and _NOT_NAMED_REFERENCE.search(cells) or b"]" in cells and b"]]>" in cells:  # memchr first
        return False
    if len(cells.translate(None, _NOT_XML_CHARACTERS)) != len(cells):
        return False
    if cells.isascii():
        return True
    try:
        cells.decode("utf-8")  # strict: no stray bytes, no surrogates
    except UnicodeDecodeError:
        return False
    return b"\xef\xbf\xbe" not in cells and b"\xef\xbf\xbf" not in cells


def _plain_rows(cells: bytes, root: Mapping[str, str]) -> bool:
    """What the grammar cannot see of the rows' attributes: no row gives one twice (in name or in namespace), declares
    a namespace, or uses a prefix not declared on the root. Checked once for each way the rows are written."""
    for written in set(_ROW_ATTRIBUTES.findall(cells)):
        names = [("", "r")]
        for name in _ATTRIBUTE_NAME.findall(written):
            prefix, _, local = name.decode().rpartition(":")
            if prefix and prefix != "xml" and f"xmlns:{prefix}" not in root or "xmlns" in (prefix, local):
                return False  # an undeclared prefix, or a namespace declared here rather than on the root
            names.append((root.get(f"xmlns:{prefix}", prefix), local))
        if len(set(names)) != len(names):
            return False
    return True


@functools.lru_cache(maxsize=64)  # the same bytes around the cells, sheet by sheet, in every return of a cycle
def _plain_document(data: bytes) -> tuple[tuple[str, Mapping[str, str]], ...] | None:
    """Step 2: one parse by expat of the part around its cells, with handlers for nothing a plain part has, but for its
    root's tag and its protection's (the parse is fed in two pieces, the second starting at that tag, and each
    handler removes itself): their names and attributes, namespaces as attributes. None when the part is not plain."""
    import pyexpat

    protection = _plain_protection(data)
    if protection == -1:
        return None
    parser = pyexpat.ParserCreate()
    tags: list[tuple[str, Mapping[str, str]]] = []

    def tag(name: str, attributes: dict[str, str]) -> None:
        tags.append((name, MappingProxyType(attributes)))
        parser.StartElementHandler = None

    parser.CommentHandler = parser.StartCdataSectionHandler = parser.ProcessingInstructionHandler = _not_plain
    parser.StartDoctypeDeclHandler = _not_plain
    parser.StartElementHandler = tag
    try:
        if protection is None:
            parser.Parse(data, True)
        else:
            parser.Parse(data[:protection], False)
            parser.StartElementHandler = tag
            parser.Parse(data[protection:], True)
    except (_NotPlain, pyexpat.ExpatError, LookupError, ValueError):  # an encoding it does not know, too
        return None
    finally:
        parser.StartElementHandler = None
    root = tags[0][1] if tags and tags[0][0] == "worksheet" else {}
    dimensions = data.count(b"<dimension")
    if (data.count(b"<sheetData") != 1 or dimensions > 1 or dimensions and not _plain_dimension(_PLAIN_DIMENSION.search(data))
            or root.get("xmlns") != MAIN or MAIN in (value for name, value in root.items() if name.startswith("xmlns:"))
            or data.count(b"xmlns") != sum(name.startswith("xmlns") for name in root)  # declared on the root alone
            or _PREFIXED_NAME.search(data) is not None
            or protection is not None and (len(tags) != 2 or tags[1][0] != "sheetProtection")):
        return None
    return tuple(tags)


def _plain_protection(data: bytes) -> int | None:
    """Where the one ``<sheetProtection`` tag starts (None without one); -1 when there are several, or a name that
    only begins so. Every ``<`` starts a tag in a plain part, so the search finds the element."""
    at = data.find(b"<sheetProtection")
    if at < 0:
        return None
    if data.find(b"<sheetProtection", at + 1) >= 0 or data[at + 16: at + 17] not in (b" ", b"/", b">"):
        return -1
    return at


def _plain_dimension(match: re.Match[bytes] | None) -> bool:
    if match is None:
        return False
    first, row, last, last_row = match.groups()
    return all(letters is None or letters.decode() in _COLUMNS for letters in (first, last)) and \
        all(number is None or int(number) <= MAX_SHEET_ROWS for number in (row, last_row))


# ---------------------------------------------------------------- the full parse


class _Scan:
    """One pass of expat over a worksheet part, namespaces resolved (see the module's docstring), placing cells as
    calamine does: by their ``r`` or else one after the cell before (a row by its ``r``, or one after the row
    before). It calls Python for every element, so plain parts are spared it (:func:`_plain`)."""

    def __init__(self, data: bytes, sheet: str):
        import pyexpat

        self.data, self.sheet = data, sheet
        self.protected: bool | None = None
        self.formulas: set[str] = set()
        self.errors: dict[str, str] = {}
        self.beyond = ""
        self._placed: set[tuple[int, int]] = set()
        self._shared: dict[str, bool] = {}  # shared formula group -> whether its master formula has text
        self._root = self._data_seen = self._in_data = self._in_row = False
        self._row = -1  # the current row (from 0), and the column of the cell before (from 0)
        self._col = -1
        self._cell = ""  # the open cell's address, its type, how deep inside it we are, and what it holds
        self._type = ""
        self._depth = 0
        self._children: list[str] = []
        self._parser = parser = pyexpat.ParserCreate(namespace_separator=_SEP)
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.StartDoctypeDeclHandler = self._doctype

    def run(self) -> Facts:
        import pyexpat

        try:
            self._parser.Parse(self.data, True)
        except _Beyond:
            raise Rejected("FILE_SHEET_TOO_LARGE", self.beyond) from None
        except (pyexpat.ExpatError, LookupError, ValueError) as exc:  # an encoding it does not know, too
            raise Rejected("FILE_DAMAGED", f"sheet '{self.sheet}' is not well-formed XML ({exc})") from None
        finally:  # the parser holds this scan through its handlers: let both go without waiting for the cycle collector
            self._parser.StartElementHandler = self._parser.EndElementHandler = None
        return Facts(bool(self.protected), frozenset(self.formulas), self.errors)

    def _odd(self, what: str) -> Rejected:
        return ambiguous(f"sheet '{self.sheet}' {what}")

    def _doctype(self, *_args: object) -> None:
        raise Rejected("FILE_HOSTILE_XML", f"sheet '{self.sheet}' declares a document type")

    # ---------------------------------------------------------------- elements

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        if self._cell:
            self._depth += 1
            if self._depth == 1:
                self._child(name, attributes)
            elif name in (_C, _F, _V, _IS, _ROW) or not name.startswith(MAIN):
                raise self._odd(f"has something odd inside cell {self._cell}")
        elif self._in_data:
            if name == _C:
                self._open_cell(attributes)
            elif name == _ROW:
                self._open_row(attributes)
            else:
                raise self._odd(f"has '{name.rpartition(_SEP)[2]}' among its cells")
        elif not self._root:
            self._root = True
            if name.startswith(STRICT):
                raise Rejected("FILE_STRICT_XLSX", f"sheet '{self.sheet}' is Strict Open XML", STRICT_HINT)
            if name != _WORKSHEET:
                raise Rejected("FILE_DAMAGED", f"sheet '{self.sheet}' is not a worksheet")
        elif name == _SHEET_DATA:
            if self._data_seen:
                raise self._odd("has two sets of cells (sheetData)")
            self._data_seen = self._in_data = True
        elif name == _PROTECTION:
            if self.protected is not None:
                raise self._odd("has two protection settings")
            self.protected = attributes.get("sheet") in ("1", "true")
        elif name == _DIMENSION:
            self._dimension(attributes.get("ref", ""))
        elif not name.startswith(MAIN) and name.rpartition(_SEP)[2] in _ACTED_ON:
            raise self._odd(f"has a '{name.rpartition(_SEP)[2]}' element in another namespace")

    def _end(self, name: str) -> None:
        if self._cell:
            if self._depth:
                self._depth -= 1
            else:
                self._close_cell()
        elif name == _ROW:
            self._in_row = False
        elif name == _SHEET_DATA:
            self._in_data = False

    # ---------------------------------------------------------------- rows and cells

    def _open_row(self, attributes: dict[str, str]) -> None:
        given = attributes.get("r")
        if given is None:
            row = self._row + 1
        elif given.isascii() and given.isdigit() and given[0] != "0":
            row = int(given) - 1
        else:
            raise self._odd(f"has a row numbered {given[:20]!r}")
        self._row, self._col, self._in_row = row, -1, True

    def _open_cell(self, attributes: dict[str, str]) -> None:
        if not self._in_row:
            raise self._odd("has a cell outside any row")
        given = attributes.get("r")
        if given is None:
            col = self._col + 1
        else:
            place = _column_row(given)
            if place is None or place[1] != self._row:
                raise self._odd(f"has a cell at {given[:20]!r} in row {self._row + 1}")
            col = place[0]
        if (self._row, col) in self._placed:
            raise self._odd(f"gives cell {address(self._row, col)} twice")
        self._placed.add((self._row, col))
        kind = attributes.get("t", "n")
        if kind not in _CELL_TYPES:
            raise self._odd(f"has a cell of unknown type {kind[:20]!r} at {address(self._row, col)}")
        self._col, self._type, self._depth = col, kind, 0
        self._cell = given if given is not None else address(self._row, col)
        self._children = []

    def _child(self, name: str, attributes: dict[str, str]) -> None:
        """A cell's own element: its formula, value or inline string (anything else there is no content)."""
        if name not in (_F, _V, _IS):
            if not name.startswith(MAIN):
                raise self._odd(f"has something odd inside cell {self._cell}")
            return
        if name in self._children:
            raise self._odd(f"gives cell {self._cell} two {name.rpartition(_SEP)[2]} elements")
        self._children.append(name)
        if not self._children[1:]:  # the cell holds something: it counts towards the sheet's reach
            self._check(self._row, self._col, f"cell {self._cell}")
        if name == _F:
            self.formulas.add(self._cell)
            self._formula(attributes)
        elif name == _V:
            if attributes:
                raise self._odd(f"gives the value of cell {self._cell} attributes")
            self._value(self._text())

    def _formula(self, attributes: dict[str, str]) -> None:
        """A formula with no text is refused, unless it belongs to a shared formula whose first cell has text: Calc
        shows an error (Err:520) where calamine gives the value saved with it."""
        text = self._text()
        group = attributes.get("si") if attributes.get("t") == "shared" else None
        if group is None or "ref" in attributes:
            if not text.strip():
                raise self._odd(f"gives cell {self._cell} a formula with no text")
            if group is not None:
                self._shared[group] = True
        elif group not in self._shared:
            raise self._odd(f"gives cell {self._cell} a shared formula whose group has no first formula")

    def _close_cell(self) -> None:
        children, kind = self._children, self._type
        if _IS in children and (kind != "inlineStr" or _V in children):
            raise self._odd(f"gives cell {self._cell} an inline string beside a value or in a cell not typed as one")
        if kind == "inlineStr" and _V in children:
            raise self._odd(f"gives cell {self._cell}, typed as an inline string, a value")
        if kind == "e" and self._cell not in self.errors:
            self.errors[self._cell] = "#N/A"
        self._cell = ""

    def _value(self, text: bytes) -> None:
        """A cell's ``<v>``, as the readers would disagree on it."""
        kind = self._type
        if kind == "s":
            if not (text.isdigit() and text.isascii()):
                raise self._odd(f"gives cell {self._cell} the shared-string number {text[:20].decode('utf-8', 'replace')!r}")
        elif kind == "n":
            if text and _NUMBER.fullmatch(text) is None:
                raise self._odd(f"gives cell {self._cell} the number {text[:20].decode('utf-8', 'replace')!r}")
        elif kind == "b":
            if text not in (b"0", b"1"):
                raise self._odd(f"gives cell {self._cell} the true/false value {text[:20].decode('utf-8', 'replace')!r}")
        elif kind == "e":
            self.errors[self._cell] = text.decode("utf-8", "replace").strip() or "#N/A"

    def _text(self) -> bytes:
        """The text of the element whose start tag the parser is at (a ``<v>`` or ``<f>``: plain characters, no markup)."""
        at = self._parser.CurrentByteIndex
        start = self.data.find(b">", at) + 1
        if self.data[start - 2: start] == b"/>":
            return b""
        end = self.data.find(b"<", start)
        if self.data[end: end + 2] != b"</":  # markup inside a value: a comment, CDATA or an element
            raise self._odd(f"gives cell {self._cell} a value or formula with markup inside")
        return self.data[start:end]

    # ---------------------------------------------------------------- how far it reaches

    def _dimension(self, ref: str) -> None:
        for corner in ref.split(":"):
            letters = corner.rstrip("0123456789")
            digits = corner[len(letters):]
            if digits and letters.isascii() and letters.isalpha():
                col = 0
                for ch in letters.upper():
                    col = col * 26 + ord(ch) - 64
                self._check(int(digits) - 1, col - 1, f"its declared used range {ref}")

    def _check(self, row: int, col: int, what: str) -> None:
        if row >= MAX_SHEET_ROWS or col >= MAX_SHEET_COLUMNS:
            self.beyond = (f"sheet '{self.sheet}' reaches {what}, beyond the {MAX_SHEET_ROWS:,} rows and "
                           f"{MAX_SHEET_COLUMNS:,} columns any return's sheet fits in")
            raise _Beyond
