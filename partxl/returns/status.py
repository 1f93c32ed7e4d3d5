"""Where each Responsible Officer stands this cycle: returned, returned late, outstanding, late or with errors.

The policy asks the MIO to remind Responsible Officers of the deadlines. The status is worked
out from a collection of returns alone (nothing is written), and read by ``partxl status``,
the report's "Status by officer" sheet and the reminders of ``partxl chase``.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from partxl.config import Config
from partxl.findings import HOLDS, Finding, Severity
from partxl.forms import contract
from partxl.register.model import OWES_NOTHING, Record, ReturnState, stage
from partxl.returns.results import ConsolidateResult, FileResult, Outcome


class State(enum.StrEnum):
    """Where a partnership stands for its officer, from its newest return (partxl.returns.lifecycle)."""

    RETURNED = "returned"
    RETURNED_LATE = "returned late"
    WITH_ERRORS = "with errors"  # its newest return has errors: the officer is asked to correct it
    HELD = "held"  # its newest return is held: the MIO must confirm whose it is, and the officer may be asked
    OUTSTANDING = "outstanding"
    LATE = "late"


NEEDS_ACTION = (State.WITH_ERRORS, State.HELD, State.OUTSTANDING, State.LATE)


@dataclass
class PartnershipStatus:
    id: str
    name: str
    state: State
    files: list[str] = field(default_factory=list)  # returned files, relative to the returns folder
    errors: list[Finding] = field(default_factory=list)  # why its newest return has errors or is held
    newest: str = ""  # its newest return, the one its state comes from

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "state": str(self.state), "files": self.files, "newest": self.newest}


@dataclass
class OfficerStatus:
    officer: str
    email: str
    partnerships: list[PartnershipStatus]

    def count(self, *states: State) -> int:
        return sum(p.state in states for p in self.partnerships)

    @property
    def needs_action(self) -> bool:
        return self.count(*NEEDS_ACTION) > 0

    def to_dict(self) -> dict[str, Any]:
        return {"officer": self.officer, "email": self.email, "partnerships": [p.to_dict() for p in self.partnerships]}


def officer_status(result: ConsolidateResult, config: Config) -> list[OfficerStatus]:
    """Every partnership that owes a return this cycle (not the closed ones), grouped by its lead officer."""
    by_partnership: dict[str, list[FileResult]] = {}
    for f in result.files:
        if f.partnership:
            by_partnership.setdefault(f.partnership.casefold(), []).append(f)
    officers: dict[str, OfficerStatus] = {}
    for record in result.records:
        if stage(record) in OWES_NOTHING:
            continue
        files = by_partnership.get(record.id.casefold(), [])
        state = _state(record, config, result.as_of)
        newest = next((f for f in files if f.path == record.latest_file), None)
        errors = [x for x in newest.findings if x.severity == Severity.ERROR or x.code in HOLDS] \
            if newest is not None and state in (State.WITH_ERRORS, State.HELD) else []
        name = str(record.get(contract.NAME.cell) or record.id)
        officer_name = str(record.get(contract.LEAD_OFFICER.cell) or "(no lead officer)")
        known = config.officer(officer_name)
        entry = officers.setdefault(officer_name, OfficerStatus(officer_name, known.email if known else "", []))
        returned = [f.path for f in files if f.outcome in (Outcome.ACCEPTED, Outcome.SUPERSEDED, Outcome.ERRORS, Outcome.HELD)]
        entry.partnerships.append(PartnershipStatus(record.id, name, state, returned, errors, record.latest_file))
    return sorted(officers.values(), key=lambda o: o.officer.casefold())


def _state(record: Record, config: Config, as_of: dt.date) -> State:
    """A partnership's state for its officer: its return state (the lifecycle's), and the deadline."""
    if record.state == ReturnState.RETURNED:
        late = record.latest_return is not None and record.latest_return > config.deadline
        return State.RETURNED_LATE if late else State.RETURNED
    if record.state == ReturnState.WITH_ERRORS:
        return State.WITH_ERRORS
    if record.state == ReturnState.HELD:
        return State.HELD
    return State.LATE if as_of > config.deadline else State.OUTSTANDING


@dataclass
class StatusResult:
    """Where every officer stands, as at a date; ``findings`` are those of the files and the register read."""

    officers: list[OfficerStatus]
    findings: list[Finding]
    as_of: dt.date

    @property
    def ok(self) -> bool:
        """Nothing needs action: every partnership has returned, or its deadline is still ahead."""
        return not any(o.needs_action for o in self.officers)

    def to_dict(self) -> dict[str, Any]:
        """What ``partxl status --json`` prints."""
        return {"as_of": self.as_of.isoformat(), "officers": [o.to_dict() for o in self.officers]}
