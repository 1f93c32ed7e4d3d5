"""What makes each finding happen: returns, registers and form definitions as officers and MIOs get them wrong.

Helpers for tests/test_finding_codes.py. Every return starts from a workbook partxl generated and
is changed with openpyxl (or by rewriting its zip package), finding cells through the workbook's
own defined names as tests/returns.py does; every register starts from samples/register.xlsx.
Nothing here imports partxl's internals: cases go through the public API only.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

from . import returns

REPO = Path(__file__).resolve().parent.parent
SAMPLE_REGISTER = REPO / "samples" / "register.xlsx"
TEMPLATES = REPO / "workbook_templates"
AS_OF = dt.date(2027, 4, 19)

Names = dict[str, tuple[str, str]]  # defined name -> (sheet, A1), as openpyxl reads it
Change = Callable[[openpyxl.Workbook, Names], None]


# ------------------------------------------------------------------ returns


def edit(src: Path, target: Path, typed: dict[str, Any] | None = None, *changes: Change) -> Path:
    """Save a copy of ``src`` at ``target`` with ``typed`` answers (cell name -> value; None clears) and ``changes``."""
    book = openpyxl.load_workbook(src)
    located = returns.names(src)
    for name, value in (typed or {}).items():
        sheet, address = located[name]
        book[sheet][address].value = value
        if isinstance(value, str):
            book[sheet][address].data_type = "s"  # text as typed, even when it starts with '='
    for change in changes:
        change(book, located)
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    return target


def unprotect(sheet: str) -> Change:
    def change(book: openpyxl.Workbook, names: Names) -> None:
        book[sheet].protection.sheet = False
    return change


def hide(sheet: str) -> Change:
    def change(book: openpyxl.Workbook, names: Names) -> None:
        book[sheet].sheet_state = "hidden"
    return change


def rename(sheet: str, new: str) -> Change:
    """Rename a sheet as Excel does: the defined names follow it."""
    def change(book: openpyxl.Workbook, names: Names) -> None:
        book[sheet].title = new
        for name, (on, address) in names.items():
            if on == sheet:
                book.defined_names[name].attr_text = f"'{new}'!{_absolute(address)}"
    return change


def drop(sheet: str) -> Change:
    """Delete a sheet as Excel does: the names on it go too."""
    def change(book: openpyxl.Workbook, names: Names) -> None:
        del book[sheet]
        for name, (on, _address) in names.items():
            if on == sheet:
                del book.defined_names[name]
    return change


def insert_rows(sheet: str, count: int) -> Change:
    """Unprotect ``sheet`` and insert ``count`` rows at its top, moving the names as Excel does."""
    def change(book: openpyxl.Workbook, names: Names) -> None:
        book[sheet].protection.sheet = False
        book[sheet].insert_rows(1, count)
        for name, (on, address) in names.items():
            if on == sheet:
                column, row = _split(address)
                book.defined_names[name].attr_text = f"'{sheet}'!{_absolute(f'{column}{row + count}')}"
    return change


def delete_row_of(cell_name: str) -> Change:
    """Unprotect the sheet and delete the row of ``cell_name``: its name becomes #REF!, the names below move up."""
    def change(book: openpyxl.Workbook, names: Names) -> None:
        sheet, address = names[cell_name]
        gone = _split(address)[1]
        book[sheet].protection.sheet = False
        book[sheet].delete_rows(gone)
        for name, (on, where) in names.items():
            if on != sheet:
                continue
            column, row = _split(where)
            if row == gone:
                book.defined_names[name].attr_text = "#REF!"
            elif row > gone:
                book.defined_names[name].attr_text = f"'{sheet}'!{_absolute(f'{column}{row - 1}')}"
    return change


def forget_name(cell_name: str) -> Change:
    """The defined name of one answer cell deleted (Name Manager), the cell itself left where it was."""
    def change(book: openpyxl.Workbook, names: Names) -> None:
        del book.defined_names[cell_name]
    return change


def error_value(cell_name: str, error: str) -> Change:
    def change(book: openpyxl.Workbook, names: Names) -> None:
        sheet, address = names[cell_name]
        book[sheet][address].value = error
        book[sheet][address].data_type = "e"
    return change


def formula(cell_name: str, text: str) -> Change:
    def change(book: openpyxl.Workbook, names: Names) -> None:
        sheet, address = names[cell_name]
        book[sheet][address].value = text
    return change


def metadata(**values: str) -> Change:
    """Overwrite entries of the hidden issue details (the _partxl sheet: key in column A, value in B)."""
    def change(book: openpyxl.Workbook, names: Names) -> None:
        rows = {r[0].value: r[1] for r in book["_partxl"].iter_rows(min_row=2, max_col=2) if r[0].value}
        for key, value in values.items():
            rows[key].value = value
    return change


def metadata_of(other: Path) -> Change:
    """The hidden issue details copied over from another partnership's workbook, signature and all."""
    def change(book: openpyxl.Workbook, names: Names) -> None:
        theirs = openpyxl.load_workbook(other)["_partxl"]
        for row in theirs.iter_rows(max_col=2):
            for cell in row:
                book["_partxl"][cell.coordinate].value = cell.value
    return change


def zip_copy(src: Path, target: Path, change: Callable[[str, bytes], bytes | None] = lambda name, data: data,
             extra: dict[str, bytes] | None = None) -> Path:
    """Copy the package of ``src`` part by part, changing (or, returning None, dropping) parts and adding ``extra``."""
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info))
            if data is not None:
                new.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            new.writestr(name, data)
    return target


def saved_at(path: Path, when: dt.datetime) -> Path:
    """Stamp the workbook as last saved at ``when`` (openpyxl stamps the moment of saving, to the second), and as arrived
    in the folder then (its modification time), as a file saved and sent at that moment does."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    pattern = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
    staged = path.with_name(path.name + ".tmp")
    path.rename(staged)
    zip_copy(staged, path, lambda name, data: pattern.sub(rb"\g<1>" + stamp + rb"\g<2>", data) if name == "docProps/core.xml" else data)
    staged.unlink()
    arrived = when.replace(tzinfo=dt.UTC).timestamp()
    os.utime(path, (arrived, arrived))
    return path


def one_by_one(folder: Path, start: dt.datetime = dt.datetime(2027, 4, 16, 9, 0)) -> Path:
    """Every file in ``folder`` arrived on its own, two seconds after the one before (in name order), as an inbox saved
    one message at a time leaves them: returns that arrive together are held for the MIO, which a corpus of variants
    of one partnership is not about."""
    for n, path in enumerate(sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())):
        stamp = (start + dt.timedelta(seconds=2 * n)).replace(tzinfo=dt.UTC).timestamp()
        os.utime(path, (stamp, stamp))
    return folder


def huge_part(size: int) -> Callable[[Path, Path], Path]:
    """A real workbook carrying one extra part of ``size`` zero bytes (a few hundred KB once deflated)."""
    def build(src: Path, target: Path) -> Path:
        shutil.copyfile(src, target)
        with zipfile.ZipFile(target, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as package, \
                package.open("xl/media/image1.bin", "w") as part:
            block = bytes(1 << 20)
            for _ in range(size >> 20):
                part.write(block)
        return target
    return build


def encrypted(src: Path, target: Path, password: str = "Wexbridge2026") -> Path:
    """The workbook saved with "Encrypt with password", as Excel does it (an OLE container around the package)."""
    import msoffcrypto.format.ooxml

    with open(src, "rb") as plain, open(target, "wb") as out:
        msoffcrypto.format.ooxml.OOXMLFile(plain).encrypt(password, out)
    return target


ENTITY_BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>'
               b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">'
               b'<cp:keywords>&lol2;</cp:keywords></cp:coreProperties>')


def _split(address: str) -> tuple[str, int]:
    letters = "".join(ch for ch in address if ch.isalpha())
    return letters, int(address[len(letters):])


def _absolute(address: str) -> str:
    column, row = _split(address)
    return f"${column}${row}"


# ------------------------------------------------------------------ registers


class Register:
    """samples/register.xlsx opened with openpyxl, for changing rows by partnership and column heading."""

    def __init__(self, path: Path = SAMPLE_REGISTER):
        self.book = openpyxl.load_workbook(path)

    def headings(self, sheet: str) -> list[str]:
        return [c.value for c in self.book[sheet][1]]

    def row_of(self, sheet: str, pid: str, nth: int = 0) -> int:
        rows = [r[0].row for r in self.book[sheet].iter_rows(min_row=2) if r[0].value == pid]
        return rows[nth]

    def set(self, sheet: str, pid: str, heading: str, value: Any, nth: int = 0) -> None:
        self.book[sheet].cell(self.row_of(sheet, pid, nth), self.headings(sheet).index(heading) + 1, value)

    def append(self, sheet: str, values: dict[str, Any]) -> int:
        """A new row after the sheet's last, filled by heading; returns its row number."""
        heads = self.headings(sheet)
        row = self.book[sheet].max_row + 1
        for heading, value in values.items():
            self.book[sheet].cell(row, heads.index(heading) + 1, value)
        return row

    def row_values(self, sheet: str, pid: str) -> dict[str, Any]:
        row = self.row_of(sheet, pid)
        return {h: c.value for h, c in zip(self.headings(sheet), self.book[sheet][row], strict=False)}

    def remove(self, sheet: str, pid: str) -> None:
        """Every row of ``pid`` on ``sheet`` deleted, the rows below moving up."""
        for row in sorted((r[0].row for r in self.book[sheet].iter_rows(min_row=2) if r[0].value == pid), reverse=True):
            self.book[sheet].delete_rows(row)

    def forget(self, pid: str) -> None:
        """A partnership the register has never heard of: gone from every sheet."""
        for sheet in self.book.sheetnames:
            if self.book[sheet].cell(1, 1).value == "Partnership ID":
                self.remove(sheet, pid)

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.book.save(path)
        return path


# ------------------------------------------------------------------ form definitions

NEW_QUESTION = ("      - id: website\n        label: Partnership website\n        type: text\n        required: true\n"
                "        help: Its web address.\n      - id: comments\n")
NEW_FORM = """id: audit
version: 1
title: Audit follow-up
sheet: Audit
source: Internal Audit
intro: Say how the last audit's recommendations were dealt with.
sections:
  - title: Recommendations
    fields:
      - id: owner
        label: Who follows up the partnership's audit recommendations?
        type: text
        help: Name and role.
"""


def next_years_templates(folder: Path, info_version: int) -> Path:
    """The definitions as the council will have them next cycle: a question added to the information form
    (so its version goes up by one from ``info_version``), and a new Audit follow-up form in the annual workbook."""
    shutil.copytree(TEMPLATES, folder)
    info = folder / "info.yaml"
    text = info.read_text()
    assert f"version: {info_version}\n" in text and "      - id: comments\n" in text
    info.write_text(text.replace(f"version: {info_version}\n", f"version: {info_version + 1}\n", 1)
                    .replace("      - id: comments\n", NEW_QUESTION, 1))
    (folder / "audit.yaml").write_text(NEW_FORM)
    books = folder / "workbook.yaml"
    old = "forms: [info, significance, risk, assessment, agreement, evaluation]"
    assert old in books.read_text()
    books.write_text(books.read_text().replace(old, "forms: [info, significance, risk, assessment, agreement, evaluation, audit]"))
    return folder


def config_file(path: Path, integrity_key: str, *, templates: Path | None = None,
                cycle: tuple[str, dt.date, dt.date] | None = None, policy: str = "") -> Path:
    """A partxl.toml that differs from the defaults only where asked (the same signing key as the samples');
    ``policy`` is more of its [policy] section, as TOML lines."""
    lines = [f'[integrity]\nkey = "{integrity_key}"\nsample = true']
    if policy:
        lines.append(f"[policy]\n{policy}")
    if templates is not None:
        lines.append(f'[paths]\ntemplates = "{templates}"')
    if cycle is not None:
        name, issued, deadline = cycle
        lines.append(f'[cycle]\nname = "{name}"\nissue_date = {issued.isoformat()}\ndeadline = {deadline.isoformat()}')
    path.write_text("\n".join(lines) + "\n")
    return path
