"""Names partxl did not choose reach the MIO's terminal and the officers' mail as text, never as control (issue 16).

A returned file may be named with a line break and an escape sequence (any Linux share allows it); a cell may
hold ``_x001B_``, which Excel and calamine read as the escape character, so a partnership name from a return
or a register can carry one too. ``partxl chase`` must still write well-formed reminders (no header of the
sender's making, the attachment's name on one line), and every text output shows such characters as their
escapes (``\\x1b``), while ``--json`` keeps them exact.
"""

from __future__ import annotations

import json
import shutil
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import openpyxl
import pytest

from .conftest import REPO, SAMPLE_REGISTER, run_cli

AS_OF = "2027-07-12"  # after the deadline: the samples' officers have something to send or correct
NEWLINE_NAME = "P002 return\nBcc: everyone@council.example\n\x1b[2J.xlsx"  # P002's return has errors: it is attached
RED_NAME = "Wexbridge \x1b[31mRed\x1b[0m Forum"  # P005 sent nothing: its name comes from the register


@pytest.fixture(scope="module")
def cycle(tmp_path_factory) -> Path:
    """The sample returns with P002's renamed, last cycle's register with P005's name painted red, and the workbooks
    issued from that register (P005's is attached to its reminder)."""
    folder = tmp_path_factory.mktemp("names")
    shutil.copytree(REPO / "samples" / "returns", folder / "returns")
    (folder / "returns" / "P002 return.xlsx").rename(folder / "returns" / NEWLINE_NAME)
    book = openpyxl.load_workbook(SAMPLE_REGISTER)
    sheet = book["Register"]
    column = [c.value for c in sheet[1]].index("Partnership name")
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "P005")
    row[column].value = RED_NAME.replace("\x1b", "_x001B_")  # as Excel writes the escape character in a cell
    book.save(folder / "register.xlsx")
    code, _, err = run_cli("generate", "--register", str(folder / "register.xlsx"), "--out", str(folder / "workbooks"))
    assert code == 0, err
    return folder


def _cycle_args(folder: Path) -> list[str]:
    return [str(folder / "returns"), "--out", str(folder / "out"), "--previous", str(folder / "register.xlsx"), "--as-of", AS_OF]


def _no_control(text: str) -> None:
    bad = [ch for ch in text if (ord(ch) < 32 and ch != "\n") or 0x7f <= ord(ch) <= 0x9f]
    assert not bad, f"control characters reached the terminal: {bad!r}"


def test_status_shows_a_painted_name_as_its_escapes_and_json_keeps_it_exact(cycle: Path):
    code, out, err = run_cli("status", *_cycle_args(cycle))
    assert code == 1, err
    _no_control(out + err)
    assert "P005       Wexbridge \\x1b[31mRed\\x1b[0m Forum" in out
    code, out, _ = run_cli("status", *_cycle_args(cycle), "--json")
    _no_control(out)
    names = {p["id"]: p for o in json.loads(out)["officers"] for p in o["partnerships"]}
    assert names["P005"]["name"] == RED_NAME
    assert names["P002"]["newest"] == NEWLINE_NAME and names["P002"]["state"] == "with errors"


def test_check_names_the_file_on_one_line(cycle: Path):
    code, out, err = run_cli("check", str(cycle / "returns" / NEWLINE_NAME), "--as-of", AS_OF)
    assert code == 1
    _no_control(out + err)
    assert out.splitlines()[0].startswith("P002 return\\nBcc: everyone@council.example\\n\\x1b[2J.xlsx")


def _messages(folder: Path) -> dict[str, EmailMessage]:
    parser = BytesParser(policy=policy.default)
    return {p.stem: parser.parsebytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))}  # type: ignore[misc]


def test_chase_writes_well_formed_reminders_whatever_the_names(cycle: Path, tmp_path: Path):
    code, out, err = run_cli("chase", *_cycle_args(cycle), "--to", str(tmp_path / "mail"), "--workbooks", str(cycle / "workbooks"))
    assert code == 0, err
    _no_control(out + err)
    messages = _messages(tmp_path / "mail")
    assert {"Harpreet Kaur", "Isobel Carter"} <= set(messages)
    for name, message in messages.items():
        assert message.defects == [] and list(message.keys()) == ["From", "To", "Subject", "Date", "Message-ID", "X-Unsent",
                                                                    "MIME-Version", "Content-Type"], name
        assert "Bcc" not in message and len(message["To"].addresses) == 1
        for part in message.walk():
            for header, value in part.items():
                assert "\n" not in value and "\r" not in value and "\x1b" not in value, (name, header)
    harpreet = messages["Harpreet Kaur"]
    attached = {a.get_filename(): a.get_content() for a in harpreet.iter_attachments()}
    returned = (cycle / "returns" / NEWLINE_NAME).read_bytes()
    name, = (n for n, data in attached.items() if data == returned)
    assert name.startswith("P002 return") and name.endswith(".xlsx")
    body = harpreet.get_body(preferencelist=("plain",)).get_content()
    _no_control(body)
    assert "(P002 return\\nBcc: everyone@council.example\\n\\x1b[2J.xlsx, attached)" in body
    assert not any(line.startswith("Bcc:") for line in body.splitlines())
    isobel = messages["Isobel Carter"].get_body(preferencelist=("plain",)).get_content()
    _no_control(isobel)
    assert "P005 Wexbridge \\x1b[31mRed\\x1b[0m Forum: your workbook is attached." in isobel


def test_chase_json_keeps_the_file_name_exact(cycle: Path, tmp_path: Path):
    code, out, err = run_cli("chase", *_cycle_args(cycle), "--to", str(tmp_path / "mail"), "--workbooks", str(cycle / "workbooks"),
                             "--json")
    assert code == 0, err
    _no_control(out)
    said = json.loads(out)
    assert any(p["newest"] == NEWLINE_NAME for o in said["officers"] for p in o["partnerships"])
