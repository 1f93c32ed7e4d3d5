"""The polite, specific reminder the MIO sends each Responsible Officer with something to send or correct.

``reminders`` turns each officer's status (``partxl.returns.status``) into one standard MIME
e-mail (an ``.eml`` that Outlook and Thunderbird open), with their workbooks attached;
``send`` delivers them through the SMTP server named in the configuration.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import mimetypes
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from partxl.config import Config
from partxl.errors import PartxlError
from partxl.files import atomic_write_bytes, printable, safe_filename
from partxl.findings import Finding
from partxl.returns.read import Rejected, open_return
from partxl.returns.status import OfficerStatus, PartnershipStatus, State, StatusResult

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ChaseError(PartxlError):
    """Reminders could not be sent (the SMTP server refused, or is unreachable)."""


def issued_workbooks(folder: Path | None) -> dict[str, Path]:
    """The workbooks ``partxl generate`` wrote, by partnership id (read from their metadata, not their names)."""
    found: dict[str, Path] = {}
    if folder is None or not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.xlsx")):
        try:
            meta = open_return(path).metadata() or {}
        except Rejected:
            continue
        if meta.get("partnership_id"):
            found[meta["partnership_id"].casefold()] = path
    return found


def reminders(statuses: list[OfficerStatus], config: Config, as_of: dt.date, returns_dir: Path,
              workbooks: Path | None = None) -> list[EmailMessage]:
    issued = issued_workbooks(workbooks)
    messages = []
    for officer in statuses:
        if not officer.email or not officer.needs_action:
            continue
        message = EmailMessage()
        message["From"] = formataddr((config.mio_name, config.mio_email))
        message["To"] = formataddr((officer.officer, officer.email))
        counts = {"to send": officer.count(State.OUTSTANDING, State.LATE), "to correct": officer.count(State.WITH_ERRORS),
                  "held": officer.count(State.HELD)}
        parts = [f"{n} {what}" for what, n in counts.items() if n]
        message["Subject"] = f"Partnership returns {config.cycle}: {' and '.join(parts)}"
        message["Date"] = format_datetime(dt.datetime.combine(as_of, dt.time(9, 0)).astimezone())
        digest = hashlib.sha256(f"{officer.officer}|{config.cycle}|{as_of}".encode()).hexdigest()[:20]
        message["Message-ID"] = f"<partxl-{digest}@{config.mio_email.split('@')[-1]}>"
        message["X-Unsent"] = "1"  # Outlook and Thunderbird open the .eml as a draft to check and send, not as received mail
        message.set_content(_body(officer, config, as_of))
        for p in officer.partnerships:
            attachment = issued.get(p.id.casefold()) if p.state in (State.OUTSTANDING, State.LATE) else \
                (returns_dir / p.newest if p.state in (State.WITH_ERRORS, State.HELD) and p.newest else None)
            if attachment is not None and attachment.is_file():
                kind = mimetypes.guess_type(attachment.name)[0] or XLSX_TYPE
                maintype, subtype = kind.split("/", 1)
                message.add_attachment(attachment.read_bytes(), maintype=maintype, subtype=subtype,
                                       filename=safe_filename(attachment.name, max_length=255))  # a header: one line
        messages.append(message)
    return messages


def _body(officer: OfficerStatus, config: Config, as_of: dt.date) -> str:
    first = officer.officer.split()[0] if officer.officer else "colleague"
    deadline = f"{config.deadline:%d %B %Y}".lstrip("0")
    lines = [f"Dear {first},", "",
             f"Thank you for your help with the Partnership Register for {config.cycle}. "
             f"As at {as_of:%d %B %Y}".replace(" 0", " ") + ", this is where your partnerships stand.", ""]
    waiting = [p for p in officer.partnerships if p.state in (State.OUTSTANDING, State.LATE)]
    if waiting:
        overdue = any(p.state == State.LATE for p in waiting)
        lines.append(f"Still to send ({'the deadline was' if overdue else 'due by'} {deadline}):")
        lines += [f"  - {p.id} {p.name}: your workbook is attached." for p in waiting]
        lines.append("")
    for state, heading in ((State.WITH_ERRORS, "Received, but not yet accepted, because of these problems:"),
                           (State.HELD, "Received, but held until I can confirm which partnership it is for:")):
        lines += _problems([p for p in officer.partnerships if p.state == state], heading)
    done = [p for p in officer.partnerships if p.state in (State.RETURNED, State.RETURNED_LATE)]
    if done:
        lines.append("Already received, with thanks: " + "; ".join(f"{p.id} {p.name}" for p in done) + ".")
        lines.append("")
    lines += ["Please reply with the completed workbook(s). If a partnership has ended, or you are no longer its lead "
              "officer, just reply to let me know and I will update the register.", "",
              "With thanks,", config.mio_name, f"Management Information Officer, {config.council}", config.mio_email]
    return "\n".join(printable(line) for line in lines) + "\n"  # a file or partnership name from a return: one line


def _problems(partnerships: list[PartnershipStatus], heading: str) -> list[str]:
    """Each partnership's newest return and what is wrong with it, to the cell; a piece of advice said once."""
    if not partnerships:
        return []
    lines = [heading]
    for p in partnerships:
        lines.append(f"  - {p.id} {p.name} ({p.newest or 'your return'}, attached):")
        advised: set[str] = set()
        for f in p.errors:
            where = f"{f.sheet}!{f.cell}: " if f.cell else (f"{f.sheet}: " if f.sheet else "")
            lines.append(f"      * {where}{f.message}")
            if f.hint and f.hint != f.message and f.hint not in advised:
                lines.append(f"        What would be right: {f.hint}")
                advised.add(f.hint)
    return [*lines, ""]


def write_reminders(messages: list[EmailMessage], out_dir: Path) -> list[Path]:
    written = []
    for message in messages:
        name = safe_filename(str(message["To"]).split("<")[0].strip().strip('"') or "officer")
        path = out_dir / f"{name}.eml"
        data = bytes(message)
        atomic_write_bytes(path, data)
        written.append(path)
    return written


def _as_sent(message: EmailMessage) -> EmailMessage:
    """The message as it goes out: a draft's X-Unsent mark is for the .eml on disk, not for the recipient."""
    sent = copy.deepcopy(message)
    del sent["X-Unsent"]
    return sent


def send(messages: list[EmailMessage], config: Config) -> int:
    """Send every message through the configured SMTP server; STARTTLS and login when configured."""
    smtp = config.smtp
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=30) as server:
            if smtp.starttls:
                context = ssl.create_default_context(cafile=smtp.cafile or None)
                server.starttls(context=context)
            if smtp.username:
                password = os.environ.get(smtp.password_env, "")
                if not password:
                    raise ChaseError(f"the SMTP password is read from the environment variable {smtp.password_env}, which is not set")
                server.login(smtp.username, password)
            for message in messages:
                server.send_message(_as_sent(message))
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        raise ChaseError(f"could not send through {smtp.host}:{smtp.port}: {exc}") from None
    return len(messages)


@dataclass
class ChaseResult:
    """The reminders written (one ``.eml`` per officer with something to send or correct) and how many were sent."""

    written: list[Path]
    sent: int
    status: StatusResult

    @property
    def findings(self) -> list[Finding]:
        return self.status.findings

    @property
    def ok(self) -> bool:
        return True  # writing reminders is the job done; what they chase is in the status

    def to_dict(self) -> dict[str, Any]:
        return {"written": [str(p) for p in self.written], "sent": self.sent, **self.status.to_dict()}


def chase(status: StatusResult, config: Config, returns_dir: Path, to_dir: Path, *, workbooks: Path | None = None,
          deliver: bool = False) -> ChaseResult:
    """Write a reminder for every officer whose partnerships need action; send them too when ``deliver``."""
    messages = reminders(status.officers, config, status.as_of, returns_dir, workbooks)
    written = write_reminders(messages, to_dir)
    return ChaseResult(written, send(messages, config) if deliver and messages else 0, status)
