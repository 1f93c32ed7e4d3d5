"""Returns where they land, wired into the commands (issue 15): consolidate, check, status and chase read the workbooks
attached to saved e-mails, mailboxes, Outlook messages and archives in the returns folder, as returns of their own.

Each return is named by where it came from; the sender and the message's date go into the ledger, and the date is
the one lateness is judged by; the same workbook in a reply and a forward is one return; ``--save-attachments``
keeps them as files, never over another; hostile containers are findings, and the good returns beside them are
accepted. The returns are filled in with openpyxl here (the LibreOffice-typed end to end is in
test_mail_end_to_end.py); the Outlook files are the real ones in ../shared/testdata/msg/, read where they are.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import partxl
from partxl import frames
from partxl.returns.ledger import Ledger

from . import finding_cases as fc
from . import mail_cases as cases
from .conftest import SAMPLE_REGISTER, run_cli

AS_OF = dt.date(2027, 7, 12)  # after the deadline (25 June 2027)
CORRECT = {"info_review_date": dt.date(2027, 2, 25), "info_reviewed_by": "Fiona Grant, Head of Corporate Services"}
SAVED = dt.datetime(2027, 6, 20, 9, 0)  # every return is saved before the deadline; some are sent after it
ON_TIME = "Mon, 07 Jun 2027 10:02:11 +0100"
LATE = "Mon, 28 Jun 2027 16:40:00 +0100"
P019_NAME = "P019 Wexbridge Credit Union – Savings.xlsx"  # a non-ASCII dash: an RFC 2231 name in Thunderbird's messages


@pytest.fixture(scope="module")
def filled(generated: Path, tmp_path_factory) -> dict[str, bytes]:
    """Good returns (no errors) for P001, P003 and P019, saved on 20 June 2027, as the bytes of their files."""
    folder = tmp_path_factory.mktemp("filled")
    made = {}
    for pid in ("P001", "P003", "P019"):
        source = next(generated.glob(f"{pid} *.xlsx"))
        made[pid] = fc.saved_at(fc.edit(source, folder / f"{pid}.xlsx", CORRECT), SAVED).read_bytes()
    return made


@pytest.fixture(scope="module")
def officers(generated: Path) -> dict[str, str]:
    """The e-mail address each workbook was issued to (from its signed issue details)."""
    found = {}
    for pid in ("P001", "P003", "P019"):
        book = openpyxl.load_workbook(next(generated.glob(f"{pid} *.xlsx")), read_only=True)
        rows = {r[0]: r[1] for r in book["_partxl"].iter_rows(values_only=True) if r and r[0]}
        found[pid] = str(rows["issued_to_email"])
    return found


def outlook(subject: str, attachments=(), *, sender: str = cases.OFFICER, date: str = cases.DATE, **kw):
    """A message as Outlook sends it (mail_cases.outlook), received by the council's server a few seconds after ``date``."""
    message = cases.outlook(subject, attachments, sender=sender, date=date, **kw)
    return received(message, date)


def received(message, date: str):
    """``message`` as the council's server received it on ``date`` (its Received header, which lateness goes by)."""
    message.replace_header("Received", cases.RECEIVED.rsplit(";", 1)[0] + "; " + date)
    return message


def consolidate(folder: Path, out: Path, **kw) -> partxl.ConsolidateResult:
    return partxl.Workspace.load().consolidate(folder, out=out, previous=SAMPLE_REGISTER, as_of=AS_OF, **kw)


def by_partnership(result: partxl.ConsolidateResult) -> dict[str, list]:
    found: dict[str, list] = {}
    for f in result.files:
        if f.partnership:
            found.setdefault(f.partnership, []).append(f)
    return found


def codes(findings, file: str | None = None) -> list[str]:
    return sorted(f.code for f in findings if file is None or f.file == file)


def listing(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*")) if p.is_file()}


def ledger_rows(out: Path) -> dict[str, tuple]:
    with sqlite3.connect(out / "ledger.sqlite") as db:
        return {row[0]: row[1:] for row in db.execute("SELECT partnership, sender, received, last_path FROM files "
                                                      "WHERE partnership != ''")}


# ---------------------------------------------------------------- read where they land


@pytest.fixture(scope="module")
def inbox(filled, officers, tmp_path_factory) -> tuple[Path, Path, partxl.ConsolidateResult]:
    """A returns folder as an MIO's inbox leaves it: a saved Outlook message, a Thunderbird mailbox (one return sent
    after the deadline, one message with no attachment), and a .zip; consolidated."""
    base = tmp_path_factory.mktemp("inbox")
    folder = base / "returns"
    folder.mkdir()
    cases.write(outlook("RE: Partnership return", [("P001 return.xlsx", filled["P001"])], sender=officers["P001"],
                              date=ON_TIME), folder / "RE Partnership return.eml")
    (folder / "June.mbox").write_bytes(cases.mbox_bytes([
        cases.thunderbird("Credit union return", [(P019_NAME, filled["P019"])], sender=officers["P019"], date=LATE),
        cases.thunderbird("Question about the form", sender=officers["P003"], date=ON_TIME),
    ]))
    (folder / "returns.zip").write_bytes(cases.zipped([("P003 return.xlsx", filled["P003"]), ("notes.pdf", b"%PDF-1.4")]))
    before = listing(base)
    result = consolidate(folder, base / "out")
    assert listing(folder) == {k.removeprefix("returns/"): v for k, v in before.items()}  # nothing written beside them
    return folder, base / "out", result


def test_each_workbook_in_a_message_mailbox_or_archive_is_a_return(inbox):
    _, out, result = inbox
    found = by_partnership(result)
    assert sorted(found) == ["P001", "P003", "P019"]
    assert all(len(files) == 1 and files[0].outcome == partxl.Outcome.ACCEPTED for files in found.values()), \
        {p: [(f.outcome, codes(f.findings)) for f in fs] for p, fs in found.items()}
    p001, p019, p003 = found["P001"][0].path, found["P019"][0].path, found["P003"][0].path
    assert p001 == ("attachment 'P001 return.xlsx' of the message 'RE: Partnership return' from "
                    f"{ledger_rows(out)['P001'][0]} on 07/06/2027, in 'RE Partnership return.eml'")
    assert p019.startswith(f"attachment '{P019_NAME}' of the message 'Credit union return'") and "in 'June.mbox'" in p019
    assert p003 == "'P003 return.xlsx' in the archive 'returns.zip'"
    register = {r[0]: r for r in openpyxl.load_workbook(out / "register.xlsx", read_only=True)["Register"].iter_rows(values_only=True)}
    source = register["Partnership ID"].index("Source file")
    assert register["P001"][source] == p001 and register["P003"][source] == p003


def test_what_is_no_return_in_a_container_is_a_finding_naming_it(inbox):
    _, _, result = inbox
    said = {f.code: f for f in result.findings if f.code.startswith("MAIL_")}
    assert set(said) == {"MAIL_NO_ATTACHMENT", "MAIL_OTHER_ATTACHMENT"}, sorted(said)
    assert said["MAIL_NO_ATTACHMENT"].file.startswith("the message 'Question about the form' from ")
    assert said["MAIL_NO_ATTACHMENT"].file.endswith("(message 2 of the mailbox), in 'June.mbox'")
    assert said["MAIL_OTHER_ATTACHMENT"].file == "'notes.pdf' in the archive 'returns.zip'"
    report = openpyxl.load_workbook(inbox[1] / "validation_report.xlsx", read_only=True)
    files = [row[0] for row in report["Files"].iter_rows(values_only=True)]
    assert said["MAIL_NO_ATTACHMENT"].file in files and said["MAIL_OTHER_ATTACHMENT"].file in files


def test_the_sender_and_the_message_date_go_into_the_ledger_and_decide_lateness(inbox, officers):
    folder, out, result = inbox
    rows = ledger_rows(out)
    assert rows["P001"][:2] == (officers["P001"], "2027-06-07T09:02:11+00:00")
    assert rows["P019"][:2] == (officers["P019"], "2027-06-28T15:40:00+00:00")
    assert rows["P003"][:2] == ("", None)  # an archive is no message: it has no sender, and its saved date counts
    [p001] = by_partnership(result)["P001"]
    assert (p001.to_dict()["sender"], p001.to_dict()["received"]) == (officers["P001"], "2027-06-07T09:02:11+00:00")
    sheet = list(openpyxl.load_workbook(out / "validation_report.xlsx", read_only=True)["Files"].iter_rows(values_only=True))
    listed = {row[0]: dict(zip(sheet[0], row, strict=True)) for row in sheet[1:]}
    assert (listed[p001.path]["Sent by"], listed[p001.path]["Received (UTC)"]) == (officers["P001"], "2027-06-07T09:02:11+00:00")
    status = partxl.Workspace.load().status(folder, out=out, previous=SAMPLE_REGISTER, as_of=AS_OF)
    states = {p.id: str(p.state) for o in status.officers for p in o.partnerships}
    assert (states["P001"], states["P019"], states["P003"]) == ("returned", "returned late", "returned")  # all saved 20 June


def test_status_and_chase_read_the_containers_and_write_nothing_beside_them(inbox, tmp_path):
    folder, out, _ = inbox
    before = listing(folder)
    chased = partxl.Workspace.load().chase(folder, to=tmp_path / "reminders", out=tmp_path / "nothing", previous=SAMPLE_REGISTER,
                                           as_of=AS_OF)
    assert chased.ok, chased.findings
    written = " ".join(p.read_text(errors="replace") for p in (tmp_path / "reminders").glob("*.eml"))
    assert written and "P002" in written  # a partnership whose return did not come is chased …
    assert "with thanks: P001 " in written  # … and the one that came by e-mail is thanked for
    assert listing(folder) == before and not (tmp_path / "nothing").exists()


def test_a_return_sent_by_someone_else_is_a_warning_naming_both(filled, officers, tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    cases.write(outlook("P001 for Alan", [("P001 return.xlsx", filled["P001"])], sender=cases.COLLEAGUE, date=ON_TIME),
                folder / "from Jo.eml")
    cases.write(cases.forward_as_attachment(outlook("My return", [("P003 return.xlsx", filled["P003"])],
                                                          sender=officers["P003"], date=ON_TIME), "FW: My return"),
                folder / "forwarded.eml")
    result = consolidate(folder, tmp_path / "out")
    found = by_partnership(result)
    assert found["P001"][0].outcome == partxl.Outcome.ACCEPTED  # a colleague may send it on the officer's behalf
    [warning] = [f for f in result.findings if f.code == "RETURN_SENT_BY_OTHER"]
    assert warning.severity == "warning" and warning.partnership == "P001" and warning.file == found["P001"][0].path
    assert officers["P001"] in warning.message and cases.COLLEAGUE in warning.message
    assert "Alan Whitfield" in warning.message and "on the officer's behalf" in warning.hint
    assert "RETURN_SENT_BY_OTHER" not in codes(found["P003"][0].findings)  # the officer sent it; a colleague forwarded it


# ---------------------------------------------------------------- one workbook, wherever else it came


def test_the_same_workbook_in_a_reply_a_forward_and_a_file_is_one_return(filled, officers, tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    original = outlook("P001 return", [("P001 return.xlsx", filled["P001"])], sender=officers["P001"], date=LATE)
    forward = "Tue, 29 Jun 2027 09:00:00 +0100"
    cases.write(received(cases.forward_as_attachment(original, "FW: P001 return", date=forward), forward), folder / "a forward.eml")
    cases.write(original, folder / "b original.eml")
    result = consolidate(folder, tmp_path / "out")
    [p001] = by_partnership(result)["P001"]
    assert p001.outcome == partxl.Outcome.ACCEPTED and "in 'b original.eml'" in p001.path  # named by the first received
    [seen] = [f for f in p001.findings if f.code == "MAIL_SEEN_ELSEWHERE"]
    assert seen.severity == "info" and "'FW: P001 return'" in seen.message and "read once" in seen.message
    assert ledger_rows(tmp_path / "out")["P001"][:2] == (officers["P001"], "2027-06-28T15:40:00+00:00")

    (folder / "P001 return.xlsx").write_bytes(filled["P001"])  # the MIO also saved it by hand: still one return
    again = consolidate(folder, tmp_path / "out")
    [p001] = by_partnership(again)["P001"]
    assert p001.path == "P001 return.xlsx" and p001.cached
    assert sum(f.code == "MAIL_SEEN_ELSEWHERE" for f in p001.findings) == 1 and "SAME_FILE_TWICE" not in codes(p001.findings)
    assert ledger_rows(tmp_path / "out")["P001"][:2] == (officers["P001"], "2027-06-28T15:40:00+00:00")  # the message's date
    status = partxl.Workspace.load().status(folder, out=tmp_path / "out", previous=SAMPLE_REGISTER, as_of=AS_OF)
    assert {p.id: str(p.state) for o in status.officers for p in o.partnerships}["P001"] == "returned late"


def test_the_analysts_accepted_versions_say_who_sent_each_return_and_when(inbox, officers):
    """partxl.frames gives the ledger's accepted versions with the sender and the date received, as the ledger has them."""
    _, out, _ = inbox
    versions = frames.accepted_versions(out / "ledger.sqlite").set_index("partnership")
    assert sorted(versions.index) == ["P001", "P003", "P019"]
    said = {pid: (versions.loc[pid, "sender"], versions.loc[pid, "received"]) for pid in versions.index}
    assert said["P001"] == (officers["P001"], "2027-06-07T09:02:11+00:00")
    assert said["P019"] == (officers["P019"], "2027-06-28T15:40:00+00:00")
    assert said["P003"][0] == "" and pd.isna(said["P003"][1])  # in an archive: no message, no sender, no date


def test_a_ledger_from_before_gains_the_sender_and_date_columns(filled, officers, tmp_path):
    folder, out = tmp_path / "returns", tmp_path / "out"
    folder.mkdir()
    (folder / "P003 return.xlsx").write_bytes(filled["P003"])
    consolidate(folder, out)
    with sqlite3.connect(out / "ledger.sqlite") as db:  # as an earlier partxl left it
        db.execute("DROP VIEW accepted_versions")
        db.execute("ALTER TABLE files DROP COLUMN sender")
        db.execute("ALTER TABLE files DROP COLUMN received")
        db.execute("CREATE VIEW accepted_versions AS SELECT partnership, cycle, sha256, saved_at, first_seen, last_path "
                   "FROM files WHERE outcome = 'accepted'")
    cases.write(outlook("Return", [("P001 return.xlsx", filled["P001"])], sender=officers["P001"], date=ON_TIME),
                folder / "P001.eml")
    result = consolidate(folder, out)
    assert all(f.outcome == partxl.Outcome.ACCEPTED for f in result.files), [(f.path, f.outcome) for f in result.files]
    rows = ledger_rows(out)
    assert rows["P003"][:2] == ("", None) and rows["P001"][:2] == (officers["P001"], "2027-06-07T09:02:11+00:00")
    versions = frames.accepted_versions(out / "ledger.sqlite").set_index("partnership")  # the view is made again
    assert versions.loc["P001", "sender"] == officers["P001"] and versions.loc["P003", "sender"] == ""
    with Ledger(out / "ledger.sqlite") as ledger:
        [entry] = [e for e in ledger.returns("2027/28") if e.partnership == "P001"] or [None]
    assert entry is None or entry.sender == officers["P001"]


# ---------------------------------------------------------------- --save-attachments


def test_save_attachments_keeps_each_workbook_once_never_over_another_file(filled, officers, tmp_path):
    folder, out, kept = tmp_path / "returns", tmp_path / "out", tmp_path / "kept"
    folder.mkdir()
    cases.write(cases.thunderbird("Returns", [("../../P001 return.xlsx", filled["P001"]), (P019_NAME, filled["P019"])],
                                  sender=officers["P001"], date=ON_TIME), folder / "returns.eml")
    kept.mkdir()
    (kept / "P001 return.xlsx").write_bytes(b"the MIO's own file, not to be touched")
    code, _, err = run_cli("consolidate", str(folder), "--out", str(out), "--previous", str(SAMPLE_REGISTER),
                           "--as-of", AS_OF.isoformat(), "--save-attachments", str(kept))
    assert code == 0, err
    assert listing(kept) == {"P001 return.xlsx": 37, "P001 return (2).xlsx": len(filled["P001"]), P019_NAME: len(filled["P019"])}
    assert (kept / "P001 return (2).xlsx").read_bytes() == filled["P001"] and (kept / P019_NAME).read_bytes() == filled["P019"]
    assert not list(tmp_path.glob("P001*")) and not list(tmp_path.parent.glob("P001*"))  # nothing outside the folder
    times = {p: p.stat().st_mtime_ns for p in kept.iterdir()}
    code, _, err = run_cli("consolidate", str(folder), "--out", str(out), "--previous", str(SAMPLE_REGISTER),
                           "--as-of", AS_OF.isoformat(), "--save-attachments", str(kept))
    assert code == 0, err
    assert {p: p.stat().st_mtime_ns for p in kept.iterdir()} == times  # a second run writes nothing new


def test_save_attachments_into_the_returns_folder_reads_each_return_once_next_time(filled, officers, tmp_path):
    """The MIO may keep the attachments beside the messages: the next run finds each workbook twice, as a file and as
    an attachment, and reads it once (by its SHA-256), named by the file, still dated by the message."""
    folder, out = tmp_path / "returns", tmp_path / "out"
    folder.mkdir()
    cases.write(outlook("Return", [("P001 return.xlsx", filled["P001"])], sender=officers["P001"], date=LATE),
                folder / "P001.eml")
    first = consolidate(folder, out, save_attachments=folder / "saved")
    assert (folder / "saved" / "P001 return.xlsx").read_bytes() == filled["P001"]
    second = consolidate(folder, out, save_attachments=folder / "saved")
    assert len(first.files) == len(second.files) == 1
    assert second.files[0].path == "saved/P001 return.xlsx" and codes(second.files[0].findings) == ["MAIL_SEEN_ELSEWHERE"]
    assert ledger_rows(out)["P001"][1] == "2027-06-28T15:40:00+00:00"


# ---------------------------------------------------------------- protection, real Outlook files, hostile containers


def test_a_workbook_under_a_sensitivity_label_is_said_to_be_so_as_a_file_or_an_attachment(filled, tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "P001 return.xlsx").write_bytes(cases.labelled_workbook("OFFICIAL-SENSITIVE"))
    cases.write(outlook("Return", [("P003 return.xlsx", cases.labelled_workbook(None, with_label=False))]),
                folder / "P003.eml")
    (folder / "P019 return.xlsx").write_bytes(cases.password_workbook(filled["P019"]))
    result = consolidate(folder, tmp_path / "out")
    by_code = {f.code: f for f in result.findings if f.severity == "error"}
    assert set(by_code) == {"FILE_LABEL_PROTECTED", "WORKBOOK_LABEL_PROTECTED", "FILE_ENCRYPTED"}, sorted(by_code)
    label, rights = by_code["FILE_LABEL_PROTECTED"], by_code["WORKBOOK_LABEL_PROTECTED"]
    assert label.file == "P001 return.xlsx" and "sensitivity label ('OFFICIAL-SENSITIVE')" in label.message
    assert "rights management" in rights.message
    for finding in (label, rights):
        text = (finding.message + finding.hint).lower()
        assert "password" not in text and "not a workbook" not in text and "ask the officer" in text
    assert "password" in by_code["FILE_ENCRYPTED"].message  # a real password is still called one


def test_the_real_outlook_files_are_read_where_they_are(tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    for name in ("unicode.msg", "strangeDate.msg"):
        (folder / name).symlink_to(cases.MSG_DIR / name)  # read from ../shared, not copied
    result = consolidate(folder, tmp_path / "out")
    assert [f.outcome for f in result.files] == [partxl.Outcome.SKIPPED] * 2
    said = [f for f in result.findings if f.code.startswith("MAIL_")]
    assert len(said) == 2 and {f.code for f in said} <= {"MAIL_NO_WORKBOOK", "MAIL_NO_ATTACHMENT"}
    assert any("'Test for TIF files' from brizhou@gmail.com on 18/11/2013" in f.message and ".tif" in f.message for f in said)
    assert all(f.file.endswith(("in 'unicode.msg'", "in 'strangeDate.msg'")) for f in said)


def test_hostile_containers_are_findings_and_the_good_return_beside_them_is_accepted(filled, officers, tmp_path):
    folder, out, kept = tmp_path / "returns", tmp_path / "out", tmp_path / "out" / "attachments"
    folder.mkdir()
    cases.write(outlook("Returns", [("returns.zip", cases.zip_bomb(200 << 20))]), folder / "bomb.eml")
    parts = b"".join(b'--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="f%d.xlsx"\r\n'
                     b"Content-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n" % i for i in range(10_000))
    (folder / "many.eml").write_bytes(b"From: x@example.org\r\nSubject: Many\r\nMIME-Version: 1.0\r\n"
                                      b"Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n" + parts + b"--B--\r\n")
    (folder / "broken.eml").write_bytes(b"From: x@example.org\r\nSubject: Return\r\nDate: " + cases.DATE.encode()
                                        + b"\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\nno boundary anywhere\r\n")
    cases.write(cases.thunderbird("Path", [("../../x.xlsx", filled["P003"])], sender=officers["P003"], date=ON_TIME),
                folder / "path.eml")
    (folder / "P001 return.xlsx").write_bytes(filled["P001"])
    outside = listing(tmp_path.parent)
    result = consolidate(folder, out, save_attachments=kept)
    named = {f.file: f.code for f in result.findings if f.severity == "error"}
    assert sorted(named.values()) == ["MAIL_DAMAGED", "MAIL_TOO_LARGE", "MAIL_TOO_MANY_PARTS"], named
    assert any(k.startswith("the archive 'returns.zip', attached to the message 'Returns'") for k in named)
    found = by_partnership(result)
    assert found["P001"][0].outcome == found["P003"][0].outcome == partxl.Outcome.ACCEPTED
    assert found["P003"][0].path.startswith("attachment 'x.xlsx' of the message 'Path'")
    assert listing(kept) == {"x.xlsx": len(filled["P003"])}
    grown = set(listing(tmp_path.parent)) - set(outside)
    assert all(path.startswith(f"{tmp_path.name}/out/") for path in grown), sorted(grown)


def test_check_reads_every_workbook_of_a_message(filled, officers, tmp_path):
    path = cases.write(outlook("Returns", [("P001 return.xlsx", filled["P001"]), ("P019 return.xlsx", filled["P019"])],
                                     sender=officers["P001"]), tmp_path / "two.eml")
    result = partxl.Workspace.load().check(path, as_of=AS_OF)
    assert result.accepted and result.workbooks == 2 and result.findings == []
    empty = cases.write(outlook("Nothing"), tmp_path / "empty.eml")
    code, out, _ = run_cli("check", str(empty), "--as-of", AS_OF.isoformat())
    assert code == 1 and "no workbook in it to check" in out and "has no attachment" in out


def test_a_folder_of_plain_workbooks_reads_no_mail(filled, tmp_path):
    """The consolidate of a folder with no container imports none of partxl's mail reading, nor what it reads with
    (the email package's parser is another matter: Python's own package metadata loads it for every command)."""
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "P001 return.xlsx").write_bytes(filled["P001"])
    script = textwrap.dedent(f"""
        import datetime as dt, sys
        import partxl
        partxl.Workspace.load().consolidate({str(folder)!r}, out={str(tmp_path / "out")!r}, as_of=dt.date(2027, 7, 12))
        print(sorted(m for m in ("mailbox", "email.policy", "partxl.returns.containers", "partxl.returns.mail",
                                 "partxl.returns.outlook", "extract_msg", "olefile") if m in sys.modules))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True)
    assert json.loads(done.stdout.strip().replace("'", '"')) == []


def test_a_mailbox_big_enough_to_hold_dozens_of_returns_is_read_by_every_core(tmp_path):
    from partxl.returns.collect import many_returns

    small, big = tmp_path / "small.mbox", tmp_path / "big.mbox"
    small.write_bytes(b"From - x\n" + b"x" * 10_000)
    big.write_bytes(b"From - x\n" + b"x" * 2_000_000)  # forty returns of 50 KB
    plain = tmp_path / "big.xlsx"
    plain.write_bytes(b"x" * 2_000_000)
    assert not many_returns([small]) and not many_returns([plain]) and many_returns([big])
    assert many_returns([tmp_path / f"{n}.xlsx" for n in range(24)])


def test_an_attachment_named_for_another_partnership_is_judged_by_its_own_name():
    from partxl.returns.validate import misnamed, own_name

    mailed = "attachment 'P005 return.xlsx' of the message 'RE: P009 (Alan's)' from a@b.uk on 07/06/2027, in 'x/P009.eml'"
    assert own_name(mailed) == "P005 return.xlsx" and misnamed(mailed, "P009") is not None
    assert misnamed(mailed.replace("P005", "P009", 1), "P009") is None
    assert own_name("'P009 return.xlsx' in the archive 'P001.zip'") == "P009 return.xlsx"
    assert own_name("2027/June/P001 return.xlsx") == "P001 return.xlsx"


def test_a_container_that_holds_the_parser_too_long_is_stopped_and_the_run_goes_on(filled, monkeypatch, tmp_path):
    """The mail is parsed in the command's own process: a message that would hold the parser for ever is stopped by a
    timer between two steps of the parse (here a limit no parse can meet), and is a finding like any other."""
    from partxl.workers import TookTooLong, each_within

    def forever():
        yield "first"
        while True:  # pure Python, as the email package is
            pass

    items = each_within(forever(), 0.2)
    assert next(items) == "first"
    with pytest.raises(TookTooLong):
        next(items)

    folder = tmp_path / "returns"
    folder.mkdir()
    cases.write(outlook("Return", [("P001 return.xlsx", filled["P001"])]), folder / "slow.eml")
    monkeypatch.setenv("PARTXL_JOB_SECONDS", "0.0001")
    result = consolidate(folder, tmp_path / "out")
    [stopped] = [f for f in result.findings if f.code == "FILE_TIMED_OUT"]
    assert stopped.file == "slow.eml" and "Outlook" in stopped.hint and "0.0001 seconds" in stopped.message


def test_a_subject_of_forty_thousand_characters_does_not_push_the_file_name_out_of_the_report(filled, tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    cases.write(outlook("Long " * 9000, [("P001 return.xlsx", filled["P001"])], sender="x" * 5000 + "@example.org"),
                folder / "long.eml")
    [result] = consolidate(folder, tmp_path / "out").files
    assert len(result.path) < 500 and result.path.endswith("in 'long.eml'") and "Long Long…" in result.path
