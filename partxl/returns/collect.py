"""Collect a folder of returns: read every file, check it, record it in the ledger, and work out the register.

Every file ends in the ledger and in the result (and so in the validation report); accepted
returns (no errors) become the partnership's newest version; the register is worked out from
the ledger's accepted versions over last year's register, so re-running on the same folder
changes nothing and adding one file changes one row. Writing the outputs is the next stage's
job (``partxl.outputs.write``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from partxl.config import Config, clean
from partxl.files import NotAFile, TooLarge, file_sha256, regular_file
from partxl.findings import HOLDS, WARNING, Code, Finding
from partxl.forms import contract
from partxl.forms.definitions import Spec
from partxl.forms.rules import POLICY_KINDS
from partxl.register.model import CLOSED_SHEET, OWES_NOTHING, Record, Status, has_ended, stage
from partxl.register.read import read_register
from partxl.returns.decisions import DECISIONS_NAME, Choice, Decided, Decision, Kind, Question, record_decisions
from partxl.returns.kinds import LEDGER_NAME, is_container
from partxl.returns.ledger import Entry, Ledger, sha256_of
from partxl.returns.lifecycle import RETURNS, Settled, arrange, came, settle
from partxl.returns.read import MAX_TOTAL_BYTES, TOO_LARGE_HINT
from partxl.returns.results import ConsolidateResult, FileResult, Outcome
from partxl.returns.validate import Checked, check_job, misnamed
from partxl.workers import PARALLEL_FROM, TookTooLong, Workers, each_within, job_seconds

if TYPE_CHECKING:  # the containers' module reads mail: imported when the first container is met, not before
    from partxl.returns.containers import Attachment, Problem, Provenance

REGISTER_WORTH_WORKERS = 64 * 1024  # bytes: a register file of about a hundred partnerships
RETURN_BYTES = 50 * 1024  # about the size of a return, attached (base64) or in an archive
LEDGER_BATCH = 200  # files recorded per transaction: one disk sync each, and a killed run loses at most one batch
SKIP_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
READER_FAILED = {"FILE_CRASHED", "FILE_TIMED_OUT"}  # findings of a check that did not finish: never taken from the ledger


def list_returns(folder: Path, exclude: Path | None = None) -> list[Path]:
    """Every file in ``folder`` and below, in a stable order, leaving out partxl's own output folders: ``exclude``, and
    any folder below with a ledger in it (an earlier run's ``--out``, whose register, report and reminders are no returns).

    Links are listed, not followed: a link to a file that has gone is still reported, and so is a link that
    leads round in a circle. Names are kept as the system gives them, valid UTF-8 or not (see :func:`_screen`).
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder of returns")
    skip = exclude.resolve() if exclude else None
    found = []
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        if skip is not None:
            dirs[:] = [d for d in dirs if (here / d).is_symlink() or (here / d).resolve() != skip]
        dirs[:] = [d for d in dirs if (here / d).is_symlink() or not (here / d / LEDGER_NAME).is_file()]
        found += [here / name for name in files]
        found += [here / name for name in dirs if (here / name).is_symlink()]  # a link to a folder: reported, not entered
    return sorted(found, key=lambda p: str(p.relative_to(folder)).casefold())


def checker_fingerprint(spec: Spec, config: Config, as_of: dt.date) -> str:
    """What a cached check depends on: the definitions, the settings rules read, and the date."""
    digest = hashlib.sha256()
    for path in sorted(spec.folder.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    settings = (config.cycle, config.integrity_key, config.review_interval_months, config.strategic_objectives,
                tuple(o.name for o in config.officers), as_of.isoformat(), _code_version())
    digest.update(repr(settings).encode())
    return digest.hexdigest()[:32]


def _code_version() -> str:
    """partxl's own source: a changed check (even without a new version number) re-checks every file."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def worth_workers(files: list[Path], register: Path) -> bool:
    """Processes pay for themselves from a few dozen returns, or a register of a hundred or so partnerships."""
    try:
        size = Path(register).stat().st_size
    except OSError:
        size = 0
    return many_returns(files) or size >= REGISTER_WORTH_WORKERS


def many_returns(files: list[Path]) -> bool:
    """A few dozen files, or a mailbox or archive big enough to hold as many returns (a return is tens of kilobytes)."""
    if len(files) >= PARALLEL_FROM:
        return True
    held = 0
    for path in files:
        if is_container(path):
            with contextlib.suppress(OSError):
                held += path.stat().st_size
    return held >= PARALLEL_FROM * RETURN_BYTES


def collect(config: Config, spec: Spec, folder: Path, out_dir: Path, *, previous: Path | None = None,
            ledger_path: Path | None = None, as_of: dt.date, progress: Callable[[int, int], None] | None = None,
            files: list[Path] | None = None, workers: Workers | None = None, record: bool = True,
            save_attachments: Path | None = None) -> ConsolidateResult:
    """Read and check every file (through the ledger) and work out the register, writing no output.

    ``progress(done, total)`` is called as each file is recorded. With ``record=False`` the ledger
    is only read: files it does not know are checked all the same, and nothing is written.
    A saved e-mail, an Outlook message, a mailbox or an archive is opened (partxl.returns.containers) and each
    workbook attached to it is a return of its own, read from memory; ``save_attachments`` is a folder to keep
    each as a file in as well (the MIO's ``--save-attachments``), otherwise nothing of it is written.
    """
    key = config.signing_key()  # nothing is accepted as genuine that anyone could have signed; the ledger is sealed with it
    files = list_returns(folder, exclude=out_dir) if files is None else files
    if workers is None:
        with Workers({"spec": spec, "config": config, "as_of": as_of}, parallel=many_returns(files)) as own:
            return collect(config, spec, folder, out_dir, previous=previous, ledger_path=ledger_path, as_of=as_of,
                           progress=progress, files=files, workers=own, record=record, save_attachments=save_attachments)
    workers.start()  # before the thread below: see Workers.start
    fingerprint = checker_fingerprint(spec, config, as_of)
    results: list[FileResult] = []
    path = ledger_path or out_dir / LEDGER_NAME
    with Ledger(path, key=key) if record else Ledger.snapshot(path, key) as ledger:
        run_id = ledger.start_run(folder, dt.datetime.now())
        last_year = _in_background(_baseline, previous or config.register, spec, config)  # while files are hashed and checked
        screened: list[FileResult | _Seen] = []
        first: dict[tuple[str, str], _Seen] = {}  # the same bytes attached again (a reply, a forward): one file

        def fresh() -> Iterator[tuple[Any, ...]]:  # the files the ledger does not know yet, handed out as they are hashed
            for path in files:
                for item in _screened(path, folder, ledger, fingerprint, save_attachments if record else None):
                    if isinstance(item, _Seen) and (seen := first.get((item.sha, item.suffix))) is not None \
                            and (seen.came or item.came):
                        seen.merge(item)
                        continue
                    screened.append(item)
                    if isinstance(item, _Seen):
                        first.setdefault((item.sha, item.suffix), item)
                        job = item.job()  # an attachment's bytes go with its job, or (known to the ledger) nowhere
                        if not item.cached:
                            yield job

        checked = workers.isolated_map(check_job, fresh())  # one file that kills its reader costs only itself
        for start in range(0, len(screened), LEDGER_BATCH):
            with ledger.batch():
                for item in screened[start:start + LEDGER_BATCH]:
                    if isinstance(item, _Seen):
                        if not item.cached:
                            item.entry = _entry(item, next(checked), fingerprint)
                        seen, item = item, _recorded(item, ledger, run_id)
                        seen.entry = None  # its answers are in the ledger now: holding every file's would cost 150 MB at 10,000
                    results.append(item)
                    if progress:
                        progress(len(results), len(screened))
        ledger.finish_run(run_id, len(results), dt.datetime.now())
        read_again = set(ledger.altered)
        returns = ledger.returns(config.cycle)
        altered = _altered(results, ledger, read_again)
        baseline, findings = last_year.result()
        known = set(baseline) | {e.partnership.casefold() for e in returns if e.partnership}
        decided = record_decisions(out_dir / DECISIONS_NAME, ledger, config, known, dt.datetime.now())
    _same_and_misnamed(results, returns)
    returns, together = _arranged(results, returns, decided)
    findings += altered + list(decided.findings) + _held_decided(results, returns, decided)
    present = {r.sha256 for r in results if r.sha256}
    records, excluded, register_findings, superseded, gone = _build(baseline, returns, config, decided, present, together)
    for r in results:
        if r.sha256 in superseded and r.outcome in RETURNS:
            r.outcome = Outcome.SUPERSEDED
    waived = _waive(results, decided)
    findings += [f for r in results for f in r.findings] + register_findings
    digest = _inputs_digest(fingerprint, config, Path(previous or config.register), results, returns,
                            (*decided.decisions, *decided.findings))
    questions = open_questions(spec, results, records, decided) + _withdrawable(gone)
    return ConsolidateResult(results, findings, records, excluded, {}, previous=_kept(baseline.values()), as_of=as_of,
                             inputs_digest=digest, questions=questions, decisions=list(decided.decisions), waived=waived)


def _inputs_digest(fingerprint: str, config: Config, baseline: Path, results: list[FileResult], returns: list[Entry],
                   decisions: Iterable[Decision | Finding]) -> str:
    """Everything the outputs are made from: when it is unchanged, so are they, and they need not be rebuilt.

    ``decisions`` are the MIO's decisions in force and what reading them found, which the report shows: an entry of
    the decision log edited since the last run changes no decision, but the report must say so.

    A file's findings follow from its bytes, its name, the checker and the register (all in here), so
    they are not hashed themselves; the checker's fingerprint covers the forms, the date and partxl's own code.
    """
    digest = hashlib.sha256(fingerprint.encode())
    digest.update(repr(config).encode())  # every setting an output shows: the deadline, the threshold, the council …
    digest.update(sha256_of(baseline)[0].encode() if baseline.is_file() else b"-")
    for r in results:
        digest.update(json.dumps([r.path, r.sha256, r.outcome]).encode())
    for entry in returns:
        digest.update(f"{entry.sha256}:{entry.last_path}:{entry.outcome}".encode())
    for decision in decisions:
        digest.update(repr(decision).encode())
    return digest.hexdigest()


@dataclass
class _Seen:
    """A file hashed and looked up in the ledger, waiting to be checked (unless the ledger already knows it).

    A workbook attached to a message (or in an archive) is one too: ``path`` is then its own name, ``data`` its bytes
    until they are handed to the reader, and ``came`` where it came from; the same bytes attached to other messages
    (a reply, a forward) are this one file, their places in ``also``.
    """

    path: Path
    display: str
    sha: str
    suffix: str
    size: int
    entry: Entry | None
    cached: bool
    arrived: str | None = None  # its modification time: when it landed in the folder (None for an attachment)
    data: bytes | None = field(default=None, repr=False)
    came: Provenance | None = None
    also: list[str] = field(default_factory=list)  # the other places the same bytes came from, as named
    senders: list[Provenance] = field(default_factory=list)  # every message it came in: the earliest is when it was received

    def job(self) -> tuple[Any, ...]:
        """What the reader is handed: the file's path, or an attachment's name and bytes (which this keeps no longer)."""
        data, self.data = self.data, None
        return (self.path, self.display) if data is None else (self.path, self.display, data)

    def merge(self, other: _Seen) -> None:
        """The same bytes, come again: it is named by the file saved in the folder if there is one, else by the message
        received first (the original, not a forward); the other place is noted, and the message dates kept."""
        self.senders += other.senders
        if self.came is not None and (other.came is None or _earlier(other.came, self.came)):
            self.also.append(self.display)
            self.path, self.display, self.came = other.path, other.display, other.came
        else:
            self.also.append(other.display)

    @property
    def received(self) -> Provenance | None:
        """The earliest message it came in that says when (None: it came in none, or none with a date)."""
        dated = [p for p in self.senders if p.received is not None]
        return min(dated, key=lambda p: p.received or dt.datetime.max) if dated else None


def _earlier(one: Provenance, other: Provenance) -> bool:
    """Whether ``one`` was received before ``other`` (a message with no date is never earlier)."""
    return one.received is not None and (other.received is None or one.received < other.received)


def _screened(path: Path, folder: Path, ledger: Ledger, fingerprint: str, save_to: Path | None) -> Iterator[FileResult | _Seen]:
    """The file at ``path``, hashed and looked up (:func:`_screen`); or, for a container, each thing inside it."""
    display = os.fsencode(path.relative_to(folder)).decode("utf-8", "backslashreplace")
    if (skipped := _skipped(path, display)) is not None:
        yield skipped
    elif is_container(path):
        yield from _unpacked(path, display, ledger, fingerprint, save_to)
    else:
        yield _screen(path, display, ledger, fingerprint)


def _skipped(path: Path, display: str) -> FileResult | None:
    """Lock and system files: not returns."""
    if path.name.lower() in SKIP_NAMES or path.name.startswith(("~$", ".~lock")):
        reason = "an Office lock file, left while a workbook is open" if path.name.startswith(("~$", ".~lock")) \
            else "a system file, not a return"
        return FileResult(display, Outcome.SKIPPED, findings=[Code.FILE_SKIPPED.at(file=display, detail=reason)])
    return None


def _screen(path: Path, display: str, ledger: Ledger, fingerprint: str) -> FileResult | _Seen:
    """Refuse what cannot be read or is far too big, and hash the rest; anything not a regular file is skipped (a
    named pipe would wait and a device never end, so neither is read).

    A name that is not valid UTF-8 (old shares and zips have them) is shown with its odd bytes escaped
    (``caf\\xe9.xlsx``), which the ledger and the report can hold; the file is still read by its real name.
    A file the reader failed on last time is checked again: the failure may have been the machine's.
    """
    try:
        sha, size = file_sha256(path, MAX_TOTAL_BYTES)
    except NotAFile as exc:
        return FileResult(display, Outcome.SKIPPED, findings=[Code.FILE_SKIPPED.at(file=display, detail=f"{exc.what}, not a file")])
    except TooLarge as exc:
        finding = Code.FILE_TOO_LARGE.at(file=display, detail=f"the file is {exc.size:,} bytes", hint=TOO_LARGE_HINT)
        return FileResult(display, Outcome.REJECTED, findings=[finding])
    except OSError as exc:
        finding = Code.FILE_UNREADABLE.at(file=display, detail=str(exc.strerror or exc))
        return FileResult(display, Outcome.REJECTED, findings=[finding])
    seen = _looked_up(path, display, sha, path.suffix.lower(), size, ledger, fingerprint)
    seen.arrived = _arrived(path)
    return seen


def _looked_up(path: Path, display: str, sha: str, suffix: str, size: int, ledger: Ledger, fingerprint: str) -> _Seen:
    entry = ledger.get(sha, suffix)
    cached = entry is not None and entry.checker == fingerprint and not any(f.code in READER_FAILED for f in entry.findings)
    return _Seen(path, display, sha, suffix, size, entry, cached)


def _arrived(path: Path) -> str | None:
    """When the file landed in the folder: its modification time, in UTC (None when the system cannot say)."""
    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).isoformat(timespec="microseconds")
    except (OSError, OverflowError, ValueError):
        return None


def _unpacked(path: Path, display: str, ledger: Ledger, fingerprint: str, save_to: Path | None) -> Iterator[FileResult | _Seen]:
    """A saved e-mail, Outlook message, mailbox or archive: each workbook in it, hashed and looked up as a file is (its
    bytes kept in memory for the reader; saved into ``save_to`` too, when the MIO asks), and each problem as a result
    of its own. A container partxl itself fails on is a finding, never the end of the run."""
    from partxl.returns import containers as mail

    try:
        regular_file(path)
        for item in each_within(mail.unpack(path, display=display), job_seconds()):  # a hostile one stops nothing else
            if isinstance(item, mail.Problem):
                yield _problem(item)
                continue
            seen = _looked_up(Path(item.name), item.provenance.named(), item.sha256, item.suffix, item.size, ledger, fingerprint)
            seen.data, seen.came, seen.senders = item.data, item.provenance, [item.provenance]
            yield seen
            if save_to is not None and (unsaved := _save(item, save_to)) is not None:
                yield unsaved
    except NotAFile as exc:
        yield FileResult(display, Outcome.SKIPPED, findings=[Code.FILE_SKIPPED.at(file=display, detail=f"{exc.what}, not a file")])
    except OSError as exc:
        yield FileResult(display, Outcome.REJECTED, findings=[Code.FILE_UNREADABLE.at(file=display, detail=str(exc.strerror or exc))])
    except TookTooLong as exc:  # what came out of it before is kept; the rest of it is not read
        finding = Code.FILE_TIMED_OUT.at(file=display, detail=str(exc), seconds=job_seconds(),
                                         hint="Open it in Outlook (or your archive tool) and save the workbooks from it into the "
                                              "returns folder; if it happens again, send the file to whoever supports partxl.")
        yield FileResult(display, Outcome.REJECTED, findings=[finding])
    except Exception as exc:  # no parser of hostile input is proven never to fail: the file is set aside, the run goes on
        detail = f"{type(exc).__name__}: {str(exc)[:200]}"
        yield _problem(mail.Problem(mail.Code.MAIL_DAMAGED, mail.Provenance(display), {"detail": detail}))


def _problem(problem: Problem) -> FileResult:
    """Something in a container that is no return: a result of its own, rejected when it is an error (an encrypted
    message, a bomb), skipped otherwise (a message with no attachment, a picture), each with its finding."""
    name = problem.provenance.named()
    outcome = Outcome.REJECTED if problem.severity == "error" else Outcome.SKIPPED
    return FileResult(name, outcome, problem.sha256, findings=[problem.finding().but(file=name)])


def _save(attachment: Attachment, folder: Path) -> FileResult | None:
    """Keep an attachment as a file in the MIO's folder (partxl.returns.containers.save_attachment); a result with a
    finding when it cannot be written (a full disk, a folder not writable), which stops nothing else."""
    from partxl.returns import containers as mail

    try:
        mail.save_attachment(attachment, folder)
    except (OSError, ValueError) as exc:
        detail = str(getattr(exc, "strerror", None) or exc)
        return _problem(mail.Problem(mail.Code.ATTACHMENT_NOT_SAVED, attachment.provenance, {"folder": str(folder), "detail": detail}))
    return None


def _entry(seen: _Seen, checked: Checked, fingerprint: str) -> Entry:
    meta = checked.metadata or {}
    outcome = _outcome(checked)
    first_seen = seen.entry.first_seen if seen.entry else dt.datetime.now().isoformat(timespec="seconds")
    return Entry(seen.sha, seen.suffix, seen.size, first_seen, seen.display, fingerprint, outcome, checked.partnership_id,
                 checked.workbook_kind, clean(meta.get("cycle", "")),
                 checked.saved_at.isoformat(timespec="seconds") if checked.saved_at else None, meta,
                 checked.values, [f.shared() for f in checked.findings],
                 arrived=seen.entry.arrived if seen.entry else seen.arrived,
                 first_run=seen.entry.first_run if seen.entry else 0)


def _outcome(checked: Checked) -> Outcome:
    """Rejected when it is not a return of ours; held when its answers contradict its identity (even with errors:
    whose errors they are is the question); with errors; or accepted."""
    if checked.metadata is None:
        return Outcome.REJECTED
    if checked.held:
        return Outcome.HELD
    return Outcome.ACCEPTED if checked.accepted else Outcome.ERRORS


def _recorded(seen: _Seen, ledger: Ledger, run_id: int) -> FileResult:
    entry = seen.entry
    assert entry is not None
    entry.last_path = seen.display
    entry.findings = [_refile(f, seen.display) for f in entry.findings]
    if (received := seen.received) is not None:
        entry.sender, entry.received = received.sender, _utc(received.received)
    if seen.cached:
        ledger.seen(entry, run_id, seen.display)  # its answers stay as recorded; only where it was seen changes
    else:
        ledger.record(entry, run_id, seen.display)
    for other in seen.also:
        ledger.sighted(run_id, other, seen.sha)
    return FileResult(seen.display, Outcome(entry.outcome), seen.sha, seen.size, entry.partnership, entry.saved_at,
                      list(entry.findings) + _how_it_came(seen, entry), seen.cached, entry.sender, entry.received)


def _utc(when: dt.datetime | None) -> str | None:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds") if when is not None else None


def _how_it_came(seen: _Seen, entry: Entry) -> list[Finding]:
    """What this run's messages say of a return (not kept with its check in the ledger: the next run may find it in
    other messages): where else the same workbook came, and a sender other than the officer it was issued to."""
    if not seen.senders:
        return []
    from partxl.returns import containers as mail

    came = seen.came or seen.senders[0]
    notes = []
    if seen.also:
        others = "; ".join(seen.also[:5]) + (f"; and {len(seen.also) - 5} more" if len(seen.also) > 5 else "")
        notes.append(mail.Problem(mail.Code.MAIL_SEEN_ELSEWHERE, came, {"others": others}))
    issued_to = entry.metadata.get("issued_to_email", "").strip()
    sent = [p for p in seen.senders if p.sender]
    if issued_to and entry.outcome in RETURNS and sent and not any(p.sent_by(issued_to) for p in sent):
        first = min(sent, key=lambda p: (p.received is None, p.received or dt.datetime.min.replace(tzinfo=dt.UTC)))
        words = {"partnership": entry.partnership, "officer": entry.metadata.get("issued_to", "") or issued_to,
                 "issued_to": issued_to, "sender": first.sender}
        notes.append(mail.Problem(mail.Code.RETURN_SENT_BY_OTHER, first, words))
    return [note.finding().but(file=seen.display, partnership=entry.partnership) for note in notes]


def _same_and_misnamed(results: list[FileResult], returns: list[Entry]) -> None:
    """The very same file twice (a note), and a return named as if for another partnership (held: its name and its
    content disagree about whose it is). Names change from run to run, so this is judged here, not in the ledger."""
    first: dict[str, str] = {}
    for r in results:
        if not r.sha256:
            continue
        if r.sha256 in first:
            r.findings.append(Code.SAME_FILE_TWICE.at(file=r.path, partnership=r.partnership, other=first[r.sha256]))
        else:
            first[r.sha256] = r.path
        if r.outcome in RETURNS and (finding := misnamed(r.path, r.partnership)) is not None:
            r.findings.append(finding)
            r.outcome = Outcome.HELD
    for entry in returns:  # the ledger's returns as now named, including those no longer in the folder
        if misnamed(entry.last_path, entry.partnership) is not None:
            entry.outcome = Outcome.HELD


def _altered(results: list[FileResult], ledger: Ledger, read_again: set[tuple[str, str]]) -> list[Finding]:
    """Rows of the ledger whose seal failed: a file still in the folder was read again (a note on it); a return no longer
    there is left out of the register (a finding of its own, returned)."""
    for result in results:
        if result.sha256 and (result.sha256, Path(result.path).suffix.lower()) in read_again:
            result.findings.append(Code.LEDGER_ROW_REREAD.at(file=result.path, partnership=result.partnership))
    return [Code.LEDGER_ROW_ALTERED.at(file=e.last_path, partnership=e.partnership)
            for k, e in ledger.altered.items() if k not in read_again]


def _arranged(results: list[FileResult], returns: list[Entry], decided: Decided) -> tuple[list[Entry], set[str]]:
    """The returns in the order they came, and those whose order cannot be told, held for the MIO (lifecycle.arrange)."""
    chosen = {d.key for d in decided.decisions if d.kind == Kind.HELD and d.choice == Choice.ACCEPT}
    ordered, tied = arrange(returns, _partnership_key, chosen)
    together: dict[str, list[str]] = {}
    for entry in ordered:
        if entry.sha256 in tied:
            together.setdefault(_partnership_key(entry), []).append(entry.last_path)
    by_sha = {r.sha256: r for r in results if r.sha256}
    for entry in ordered:
        if entry.sha256 not in tied:
            continue
        entry.outcome = Outcome.HELD
        if (result := by_sha.get(entry.sha256)) is not None:
            others = [p for p in together[_partnership_key(entry)] if p != entry.last_path]
            result.outcome = Outcome.HELD
            result.findings.append(Code.ORDER_UNCLEAR.at(file=result.path, partnership=entry.partnership,
                                                         others=", ".join(others) or "another return no longer in the folder"))
    return ordered, tied


def _withdrawable(gone: list[Entry]) -> list[Question]:
    """A return that rules the register but is no longer in the folder: a row the MIO can reject it with."""
    return [Question(Kind.FILE, e.sha256, _pid(e), e.last_path, "No longer in the returns folder, but the register still shows "
                     "it. Choose Reject to withdraw it (the register then shows the return before it, or last year's).")
            for e in gone]


def _refile(finding: Finding, display: str) -> Finding:
    """A cached finding names the file as it is called now."""
    return finding if finding.file == display else finding.but(file=display)


def _in_background(function: Callable[..., Any], *args: Any) -> Future[Any]:
    """Run ``function`` on a thread of this process: it overlaps the worker processes, which need no lock of ours."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(function, *args)
    pool.shutdown(wait=False)
    return future


def _baseline(path: Path, spec: Spec, config: Config) -> tuple[dict[str, Record], list[Finding]]:
    """Last year's register, or nothing when there is none yet."""
    if not Path(path).is_file():
        return {}, []
    previous = read_register(path, spec, config)
    return {r.id.casefold(): r for r in previous.records}, previous.findings


def _build(baseline: dict[str, Record], returns: list[Entry], config: Config, decided: Decided, present: set[str],
           together: set[str]) -> tuple[list[Record], list[Record], list[Finding], set[str], list[Entry]]:
    """The register: each partnership's newest accepted answers over last year's, and where its returns leave it
    (partxl.returns.lifecycle); what is left off, and what the MIO should know. Also the superseded returns, and the
    returns that rule the register though they are no longer in the folder (``present``: the SHA-256 of its files)."""
    findings: list[Finding] = []
    settled, superseded = settle(returns, _partnership_key, together)
    ruling = {e.sha256: e for where in settled.values() for e in (where.shown, where.newest) if e is not None}
    gone = [e for sha, e in ruling.items() if sha not in present]
    findings += [Code.RETURN_GONE.at(file=e.last_path, partnership=_pid(e)) for e in gone]
    records: dict[str, Record] = {k: Record(r.id, r.status, dict(r.values)) for k, r in baseline.items()}
    for key, where in settled.items():
        findings += _noted(where, baseline, key)
        record: Record | None = _record(records.get(key), where)
        if record is not None and record.status == Status.PROPOSED:
            record, note = _agreed(record, where, decided)
            findings += note
        if record is not None:
            records[record.id.casefold()] = record
    findings += _stale_proposals(decided, settled)
    kept: list[Record] = []
    excluded: list[Record] = []
    for record in records.values():
        category = record.get(contract.CATEGORY.cell, "")
        if category in contract.EXCLUDED_CATEGORIES:
            excluded.append(record)
            findings.append(Code.EXCLUDED.at(partnership=record.id, value=str(category).lower(),
                                             field="Type of arrangement"))
            continue
        kept.append(record)
        if stage(record) == CLOSED_SHEET:
            record.status = Status.CLOSED  # ended and evaluated: it says so, and owes no return
        elif not record.returned and stage(record) not in OWES_NOTHING:
            findings.append(Code.NOT_RETURNED.at(partnership=record.id,
                                                 deadline=f"{config.deadline:%d %B %Y}"))
    return kept, excluded, findings, superseded, gone


def _record(last_year: Record | None, where: Settled) -> Record:
    """A partnership's register row: its newest accepted answers (the forms returned replace last year's answers to
    them), and what its newest return says of it."""
    status = last_year.status if last_year is not None else Status.ACTIVE
    values = dict(last_year.values) if last_year is not None else {}
    shown = where.shown
    if shown is not None:
        returned_forms = {item.split("@")[0] for item in shown.metadata.get("forms", "").split(",") if item}
        values = {**{k: v for k, v in values.items() if k.split("_")[0] not in returned_forms}, **shown.answers}
    newest = where.newest
    if newest.workbook == "proposal" and last_year is None:
        status = Status.PROPOSED  # not a partnership of the Council until SMT agrees it (the MIO gives it its ID)
    record = Record(_pid(newest), status, values, state=where.state, latest_return=_returned_on(newest),
                    source=shown.last_path if shown is not None else "",
                    errors=newest.errors, latest_file=newest.last_path)
    if has_ended(record) and status == Status.ACTIVE:
        record.status = Status.ENDED  # the officer says it has ended: a planned end date alone changes nothing
    return record


def _returned_on(entry: Entry) -> dt.date:
    """The day a return came in, lateness is judged by: the day the message it came in was received, else the day it
    landed in the folder (both here, in the council's time zone), else the day partxl first saw it. Never the day its
    workbook says it was saved: the sender writes that."""
    when = came(entry)
    return when.astimezone().date() if when is not None else dt.date.fromisoformat(entry.first_seen[:10])


def _agreed(record: Record, where: Settled, decided: Decided) -> tuple[Record | None, list[Finding]]:
    """A proposal as the MIO decided it: agreed (its permanent ID, now active), rejected (off the register), or still open."""
    decision = decided.of(Kind.PROPOSAL, record.id)
    if decision is None:
        return record, []
    note = Code.DECISION_APPLIED.at(file=where.newest.last_path, partnership=record.id, choice=decision.choice,
                                    recorded=decision.recorded[:10], who=decision.who, reason=decision.reason)
    if decision.choice == Choice.REJECT:
        return None, [note]
    record.id, record.status = decision.value, Status.ACTIVE
    return record, [note]


def _stale_proposals(decided: Decided, settled: dict[str, Settled]) -> list[Finding]:
    """Decisions on proposals that are no longer there (renamed, so their provisional ID changed, or withdrawn)."""
    return [Code.DECISION_STALE.at(partnership=d.key, choice=d.choice, what=f"the proposal {d.key}")
            for d in decided.decisions if d.kind == Kind.PROPOSAL and d.key.casefold() not in settled]


def _held_decided(results: list[FileResult], returns: list[Entry], decided: Decided) -> list[Finding]:
    """Held returns as the MIO decided them: accepted (as the partnership the MIO says) or rejected; stale decisions."""
    notes: list[Finding] = []
    by_sha = {r.sha256: r for r in results if r.sha256}
    present = {e.sha256 for e in returns}
    for entry in returns:
        decision = decided.of(Kind.HELD, entry.sha256) if entry.outcome == Outcome.HELD else \
            decided.of(Kind.FILE, entry.sha256) or decided.of(Kind.HELD, entry.sha256)  # held before, and no longer
        if decision is None:
            continue
        if decision.choice == Choice.REJECT:
            entry.outcome = Outcome.REJECTED
        else:
            entry.partnership = decision.value or entry.partnership
            entry.outcome = Outcome.ERRORS if entry.errors else Outcome.ACCEPTED
        if (result := by_sha.get(entry.sha256)) is not None:
            result.outcome, result.partnership = Outcome(entry.outcome), entry.partnership
            result.findings.append(Code.DECISION_APPLIED.at(file=result.path, partnership=entry.partnership, choice=decision.choice,
                                                            recorded=decision.recorded[:10], who=decision.who, reason=decision.reason))
    for decision in decided.decisions:
        if decision.kind in (Kind.HELD, Kind.FILE) and decision.key not in present:
            notes.append(Code.DECISION_STALE.at(choice=decision.choice, what=f"the file with SHA-256 {decision.key[:12]}…"))
    return notes


def _waive(results: list[FileResult], decided: Decided) -> list[Finding]:
    """Take the findings the MIO waived out of the files' findings; return them (the report lists them as waived)."""
    waived: list[Finding] = []
    for result in results:
        kept: list[Finding] = []
        for finding in result.findings:
            (waived if finding.severity == WARNING and decided.waived(finding.partnership, finding.code) else kept).append(finding)
        result.findings = kept
    return waived


def open_questions(spec: Spec, results: list[FileResult], records: list[Record], decided: Decided) -> list[Question]:
    """What only the MIO can decide, as it now stands: held returns, proposals, and policy findings that may be waived."""
    questions: dict[tuple[Kind, str], Question] = {}
    for r in results:
        if r.outcome == Outcome.HELD:
            why = "; ".join(f.message for f in r.findings if f.code in HOLDS)
            questions[(Kind.HELD, r.sha256)] = Question(Kind.HELD, r.sha256, r.partnership, r.path, why)
    for record in records:
        if record.status == Status.PROPOSED:
            questions[(Kind.PROPOSAL, record.id)] = Question(Kind.PROPOSAL, record.id, record.id,
                                                             str(record.get(contract.NAME.cell, "")), "SMT must agree a proposal "
                                                             "before the Council commits any resources to it")
    waivable = {rule.code: rule.title for form in spec.forms.values() for rule in form.rules
                if rule.severity == WARNING and rule.kind in POLICY_KINDS}  # the policy's checks a MIO may waive
    for r in results:
        for f in r.findings if r.outcome == Outcome.ACCEPTED else ():
            key = f"{f.partnership}|{f.code}"
            if f.code in waivable and (Kind.FINDING, key) not in questions:
                questions[(Kind.FINDING, key)] = Question(Kind.FINDING, key, f.partnership, waivable[f.code], f.message)
    return list(questions.values())


def _noted(where: Settled, baseline: dict[str, Record], key: str) -> list[Finding]:
    """What the MIO should know of a partnership's returns: a proposal, one the register does not know, replaced ones."""
    newest, pid = where.newest, _pid(where.newest)
    notes = [Code.DUPLICATE_RETURN.at(file=e.last_path, partnership=pid, newer=newest.last_path) for e in where.replaced]
    if newest.workbook == "proposal":
        notes.append(Code.NEW_PROPOSAL.at(file=newest.last_path, partnership=pid, value=newest.answers.get(contract.NAME.cell, "")))
    elif baseline and key not in baseline:
        notes.append(Code.UNKNOWN_PARTNERSHIP.at(file=newest.last_path, partnership=pid))
    return notes


def _kept(records: Any) -> list[Record]:
    """Last year's partnerships that belong on the register, for the summary's changes since last year."""
    return [r for r in records if r.get(contract.CATEGORY.cell) not in contract.EXCLUDED_CATEGORIES]


def _partnership_key(entry: Entry) -> str:
    return _pid(entry).casefold()


def _pid(entry: Entry) -> str:
    """A proposal has no ID yet: a provisional one from its name, so a corrected resubmission replaces it."""
    if entry.workbook == "proposal" or not entry.partnership:
        name = " ".join(str(entry.answers.get(contract.NAME.cell, "")).split()).casefold()
        return f"NEW-{hashlib.sha256(name.encode()).hexdigest()[:6].upper()}"
    return entry.partnership

