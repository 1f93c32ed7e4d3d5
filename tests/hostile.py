"""The hostile-input corpus: returns as they come back from the real world, each with its expected outcome.

Every case is made here from a good return (a generated workbook filled in with openpyxl), so
the corpus is rebuilt on every run and nothing binary is committed. ``CASES`` lists, for each
file, the outcome consolidate must give it and the finding codes that must explain it.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from . import returns

SCRIPTS = ("Ελληνικά · Русский · العربية · עברית · हिन्दी · বাংলা · 中文 · 日本語 · 한국어 · ไทย · ქართული · "
           "Ge'ez ግዕዝ · 🎉👍🏽🧑‍🤝‍🧑 · 𝔘𝔫𝔦𝔠𝔬𝔡𝔢")
LEADING = {"info_accountable_body": "=SUM(A1:A9)", "info_members": "+44 1234 567890\n-dash\n@team",
           "info_meetings": "@everyone, monthly", "info_comments": "-5 is not a formula"}


@dataclass
class Case:
    name: str  # file name in the returns folder
    outcome: str  # accepted / errors / rejected / skipped
    codes: set[str] = field(default_factory=set)  # findings that must be reported for this file
    build: Callable[[Path, Path], None] | None = None  # (good return, target) -> None
    values: dict[str, object] = field(default_factory=dict)  # answers the register must then hold exactly


def _bytes(data: bytes) -> Callable[[Path, Path], None]:
    return lambda good, target: target.write_bytes(data)


def _zip_edit(change: Callable[[str, bytes], bytes | None], extra: dict[str, bytes] | None = None) -> Callable[[Path, Path], None]:
    """Copy the good return's package, changing (or, returning None, dropping) parts."""
    def build(good: Path, target: Path) -> None:
        with zipfile.ZipFile(good) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = change(info.filename, src.read(info))
                if data is not None:
                    dst.writestr(info.filename, data)
            for name, data in (extra or {}).items():
                dst.writestr(name, data)
    return build


def _part(name: str, data: bytes) -> Callable[[Path, Path], None]:
    """Replace a part (or add it, as a writer that uses shared strings would have it)."""
    def build(good: Path, target: Path) -> None:
        with zipfile.ZipFile(good) as src:
            present = name in src.namelist()
        _zip_edit(lambda n, d: data if n == name else d, None if present else {name: data})(good, target)
    return build


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;'
                  b'&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
                  b'<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>'
                  b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol4;</t></si></sst>')
XXE = (b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets>&xxe;</sheets></workbook>')


def _sheet_part(good: Path, title: str) -> str:
    book = openpyxl.load_workbook(good)
    return f"xl/worksheets/sheet{book.sheetnames.index(title) + 1}.xml"


def _bomb(good: Path, target: Path) -> None:
    """A real workbook carrying a part that inflates to 2 GiB of zeros (about 9 MB on disk)."""
    shutil.copyfile(good, target)
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(target, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as z, \
            z.open("xl/media/image1.bin", "w", force_zip64=True) as part:
        for _ in range(2048):
            part.write(zeros)


def _encrypted(good: Path, target: Path) -> None:
    import msoffcrypto.format.ooxml

    with open(good, "rb") as plain, open(target, "wb") as out:
        msoffcrypto.format.ooxml.OOXMLFile(plain).encrypt("hunter2", out)


def _openpyxl(change: Callable[[openpyxl.Workbook, dict[str, tuple[str, str]]], None]) -> Callable[[Path, Path], None]:
    def build(good: Path, target: Path) -> None:
        book = openpyxl.load_workbook(good)
        change(book, returns.names(good))
        book.save(target)
    return build


def _set(values: dict[str, object]) -> Callable[[openpyxl.Workbook, dict[str, tuple[str, str]]], None]:
    def change(book: openpyxl.Workbook, names: dict[str, tuple[str, str]]) -> None:
        for name, value in values.items():
            sheet, address = names[name]
            book[sheet][address].value = value
            if isinstance(value, str):
                book[sheet][address].data_type = "s"
    return change


def _delete_row(book: openpyxl.Workbook, names: dict[str, tuple[str, str]]) -> None:
    """Unprotect Information and delete the lead officer's row, moving the names as Excel would."""
    sheet = book["Information"]
    sheet.protection.sheet = False
    gone = int(names["info_lead_officer"][1][1:])
    sheet.delete_rows(gone)
    for name, (sheet_name, address) in names.items():
        if sheet_name != "Information":
            continue
        row = int(address[1:])
        if row == gone:
            book.defined_names[name].attr_text = "#REF!"
        elif row > gone:
            book.defined_names[name].attr_text = f"'Information'!${address[0]}${row - 1}"


def _rename_sheet(book: openpyxl.Workbook, names: dict[str, tuple[str, str]]) -> None:
    book["Information"].title = "Info form"
    for name, (sheet_name, address) in names.items():
        if sheet_name == "Information":
            book.defined_names[name].attr_text = f"'Info form'!${address[0]}${address[1:]}"


def _drop_sheet(book: openpyxl.Workbook, names: dict[str, tuple[str, str]]) -> None:
    del book["Assessment"]
    for name, (sheet_name, _address) in names.items():
        if sheet_name == "Assessment":
            del book.defined_names[name]


def _reorder(book: openpyxl.Workbook, names: dict[str, tuple[str, str]]) -> None:
    book.move_sheet("Evaluation", offset=-(len(book.sheetnames) - 1))


def _hide(book: openpyxl.Workbook, names: dict[str, tuple[str, str]]) -> None:
    book["Significance"].sheet_state = "hidden"


def _copy_metadata(other: Path) -> Callable[[openpyxl.Workbook, dict[str, tuple[str, str]]], None]:
    def change(book: openpyxl.Workbook, names: dict[str, tuple[str, str]]) -> None:
        theirs = openpyxl.load_workbook(other)["_partxl"]
        for row in theirs.iter_rows(min_row=1, max_col=2):
            for cell in row:
                book["_partxl"][cell.coordinate].value = cell.value
    return change


def _forge(book: openpyxl.Workbook, names: dict[str, tuple[str, str]]) -> None:
    sheet = book["_partxl"]
    for row in sheet.iter_rows(min_row=2, max_col=2):
        if row[0].value == "signature":
            row[1].value = "0" * 64


def _merge_over_input(book: openpyxl.Workbook, names: dict[str, tuple[str, str]]) -> None:
    sheet_name, address = names["info_category"]
    book[sheet_name].merge_cells(f"A{address[1:]}:B{address[1:]}")  # the label now covers the answer


def _error_value(book: openpyxl.Workbook, names: dict[str, tuple[str, str]]) -> None:
    sheet_name, address = names["info_council_funding"]
    book[sheet_name][address].value = "#DIV/0!"
    book[sheet_name][address].data_type = "e"


def _formula(book: openpyxl.Workbook, names: dict[str, tuple[str, str]]) -> None:
    sheet_name, address = names["info_comments"]
    book[sheet_name][address].value = '=CONCATENATE("see ","minutes")'


def _epoch_1904(book: openpyxl.Workbook, names: dict[str, tuple[str, str]]) -> None:
    book.epoch = CALENDAR_MAC_1904
    _set({"info_date_formed": dt.datetime(2015, 6, 1), "info_review_date": dt.datetime(2027, 2, 25)})(book, names)


def _docx(good: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document xmlns:w='x'><w:body>Minutes</w:body></w:document>")


def _truncated(good: Path, target: Path) -> None:
    data = good.read_bytes()
    target.write_bytes(data[: len(data) // 2])


def cases(other_good: Path) -> list[Case]:
    """Every case; ``other_good`` is a second partnership's good return (for copied metadata)."""
    return [
        # not a workbook at all
        Case("annual report.pdf", "rejected", {"FILE_NOT_WORKBOOK"}, _bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")),
        Case("minutes.docx", "rejected", {"FILE_NOT_WORKBOOK"}, _docx),
        Case("empty.xlsx", "rejected", {"FILE_EMPTY"}, _bytes(b"")),
        Case("notes renamed.xlsx", "rejected", {"FILE_NOT_WORKBOOK"}, _bytes(b"Dear Priya,\nreturn attached.\n")),
        Case("word renamed.xlsx", "rejected", {"FILE_DAMAGED"}, _docx),
        Case("returns.csv", "rejected", {"FILE_NOT_WORKBOOK"}, _bytes(b"Partnership,Grant\n=cmd|' /C calc'!A0,100\n")),
        # damaged, encrypted, macro-enabled
        Case("truncated.xlsx", "rejected", {"FILE_DAMAGED"}, _truncated),
        Case("missing part.xlsx", "rejected", {"FILE_DAMAGED"}, _zip_edit(lambda n, d: None if n == "xl/workbook.xml" else d)),
        Case("password.xlsx", "rejected", {"FILE_ENCRYPTED"}, _encrypted),
        Case("with macros.xlsm", "accepted", {"MACROS_IGNORED"},
             _zip_edit(lambda n, d: d, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 macros, never run"})),
        # bombs and entities
        Case("zip bomb.xlsx", "rejected", {"FILE_TOO_LARGE"}, _bomb),
        Case("entity bomb in shared strings.xlsx", "rejected", {"FILE_HOSTILE_XML"}, _part("xl/sharedStrings.xml", BILLION_LAUGHS)),
        Case("entity bomb in a sheet.xlsx", "rejected", {"FILE_HOSTILE_XML"}, _part("xl/worksheets/sheet3.xml", BILLION_LAUGHS)),
        Case("entity bomb in properties.xlsx", "rejected", {"FILE_HOSTILE_XML"}, _part("docProps/core.xml", BILLION_LAUGHS)),
        Case("external entity.xlsx", "rejected", {"FILE_HOSTILE_XML"}, _part("xl/workbook.xml", XXE)),
        # structure changed
        Case("row deleted.xlsx", "errors", {"ANSWER_CELL_DELETED", "STRUCTURE_MOVED", "PROTECTION_REMOVED"}, _openpyxl(_delete_row)),
        Case("sheet renamed.xlsx", "accepted", {"SHEET_RENAMED"}, _openpyxl(_rename_sheet)),
        Case("sheet hidden.xlsx", "accepted", {"SHEET_HIDDEN"}, _openpyxl(_hide)),
        Case("sheet deleted.xlsx", "errors", {"SHEET_MISSING"}, _openpyxl(_drop_sheet)),
        Case("sheets reordered.xlsx", "accepted", set(), _openpyxl(_reorder)),
        Case("metadata copied.xlsx", "held", {"IDENTITY_MISMATCH"}, _openpyxl(_copy_metadata(other_good))),
        Case("metadata forged.xlsx", "rejected", {"METADATA_EDITED"}, _openpyxl(_forge)),
        # values
        Case("formula in an answer.xlsx", "accepted", {"FORMULA_IN_INPUT"}, _openpyxl(_formula)),
        Case("very long text.xlsx", "errors", {"TOO_LONG"}, _openpyxl(_set({"info_name": "Partnership " * 500}))),
        Case("every script.xlsx", "accepted", set(), _openpyxl(_set({"info_purpose": SCRIPTS})), {"info_purpose": SCRIPTS}),
        Case("leading symbols.xlsx", "accepted", set(), _openpyxl(_set(LEADING)), LEADING),
        Case("before 1900.xlsx", "errors", {"OUT_OF_RANGE"}, _openpyxl(_set({"info_date_formed": "01/01/1899"}))),
        Case("1904 dates.xlsx", "accepted", set(), _openpyxl(_epoch_1904),
             {"info_date_formed": dt.date(2015, 6, 1), "info_review_date": dt.date(2027, 2, 25)}),
        Case("numbers as text.xlsx", "accepted", set(), _openpyxl(_set({"info_council_funding": "12500",
                                                                        "assessment_features_trust_score": "3"})),
             {"info_council_funding": 12500.0, "assessment_features_trust_score": 3}),
        Case("merged over an answer.xlsx", "errors", {"MISSING"}, _openpyxl(_merge_over_input)),
        Case("error value.xlsx", "errors", {"ERROR_VALUE"}, _openpyxl(_error_value)),
        # the same, twice; lies; vanishing
        Case("same return again.xlsx", "accepted", {"SAME_FILE_TWICE"}, lambda good, target: shutil.copyfile(good, target)),
        Case("P005 misnamed.xlsx", "held", {"FILENAME_MISMATCH"}, lambda good, target: shutil.copyfile(other_good, target)),
        Case("vanished.xlsx", "rejected", {"FILE_UNREADABLE"}, lambda good, target: os.symlink(target.parent / "gone", target)),
        Case("~$lock file.xlsx", "skipped", {"FILE_SKIPPED"}, _bytes(b"\x00" * 165)),
    ]


def build(folder: Path, good: Path, other_good: Path) -> list[Case]:
    folder.mkdir(parents=True, exist_ok=True)
    built = cases(other_good)
    for case in built:
        assert case.build is not None
        case.build(good, folder / case.name)
    return built


def damaged(data: bytes, seed: int) -> bytes:
    """A return with a few bytes changed, cut or repeated, as a flaky disk or mail gateway does."""
    import random

    rnd = random.Random(seed)
    buffer = bytearray(data)
    for _ in range(rnd.randint(1, 8)):
        kind, at = rnd.choice(("flip", "cut", "repeat")), rnd.randrange(len(buffer))
        if kind == "flip":
            buffer[at] ^= 1 << rnd.randrange(8)
        elif kind == "cut":
            del buffer[at: at + rnd.randint(1, 512)]
        else:
            buffer[at:at] = buffer[at: at + rnd.randint(1, 512)]
    return bytes(buffer)


__all__ = ["Case", "build", "cases", "damaged", "io"]
