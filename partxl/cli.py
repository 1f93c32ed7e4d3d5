"""The ``partxl`` command: a thin click layer over the library.

Each command parses its options, calls one library function and prints what it did.
Library errors become clear one-line messages (exit 2); findings print as a list and make
the exit code 1 when any is an error; 0 means clean.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from .config import Config, ConfigError, init_workspace, load_config
from .findings import Finding, errors
from .spec import DefinitionError, Spec, load_spec
from .workers import few_collections

EXIT_FINDINGS, EXIT_CANNOT_RUN = 1, 2
CANNOT_RUN = (ConfigError, DefinitionError, OSError)


class Fatal(click.ClickException):
    """Could not run at all: printed as one line, exit code 2."""

    exit_code = EXIT_CANNOT_RUN


def _load(ctx: click.Context) -> tuple[Config, Spec]:
    try:
        config = load_config(ctx.obj["config"])
        return config, load_spec(config.templates)
    except CANNOT_RUN as exc:
        raise Fatal(str(exc)) from None


class _Guarded(click.Group):
    """No traceback reaches a user: anything unexpected becomes one clear line (exit 2), unless --debug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            raise Fatal(f"partxl could not finish: {type(exc).__name__}: {exc} (run with --debug to see where)") from None


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


def _print_findings(findings: list[Finding]) -> None:
    for f in findings:
        where = " ".join(x for x in (f.partnership, f"{f.sheet}!{f.cell}" if f.cell else f.sheet) if x)
        click.echo(f"  {f.severity:<7} {f.code} {where}: {f.message}", err=True)


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
    """Start a workspace in FOLDER: a documented partxl.toml and an editable copy of the forms."""
    try:
        written = init_workspace(folder)
    except OSError as exc:
        raise Fatal(f"cannot write to {folder}: {exc}") from None
    for path in written:
        click.echo(f"wrote {path}")
    if not written:
        click.echo(f"{folder} already has partxl.toml and workbook_templates/; nothing was changed")


@main.command()
@click.option("--register", type=click.Path(dir_okay=False, path_type=Path),
              help="Register to pre-fill from (default: [paths] register in the configuration).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out/workbooks"),
              show_default=True, help="Folder to write the workbooks into.")
@click.option("--blank", is_flag=True, help="Also write a blank workbook for proposing a new partnership.")
@click.option("--only", multiple=True, metavar="ID", help="Only this partnership (repeat for more).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written and found as JSON.")
@click.pass_context
def generate(ctx: click.Context, register: Path | None, out_dir: Path, blank: bool, only: tuple[str, ...],
             as_json: bool) -> None:
    """Write one locked, pre-filled workbook per partnership in the register."""
    from .generate import GenerateError
    from .generate import generate as run
    from .register import RegisterError

    config, spec = _load(ctx)
    try:
        result = run(config, spec, out_dir, register, blank=blank, only=only)
    except (RegisterError, GenerateError, *CANNOT_RUN) as exc:
        raise Fatal(str(exc)) from None
    if as_json:
        _echo_json({"files": {str(p): o for p, o in result.files.items()},
                    "findings": [f.as_dict() for f in result.findings]})
    else:
        n = len(result.files)
        click.echo(f"{n} workbook{'s' * (n != 1)} in {out_dir}: {result.count('written')} new, "
                   f"{result.count('unchanged')} unchanged, {result.count('superseded')} replaced"
                   + (" (previous copies kept in superseded/)" if result.count("superseded") else ""))
        if result.findings:
            click.echo(f"{len(result.findings)} thing(s) to look at in the register:", err=True)
            _print_findings(result.findings)
    if only and not result.files:
        raise Fatal(f"no partnership with id {', '.join(only)} in the register")
    sys.exit(EXIT_FINDINGS if errors(result.findings) else 0)


@main.command()
@click.argument("returns_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out"), show_default=True,
              help="Folder for register.xlsx, validation_report.xlsx and the ledger.")
@click.option("--previous", type=click.Path(dir_okay=False, path_type=Path),
              help="Last cycle's register (default: [paths] register in the configuration).")
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False, path_type=Path),
              help="The SQLite ledger of every file seen (default: OUT/ledger.sqlite).")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Judge reviews and end dates as at this date.")
@click.option("--json", "as_json", is_flag=True, help="Print every file and finding as JSON instead of a summary.")
@click.option("--debug", is_flag=True, help="Show a traceback when the command cannot run (same as partxl --debug).")
@click.pass_context
def consolidate(ctx: click.Context, returns_dir: Path, out_dir: Path, previous: Path | None, ledger_path: Path | None,
                as_of: Any, as_json: bool, debug: bool) -> None:
    """Read every return in RETURNS_DIR, check it, and build the Partnership Register."""
    from .consolidate import consolidate as run
    from .register import RegisterError

    ctx.obj["debug"] = ctx.obj["debug"] or debug
    config, spec = _load(ctx)
    try:
        with _Progress("Reading returns", hidden=as_json) as progress:
            result = run(config, spec, returns_dir, out_dir, previous=previous, ledger_path=ledger_path,
                         as_of=as_of.date() if as_of else None, progress=progress)
    except (*CANNOT_RUN, RegisterError) as exc:
        if ctx.obj["debug"]:
            raise
        raise Fatal(str(exc)) from None
    if as_json:
        _echo_json({"files": [{"path": f.path, "outcome": f.outcome, "partnership": f.partnership, "sha256": f.sha256,
                               "cached": f.cached} for f in result.files],
                    "findings": [f.as_dict() for f in result.findings],
                    "outputs": {str(p): o for p, o in result.outputs.items()}})
    else:
        click.echo(f"{len(result.files)} file(s) read in {result.seconds:.1f} s: {result.count('accepted')} accepted, "
                   f"{result.count('errors')} with errors, {result.count('rejected')} rejected, "
                   f"{result.count('superseded')} replaced by newer returns, {result.count('skipped')} skipped.")
        click.echo(f"Register: {len(result.records)} partnerships ({sum(r.returned for r in result.records)} returned this cycle), "
                   f"{len(result.excluded)} left off as not partnerships.")
        for path, outcome in result.outputs.items():
            click.echo(f"  {path} ({outcome})")
    sys.exit(0 if result.clean else EXIT_FINDINGS)


@main.command()
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Judge reviews and end dates as at this date.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.pass_context
def check(ctx: click.Context, workbook: Path, as_of: Any, as_json: bool) -> None:
    """Check one filled-in workbook before sending it: exit 0 when it has no errors."""
    import datetime as dt

    from .report import ordered
    from .validate import check_file

    config, spec = _load(ctx)
    checked = check_file(workbook, spec, config, as_of.date() if as_of else dt.date.today())
    findings = ordered(checked.findings)
    if as_json:
        _echo_json({"accepted": checked.accepted, "findings": [f.as_dict() for f in findings]})
    else:
        who = checked.partnership_id and f" for {checked.metadata.get('partnership_name') or checked.partnership_id}"
        errors_n = sum(f.severity == "error" for f in findings)
        click.echo(f"{workbook.name}{who or ''}: " + ("ready to send" if checked.accepted else f"{errors_n} error(s) to correct")
                   + (f", {len(findings) - errors_n} other note(s)" if len(findings) > errors_n else "") + ".")
        for f in findings:
            place = f"{f.sheet}!{f.cell}" if f.cell else f.sheet
            click.echo(f"  [{f.severity}] {place + ': ' if place else ''}{f.message}")
            if f.hint and f.hint != f.message:
                click.echo(f"           what to do: {f.hint}")
    sys.exit(0 if checked.accepted else EXIT_FINDINGS)


@main.command()
@click.argument("register", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=Path("out/committee_summary.xlsx"),
              show_default=True, help="The summary workbook to write.")
@click.option("--previous", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Last cycle's register, for the Changes sheet.")
@click.option("--pdf", is_flag=True, help="Also print it to PDF (same name, .pdf) with LibreOffice, for committee papers.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Judge reviews and deadlines as at this date.")
@click.pass_context
def summary(ctx: click.Context, register: Path, out_file: Path, previous: Path | None, pdf: bool, as_of: Any) -> None:
    """Write the committee summary of REGISTER: overview with charts, heat map, actions, compliance, finance."""
    import datetime as dt

    from .files import replace_keeping_copy
    from .register import RegisterError
    from .summary import SummaryError, summary_bytes, summary_from_register, to_pdf

    config, spec = _load(ctx)
    try:
        built = summary_from_register(register, spec, config, as_of.date() if as_of else dt.date.today(), previous)
        outcome = replace_keeping_copy(out_file, summary_bytes(built))
        click.echo(f"{out_file} ({outcome}): {len(built.rows)} partnerships")
        if pdf:
            click.echo(f"{to_pdf(out_file, out_file.with_suffix('.pdf'))}")
    except (RegisterError, SummaryError, *CANNOT_RUN) as exc:
        raise Fatal(str(exc)) from None


def _collect(ctx: click.Context, returns_dir: Path, out_dir: Path, previous: Path | None, ledger_path: Path | None,
             as_of: Any) -> tuple[Any, Config]:
    import datetime as dt

    from .consolidate import collect
    from .register import RegisterError

    config, spec = _load(ctx)
    try:
        result = collect(config, spec, returns_dir, out_dir, previous=previous, ledger_path=ledger_path,
                         as_of=as_of.date() if as_of else dt.date.today())
    except (*CANNOT_RUN, RegisterError) as exc:
        raise Fatal(str(exc)) from None
    return result, config


def _cycle_options(command: Any) -> Any:
    """The options status and chase share with consolidate: where the returns, outputs and ledger are."""
    for option in reversed([
        click.argument("returns_dir", type=click.Path(exists=True, file_okay=False, path_type=Path)),
        click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out"), show_default=True,
                     help="The consolidate output folder (its ledger saves re-reading files)."),
        click.option("--previous", type=click.Path(dir_okay=False, path_type=Path),
                     help="Last cycle's register (default: [paths] register in the configuration)."),
        click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="The SQLite ledger (default: OUT/ledger.sqlite)."),
        click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Judge lateness as at this date."),
    ]):
        command = option(command)
    return command


@main.command()
@_cycle_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status(ctx: click.Context, returns_dir: Path, out_dir: Path, previous: Path | None, ledger_path: Path | None,
           as_of: Any, as_json: bool) -> None:
    """Per officer: which partnerships have returned, are outstanding or late, or came back with errors."""
    from .chase import NEEDS_ACTION, officer_status

    result, config = _collect(ctx, returns_dir, out_dir, previous, ledger_path, as_of)
    statuses = officer_status(result, config)
    if as_json:
        _echo_json([{"officer": o.officer, "email": o.email,
                     "partnerships": [{"id": p.id, "name": p.name, "state": p.state, "files": p.files} for p in o.partnerships]}
                    for o in statuses])
    else:
        for o in statuses:
            click.echo(f"{o.officer} <{o.email or 'no e-mail in configuration'}>")
            for p in o.partnerships:
                click.echo(f"  {p.state:<13} {p.id:<10} {p.name}")
    sys.exit(EXIT_FINDINGS if any(o.count(*NEEDS_ACTION) for o in statuses) else 0)


@main.command()
@_cycle_options
@click.option("--to", "to_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out/reminders"), show_default=True,
              help="Folder for the .eml files, one per officer.")
@click.option("--workbooks", type=click.Path(file_okay=False, path_type=Path), default=Path("out/workbooks"), show_default=True,
              help="Where partxl generate wrote the workbooks, to attach to reminders.")
@click.option("--send", is_flag=True, help="Also send them through the SMTP server in the configuration.")
@click.pass_context
def chase(ctx: click.Context, returns_dir: Path, out_dir: Path, previous: Path | None, ledger_path: Path | None,
          as_of: Any, to_dir: Path, workbooks: Path, send: bool) -> None:
    """Write (and with --send, send) one reminder per officer with something outstanding, late or to correct."""
    from .chase import ChaseError, officer_status, reminders, write_reminders
    from .chase import send as deliver

    result, config = _collect(ctx, returns_dir, out_dir, previous, ledger_path, as_of)
    messages = reminders(officer_status(result, config), config, result.as_of, returns_dir, workbooks)
    for path in write_reminders(messages, to_dir):
        click.echo(f"wrote {path}")
    if send and messages:
        try:
            click.echo(f"sent {deliver(messages, config)} reminder(s) through {config.smtp.host}:{config.smtp.port}")
        except ChaseError as exc:
            raise Fatal(str(exc)) from None
    if not messages:
        click.echo("nothing to chase: every partnership has returned")


@main.command()
@click.argument("register", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out/public"), show_default=True,
              help="Folder for register.csv and index.html.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="The date the page says it is as at.")
@click.pass_context
def publish(ctx: click.Context, register: Path, out_dir: Path, as_of: Any) -> None:
    """Write the public register: a CSV safe to open in Excel and an accessible web page, public fields only."""
    import datetime as dt

    from .publish import PublishError
    from .publish import publish as run
    from .register import RegisterError

    config, spec = _load(ctx)
    try:
        done = run(register, out_dir, spec, config, as_of.date() if as_of else dt.date.today())
    except (PublishError, RegisterError, *CANNOT_RUN) as exc:
        raise Fatal(str(exc)) from None
    click.echo(f"{done.rows} partnerships, {len(done.columns)} public fields: wrote {done.csv} and {done.html}")


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))
