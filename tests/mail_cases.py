"""Messages, mailboxes, archives and Outlook files to unpack, made as mail clients make them.

E-mails are built with the standard library's ``email`` package in the shapes Outlook and Thunderbird send:
multipart/mixed around a multipart/alternative text, base64 attachments, and attachment names encoded as
each client encodes them (Outlook: RFC 2047 encoded words in ``name=`` and ``filename=``; Thunderbird: RFC 2231
``filename*=``). Outlook .msg files are the real ones in ../shared/testdata/msg/, changed in a temporary copy
(an attachment's bytes and name replaced, a message embedded in another) with extract-msg's own OLE writer.
Nothing here copies those files into the project.
"""

from __future__ import annotations

import base64
import email.policy
import io
import struct
import zipfile
from collections.abc import Iterable
from email.header import Header
from email.message import EmailMessage
from pathlib import Path

MSG_DIR = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "msg"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OFFICER = "alan.whitfield@wexbridge.gov.uk"
COLLEAGUE = "jo.patel@wexbridge.gov.uk"
MIO = "mio@wexbridge.gov.uk"
DATE = "Tue, 12 Jan 2027 09:14:03 +0000"
RECEIVED = ("from mail.wexbridge.gov.uk (mail.wexbridge.gov.uk [10.0.0.5]) by mx.wexbridge.gov.uk with ESMTPS; "
            "Tue, 12 Jan 2027 09:14:07 +0000")
SMTP = email.policy.SMTP  # CRLF line ends, as a saved .eml has them


def outlook(subject: str, attachments: Iterable[tuple[str, bytes]] = (), *, sender: str = OFFICER, date: str = DATE,
            html: str = "", text: str = "Please find my return attached.\r\n\r\nAlan") -> EmailMessage:
    """A message as Outlook sends it: multipart/mixed (multipart/alternative text and HTML, then each attachment with its
    name RFC 2047-encoded in both ``name=`` and ``filename=``), the headers Outlook writes, and a Received header."""
    message = EmailMessage(policy=SMTP)
    message["Received"] = RECEIVED
    message["From"] = f"Alan Whitfield <{sender}>"
    message["To"] = f"Management Information Officer <{MIO}>"
    message["Subject"] = subject
    message["Date"] = date
    message["Message-ID"] = f"<{abs(hash((subject, sender, date)))}@EXCH01.wexbridge.gov.uk>"
    message["Thread-Topic"] = subject
    message["X-Mailer"] = "Microsoft Outlook 16.0"
    message["Content-Language"] = "en-GB"
    message.set_content(text)
    message.add_alternative(html or f"<html><body><p>{text}</p></body></html>", subtype="html")
    for name, data in attachments:
        if message.get_content_subtype() != "mixed":
            message.make_mixed()
        message.attach(_outlook_part(name, data))
    return message


def _outlook_part(name: str, data: bytes) -> EmailMessage:
    """An attachment as Outlook writes it: base64 lines of 76, the name as an RFC 2047 encoded word when not ASCII."""
    part = EmailMessage(policy=SMTP)
    encoded = name if name.isascii() else Header(name, "utf-8").encode()
    part["Content-Type"] = f'{XLSX if name.lower().endswith(".xlsx") else "application/octet-stream"}; name="{encoded}"'
    part["Content-Description"] = encoded
    part["Content-Disposition"] = f'attachment; filename="{encoded}"; size={len(data)}'
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(base64.encodebytes(data).decode("ascii").replace("\n", "\r\n"))
    return part


def thunderbird(subject: str, attachments: Iterable[tuple[str, bytes]] = (), *, sender: str = OFFICER,
                date: str = DATE, text: str = "Return attached.\n") -> EmailMessage:
    """A message as Thunderbird sends it: multipart/mixed, text/plain format=flowed, RFC 2231 names (``filename*=``)."""
    message = EmailMessage(policy=SMTP)
    message["From"] = f"Alan Whitfield <{sender}>"
    message["To"] = MIO
    message["Subject"] = subject
    message["Date"] = date
    message["User-Agent"] = "Mozilla Thunderbird"
    message["Message-ID"] = f"<{abs(hash((subject, date)))}@wexbridge.gov.uk>"
    message.set_content(text, params={"format": "flowed"})
    for name, data in attachments:
        maintype, subtype = (XLSX if name.lower().endswith(".xlsx") else "application/octet-stream").split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


def forward_as_attachment(inner: EmailMessage, subject: str, *, sender: str = COLLEAGUE, date: str = DATE) -> EmailMessage:
    """The message ``inner`` forwarded as an attachment (a message/rfc822 part), as Outlook's 'Forward as Attachment'."""
    message = outlook(subject, sender=sender, date=date, text="Forwarding Alan's return.")
    message.make_mixed()
    part = EmailMessage(policy=SMTP)
    part.set_content(inner)
    part.replace_header("Content-Type", f'message/rfc822; name="{inner["Subject"]}.eml"')
    part["Content-Disposition"] = f'attachment; filename="{inner["Subject"]}.eml"'
    message.attach(part)
    return message


def write(message: EmailMessage, path: Path) -> Path:
    path.write_bytes(message.as_bytes(policy=SMTP))
    return path


def mbox_bytes(messages: Iterable[EmailMessage | bytes]) -> bytes:
    """An mbox as Thunderbird keeps one: 'From - date' before each message, LF line ends, '>From ' in bodies."""
    out = io.BytesIO()
    for message in messages:
        raw = message if isinstance(message, bytes) else message.as_bytes(policy=email.policy.default)
        raw = raw.replace(b"\r\n", b"\n").replace(b"\nFrom ", b"\n>From ")
        out.write(b"From - Tue Jan 12 09:14:07 2027\n" + raw + (b"" if raw.endswith(b"\n") else b"\n") + b"\n")
    return out.getvalue()


def zipped(members: Iterable[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def zip_bomb(inflated: int) -> bytes:
    """One member of ``inflated`` zero bytes (under 4 GiB), deflated to about a thousandth of that."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("P001 return.xlsx", "w") as member:
        block = bytes(1 << 20)
        for _ in range(inflated >> 20):
            member.write(block)
    return out.getvalue()


def lying_zip(inflated: int) -> bytes:
    """A zip whose headers say its member is 1,000 bytes, that inflates to ``inflated``: a bomb that lies."""
    patched = bytearray(zip_bomb(inflated))
    local = patched.find(b"PK\x03\x04")
    struct.pack_into("<I", patched, local + 22, 1000)  # the local header's uncompressed size
    central = patched.find(b"PK\x01\x02")
    struct.pack_into("<I", patched, central + 24, 1000)  # the central directory's
    return bytes(patched)


# ---------------------------------------------------------------- S/MIME

def signed(inner: EmailMessage) -> EmailMessage:
    """``inner``'s content clear-signed (multipart/signed with an application/pkcs7-signature part), as Outlook signs."""
    message = EmailMessage(policy=SMTP)
    for header in ("From", "To", "Subject", "Date"):
        message[header] = inner[header]
    content = EmailMessage(policy=SMTP)
    content["Content-Type"] = inner["Content-Type"]
    content.set_payload(inner.get_payload())
    signature = EmailMessage(policy=SMTP)
    signature["Content-Type"] = 'application/pkcs7-signature; name="smime.p7s"'
    signature["Content-Transfer-Encoding"] = "base64"
    signature["Content-Disposition"] = 'attachment; filename="smime.p7s"'
    signature.set_payload(base64.encodebytes(bytes.fromhex("3080" "06092a864886f70d010702") + bytes(200)).decode())
    message["Content-Type"] = 'multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="SIGNED"'
    message.set_payload([content, signature])
    return message


def encrypted(subject: str, smime_type: str | None = "enveloped-data") -> EmailMessage:
    """An S/MIME message (application/pkcs7-mime): its DER names enveloped data; ``smime_type`` left off if None."""
    message = EmailMessage(policy=SMTP)
    message["From"] = OFFICER
    message["To"] = MIO
    message["Subject"] = subject
    message["Date"] = DATE
    oid = "2a864886f70d010703" if smime_type != "signed-data" else "2a864886f70d010702"
    params = f"; smime-type={smime_type}" if smime_type else ""
    message["Content-Type"] = f'application/pkcs7-mime{params}; name="smime.p7m"'
    message["Content-Disposition"] = 'attachment; filename="smime.p7m"'
    message["Content-Transfer-Encoding"] = "base64"
    message.set_payload(base64.encodebytes(bytes.fromhex("3080" "0609" + oid) + bytes(4000)).decode())
    return message


# ---------------------------------------------------------------- encrypted workbooks, as Office writes them

LABEL_ID = "2096f6a2-d2f7-48be-b329-b73aaa526e5d"


def ole(streams: dict[str, bytes]) -> bytes:
    """An OLE compound file holding ``streams`` ('a/b/c' paths; storages made as needed)."""
    from extract_msg.ole_writer import OleWriter

    writer, made = OleWriter(), set()
    for path, data in streams.items():
        parts = path.split("/")
        for depth in range(1, len(parts)):
            storage = "/".join(parts[:depth])
            if storage not in made:
                writer.addEntry(storage, storage=True)
                made.add(storage)
        writer.addEntry(path, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def labelled_workbook(label_name: str | None = "OFFICIAL-SENSITIVE", *, with_label: bool = True) -> bytes:
    """A workbook a Microsoft 365 sensitivity label encrypted: rights management's data space and transform, the
    publishing licence (naming the label, as the label's name/value pairs), and the label's custom properties."""
    label = f"MSIP_Label_{LABEL_ID}"
    licence = ("<XrML><BODY><WORK><METADATA><OWNER>alan.whitfield@wexbridge.gov.uk</OWNER></METADATA></WORK>"
               + (f'<AUTHENTICATEDDATA id="APPSPECIFIC" name="{label}_Name">{label_name}</AUTHENTICATEDDATA>'
                  f'<AUTHENTICATEDDATA id="APPSPECIFIC" name="{label}_Enabled">true</AUTHENTICATEDDATA>'
                  if with_label else "") + "</BODY></XrML>")
    streams = {
        "\x06DataSpaces/Version": b"\x3c\x00\x00\x00" + "Microsoft.Container.DataSpaces".encode("utf-16-le"),
        "\x06DataSpaces/DataSpaceMap": b"\x08\x00\x00\x00\x01\x00\x00\x00" + "DRMEncryptedDataSpace".encode("utf-16-le"),
        "\x06DataSpaces/DataSpaceInfo/DRMEncryptedDataSpace": b"\x08\x00\x00\x00\x01\x00\x00\x00"
                                                              + "DRMEncryptedTransform".encode("utf-16-le"),
        "\x06DataSpaces/TransformInfo/DRMEncryptedTransform/\x06Primary": b"\x00" * 16 + licence.encode("utf-8"),
        "EncryptedPackage": bytes(range(256)) * 40,
    }
    if with_label:
        streams["\x05DocumentSummaryInformation"] = b"\xfe\xff" + bytes(46) + f"{label}_Enabled\x00".encode("utf-16-le")
    return ole(streams)


def password_workbook(plain: bytes, password: str = "secret") -> bytes:
    """``plain`` encrypted with a password to open, as Excel does it (msoffcrypto-tool, agile encryption)."""
    import msoffcrypto.format.ooxml  # the test extra has it

    out = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(plain)).encrypt(password, out)
    return out.getvalue()


def with_custom_label(plain: bytes, name: str = "OFFICIAL") -> bytes:
    """``plain`` (an .xlsx) with a non-encrypting label in docProps/custom.xml, as Excel writes one."""
    label = f"MSIP_Label_{LABEL_ID}"
    props = "".join(f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{pid}" name="{label}_{key}">'
                    f"<vt:lpwstr>{value}</vt:lpwstr></property>"
                    for pid, (key, value) in enumerate((("Enabled", "true"), ("Name", name), ("ContentBits", "0")), start=2))
    custom = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.org/'
              'officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
              f'docPropsVTypes">{props}</Properties>')
    source = zipfile.ZipFile(io.BytesIO(plain))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info, source.read(info))
        archive.writestr("docProps/custom.xml", custom)
    return out.getvalue()


# ---------------------------------------------------------------- Outlook .msg, from the real files


def msg_with(source: Path, attachment: int, name: str, data: bytes) -> bytes:
    """The real Outlook file ``source`` with its attachment number ``attachment`` holding ``data`` under ``name``."""
    writer = _writer(source)
    at = f"__attach_version1.0_#{attachment:08X}/"
    writer.editEntry(at + "__substg1.0_37010102", data=data)
    for stream in ("__substg1.0_3707001F", "__substg1.0_3704001F"):
        writer.editEntry(at + stream, data=name.encode("utf-16-le"))
    writer.editEntry(at + "__substg1.0_370E001F", data=XLSX.encode("utf-16-le"))
    return _written(writer)


def msg_embedding(source: Path, attachment: int, inner: bytes) -> bytes:
    """``source`` with attachment number ``attachment`` made an attached Outlook item (Outlook's "attach item"): its
    attach method set to 5 (embedded message) and the item ``inner`` (a .msg's bytes) stored inside it."""
    import olefile

    writer = _writer(source)
    at = f"__attach_version1.0_#{attachment:08X}/"
    props = bytearray(writer.getEntry(at + "__properties_version1.0").data)
    method = props.find(b"\x03\x00\x05\x37")  # PR_ATTACH_METHOD, PT_LONG
    struct.pack_into("<I", props, method + 8, 5)
    writer.editEntry(at + "__properties_version1.0", data=bytes(props))
    writer.deleteEntry(at + "__substg1.0_37010102")
    writer.addEntry(at + "__substg1.0_3701000D", storage=True)
    item = olefile.OleFileIO(inner)
    for path in sorted(item.listdir(streams=True, storages=True)):
        if path[0].startswith("__nameid"):  # an embedded item uses its parent's named properties
            continue
        full = at + "__substg1.0_3701000D/" + "/".join(path)
        if item.get_type(path) == olefile.STGTY_STORAGE:
            writer.addEntry(full, storage=True)
            continue
        data = item.openstream(path).read()
        if path == ["__properties_version1.0"]:  # an embedded item's property header is 24 bytes, not 32
            data = data[:24] + data[32:]
        writer.addEntry(full, data)
    item.close()
    return _written(writer)


def _writer(source: Path | bytes):  # -> OleWriter
    import olefile
    from extract_msg.ole_writer import OleWriter

    handle = olefile.OleFileIO(source if isinstance(source, bytes) else str(source))
    writer = OleWriter()
    writer.fromOleFile(handle)
    handle.close()
    return writer


def _written(writer) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
