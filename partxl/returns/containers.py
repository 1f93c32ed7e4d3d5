"""What lands in the returns folder, opened: the returns inside saved e-mails, Outlook messages, mailboxes and archives.

Officers e-mail their returns; the MIO saves the messages (.eml, .msg), exports a mailbox (.mbox) or receives a
.zip. :func:`unpack` turns one such file into what is inside it, as it goes: an :class:`Attachment` for each
workbook (its bytes, in memory: nothing is written to disk; its SHA-256, so that the same workbook attached to a
message, its reply and a forward is recognised as one file; and its provenance, the chain of containers it came
through, with each message's sender and dates) and a :class:`Problem` for everything that stands in the way of a
return (no attachment, a link to OneDrive in place of one, S/MIME encryption, a sensitivity label, damage, a
bomb), each a finding the MIO can act on. Reading and checking each workbook is the caller's job.

Hostile input is bounded as a workbook is (:class:`Limits`): a mailbox is read one message at a time, so memory
stays that of its largest message, not of the mailbox; a message or archive with more parts than any return needs
is refused before it is parsed or inflated; an archive's declared sizes are checked before anything is
inflated, and what is inflated is counted, so one that lies about its sizes is caught too; containers inside
containers are followed only to a small depth. A name is only ever a name: a path in it is cut to its last part,
and :func:`save_attachment` writes inside the folder given, never over a file.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import io
import mimetypes
import os
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any

from partxl.files import atomic_write_bytes, safe_filename
from partxl.findings import ERROR, INFO, WARNING, Finding, Severity
from partxl.returns.kinds import (
    ARCHIVE_SUFFIXES,
    CONTAINER_SUFFIXES,
    MAILBOX_SUFFIXES,
    MESSAGE_SUFFIXES,
    WORKBOOK_SUFFIXES,
    is_container,
)
from partxl.returns.mail import (
    ENCRYPTED,
    OPAQUE,
    POLICY,
    RIGHTS,
    SIGNED,
    Envelope,
    Letter,
    TooManyParts,
    cloud_service,
    envelope,
    parse_message,
)
from partxl.returns.protection import OLE_MAGIC, ZIP_MAGIC, protection_of

__all__ = ["CONTAINER_SUFFIXES", "LIMITS", "Attachment", "Code", "Limits", "Problem", "Provenance", "Step", "is_container",
           "save_attachment", "save_attachments", "unpack", "unpack_bytes"]

MIB = 1 << 20
_SILENT = ("__macosx/", ".ds_store", "thumbs.db", "desktop.ini")  # what archivers add: not the sender's files
_LINE = 1 << 16  # a mailbox is read in lines of at most this many bytes: a file with no line break costs no more
_HEAD = 1 << 16  # bytes of a refused message kept to name it by its headers


@dataclass(frozen=True)
class Limits:
    """How far :func:`unpack` goes. The defaults are a workbook's limits (``partxl.returns.read``), and far beyond a
    message of returns: forty returns of 100 KB in one message are 5 MB, and Exchange Online refuses 35 MB."""

    message_bytes: int = 50 * MIB  # one message as stored: an .eml, a .msg, one message of a mailbox
    attachment_bytes: int = 50 * MIB  # one attachment or archive member, decoded or inflated
    archive_bytes: int = 200 * MIB  # all an archive inflates to, and the largest .zip read
    ratio: int = 200  # an archive member inflating more than this many times over (and past 5 MB) is a bomb
    parts: int = 1_000  # attachments of one message, files of one archive
    depth: int = 4  # containers one inside another, the file in the folder counting as the first


LIMITS = Limits()


class Code(enum.Enum):
    """Finding codes of what comes out of a container: severity, message template and hint (as ``partxl.findings.Code``).

    ``{where}`` is the provenance, in words ("Attachment 'P001.xlsx' of the message 'RE: Partnership return' from
    alan.whitfield@wexbridge.gov.uk on 12/01/2027"). None says "password-protected" or "not a workbook" of what is
    neither: each says what the MIO can do.
    """

    MAIL_NO_ATTACHMENT = (WARNING, "{where} has no attachment, so it holds no return.",
                          "If the officer meant to send their return, ask them to attach the workbook and send it again; "
                          "otherwise nothing to do (you may move the message out of the returns folder).")
    MAIL_NO_WORKBOOK = (WARNING, "{where} has no workbook attached, only {names}; none of them is a return.",
                        "Ask the officer to attach the .xlsx workbook they were issued, filled in, and send it again.")
    MAIL_OTHER_ATTACHMENT = (INFO, "{where} is not a workbook ({kind}), so it was not read.",
                             "Nothing to do, unless it was meant to be the return: then ask the officer for the .xlsx workbook.")
    MAIL_CLOUD_LINK = (WARNING, "{where} has no workbook attached but links to one on {service} ({url}); partxl cannot open "
                                "a link.", "Ask the officer to attach the workbook itself (in Outlook: Attach File, Browse This "
                                           "PC; or 'Attach as copy' for a file in OneDrive), or open the link yourself, "
                                           "download the workbook and save it into the returns folder.")
    MAIL_SIGNED = (INFO, "{where} is digitally signed (S/MIME); its attachments were read as usual (partxl does not check "
                         "the signature).", "Nothing to do.")
    MAIL_ENCRYPTED = (ERROR, "{where} is {what}, so partxl cannot read what is attached to it.",
                      "Open the message in Outlook (which can unlock it for you), save the attached workbook into the returns "
                      "folder and move the message out; or ask the officer to send the workbook again without encrypting "
                      "the message.")
    MAIL_WINMAIL = (ERROR, "{where} carries its attachments inside winmail.dat (Outlook's rich text format), which partxl "
                           "cannot open.", "Open the message in Outlook and save the workbook into the returns folder; or ask "
                                           "the officer to send it again as HTML or plain text.")
    MAIL_DAMAGED = (ERROR, "{where} is damaged, and nothing could be read from it ({detail}).",
                    "Open it in Outlook (or your archive tool) and save the workbook into the returns folder; or ask the "
                    "officer to send it again.")
    MAIL_REPAIRED = (WARNING, "{where} is damaged ({detail}); what is attached to it was read all the same.",
                     "Check the returns read from it; if one is reported damaged, ask the officer to send it again.")
    MAIL_TOO_MANY_PARTS = (ERROR, "{where} holds {count:,} {things}, far more than any return needs (at most {limit:,} "
                                  "are read), so none of them was read.",
                           "This is no message of returns; if it is, save the workbooks from it into the returns folder.")
    MAIL_TOO_LARGE = (ERROR, "{where} was refused without being read: {detail}.",
                      "A return is well under a megabyte: ask the officer to send the workbook on its own.")
    MAIL_TOO_DEEP = (ERROR, "{where} is inside {depth} messages or archives, one within another; partxl opens at most "
                            "{limit}.", "Open the outer message or archive, save what is inside it into the returns folder, "
                                        "and run again.")
    MAIL_NOT_A_MESSAGE = (WARNING, "{where} is not an e-mail, and holds no workbook.",
                          "Nothing to do, unless a return was meant to be in it: then save the workbook into the folder.")
    ARCHIVE_ENCRYPTED = (ERROR, "{where} is protected with a password, so it cannot be opened.",
                         "Extract the workbook yourself (the officer has the password) into the returns folder, or ask the "
                         "officer to send the workbook itself rather than an archive.")
    ARCHIVE_SKIPPED = (INFO, "{where} was skipped: {detail}.", "Nothing to do.")
    WORKBOOK_LABEL_PROTECTED = (ERROR, "{where} is protected by {what}, so only the people it names can open it, and "
                                       "partxl cannot.", "Ask the officer to change the workbook's sensitivity label to one "
                                                         "that does not encrypt (in Excel: Home, Sensitivity) and send it "
                                                         "again; or, if your own account can open it, open it in Excel and "
                                                         "save a copy so labelled into the returns folder.")
    MAIL_SEEN_ELSEWHERE = (INFO, "This workbook also came, byte for byte the same, as {others}; it was read once.",
                           "Nothing to do: a reply or a forward that quotes a return does not send it twice.")
    ATTACHMENT_NOT_SAVED = (WARNING, "{where} could not be kept as a file in {folder} ({detail}); it was read all the same.",
                            "Check that the folder exists, can be written to and has room, then run again: the attachments "
                            "already kept there are not written twice.")
    # Made by the caller (partxl.returns.collect), who knows whom a return was issued to and where else it came.
    RETURN_SENT_BY_OTHER = (WARNING, "The return for {partnership} was issued to {officer} ({issued_to}), but the message "
                                     "it came in was sent by {sender}.",
                            "Nothing to do if a colleague sent it on the officer's behalf; otherwise check with {officer} "
                            "that this is their return.")

    def __init__(self, severity: Severity, template: str, hint: str):
        self.severity, self.template, self.hint = severity, template, hint


# ---------------------------------------------------------------- what comes out: provenance, attachments, problems

MESSAGE, ARCHIVE, MAILBOX = "message", "archive", "mailbox"


@dataclass(frozen=True)
class Step:
    """One container on the way from the file in the folder to an item: a message, an archive or a mailbox."""

    kind: str  # MESSAGE, ARCHIVE or MAILBOX
    name: str = ""  # the attachment or member name it was found under ('' for the file in the folder itself)
    envelope: Envelope | None = None  # a message's sender and dates
    index: int = 0  # a message of a mailbox: its number, from 1
    item: str = "message"  # what a message is called: 'Outlook contact' for an Outlook item that is no e-mail


@dataclass(frozen=True)
class Provenance:
    """Where an item came from: the file in the returns folder, the containers inside it, and its own name."""

    file: str  # the file in the returns folder, as the caller shows it (its path below the folder)
    chain: tuple[Step, ...] = ()  # the containers, outermost (the file itself) first
    name: str = ""  # the item's own name in the innermost container; '' when the item is that container

    def inside(self, step: Step) -> Provenance:
        return Provenance(self.file, (*self.chain, step))

    def item(self, name: str) -> Provenance:
        return Provenance(self.file, self.chain, name)

    @property
    def messages(self) -> tuple[Envelope, ...]:
        """Every message on the way, outermost (the one the MIO received) first."""
        return tuple(step.envelope for step in self.chain if step.envelope is not None)

    @property
    def sender(self) -> str:
        """Who sent it to the MIO: the outermost message's sender ('' when no message carried it, or it names none)."""
        return next((m.sender for m in self.messages if m.sender), "")

    @property
    def received(self) -> dt.datetime | None:
        """When the MIO received it (aware datetime), the date lateness is judged by: the outermost message's
        received date, else its sent date; None when no message carried it or the message has no date."""
        return next((m.when for m in self.messages if m.when is not None), None)

    def sent_by(self, address: str) -> bool:
        """Whether ``address`` sent any message on the way (a return the officer sent to a colleague, forwarded as an
        attachment to the MIO, was still sent by the officer). Compared without regard to case."""
        wanted = address.strip().casefold()
        return bool(wanted) and any(m.sender.casefold() == wanted for m in self.messages)

    @property
    def display(self) -> str:
        """A short path for lists and the ledger: 'June.mbox › message 12 › P001 return.xlsx'."""
        steps = [self.file] + [step.name or (f"message {step.index}" if step.index else "") for step in self.chain[1:]]
        return " › ".join(s for s in [*steps, self.name] if s)

    def describe(self) -> str:
        """The item in words: "attachment 'P001 return.xlsx' of the message 'RE: Partnership return' from
        alan.whitfield@wexbridge.gov.uk on 12/01/2027", or for a container "the archive 'returns.zip'"."""
        if not self.chain:
            return f"the file '{self.name or self.file}'"
        inner = self.chain[-1]
        container = _described(self.chain, len(self.chain) - 1, self.file)
        if not self.name:
            return container
        return f"'{self.name}' in {container}" if inner.kind == ARCHIVE else f"attachment '{self.name}' of {container}"


    def named(self) -> str:
        """How the report, the register, the ledger and the status name the item: its :meth:`describe` words, and the
        file in the returns folder where those words do not name it (a saved message is named by its subject)."""
        words = self.describe()
        return words if f"'{self.file}'" in words else f"{words}, in '{self.file}'"


def _described(chain: tuple[Step, ...], at: int, file: str) -> str:
    step = chain[at]
    if step.kind == MAILBOX:
        return f"the mailbox '{Path(file).name}'"
    words = f"the archive '{step.name or Path(file).name}'" if step.kind == ARCHIVE else _message_words(step)
    if at > 0 and step.name:
        parent = chain[at - 1]
        joiner = "in" if parent.kind == ARCHIVE else "attached to"
        return f"{words}, {joiner} {_described(chain, at - 1, file)}"
    return words


def _message_words(step: Step) -> str:
    """"the message 'RE: Partnership return' from alan.whitfield@… on 12/01/2027 (message 12 of the mailbox)"."""
    env = step.envelope or Envelope()
    words = f"the {step.item} '{_short(env.subject)}'" if env.subject else f"a {step.item} with no subject"
    if env.sender:
        words += f" from {_short(env.sender)}"
    if env.when is not None:
        words += f" on {env.when:%d/%m/%Y}"
    if step.index:
        words += f" (message {step.index} of the mailbox)"
    return words


def _short(text: str, most: int = 150) -> str:
    """A subject or an address as the words show it: cut, with an ellipsis, past ``most`` characters (a subject of
    forty thousand would fill a spreadsheet cell and push out the name of the file it came in)."""
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


@dataclass(frozen=True)
class Attachment:
    """A workbook found inside a container: its bytes (in memory), its SHA-256, and where it came from."""

    name: str  # safe to show and to save under: decoded, its last path part only
    data: bytes = field(repr=False)
    sha256: str
    provenance: Provenance
    content_type: str = ""
    label: str = ""  # a sensitivity label it carries that does not encrypt it ('' when none)

    @property
    def suffix(self) -> str:
        """'.xlsx', say: what the workbook reader chooses its reader by."""
        return Path(self.name).suffix.lower()

    @property
    def size(self) -> int:
        return len(self.data)

    def describe(self) -> str:
        return self.provenance.describe()


@dataclass(frozen=True)
class Problem:
    """Something in a container that is no return, or stops one being read: a finding, with its provenance."""

    code: Code
    provenance: Provenance
    words: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    sha256: str = ""  # the item's, when the problem is about an attachment's bytes (a labelled workbook, say)

    @property
    def severity(self) -> str:
        return self.code.severity

    @property
    def message(self) -> str:
        where = self.provenance.describe()
        return self.code.template.format(where=where[:1].upper() + where[1:], **self.words)

    @property
    def hint(self) -> str:
        return self.code.hint.format(**self.words)

    def finding(self) -> Finding:
        """This problem as a finding of the report, filed under the item's short path (see :attr:`Provenance.display`)."""
        return Finding(code=self.code.name, severity=self.code.severity, message=self.message, hint=self.hint,
                       file=self.provenance.display, value=self.sha256)


Item = Attachment | Problem


# ---------------------------------------------------------------- the entry points


def unpack(path: Path, limits: Limits = LIMITS, *, display: str | None = None) -> Iterator[Item]:
    """Every workbook inside the container at ``path`` and every problem with it, in order, as they are found.

    ``display`` is how the caller shows the file (its path below the returns folder); it starts each provenance.
    A mailbox is streamed: only one message is in memory at a time, however big the mailbox. OSError as the system
    says it, for a file that cannot be read at all.
    """
    display = display or path.name
    top = Provenance(display)
    if _is_mailbox(path):
        yield from _mailbox(path, top, limits)
        return
    suffix = path.suffix.lower()
    most = limits.archive_bytes if suffix in ARCHIVE_SUFFIXES else limits.message_bytes
    with open(path, "rb") as handle:  # read no more than the file holds: read(n) sets aside n bytes first
        data = handle.read(min(os.fstat(handle.fileno()).st_size, most) + 1)
    if len(data) > most:
        headers = _headers(data[:_HEAD]) if suffix not in (".msg", *ARCHIVE_SUFFIXES) else None  # a .msg is binary
        kind = Step(ARCHIVE) if suffix in ARCHIVE_SUFFIXES else Step(MESSAGE, envelope=headers)
        yield Problem(Code.MAIL_TOO_LARGE, top.inside(kind), {"detail": f"the file is more than {most:,} bytes"})
        return
    yield from unpack_bytes(data, suffix, display, limits)


def unpack_bytes(data: bytes, suffix: str, display: str, limits: Limits = LIMITS) -> Iterator[Item]:
    """As :func:`unpack`, for a container already in memory (not a mailbox): ``suffix`` says what it is."""
    yield from _container(data, suffix.lower(), Provenance(display), "", limits.depth - 1, limits)


def _is_mailbox(path: Path) -> bool:
    return path.suffix.lower() in MAILBOX_SUFFIXES or not path.suffix and is_container(path)


def _container(data: bytes, suffix: str, parent: Provenance, name: str, depth: int, limits: Limits,
               index: int = 0) -> Iterator[Item]:
    """A message or archive (the file itself, or found inside another): its items; ``depth`` containers may be inside."""
    if suffix in ARCHIVE_SUFFIXES:
        yield from _archive(data, parent.inside(Step(ARCHIVE, name)), depth, limits)
    elif suffix == ".msg":
        yield from _outlook(data, parent, name, depth, limits)
    else:
        yield from _message(data, parent, name, depth, limits, index)


# ---------------------------------------------------------------- messages


def _message(raw: bytes, parent: Provenance, name: str, depth: int, limits: Limits, index: int = 0) -> Iterator[Item]:
    try:
        letter = parse_message(raw, depth, limits.parts)
    except TooManyParts as exc:
        where = parent.inside(Step(MESSAGE, name, _headers(raw[:_HEAD]), index))
        yield _too_many(where, exc.count, "attachments", limits)
        return
    except RecursionError:
        where = parent.inside(Step(MESSAGE, name, _headers(raw[:_HEAD]), index))
        yield Problem(Code.MAIL_DAMAGED, where, {"detail": "its parts are nested deeper than any mail client writes"})
        return
    except Exception as exc:  # the parser is lenient, but no parser of hostile input is proven never to raise
        where = parent.inside(Step(MESSAGE, name, _headers(raw[:_HEAD]), index))
        yield Problem(Code.MAIL_DAMAGED, where, {"detail": f"{type(exc).__name__}: {str(exc)[:200]}"})
        return
    yield from _letter(letter, parent, name, depth, limits, index)


def _outlook(data: bytes, parent: Provenance, name: str, depth: int, limits: Limits) -> Iterator[Item]:
    """An Outlook .msg: extract-msg is imported here, when the first one is met."""
    from partxl.returns.outlook import NotOutlook, parse_msg

    where = parent.inside(Step(MESSAGE, name))
    if not data.startswith(OLE_MAGIC):
        yield Problem(Code.MAIL_DAMAGED, where, {"detail": "it is not an Outlook message file"})
        return
    try:
        letter = parse_msg(data, depth, limits.parts)
    except TooManyParts as exc:
        yield _too_many(where, exc.count, "attachments", limits)
        return
    except (NotOutlook, RecursionError) as exc:
        yield Problem(Code.MAIL_DAMAGED, where, {"detail": str(exc) or "its attachments are nested too deep"})
        return
    yield from _letter(letter, parent, name, depth, limits)


def _letter(letter: Letter, parent: Provenance, name: str, depth: int, limits: Limits, index: int = 0) -> Iterator[Item]:
    """A parsed message: each attachment in turn, then what the message as a whole says (or lacks)."""
    called = "message" if letter.kind == "message" else f"Outlook {letter.kind}"
    where = parent.inside(Step(MESSAGE, name, letter.envelope, index, called))
    if letter.security in (ENCRYPTED, OPAQUE, RIGHTS):
        yield Problem(Code.MAIL_ENCRYPTED, where, {"what": letter.security})
        return
    if len(letter.parts) > limits.parts:
        yield _too_many(where, len(letter.parts), "attachments", limits)
        return
    found, reported, others, links = 0, 0, list[Problem](), list(letter.links)
    for part in letter.parts:
        if part.url:
            links.append(part.url)
            continue
        if part.too_deep:
            produced: Iterable[Item] = [_too_deep(where.item(part.name or "attached message"), limits)]
        elif part.letter is not None:
            name = part.name or part.letter.envelope.subject or "attached message"
            produced = _letter(part.letter, where, name, depth - 1, limits)
        else:
            base = safe_name(part.name, len(others) + reported + 1, part.content_type)
            produced = _file(part.data, base, part.content_type, where, depth, limits)
        for item in produced:
            if isinstance(item, Problem) and item.code is Code.MAIL_OTHER_ATTACHMENT:
                others.append(item)
                continue
            found += _counts(item)
            reported += 1
            yield item
    yield from _about_letter(letter, where, found, reported, others, links)


def _counts(item: Item) -> int:
    """1 for what shows a return was sent (a workbook, readable or not), else 0."""
    return int(isinstance(item, Attachment) or item.code is Code.WORKBOOK_LABEL_PROTECTED)


def _about_letter(letter: Letter, where: Provenance, found: int, reported: int, others: list[Problem],
                  links: list[str]) -> Iterator[Item]:
    """What the message as a whole needs saying: S/MIME, winmail.dat, damage; and, if no workbook came out of it, why.

    ``found``: workbooks that came out of it; ``reported``: every item that did (a refused archive, say);
    ``others``: its attachments that are not workbooks, listed one by one only beside a workbook."""
    if letter.security == SIGNED:
        yield Problem(Code.MAIL_SIGNED, where)
    if letter.winmail:
        yield Problem(Code.MAIL_WINMAIL, where)
    if letter.damage:
        code = Code.MAIL_REPAIRED if letter.repaired or reported else Code.MAIL_DAMAGED
        yield Problem(code, where, {"detail": letter.damage})
    if found or reported:
        yield from others
    elif links:
        yield Problem(Code.MAIL_CLOUD_LINK, where, {"service": cloud_service(links[0]), "url": links[0]})
    elif others:
        yield Problem(Code.MAIL_NO_WORKBOOK, where, {"names": _names(others)})
    elif letter.kind != "message":
        yield Problem(Code.MAIL_NOT_A_MESSAGE, where)
    elif not letter.parts and not letter.winmail and not letter.damage:
        yield Problem(Code.MAIL_NO_ATTACHMENT, where)


def _names(others: list[Problem]) -> str:
    """"'a.pdf', 'b.tif' and 3 more"."""
    listed = ", ".join(f"'{o.provenance.name}'" for o in others[:5])
    return listed + (f" and {len(others) - 5} more" if len(others) > 5 else "")


def _headers(head: bytes) -> Envelope:
    """The envelope of a message read no further than its headers (one refused for its size, say)."""
    try:
        return envelope(BytesHeaderParser(policy=POLICY).parsebytes(head))
    except Exception:
        return Envelope()


# ---------------------------------------------------------------- one file inside a container


def _file(data: bytes, name: str, content_type: str, where: Provenance, depth: int, limits: Limits) -> Iterator[Item]:
    """An attached file or archive member: a workbook, a container to open in turn, or something else."""
    here = where.item(name)
    suffix = Path(name).suffix.lower()
    if len(data) > limits.attachment_bytes:
        yield Problem(Code.MAIL_TOO_LARGE, here, {"detail": f"it is {len(data):,} bytes"})
    elif suffix in MESSAGE_SUFFIXES | ARCHIVE_SUFFIXES or content_type == "message/rfc822":
        if depth <= 0:
            yield _too_deep(here, limits)
        else:
            yield from _container(data, suffix or ".eml", where, name, depth - 1, limits)
    elif suffix in WORKBOOK_SUFFIXES or not suffix and data.startswith((ZIP_MAGIC, OLE_MAGIC)):
        yield _workbook(data, name, content_type, here)
    else:
        yield Problem(Code.MAIL_OTHER_ATTACHMENT, here, {"kind": _kind_words(suffix, content_type)})


def _workbook(data: bytes, name: str, content_type: str, here: Provenance) -> Item:
    sha = hashlib.sha256(data).hexdigest()
    protection = protection_of(data)
    if protection.unreadable:
        return Problem(Code.WORKBOOK_LABEL_PROTECTED, here, {"what": protection.describe()}, sha)
    return Attachment(name, data, sha, here, content_type, protection.label)


def _kind_words(suffix: str, content_type: str) -> str:
    """'a .pdf file', 'a .tif file', or 'an image' when the name has no suffix."""
    if suffix:
        return f"an {suffix} file" if suffix[1:2] in "aeiou" else f"a {suffix} file"
    major = content_type.split("/")[0]
    return {"image": "an image", "text": "text", "audio": "a sound file", "video": "a video"}.get(major, "a file of no known kind")


def safe_name(raw: str, number: int, content_type: str = "") -> str:
    """The last part of a name that may carry a path (``../../x.xlsx``, ``C:\\x.xlsx``), without control characters;
    'attachment 3.xlsx' (say) when nothing is left. A name to show and to save under: never a path."""
    text = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    text = re.sub(r"^[A-Za-z]:", "", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()
    if text in ("", ".", ".."):
        guessed = mimetypes.guess_extension(content_type.split(";")[0].strip()) if content_type else None
        text = f"attachment {number}{guessed or ''}"
    if len(text) > 200:
        suffix = Path(text).suffix[:20]
        text = text[: 200 - len(suffix)] + suffix
    return text


def _too_many(where: Provenance, count: int, things: str, limits: Limits) -> Problem:
    return Problem(Code.MAIL_TOO_MANY_PARTS, where, {"count": count, "things": things, "limit": limits.parts})


def _too_deep(where: Provenance, limits: Limits) -> Problem:
    return Problem(Code.MAIL_TOO_DEEP, where, {"depth": len(where.chain), "limit": limits.depth})


# ---------------------------------------------------------------- archives


def _archive(data: bytes, where: Provenance, depth: int, limits: Limits) -> Iterator[Item]:
    """A .zip: its declared sizes checked before anything is inflated, then each member inflated counting bytes."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        yield Problem(Code.MAIL_DAMAGED, where, {"detail": f"it is not a readable .zip archive: {exc}"})
        return
    if len(members) > limits.parts:
        yield _too_many(where, len(members), "files", limits)
        return
    if bomb := _declared_bomb(members, limits):
        yield Problem(Code.MAIL_TOO_LARGE, where, {"detail": bomb})
        return
    room, found, others = limits.archive_bytes, 0, list[Problem]()
    for info in members:
        outcome = yield from _member(archive, info, where, depth, limits, room)
        if outcome is None:  # the archive lied about its sizes: nothing more of it is read
            return
        room -= outcome[0]
        found += outcome[1]
        others += outcome[2]
    if found:
        yield from others
    elif others:
        yield Problem(Code.MAIL_NO_WORKBOOK, where, {"names": _names(others)})


def _declared_bomb(members: list[zipfile.ZipInfo], limits: Limits) -> str:
    """Why the archive's own directory shows it to be a bomb ('' when it does not)."""
    total = 0
    for info in members:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.attachment_bytes or ratio > limits.ratio and info.file_size > 5_000_000:
            return f"'{safe_name(info.filename, 0)}' in it would inflate to {info.file_size:,} bytes"
        if total > limits.archive_bytes:
            return f"its files would inflate to more than {limits.archive_bytes:,} bytes"
    return ""


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: Provenance, depth: int, limits: Limits,
            room: int) -> Generator[Item, None, tuple[int, int, list[Problem]] | None]:
    """One member: its items yielded; returns (bytes inflated, workbooks found, other files), or None to stop."""
    name = safe_name(info.filename, 0)
    here = where.item(name)
    folded = info.filename.replace("\\", "/").lower()
    if folded.startswith(_SILENT) or "/__macosx/" in folded or name.startswith("._") or name.lower() in _SILENT:
        return 0, 0, []
    if name.startswith(("~$", ".~lock")):
        yield Problem(Code.ARCHIVE_SKIPPED, here, {"detail": "an Office lock file, left while a workbook is open"})
        return 0, 0, []
    if info.flag_bits & 1:
        yield Problem(Code.ARCHIVE_ENCRYPTED, here)
        return 0, 0, []
    try:
        data = _inflated(archive, info, min(limits.attachment_bytes, room))
    except _Overflow as exc:
        yield Problem(Code.MAIL_TOO_LARGE, here, {"detail": f"it inflates to more than {exc.limit:,} bytes, more than it declares"})
        return None
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
        yield Problem(Code.MAIL_DAMAGED, here, {"detail": str(exc)})
        return 0, 0, []
    found, others = 0, list[Problem]()
    for item in _file(data, name, mimetypes.guess_type(name)[0] or "", where, depth, limits):
        found += _counts(item)
        if isinstance(item, Problem) and item.code is Code.MAIL_OTHER_ATTACHMENT:
            others.append(item)
        else:
            yield item
    return len(data), found, others


class _Overflow(Exception):
    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


def _inflated(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """The member's bytes, inflated a megabyte at a time and no further than ``limit``; its CRC checked by zipfile."""
    out = bytearray()
    with archive.open(info) as member:
        while block := member.read(MIB):
            out += block
            if len(out) > limit:
                raise _Overflow(limit)
    return bytes(out)


# ---------------------------------------------------------------- mailboxes


def _mailbox(path: Path, top: Provenance, limits: Limits) -> Iterator[Item]:
    """An mbox, one message at a time: each message's items, and a message too big refused without being parsed."""
    where = top.inside(Step(MAILBOX))
    with open(path, "rb") as handle:
        if handle.read(5) != b"From ":
            yield Problem(Code.MAIL_DAMAGED, where, {"detail": "it does not start as a mailbox does, with a 'From ' line"})
            return
        handle.seek(0)
        for index, raw, size in mbox_messages(handle, limits.message_bytes):
            if size > limits.message_bytes:
                step = Step(MESSAGE, envelope=_headers(raw), index=index)
                yield Problem(Code.MAIL_TOO_LARGE, where.inside(step), {"detail": f"the message is {size:,} bytes"})
            else:
                yield from _message(raw, where, "", limits.depth - 2, limits, index)


def mbox_messages(handle: IO[bytes], limit: int) -> Iterator[tuple[int, bytes, int]]:
    """(number from 1, bytes, size) of each message of an mbox, as the ``mailbox`` module splits one (a line that starts
    'From ' starts a message) but without its table of the whole file first, nor its unbounded lines: read in lines of
    at most 64 KiB, a message's bytes are kept only up to ``limit`` (past it, its first 64 KiB, to name it by)."""
    index, size, kept, at_line_start, in_from_line = 0, 0, bytearray(), True, False
    for line in iter(lambda: handle.readline(_LINE), b""):
        starts_message = at_line_start and line.startswith(b"From ")
        at_line_start = line.endswith(b"\n")
        if starts_message:
            if index:
                yield index, bytes(kept), size
            index, size, kept, in_from_line = index + 1, 0, bytearray(), not at_line_start
            continue
        if in_from_line:  # the rest of an overlong 'From ' line
            in_from_line = not at_line_start
            continue
        size += len(line)
        if size <= limit:
            kept += line
        elif len(kept) > _HEAD:
            del kept[_HEAD:]
    if index:
        yield index, bytes(kept), size


# ---------------------------------------------------------------- keeping attachments as files


def save_attachment(attachment: Attachment, folder: Path) -> Path:
    """Write the attachment into ``folder`` under its own safe name, never over another file: 'name (2).xlsx' when the
    name is taken by other content; nothing written when a file there already holds these very bytes (a second run).
    Written atomically (a temporary file, then a rename), and only ever inside ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    base = safe_filename(attachment.name, max_length=150)
    stem, suffix = os.path.splitext(base)
    number = 1
    while True:
        candidate = folder / (base if number == 1 else f"{stem} ({number}){suffix}")
        if candidate.parent != folder or candidate.name in ("", ".", ".."):  # safe_filename makes this impossible: kept so
            raise ValueError(f"unsafe attachment name {attachment.name!r}")
        if not os.path.lexists(candidate):
            atomic_write_bytes(candidate, attachment.data)
            return candidate
        if _holds(candidate, attachment):
            return candidate
        number += 1


def save_attachments(attachments: Iterable[Attachment], folder: Path) -> list[Path]:
    """:func:`save_attachment` for each, in order: the MIO's ``--save-attachments DIR``."""
    return [save_attachment(attachment, folder) for attachment in attachments]


def _holds(path: Path, attachment: Attachment) -> bool:
    """Whether ``path`` is a regular file (not a link) holding exactly the attachment's bytes."""
    if path.is_symlink() or not path.is_file():
        return False
    try:
        if path.stat().st_size != attachment.size:
            return False
        return hashlib.sha256(path.read_bytes()).hexdigest() == attachment.sha256
    except OSError:
        return False
