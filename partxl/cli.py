"""The ``partxl`` command: click only.

Each command turns its options into one call on a :class:`~partxl.workspace.Workspace`, prints
what came back, and exits 0 when the result is clean, 1 when it has findings of severity error,
and 2 when the job could not run at all (a :class:`~partxl.errors.PartxlError` or a file system
error, printed as one line). ``--json`` prints the result's ``to_dict()``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from partxl.errors import PartxlError
from partxl.files import json_printable, printable
from partxl.findings import Finding, Severity
from partxl.returns.results import Outcome
from partxl.workers import few_collections
from partxl.workspace import Workspace

EXIT_FINDINGS, EXIT_CANNOT_RUN = 1, 2


class Fatal(click.ClickException):
    """Could not run at all: printed as one line, exit code 2."""

    exit_code = EXIT_CANNOT_RUN


class _Guarded(click.Group):
    """No traceback reaches a user: partxl's errors and the file system's are one line (exit 2); so is anything
    unexpected, with a pointer to --debug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # the reader went away (`partxl status | head`): stop quietly, as other commands do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except (PartxlError, OSError) as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            raise Fatal("\n".join(printable(line) for line in str(exc).split("\n"))) from None
        except Exception as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            raise Fatal(printable(f"partxl could not finish: {type(exc).__name__}: {exc} (run with --debug to see where)")) from None


class _Progress:
    """A progress bar on standard error, opened when the number of files is known.

    It redraws at most a hundred times, so that thousands of files do not spend their time drawing it.
    """

    def __init__(self, label: str, hidden: bool):
        self.label, self.hidden, self.done = label, hidden, 0
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr, show_pos=True,
                                         hidden=self.hidden, update_min_steps=max(1, total // 100))
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _workspace(ctx: click.Context, *, signs: bool = False) -> Workspace:
    """The workspace; for a command that signs or verifies returns (``signs``), a sample configuration says so first."""
    workspace = Workspace.load(config=ctx.obj["config"])
    if signs and workspace.config.sample:
        click.echo(f"{workspace.config.sample_note}. For a council's own returns, start with `partxl init DIR`.", err=True)
    return workspace


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


def _finish(result: Any, as_json: bool, show: Callable[[], None]) -> NoReturn:
    """Print the result (as JSON, or by ``show``) and exit 0 when it is clean, 1 when it has errors."""
    if as_json:
        click.echo(json_printable(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str)))
    else:
        show()
    sys.exit(0 if result.ok else EXIT_FINDINGS)


def _say(text: str, err: bool = False) -> None:
    """One line of text output. Names in it come from returns, file names and the configuration, so any control
    character is shown as its escape (``\\x1b``): no escape sequence reaches the terminal, no name starts a line."""
    click.echo(printable(text), err=err)


def _print_findings(findings: list[Finding]) -> None:
    for f in findings:
        where = " ".join(x for x in (f.partnership, f"{f.sheet}!{f.cell}" if f.cell else f.sheet) if x)
        _say(f"  {f.severity:<7} {f.code} {where}: {f.message}", err=True)


_WRITTEN = {"superseded": "written; the previous copy kept in superseded/"}
_AS_OF = click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
                      help="Judge reviews, end dates and lateness as at this date (default: today).")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


@click.group(cls=_Guarded, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file (default: ./partxl.toml if present, else the built-in defaults).")
@click.option("--debug", is_flag=True, help="Show a traceback when a command cannot run.")
@click.version_option(package_name="partxl")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, debug: bool) -> None:
    """partxl: a council's partnership register, run from Excel workbooks."""
    ctx.obj = {"config": config_path, "debug": debug}
    few_collections()


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def init(folder: Path) -> None:
    """Start a workspace in FOLDER: a documented partxl.toml, an editable copy of the forms and an empty register."""
    written = Workspace.init(folder)
    for path in written:
        _say(f"wrote {path}")
    if not written:
        _say(f"{folder} already has partxl.toml, workbook_templates/ and register.xlsx; nothing was changed")


@main.command()
@click.option("--register", type=click.Path(dir_okay=False, path_type=Path),
              help="Register to pre-fill from (default: [paths] register in the configuration).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out/workbooks"),
              show_default=True, help="Folder to write the workbooks into: one of their own, apart from the returns.")
@click.option("--blank", is_flag=True, help="Also write a blank workbook for proposing a new partnership.")
@click.option("--only", multiple=True, metavar="ID", help="Only this partnership (repeat for more).")
@click.option("--force", is_flag=True, help="Issue again for the cycle a consolidated register already holds.")
@_JSON
@click.pass_context
def generate(ctx: click.Context, register: Path | None, out_dir: Path, blank: bool, only: tuple[str, ...], force: bool,
             as_json: bool) -> None:
    """Write one locked, pre-filled workbook per partnership in the register."""
    result = _workspace(ctx, signs=True).generate(out_dir, register=register, blank=blank, only=only, force=force)
    if only and not result.files:
        raise Fatal(f"no partnership with id {', '.join(only)} in the register")

    def show() -> None:
        n = len(result.files)
        _say(f"{n} workbook{'s' * (n != 1)} in {out_dir}: {result.count('written')} new, "
                   f"{result.count('unchanged')} unchanged, {result.count(Outcome.SUPERSEDED)} replaced"
                   + (" (previous copies kept in superseded/)" if result.count("superseded") else ""))
        if result.findings:
            _say(f"{len(result.findings)} thing(s) to look at in the register:", err=True)
            _print_findings(result.findings)

    _finish(result, as_json, show)


@main.command()
@click.argument("returns_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out"), show_default=True,
              help="Folder for register.xlsx, validation_report.xlsx and the ledger.")
@click.option("--previous", type=click.Path(dir_okay=False, path_type=Path),
              help="Last cycle's register (default: [paths] register in the configuration).")
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False, path_type=Path),
              help="The SQLite ledger of every file seen (default: OUT/ledger.sqlite).")
@_AS_OF
@click.option("--save-attachments", "save_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also keep each workbook attached to a message (.eml, .msg, .mbox) or in a .zip as a file in this folder "
                   "(never over another file; those already there are not written again).")
@click.option("--json", "as_json", is_flag=True, help="Print every file and finding as JSON instead of a summary.")
@click.option("--debug", is_flag=True, help="Show a traceback when the command cannot run (same as partxl --debug).")
@click.pass_context
def consolidate(ctx: click.Context, returns_dir: Path, out_dir: Path, previous: Path | None, ledger_path: Path | None,
                as_of: dt.datetime | None, save_dir: Path | None, as_json: bool, debug: bool) -> None:
    """Read every return in RETURNS_DIR (workbooks, and the workbooks attached to saved e-mails, Outlook messages,
    mailboxes and .zip archives), check it, and build the Partnership Register."""
    ctx.obj["debug"] = ctx.obj["debug"] or debug
    workspace = _workspace(ctx, signs=True)
    with _Progress("Reading returns", hidden=as_json) as progress:
        result = workspace.consolidate(returns_dir, out=out_dir, previous=previous, ledger=ledger_path, as_of=_day(as_of),
                                       progress=progress, save_attachments=save_dir)

    def show() -> None:
        said = {Outcome.ACCEPTED: "accepted", Outcome.ERRORS: "with errors", Outcome.HELD: "held for the MIO",
                Outcome.REJECTED: "rejected", Outcome.SUPERSEDED: "replaced by newer returns", Outcome.SKIPPED: "skipped"}
        _say(f"{len(result.files)} file(s) read in {result.seconds:.1f} s: "
                   + ", ".join(f"{result.count(outcome)} {words}" for outcome, words in said.items()) + ".")
        _say(f"Register: {len(result.records)} partnerships ({sum(r.returned for r in result.records)} sent a return this cycle), "
                   f"{len(result.excluded)} left off as not partnerships.")
        for path, outcome in result.outputs.items():
            _say(f"  {path} ({_WRITTEN.get(outcome, outcome)})")

    _finish(result, as_json, show)


@main.command()
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_AS_OF
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.pass_context
def check(ctx: click.Context, workbook: Path, as_of: dt.datetime | None, as_json: bool) -> None:
    """Check one filled-in workbook before sending it: exit 0 when it has no errors."""
    result = _workspace(ctx, signs=True).check(workbook, as_of=_day(as_of))

    def show() -> None:
        findings = result.findings
        errors_n = sum(f.severity == Severity.ERROR for f in findings)
        verdict = "ready to send" if result.accepted else (f"{errors_n} error(s) to correct" if errors_n else
                                                           "no workbook in it to check" if not result.workbooks else
                                                           "held: the MIO must confirm which partnership it is for")
        _say(f"{workbook.name}{result.described}: {verdict}"
                   + (f", {len(findings) - errors_n} other note(s)" if len(findings) > errors_n else "") + ".")
        several = len({f.file for f in findings}) > 1  # the workbooks of a message or archive: say whose each finding is
        for f in findings:
            place = ", ".join(filter(None, [f.file if several else "", f"{f.sheet}!{f.cell}" if f.cell else f.sheet]))
            _say(f"  [{f.severity}] {place + ': ' if place else ''}{f.message}")
            if f.hint and f.hint != f.message:
                _say(f"           what to do: {f.hint}")

    _finish(result, as_json, show)


_LEDGER = click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False, path_type=Path),
                       help="The SQLite ledger of every return (default: ledger.sqlite beside the register); only read.")


@main.command()
@click.argument("register", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=Path("out/committee_summary.xlsx"),
              show_default=True, help="The summary workbook to write.")
@click.option("--previous", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Last cycle's register, for the Changes sheet.")
@click.option("--pdf", is_flag=True, help="Also print it to PDF (same name, .pdf) with LibreOffice, for committee papers.")
@_LEDGER
@_AS_OF
@_JSON
@click.pass_context
def summary(ctx: click.Context, register: Path, out_file: Path, previous: Path | None, pdf: bool, ledger_path: Path | None,
            as_of: dt.datetime | None, as_json: bool) -> None:
    """Write the committee summary of REGISTER: overview with charts, heat map, actions, compliance, finance."""
    result = _workspace(ctx).summary(register, out=out_file, previous=previous, as_of=_day(as_of), pdf=pdf, ledger=ledger_path)

    def show() -> None:
        _say(f"{result.path} ({result.outcome}): {result.partnerships} partnerships")
        if result.pdf:
            _say(str(result.pdf))
        _print_findings(result.findings)

    _finish(result, as_json, show)


def _cycle_options(command: Any) -> Any:
    """The options status and chase share with consolidate: where the returns, outputs and ledger are."""
    for option in reversed([
        click.argument("returns_dir", type=click.Path(exists=True, file_okay=False, path_type=Path)),
        click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out"), show_default=True,
                     help="The consolidate output folder (its ledger saves re-reading files; nothing is written to it)."),
        click.option("--previous", type=click.Path(dir_okay=False, path_type=Path),
                     help="Last cycle's register (default: [paths] register in the configuration)."),
        click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="The SQLite ledger (default: OUT/ledger.sqlite); only read."),
        click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Judge lateness as at this date."),
    ]):
        command = option(command)
    return command


@main.command()
@_cycle_options
@_JSON
@click.pass_context
def status(ctx: click.Context, returns_dir: Path, out_dir: Path, previous: Path | None, ledger_path: Path | None,
           as_of: dt.datetime | None, as_json: bool) -> None:
    """Per officer: which partnerships have returned, are outstanding or late, or came back with errors."""
    result = _workspace(ctx).status(returns_dir, out=out_dir, previous=previous, ledger=ledger_path, as_of=_day(as_of))

    def show() -> None:
        for o in result.officers:
            _say(f"{o.officer} <{o.email or 'no e-mail in configuration'}>")
            for p in o.partnerships:
                _say(f"  {p.state:<13} {p.id:<10} {p.name}")

    _finish(result, as_json, show)


@main.command()
@_cycle_options
@click.option("--to", "to_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out/reminders"), show_default=True,
              help="Folder for the .eml files, one per officer.")
@click.option("--workbooks", type=click.Path(file_okay=False, path_type=Path), default=Path("out/workbooks"), show_default=True,
              help="Where partxl generate wrote the workbooks, to attach to reminders.")
@click.option("--send", is_flag=True, help="Also send them through the SMTP server in the configuration.")
@_JSON
@click.pass_context
def chase(ctx: click.Context, returns_dir: Path, out_dir: Path, previous: Path | None, ledger_path: Path | None,
          as_of: dt.datetime | None, to_dir: Path, workbooks: Path, send: bool, as_json: bool) -> None:
    """Write (and with --send, send) one reminder per officer with something outstanding, late or to correct."""
    result = _workspace(ctx).chase(returns_dir, to=to_dir, workbooks=workbooks, send=send, out=out_dir, previous=previous,
                                   ledger=ledger_path, as_of=_day(as_of))

    def show() -> None:
        for path in result.written:
            _say(f"wrote {path}")
        if result.sent:
            _say(f"sent {result.sent} reminder(s)")
        if not result.written:
            _say("nothing to chase: every partnership has returned")

    _finish(result, as_json, show)


@main.command()
@click.argument("register", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out/public"), show_default=True,
              help="Folder for register.csv, its datapackage.json and index.html.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="The date the page says it is as at.")
@_JSON
@click.pass_context
def publish(ctx: click.Context, register: Path, out_dir: Path, as_of: dt.datetime | None, as_json: bool) -> None:
    """Write the public register: a CSV safe to open in Excel and an accessible web page, public fields only."""
    result = _workspace(ctx).publish(register, out=out_dir, as_of=_day(as_of))

    def show() -> None:
        _say(f"{result.rows} partnerships, {len(result.columns)} public fields: wrote {result.csv}, {result.datapackage} "
                   f"and {result.html}")
        _print_findings(result.findings)

    _finish(result, as_json, show)


_REGISTER = click.option("--register", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                         default=Path("out/register.xlsx"), show_default=True, help="The register partxl consolidate wrote.")
_PDF = click.option("--pdf", is_flag=True, help="Also print it to a tagged PDF (same name, .pdf) with LibreOffice.")


@main.command()
@click.argument("partnership_id", metavar="ID")
@_REGISTER
@_LEDGER
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="The report to write (default: out/partnerships/ID.xlsx).")
@_PDF
@_AS_OF
@_JSON
@click.pass_context
def partnership(ctx: click.Context, partnership_id: str, register: Path, ledger_path: Path | None, out_file: Path | None,
                pdf: bool, as_of: dt.datetime | None, as_json: bool) -> None:
    """Write one partnership's own report, for a scrutiny panel: its register entry, its scores over the years, its
    findings, its history from the ledger and every answer. Exit 1 when its returns have errors still to correct."""
    result = _workspace(ctx).partnership(partnership_id, register=register, ledger=ledger_path, out=out_file, as_of=_day(as_of),
                                         pdf=pdf)

    def show() -> None:
        cycles = len(result.model.scores.cycles)
        _say(f"{result.path} ({_WRITTEN.get(result.outcome, result.outcome)}): {result.id} {result.name}; scores of "
                   f"{cycles} cycle(s), {len(result.model.history)} event(s) in its history, {len(result.findings)} finding(s)")
        if result.pdf:
            _say(str(result.pdf))
        _print_findings(result.findings)

    _finish(result, as_json, show)


@main.command()
@_REGISTER
@_LEDGER
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out/evaluations"),
              show_default=True, help="Folder for the reports, one per evaluated partnership.")
@_PDF
@_AS_OF
@_JSON
@click.pass_context
def evaluations(ctx: click.Context, register: Path, ledger_path: Path | None, out_dir: Path, pdf: bool, as_of: dt.datetime | None,
                as_json: bool) -> None:
    """Write the evaluation report (Appendix 4) of every partnership whose newest accepted return answers the
    evaluation, for SMT and the intranet."""
    result = _workspace(ctx).evaluations(register=register, ledger=ledger_path, out=out_dir, as_of=_day(as_of), pdf=pdf)

    def show() -> None:
        for report in result.reports:
            _say(f"{report.path} ({_WRITTEN.get(report.outcome, report.outcome)})" + (f" and {report.pdf}" if report.pdf else ""))
        if not result.reports:
            _say(f"no partnership of {register} has an evaluation in its newest accepted return: nothing to write")
        _print_findings(result.findings)

    _finish(result, as_json, show)
