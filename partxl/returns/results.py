"""What became of each file and of a whole collection of returns: data every later stage reads.

These types live below everything that reads them (the report, the summary, status and chase,
the public API), so that none of those needs to import the module that does the collecting.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from partxl.findings import Finding, Severity
from partxl.register.model import Record

if TYPE_CHECKING:
    from partxl.returns.decisions import Decision, Question


class Outcome(enum.StrEnum):
    """What became of one file of the returns folder (stored in the ledger as this text)."""

    ACCEPTED = "accepted"  # no errors: the partnership's newest version, unless a newer one replaced it
    SUPERSEDED = "superseded"  # a newer return for the same partnership replaced it (see partxl.returns.lifecycle)
    ERRORS = "errors"  # a return of ours, with errors to correct
    HELD = "held"  # its answers contradict the identity it was issued with: kept out until the MIO decides
    REJECTED = "rejected"  # not a return partxl can read
    SKIPPED = "skipped"  # a lock file or a system file

    @property
    def text(self) -> str:
        """How the report and the status describe it to an officer."""
        return _OUTCOME_TEXT[self]


_OUTCOME_TEXT = {
    Outcome.ACCEPTED: "Accepted", Outcome.SUPERSEDED: "Replaced by a newer return",
    Outcome.ERRORS: "Not accepted: has errors", Outcome.HELD: "Held: the MIO must confirm whose return it is",
    Outcome.REJECTED: "Rejected: not taken as a return (see its findings)", Outcome.SKIPPED: "Skipped",
}


def waivers(decisions: Iterable[Decision]) -> frozenset[tuple[str, str]]:
    """(partnership, finding code) of every waiver among ``decisions`` (its key is "P001|CODE"): no breach to show."""
    return frozenset((d.key.partition("|")[0], d.key.partition("|")[2]) for d in decisions if d.kind == "Finding")


@dataclass
class FileResult:
    """One file of the folder: what became of it."""

    path: str  # relative to the returns folder
    outcome: Outcome
    sha256: str = ""
    size: int = 0
    partnership: str = ""
    saved_at: str | None = None
    findings: list[Finding] = field(default_factory=list)
    cached: bool = False
    sender: str = ""  # for a return that came in a message: who sent it (the earliest message it came in)
    received: str | None = None  # … and when that message was received (ISO, UTC)

    @property
    def errors(self) -> int:
        return sum(f.severity == Severity.ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == Severity.WARNING for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "outcome": str(self.outcome), "partnership": self.partnership, "sha256": self.sha256,
                "cached": self.cached, "sender": self.sender, "received": self.received}


@dataclass
class ConsolidateResult:
    """Every file of a returns folder, every finding, and the register worked out from them."""

    files: list[FileResult]
    findings: list[Finding]  # every finding, files' and the register's
    records: list[Record]
    excluded: list[Record]
    outputs: dict[Path, str]
    previous: list[Record] = field(default_factory=list)  # last cycle's partnerships
    as_of: dt.date = field(default_factory=dt.date.today)
    inputs_digest: str = ""
    seconds: float = 0.0
    questions: list[Question] = field(default_factory=list)  # what only the MIO can decide (decisions.xlsx)
    decisions: list[Decision] = field(default_factory=list)  # the MIO's decisions in force
    waived: list[Finding] = field(default_factory=list)  # findings the MIO waived, with the decision's reason

    def count(self, outcome: Outcome) -> int:
        return sum(f.outcome == outcome for f in self.files)

    @property
    def waived_pairs(self) -> frozenset[tuple[str, str]]:
        """(partnership, finding code) of every waiver in force: the summary shows them as no breach."""
        return waivers(self.decisions)

    @property
    def ok(self) -> bool:
        """No file with errors, held or rejected: the exit code 0 of ``partxl consolidate``."""
        return not any(f.outcome in (Outcome.ERRORS, Outcome.HELD, Outcome.REJECTED) for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        """What ``partxl consolidate --json`` prints."""
        return {"files": [f.to_dict() for f in self.files], "findings": [f.as_dict() for f in self.findings],
                "outputs": {str(p): o for p, o in self.outputs.items()}}


@dataclass
class CheckResult:
    """One workbook checked on its own, as an officer does before sending it (``partxl check``)."""

    path: Path
    accepted: bool  # no errors and nothing to hold it: it would be accepted into the register
    findings: list[Finding]  # in the order an officer reads them: errors first, then by sheet and cell
    metadata: dict[str, str] | None = None  # the issue details it carries, when it is one of ours
    workbooks: int = 1  # the workbooks checked: those attached to a message or in an archive (none, perhaps)

    @property
    def ok(self) -> bool:
        return self.accepted

    @property
    def partnership_id(self) -> str:
        return (self.metadata or {}).get("partnership_id", "")

    @property
    def partnership_name(self) -> str:
        return (self.metadata or {}).get("partnership_name", "") or self.partnership_id

    @property
    def described(self) -> str:
        """Whose workbook it is, as ``check`` says it: " for Wexbridge Food Partnership", " (a new partnership proposal)"."""
        meta = self.metadata or {}
        if meta.get("workbook") == "proposal":
            return " (a new partnership proposal)"
        return f" for {self.partnership_name}" if self.partnership_id else ""

    def to_dict(self) -> dict[str, Any]:
        """What ``partxl check --json`` prints."""
        return {"accepted": self.accepted, "findings": [f.as_dict() for f in self.findings]}
