"""An Outlook message (.msg), read with extract-msg into the same :class:`~partxl.returns.mail.Letter` as an e-mail.

extract-msg (and the OLE reader under it) is imported only when a .msg is met: a folder of workbooks, or of
saved e-mails, never pays for it. A .msg is an OLE compound file holding the message's properties; what Outlook
knows that an .eml would carry in headers (the sender's SMTP address, the delivery time) is read from those.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from typing import Any

from partxl.returns.mail import ENCRYPTED, OPAQUE, RIGHTS, SIGNED, Envelope, Letter, Part, TooManyParts, aware, cloud_links

_SIGNED_OID = bytes.fromhex("2a864886f70d010702")
_ENVELOPED_OID = bytes.fromhex("2a864886f70d010703")
_KINDS = (("ipm.appointment", "calendar item"), ("ipm.schedule.meeting", "meeting request"), ("ipm.contact", "contact"),
          ("ipm.distlist", "contact group"), ("ipm.task", "task"), ("ipm.stickynote", "note"), ("ipm.activity", "journal entry"),
          ("ipm.post", "post"))
_ATTACH_STORAGE = "__attach_version1.0_"


class NotOutlook(Exception):
    """The bytes are not an Outlook item extract-msg can open; ``detail`` says what it found, in words."""


def parse_msg(data: bytes, depth: int, max_parts: int) -> Letter:
    """The Outlook item in ``data`` as a :class:`Letter`; attached items followed ``depth`` levels further.

    Raises :class:`TooManyParts` (counted before any attachment is loaded) and :class:`NotOutlook`.
    """
    extract_msg = _extract_msg()
    try:
        item = extract_msg.openMsg(data, strict=False, delayAttachments=True,
                                   errorBehavior=extract_msg.enums.ErrorBehavior.SUPPRESS_ALL)
    except Exception as exc:  # extract-msg and olefile raise many kinds for a damaged or foreign file
        raise NotOutlook(f"{type(exc).__name__}: {str(exc)[:200]}") from None
    try:
        return _letter(item, depth, max_parts)
    finally:
        item.close()


def _extract_msg() -> Any:
    """extract-msg, imported now; its log (which would print to the MIO's screen about odd properties) kept quiet."""
    logger = logging.getLogger("extract_msg")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
        logger.propagate = False
    import extract_msg
    import extract_msg.enums

    return extract_msg


def _letter(item: Any, depth: int, max_parts: int) -> Letter:
    declared = sum(1 for entry in item.listDir(streams=False, storages=True) if entry and entry[0].startswith(_ATTACH_STORAGE))
    if declared > max_parts:
        raise TooManyParts(declared)
    class_type = str(getattr(item, "classType", "") or "").lower()
    letter = Letter(_envelope(item), kind=_kind(class_type))
    letter.security = _security(item, class_type)
    if letter.security in (ENCRYPTED, OPAQUE, RIGHTS):
        return letter
    letter.links = cloud_links(_texts(item))
    for attachment in _attachments(item, letter):
        part = _part(attachment, depth, max_parts, letter)
        if part is not None:
            letter.parts.append(part)
    return letter


def _kind(class_type: str) -> str:
    """What an Outlook item is, in words: 'message' for mail and reports, else a calendar item, a contact …"""
    return next((words for prefix, words in _KINDS if class_type.startswith(prefix)), "message")


def _security(item: Any, class_type: str) -> str:
    """S/MIME or rights management, from the item's class ('IPM.Note.SMIME', '….MultipartSigned', '….rpmsg…')."""
    if "rpmsg" in class_type or class_type.startswith("ipm.note.microsoft.") and "encrypt" in class_type:
        return RIGHTS
    if class_type.endswith(".smime.multipartsigned"):
        return SIGNED
    if class_type.endswith(".smime"):
        head = b""
        try:
            raw = item.getStream("__attach_version1.0_#00000000/__substg1.0_37010102")
            head = raw[:64] if isinstance(raw, bytes) else b""
        except Exception:
            pass
        return OPAQUE if _SIGNED_OID in head and _ENVELOPED_OID not in head else ENCRYPTED
    return ""


def _attachments(item: Any, letter: Letter) -> list[Any]:
    try:
        return list(item.attachments)
    except Exception as exc:
        letter.damage = f"its attachments could not be read ({type(exc).__name__})"
        return []


def _part(attachment: Any, depth: int, max_parts: int, letter: Letter) -> Part | None:
    """One attachment as a :class:`Part`: a file, an attached item (parsed in turn), or a link; None for a picture
    in the text (hidden, or one the HTML shows by its content id)."""
    from extract_msg.enums import AttachmentType

    kind = getattr(attachment, "type", None)
    name = _name(attachment)
    if kind == AttachmentType.WEB:
        return Part(name or "linked file", "text/uri-list", url=str(getattr(attachment, "url", "") or ""))
    if kind in (AttachmentType.MSG, AttachmentType.SIGNED_EMBEDDED):
        if depth <= 0:
            return Part(name or "attached message", "application/vnd.ms-outlook", too_deep=True)
        inner = attachment.data
        return Part(name, "application/vnd.ms-outlook", letter=_letter(inner, depth - 1, max_parts))
    if kind in (AttachmentType.DATA, AttachmentType.SIGNED):
        if getattr(attachment, "hidden", False) and not name.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods")):
            return None  # a picture in the text, or Outlook's own
        data = attachment.data
        return Part(name, str(getattr(attachment, "mimetype", "") or "application/octet-stream"),
                    data if isinstance(data, bytes) else b"")
    letter.damage = letter.damage or f"an attachment ('{name or 'unnamed'}') is damaged or of a kind Outlook alone reads"
    return None


def _name(attachment: Any) -> str:
    for attribute in ("longFilename", "name", "shortFilename", "displayName"):
        try:
            value = getattr(attachment, attribute, None)
        except Exception:  # a property that cannot be decoded: try the next
            continue
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _envelope(item: Any) -> Envelope:
    name, address = email.utils.parseaddr(_text(item, "sender"))
    if "@" not in address:  # an Exchange address (/O=…): the SMTP address is a property of its own
        for stream in ("__substg1.0_5D01", "__substg1.0_0C1F", "__substg1.0_5D02"):
            candidate = _stream_text(item, stream)
            if "@" in candidate:
                address = candidate
                break
    name = name or _stream_text(item, "__substg1.0_0C1A")
    return Envelope(subject=" ".join(_text(item, "subject").split()), sender=address, sender_name=name,
                    sent=_date(item, "date"), received=_date(item, "receivedTime"), message_id=_text(item, "messageId"))


def _text(item: Any, attribute: str) -> str:
    try:
        value = getattr(item, attribute, "")
    except Exception:
        return ""
    return value if isinstance(value, str) else ""


def _stream_text(item: Any, stream: str) -> str:
    try:
        value = item.getStringStream(stream)
    except Exception:
        return ""
    return value.strip() if isinstance(value, str) else ""


def _date(item: Any, attribute: str) -> dt.datetime | None:
    try:
        value = getattr(item, attribute, None)
    except Exception:
        return None
    return aware(value) if isinstance(value, dt.datetime) else None


def _texts(item: Any) -> list[str]:
    """The item's plain and HTML text, each cut to its first megabyte, for links."""
    texts = []
    for attribute in ("body", "htmlBody"):
        try:
            value = getattr(item, attribute, None)
        except Exception:
            continue
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str):
            texts.append(value[: 1 << 20])
    return texts
