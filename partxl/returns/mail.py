"""One e-mail, as partxl needs it: who sent it and when, what is attached, and what stands in the way.

A saved message (.eml, or one message of a mailbox) is parsed with the standard library's ``email``
package (``policy.default``: RFC 2047 and RFC 2231 names decoded, dates parsed) into a :class:`Letter`,
the same shape an Outlook .msg is read into (``partxl.returns.outlook``), so that one piece of code
(``partxl.returns.containers``) decides what each attachment is for both.

Nothing here trusts the message: a message with more MIME parts than any return needs is refused from a
count of its boundary lines before it is parsed (a parsed part costs a few kilobytes); an attached message
is followed only to the depth given; a damaged structure is reported, and a boundary that the header names
wrongly is repaired where the body shows the right one (a sender's client that rewrote one but not the other).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.header
import email.policy
import email.utils
import functools
import html
import re
import urllib.parse
from dataclasses import dataclass, field
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage, Message

# What makes a message unreadable as S/MIME, or only readable in part.
SIGNED = "signed"  # multipart/signed: the content is in clear, the signature beside it
ENCRYPTED = "encrypted (S/MIME)"
OPAQUE = "signed in S/MIME's opaque form, which partxl cannot open"
RIGHTS = "protected by Microsoft 365 message encryption (rights management)"

_PKCS7 = {"application/pkcs7-mime", "application/x-pkcs7-mime"}
_SIGNATURES = {"application/pkcs7-signature", "application/x-pkcs7-signature"}
_TNEF = {"application/ms-tnef", "application/vnd.ms-tnef"}
_RPMSG = {"application/x-microsoft-rpmsg-message"}
# The DER of a CMS ContentInfo names its type near the start: enveloped data (encrypted) or signed data.
_ENVELOPED_OID = bytes.fromhex("2a864886f70d010703")
_SIGNED_OID = bytes.fromhex("2a864886f70d010702")
_STRUCTURAL = ("StartBoundaryNotFoundDefect", "CloseBoundaryNotFoundDefect", "MultipartInvariantViolationDefect",
               "NoBoundaryInMultipartDefect", "MissingHeaderBodySeparatorDefect", "InvalidMultipartContentTransferEncodingDefect")
_BODY_SCAN = 1 << 20  # characters of each text body searched for links: a link sits near the top
_URL = re.compile(r"https?://[^\s\"'<>()\[\]]+", re.IGNORECASE)


class _Headers(HeaderRegistry):
    """The standard header registry, which makes a new class for every header it parses (over a hundred per message,
    each garbage in a reference cycle): the classes made once per header name, for the last few hundred names."""

    @functools.lru_cache(maxsize=512)  # noqa: B019  # one registry for the life of the process
    def __getitem__(self, name: str) -> type[BaseHeader]:
        return super().__getitem__(name)


POLICY = email.policy.default.clone(header_factory=_Headers())  # email.policy.default, its header classes kept


@dataclass(frozen=True)
class Envelope:
    """Who sent a message and when: what the ledger records and lateness is judged by."""

    subject: str = ""
    sender: str = ""  # the address (local@domain), '' when the message names none
    sender_name: str = ""
    sent: dt.datetime | None = None  # the Date header: when the sender's client sent it (always aware)
    received: dt.datetime | None = None  # when it reached the recipient: the newest Received header, Outlook's delivery time
    message_id: str = ""

    @property
    def when(self) -> dt.datetime | None:
        """The date that counts for lateness: when the message was received, else when it says it was sent."""
        return self.received or self.sent


@dataclass
class Part:
    """One attachment of a message: a file (``data``), an attached message (``letter``), or a link (``url``)."""

    name: str  # as the message gives it, decoded; not yet safe to use as a file name
    content_type: str = "application/octet-stream"
    data: bytes = b""
    letter: Letter | None = None
    url: str = ""
    too_deep: bool = False  # an attached message beyond the depth followed: not parsed


@dataclass
class Letter:
    """A message, read: its envelope, its attachments, and anything that stops them being read."""

    envelope: Envelope
    parts: list[Part] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # links to OneDrive or SharePoint in its text
    security: str = ""  # '', SIGNED, ENCRYPTED, OPAQUE or RIGHTS
    damage: str = ""  # what is wrong with its structure, in words ('' when sound)
    repaired: bool = False  # the damage was worked round: its parts were found all the same
    winmail: bool = False  # its attachments are wrapped in winmail.dat (Outlook's rich text), which partxl cannot open
    kind: str = "message"  # an Outlook item that is not a message says what it is ('calendar item' …)
    attachments: int = 0  # how many attachments it declares, for a message refused for having too many


class TooManyParts(Exception):
    """A message with far more MIME parts than any return needs, refused before it is parsed."""

    def __init__(self, count: int):
        super().__init__(f"{count:,} parts")
        self.count = count


def parse_message(raw: bytes, depth: int, max_parts: int) -> Letter:
    """``raw`` (an RFC 5322 message) as a :class:`Letter`; attached messages followed ``depth`` levels further.

    Raises :class:`TooManyParts` (counted before parsing), and RecursionError for nesting deeper than Python's stack.
    """
    count = _boundary_lines(raw)
    if count > 2 * max_parts + 100:  # each part opens with one boundary line; leave room for signatures ('-- ') and the like
        raise TooManyParts(count - 1)  # the closing boundary line opens no part
    message: Message = email.message_from_bytes(raw, policy=POLICY)
    repaired = False
    if _defects(message) and (fixed := _with_boundary_found(raw, message)) is not None and not _defects(fixed):
        message, repaired = fixed, True
    letter = _letter(message, depth)
    if repaired:
        letter.damage, letter.repaired = "its header names a MIME boundary that its body does not use", True
    return letter


def _boundary_lines(raw: bytes) -> int:
    """Lines that start with '--', as every MIME boundary line does: base64 never starts a line so."""
    return raw.count(b"\n--") + raw.startswith(b"--")


def _defects(message: Message) -> list[str]:
    """The structural defects the parser noticed anywhere in the message (not those of odd headers)."""
    found = []
    for part in message.walk():
        found += [type(d).__name__ for d in part.defects if type(d).__name__ in _STRUCTURAL]
    return found


def _with_boundary_found(raw: bytes, message: Message) -> Message | None:
    """The message parsed again with the boundary its body uses, when its header names another; else None.

    A boundary line is '--' and up to 70 characters, followed by a part's headers: the first such line gives it.
    """
    if message.get_content_maintype() != "multipart":
        return None
    crlf = raw.find(b"\r\n\r\n")
    end = crlf if crlf >= 0 else raw.find(b"\n\n")
    if end < 0:
        return None
    found = re.search(rb"^--([ -~]{1,70}?)[ \t]*\r?\n(?=[A-Za-z-]+:)", raw[end:], re.MULTILINE)
    named = re.search(rb'boundary\s*=\s*("[^"\r\n]*"|[^;\s]+)', raw[:end], re.IGNORECASE)
    if found is None or named is None or found.group(1) == named.group(1).strip(b'"'):
        return None
    fixed = raw[:named.start(1)] + b'"' + found.group(1) + b'"' + raw[named.end(1):]
    return email.message_from_bytes(fixed, policy=POLICY)


def _letter(message: Message, depth: int) -> Letter:
    letter = Letter(envelope(message))
    structural = _defects(message)
    if structural:
        letter.damage = _describe_defects(structural)
    _walk(message, letter, depth)
    letter.links = cloud_links(letter_texts(message))
    return letter


def _describe_defects(names: list[str]) -> str:
    words = {"StartBoundaryNotFoundDefect": "its MIME parts are not where its header says",
             "CloseBoundaryNotFoundDefect": "it ends before its last part does (cut short?)",
             "MultipartInvariantViolationDefect": "its MIME parts are not where its header says",
             "NoBoundaryInMultipartDefect": "its header names no MIME boundary",
             "MissingHeaderBodySeparatorDefect": "its headers run into its body",
             "InvalidMultipartContentTransferEncodingDefect": "its parts are encoded in a way MIME does not allow"}
    return "; ".join(dict.fromkeys(words.get(n, n) for n in names))


def _walk(part: Message, letter: Letter, depth: int, in_related: bool = False) -> None:
    """Collect the attachments of ``part`` into ``letter`` (signed content in, signatures out, S/MIME noticed)."""
    kind = part.get_content_type()
    if kind == "message/rfc822":  # before multipart: its payload is a list too, of the one message
        letter.parts.append(_attached_message(part, depth))
        return
    if kind == "multipart/signed":
        letter.security = letter.security or SIGNED
        signed = _subparts(part)
        if signed:
            _walk(signed[0], letter, depth, in_related)
        return
    if part.is_multipart():
        for sub in _subparts(part):
            _walk(sub, letter, depth, in_related or kind == "multipart/related")
        return
    if kind in _PKCS7:
        letter.security = _pkcs7_kind(part)
        return
    if kind in _SIGNATURES or part.get_content_maintype() == "multipart":  # a signature; a multipart without its parts
        return
    name = _filename(part)
    if kind in _TNEF or name.lower() == "winmail.dat":
        letter.winmail = True
    elif kind in _RPMSG or name.lower().endswith(".rpmsg"):
        letter.security = RIGHTS
    elif _is_attachment(part, name, in_related):
        letter.parts.append(Part(name, kind, _payload(part)))


def _subparts(part: Message) -> list[Message]:
    payload = part.get_payload()
    return [sub for sub in payload if isinstance(sub, Message)] if isinstance(payload, list) else []


def _is_attachment(part: Message, name: str, in_related: bool) -> bool:
    """An attachment, rather than the message's text or a picture shown in it (a signature's logo, say)."""
    disposition, maintype = part.get_content_disposition(), part.get_content_maintype()
    if disposition == "attachment":
        return True
    if maintype == "text" and not name:
        return False  # a body
    # a picture the HTML body shows is no attachment
    return not (maintype == "image" and (in_related or disposition == "inline" and part.get("Content-ID")))


def _pkcs7_kind(part: Message) -> str:
    """An application/pkcs7-mime part is encrypted (enveloped data) or opaque-signed: its parameter says, or its DER."""
    smime = (part.get_param("smime-type") or "")
    smime = smime.lower() if isinstance(smime, str) else ""
    if smime == "signed-data":
        return OPAQUE
    if smime == "enveloped-data" or smime == "authenveloped-data":
        return ENCRYPTED
    head = _payload(part)[:64]
    return OPAQUE if _SIGNED_OID in head and _ENVELOPED_OID not in head else ENCRYPTED


def _attached_message(part: Message, depth: int) -> Part:
    """A message/rfc822 part: a forwarded message, parsed in turn while depth remains."""
    inner = part.get_payload()
    name = _filename(part)
    inner_message = inner[0] if isinstance(inner, list) and inner else None
    if not isinstance(inner_message, Message):
        return Part(name or "attached message", "message/rfc822", _payload(part))
    if depth <= 0:
        return Part(name or str(inner_message.get("Subject", "") or "attached message"), "message/rfc822", too_deep=True)
    return Part(name, "message/rfc822", letter=_letter(inner_message, depth - 1))


def _filename(part: Message) -> str:
    """The part's file name, decoded: RFC 2231 (``filename*=``) and RFC 2047 (``=?utf-8?B?…?=``, as Outlook writes it)."""
    try:
        name = part.get_filename() or ""
    except Exception:  # a parameter so malformed the library gives up on it
        name = ""
    if "=?" in name and "?=" in name:
        with contextlib.suppress(Exception):  # not encoded after all: the name as it is
            name = str(email.header.make_header(email.header.decode_header(name)))
    return name


def _payload(part: Message) -> bytes:
    """The part's content, decoded from base64 or quoted-printable (leniently, as mail clients do)."""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        return b""
    return data if isinstance(data, bytes) else b""


def envelope(message: Message) -> Envelope:
    """Subject, sender, dates and Message-ID, each read leniently: a header that cannot be read is left empty."""
    name, address = _sender(message)
    return Envelope(subject=" ".join(_header(message, "Subject").split()), sender=address, sender_name=name,
                    sent=_date_header(message), received=_received(message), message_id=_header(message, "Message-ID").strip())


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:
        return ""
    return "" if value is None else str(value)


def _sender(message: Message) -> tuple[str, str]:
    """(display name, address) of From, else Sender."""
    for header in ("From", "Sender"):
        text = _header(message, header)
        if text:
            name, address = email.utils.parseaddr(text)
            if address:
                return name, address
    return "", ""


def _date_header(message: Message) -> dt.datetime | None:
    text = _header(message, "Date")
    return aware(_parse_date(text)) if text else None


def _received(message: Message) -> dt.datetime | None:
    """When the newest (topmost) Received header says the message arrived: the date after its last ';'."""
    try:
        headers = message.get_all("Received") or []
    except Exception:
        return None
    for header in headers[:1]:
        text = str(header)
        if ";" in text:
            return aware(_parse_date(text.rsplit(";", 1)[1]))
    return None


def _parse_date(text: str) -> dt.datetime | None:
    try:
        return email.utils.parsedate_to_datetime(" ".join(text.split()))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    """A naive date (RFC 5322's '-0000', 'zone unknown') is taken as UTC, so that every date compares with every other."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


# ---------------------------------------------------------------- links to OneDrive and SharePoint


def letter_texts(message: Message) -> list[str]:
    """The message's own text (plain and HTML bodies, not attachments), each cut to the first megabyte."""
    texts = []
    for part in message.walk():
        if part.get_content_maintype() != "text" or part.get_content_disposition() == "attachment":
            continue
        try:
            content = part.get_content() if isinstance(part, EmailMessage) else part.get_payload()
        except Exception:  # an unknown charset, say: the bytes as Latin-1 still show a link
            content = _payload(part).decode("latin-1")
        if isinstance(content, str):
            texts.append(content[:_BODY_SCAN])
    return texts


def cloud_links(texts: list[str]) -> list[str]:
    """Links to files on OneDrive or SharePoint in ``texts``, in order, once each; Safe Links unwrapped."""
    found: dict[str, None] = {}
    for text in texts:
        for match in _URL.finditer(html.unescape(text)):
            url = _unwrapped(match.group(0).rstrip(".,;:"))
            if is_cloud_link(url):
                found[url] = None
    return list(found)


def _unwrapped(url: str) -> str:
    """The link a Microsoft Defender Safe Links address stands for (``…safelinks.protection.outlook.com/?url=…``)."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.hostname and parsed.hostname.lower().endswith("safelinks.protection.outlook.com"):
        target = urllib.parse.parse_qs(parsed.query).get("url")
        if target:
            return target[0]
    return url


def is_cloud_link(url: str) -> bool:
    """A link to a file in OneDrive or SharePoint: what Outlook sends in place of an attachment when asked to share."""
    try:
        host = (urllib.parse.urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return host.endswith(".sharepoint.com") or host in {"onedrive.live.com", "1drv.ms"} or host.endswith(".sharepoint.us")


def cloud_service(url: str) -> str:
    """'SharePoint' or 'OneDrive', as the MIO knows them (a -my.sharepoint.com site is someone's OneDrive)."""
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    return "OneDrive" if host in {"onedrive.live.com", "1drv.ms"} or "-my.sharepoint." in host else "SharePoint"
