"""The MIO's one command: read every return in a folder, check it, and rebuild the register.

Every file ends in the ledger and in the validation report; accepted returns (no errors)
become the partnership's newest version; the register is rebuilt from the ledger's accepted
versions over last year's register, so re-running on the same folder changes nothing and
adding one file changes one row. Outputs are replaced atomically; a replaced register or
report is kept in ``superseded/``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Config
from .files import replace_keeping_copy
from .findings import WARNING, Code, Finding
from .ledger import Entry, Ledger, sha256_of
from .register import EXCLUDED_CATEGORIES, Record, read_register, register_bytes
from .report import report_bytes
from .spec import Spec, cell_name
from .summary import ReturnCounts, build_summary, summary_bytes
from .validate import Checked, check_file
from .workers import PARALLEL_FROM, Workers

LEDGER_NAME = "ledger.sqlite"
REGISTER_WORTH_WORKERS = 64 * 1024  # bytes: a register file of about a hundred partnerships
LEDGER_BATCH = 200  # files recorded per transaction: one disk sync each, and a killed run loses at most one batch
SKIP_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
ACCEPTED, ERRORS, REJECTED, SKIPPED, SUPERSEDED = "accepted", "errors", "rejected", "skipped", "superseded"


@dataclass
class FileResult:
    """One file of the folder: what became of it."""

    path: str  # relative to the returns folder
    outcome: str  # accepted / superseded (an accepted return a newer one replaced) / errors / rejected / skipped
    sha256: str = ""
    size: int = 0
    partnership: str = ""
    saved_at: str | None = None
    findings: list[Finding] = field(default_factory=list)
    cached: bool = False

    @property
    def warnings(self) -> int:
        return sum(f.severity == WARNING for f in self.findings)


@dataclass
class ConsolidateResult:
    files: list[FileResult]
    findings: list[Finding]  # every finding, files' and the register's
    records: list[Record]
    excluded: list[Record]
    outputs: dict[Path, str]
    previous: list[Record] = field(default_factory=list)  # last cycle's partnerships
    as_of: dt.date = field(default_factory=dt.date.today)
    inputs_digest: str = ""
    seconds: float = 0.0

    def count(self, outcome: str) -> int:
        return sum(f.outcome == outcome for f in self.files)

    @property
    def clean(self) -> bool:
        return not any(f.outcome in (ERRORS, REJECTED) for f in self.files)


def list_returns(folder: Path, exclude: Path | None = None) -> list[Path]:
    """Every file in ``folder`` and below, in a stable order, leaving out partxl's own output folder.

    Links are listed, not followed: a link to a file that has gone is still reported.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder of returns")
    skip = exclude.resolve() if exclude else None
    found = []
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        if skip is not None:
            dirs[:] = [d for d in dirs if (here / d).resolve() != skip]
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
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def consolidate(config: Config, spec: Spec, folder: Path, out_dir: Path, *, previous: Path | None = None,
                ledger_path: Path | None = None, as_of: dt.date | None = None,
                progress: Callable[[int, int], None] | None = None) -> ConsolidateResult:
    """Collect, then write the register, the validation report and the committee summary."""
    started = time.perf_counter()
    as_of = as_of or dt.date.today()
    ledger_path = ledger_path or out_dir / LEDGER_NAME
    files = list_returns(folder, exclude=out_dir)
    with Workers({"spec": spec, "config": config, "as_of": as_of}, parallel=_worth_workers(files, previous or config.register)) \
            as workers:
        workers.start()  # now, while this process is small: see Workers
        result = collect(config, spec, folder, out_dir, previous=previous, ledger_path=ledger_path, as_of=as_of,
                         progress=progress, files=files, workers=workers)
        _write_outputs(result, spec, config, as_of, out_dir, ledger_path, workers)
    result.seconds = time.perf_counter() - started
    return result


OUTPUT_NAMES = ("register.xlsx", "validation_report.xlsx", "committee_summary.xlsx")


def _write_outputs(result: ConsolidateResult, spec: Spec, config: Config, as_of: dt.date, out_dir: Path, ledger_path: Path,
                   workers: Workers) -> None:
    """Build the three workbooks side by side, then replace the old ones (unless nothing changed)."""
    with Ledger(ledger_path) as ledger:
        last = ledger.state("outputs") or {}
        if last.get("inputs") == result.inputs_digest and all(
                (out_dir / name).is_file() and sha256_of(out_dir / name)[0] == last.get(name) for name in OUTPUT_NAMES):
            result.outputs = {out_dir / name: "unchanged" for name in OUTPUT_NAMES}  # same inputs: the same bytes again
            return
        register = workers.submit(_register_job, result.records)
        summary = build_summary(result.records, spec, config, as_of, previous=result.previous,
                                counts=ReturnCounts(with_errors=result.count(ERRORS), rejected=result.count(REJECTED)))
        committee = workers.submit(_summary_job, summary)
        report = report_bytes(result, config, as_of)  # here, beside the workers: it needs every finding, costly to send
        contents = {out_dir / name: data for name, data in zip(OUTPUT_NAMES, (register.result(), report, committee.result()),
                                                               strict=True)}
        out_dir.mkdir(parents=True, exist_ok=True)  # all built before any is written
        for path, data in contents.items():
            result.outputs[path] = replace_keeping_copy(path, data)
        ledger.set_state("outputs", {"inputs": result.inputs_digest,
                                     **{p.name: hashlib.sha256(d).hexdigest() for p, d in contents.items()}})


def _register_job(shared: dict[str, Any], records: list[Record]) -> bytes:
    return register_bytes(records, shared["spec"], shared["config"], shared["as_of"])


def _summary_job(shared: dict[str, Any], summary: Any) -> bytes:
    return summary_bytes(summary)


def _worth_workers(files: list[Path], register: Path) -> bool:
    """Processes pay for themselves from a few dozen returns, or a register of a hundred or so partnerships."""
    try:
        size = Path(register).stat().st_size
    except OSError:
        size = 0
    return len(files) >= PARALLEL_FROM or size >= REGISTER_WORTH_WORKERS


def collect(config: Config, spec: Spec, folder: Path, out_dir: Path, *, previous: Path | None = None,
            ledger_path: Path | None = None, as_of: dt.date, progress: Callable[[int, int], None] | None = None,
            files: list[Path] | None = None, workers: Workers | None = None) -> ConsolidateResult:
    """Read and check every file (through the ledger) and work out the register, writing no output.

    ``progress(done, total)`` is called as each file is recorded.
    """
    files = list_returns(folder, exclude=out_dir) if files is None else files
    if workers is None:
        with Workers({"spec": spec, "config": config, "as_of": as_of}, parallel=len(files) >= PARALLEL_FROM) as own:
            return collect(config, spec, folder, out_dir, previous=previous, ledger_path=ledger_path, as_of=as_of,
                           progress=progress, files=files, workers=own)
    workers.start()  # before the thread below: see Workers.start
    fingerprint = checker_fingerprint(spec, config, as_of)
    results: list[FileResult] = []
    with Ledger(ledger_path or out_dir / LEDGER_NAME) as ledger:
        run_id = ledger.start_run(folder, dt.datetime.now())
        last_year = _in_background(_baseline, previous or config.register, spec, config)  # while files are hashed and checked
        screened: list[FileResult | _Seen] = []

        def fresh() -> Iterator[tuple[Path, str]]:  # the files the ledger does not know yet, handed out as they are hashed
            for path in files:
                screened.append(_screen(path, folder, ledger, fingerprint))
                if isinstance(screened[-1], _Seen) and not screened[-1].cached:
                    yield screened[-1].path, screened[-1].display

        checked = workers.map(_check, fresh())
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
        accepted = ledger.accepted(config.cycle)
    baseline, findings = last_year.result()
    _same_and_misnamed(results, baseline)
    records, excluded, register_findings, newest = _build(baseline, accepted, config, as_of)
    for r in results:
        if r.outcome == ACCEPTED and r.sha256 not in newest:
            r.outcome = SUPERSEDED
    findings += [f for r in results for f in r.findings] + register_findings
    digest = _inputs_digest(fingerprint, Path(previous or config.register), results, accepted)
    return ConsolidateResult(results, findings, records, excluded, {}, previous=_kept(baseline.values()), as_of=as_of,
                             inputs_digest=digest)


def _inputs_digest(fingerprint: str, baseline: Path, results: list[FileResult], accepted: list[Entry]) -> str:
    """Everything the outputs are made from: when it is unchanged, so are they, and they need not be rebuilt.

    A file's findings follow from its bytes, its name, the checker and the register (all in here), so
    they are not hashed themselves.
    """
    digest = hashlib.sha256(fingerprint.encode())
    digest.update(sha256_of(baseline)[0].encode() if baseline.is_file() else b"-")
    for r in results:
        digest.update(json.dumps([r.path, r.sha256, r.outcome]).encode())
    for entry in accepted:
        digest.update(f"{entry.sha256}:{entry.last_path}".encode())
    return digest.hexdigest()


@dataclass
class _Seen:
    """A file hashed and looked up in the ledger, waiting to be checked (unless the ledger already knows it)."""

    path: Path
    display: str
    sha: str
    suffix: str
    size: int
    entry: Entry | None
    cached: bool


def _screen(path: Path, folder: Path, ledger: Ledger, fingerprint: str) -> FileResult | _Seen:
    display = str(path.relative_to(folder))
    if path.name.lower() in SKIP_NAMES or path.name.startswith(("~$", ".~lock")):
        reason = "an Office lock file, left while a workbook is open" if path.name.startswith(("~$", ".~lock")) \
            else "a system file, not a return"
        return FileResult(display, SKIPPED, findings=[Code.FILE_SKIPPED.at(file=display, detail=reason)])
    try:
        sha, size = sha256_of(path)
    except OSError as exc:
        finding = Code.FILE_UNREADABLE.at(file=display, detail=str(exc.strerror or exc),
                                          hint="Check the file's permissions and that it is not open elsewhere, then run again.")
        return FileResult(display, REJECTED, findings=[finding])
    suffix = path.suffix.lower()
    entry = ledger.get(sha, suffix)
    return _Seen(path, display, sha, suffix, size, entry, entry is not None and entry.checker == fingerprint)


def _check(shared: dict[str, Any], path: Path, display: str) -> Checked:
    return check_file(path, shared["spec"], shared["config"], shared["as_of"], display)


def _entry(seen: _Seen, checked: Checked, fingerprint: str) -> Entry:
    meta = checked.metadata or {}
    outcome = ACCEPTED if checked.accepted else (ERRORS if checked.metadata is not None else REJECTED)
    first_seen = seen.entry.first_seen if seen.entry else dt.datetime.now().isoformat(timespec="seconds")
    return Entry(seen.sha, seen.suffix, seen.size, first_seen, seen.display, fingerprint, outcome, checked.partnership_id,
                 checked.workbook_kind, meta.get("cycle", ""),
                 checked.saved_at.isoformat(timespec="seconds") if checked.saved_at else None, meta,
                 checked.values, checked.findings)


def _recorded(seen: _Seen, ledger: Ledger, run_id: int) -> FileResult:
    entry = seen.entry
    assert entry is not None
    entry.last_path = seen.display
    entry.findings = [_refile(f, seen.display) for f in entry.findings]
    if seen.cached:
        ledger.seen(entry, run_id, seen.display)  # its answers stay as recorded; only where it was seen changes
    else:
        ledger.record(entry, run_id, seen.display)
    return FileResult(seen.display, entry.outcome, seen.sha, seen.size, entry.partnership, entry.saved_at,
                      list(entry.findings), seen.cached)


def _same_and_misnamed(results: list[FileResult], baseline: dict[str, Record]) -> None:
    """Notes for the MIO: the very same file twice, and a file whose name claims another partnership."""
    first: dict[str, str] = {}
    for r in results:
        if not r.sha256:
            continue
        if r.sha256 in first:
            r.findings.append(Code.SAME_FILE_TWICE.at(file=r.path, partnership=r.partnership, other=first[r.sha256]))
        else:
            first[r.sha256] = r.path
        claimed = Path(r.path).name.split(" ")[0].casefold()
        if r.outcome == ACCEPTED and claimed in baseline and claimed != r.partnership.casefold():
            r.findings.append(Code.FILENAME_MISMATCH.at(
                file=r.path, partnership=r.partnership, claimed=baseline[claimed].id,
                hint="Nothing to do if the right workbook was sent; rename the file to avoid confusion."))


def _refile(finding: Finding, display: str) -> Finding:
    """A cached finding names the file as it is called now."""
    return finding if finding.file == display else Finding(**{**finding.as_dict(), "file": display})


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
    choices = {source: config.choice_list(source) for source in ("officers", "strategic_objectives")}
    previous = read_register(path, spec, choices)
    return {r.id.casefold(): r for r in previous.records}, previous.findings


def _build(baseline: dict[str, Record], accepted: list[Entry], config: Config,
           as_of: dt.date) -> tuple[list[Record], list[Record], list[Finding], set[str]]:
    """Newest accepted version per partnership over last year's register; the rest is reported."""
    findings: list[Finding] = []
    newest: dict[str, Entry] = {}
    for entry in accepted:  # oldest first, so the newest wins
        key = _partnership_key(entry)
        if key in newest:
            older = newest[key]
            findings.append(Code.DUPLICATE_RETURN.at(file=older.last_path, partnership=_pid(older), newer=entry.last_path,
                                                     hint="Nothing to do unless the older return was meant to win."))
        newest[key] = entry
    records: dict[str, Record] = {k: Record(r.id, r.status, dict(r.values)) for k, r in baseline.items()}
    for key, entry in newest.items():
        pid = _pid(entry)
        if entry.workbook == "proposal":
            findings.append(Code.NEW_PROPOSAL.at(file=entry.last_path, partnership=pid,
                                                 value=entry.answers.get(cell_name("info", "name"), ""),
                                                 hint="Give it a permanent ID in the register once SMT has agreed it."))
        elif baseline and key not in baseline:
            findings.append(Code.UNKNOWN_PARTNERSHIP.at(file=entry.last_path, partnership=pid))
        saved = entry.saved_at or entry.first_seen
        returned_forms = {item.split("@")[0] for item in entry.metadata.get("forms", "").split(",") if item}
        kept = {k: v for k, v in records[key].values.items() if k.split("_")[0] not in returned_forms} if key in records else {}
        records[key] = Record(pid, "Active", {**kept, **entry.answers}, returned=True,
                              latest_return=dt.date.fromisoformat(saved[:10]), source=entry.last_path)
    for record in records.values():
        end = record.get(cell_name("info", "end_date"))
        record.status = "Ended" if isinstance(end, dt.date) and end < as_of else "Active"
    kept, excluded = [], []
    for record in records.values():
        category = record.get(cell_name("info", "category"), "")
        if category in EXCLUDED_CATEGORIES:
            excluded.append(record)
            findings.append(Code.EXCLUDED.at(partnership=record.id, value=str(category).lower(),
                                             field="Type of arrangement"))
            continue
        kept.append(record)
        if not record.returned:
            findings.append(Code.NOT_RETURNED.at(partnership=record.id,
                                                 hint=f"Remind the lead officer; returns were due by {config.deadline:%d %B %Y}."))
    return kept, excluded, findings, {e.sha256 for e in newest.values()}


def _kept(records: Any) -> list[Record]:
    """Last year's partnerships that belong on the register, for the summary's changes since last year."""
    return [r for r in records if r.get(cell_name("info", "category")) not in EXCLUDED_CATEGORIES]


def _partnership_key(entry: Entry) -> str:
    return _pid(entry).casefold()


def _pid(entry: Entry) -> str:
    """A proposal has no ID yet: a provisional one from its name, so a corrected resubmission replaces it."""
    if entry.workbook == "proposal" or not entry.partnership:
        name = " ".join(str(entry.answers.get(cell_name("info", "name"), "")).split()).casefold()
        return f"NEW-{hashlib.sha256(name.encode()).hexdigest()[:6].upper()}"
    return entry.partnership

