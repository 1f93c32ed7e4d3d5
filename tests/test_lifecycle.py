"""The lifecycle of returns, end to end through the command line: the register, the report, the summary,
status and chase agree with it and with each other (the numbered scenarios of the register-truth issue).

A cycle as an MIO's inbox leaves it: a workbook filled in with another partnership's answers and renamed
after it, a good return followed by a resend with a mistake, a return with a mistake followed by its
correction, and a return with a mistake and nothing since.
"""

from __future__ import annotations

import datetime as dt
import json
from email import policy
from email.parser import BytesParser
from pathlib import Path

import openpyxl
import pytest

from partxl.forms.definitions import load_spec
from partxl.forms.layout import layout_form

from . import finding_cases as fc
from .conftest import SAMPLE_REGISTER, run_cli

AS_OF = "2027-07-12"  # after the deadline: whoever still owes a return is late
CORRECT = {"info_review_date": dt.date(2027, 2, 25), "info_reviewed_by": "Fiona Grant, Head of Corporate Services"}
MONDAY = dt.datetime(2027, 6, 7, 9, 0)


def _register(out: Path) -> dict[str, dict]:
    rows = list(openpyxl.load_workbook(out / "register.xlsx", read_only=True)["Register"].iter_rows(values_only=True))
    return {r[0]: dict(zip(rows[0], r, strict=False)) for r in rows[1:] if r[0]}


def _sheet(path: Path, name: str, header_row: int = 1) -> list[dict]:
    rows = list(openpyxl.load_workbook(path, read_only=True, data_only=True)[name].iter_rows(values_only=True))
    header = rows[header_row - 1]
    return [dict(zip(header, r, strict=False)) for r in rows[header_row:] if any(v is not None for v in r)]


@pytest.fixture(scope="module")
def cycle(generated: Path, tmp_path_factory) -> tuple[Path, Path, Path]:
    """(returns folder, consolidate's output folder, reminders folder) after consolidating, chasing and checking status."""
    base = tmp_path_factory.mktemp("lifecycle")
    folder = base / "returns"

    def fill(pid: str, name: str, typed: dict, when: dt.datetime) -> Path:
        source = next(generated.glob(f"{pid} *.xlsx"))
        return fc.saved_at(fc.edit(source, folder / name, {**CORRECT, **typed}), when)

    p002 = openpyxl.load_workbook(next(generated.glob("P002 *.xlsx")))
    p002_name = p002["Information"]["B5"].value  # the name pre-filled for P002
    fill("P002", "P002 return.xlsx", {"info_exit_strategy": "No"}, MONDAY)  # the genuine return (no exit strategy: waivable)
    fill("P001", "P002 Health and Wellbeing Board.xlsx", {"info_name": p002_name, "info_council_funding": 1},  # 1. wrong workbook
         MONDAY + dt.timedelta(days=1))
    fill("P003", "P003 return.xlsx", {"info_meetings": "County Hall, quarterly"}, MONDAY)  # 4. good, then a bad resend
    fill("P003", "P003 resend.xlsx", {"info_council_funding": "lots"}, MONDAY + dt.timedelta(days=2))
    fill("P004", "P004 return.xlsx", {"info_council_funding": "lots"}, MONDAY)  # 3. bad, then corrected
    fill("P004", "P004 corrected.xlsx", {"info_meetings": "Online, monthly"}, MONDAY + dt.timedelta(days=3))
    fill("P006", "P006 return.xlsx", {"info_council_funding": "lots"}, MONDAY)  # 2. bad, nothing since
    out = base / "out"
    code, _, err = run_cli("consolidate", str(folder), "--out", str(out), "--previous", str(SAMPLE_REGISTER), "--as-of", AS_OF)
    assert code == 1, err
    mail = base / "mail"
    code, _, err = run_cli("chase", str(folder), "--out", str(out), "--previous", str(SAMPLE_REGISTER), "--as-of", AS_OF,
                           "--to", str(mail), "--workbooks", str(generated))
    assert code == 0, err
    return folder, out, mail


@pytest.fixture(scope="module")
def status(cycle) -> dict[str, str]:
    folder, out, _ = cycle
    code, printed, err = run_cli("status", str(folder), "--out", str(out), "--previous", str(SAMPLE_REGISTER), "--as-of", AS_OF,
                                 "--json")
    assert code == 1, err
    return {p["id"]: p["state"] for o in json.loads(printed)["officers"] for p in o["partnerships"]}


def _files(out: Path) -> dict[str, str]:
    return {r["File"]: r["Outcome"] for r in _sheet(out / "validation_report.xlsx", "Files")}


def _mail_to(mail: Path, generated: Path, pid: str) -> str:
    officer = openpyxl.load_workbook(next(generated.glob(f"{pid} *.xlsx")))["_partxl"]
    meta = {r[0].value: r[1].value for r in officer.iter_rows(min_row=2)}
    message = BytesParser(policy=policy.default).parsebytes((mail / f"{meta['issued_to']}.eml").read_bytes())
    attached = " ".join(a.get_filename() for a in message.iter_attachments())
    return message.get_body(preferencelist=("plain",)).get_content() + "\nATTACHED: " + attached


def test_a_workbook_filled_with_another_partnerships_answers_is_held(cycle, status, generated: Path):
    folder, out, mail = cycle
    register = _register(out)
    assert _files(out)["P002 Health and Wellbeing Board.xlsx"].startswith("Held")
    previous = _register_of(SAMPLE_REGISTER)
    assert register["P002"]["Source file"] == "P002 return.xlsx"  # the genuine return stands
    assert register["P002"]["Partnership name"] == previous["P002"]["Partnership name"]
    assert register["P001"]["Returned"] == "Held: identity to confirm: last year's data"  # P001 is not returned
    assert register["P001"]["Partnership name"] == previous["P001"]["Partnership name"]
    assert register["P001"]["Council funding (£ a year)"] == previous["P001"]["Council funding (£ a year)"]
    assert status["P001"] == "held" and status["P002"] == "returned"
    body = _mail_to(mail, generated, "P001")
    assert "held until I can confirm" in body and "P002 Health and Wellbeing Board.xlsx" in body
    code, printed, _ = run_cli("check", str(folder / "P002 Health and Wellbeing Board.xlsx"), "--as-of", AS_OF)
    assert code == 1 and "held" in printed and "ready to send" not in printed


def test_a_resend_with_an_error_keeps_the_last_good_answers_and_is_chased(cycle, status, generated: Path):
    _, out, mail = cycle
    register, files = _register(out), _files(out)
    assert register["P003"]["Returned"] == "Returned with errors (1)"  # this cycle's answers: no "last year's" mark
    assert register["P003"]["Source file"] == "P003 return.xlsx" and register["P003"]["Meetings"] == "County Hall, quarterly"
    assert files["P003 return.xlsx"] == "Accepted" and files["P003 resend.xlsx"] == "Not accepted: has errors"
    assert status["P003"] == "with errors"
    body = _mail_to(mail, generated, "P003")
    funding = layout_form(load_spec().form("info")).by_name["info_council_funding"].a1
    assert "P003 resend.xlsx" in body and f"Information!{funding}" in body  # the resend's problem, to the cell


def test_a_corrected_return_supersedes_the_one_with_errors(cycle, status):
    _, out, _ = cycle
    register, files = _register(out), _files(out)
    assert files["P004 return.xlsx"] == "Replaced by a newer return" and files["P004 corrected.xlsx"] == "Accepted"
    assert register["P004"]["Returned"] == "Returned" and register["P004"]["Meetings"] == "Online, monthly"
    assert status["P004"] == "returned"  # saved before the deadline
    summary = {r[0]: r[1] for r in _sheet(out / "validation_report.xlsx", "Summary", 4) for r in [list(r.values())] if r[0]}
    assert summary["Returns not accepted (errors to correct)"] == 2  # P003's resend and P006: not P004's first go


def test_a_return_with_errors_says_so_and_shows_last_years_answers_as_such(cycle, status):
    _, out, _ = cycle
    assert _register(out)["P006"]["Returned"] == "Returned with errors (1): last year's data"
    assert status["P006"] == "with errors"
    shown = {r["ID"]: r for r in _sheet(out / "committee_summary.xlsx", "Partnerships", 4)}
    assert shown["P006"]["Partnership"].endswith("(last year's answers)")  # marked on every summary sheet that shows it
    assert not shown["P002"]["Partnership"].endswith("(last year's answers)")
    assert shown["P006"]["This cycle's return"] == "Returned with errors"


def test_the_summary_counts_every_partnership_that_sent_anything_by_state(cycle):
    _, out, _ = cycle
    overview = {r[0].strip(): r[1] for r in openpyxl.load_workbook(out / "committee_summary.xlsx", data_only=True)["Overview"]
                .iter_rows(min_row=4, max_col=2, values_only=True) if r[0]}
    assert overview["Partnerships that sent a return this cycle"] == 5  # P001 (held), P002, P003, P004, P006
    assert overview["accepted"] == 2  # P002 and P004: P003's newest return has errors
    assert overview["with errors to correct (last good answers shown)"] == 2  # P003 and P006
    assert overview["held until the MIO confirms whose they are"] == 1  # P001


def _register_of(path: Path) -> dict[str, dict]:
    rows = list(openpyxl.load_workbook(path, read_only=True)["Register"].iter_rows(values_only=True))
    return {r[0]: dict(zip(rows[0], r, strict=False)) for r in rows[1:] if r[0]}


def _decide(out: Path, decisions: dict[str, tuple]) -> None:
    """Fill in decisions.xlsx as the MIO does: for each key, (decision, partnership ID, date SMT agreed, reason)."""
    book = openpyxl.load_workbook(out / "decisions.xlsx")
    sheet = book["Decisions"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        values = decisions.get(row[header.index("Key")].value)
        if values:
            for heading, value in zip(("Decision", "Partnership ID", "Date SMT agreed", "Reason"), values, strict=True):
                row[header.index(heading)].value = value
    book.save(out / "decisions.xlsx")


@pytest.fixture(scope="module")
def decided(cycle, tmp_path_factory) -> tuple[Path, dict]:
    """The cycle after the MIO rejected the held return, waived one policy finding, and consolidated again."""
    import shutil

    folder, out, _ = cycle
    again = tmp_path_factory.mktemp("decided") / "out"
    shutil.copytree(out, again)
    rows = _sheet(again / "decisions.xlsx", "Decisions")
    held = next(r for r in rows if r["Question"] == "Held return")
    finding = next(r for r in rows if r["Question"] == "Finding")
    _decide(again, {held["Key"]: ("Reject", None, None, "P002's answers in P001's workbook: asked the officer to resend"),
                    finding["Key"]: ("Waive", None, None, "Works to its terms of reference")})
    corrected = next(r for r in _sheet(again / "validation_report.xlsx", "Files") if r["File"] == "P004 corrected.xlsx")
    book = openpyxl.load_workbook(again / "decisions.xlsx")  # a row the MIO adds: reject an accepted return
    book["Decisions"].append(["File", "P004", "P004 corrected.xlsx", "", "Reject", None, None, "Sent in error by a colleague",
                              None, corrected["SHA-256"]])
    book.save(again / "decisions.xlsx")
    code, printed, err = run_cli("consolidate", str(folder), "--out", str(again), "--previous", str(SAMPLE_REGISTER),
                                 "--as-of", AS_OF, "--json")
    assert code in (0, 1), err
    return again, {"held": held, "finding": finding, "report": json.loads(printed)}


def test_the_mios_decisions_are_recorded_applied_and_shown(decided):
    out, said = decided
    files = _files(out)
    assert files[said["held"]["What"]] == "Rejected: not taken as a return (see its findings)"  # rejected: nobody's return
    assert _register(out)["P001"]["Returned"] == "Not yet returned: last year's data"
    pid, code = said["finding"]["Key"].split("|")
    assert not [f for f in said["report"]["findings"] if (f["partnership"], f["code"]) == (pid, code)]
    issues = _sheet(out / "committee_summary.xlsx", "Compliance", next(
        i + 1 for i, r in enumerate(openpyxl.load_workbook(out / "committee_summary.xlsx")["Compliance"].iter_rows(values_only=True))
        if r[0] == "ID"))
    assert said["finding"]["What"] not in {i["Issue"] for i in issues if i["ID"] == pid}  # waived: no breach
    recorded = {(r["Question"], r["Decision"]) for r in _sheet(out / "validation_report.xlsx", "Decisions")}
    assert {("Held return", "Reject"), ("Finding", "Waive")} <= recorded
    again = {r["Key"]: r for r in _sheet(out / "decisions.xlsx", "Decisions")}
    assert again[said["held"]["Key"]]["Recorded"] and again[said["finding"]["Key"]]["Decision"] == "Waive"
    import sqlite3

    with sqlite3.connect(out / "ledger.sqlite") as db:
        log = db.execute("SELECT kind, choice, who, reason FROM decision_log").fetchall()
    assert ("Held return", "Reject", "Priya Shah", "P002's answers in P001's workbook: asked the officer to resend") in log
    assert any(p.name.startswith("decisions.") for p in (out / "superseded").iterdir())  # the MIO's own copy is kept
    assert files["P004 corrected.xlsx"] == "Rejected: not taken as a return (see its findings)"  # the MIO rejected it
    assert _register(out)["P004"]["Returned"] == "Returned with errors (1): last year's data"


def _issues(summary: Path) -> set[tuple[str, str]]:
    top = next(i + 1 for i, r in enumerate(openpyxl.load_workbook(summary)["Compliance"].iter_rows(values_only=True)) if r[0] == "ID")
    return {(i["ID"], i["Issue"]) for i in _sheet(summary, "Compliance", top) if i["ID"]}


def test_the_summary_of_a_register_alone_knows_the_mios_waivers(decided):
    """`partxl summary REGISTER` reads the waivers from the ledger beside the register, as consolidate's summary did."""
    out, said = decided
    pid = said["finding"]["Key"].split("|")[0]
    waived = (pid, said["finding"]["What"])
    code, _, err = run_cli("summary", str(out / "register.xlsx"), "--out", str(out / "alone.xlsx"), "--as-of", AS_OF)
    assert code == 0, err
    assert _issues(out / "alone.xlsx") == _issues(out / "committee_summary.xlsx") and waived not in _issues(out / "alone.xlsx")
    code, _, err = run_cli("summary", str(out / "register.xlsx"), "--out", str(out / "no ledger.xlsx"), "--as-of", AS_OF,
                           "--ledger", str(out / "nowhere.sqlite"))
    assert code == 0, err
    assert waived in _issues(out / "no ledger.xlsx")  # without the ledger the breach shows: the waiver is what hides it


@pytest.mark.libreoffice
def test_returns_typed_in_libreoffice_follow_the_same_lifecycle(generated: Path, tmp_path: Path):
    """The scenarios about what officers type, typed through Calc's own input handling and saved by it."""
    from . import returns

    p002_name = openpyxl.load_workbook(next(generated.glob("P002 *.xlsx")))["Information"]["B5"].value
    folder = tmp_path / "returns"
    folder.mkdir()
    items = [
        returns.Return("P001", "P002 Health and Wellbeing Board", {**CORRECT, "info_name": p002_name}),  # another's answers
        returns.Return("P003", "P003 return", {**CORRECT, "info_meetings": "County Hall, quarterly"}),
        returns.Return("P003", "P003 resend", {**CORRECT, "info_council_funding": "lots"}, pause=1.5),  # newer, with a mistake
    ]
    returns.fill_with_libreoffice(items, generated, folder, "xlsx", tmp_path)
    out = tmp_path / "out"
    code, _, err = run_cli("consolidate", str(folder), "--out", str(out), "--previous", str(SAMPLE_REGISTER), "--as-of", AS_OF)
    assert code == 1, err
    register, files = _register(out), _files(out)
    assert files["P002 Health and Wellbeing Board.xlsx"].startswith("Held")
    assert register["P001"]["Returned"] == "Held: identity to confirm: last year's data"
    assert register["P003"]["Returned"] == "Returned with errors (1)" and register["P003"]["Meetings"] == "County Hall, quarterly"
    assert files["P003 resend.xlsx"] == "Not accepted: has errors" and files["P003 return.xlsx"] == "Accepted"
