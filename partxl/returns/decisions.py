"""The MIO's decisions: what software must not decide, asked in a workbook the MIO edits, recorded in the ledger.

Each consolidation writes ``decisions.xlsx`` beside the register: a row per open question — a held
return (accept it, as which partnership, or reject it), a proposal (agree it: its permanent ID and the
date SMT agreed it; or reject it), a policy finding that may be waived with a reason (a forum that works
to terms of reference rather than a formal agreement, say) — and a row per decision in force, which can
be revoked. The next consolidation reads the MIO's copy back: each new decision is checked, recorded in
the ledger (what, who as configured, when, why) and applied; it stays until revoked, and a waiver
carries into later cycles wherever the same finding arises. A decision whose file has changed or gone
is reported, not applied.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from partxl.config import Config
from partxl.findings import Code, Finding
from partxl.forms.fieldtypes import Unreadable, parse_date, parse_text
from partxl.returns.ledger import Ledger

DECISIONS_NAME = "decisions.xlsx"
SHEET = "Decisions"


class Kind(enum.StrEnum):
    HELD = "Held return"
    PROPOSAL = "Proposal"
    FINDING = "Finding"
    FILE = "File"  # any return, rejected by the MIO: a row the MIO adds, with the file's SHA-256 from the report


class Choice(enum.StrEnum):
    ACCEPT = "Accept"
    REJECT = "Reject"
    AGREE = "Agree"
    WAIVE = "Waive"
    REVOKE = "Revoke"


CHOICES = {Kind.HELD: (Choice.ACCEPT, Choice.REJECT), Kind.PROPOSAL: (Choice.AGREE, Choice.REJECT),
           Kind.FINDING: (Choice.WAIVE,), Kind.FILE: (Choice.REJECT,)}
COLUMNS = ("Question", "Partnership", "What", "Why it is asked", "Decision", "Partnership ID", "Date SMT agreed", "Reason",
           "Recorded", "Key")


@dataclass(frozen=True)
class Question:
    """Something only the MIO can decide, as a row of the Decisions workbook."""

    kind: Kind
    key: str  # the file's SHA-256, the proposal's provisional ID, or "partnership|finding code"
    partnership: str
    what: str  # the file, the proposed partnership's name, the finding's title
    why: str


@dataclass(frozen=True)
class Decision:
    """A decision in force, as the ledger records it."""

    kind: Kind
    key: str
    choice: Choice
    value: str  # the partnership a held return is accepted as, or a proposal's permanent ID
    day: str  # the date SMT agreed a proposal (ISO)
    reason: str
    who: str
    recorded: str
    cycle: str

    def row(self) -> tuple[str, ...]:
        return (self.kind, self.key, self.choice, self.value, self.day, self.reason, self.who, self.recorded, self.cycle)


@dataclass(frozen=True)
class Decided:
    """The decisions in force after reading the MIO's workbook, and what reading it found."""

    decisions: tuple[Decision, ...]
    findings: tuple[Finding, ...]

    def of(self, kind: Kind, key: str) -> Decision | None:
        return next((d for d in self.decisions if d.kind == kind and d.key.casefold() == key.casefold()), None)

    def waived(self, partnership: str, code: str) -> Decision | None:
        return self.of(Kind.FINDING, f"{partnership}|{code}")


def record_decisions(path: Path, ledger: Ledger, config: Config, known_ids: set[str], now: dt.datetime) -> Decided:
    """Read the MIO's decisions workbook at ``path`` (if any), record what is new in the ledger, return all in force.

    ``known_ids`` are the partnership IDs a held return may be accepted as, and an agreed proposal may not take.
    """
    findings: list[Finding] = []
    in_force = {(d.kind, d.key): d for d in _in_force(ledger)}
    findings += [_altered(row) for row in ledger.altered_decisions]
    ledger.decisions(log=True)  # read for its seals: the log is the audit trail, not what is applied
    findings += [_altered(row, Code.DECISION_LOG_ALTERED) for row in ledger.altered_log]
    for number, row in _rows(path, findings):
        problem, decision = _read(row, config, known_ids, in_force, now)
        if problem:
            findings.append(Code.DECISION_INVALID.at(file=path.name, sheet=SHEET, cell=f"E{number}", value=row.get("Decision", ""),
                                                     partnership=str(row.get("Partnership", "")), problem=problem))
        elif decision is not None:
            revoke = decision.choice == Choice.REVOKE
            ledger.decide(decision.row(), revoke=revoke)
            in_force.pop((decision.kind, decision.key), None)
            if not revoke:
                in_force[(decision.kind, decision.key)] = decision
    return Decided(tuple(in_force.values()), tuple(findings))


def _altered(row: tuple[str, ...], code: Code = Code.DECISION_ALTERED) -> Finding:
    """A decision in the ledger whose seal fails, as a finding: one in force (it is not applied), or an entry of the log."""
    kind, key, choice, value, _day, _reason, who, recorded = row[:8]
    partnership = key.split("|")[0] if kind == Kind.FINDING else value
    shown = f"{key[:12]}…" if kind in (Kind.HELD, Kind.FILE) else key
    return code.at(partnership=partnership, choice=choice, what=f"{kind.lower()} {shown}", who=who, recorded=recorded[:10])


def _in_force(ledger: Ledger) -> list[Decision]:
    return [Decision(Kind(r[0]), r[1], Choice(r[2]), *r[3:]) for r in ledger.decisions()]


def in_force(ledger: Ledger) -> Decided:
    """The decisions the ledger holds in force, for the commands that only read them (summary, a partnership's report)."""
    return Decided(tuple(_in_force(ledger)), ())


def _rows(path: Path, findings: list[Finding]) -> Iterable[tuple[int, dict[str, Any]]]:
    """The workbook's rows by column heading, with their row numbers; a workbook that cannot be read is a finding."""
    if not path.is_file():
        return []
    from python_calamine import CalamineWorkbook

    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET).to_python()
    except Exception as exc:  # calamine's own errors; the MIO's copy is kept and the run goes on
        findings.append(Code.DECISIONS_UNREADABLE.at(file=path.name, detail=f"{type(exc).__name__}: {exc}"))
        return []
    if not rows:
        return []
    header = [str(h).strip() for h in rows[0]]
    return [(n, dict(zip(header, r, strict=False))) for n, r in enumerate(rows[1:], start=2) if any(v not in (None, "") for v in r)]


def _read(row: dict[str, Any], config: Config, known_ids: set[str], in_force: dict[tuple[Kind, str], Decision],
          now: dt.datetime) -> tuple[str, Decision | None]:
    """(what is wrong, "") or ("", the decision to record, or None when the row asks nothing new)."""
    text = {k: parse_text(v) if v not in (None, "") else "" for k, v in row.items()}
    choice_text, key = text.get("Decision", ""), text.get("Key", "")
    if not choice_text:
        return "", None
    try:
        kind, choice = Kind(text.get("Question", "")), Choice(choice_text.capitalize())
    except ValueError:
        return f"'{choice_text}' is not a decision partxl knows for '{text.get('Question', '')}'", None
    current = in_force.get((kind, key))
    if choice == Choice.REVOKE:
        return ("", _decision(kind, key, choice, "", "", text.get("Reason", ""), config, now)) if current else \
            ("there is no decision in force to revoke", None)
    if choice not in CHOICES[kind]:
        return f"a {kind.lower()} is decided with {' or '.join(CHOICES[kind])}, not {choice}", None
    value, day, reason = text.get("Partnership ID", ""), text.get("Date SMT agreed", ""), text.get("Reason", "")
    problem = _problem(kind, choice, value, day, reason, known_ids)
    if problem:
        return problem, None
    if day:
        day = parse_date(row["Date SMT agreed"]).isoformat()
    decision = _decision(kind, key, choice, value, day, reason, config, now)
    if current is not None and (current.choice, current.value, current.day, current.reason) == (choice, value, day, reason):
        return "", None  # recorded already
    return "", decision


def _problem(kind: Kind, choice: Choice, value: str, day: str, reason: str, known_ids: set[str]) -> str:
    """Why a decision cannot be recorded as the MIO wrote it ("" when it can)."""
    if not reason:
        return "give the reason for the decision: internal audit reads it"
    if kind == Kind.HELD and choice == Choice.ACCEPT and value and value.casefold() not in known_ids:
        return f"there is no partnership {value} to accept the return as"
    if kind == Kind.PROPOSAL and choice == Choice.AGREE:
        if not value:
            return "give the permanent Partnership ID SMT's agreement gives it"
        if value.casefold() in known_ids:
            return f"{value} is already another partnership's ID"
        try:
            parse_date(day)
        except Unreadable:
            return "give the date SMT agreed it, such as 31/03/2027"
    return ""


def _decision(kind: Kind, key: str, choice: Choice, value: str, day: str, reason: str, config: Config,
              now: dt.datetime) -> Decision:
    return Decision(kind, key, choice, value, day, reason, config.mio_name, now.isoformat(timespec="seconds"), config.cycle)
