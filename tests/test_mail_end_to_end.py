"""End to end (issue 15): returns typed in LibreOffice, e-mailed, and consolidated from the messages give the same
register as the same returns saved as files.

The planted returns of the consolidate tests (tests/returns.py: good ones, ones with mistakes, a corrected resend, a
workbook with edited issue details, a proposal) are typed into the issued workbooks by a real LibreOffice Calc and
saved as .xlsx. Then they reach the MIO two ways: saved as files into one folder; and attached to messages built
with the standard library's ``email`` package as Outlook and Thunderbird write them (multipart/mixed, base64
attachments; Outlook's RFC 2047 names, Thunderbird's RFC 2231 names with a non-ASCII dash), saved as .eml files,
kept in a Thunderbird mailbox (.mbox) and sent as a .zip, into another. Both folders are consolidated: the registers
hold the same answers and statuses, and each return has the same findings, wherever it came from.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import io
import os
from pathlib import Path

import openpyxl
import pytest

import partxl

from . import mail_cases as cases
from . import returns
from .conftest import SAMPLE_REGISTER

pytestmark = pytest.mark.libreoffice

AS_OF = dt.date(2027, 4, 19)
FIRST = dt.datetime(2027, 4, 12, 6, 0, tzinfo=dt.UTC)  # the first message; one an hour after it
HOUSING = "housing.admin@wexbridge-dc.example"
RENAMED = {"P019 return": "P019 Wexbridge Credit Union – Savings"}  # an officer's own name for the file, with an en dash
# what says where and when a return came: the file, or the attachment of a message; the day it was saved, or received
VARY = ("Source file", "Latest return")


@pytest.fixture(scope="module")
def typed(generated: Path, config, tmp_path_factory) -> dict[str, bytes]:
    """Every planted return and the proposal, typed in LibreOffice and saved as .xlsx: file name -> bytes."""
    base = tmp_path_factory.mktemp("typed")
    items = returns.plan() + [returns.proposal(config)]
    paths = returns.fill_with_libreoffice(items, generated, base / "saved", "xlsx", base)
    return {RENAMED.get(p.stem, p.stem) + ".xlsx": p.read_bytes() for p in paths}


def _date(hours: int) -> str:
    return email.utils.format_datetime(FIRST + dt.timedelta(hours=hours))


def _officer(data: bytes) -> str:
    """The address the workbook was issued to (its issue details): the officer sends their own return."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return next((str(r[1]) for r in book["_partxl"].iter_rows(values_only=True) if r and r[0] == "issued_to_email"), "")


def _as_received(message, hours: int):
    message.replace_header("Received", cases.RECEIVED.rsplit(";", 1)[0] + "; " + _date(hours))
    return message


@pytest.fixture(scope="module")
def both(typed: dict[str, bytes], tmp_path_factory) -> tuple[Path, Path, partxl.ConsolidateResult, partxl.ConsolidateResult]:
    base = tmp_path_factory.mktemp("e2e")
    files, mail = base / "files", base / "mail"
    files.mkdir()
    mail.mkdir()
    for name, data in typed.items():
        (files / name).write_bytes(data)
    names = list(typed)  # in the order typed: P015's first go before its correction, as their saved times are
    in_outlook, in_zip, in_mailbox = names[0::3], names[1::3], names[2::3]  # P019, with its en dash, in the mailbox
    for hours, name in enumerate(in_outlook):  # one saved Outlook message each
        message = cases.outlook(f"RE: Partnership return - {name[:4]}", [(name, typed[name])], date=_date(hours),
                                sender=_officer(typed[name]))
        cases.write(_as_received(message, hours), mail / f"RE Partnership return {hours + 1}.eml")
    (mail / "Inbox").write_bytes(cases.mbox_bytes(  # a Thunderbird folder file, as it is on disk: no suffix
        [cases.thunderbird(f"Return {name[:4]}", [(name, typed[name])], date=_date(hours), sender=_officer(typed[name]))
         for hours, name in enumerate(in_mailbox)]))
    zipped = cases.zipped([(name, typed[name]) for name in in_zip])
    cases.write(cases.thunderbird("Returns from the Housing team", [("returns.zip", zipped)], date=_date(len(names)),
                                  sender=HOUSING), mail / "Housing returns.eml")  # a team's admin sends its officers' returns
    # each file saved into the folder when its message came: returns are ordered by when they arrived, either way
    came = {**{n: k for k, n in enumerate(in_outlook)}, **{n: k for k, n in enumerate(in_mailbox)}, **dict.fromkeys(in_zip, len(names))}
    for name, hours in came.items():
        stamp = (FIRST + dt.timedelta(hours=hours)).timestamp()
        os.utime(files / name, (stamp, stamp))
    ws = partxl.Workspace.load()
    plain = ws.consolidate(files, out=base / "out-files", previous=SAMPLE_REGISTER, as_of=AS_OF)
    mailed = ws.consolidate(mail, out=base / "out-mail", previous=SAMPLE_REGISTER, as_of=AS_OF)
    return base / "out-files", base / "out-mail", plain, mailed


def _sheets(register: Path) -> dict[str, list[tuple]]:
    """Every sheet of a register, the column that names the source file left out."""
    book = openpyxl.load_workbook(register, read_only=True, data_only=True)
    sheets = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        header = rows[0] if rows else ()
        keep = [i for i, heading in enumerate(header) if heading not in VARY]
        sheets[sheet.title] = [tuple(row[i] if i < len(row) else None for i in keep) for row in rows]
    return sheets


def test_the_returns_come_out_of_every_kind_of_container(both, typed):
    _, _, plain, mailed = both
    assert len(plain.files) == len(mailed.files) == len(typed)
    kinds = {f.path.split(" of ")[0].split(" in the ")[0] for f in mailed.files}
    assert all(k.startswith(("attachment '", "'")) for k in kinds)
    named = [f.path for f in mailed.files]
    assert any("'P019 Wexbridge Credit Union – Savings.xlsx'" in p and "(message " in p and "in 'Inbox'" in p for p in named)
    assert any(" in the archive 'returns.zip', attached to the message 'Returns from the Housing team'" in p for p in named)
    assert any(p.endswith("in 'RE Partnership return 1.eml'") for p in named)


def test_the_register_is_the_same_as_from_the_files(both):
    out_files, out_mail, plain, mailed = both
    assert _sheets(out_mail / "register.xlsx") == _sheets(out_files / "register.xlsx")
    returned = {r.latest_return for r in mailed.records if r.returned}
    assert returned and returned <= {FIRST.date()}  # the day each message was received: none later than the first day
    statuses = {(r.id, r.status, r.state) for r in plain.records}
    assert {(r.id, r.status, r.state) for r in mailed.records} == statuses
    assert sorted(str(f.outcome) for f in mailed.files) == sorted(str(f.outcome) for f in plain.files)


def test_each_return_has_the_same_findings_wherever_it_came_from(both):
    _, _, plain, mailed = both

    def findings(result: partxl.ConsolidateResult) -> list[tuple]:
        return sorted((f.code, f.partnership, f.sheet, f.cell, f.field) for f in result.findings)

    sent_by_others = [f for f in mailed.findings if f.code == "RETURN_SENT_BY_OTHER"]
    assert findings(mailed) == sorted(findings(plain) + findings(partxl.ConsolidateResult([], sent_by_others, [], [], {})))
    zipped = {f.partnership for f in mailed.files if " in the archive 'returns.zip'" in f.path and f.partnership}
    assert zipped and {f.partnership for f in sent_by_others} == zipped
    assert all(HOUSING in f.message and f.severity == "warning" for f in sent_by_others)
    outcomes = {f.partnership or f.path: str(f.outcome) for f in plain.files if f.partnership}
    assert {f.partnership: str(f.outcome) for f in mailed.files if f.partnership} == outcomes
