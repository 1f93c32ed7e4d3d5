"""What partxl trusts, and why (issue 16, "Trust"): scenarios from issue to a consolidated register and back.

Each scenario issues workbooks, returns them, consolidates, tampers with something, consolidates again, and
checks that the register, the validation report and what the command says agree.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import unicodedata
from contextlib import closing
from pathlib import Path

import openpyxl
import pytest

import partxl
from partxl import frames
from partxl.returns.ledger import Ledger as partxl_ledger

from . import finding_cases as fc
from .conftest import SAMPLE_REGISTER, run_cli

AS_OF = dt.date(2027, 4, 19)
OWN_KEY = "5f1c0ffee0ddba11" * 4  # a council's own secret (64 characters, as `partxl init` writes)


def council(folder: Path, integrity: str = f'key = "{OWN_KEY}"', more: str = "") -> Path:
    """A council's own partxl.toml in ``folder``: the shipped settings but for its ``[integrity]`` section and ``more``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "partxl.toml"
    text = f"[cycle]\nissue_date = {AS_OF.isoformat()}\n" if "[cycle]" not in more else ""
    path.write_text(f"{text}{more}\n[integrity]\n{integrity}\n", encoding="utf-8")
    return path


def issue(ws: partxl.Workspace, out: Path, *pids: str) -> dict[str, Path]:
    """Each partnership's workbook, issued by ``ws`` as `partxl generate` does."""
    result = ws.generate(out, register=SAMPLE_REGISTER, only=pids)
    assert result.ok, result.findings
    return {pid: next(out.glob(f"{pid} *.xlsx")) for pid in pids}


def register_rows(out: Path) -> dict[str, dict]:
    rows = list(openpyxl.load_workbook(out / "register.xlsx", read_only=True)["Register"].iter_rows(values_only=True))
    return {r[0]: dict(zip(rows[0], r, strict=False)) for r in rows[1:] if r[0]}


def report_files(out: Path) -> dict[str, str]:
    """The validation report's Files sheet: file -> outcome."""
    rows = list(openpyxl.load_workbook(out / "validation_report.xlsx", read_only=True)["Files"].iter_rows(values_only=True))
    head = rows[0]
    return {r[head.index("File")]: r[head.index("Outcome")] for r in rows[1:] if r and r[0]}


def sheet_text(path: Path, sheet: str) -> str:
    book = openpyxl.load_workbook(path, read_only=True)
    return " ".join(str(v) for row in book[sheet].iter_rows(values_only=True) for v in row if v is not None)


# ---------------------------------------------------------------- 1. no forgeable key


@pytest.mark.parametrize(("integrity", "says"), [
    ("", "has no [integrity] key"),
    ('key = ""', "has no [integrity] key"),
    ('key = "partxl-sample-key-not-secret"', "published sample key"),
    ('key = "council-secret"', "only 14 characters"),
])
def test_a_council_without_a_key_of_its_own_can_neither_issue_nor_consolidate(tmp_path: Path, integrity: str, says: str):
    config = council(tmp_path / "council", integrity)
    returns = tmp_path / "returns"
    returns.mkdir()
    shutil.copy(fc.REPO / "samples" / "returns" / "P001 annual return.xlsx", returns)  # signed with the published key
    code, _, err = run_cli("--config", str(config), "generate", "--register", str(SAMPLE_REGISTER), "--out", str(tmp_path / "wb"))
    assert code == 2 and says in err and str(config) in err and "partxl init" in err and "[integrity] key = \"" in err, err
    assert not (tmp_path / "wb").exists() or not list((tmp_path / "wb").iterdir())
    for command in (["consolidate", str(returns), "--out", str(tmp_path / "out")], ["check", str(returns / "P001 annual return.xlsx")],
                    ["status", str(returns), "--out", str(tmp_path / "out")]):
        code, _, err = run_cli("--config", str(config), *command, "--as-of", AS_OF.isoformat())
        assert code == 2 and says in err and "Traceback" not in err, (command, err)
    assert not (tmp_path / "out" / "register.xlsx").exists()
    with pytest.raises(partxl.PartxlError, match="sample = true"):
        partxl.Workspace.load(config=config).consolidate(returns, out=tmp_path / "out", as_of=AS_OF)


def test_a_return_signed_with_the_sample_key_is_no_return_of_a_council_with_its_own(tmp_path: Path):
    """Anyone can sign with the published key: the forged return is rejected; the genuine one is accepted."""
    ws = partxl.Workspace.load(config=council(tmp_path / "council"))
    genuine = issue(ws, tmp_path / "wb", "P001")["P001"]
    forged = issue(partxl.Workspace.load(), tmp_path / "forger", "P002")["P002"]  # the shipped samples' settings
    returns = tmp_path / "returns"
    returns.mkdir()
    shutil.copy(genuine, returns / "P001 return.xlsx")
    shutil.copy(forged, returns / "P002 return.xlsx")
    result = ws.consolidate(returns, out=tmp_path / "out", previous=SAMPLE_REGISTER, as_of=AS_OF)
    outcomes = {f.path: f.outcome for f in result.files}
    assert outcomes == {"P001 return.xlsx": partxl.Outcome.ACCEPTED, "P002 return.xlsx": partxl.Outcome.REJECTED}
    assert any(f.code == "METADATA_EDITED" and f.file == "P002 return.xlsx" for f in result.findings)
    rows = register_rows(tmp_path / "out")
    assert rows["P001"]["Returned"].startswith("Returned") and rows["P002"]["Returned"].startswith("Not yet returned")
    files = report_files(tmp_path / "out")
    assert files["P001 return.xlsx"] == "Accepted" and files["P002 return.xlsx"].startswith("Rejected")
    assert "SAMPLE" not in sheet_text(tmp_path / "out" / "register.xlsx", "About")


def test_the_shipped_samples_run_and_every_output_says_sample(tmp_path: Path):
    out = tmp_path / "out"
    code, _, err = run_cli("consolidate", str(fc.REPO / "samples" / "returns"), "--out", str(out), "--previous",
                           str(SAMPLE_REGISTER), "--as-of", AS_OF.isoformat())
    assert code == 1 and "SAMPLE, not for real returns" in err, err
    assert "SAMPLE, not for real returns" in sheet_text(out / "register.xlsx", "About")
    assert "SAMPLE, not for real returns" in sheet_text(out / "validation_report.xlsx", "Summary")
    code, _, err = run_cli("generate", "--register", str(SAMPLE_REGISTER), "--out", str(tmp_path / "wb"), "--only", "P001")
    assert code == 0 and "SAMPLE" in err


def test_init_writes_a_key_of_its_own_and_no_sample_mark(tmp_path: Path):
    code, _, err = run_cli("init", str(tmp_path / "council"))
    assert code == 0, err
    config = partxl.Workspace.load(tmp_path / "council").config
    assert not config.sample and len(config.integrity_key) == 64 and config.signing_key() == config.integrity_key
    code, _, err = run_cli("--config", str(tmp_path / "council" / "partxl.toml"), "generate", "--register",
                           str(tmp_path / "council" / "register.xlsx"), "--out", str(tmp_path / "wb"), "--blank")
    assert code == 0 and "SAMPLE" not in err, err


# ---------------------------------------------------------------- 2. signed fields compared as issued


def test_spacing_and_unicode_form_in_the_configuration_do_not_fail_genuine_returns(tmp_path: Path):
    """A council name with a trailing space and a decomposed accent, a cycle with spaces: issued, returned, and the
    configuration tidied (or made untidier) afterwards. Every genuine return is still accepted."""
    decomposed = unicodedata.normalize("NFD", "Cyngor Môn  ")
    untidy = council(tmp_path / "council", more=f'[council]\nname = "{decomposed}"\n[cycle]\nname = " 2026/27 "\n'
                                                   f"issue_date = {AS_OF.isoformat()}\n")
    issued = issue(partxl.Workspace.load(config=untidy), tmp_path / "wb", "P001", "P002")
    returns = tmp_path / "returns"
    returns.mkdir()
    shutil.copy(issued["P001"], returns / "P001 return.xlsx")
    # a client that saves text composed (NFC) and trims it: what the workbook holds changes form, not meaning
    fc.edit(issued["P002"], returns / "P002 return.xlsx", None, fc.metadata(council="Cyngor Môn"))
    for text in (f'[council]\nname = "{decomposed}"\n[cycle]\nname = " 2026/27 "\n', '[council]\nname = "Cyngor Môn"\n'):
        config = council(tmp_path / "now", more=text)
        result = partxl.Workspace.load(config=config).consolidate(returns, out=tmp_path / "out", previous=SAMPLE_REGISTER,
                                                                  as_of=AS_OF)
        assert {f.path: f.outcome for f in result.files} == {"P001 return.xlsx": partxl.Outcome.ACCEPTED,
                                                              "P002 return.xlsx": partxl.Outcome.ACCEPTED}, result.findings
        assert not {"METADATA_EDITED", "WRONG_CYCLE"} & {f.code for f in result.findings}
        assert register_rows(tmp_path / "out")["P002"]["Returned"].startswith("Returned")
    book = openpyxl.load_workbook(issued["P001"])
    meta = {r[0].value: r[1].value for r in book["_partxl"].iter_rows(min_row=2, max_col=2)}
    assert meta["council"] == "Cyngor Môn" and meta["cycle"] == "2026/27"  # what is signed is what the workbook shows


# ---------------------------------------------------------------- 3. a signed metadata sheet copied into another workbook


def test_details_copied_into_another_partnerships_workbook_are_held_not_taken_as_its_return(tmp_path: Path):
    ws = partxl.Workspace.load(config=council(tmp_path / "council"))
    issued = issue(ws, tmp_path / "wb", "P001", "P002")
    p001_name = ws.check(issued["P001"]).metadata["partnership_name"]
    returns = tmp_path / "returns"
    # P002's workbook and answers, passed off as P001's: its signed details, and the name answer made to match
    fc.edit(issued["P002"], returns / "P001 return.xlsx", {"info_name": p001_name}, fc.metadata_of(issued["P001"]))
    result = ws.consolidate(returns, out=tmp_path / "out", previous=SAMPLE_REGISTER, as_of=AS_OF)
    file, = result.files
    assert file.outcome == partxl.Outcome.HELD and "DETAILS_COPIED" in {f.code for f in file.findings}
    assert register_rows(tmp_path / "out")["P001"]["Returned"].startswith("Held: identity to confirm")
    assert report_files(tmp_path / "out")["P001 return.xlsx"].startswith("Held")
    questions = [q for q in result.questions if q.what == "P001 return.xlsx"]
    assert questions and "copied in from another workbook" in questions[0].why
    assert register_rows(tmp_path / "out")["P001"]["Partnership name"] == p001_name  # last year's answers still shown


# ---------------------------------------------------------------- 4. newest is the last to arrive, not the latest claimed


def arrive(path: Path, when: dt.datetime) -> Path:
    """The file lands in the returns folder at ``when`` (its modification time)."""
    stamp = when.replace(tzinfo=dt.UTC).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def decide(out: Path, decisions: dict[str, tuple[str, str]]) -> None:
    """The MIO fills in decisions.xlsx: for each key, (decision, reason)."""
    book = openpyxl.load_workbook(out / "decisions.xlsx")
    sheet = book["Decisions"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if (chosen := decisions.get(row[header.index("Key")].value)) is not None:
            row[header.index("Decision")].value, row[header.index("Reason")].value = chosen
    book.save(out / "decisions.xlsx")


DRAFT, CORRECTION = "Draft: meets when it can", "Civic Offices, every six weeks"
MONDAY = dt.datetime(2027, 6, 7, 9, 0)


@pytest.fixture
def draft_and_correction(tmp_path: Path) -> tuple[partxl.Workspace, Path, Path, Path]:
    """P003's draft (its workbook claims it was saved in 2099) and its correction, made but not yet in the folder."""
    ws = partxl.Workspace.load(config=council(tmp_path / "council"))
    source = issue(ws, tmp_path / "wb", "P003")["P003"]
    made = tmp_path / "made"
    draft = fc.saved_at(fc.edit(source, made / "P003 draft.xlsx", {"info_meetings": DRAFT}), dt.datetime(2099, 1, 1, 9, 0))
    correction = fc.saved_at(fc.edit(source, made / "P003 corrected.xlsx", {"info_meetings": CORRECTION}), MONDAY)
    return ws, draft, correction, tmp_path / "returns"


def consolidate(ws: partxl.Workspace, returns: Path, out: Path) -> partxl.ConsolidateResult:
    return ws.consolidate(returns, out=out, previous=SAMPLE_REGISTER, as_of=dt.date(2027, 7, 12))


def meetings(out: Path) -> str:
    return register_rows(out)["P003"]["Meetings"]


def test_a_draft_dated_2099_does_not_beat_the_correction_that_came_after_it(draft_and_correction, tmp_path: Path):
    ws, draft, correction, returns = draft_and_correction
    returns.mkdir()
    shutil.copy2(draft, returns)
    arrive(returns / draft.name, MONDAY - dt.timedelta(days=1))
    first = consolidate(ws, returns, tmp_path / "out")
    assert meetings(tmp_path / "out") == DRAFT
    odd, = [f for f in first.findings if f.code == "SAVED_DATE_ODD"]
    assert odd.file == draft.name and "in the future" in odd.message
    shutil.copy2(correction, returns)  # the next run: the correction, though it claims an earlier save
    second = consolidate(ws, returns, tmp_path / "out")
    assert meetings(tmp_path / "out") == CORRECTION
    outcomes = {f.path: f.outcome for f in second.files}
    assert outcomes == {draft.name: partxl.Outcome.SUPERSEDED, correction.name: partxl.Outcome.ACCEPTED}
    assert report_files(tmp_path / "out")[draft.name] == "Replaced by a newer return"
    assert register_rows(tmp_path / "out")["P003"]["Source file"] == correction.name


def test_in_one_run_the_later_arrival_wins_whatever_the_workbooks_claim(draft_and_correction, tmp_path: Path):
    ws, draft, correction, returns = draft_and_correction
    returns.mkdir()
    arrive(shutil.copy2(draft, returns), MONDAY)
    arrive(shutil.copy2(correction, returns), MONDAY + dt.timedelta(minutes=5))
    result = consolidate(ws, returns, tmp_path / "out")
    assert meetings(tmp_path / "out") == CORRECTION
    assert {f.path: f.outcome for f in result.files} == {draft.name: partxl.Outcome.SUPERSEDED,
                                                        correction.name: partxl.Outcome.ACCEPTED}
    versions = frames.accepted_versions(tmp_path / "out" / "ledger.sqlite")  # the analyst's, oldest first: by arrival too
    assert list(versions["last_path"]) == [draft.name, correction.name]


def test_returns_that_arrive_together_are_held_until_the_mio_says_which_stands(draft_and_correction, tmp_path: Path):
    ws, draft, correction, returns = draft_and_correction
    returns.mkdir()
    arrive(shutil.copy2(draft, returns), MONDAY)
    arrive(shutil.copy2(correction, returns), MONDAY + dt.timedelta(milliseconds=300))  # copied in together
    out = tmp_path / "out"
    result = consolidate(ws, returns, out)
    assert {f.path: f.outcome for f in result.files} == {draft.name: partxl.Outcome.HELD, correction.name: partxl.Outcome.HELD}
    assert all(any(f.code == "ORDER_UNCLEAR" for f in r.findings) for r in result.files)
    row = register_rows(out)["P003"]
    assert row["Returned"].startswith("Held") and row["Meetings"] not in (DRAFT, CORRECTION)  # last year's, not a guess
    keys = {r.path: r.sha256 for r in result.files}
    questions = {q.key for q in result.questions if q.kind == "Held return"}
    assert questions == set(keys.values())
    decide(out, {keys[correction.name]: ("Accept", "The officer confirmed this is the final version"),
                 keys[draft.name]: ("Reject", "A draft, sent by mistake")})
    again = consolidate(ws, returns, out)
    assert meetings(out) == CORRECTION and register_rows(out)["P003"]["Returned"] == "Returned"
    assert {f.path: f.outcome for f in again.files} == {draft.name: partxl.Outcome.REJECTED, correction.name: partxl.Outcome.ACCEPTED}
    assert report_files(out)[correction.name] == "Accepted"


# ---------------------------------------------------------------- 5. a return the MIO removes from the folder


def test_a_removed_return_is_noted_and_can_be_withdrawn_in_the_decisions_workbook(draft_and_correction, tmp_path: Path):
    ws, draft, correction, returns = draft_and_correction
    returns.mkdir()
    arrive(shutil.copy2(correction, returns), MONDAY)
    arrive(shutil.copy2(draft, returns), MONDAY + dt.timedelta(hours=1))  # the draft, sent by mistake after the correction
    out = tmp_path / "out"
    consolidate(ws, returns, out)
    assert meetings(out) == DRAFT
    (returns / draft.name).unlink()  # the MIO takes it out of the folder
    result = consolidate(ws, returns, out)
    gone, = [f for f in result.findings if f.code == "RETURN_GONE"]
    assert gone.file == draft.name and gone.partnership == "P003"
    assert meetings(out) == DRAFT  # the ledger keeps every return: tidying the folder changes nothing by itself
    question, = [q for q in result.questions if q.kind == "File"]
    assert question.what == draft.name
    decide(out, {question.key: ("Reject", "Sent by mistake; the correction stands")})
    again = consolidate(ws, returns, out)
    assert meetings(out) == CORRECTION and not [f for f in again.findings if f.code == "RETURN_GONE"]
    assert register_rows(out)["P003"]["Source file"] == correction.name
    assert {f.path: f.outcome for f in again.files} == {correction.name: partxl.Outcome.ACCEPTED}


# ---------------------------------------------------------------- 7. a ledger that cannot be used


def _ledger_run(tmp_path: Path, prepare) -> tuple[int, str, Path]:
    """consolidate over one good return, after ``prepare(ledger path)`` has spoilt the ledger: (exit code, stderr, ledger)."""
    config = council(tmp_path / "council")
    issued = issue(partxl.Workspace.load(config=config), tmp_path / "wb", "P001")
    returns = tmp_path / "returns"
    returns.mkdir()
    shutil.copy(issued["P001"], returns / "P001 return.xlsx")
    out = tmp_path / "out"
    out.mkdir()
    ledger = out / "ledger.sqlite"
    prepare(ledger)
    code, _, err = run_cli("--config", str(config), "consolidate", str(returns), "--out", str(out), "--previous",
                           str(SAMPLE_REGISTER), "--as-of", AS_OF.isoformat())
    return code, err, ledger


def _foreign(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO customers (name) VALUES ('Ann')")


def _future(path: Path) -> None:
    with partxl_ledger(path) as ledger:
        ledger.db.execute("PRAGMA user_version = 99")


@pytest.mark.parametrize(("prepare", "says"), [
    (lambda p: p.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 16), "is damaged"),
    (lambda p: p.write_bytes(b"not a database at all, but a note someone saved here\n" * 50), "is damaged"),
    (_foreign, "not a partxl ledger"),
    (_future, "newer partxl"),
])
def test_a_ledger_that_cannot_be_used_is_named_with_what_to_do(tmp_path: Path, prepare, says: str):
    before = {}

    def spoil(path: Path) -> None:
        prepare(path)
        before["bytes"] = path.read_bytes()

    code, err, ledger = _ledger_run(tmp_path, spoil)
    assert code == 2 and str(ledger) in err and says in err, err
    raw = ("Traceback", "malformed", "no such", "DatabaseError", "OperationalError", "not a database")
    assert not [text for text in raw if text in err.replace("partxl ledger", "")], err  # SQLite's own words, never
    assert ledger.read_bytes() == before["bytes"]  # nothing the user gave is overwritten
    assert not (tmp_path / "out" / "register.xlsx").exists()


def test_a_ledger_that_cannot_be_written_says_so(tmp_path: Path, monkeypatch):
    """A read-only ledger (simulated: the tests may run as root, whom permissions do not stop)."""
    from partxl.returns.ledger import Ledger

    def refuse(self, folder, now):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(Ledger, "start_run", refuse)
    code, err, ledger = _ledger_run(tmp_path, lambda p: None)
    assert code == 2 and str(ledger) in err and "cannot be written" in err and "readonly" not in err, err


# ---------------------------------------------------------------- 6. ledger rows are sealed


def _tamper(ledger: Path, pid: str) -> None:
    """Someone with an SQLite tool raises a partnership's grant in the ledger's record of its return."""
    with closing(sqlite3.connect(ledger)) as db, db:
        changed = db.execute("UPDATE files SET answers = json_set(answers, '$.significance_annual_grant', 999999999) "
                             "WHERE partnership = ?", (pid,)).rowcount
    assert changed == 1


def test_a_grant_edited_in_the_ledger_never_reaches_the_register(tmp_path: Path):
    ws = partxl.Workspace.load(config=council(tmp_path / "council"))
    issued = issue(ws, tmp_path / "wb", "P001", "P009")
    returns, out = tmp_path / "returns", tmp_path / "out"
    returns.mkdir()
    for pid, path in issued.items():
        shutil.copy(path, returns / f"{pid} return.xlsx")
    consolidate(ws, returns, out)
    grants = {pid: register_rows(out)[pid]["Annual grant (£)"] for pid in issued}
    assert 999999999 not in grants.values()

    _tamper(out / "ledger.sqlite", "P001")  # its file is still in the folder: read again, and recorded afresh
    result = consolidate(ws, returns, out)
    assert register_rows(out)["P001"]["Annual grant (£)"] == grants["P001"]
    noted, = [f for f in result.findings if f.code == "LEDGER_ROW_REREAD"]
    assert noted.file == "P001 return.xlsx" and {f.path: f.outcome for f in result.files}["P001 return.xlsx"] == "accepted"
    again = consolidate(ws, returns, out)  # recorded afresh: sealed again, nothing more to say
    assert not [f for f in again.findings if f.code.startswith("LEDGER_ROW")]

    (returns / "P009 return.xlsx").unlink()  # tidied away, then its record edited: nothing to read it again from
    _tamper(out / "ledger.sqlite", "P009")
    result = consolidate(ws, returns, out)
    row = register_rows(out)["P009"]
    assert row["Annual grant (£)"] != 999999999 and row["Returned"].startswith("Not yet returned")
    altered, = [f for f in result.findings if f.code == "LEDGER_ROW_ALTERED"]
    assert altered.file == "P009 return.xlsx" and altered.severity == "error" and altered.partnership == "P009"
    report = openpyxl.load_workbook(out / "validation_report.xlsx", read_only=True)["Findings"]
    assert any("LEDGER_ROW_ALTERED" in row for row in report.iter_rows(values_only=True))
    status = ws.status(returns, out=out, previous=SAMPLE_REGISTER, as_of=dt.date(2027, 7, 12))
    assert any(f.code == "LEDGER_ROW_ALTERED" for f in status.findings)


def _held_and_rejected(tmp_path: Path) -> tuple[partxl.Workspace, Path, Path, partxl.FileResult]:
    """P002's workbook sent as P001's return, held, and rejected by the MIO in decisions.xlsx: (ws, returns, out, held)."""
    ws = partxl.Workspace.load(config=council(tmp_path / "council"))
    issued = issue(ws, tmp_path / "wb", "P001", "P002")
    returns, out = tmp_path / "returns", tmp_path / "out"
    fc.edit(issued["P002"], returns / "P001 return.xlsx", None, fc.metadata_of(issued["P001"]))  # held: not P001's
    held, = consolidate(ws, returns, out).files
    decide(out, {held.sha256: ("Reject", "P002's workbook, not P001's")})
    return ws, returns, out, held


def test_rows_this_run_sealed_are_trusted_only_while_no_other_program_writes_to_the_ledger(tmp_path: Path, monkeypatch):
    """Reading back the returns it has just recorded, a run does not work out their seals again, unless another
    program has written to the ledger meanwhile (SQLite's data_version says so): then an edit made during the run is
    caught like one made between runs, and the edited grant never reaches the register."""
    ws = partxl.Workspace.load(config=council(tmp_path / "council"))
    issued = issue(ws, tmp_path / "wb", "P001", "P009")
    returns = tmp_path / "returns"
    returns.mkdir()
    for pid, path in issued.items():
        shutil.copy(path, returns / f"{pid} return.xlsx")
    checked: list[str] = []
    sealed, read_back = partxl_ledger._sealed, partxl_ledger.returns
    monkeypatch.setattr(partxl_ledger, "_sealed", lambda self, row: checked.append(row["partnership"]) or sealed(self, row))
    consolidate(ws, returns, tmp_path / "quiet")
    assert checked == []  # nobody else wrote: this run's own seals stand

    def edited_meanwhile(self: partxl_ledger, cycle: str) -> list:
        _tamper(self.path, "P001")
        return read_back(self, cycle)

    monkeypatch.setattr(partxl_ledger, "returns", edited_meanwhile)
    result = consolidate(ws, returns, tmp_path / "busy")
    assert sorted(checked) == ["P001", "P009"]
    assert register_rows(tmp_path / "busy")["P001"]["Annual grant (£)"] != 999999999
    assert [f.partnership for f in result.findings if f.code == "LEDGER_ROW_ALTERED"] == ["P001"]


def test_a_decision_edited_in_the_ledger_is_not_applied(tmp_path: Path):
    """The MIO rejects a held return in decisions.xlsx; someone turns it into an Accept in the ledger: not applied."""
    ws, returns, out, held = _held_and_rejected(tmp_path)
    assert {f.path: f.outcome for f in consolidate(ws, returns, out).files} == {held.path: partxl.Outcome.REJECTED}
    with closing(sqlite3.connect(out / "ledger.sqlite")) as db, db:
        assert db.execute("UPDATE decisions SET choice = 'Accept', reason = 'fine' WHERE key = ?", (held.sha256,)).rowcount == 1
    result = consolidate(ws, returns, out)
    altered, = [f for f in result.findings if f.code == "DECISION_ALTERED"]
    assert altered.severity == "error" and "Accept" in altered.message
    # the edited Accept is not applied: the MIO's own decisions.xlsx still says Reject, which is recorded again
    assert {f.path: f.outcome for f in result.files} == {held.path: partxl.Outcome.REJECTED}
    assert register_rows(out)["P001"]["Returned"].startswith("Not yet returned")
    assert not [f for f in consolidate(ws, returns, out).findings if f.code == "DECISION_ALTERED"]  # sealed afresh
    (out / "decisions.xlsx").unlink()  # and without the MIO's workbook, an edited decision is simply not applied
    with closing(sqlite3.connect(out / "ledger.sqlite")) as db, db:
        db.execute("UPDATE decisions SET choice = 'Accept' WHERE key = ?", (held.sha256,))
    assert {f.path: f.outcome for f in consolidate(ws, returns, out).files} == {held.path: partxl.Outcome.HELD}
    assert register_rows(out)["P001"]["Returned"].startswith("Held")


def test_an_entry_of_the_decision_log_edited_in_the_ledger_is_reported_beside_the_decisions(tmp_path: Path):
    """The audit trail is sealed too: the MIO's Reject, its reason rewritten in the log, is reported on the validation
    report's Decisions sheet on every run until the ledger is as partxl wrote it; the decision in force still applies."""
    ws, returns, out, held = _held_and_rejected(tmp_path)
    assert "DECISION_LOG_ALTERED" not in {f.code for f in consolidate(ws, returns, out).findings}

    def edited(reason: str) -> list[partxl.Finding]:
        with closing(sqlite3.connect(out / "ledger.sqlite")) as db, db:
            assert db.execute("UPDATE decision_log SET reason = ? WHERE key = ?", (reason, held.sha256)).rowcount == 1
        result = consolidate(ws, returns, out)
        assert {f.path: f.outcome for f in result.files} == {held.path: partxl.Outcome.REJECTED}
        shown = openpyxl.load_workbook(out / "validation_report.xlsx", read_only=True)["Decisions"].iter_rows(values_only=True)
        altered = [f for f in result.findings if f.code == "DECISION_LOG_ALTERED"]
        assert [row[0] for row in shown if row[0] and str(row[0]).startswith("Altered")] == \
            ["Altered: DECISION_LOG_ALTERED"] * len(altered)
        return altered

    found, = edited("Looked fine to me")
    assert found.severity == "warning" and f"Reject on the held return {held.sha256[:12]}" in found.message
    assert "DECISION_ALTERED" not in {f.code for f in consolidate(ws, returns, out).findings}
    assert len(edited("Looked fine to me")) == 1  # nothing to make again: said on every run
    assert edited("P002's workbook, not P001's") == []  # as partxl wrote it: the report is rebuilt without it
