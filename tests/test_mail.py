"""Returns where they land: workbooks read from saved e-mails, mailboxes, Outlook messages and archives (issue 15).

Every workbook comes out byte for byte as it was attached; every other thing gets its own finding that says what
to do; hostile containers are refused within bounded memory. The Outlook files are the real ones in
../shared/testdata/msg/ (CI has ../shared beside the repository): without them these tests fail, never skip.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest

from partxl.findings import ERROR, INFO, WARNING
from partxl.returns.containers import Attachment, Code, Limits, Problem, Provenance, Step, save_attachments, unpack, unpack_bytes
from partxl.returns.mail import Envelope
from partxl.returns.protection import LABEL, PASSWORD, RIGHTS, protection_of

from . import mail_cases as cases
from . import returns
from .peak import run_measured

NOT_SAID = ("password-protected", "password to open", "not a workbook partxl can read")


@pytest.fixture(scope="module")
def workbooks(generated: Path, tmp_path_factory) -> dict[str, bytes]:
    """Two returns filled in (P001, P019) and one as issued (P002), each as the bytes of its file."""
    folder = tmp_path_factory.mktemp("filled")
    plan = {item.source: item for item in returns.plan()}
    one, nineteen = returns.fill_with_openpyxl([plan["P001"], plan["P019"]], generated, folder)
    issued = next(generated.glob("P002 *.xlsx"))
    return {"P001": one.read_bytes(), "P019": nineteen.read_bytes(), "P002": issued.read_bytes()}


def items(path: Path, limits: Limits | None = None) -> tuple[list[Attachment], list[Problem]]:
    found = list(unpack(path, limits or Limits(), display=path.name))
    attachments = [i for i in found if isinstance(i, Attachment)]
    problems = [i for i in found if isinstance(i, Problem)]
    assert len(attachments) + len(problems) == len(found)
    return attachments, problems


def codes(problems: list[Problem]) -> list[str]:
    return [p.code.name for p in problems]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assert_plain_words(problem: Problem) -> None:
    text = (problem.message + " " + problem.hint).lower()
    assert not any(words in text for words in NOT_SAID), problem.message


# ---------------------------------------------------------------- returns as officers send them


def test_an_outlook_message_gives_its_return_byte_for_byte_under_its_decoded_name(workbooks, tmp_path):
    name = "P019 Wexbridge Credit Union – Savings.xlsx"  # an en dash: Outlook encodes the name RFC 2047
    message = cases.outlook("RE: Partnership return", [(name, workbooks["P019"])])
    raw = message.as_bytes(policy=cases.SMTP)
    assert b"=?utf-8?" in raw and "–".encode() not in raw  # the name travels encoded, as Outlook sends it
    attachments, problems = items(cases.write(message, tmp_path / "RE Partnership return.eml"))
    assert problems == []
    [got] = attachments
    assert got.name == name and got.suffix == ".xlsx"
    assert got.data == workbooks["P019"] and got.sha256 == sha(workbooks["P019"])
    assert got.describe() == ("attachment 'P019 Wexbridge Credit Union – Savings.xlsx' of the message 'RE: Partnership return' "
                              "from alan.whitfield@wexbridge.gov.uk on 12/01/2027")
    assert got.provenance.display == f"RE Partnership return.eml › {name}"
    assert got.provenance.sender == cases.OFFICER
    envelope = got.provenance.messages[0]
    assert envelope.sent == dt.datetime(2027, 1, 12, 9, 14, 3, tzinfo=dt.UTC)
    assert got.provenance.received == dt.datetime(2027, 1, 12, 9, 14, 7, tzinfo=dt.UTC)  # the Received header's, not Date's
    assert envelope.subject == "RE: Partnership return" and envelope.message_id.endswith("@EXCH01.wexbridge.gov.uk>")


def test_a_thunderbird_message_with_an_rfc_2231_name(workbooks, tmp_path):
    name = "P019 Wexbridge Credit Union – Savings.xlsx"
    message = cases.thunderbird("Partnership return P019", [(name, workbooks["P019"])], date="Mon, 21 Jun 2027 17:02:11 +0100")
    assert b"filename*" in message.as_bytes(policy=cases.SMTP)
    [got], problems = items(cases.write(message, tmp_path / "P019.eml"))
    assert problems == []
    assert got.name == name and got.data == workbooks["P019"]
    assert got.provenance.received == dt.datetime(2027, 6, 21, 16, 2, 11, tzinfo=dt.UTC)  # no Received header: the Date
    assert "on 21/06/2027" in got.describe()


def test_a_mailbox_gives_each_message_in_turn(workbooks, tmp_path):
    mailbox = tmp_path / "June returns.mbox"
    mailbox.write_bytes(cases.mbox_bytes([
        cases.thunderbird("P001", [("P001 return.xlsx", workbooks["P001"])], text="From the office: see attached.\n"),
        cases.outlook("P019 and P002", [("P019 return.xlsx", workbooks["P019"]), ("P002 return.xlsx", workbooks["P002"])]),
        cases.outlook("Will send it next week", []),
    ]))
    attachments, problems = items(mailbox)
    assert [(a.name, a.data) for a in attachments] == [("P001 return.xlsx", workbooks["P001"]),
                                                        ("P019 return.xlsx", workbooks["P019"]),
                                                        ("P002 return.xlsx", workbooks["P002"])]
    assert codes(problems) == ["MAIL_NO_ATTACHMENT"]
    assert problems[0].message == ("The message 'Will send it next week' from alan.whitfield@wexbridge.gov.uk on 12/01/2027 "
                                   "(message 3 of the mailbox) has no attachment, so it holds no return.")
    assert attachments[1].provenance.display == "June returns.mbox › message 2 › P019 return.xlsx"
    assert problems[0].severity == WARNING


def test_a_zip_gives_its_workbooks_and_says_what_else_it_held(workbooks, tmp_path):
    archive = tmp_path / "returns.zip"
    archive.write_bytes(cases.zipped([("June/P001 return.xlsx", workbooks["P001"]), ("June/minutes.pdf", b"%PDF-1.7 ..."),
                                      ("__MACOSX/June/._P001 return.xlsx", b"\x00\x05\x16\x07"), ("June/~$P001 return.xlsx", b"x")]))
    attachments, problems = items(archive)
    assert [(a.name, a.data) for a in attachments] == [("P001 return.xlsx", workbooks["P001"])]
    assert attachments[0].describe() == "'P001 return.xlsx' in the archive 'returns.zip'"
    assert sorted(codes(problems)) == ["ARCHIVE_SKIPPED", "MAIL_OTHER_ATTACHMENT"]  # Apple's ._ file is nobody's: not listed
    other = next(p for p in problems if p.code is Code.MAIL_OTHER_ATTACHMENT)
    assert other.severity == INFO and "a .pdf file" in other.message


def test_the_same_return_in_a_reply_and_a_forward_is_one_file_by_its_sha256(workbooks, tmp_path):
    original = cases.outlook("Partnership return", [("P001 return.xlsx", workbooks["P001"])])
    reply = cases.outlook("RE: Partnership return", [("P001 return.xlsx", workbooks["P001"])], sender=cases.COLLEAGUE,
                          date="Wed, 13 Jan 2027 10:00:00 +0000")
    forward = cases.forward_as_attachment(original, "FW: Partnership return", date="Thu, 14 Jan 2027 08:30:00 +0000")
    found = [a for name, message in (("a.eml", original), ("b.eml", reply), ("c.eml", forward))
             for a in items(cases.write(message, tmp_path / name))[0]]
    assert len(found) == 3 and len({a.sha256 for a in found}) == 1 and found[2].data == workbooks["P001"]
    forwarded = found[2].provenance
    assert [m.sender for m in forwarded.messages] == [cases.COLLEAGUE, cases.OFFICER]  # the outermost first
    assert forwarded.sender == cases.COLLEAGUE and forwarded.sent_by(cases.OFFICER.upper()) and not forwarded.sent_by(cases.MIO)
    assert found[1].provenance.sent_by(cases.COLLEAGUE) and not found[1].provenance.sent_by(cases.OFFICER)
    assert found[2].describe() == ("attachment 'P001 return.xlsx' of the message 'Partnership return' from "
                                   "alan.whitfield@wexbridge.gov.uk on 12/01/2027, attached to the message 'FW: Partnership "
                                   "return' from jo.patel@wexbridge.gov.uk on 12/01/2027")


def test_a_picture_in_the_text_is_no_attachment(workbooks, tmp_path):
    message = cases.outlook("Return", [("P001 return.xlsx", workbooks["P001"])])
    html_part = next(p for p in message.walk() if p.get_content_type() == "text/html")
    html_part.add_related(b"\x89PNG\r\n\x1a\n" + bytes(64), maintype="image", subtype="png", cid="<image001.png@01D>",
                          filename="image001.png", disposition="inline")
    [got], problems = items(cases.write(message, tmp_path / "logo.eml"))
    assert got.data == workbooks["P001"] and problems == []  # the signature's logo is not reported


# ---------------------------------------------------------------- real Outlook files


def test_the_real_outlook_files_are_read(tmp_path):
    assert cases.MSG_DIR.is_dir(), f"{cases.MSG_DIR} is missing: CI lays ../shared beside the repository"
    attachments, problems = items(cases.MSG_DIR / "unicode.msg")
    assert attachments == [] and codes(problems) == ["MAIL_NO_WORKBOOK"]  # two TIFF images, neither a return
    assert problems[0].message == ("The message 'Test for TIF files' from brizhou@gmail.com on 18/11/2013 has no workbook "
                                   "attached, only 'import OleFileIO.tif', 'raised value error.tif'; none of them is a return.")
    assert_plain_words(problems[0])
    envelope = problems[0].provenance.messages[0]
    assert envelope.sender_name == "Brian Zhou" and envelope.sent == dt.datetime(2013, 11, 18, 8, 26, 24, tzinfo=dt.UTC)
    attachments, problems = items(cases.MSG_DIR / "strangeDate.msg")
    assert attachments == [] and codes(problems) == ["MAIL_NO_ATTACHMENT"]
    assert problems[0].provenance.messages[0].sender == "" and problems[0].provenance.received is None
    assert problems[0].message == "The message 'MSG Test File' has no attachment, so it holds no return."


def test_a_return_in_an_outlook_file_comes_out_byte_for_byte(workbooks, tmp_path):
    msg = tmp_path / "Return.msg"
    msg.write_bytes(cases.msg_with(cases.MSG_DIR / "unicode.msg", 0, "P001 return.xlsx", workbooks["P001"]))
    attachments, problems = items(msg)
    assert [(a.name, a.data, a.sha256) for a in attachments] == [("P001 return.xlsx", workbooks["P001"], sha(workbooks["P001"]))]
    assert attachments[0].describe() == ("attachment 'P001 return.xlsx' of the message 'Test for TIF files' from "
                                         "brizhou@gmail.com on 18/11/2013")
    assert codes(problems) == ["MAIL_OTHER_ATTACHMENT"] and "'raised value error.tif'" in problems[0].message
    assert problems[0].severity == INFO and "a .tif file" in problems[0].message


def test_an_outlook_item_attached_to_an_outlook_message_is_followed(workbooks, tmp_path):
    inner = cases.msg_with(cases.MSG_DIR / "unicode.msg", 0, "P001 return.xlsx", workbooks["P001"])
    outer = tmp_path / "FW.msg"
    outer.write_bytes(cases.msg_embedding(cases.MSG_DIR / "unicode.msg", 1, inner))
    attachments, problems = items(outer)
    [got] = attachments
    assert got.data == workbooks["P001"] and len(got.provenance.messages) == 2
    assert ", attached to the message 'Test for TIF files'" in got.describe()
    # each message's own TIFF is only mentioned, since a workbook came out of the outer message
    assert set(codes(problems)) == {"MAIL_OTHER_ATTACHMENT"}


# ---------------------------------------------------------------- messages that hold no return, and why


def test_a_message_with_no_attachment(tmp_path):
    [problem] = items(cases.write(cases.outlook("My return", []), tmp_path / "m.eml"))[1]
    assert problem.code is Code.MAIL_NO_ATTACHMENT and problem.severity == WARNING
    assert "attach the workbook" in problem.hint
    assert_plain_words(problem)


def test_a_link_to_sharepoint_in_place_of_an_attachment(tmp_path):
    target = "https://wexbridgecouncil.sharepoint.com/:x:/s/Partnerships/EXa1b2c3?e=Xyz"
    wrapped = "https://eur02.safelinks.protection.outlook.com/?url=" + target.replace(":", "%3A").replace("/", "%2F").replace(
        "?", "%3F").replace("=", "%3D") + "&amp;data=05%7C02&amp;reserved=0"
    message = cases.outlook("P001 return", [], html=f'<p>My return is <a href="{wrapped}">here</a>.</p>')
    [problem] = items(cases.write(message, tmp_path / "link.eml"))[1]
    assert problem.code is Code.MAIL_CLOUD_LINK and problem.severity == WARNING
    assert f"on SharePoint ({target})" in problem.message  # the Safe Links wrapper taken off
    assert "attach the workbook itself" in problem.hint and "save it into the returns folder" in problem.hint
    assert_plain_words(problem)
    onedrive = cases.thunderbird("P002", [], text="It is at https://1drv.ms/x/s!AkXyZ123 thanks\n")
    [problem] = items(cases.write(onedrive, tmp_path / "od.eml"))[1]
    assert problem.code is Code.MAIL_CLOUD_LINK and "on OneDrive (https://1drv.ms/x/s!AkXyZ123)" in problem.message


def test_a_sharepoint_link_beside_a_workbook_is_not_reported(workbooks, tmp_path):
    message = cases.outlook("P001", [("P001 return.xlsx", workbooks["P001"])],
                            html='<p>Intranet: <a href="https://wexbridgecouncil.sharepoint.com/sites/intranet">here</a></p>')
    attachments, problems = items(cases.write(message, tmp_path / "sig.eml"))
    assert len(attachments) == 1 and problems == []


def test_a_signed_message_still_gives_its_return(workbooks, tmp_path):
    message = cases.signed(cases.outlook("Signed return", [("P001 return.xlsx", workbooks["P001"])]))
    attachments, problems = items(cases.write(message, tmp_path / "signed.eml"))
    assert [a.data for a in attachments] == [workbooks["P001"]]  # smime.p7s is the signature, not an attachment
    assert codes(problems) == ["MAIL_SIGNED"] and problems[0].severity == INFO


@pytest.mark.parametrize(("smime_type", "said"), [("enveloped-data", "is encrypted (S/MIME)"), (None, "is encrypted (S/MIME)"),
                                                  ("signed-data", "opaque form")])
def test_an_encrypted_message_says_what_to_do(smime_type, said, tmp_path):
    [problem] = items(cases.write(cases.encrypted("Return", smime_type), tmp_path / "enc.eml"))[1]
    assert problem.code is Code.MAIL_ENCRYPTED and problem.severity == ERROR
    assert said in problem.message and "Open the message in Outlook" in problem.hint
    assert_plain_words(problem)


def test_microsoft_365_message_encryption_and_winmail_dat(tmp_path):
    rights = cases.outlook("Encrypted", [])
    rights.make_mixed()
    rights.add_attachment(b"\x76\xe8\x04\x60" + bytes(100), maintype="application", subtype="x-microsoft-rpmsg-message",
                          filename="message.rpmsg")
    [problem] = items(cases.write(rights, tmp_path / "rpmsg.eml"))[1]
    assert problem.code is Code.MAIL_ENCRYPTED and "Microsoft 365 message encryption" in problem.message
    tnef = cases.outlook("Rich text", [])
    tnef.make_mixed()
    tnef.add_attachment(b"\x78\x9f\x3e\x22" + bytes(100), maintype="application", subtype="ms-tnef", filename="winmail.dat")
    [problem] = items(cases.write(tnef, tmp_path / "tnef.eml"))[1]
    assert problem.code is Code.MAIL_WINMAIL and problem.severity == ERROR


def test_a_workbook_under_a_sensitivity_label(workbooks, tmp_path):
    labelled, rights_only = cases.labelled_workbook(), cases.labelled_workbook(with_label=False)
    protected = cases.password_workbook(workbooks["P001"])
    assert protection_of(labelled).kind == LABEL and protection_of(labelled).label == "OFFICIAL-SENSITIVE"
    assert protection_of(rights_only).kind == RIGHTS and protection_of(protected).kind == PASSWORD
    assert protection_of(workbooks["P001"]).kind == "" and protection_of(b"\x09\x08 an old .xls").kind == ""
    message = cases.outlook("Returns", [("P001 return.xlsx", labelled), ("P002 return.xlsx", rights_only),
                                        ("P019 return.xlsx", protected),
                                        ("P002 labelled.xlsx", cases.with_custom_label(workbooks["P002"]))])
    attachments, problems = items(cases.write(message, tmp_path / "labels.eml"))
    assert codes(problems) == ["WORKBOOK_LABEL_PROTECTED", "WORKBOOK_LABEL_PROTECTED"]
    assert "a Microsoft 365 sensitivity label ('OFFICIAL-SENSITIVE') that encrypts it" in problems[0].message
    assert "rights management" in problems[1].message
    assert problems[0].sha256 == sha(labelled)  # for the ledger: the same labelled file next run is known
    assert all("Sensitivity" in p.hint for p in problems)
    for problem in problems:
        assert_plain_words(problem)
    # a password-protected workbook is the workbook reader's to report; a label that does not encrypt reads as usual
    assert [(a.name, a.label) for a in attachments] == [("P019 return.xlsx", ""), ("P002 labelled.xlsx", "OFFICIAL")]


# ---------------------------------------------------------------- damage and hostile input


def test_a_wrong_mime_boundary_is_repaired(workbooks, tmp_path):
    raw = cases.outlook("Return", [("P001 return.xlsx", workbooks["P001"])]).as_bytes(policy=cases.SMTP)
    boundary = raw.split(b'boundary="', 1)[1].split(b'"', 1)[0]
    broken = raw.replace(b'boundary="' + boundary + b'"', b'boundary="----=_NextPart_000_0001_01DA"', 1)
    attachments, problems = items(_file(tmp_path / "b.eml", broken))
    assert [a.data for a in attachments] == [workbooks["P001"]]
    assert codes(problems) == ["MAIL_REPAIRED"] and "MIME boundary" in problems[0].message


def test_a_message_damaged_beyond_repair(tmp_path):
    raw = (b"From: alan.whitfield@wexbridge.gov.uk\r\nSubject: Return\r\nDate: " + cases.DATE.encode()
           + b"\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\nno boundary anywhere\r\n")
    [problem] = items(_file(tmp_path / "d.eml", raw))[1]
    assert problem.code is Code.MAIL_DAMAGED and "names no MIME boundary" in problem.message


def test_a_message_cut_short(workbooks, tmp_path):
    raw = cases.outlook("Return", [("P001 return.xlsx", workbooks["P001"])]).as_bytes(policy=cases.SMTP)
    attachments, problems = items(_file(tmp_path / "cut.eml", raw[: len(raw) * 3 // 4]))
    assert len(attachments) == 1 and attachments[0].data != workbooks["P001"]  # what there was: the reader will say damaged
    assert codes(problems) == ["MAIL_REPAIRED"] and "cut short" in problems[0].message


def test_ten_thousand_attachments_are_refused_unparsed(tmp_path):
    parts = b"".join(b'--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="f%d.xlsx"\r\n'
                     b"Content-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n" % i for i in range(10_000))
    raw = (b"From: x@example.org\r\nSubject: Many\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
           + parts + b"--B--\r\n")
    path = _file(tmp_path / "many.eml", raw)
    (attachments, problems), peak = _measured(lambda: items(path))
    assert attachments == [] and codes(problems) == ["MAIL_TOO_MANY_PARTS"]
    assert "10,000 attachments" in problems[0].message
    assert peak < 16 << 20, peak  # the message is 1.3 MB; parsed, its parts would cost far more


def test_a_zip_bomb_inside_an_email(tmp_path):
    bomb = cases.zip_bomb(200 << 20)
    message = cases.outlook("Returns", [("returns.zip", bomb)])
    path = cases.write(message, tmp_path / "bomb.eml")
    (attachments, problems), peak = _measured(lambda: items(path))
    assert attachments == [] and codes(problems) == ["MAIL_TOO_LARGE"]
    assert problems[0].message.startswith("The archive 'returns.zip', attached to the message 'Returns'")
    assert peak < 16 << 20, peak
    liar = cases.write(cases.outlook("Returns", [("returns.zip", cases.lying_zip(200 << 20))]), tmp_path / "liar.eml")
    (attachments, problems), peak = _measured(lambda: items(liar))
    assert attachments == [] and codes(problems)[0] in ("MAIL_DAMAGED", "MAIL_TOO_LARGE")
    assert peak < 16 << 20, peak


def test_archives_inside_archives_stop_at_the_depth(workbooks, tmp_path):
    data = workbooks["P001"]
    name = "P001 return.xlsx"
    for level in range(5):
        data, name = cases.zipped([(name, data)]), f"level{level}.zip"
    attachments, problems = items(_file(tmp_path / "deep.zip", data))  # six containers: the file and five inside
    assert attachments == [] and codes(problems) == ["MAIL_TOO_DEEP"]
    assert "inside 4 messages or archives" in problems[0].message
    attachments, problems = items(_file(tmp_path / "deep.zip", data), Limits(depth=6))
    assert [a.data for a in attachments] == [workbooks["P001"]] and problems == []


def test_messages_forwarded_inside_one_another_stop_at_the_depth(workbooks, tmp_path):
    inner = cases.outlook("Return", [("P001 return.xlsx", workbooks["P001"])])
    for level in range(3):
        inner = cases.forward_as_attachment(inner, f"FW {level}")
    attachments, problems = items(cases.write(inner, tmp_path / "fw.eml"))  # four messages: within the depth
    assert [a.data for a in attachments] == [workbooks["P001"]] and len(attachments[0].provenance.messages) == 4
    inner = cases.forward_as_attachment(inner, "FW 3")
    attachments, problems = items(cases.write(inner, tmp_path / "fw5.eml"))
    assert attachments == [] and "MAIL_TOO_DEEP" in codes(problems)
    # thousands of levels, as no mail client writes (the email package itself cannot write them: built by hand)
    level = b"From: x@example.org\r\nSubject: FW\r\nMIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n"
    raw = level * 5_000 + b"From: x@example.org\r\nSubject: Return\r\n\r\nHello\r\n"
    (attachments, problems), peak = _measured(lambda: items(_file(tmp_path / "deep.eml", raw)))
    assert attachments == [] and codes(problems)[0] in ("MAIL_TOO_DEEP", "MAIL_DAMAGED") and peak < 64 << 20


def test_a_name_with_a_path_in_it_stays_a_name(workbooks, tmp_path):
    message = cases.thunderbird("Returns", [("../../x.xlsx", workbooks["P001"]), ("C:\\Users\\alan\\x.xlsx", workbooks["P019"]),
                                            ("..\\..\\..\\x.xlsx", workbooks["P001"])])
    attachments, problems = items(cases.write(message, tmp_path / "paths.eml"))
    assert [a.name for a in attachments] == ["x.xlsx"] * 3 and problems == []
    saved = tmp_path / "out" / "attachments"
    paths = save_attachments(attachments, saved)
    assert [p.name for p in paths] == ["x.xlsx", "x (2).xlsx", "x.xlsx"]  # the third is the first's bytes: not written twice
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == ["attachments", "x (2).xlsx", "x.xlsx"]
    assert (saved / "x.xlsx").read_bytes() == workbooks["P001"] and (saved / "x (2).xlsx").read_bytes() == workbooks["P019"]
    assert not (tmp_path / "x.xlsx").exists() and not list(tmp_path.parent.glob("x*.xlsx"))
    (saved / "x (3).xlsx").symlink_to(tmp_path / "elsewhere.xlsx")  # a link where a name would go is never written through
    other = Attachment("x.xlsx", b"other", sha(b"other"), attachments[0].provenance)
    assert save_attachments([other], saved)[0].name == "x (4).xlsx" and not (tmp_path / "elsewhere.xlsx").exists()
    assert save_attachments([attachments[1]], saved)[0].name == "x (2).xlsx"  # a second run writes nothing new


def test_a_password_protected_archive_and_an_outlook_item_that_is_no_email(workbooks, tmp_path):
    data = bytearray(cases.zipped([("P001 return.xlsx", workbooks["P001"])]))
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # the encrypted flag, as a password sets it
        at = data.find(signature)
        data[at + flags_at] |= 1
    [problem] = items(_file(tmp_path / "locked.zip", bytes(data)))[1]
    assert problem.code is Code.ARCHIVE_ENCRYPTED and problem.message.startswith("'P001 return.xlsx' in the archive 'locked.zip'")
    contact = cases._writer(cases.MSG_DIR / "strangeDate.msg")
    contact.editEntry("__substg1.0_001A001F", data="IPM.Contact".encode("utf-16-le"))  # the item's message class
    [problem] = items(_file(tmp_path / "contact.msg", cases._written(contact)))[1]
    assert problem.code is Code.MAIL_NOT_A_MESSAGE
    assert problem.message == "The Outlook contact 'MSG Test File' is not an e-mail, and holds no workbook."


def test_a_file_too_big_to_be_a_message_is_refused_unread(workbooks, tmp_path):
    path = cases.write(cases.outlook("Big", [("P001 return.xlsx", workbooks["P001"])]), tmp_path / "big.eml")
    [problem] = items(path, Limits(message_bytes=10_000))[1]
    assert problem.code is Code.MAIL_TOO_LARGE and problem.message.startswith("The message 'Big' from alan.whitfield")
    msg = _file(tmp_path / "big.msg", (cases.MSG_DIR / "unicode.msg").read_bytes())
    [problem] = items(msg, Limits(message_bytes=10_000))[1]
    assert problem.code is Code.MAIL_TOO_LARGE and problem.message.startswith("A message with no subject was refused")
    not_outlook = _file(tmp_path / "fake.msg", b"Subject: not Outlook at all\r\n\r\n")
    [problem] = items(not_outlook)[1]
    assert problem.code is Code.MAIL_DAMAGED and "not an Outlook message file" in problem.message


def test_what_unpack_is_for(tmp_path):
    from partxl.returns.containers import is_container

    thunderbird_folder = _file(tmp_path / "Inbox", b"From - Tue Jan 12 09:14:07 2027\nSubject: x\n\nhi\n")
    other = _file(tmp_path / "notes", b"hello")
    assert [is_container(tmp_path / n) for n in ("a.eml", "b.MSG", "c.mbox", "d.zip")] == [True] * 4
    assert not any(is_container(tmp_path / n) for n in ("a.xlsx", "b.xls", "c.ods", "d.pdf"))
    assert is_container(thunderbird_folder) and not is_container(other)


@pytest.mark.parametrize("code", list(Code), ids=lambda c: c.name)
def test_every_code_reads_as_plain_english(code):
    words = {"names": "'a.pdf'", "kind": "a .pdf file", "service": "SharePoint", "url": "https://x.sharepoint.com/a",
             "what": "encrypted (S/MIME)", "detail": "it is cut short", "count": 10_000, "things": "attachments", "limit": 1_000,
             "depth": 5, "partnership": "P001", "officer": "Alan Whitfield", "issued_to": cases.OFFICER,
             "sender": cases.COLLEAGUE, "others": "attachment 'a.xlsx' of the message 'y'", "folder": "kept"}
    problem = Problem(code, Provenance("a.eml", (Step("message", envelope=Envelope(subject="x")),), "a.xlsx"), words)
    text = problem.message + problem.hint
    assert "{" not in text and "}" not in text and problem.message.endswith(".") and problem.hint.endswith(".")
    assert problem.severity in (ERROR, WARNING, INFO)
    assert_plain_words(problem)


def test_a_problem_is_a_finding_of_the_report(tmp_path):
    [problem] = items(cases.write(cases.outlook("My return", []), tmp_path / "m.eml"))[1]
    finding = problem.finding()
    assert (finding.code, finding.severity, finding.file) == ("MAIL_NO_ATTACHMENT", "warning", "m.eml")
    assert finding.message == problem.message and finding.hint == problem.hint


def test_a_date_without_a_zone_is_taken_as_utc_and_a_message_without_one_has_none(workbooks):
    message = cases.thunderbird("P001", [("P001 return.xlsx", workbooks["P001"])], date="Tue, 12 Jan 2027 09:14:03 -0000")
    [got] = [i for i in unpack_bytes(message.as_bytes(policy=cases.SMTP), ".eml", "a.eml") if isinstance(i, Attachment)]
    assert got.provenance.received == dt.datetime(2027, 1, 12, 9, 14, 3, tzinfo=dt.UTC)
    del message["Date"]
    [got] = [i for i in unpack_bytes(message.as_bytes(policy=cases.SMTP), ".eml", "a.eml") if isinstance(i, Attachment)]
    assert got.provenance.received is None and got.describe().endswith("from alan.whitfield@wexbridge.gov.uk")


def test_extract_msg_and_olefile_are_imported_only_when_needed(workbooks, tmp_path):
    path = cases.write(cases.outlook("P001", [("P001 return.xlsx", workbooks["P001"])]), tmp_path / "a.eml")
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from partxl.returns.containers import unpack
        found = list(unpack(Path({str(path)!r})))
        heavy = [m for m in ("extract_msg", "olefile", "openpyxl", "pandas", "python_calamine") if m in sys.modules]
        list(unpack(Path({str(cases.MSG_DIR / 'unicode.msg')!r})))
        print(len(found), heavy, "extract_msg" in sys.modules)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["1", "[]", "True"]


# ---------------------------------------------------------------- a mailbox of 1 GiB, streamed


def test_a_mailbox_of_a_gibibyte_is_streamed_in_bounded_memory(workbooks, tmp_path):
    """Seven messages of 150 MiB (one a single line with no line break) between three with returns: 1 GiB in all.
    Read in a process of its own, which must stay far below the mailbox's size."""
    mailbox = tmp_path / "Exported.mbox"
    good = [cases.outlook(f"Return {p}", [(f"{p} return.xlsx", workbooks[p])]) for p in ("P001", "P019", "P002")]
    with open(mailbox, "wb") as out:
        out.write(cases.mbox_bytes([good[0]]))
        for number in range(7):
            out.write(b"From - Tue Jan 12 09:14:07 2027\nFrom: bulk@example.org\nSubject: Scan " + str(number).encode()
                      + b"\nContent-Type: application/octet-stream\n\n")
            line = (b"A" * 1023 + b"\n") if number else b"A" * 1024  # number 0: one line of 150 MiB
            block = line * 1024
            for _ in range(150):
                out.write(block)
            out.write(b"\n\n")
            if number == 3:
                out.write(cases.mbox_bytes([good[1]]))
        out.write(cases.mbox_bytes([good[2]]))
    size = mailbox.stat().st_size
    assert size > 1 << 30
    script = textwrap.dedent(f"""
        import json, resource, time
        from pathlib import Path
        from partxl.returns.containers import Attachment, unpack
        start = time.perf_counter()
        out = []
        for item in unpack(Path({str(mailbox)!r})):
            out.append([item.sha256, item.provenance.display] if isinstance(item, Attachment) else [item.code.name, item.message])
        print(json.dumps({{"items": out, "seconds": time.perf_counter() - start}}))
    """)
    try:
        done, peak = run_measured([sys.executable, "-c", script], tmp_path / "peak.json", memory=2 << 30, timeout=300)
    finally:
        mailbox.unlink()  # pytest keeps the last runs' folders: not a gibibyte each
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    shas = [entry[0] for entry in result["items"] if len(entry[0]) == 64]
    assert shas == [sha(workbooks[p]) for p in ("P001", "P019", "P002")]
    refused = [entry for entry in result["items"] if entry[0] == "MAIL_TOO_LARGE"]
    assert len(refused) == 7 and all("the message is 157,28" in e[1] for e in refused)
    assert "The message 'Scan 1' from bulk@example.org (message 3 of the mailbox)" in refused[1][1]
    print(f"1 GiB mailbox ({size:,} bytes): {result['seconds']:.1f} s, peak RSS {peak:.0f} MiB")
    assert peak < 200, peak  # the largest message kept is 50 MiB; the mailbox is 1,100 MiB


def test_a_mailbox_of_many_messages_costs_no_more_than_one(workbooks, tmp_path):
    message = cases.outlook("Return", [("P001 return.xlsx", workbooks["P001"])])
    mailbox = _file(tmp_path / "Many.mbox", cases.mbox_bytes([message] * 300))
    small = _file(tmp_path / "Few.mbox", cases.mbox_bytes([message] * 3))
    (_, peak_few) = _measured(lambda: sum(1 for _ in unpack(small)))
    started = time.perf_counter()
    count, peak_many = _measured(lambda: sum(1 for _ in unpack(mailbox)))
    assert count == 300 and time.perf_counter() - started < 60
    assert peak_many < peak_few + (4 << 20), (peak_few, peak_many)  # items dropped as they come: memory of one message


# ---------------------------------------------------------------- helpers


def _file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _measured(work):
    """``work()``'s result and the peak of Python's allocations while it ran (tracemalloc)."""
    tracemalloc.start()
    try:
        result = work()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
