"""Check one returned workbook against the form definitions and the policy: a pipeline of small stages.

1. **identify**: is it ours (signed issue details), for this cycle, and which forms and versions does it hold?
2. **locate**: for each form, find its sheet and every answer cell (by its defined name; where the form
   put it when a name is lost), and notice what was done to the sheet (unprotected, renamed, rows moved);
3. **read**: each answer as its field's type, within the field's bounds (the type table's job), and
   every required answer present;
4. **apply rules**: the rules across answers of the form definitions (dates in order, answers required
   by other answers, the policy's flags), and the issued identity against the name given.

Every problem becomes a :class:`~partxl.findings.Finding` that says where (file, sheet, cell, field),
what is wrong and what would be right. Errors keep a return out of the register; warnings let it in
but ask for action. Nothing raises for bad input: a file that cannot be read at all is itself a finding.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from partxl.config import Config, clean
from partxl.findings import ERROR, HOLDS, Code, Finding, ordered
from partxl.forms import contract
from partxl.forms import layout as lay
from partxl.forms.definitions import Form, Rule, Spec, Table
from partxl.forms.fieldtypes import TYPES, Refused, Unreadable
from partxl.forms.names import cell_name, ref_name
from partxl.forms.rules import add_months, breaks, unfilled_current_row
from partxl.issue.metadata import Metadata, heading, verify
from partxl.returns.kinds import is_container
from partxl.returns.package import ambiguous
from partxl.returns.read import Opened, Rejected, open_return
from partxl.returns.results import CheckResult
from partxl.workers import Failure

Where = tuple[str, str]  # (sheet, A1) in the returned file


@dataclass
class Checked:
    """One file after checking: its issue details, the answers that could be read, and the findings."""

    file: Path
    metadata: dict[str, str] | None = None
    values: dict[str, Any] = field(default_factory=dict)  # cell name -> typed value (empty answers left out)
    findings: list[Finding] = field(default_factory=list)
    saved_at: dt.datetime | None = None

    @property
    def partnership_id(self) -> str:
        return (self.metadata or {}).get("partnership_id", "")

    @property
    def workbook_kind(self) -> str:
        return (self.metadata or {}).get("workbook", "")

    @property
    def held(self) -> bool:
        """Its answers contradict the identity it was issued with: the MIO must say whose return it is."""
        return any(f.code in HOLDS for f in self.findings)

    @property
    def accepted(self) -> bool:
        return self.metadata is not None and not self.held and not any(f.severity == ERROR for f in self.findings)


def check_file(path: Path, spec: Spec, config: Config, as_of: dt.date, display: str | None = None,
               data: bytes | None = None) -> Checked:
    """Open and check ``path``; ``display`` is the name findings use for the file (e.g. relative to the folder).
    With ``data``, the workbook is those bytes (an attachment, in memory) and ``path`` only its name."""
    name = display or path.name
    try:
        return check_opened(open_return(path, data), spec, config, as_of, name)
    except Rejected as rejected:  # when opening it, or reading one of its sheets
        finding = Code[rejected.code].at(file=name, detail=rejected.detail, hint=rejected.hint)
        return Checked(path, findings=[finding])


def check_job(shared: dict[str, Any], path: Path, display: str, data: bytes | None = None,
              failure: Failure | None = None) -> Checked:
    """Check one file, in a worker process of its own (see Workers.isolated_map); ``data``: an attachment's bytes (then
    ``path`` is only its name). With ``failure`` (called here, not in a worker) the worker died on it, the check
    raised, or it ran past the time limit: that is its finding."""
    if failure is None:
        return check_file(path, shared["spec"], shared["config"], shared["as_of"], display, data)
    code = Code.FILE_TIMED_OUT if failure.kind == "timed out" else Code.FILE_CRASHED
    return Checked(path, findings=[code.at(file=display, detail=failure.detail, seconds=failure.seconds)])


def _isolated(jobs: list[tuple[Path, str, bytes | None]], spec: Spec, config: Config, as_of: dt.date) -> list[Checked]:
    """Each workbook checked in a worker process of its own, as consolidate checks them: a file that aborts its reader
    (a damaged .xls can make calamine ask for terabytes) or hangs is a finding, never the end of ``partxl check``."""
    from partxl.workers import Workers

    with Workers({"spec": spec, "config": config, "as_of": as_of}, parallel=False) as workers:
        return list(workers.isolated_map(check_job, jobs)) if jobs else []


def check_return(path: Path, spec: Spec, config: Config, as_of: dt.date) -> CheckResult:
    """``partxl check``: one workbook checked as consolidate would, recording nothing; or, for a saved e-mail, Outlook
    message, mailbox or archive, every workbook in it (accepted only when there is one and each would be). Nothing is
    checked with a key anyone could sign with (see Config.signing_key)."""
    config.signing_key()
    if is_container(path):
        return _check_container(path, spec, config, as_of)
    checked, = _isolated([(path, path.name, None)], spec, config, as_of)
    named = misnamed(path.name, checked.partnership_id) if checked.metadata is not None else None
    findings = checked.findings + ([named] if named is not None else [])
    return CheckResult(path, checked.accepted and named is None, ordered(findings), checked.metadata)


def _check_container(path: Path, spec: Spec, config: Config, as_of: dt.date) -> CheckResult:
    from partxl.returns.containers import Attachment, unpack

    findings: list[Finding] = []
    attachments: list[Attachment] = []
    try:
        for item in unpack(path, display=path.name):
            if isinstance(item, Attachment):
                attachments.append(item)
            else:
                findings.append(item.finding().but(file=item.provenance.named()))
    except OSError as exc:
        findings.append(Code.FILE_UNREADABLE.at(file=path.name, detail=str(exc.strerror or exc)))
    checks = _isolated([(Path(a.name), a.provenance.named(), a.data) for a in attachments], spec, config, as_of)
    for attachment, checked in zip(attachments, checks, strict=True):
        named = misnamed(attachment.name, checked.partnership_id) if checked.metadata is not None else None
        if named is not None:  # held: its name and its content disagree about whose return it is
            checked.findings.append(named.but(file=attachment.provenance.named()))
        findings += checked.findings
    accepted = bool(checks) and all(c.accepted for c in checks) and not any(f.severity == ERROR for f in findings)
    return CheckResult(path, accepted, ordered(findings), checks[0].metadata if len(checks) == 1 else None, len(checks))


def check_opened(opened: Opened, spec: Spec, config: Config, as_of: dt.date, name: str) -> Checked:
    """The pipeline over a workbook already opened (see the module's docstring)."""
    checked = Checked(opened.path, saved_at=opened.saved_at)
    meta = opened.metadata()
    found = _Findings(name, (meta or {}).get("partnership_id", ""))
    checked.findings = found.items
    if meta is None:
        found.add(Code.NOT_ISSUED)
        return checked
    checked.metadata = meta
    _saved_date(opened.saved_at, meta, as_of, found)
    if opened.has_macros:
        found.add(Code.MACROS_IGNORED)
    if opened.names is None:  # said once for the file, not once a sheet
        found.add(Code.NAMES_UNAVAILABLE, kind=opened.kind)
    forms = identify(meta, spec, config, found)
    if forms is None:  # its issue details cannot be trusted: it is nobody's return
        checked.metadata, found.items[-1] = None, found.items[-1].but(partnership="", value=found.partnership)
        return checked
    answers = _Answers()
    sheets = []
    for form, version in forms:
        located = locate(opened, form, version, found)
        if located is not None:
            read_answers(located, config, answers, found)
            sheets.append(located.sheet)
    if forms:
        check_headings(meta, opened, sheets, found)
        check_identity(meta, answers, spec, found)
        for form, _version in forms:
            apply_rules(form, answers, as_of, config, found)
    checked.values = answers.values
    return checked


def _saved_date(saved: dt.datetime | None, meta: dict[str, str], as_of: dt.date, found: _Findings) -> None:
    """A saved date in the future, or long before the workbook was issued, is reported (and used for nothing)."""
    if saved is None:
        return
    try:
        issued = dt.date.fromisoformat(meta.get("issued_date", ""))
    except ValueError:
        issued = None
    if saved.date() > max(as_of, dt.date.today()) + dt.timedelta(days=1):
        why = "which is in the future"
    elif issued is not None and saved.date() < issued - dt.timedelta(days=365):
        why = f"more than a year before it was issued ({issued:%d/%m/%Y})"
    else:
        return
    found.add(Code.SAVED_DATE_ODD, sheet="", value=f"{saved:%d/%m/%Y %H:%M}", saved=f"{saved:%d %B %Y}", why=why)


class _Findings:
    """The findings of one file: each names the file and the partnership it was issued for."""

    def __init__(self, file: str, partnership: str):
        self.file, self.partnership = file, partnership
        self.items: list[Finding] = []

    def add(self, code: Code, **kw: Any) -> None:
        kw.setdefault("partnership", self.partnership)
        self.items.append(code.at(file=self.file, **kw))

    def rule(self, rule: Rule, form: Form, where: Where, label: str, value: Any = "", detail: str = "") -> None:
        """A form rule's own finding: its code, severity and message come from the definition; ``detail`` gives the
        answers behind it (the dates involved), so that what would be right can be seen without opening the file."""
        self.items.append(Finding(code=rule.code, severity=rule.severity, message=rule.message,
                                  hint=f"{detail} {rule.message}" if detail else rule.message,
                                  file=self.file, sheet=where[0], cell=where[1], field=label, value=_shown(value),
                                  partnership=self.partnership, form=form.title))


@dataclass
class _Answers:
    """What has been read so far: typed values, and where each answer cell is in this file, by cell name."""

    values: dict[str, Any] = field(default_factory=dict)
    where: dict[str, Where] = field(default_factory=dict)


# ---------------------------------------------------------------- 1. identify


def identify(meta: dict[str, str], spec: Spec, config: Config, found: _Findings) -> list[tuple[Form, int]] | None:
    """The forms (and the versions issued) of a workbook whose signature holds and whose cycle is this one.

    ``meta`` loses its signature entry. An edited, copied or foreign workbook has issue details nobody can
    trust (None: it is nobody's return); one of another cycle is the partnership's, with nothing of it read.
    """
    signature = meta.pop("signature", "")
    known = set(Metadata.__dataclass_fields__)
    data = Metadata(**{k: meta.get(k, "") for k in known})
    if set(meta) - known or not verify(data, signature, config.signing_key()):
        found.add(Code.METADATA_EDITED)
        return None
    if clean(meta.get("cycle", "")) != clean(config.cycle):  # as issued: spacing in the configuration is not another cycle
        found.add(Code.WRONG_CYCLE, issued=meta.get("cycle", "?"), cycle=config.cycle)
        return []
    forms = []
    kind = spec.workbooks.get(data.workbook)
    asked = {f.id: f for f in kind.forms} if kind else {}  # each form as that kind of workbook asks it
    for form_id, version in data.form_versions().items():
        form = asked.get(form_id) or spec.forms.get(form_id)
        if form is None:
            found.add(Code.FORM_UNKNOWN, form=form_id)
        elif version > form.version:
            found.add(Code.FORM_VERSION_NEWER, form=form.title, sheet=form.sheet, old=version, new=form.version)
        else:
            if version < form.version:
                found.add(Code.FORM_VERSION_OLD, form=form.title, sheet=form.sheet, old=version, new=form.version)
            forms.append((form, version))
    return forms


# ---------------------------------------------------------------- 2. locate


@dataclass
class Located:
    """One form's sheet in a returned file: where each answer cell is, and what each holds as typed."""

    form: Form
    sheet: str
    layout: lay.SheetLayout
    where: dict[str, Where]  # cell name -> (sheet, A1); an answer with nowhere to be read is (sheet, "")
    raw: dict[str, Any]  # cell name -> the value as the reader gave it (absent: an error value, reported)


def locate(opened: Opened, form: Form, version: int, found: _Findings) -> Located | None:
    """Find ``form``'s sheet and answers in ``opened``; report what was done to the sheet. None when it is missing."""
    layout = lay.layout_form(form)
    sheet = _sheet_for(opened, form, layout)
    if sheet is None:
        found.add(Code.SHEET_MISSING, sheet=form.sheet, form=form.title)
        return None
    _sheet_state(opened, form, sheet, found)
    if opened.names is None:
        _labels_in_place(opened, layout, sheet)
    named = {cell.name: _named(opened, cell) for cell in layout.inputs}
    moved = sum(1 for cell in layout.inputs if named[cell.name] not in (None, (form.sheet, cell.a1)))
    located = Located(form, sheet, layout, {}, {})
    for cell in layout.inputs:
        where = named[cell.name] or _unnamed(opened, cell, sheet, version, trust_layout=not moved, found=found)
        if where is None:  # a question added since this workbook's version, or a deleted answer cell: empty
            located.where[cell.name], located.raw[cell.name] = (sheet, ""), ""
            continue
        located.where[cell.name] = where
        _take(opened, cell, where, located, found)
    if moved:
        found.add(Code.STRUCTURE_MOVED, sheet=sheet, form=form.title, count=moved)
    return located


def _labels_in_place(opened: Opened, layout: lay.SheetLayout, sheet: str) -> None:
    """Refuse a workbook whose names partxl cannot read (an .xls) once its questions have moved: its answers are read
    where the form put them, which is right only while the questions' labels are where the form put them too. Excel
    and LibreOffice follow the names to the moved answers; partxl would read other cells."""
    for placed in layout.placed:
        if placed.role == "label" and str(opened.cell(sheet, placed.a1)).strip() != str(placed.value or "").strip():
            raise ambiguous(f"on sheet '{sheet}', the question {placed.value!r} is no longer in {placed.a1}, where the "
                            f"form put it, and partxl cannot follow a .{opened.kind} file's names to the answers")


def _sheet_state(opened: Opened, form: Form, sheet: str, found: _Findings) -> None:
    """What was done to the sheet itself: protection removed, renamed or hidden."""
    if opened.protected is not None and not opened.protected.get(sheet, True):
        found.add(Code.PROTECTION_REMOVED, sheet=sheet, form=form.title)
    if sheet != form.sheet:
        found.add(Code.SHEET_RENAMED, sheet=sheet, form=form.title, expected=form.sheet)
    if opened.visibility.get(sheet, "visible") != "visible":
        found.add(Code.SHEET_HIDDEN, sheet=sheet, form=form.title)


def _take(opened: Opened, cell: lay.InputCell, where: Where, located: Located, found: _Findings) -> None:
    """The value at ``where``, unless it shows an error value; a formula's value is taken and reported."""
    on, address = where
    errors = opened.error_cells(on)  # each sheet scanned once, by Opened
    if address in errors:  # reported here, and not read as an answer
        found.add(Code.ERROR_VALUE, sheet=on, cell=address, field=cell.label, form=cell.form.title, value=errors[address],
                  right=TYPES[cell.field.type].right(cell.field))
        return
    if opened.kind == "ods" and address in opened.formula_cells(on):  # LibreOffice works it out again on opening
        raise ambiguous(f"the answer in '{on}'!{address} is a formula, whose result in the file may not be what "
                        "LibreOffice shows, as it works formulas out again when it opens the file")
    located.raw[cell.name] = value = opened.cell(on, address)
    if address in opened.formula_cells(on):
        found.add(Code.FORMULA_IN_INPUT, sheet=on, cell=address, field=cell.label, form=cell.form.title, value=_shown(value))


def _sheet_for(opened: Opened, form: Form, layout: lay.SheetLayout) -> str | None:
    if form.sheet in opened.grids:
        return form.sheet
    for cell in layout.inputs:  # a renamed sheet: its names still point at it
        target = (opened.names or {}).get(cell.name)
        if target and target[0] in opened.grids:
            return target[0]
    return None


def _named(opened: Opened, cell: lay.InputCell) -> Where | None:
    """Where the workbook's own defined name puts this answer, if it still has one."""
    target = (opened.names or {}).get(cell.name)
    return target if target and target[0] in opened.grids else None


def _unnamed(opened: Opened, cell: lay.InputCell, sheet: str, version: int, *, trust_layout: bool,
             found: _Findings) -> Where | None:
    """An answer without a usable name: where the form put it, unless the sheet's rows have moved."""
    if opened.names is None:
        return sheet, cell.a1
    if version < cell.form.version:
        return None  # a question added since that version: reported as missing if required
    if not trust_layout:  # its row was deleted: reading the form's address would take another answer
        found.add(Code.ANSWER_CELL_DELETED, sheet=sheet, field=cell.label, form=cell.form.title)
        return None
    found.add(Code.NAME_MISSING, name=cell.name, sheet=sheet, cell=cell.a1, field=cell.label, form=cell.form.title)
    return sheet, cell.a1


# ---------------------------------------------------------------- 3. read


def read_answers(located: Located, config: Config, answers: _Answers, found: _Findings) -> None:
    """Every answer of one form as its type (the type table parses and bounds it), and the required ones present."""
    answers.where.update(located.where)
    used_rows = _used_rows(located.layout, located.raw)
    for cell in located.layout.inputs:
        if cell.name in located.raw:
            _answer(cell, located.raw[cell.name], used_rows, config, answers, found)
    for item in located.form.items():
        if isinstance(item, Table) and not item.fixed and len(used_rows.get(item.id, ())) < item.min_rows:
            first = next(c for c in located.layout.inputs if c.table is item)
            sheet, address = located.where.get(first.name, (located.sheet, ""))
            found.add(Code.TOO_FEW_ROWS, field=item.label, count=item.min_rows, form=located.form.title, sheet=sheet,
                      cell=address, hint=item.help)


def _answer(cell: lay.InputCell, raw: Any, used_rows: dict[str, set[str]], config: Config, answers: _Answers,
            found: _Findings) -> None:
    fld = cell.field
    if _empty(raw):
        required = fld.required and (cell.table is None or cell.table.fixed or cell.row_key in used_rows.get(cell.table.id, set()))
        if required:
            found.add(Code.MISSING, hint=f"Fill this in: {fld.help}" if fld.help else f"Enter {TYPES[fld.type].right(fld)}.",
                      **_at(cell, answers))
        return
    choices = fld.choices or config.choice_list(fld.choices_from or "") if fld.type == "choice" else ()
    try:
        answers.values[cell.name] = TYPES[fld.type].read(fld, raw, choices)
    except Unreadable as exc:
        found.add(Code.INVALID, value=_shown(raw), right=exc.hint, **_at(cell, answers))
    except Refused as exc:
        found.add(Code[exc.code], hint=exc.hint, **exc.params, **_at(cell, answers))


def _at(cell: lay.InputCell, answers: _Answers) -> dict[str, str]:
    """Where a finding about ``cell`` points: built only when there is one (most answers are fine)."""
    sheet, address = answers.where[cell.name]
    return dict(sheet=sheet, cell=address, field=cell.label, form=cell.form.title)


def _used_rows(layout: lay.SheetLayout, raw: dict[str, Any]) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for cell in layout.inputs:
        if cell.table is not None and not _empty(raw.get(cell.name)):
            used.setdefault(cell.table.id, set()).add(cell.row_key or "")
    return used


# ---------------------------------------------------------------- 4. rules and identity


def apply_rules(form: Form, answers: _Answers, as_of: dt.date, config: Config, found: _Findings) -> None:
    """Each of ``form``'s rules, on every row it applies to (judged by partxl.forms.rules, as the register is)."""
    values = {**answers.values, **lay.evaluate_all(form, answers.values, config)}  # rules may use worked-out values
    worked_out = {cell_name(form.id, p.computed.id): (form.sheet, p.a1)
                  for p in lay.layout_form(form).placed if p.role == "computed" and p.computed is not None}
    for rule in form.rules:
        item = form.find(rule.field.partition(".")[0])  # None: a worked-out value
        if rule.kind == "current_row":
            last = unfilled_current_row(rule, form, values)
            if last is not None:
                found.rule(rule, form, answers.where.get(last, (form.sheet, "")), item.label if item else rule.field)
            continue
        for key in list(item.row_keys()) if isinstance(item, Table) else [None]:
            if breaks(rule, form, key, values, as_of, config):
                target = ref_name(form.id, rule.field, key)
                where = answers.where.get(target) or worked_out.get(target, (form.sheet, ""))
                found.rule(rule, form, where, _field_label(form, rule.field, key), values.get(target, ""),
                           _dates(rule, form, key, values, config))


def _dates(rule: Rule, form: Form, key: str | None, values: dict[str, Any], config: Config) -> str:
    """The dates a date rule was judged on, said plainly: what is before what, when a review was due."""
    value = values.get(ref_name(form.id, rule.field, key))
    if not isinstance(value, dt.date):
        return ""
    if rule.kind == "not_before" and rule.other and ":" not in rule.other \
            and isinstance(other := values.get(ref_name(form.id, rule.other, key)), dt.date):
        return (f"{_field_label(form, rule.field, key)} is {value:%d/%m/%Y}, before "
                f"{_field_label(form, rule.other, key)} {other:%d/%m/%Y}.")
    if rule.kind == "overdue":
        months = rule.months if rule.months is not None else getattr(config, rule.months_from or "")
        return f"The last was on {value:%d/%m/%Y}, so the next was due by {add_months(value, months):%d/%m/%Y}."
    if rule.kind == "past":
        return f"The date given is {value:%d/%m/%Y}."
    return ""


def check_identity(meta: dict[str, str], answers: _Answers, spec: Spec, found: _Findings) -> None:
    """Answers that contradict the identity the workbook was issued with: another partnership's name (issue details
    copied from another workbook carry a valid signature), or another lead officer. Either holds the return."""
    for need, code, issued in ((contract.NAME, Code.IDENTITY_MISMATCH, meta.get("partnership_name", "")),
                               (contract.LEAD_OFFICER, Code.OFFICER_MISMATCH, meta.get("issued_to", ""))):
        answered = answers.values.get(need.cell)
        if issued and answered and _key(issued) != _key(answered):
            sheet, address = answers.where.get(need.cell, ("", ""))
            found.add(code, sheet=sheet, cell=address, field=spec.form(need.form).item(need.id).label, value=answered,
                      issued=issued)


def check_headings(meta: dict[str, str], opened: Opened, sheets: list[str], found: _Findings) -> None:
    """Form sheets headed for another partnership than the issue details say: a signed metadata sheet copied into
    another partnership's workbook keeps its signature, but not the locked headings of the workbook it came from.
    The return is held (once, at the first such sheet); a heading moved or cleared is not judged here."""
    expected = _key(heading(meta.get("partnership_name", ""), meta.get("partnership_id", "")))
    for sheet in sheets:
        rows = opened.grids.get(sheet, [])
        at = next((n for n in range(min(len(rows), _HEADING_ROWS)) if rows[n] and isinstance(rows[n][0], str)
                   and " · " in rows[n][0]), None)
        if at is not None and not _key(text := rows[at][0]).startswith(expected + " · "):
            found.add(Code.DETAILS_COPIED, sheet=sheet, cell=f"A{at + 1}", value=clean(text.split(" · ")[0]),
                      issued=clean(meta.get("partnership_name", "") or "a new proposal"))
            return


_HEADING_ROWS = 6  # the heading is the form's second row; a few rows inserted above it are still looked through


def misnamed(file_name: str, partnership: str) -> Finding | None:
    """A file named as if for another partnership ("P005 return.xlsx" holding P009's workbook): held, as its name
    and its content disagree about whose return it is. Only names that start with an ID are judged; an attachment
    (named "attachment 'P005 return.xlsx' of the message …") by its own name."""
    claimed = _CLAIMED_ID.match(own_name(file_name))
    if claimed is None or not _CLAIMED_ID.match(partnership + " ") or claimed.group(1).casefold() == partnership.casefold():
        return None
    return Code.FILENAME_MISMATCH.at(file=file_name, partnership=partnership, claimed=claimed.group(1))


def own_name(file_name: str) -> str:
    """The name a file or attachment was given by its sender: the last part of a path in the returns folder, or the
    quoted name an attachment or archive member is named by (see partxl.returns.containers.Provenance.describe)."""
    quoted = _QUOTED_ITEM.match(file_name)
    return quoted.group(1) if quoted else Path(file_name).name


_QUOTED_ITEM = re.compile(r"(?:attachment )?'(.+?)' (?:of (?:the|a|an) |in the archive )")
_CLAIMED_ID = re.compile(r"([A-Za-z]{1,6}[-_]?\d{1,6})[ ._-]")


def _key(text: Any) -> str:
    return clean(str(text)).casefold()


def _field_label(form: Form, ref: str, key: str | None) -> str:
    item_id, _, column = ref.partition(".")
    if column:
        table = form.item(item_id)
        assert isinstance(table, Table)
        return f"{table.row_label(key or '')}: {table.column(column).label}"
    return form.label_of(item_id)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M") if value.time() != dt.time() else value.strftime("%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)
