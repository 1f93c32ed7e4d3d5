"""A council's partxl workspace: its configuration and its forms, loaded once, and every job partxl does.

    import partxl

    ws = partxl.Workspace.load("my-council")          # partxl.toml and workbook_templates/ of that folder
    ws.generate("out/workbooks", blank=True)           # -> GenerateResult
    result = ws.consolidate("returns", out="out")      # -> ConsolidateResult
    for finding in result.findings: ...
    rows = ws.register_rows("out/register.xlsx")       # dicts keyed by the register's headings

Each method is one job of the command line (``partxl generate`` calls :meth:`Workspace.generate`,
and so on) and returns a result with ``.findings``, ``.ok`` and ``.to_dict()`` — what the
command's ``--json`` prints. What cannot run at all raises :class:`partxl.PartxlError`.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from partxl.config import CONFIG_NAME, Config, ConfigError, load_config
from partxl.errors import PartxlError
from partxl.forms.definitions import Spec, check_settings, load_spec

if TYPE_CHECKING:  # each job imports its stage when it runs: a command pays only for what it does
    from partxl.issue.generate import GenerateResult
    from partxl.outputs.chase import ChaseResult
    from partxl.outputs.evaluation import EvaluationsResult
    from partxl.outputs.partnership import PartnershipResult
    from partxl.outputs.publish import PublishResult
    from partxl.outputs.summary import SummaryResult
    from partxl.register.model import Record
    from partxl.returns.results import CheckResult, ConsolidateResult
    from partxl.returns.status import StatusResult

Progress = Callable[[int, int], None]


def _path(value: str | Path | None) -> Path | None:
    return None if value is None else Path(value)


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _outputs_apart(returns: Path, out: Path, **written: Path | None) -> None:
    """Refuse to write where the next run would read it as a return.

    Everything below the returns folder is read as a return, except the output folder when it is inside it (partxl
    leaves that out). So the output folder may be beside the returns or inside them, but not the returns folder
    itself; and what is written elsewhere (the ledger, the reminders, named in ``written`` by their option) may not
    be in the returns folder outside the output folder: the register, the report, the ledger and the reminders would
    come back, next run, as returns of their own (a second run must find the same returns as the first).
    """
    folder, out_dir = returns.resolve(), out.resolve()
    if out_dir == folder:
        raise PartxlError(f"the output folder (--out {out}) is the returns folder: the register, report and ledger "
                          f"written there would be read as returns by the next run. Write them beside it (--out "
                          f"{folder.parent / 'out'}) or into a folder of their own inside it (--out {out / 'out'}), "
                          "which partxl leaves out when reading returns")
    for option, path in written.items():
        if path is not None and _within(path.resolve(), folder) and not _within(path.resolve(), out_dir):
            raise PartxlError(f"--{option} {path} is inside the returns folder {returns}, where the next run would read "
                              f"it as a return: put it in the output folder ({out}) or outside {returns}")


def _issued_apart(out: Path) -> None:
    """Refuse to issue workbooks where partxl consolidate would read them as returns, or among its own outputs.

    generate does not know the returns folder, so it goes by what a folder holds. An issued workbook left among the
    returns would come back, next run, as that partnership's return: pre-filled, it can pass every check, and the
    register would show last year's answers as this year's. So neither ``out`` nor the folder it is in may hold a
    return: a saved message or mailbox, or a workbook partxl issued that a spreadsheet program has saved since (their
    own files are looked at, not their subfolders'; the folder above is not looked at when it holds a ledger, as
    consolidate reads nothing there). Only these two: further up are the MIO's own folders (Documents, Downloads),
    which may well hold a return opened from an e-mail. Nor may ``out`` be consolidate's output folder itself (it holds
    the ledger or the validation report); a folder of its own inside that one, such as the default ``out/workbooks``,
    is fine. An empty returns folder cannot be told apart: the README says to keep the issued workbooks apart.
    """
    from partxl.returns.kinds import LEDGER_NAME

    folder = out.resolve()
    outputs = [name for name in (LEDGER_NAME, "validation_report.xlsx") if (folder / name).is_file()]
    if outputs:
        raise PartxlError(f"--out {out} is partxl consolidate's output folder (it holds {outputs[0]}): issue the workbooks "
                          f"into a folder of their own, such as --out {out / 'workbooks'}")
    for place in (folder, folder.parent):
        if place != folder and (place / LEDGER_NAME).is_file():
            return  # consolidate's output folder, and all below it, is never read as returns
        found = _a_return(place)
        if found is not None:
            inside = "" if place == folder else f"is inside {place}, which "
            raise PartxlError(f"--out {out} {inside}holds returns ({found.name} is {_what_return(found)}): partxl "
                              "consolidate would read the workbooks issued there as returns. Issue them into a folder of "
                              f"their own, apart from the returns, such as --out {place.parent / 'workbooks'}")


def _a_return(folder: Path) -> Path | None:
    """The first of ``folder``'s own files (by name) that is a return: a message or mailbox, or an issued workbook saved
    since; None when there is none, or the folder cannot be listed (or does not exist yet)."""
    from partxl.issue.generate import saved_since_issued
    from partxl.returns.kinds import MAILBOX_SUFFIXES, MESSAGE_SUFFIXES

    try:
        entries = sorted((e for e in os.scandir(folder) if e.is_file(follow_symlinks=False)), key=lambda e: e.name)
    except OSError:
        return None
    for entry in entries:
        path = Path(entry.path)
        suffix = path.suffix.lower()
        if suffix in MESSAGE_SUFFIXES | MAILBOX_SUFFIXES or (suffix in (".xlsx", ".xlsm") and saved_since_issued(path)):
            return path
    return None


def _what_return(path: Path) -> str:
    return ("a workbook partxl issued, saved since in a spreadsheet program" if path.suffix.lower() in (".xlsx", ".xlsm")
            else "a saved message or mailbox")


@dataclass(frozen=True)
class Workspace:
    """The configuration and the form definitions every job works from."""

    config: Config
    spec: Spec

    @classmethod
    def load(cls, folder: str | Path | None = None, *, config: str | Path | None = None) -> Workspace:
        """The workspace in ``folder`` (its ``partxl.toml``, and the forms that file names), or the configuration file
        ``config``; with neither, ``./partxl.toml`` when there is one, else the shipped defaults and forms.

        Raises :class:`partxl.PartxlError` (a ``ConfigError`` or ``DefinitionError``) naming the file and the key
        or field at fault.
        """
        path = _path(config)
        if folder is not None and path is None:
            path = Path(folder) / CONFIG_NAME
            if not path.is_file():
                raise ConfigError(f"{path}: no such configuration file (create one with `partxl init {folder}`)")
        loaded = load_config(path)
        spec = load_spec(loaded.templates)
        check_settings(spec, loaded)
        return cls(loaded, spec)

    # ------------------------------------------------------------ issuing

    @staticmethod
    def init(folder: str | Path) -> list[Path]:
        """Start a council's workspace in ``folder``: a documented ``partxl.toml`` (with a fresh integrity key), an
        editable copy of the forms, and an empty register in the shape ``generate`` reads. Nothing existing is touched."""
        from partxl.config import init_workspace
        from partxl.outputs.register import write_register

        folder = Path(folder)
        written = init_workspace(folder)
        register = folder / "register.xlsx"
        if not register.exists():
            workspace = Workspace.load(folder)
            write_register([], workspace.spec, workspace.config, register, workspace.config.issue_date)
            written.append(register)
        return written

    def generate(self, out: str | Path, *, register: str | Path | None = None, blank: bool = False,
                 only: tuple[str, ...] = (), force: bool = False) -> GenerateResult:
        """One locked, pre-filled workbook per partnership of ``register`` (default: the configured one) into ``out``,
        a folder of their own: not among returns, nor consolidate's output folder (refused, saying what to write)."""
        from partxl.issue.generate import generate

        _issued_apart(Path(out))
        return generate(self.config, self.spec, Path(out), _path(register), blank=blank, only=tuple(only), force=force)

    # ------------------------------------------------------------ returns

    def check(self, path: str | Path, *, as_of: dt.date | None = None) -> CheckResult:
        """Check one filled-in workbook as consolidate would, without recording anything; or every workbook attached to
        a saved e-mail (.eml), Outlook message (.msg), mailbox (.mbox) or archive (.zip)."""
        from partxl.returns.validate import check_return

        return check_return(Path(path), self.spec, self.config, as_of or dt.date.today())

    def consolidate(self, returns: str | Path, *, out: str | Path = "out", previous: str | Path | None = None,
                    ledger: str | Path | None = None, as_of: dt.date | None = None,
                    progress: Progress | None = None, save_attachments: str | Path | None = None) -> ConsolidateResult:
        """Read and check every file in ``returns``, record it in the ledger, and write the register, the validation
        report and the committee summary into ``out``. ``progress(done, total)`` is called as files are recorded.

        A saved e-mail (.eml), Outlook message (.msg), mailbox (.mbox) or archive (.zip) in ``returns`` is opened and
        each workbook attached to it read as a return, from memory; ``save_attachments`` is a folder to keep each of
        them in as a file as well (never over another file; one already kept is not written again)."""
        from partxl.outputs.write import WRITERS, write_outputs
        from partxl.returns.collect import LEDGER_NAME, collect, list_returns, worth_workers
        from partxl.workers import Workers

        started = time.perf_counter()
        folder, out_dir, as_of = Path(returns), Path(out), as_of or dt.date.today()
        ledger_path = _path(ledger) or out_dir / LEDGER_NAME
        _outputs_apart(folder, out_dir, ledger=ledger_path)
        files = list_returns(folder, exclude=out_dir)
        shared = {"spec": self.spec, "config": self.config, "as_of": as_of}
        parallel = worth_workers(files, _path(previous) or self.config.register)
        with Workers(shared, parallel, preload=WRITERS) as workers:
            workers.start()  # now, while this process is small: see Workers
            result = collect(self.config, self.spec, folder, out_dir, previous=_path(previous), ledger_path=ledger_path,
                             as_of=as_of, progress=progress, files=files, workers=workers,
                             save_attachments=_path(save_attachments))
            write_outputs(result, self.config, out_dir, ledger_path, workers)
        result.seconds = time.perf_counter() - started
        return result

    def status(self, returns: str | Path, *, out: str | Path = "out", previous: str | Path | None = None,
               ledger: str | Path | None = None, as_of: dt.date | None = None) -> StatusResult:
        """Where each officer stands; reads the returns and the ledger, writes nothing."""
        from partxl.returns.collect import LEDGER_NAME, collect
        from partxl.returns.status import StatusResult, officer_status

        out_dir, ledger_path = Path(out), _path(ledger) or Path(out) / LEDGER_NAME
        _outputs_apart(Path(returns), out_dir, ledger=ledger_path)
        result = collect(self.config, self.spec, Path(returns), out_dir, previous=_path(previous), ledger_path=ledger_path,
                         as_of=as_of or dt.date.today(), record=False)
        return StatusResult(officer_status(result, self.config), result.findings, result.as_of)

    # ------------------------------------------------------------ outputs

    def chase(self, returns: str | Path, *, to: str | Path, workbooks: str | Path | None = None, send: bool = False,
              out: str | Path = "out", previous: str | Path | None = None, ledger: str | Path | None = None,
              as_of: dt.date | None = None) -> ChaseResult:
        """One reminder (.eml) per officer with something to send or correct, written into ``to``; sent with ``send``."""
        from partxl.outputs.chase import chase

        _outputs_apart(Path(returns), Path(out), to=Path(to))
        status = self.status(returns, out=out, previous=previous, ledger=ledger, as_of=as_of)
        return chase(status, self.config, Path(returns), Path(to), workbooks=_path(workbooks), deliver=send)

    def summary(self, register: str | Path, *, out: str | Path, previous: str | Path | None = None,
                as_of: dt.date | None = None, pdf: bool = False, ledger: str | Path | None = None) -> SummaryResult:
        """The committee summary workbook of ``register`` (and its PDF, through LibreOffice, with ``pdf``); the MIO's
        waivers come from ``ledger`` (by default the ledger beside the register, when there is one)."""
        from partxl.outputs.summary import write_summary
        from partxl.returns.collect import LEDGER_NAME

        register = Path(register)
        return write_summary(register, Path(out), self.spec, self.config, as_of or dt.date.today(),
                             previous=_path(previous), pdf=pdf, ledger=_path(ledger) or register.parent / LEDGER_NAME)

    def publish(self, register: str | Path, *, out: str | Path, as_of: dt.date | None = None) -> PublishResult:
        """The public register (``register.csv`` and ``index.html``) of ``register``, public fields only."""
        from partxl.outputs.publish import publish

        return publish(Path(register), Path(out), self.spec, self.config, as_of or dt.date.today())

    def partnership(self, partnership_id: str, *, register: str | Path = "out/register.xlsx", ledger: str | Path | None = None,
                    out: str | Path | None = None, as_of: dt.date | None = None, pdf: bool = False) -> PartnershipResult:
        """One partnership's own report, for a scrutiny panel: its register entry, its scores in every cycle of the ledger
        (default: ``ledger.sqlite`` beside ``register``), its findings, its history and every answer; written to ``out``
        (default: ``out/partnerships/ID.xlsx``), and its PDF with ``pdf``. An ID the register does not hold raises
        :class:`partxl.PartxlError` saying what it does hold."""
        from partxl.outputs.partnership import write_partnership
        from partxl.returns.collect import LEDGER_NAME

        register = Path(register)
        return write_partnership(partnership_id, register, _path(ledger) or register.parent / LEDGER_NAME, _path(out), self.spec,
                                 self.config, as_of or dt.date.today(), pdf=pdf)

    def evaluations(self, *, register: str | Path = "out/register.xlsx", ledger: str | Path | None = None,
                    out: str | Path = "out/evaluations", as_of: dt.date | None = None, pdf: bool = False) -> EvaluationsResult:
        """The evaluation report (Appendix 4) of every partnership of ``register`` whose newest accepted return in the
        ledger (default: ``ledger.sqlite`` beside ``register``) answers the evaluation, one workbook each in ``out`` (and
        its PDF, for SMT and the intranet, with ``pdf``)."""
        from partxl.outputs.evaluation import write_evaluations
        from partxl.returns.collect import LEDGER_NAME

        register = Path(register)
        return write_evaluations(register, _path(ledger) or register.parent / LEDGER_NAME, Path(out), self.spec, self.config,
                                 as_of or dt.date.today(), pdf=pdf)

    # ------------------------------------------------------------ the analyst's way in

    def records(self, register: str | Path) -> list[Record]:
        """Every partnership of a register file, with its answers keyed by cell name (see :func:`partxl.cell_name`)."""
        from partxl.register.read import read_register

        return read_register(Path(register), self.spec, self.config).records

    def write_register(self, records: list[Record], path: str | Path, *, as_of: dt.date | None = None) -> None:
        """Write ``records`` as a register workbook at ``path`` (atomically), as consolidate writes its register."""
        from partxl.outputs.register import write_register

        write_register(records, self.spec, self.config, Path(path), as_of or dt.date.today())

    def register_rows(self, register: str | Path, *, as_of: dt.date | None = None) -> list[dict[str, Any]]:
        """Every partnership of a register file as a dict keyed by the register's column headings, in the register's
        order (the grant flag as its value, not its formula)."""
        from partxl.register.model import register_rows
        from partxl.register.read import read_register

        read = read_register(Path(register), self.spec, self.config)
        return register_rows(read.records, self.spec, self.config, as_of or dt.date.today())
