"""The ledger: an SQLite record of every file partxl has seen and what became of it.

Each file is known by its SHA-256, so a re-run skips files already checked (unless the
rules or settings changed, which the ``checker`` fingerprint notices), a renamed copy is
recognised as the same return, and the register can always be rebuilt from the accepted
versions kept here — even after the returns folder has been tidied away. Internal Audit can
open it with any SQLite tool.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from partxl.errors import PartxlError
from partxl.findings import Finding

ACCEPTED_VERSIONS = """
CREATE VIEW IF NOT EXISTS accepted_versions AS  -- for the analyst (partxl.frames) and Internal Audit
    SELECT partnership, cycle, sha256, saved_at, first_seen, last_path, sender, received, arrived, first_run
    FROM files WHERE outcome = 'accepted';
"""  # made again in place by an upgrade when it lacks a column

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    sha256      TEXT NOT NULL,
    suffix      TEXT NOT NULL,       -- how it is read depends on its extension as well as its bytes
    size        INTEGER NOT NULL,
    first_seen  TEXT NOT NULL,
    last_path   TEXT NOT NULL,
    checker     TEXT NOT NULL,       -- fingerprint of the definitions and settings it was checked with
    outcome     TEXT NOT NULL,       -- accepted, errors, rejected
    partnership TEXT NOT NULL,
    workbook    TEXT NOT NULL,
    cycle       TEXT NOT NULL,
    saved_at    TEXT,
    metadata    TEXT NOT NULL,       -- JSON
    answers     TEXT NOT NULL,       -- JSON: cell name -> value (dates as ISO text)
    findings    TEXT NOT NULL,       -- JSON list
    errors      INTEGER NOT NULL DEFAULT 0,  -- how many of the findings are errors
    sender      TEXT NOT NULL DEFAULT '',    -- who sent it, for a return that came in a message (its address)
    received    TEXT,                -- when that message was received (ISO, UTC): the date lateness is judged by
    arrived     TEXT,                -- when it landed in the folder (its modification time when first seen; ISO, UTC)
    first_run   INTEGER,             -- the run that first saw it: returns are ordered by it, then received or arrived
    seal        TEXT,                -- HMAC-SHA256 of the columns above but last_path, keyed with the integrity key
    PRIMARY KEY (sha256, suffix)
);
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started     TEXT NOT NULL,
    folder      TEXT NOT NULL,
    files       INTEGER NOT NULL DEFAULT 0,
    finished    TEXT
);
CREATE TABLE IF NOT EXISTS sightings (
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    path        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    PRIMARY KEY (run_id, path)
);
CREATE TABLE IF NOT EXISTS state (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL        -- JSON
);
CREATE TABLE IF NOT EXISTS decisions (  -- the MIO's decisions in force, one per question
    kind        TEXT NOT NULL,       -- Held return, Proposal, Finding
    key         TEXT NOT NULL,       -- the file's SHA-256, the proposal's provisional ID, or partnership|finding code
    choice      TEXT NOT NULL,       -- Accept, Reject, Agree, Waive
    value       TEXT NOT NULL,       -- the partnership accepted as, or the ID agreed
    day         TEXT NOT NULL,       -- the date SMT agreed a proposal (ISO)
    reason      TEXT NOT NULL,
    who         TEXT NOT NULL,       -- the MIO of the configuration that read it
    recorded    TEXT NOT NULL,
    cycle       TEXT NOT NULL,
    seal        TEXT,                -- HMAC-SHA256 of the columns above, keyed with the integrity key
    PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS decision_log (  -- every decision made or revoked, in order: for audit
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL, key TEXT NOT NULL, choice TEXT NOT NULL, value TEXT NOT NULL, day TEXT NOT NULL,
    reason      TEXT NOT NULL, who TEXT NOT NULL, recorded TEXT NOT NULL, cycle TEXT NOT NULL,
    seal        TEXT                 -- HMAC-SHA256 of its id and the columns above, keyed with the integrity key
);
""" + ACCEPTED_VERSIONS


LEDGER_VERSION = 4  # PRAGMA user_version this partxl writes: a ledger of a later version is refused, never rewritten
# (4: the decision log is sealed; an earlier partxl would add log entries without a seal)


SEALED = ("sha256", "suffix", "size", "first_seen", "checker", "outcome", "partnership", "workbook", "cycle", "saved_at",
          "metadata", "answers", "findings", "errors", "sender", "received", "arrived", "first_run")  # all but last_path


def _seal(key: str, row: dict[str, Any]) -> str:
    """The seal of a files row: an HMAC over what the register, the report and the order of returns are made from."""
    text = json.dumps([row[c] for c in SEALED], ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


class LedgerError(PartxlError):
    """A ledger that cannot be used: damaged, not a partxl ledger, from a newer partxl, or not writable; says what to do."""


def _trouble(path: Path, exc: BaseException) -> LedgerError:
    """What an SQLite error on the ledger at ``path`` means for the MIO, in words (never SQLite's own text)."""
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text or "unable to open" in text or isinstance(exc, PermissionError):
        return LedgerError(f"{path}: the ledger cannot be written (the file or its folder is read-only, or cannot be "
                           "opened). Make both writable, or give --ledger a file in a folder you can write to.")
    if "full" in text:
        return LedgerError(f"{path}: the disk holding the ledger is full; nothing was recorded. Free some space and run "
                           "again.")
    if "locked" in text or "busy" in text:
        return LedgerError(f"{path}: the ledger is in use by another program (another partxl, or an SQLite tool with "
                           "it open). Close that and run again.")
    return LedgerError(f"{path}: the ledger is damaged and cannot be read. Restore it from a backup; or move it aside "
                       "and run again, which starts a new ledger and reads every return still in the folder again (the "
                       "returns no longer in the folder, and the MIO's decisions, are then not on record).")


def _check_ours(db: sqlite3.Connection, path: Path) -> None:
    """Refuse, before writing anything to it, a database that is not a partxl ledger or is a newer partxl's."""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if tables and "files" not in tables:
        listed = ", ".join(sorted(tables)[:5])
        raise LedgerError(f"{path}: is an SQLite database but not a partxl ledger (its tables: {listed}); it was left as it "
                          "was. Give --ledger the ledger partxl wrote (ledger.sqlite beside the register), or a new file.")
    columns = {row[1] for row in db.execute("PRAGMA table_info(files)")}
    if tables and not {"sha256", "suffix", "outcome", "answers"} <= columns:
        raise LedgerError(f"{path}: has a 'files' table that is not a partxl ledger's; it was left as it was. Give --ledger "
                          "the ledger partxl wrote, or a new file.")
    if version > LEDGER_VERSION:
        raise LedgerError(f"{path}: was written by a newer partxl (ledger version {version}; this partxl knows up to "
                          f"{LEDGER_VERSION}); it was left as it was. Upgrade partxl, or give --ledger a new file.")


@dataclass
class Entry:
    """What the ledger knows of one file."""

    sha256: str
    suffix: str
    size: int
    first_seen: str
    last_path: str
    checker: str
    outcome: str
    partnership: str
    workbook: str
    cycle: str
    saved_at: str | None
    metadata: dict[str, str]
    answers: dict[str, Any]
    findings: list[Finding]
    errors: int = 0  # how many of its findings are errors (counted by SQLite where the findings are not decoded)
    sender: str = ""  # who sent it, when it came in a message (the earliest message it came in)
    received: str | None = None  # when that message was received (ISO, UTC); None for a file saved into the folder
    arrived: str | None = None  # when it landed in the folder (ISO, UTC); never the date the sender's workbook claims
    first_run: int = 0  # the run that first saw it


def sha256_of(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _encode(value: Any) -> Any:
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"date"}:
        return dt.date.fromisoformat(value["date"])
    return value


class Ledger:
    """The ledger file at ``path``, opened for recording (made if it does not exist yet).

    With the council's integrity ``key``, every file's row is sealed as it is recorded (an HMAC over everything but
    where it was last seen), and a row whose seal fails is not used: one edited outside partxl (a grant of 999,999,999
    typed into its answers, say) is re-read from its file if that is still in the folder, and otherwise reported and
    left out (:attr:`altered`). Without a key (commands that only read it for a report) rows are taken as they are.
    """

    def __init__(self, path: Path, db: sqlite3.Connection | None = None, key: str = ""):
        """Open (or make) the ledger; a :class:`LedgerError` saying what to do when it cannot be used. A database that is
        not a partxl ledger, or is a newer partxl's, is refused before anything is written to it."""
        self.path, self.key = path, key
        self.altered: dict[tuple[str, str], Entry] = {}  # rows whose seal failed, by (sha256, suffix)
        self.altered_decisions: list[tuple[str, ...]] = []  # decisions in force whose seal failed
        self.altered_log: list[tuple[str, ...]] = []  # entries of the decision log whose seal failed
        self._sealed_here: set[tuple[str, str]] = set()  # rows this connection sealed (see :meth:`_untouched`)
        try:
            if db is None:
                path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(path, isolation_level=None)
                _check_ours(db, path)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
            else:
                _check_ours(db, path)
            self.db = db
            self.db.executescript(SCHEMA)
            _upgrade(self.db, self._log_seal if key else None)
            self.db.execute(f"PRAGMA user_version = {LEDGER_VERSION}")
            self._data_version = self._others_wrote()
        except LedgerError:
            if db is not None:
                db.close()
            raise
        except (sqlite3.Error, OSError) as exc:
            if db is not None:
                db.close()
            raise _trouble(path, exc) from None

    @classmethod
    def snapshot(cls, path: Path, key: str = "") -> Ledger:
        """A copy of the ledger at ``path`` in memory (empty when there is none yet), for commands that only read.

        ``partxl status`` and ``partxl chase`` check the files the ledger does not know as consolidate
        would, but record nothing: what they learn goes into this copy and is gone when it closes.
        """
        db = sqlite3.connect(":memory:", isolation_level=None)
        if path.is_file():
            try:
                with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as source:
                    source.backup(db)
            except sqlite3.Error as exc:
                db.close()
                raise _trouble(path, exc) from None
        return cls(path, db, key)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, kind: object, exc: BaseException | None, trace: object) -> None:
        """Closes the ledger; an SQLite error on it inside the block becomes a :class:`LedgerError` saying what to do."""
        self.close()
        if isinstance(exc, sqlite3.Error):
            raise _trouble(self.path, exc) from None

    def start_run(self, folder: Path, now: dt.datetime) -> int:
        """A run over ``folder``, whose name is kept as text even when it is not UTF-8 (its odd bytes escaped)."""
        shown = os.fsencode(folder).decode("utf-8", "backslashreplace")
        cursor = self.db.execute("INSERT INTO runs (started, folder) VALUES (?, ?)", (now.isoformat(timespec="seconds"), shown))
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, files: int, now: dt.datetime) -> None:
        self.db.execute("UPDATE runs SET files = ?, finished = ? WHERE id = ?", (files, now.isoformat(timespec="seconds"), run_id))

    def get(self, sha256: str, suffix: str) -> Entry | None:
        """What the ledger knows of a file, without its answers (only the register build needs those); None when its row
        fails its seal (noted in :attr:`altered`: the file is then checked again, and its row written afresh)."""
        with closing(self.db.execute(f"SELECT {_WITHOUT_ANSWERS}, answers AS sealed_answers, seal FROM files "
                                     "WHERE sha256 = ? AND suffix = ?", (sha256, suffix))) as cursor:
            row = cursor.fetchone()
            names = [d[0] for d in cursor.description]
        if not row:
            return None
        found = dict(zip(names, row, strict=True))
        entry = _entry(found)
        if not self._sealed({**found, "answers": found["sealed_answers"]}):
            self.altered[(sha256, suffix)] = entry
            return None
        return entry

    def _sealed(self, row: dict[str, Any]) -> bool:
        return not self.key or hmac.compare_digest(str(row.get("seal") or ""), _seal(self.key, row))

    def _reseal(self, sha256: str, suffix: str) -> None:
        """Seal the row as it now stands (an upsert keeps when it was first seen and where it first came from)."""
        if not self.key:
            return
        with closing(self.db.execute(f"SELECT {', '.join(SEALED)} FROM files WHERE sha256 = ? AND suffix = ?",
                                     (sha256, suffix))) as cursor:
            row = cursor.fetchone()
            names = [d[0] for d in cursor.description]
        if row:
            self.db.execute("UPDATE files SET seal = ? WHERE sha256 = ? AND suffix = ?",
                            (_seal(self.key, dict(zip(names, row, strict=True))), sha256, suffix))
            self._sealed_here.add((sha256, suffix))

    def _others_wrote(self) -> int:
        """SQLite's count of changes made to the file by any other connection (this one's own never change it)."""
        with closing(self.db.execute("PRAGMA data_version")) as cursor:
            return int(cursor.fetchone()[0])

    def _untouched(self) -> set[tuple[str, str]]:
        """The rows this connection sealed, when no other connection has written to the ledger since it was opened: they
        are as sealed, and their seals need not be worked out again (every return of a first run: 0.03 s of CPU in
        1,000). After any other write, none is taken on trust."""
        return self._sealed_here if self._others_wrote() == self._data_version else set()

    def seen(self, entry: Entry, run_id: int, path: str) -> None:
        """A file already checked, seen again (perhaps under another name, or in another message): note where, and the
        earliest message it came in; keep the rest."""
        assert self.db.in_transaction, "seen inside `with ledger.batch():`"
        self.db.execute("UPDATE files SET last_path = ? WHERE sha256 = ? AND suffix = ?", (path, entry.sha256, entry.suffix))
        if entry.received is not None:
            self.db.execute("UPDATE files SET sender = ?, received = ? WHERE sha256 = ? AND suffix = ? AND "
                            "(received IS NULL OR received > ?)", (entry.sender, entry.received, entry.sha256, entry.suffix,
                                                                   entry.received))
            self._reseal(entry.sha256, entry.suffix)
        self.sighted(run_id, path, entry.sha256)

    def sighted(self, run_id: int, path: str, sha256: str) -> None:
        """Where this run saw a file: one more place for bytes already recorded (a forward of a message, say)."""
        self.db.execute("INSERT OR REPLACE INTO sightings VALUES (?, ?, ?)", (run_id, path, sha256))

    def batch(self) -> sqlite3.Connection:
        """``with ledger.batch():`` commits everything recorded inside it in one transaction (one disk sync, not one
        per file); a run killed part-way loses only its last batch, whose files the next run simply checks again."""
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def record(self, entry: Entry, run_id: int, path: str) -> None:
        """Store a file's check (replacing an older check of the same bytes) and this run's sighting, inside a batch."""
        assert self.db.in_transaction, "record inside `with ledger.batch():`"
        if (entry.sha256, entry.suffix) in self.altered:  # nothing of an altered row is kept: not even when it came
            self.db.execute("DELETE FROM files WHERE sha256 = ? AND suffix = ?", (entry.sha256, entry.suffix))
        self.db.execute(
            "INSERT INTO files (sha256, suffix, size, first_seen, last_path, checker, outcome, partnership, workbook, cycle, "
            "saved_at, metadata, answers, findings, errors, sender, received, arrived, first_run) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(sha256, suffix) DO UPDATE SET "
            "last_path=excluded.last_path, checker=excluded.checker, outcome=excluded.outcome, "
            "partnership=excluded.partnership, workbook=excluded.workbook, cycle=excluded.cycle, "
            "saved_at=excluded.saved_at, metadata=excluded.metadata, answers=excluded.answers, findings=excluded.findings, "
            "errors=excluded.errors, "
            "sender=CASE WHEN files.received IS NULL OR excluded.received < files.received THEN excluded.sender "
            "ELSE files.sender END, "
            "received=CASE WHEN files.received IS NULL OR excluded.received < files.received THEN excluded.received "
            "ELSE files.received END",
            (entry.sha256, entry.suffix, entry.size, entry.first_seen, entry.last_path, entry.checker, entry.outcome, entry.partnership,
             entry.workbook, entry.cycle, entry.saved_at, json.dumps(entry.metadata, sort_keys=True),
             json.dumps({k: _encode(v) for k, v in entry.answers.items()}, sort_keys=True, ensure_ascii=False),
             json.dumps([f.as_dict() for f in entry.findings], ensure_ascii=False),
             sum(f.severity == "error" for f in entry.findings), entry.sender, entry.received, entry.arrived,
             entry.first_run or run_id))
        self._reseal(entry.sha256, entry.suffix)
        self.sighted(run_id, path, entry.sha256)

    def state(self, key: str) -> Any:
        with closing(self.db.execute("SELECT value FROM state WHERE key = ?", (key,))) as cursor:
            row = cursor.fetchone()
        return json.loads(row[0]) if row else None

    def set_state(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (key, json.dumps(value, sort_keys=True)))

    def decisions(self, *, log: bool = False) -> list[tuple[str, ...]]:
        """The decisions in force: (kind, key, choice, value, day, reason, who, recorded, cycle), oldest first; with
        ``log``, every decision ever made or revoked, in the order made (the audit trail). One whose seal fails (edited
        outside partxl, or recorded before it was sealed) is left out, and kept to be reported: in
        :attr:`altered_decisions`, or for the log in :attr:`altered_log`. A log entry's seal covers its place in the log
        (its id) too, so entries swapped or renumbered fail as well."""
        query = ("SELECT id, seal, kind, key, choice, value, day, reason, who, recorded, cycle FROM decision_log ORDER BY id"
                 if log else "SELECT NULL, seal, kind, key, choice, value, day, reason, who, recorded, cycle FROM decisions "
                             "ORDER BY recorded, kind, key")
        with closing(self.db.execute(query)) as cursor:
            rows = [tuple(row) for row in cursor.fetchall()]
        if not self.key:
            return [row[2:] for row in rows]
        kept: list[tuple[str, ...]] = []
        altered: list[tuple[str, ...]] = []
        for number, seal, *row in rows:
            expected = self._log_seal(number, tuple(row)) if log else self._sealing(tuple(row))
            (kept if hmac.compare_digest(str(seal or ""), expected) else altered).append(tuple(row))
        if log:
            self.altered_log = altered
        else:
            self.altered_decisions = altered
        return kept

    def _log_seal(self, number: int, row: tuple[str, ...]) -> str:
        """The seal of the decision log's entry ``number``: its place in the log is sealed with what it says."""
        return self._sealing((str(number), *row))

    def _sealing(self, row: tuple[str, ...]) -> str:
        text = json.dumps(list(row), ensure_ascii=False, separators=(",", ":"))
        return hmac.new(self.key.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()

    def cycles(self) -> list[str]:
        """Every cycle the ledger holds returns of (accepted, with errors or held), oldest first by the run that first saw
        one of its returns (not by the dates the workbooks claim)."""
        with closing(self.db.execute("SELECT cycle, MIN(first_run), MIN(first_seen) FROM files WHERE outcome IN "
                                     "('accepted', 'errors', 'held') GROUP BY cycle ORDER BY 2, 3, 1")) as cursor:
            return [str(cycle) for cycle, _, _ in cursor.fetchall()]

    def decide(self, row: tuple[str, ...], revoke: bool = False) -> None:
        """Record a decision (or its revocation), replacing the one in force for the same question; log it."""
        if revoke:
            self.db.execute("DELETE FROM decisions WHERE kind = ? AND key = ?", row[:2])
        else:
            self.db.execute("INSERT OR REPLACE INTO decisions VALUES (?,?,?,?,?,?,?,?,?,?)",
                            (*row, self._sealing(tuple(row)) if self.key else None))
        number = self.db.execute("INSERT INTO decision_log (kind, key, choice, value, day, reason, who, recorded, cycle) "
                                 "VALUES (?,?,?,?,?,?,?,?,?)", row).lastrowid
        if self.key and number is not None:
            self.db.execute("UPDATE decision_log SET seal = ? WHERE id = ?", (self._log_seal(number, tuple(row)), number))

    def returns(self, cycle: str) -> list[Entry]:
        """Every return of the cycle (accepted, with errors, held), oldest first, with the answers of those that may be
        shown and how many errors each has (its findings are in the run's results, or in the ledger for audit).

        Oldest first means first seen in an earlier run, then arrived in the folder earlier: never the date a workbook
        says it was saved, which its sender writes (see partxl.returns.lifecycle for returns that arrive together).

        A row whose seal fails is left out and noted in :attr:`altered` (its file, if still in the folder, was read again
        and its row written afresh before this is asked)."""
        found: list[Entry] = []
        untouched = self._untouched()
        with closing(self.db.execute(
                "SELECT sha256, suffix, size, first_seen, last_path, checker, outcome, partnership, workbook, cycle, saved_at, "
                "metadata, answers, findings, errors, sender, received, arrived, first_run, seal FROM files "
                "WHERE outcome IN ('accepted', 'errors', 'held') AND cycle = ? "
                "ORDER BY first_run, COALESCE(received, arrived, first_seen), first_seen, sha256", (cycle,))) as cursor:
            names = [d[0] for d in cursor.description]
            for values in cursor:  # one row at a time: every return's answers at once would cost 150 MB at 10,000
                row = dict(zip(names, values, strict=True))
                sealed = (row["sha256"], row["suffix"]) in untouched or self._sealed(row)
                row["findings"] = "[]"  # in the run's results, or in the ledger for audit
                if row["outcome"] not in ("accepted", "held") or not sealed:
                    row["answers"] = "{}"
                entry = _entry(row)
                if sealed:
                    found.append(entry)
                else:
                    self.altered[(entry.sha256, entry.suffix)] = entry
        return found


def _upgrade(db: sqlite3.Connection, log_seal: Callable[[int, tuple[str, ...]], str] | None = None) -> None:
    """A ledger written by an earlier partxl gains what this one records (its files' error counts; who sent a return
    that came in a message, and when), in place. The files it recorded before came as files: no sender, no message.

    The decision log's entries are sealed as they stand when it gains its seal, with ``log_seal`` (the integrity key's;
    a log upgraded without the key keeps its earlier entries unsealed, and they are reported). Unlike a file's row (read
    again from its file) or a decision in force (made again in decisions.xlsx), a log entry cannot be made again: left
    unsealed, every one would be reported on every run. An edit made before partxl sealed the log cannot be told."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(files)")}
    if "errors" not in columns:
        db.execute("ALTER TABLE files ADD COLUMN errors INTEGER NOT NULL DEFAULT 0")
        db.execute("UPDATE files SET errors = (SELECT COUNT(*) FROM json_each(findings) "
                   "WHERE json_extract(value, '$.severity') = 'error')")
    if "sender" not in columns:
        db.execute("ALTER TABLE files ADD COLUMN sender TEXT NOT NULL DEFAULT ''")
    if "received" not in columns:
        db.execute("ALTER TABLE files ADD COLUMN received TEXT")
    if "first_run" not in columns:  # when each file arrived was not kept: the run that first saw it was
        db.execute("ALTER TABLE files ADD COLUMN arrived TEXT")
        db.execute("ALTER TABLE files ADD COLUMN first_run INTEGER")
        db.execute("UPDATE files SET first_run = (SELECT MIN(run_id) FROM sightings WHERE sightings.sha256 = files.sha256)")
    if "seal" not in columns:  # rows written before rows were sealed are not trusted: their files are read again
        db.execute("ALTER TABLE files ADD COLUMN seal TEXT")
    if "seal" not in {row[1] for row in db.execute("PRAGMA table_info(decisions)")}:  # nor decisions: the MIO makes them again
        db.execute("ALTER TABLE decisions ADD COLUMN seal TEXT")
    if "first_run" not in {row[1] for row in db.execute("PRAGMA table_info(accepted_versions)")}:  # who sent each, and when
        db.execute("DROP VIEW accepted_versions")
        db.execute(ACCEPTED_VERSIONS)
    if "seal" not in {row[1] for row in db.execute("PRAGMA table_info(decision_log)")}:
        db.execute("ALTER TABLE decision_log ADD COLUMN seal TEXT")
        if log_seal is not None:
            with closing(db.execute("SELECT id, kind, key, choice, value, day, reason, who, recorded, cycle FROM decision_log")) as cursor:
                entries = cursor.fetchall()
            db.executemany("UPDATE decision_log SET seal = ? WHERE id = ?",
                           [(log_seal(number, tuple(row)), number) for number, *row in entries])


_WITHOUT_ANSWERS = ("sha256, suffix, size, first_seen, last_path, checker, outcome, partnership, workbook, cycle, saved_at, "
                    "metadata, '{}' AS answers, findings, errors, sender, received, arrived, first_run")


def _entry(row: dict[str, Any]) -> Entry:
    return Entry(
        sha256=row["sha256"], suffix=row["suffix"], size=row["size"], first_seen=row["first_seen"], last_path=row["last_path"],
        checker=row["checker"], outcome=row["outcome"], partnership=row["partnership"], workbook=row["workbook"],
        cycle=row["cycle"], saved_at=row["saved_at"], metadata=json.loads(row["metadata"]),
        answers={sys.intern(k): _decode(v) for k, v in json.loads(row["answers"]).items()},
        findings=[Finding(**f).shared() for f in json.loads(row["findings"])], errors=row.get("errors", 0),
        sender=row.get("sender") or "", received=row.get("received"),
        arrived=row.get("arrived"), first_run=row.get("first_run") or 0,
    )
