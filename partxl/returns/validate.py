"""Check one returned workbook against the form definitions and the policy.

Every problem becomes a :class:`~partxl.findings.Finding` that says where (file, sheet, cell,
field), what is wrong and what would be right. Errors keep a return out of the register;
warnings let it in but ask for action. Nothing raises for bad input: a file that cannot be
read at all is itself a finding.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from partxl.config import Config
from partxl.findings import ERROR, Code, Finding
from partxl.forms import contract
from partxl.forms import layout as lay
from partxl.forms.definitions import Form, Rule, Spec, Table
from partxl.forms.fieldtypes import TYPES, Refused, Unreadable
from partxl.forms.names import ref_name
from partxl.forms.rules import breaks, unfilled_current_row
from partxl.issue.metadata import Metadata, verify
from partxl.returns.read import Opened, Rejected, open_return


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
    def accepted(self) -> bool:
        return self.metadata is not None and not any(f.severity == ERROR for f in self.findings)


def check_file(path: Path, spec: Spec, config: Config, as_of: dt.date, display: str | None = None) -> Checked:
    """Open and check ``path``; ``display`` is the name findings use for the file (e.g. relative to the folder)."""
    name = display or path.name
    try:
        return _Checker(open_return(path), spec, config, as_of, name).run()
    except Rejected as rejected:  # when opening it, or reading one of its sheets
        finding = Code[rejected.code].at(file=name, detail=rejected.detail, hint=rejected.hint)
        return Checked(path, findings=[finding])


class _Checker:
    def __init__(self, opened: Opened, spec: Spec, config: Config, as_of: dt.date, name: str):
        self.opened, self.spec, self.config, self.as_of, self.name = opened, spec, config, as_of, name
        self.findings: list[Finding] = []
        self.values: dict[str, Any] = {}
        self.where: dict[str, tuple[str, str]] = {}  # cell name -> (sheet, A1) in this file
        self.meta: dict[str, str] = {}

    def add(self, code: Code, **kw: Any) -> None:
        kw.setdefault("partnership", self.meta.get("partnership_id", ""))
        self.findings.append(code.at(file=self.name, **kw))

    def run(self) -> Checked:
        checked = Checked(self.opened.path, saved_at=self.opened.saved_at)
        meta = self.opened.metadata()
        if meta is None:
            self.add(Code.NOT_ISSUED)
            checked.findings = self.findings
            return checked
        self.meta = meta
        checked.metadata = meta
        if self.opened.has_macros:
            self.add(Code.MACROS_IGNORED)
        forms = self._identify()
        if forms is not None:
            for form, version in forms:
                self._read_form(form, version)
            self._identity()
            for form, _version in forms:
                for rule in form.rules:
                    self._rule(form, rule)
        checked.values, checked.findings = self.values, self.findings
        return checked

    # ------------------------------------------------------------ identity

    def _identify(self) -> list[tuple[Form, int]] | None:
        meta = self.meta
        signature = meta.pop("signature", "")
        known = set(Metadata.__dataclass_fields__)
        data = Metadata(**{k: meta.get(k, "") for k in known})
        if set(meta) - known or not verify(data, signature, self.config.integrity_key):
            self.add(Code.METADATA_EDITED)
            return None
        if meta.get("cycle") != self.config.cycle:
            self.add(Code.WRONG_CYCLE, issued=meta.get("cycle", "?"), cycle=self.config.cycle)
            return None
        forms = []
        for form_id, version in data.form_versions().items():
            form = self.spec.forms.get(form_id)
            if form is None:
                self.add(Code.FORM_UNKNOWN, form=form_id)
                continue
            if version > form.version:
                self.add(Code.FORM_VERSION_NEWER, form=form.title, sheet=form.sheet, old=version, new=form.version)
                continue
            if version < form.version:
                self.add(Code.FORM_VERSION_OLD, form=form.title, sheet=form.sheet, old=version, new=form.version)
            forms.append((form, version))
        return forms

    def _identity(self) -> None:
        """Issue details copied from another partnership's workbook carry a valid signature but the wrong name."""
        issued, answered = self.meta.get("partnership_name", ""), self.values.get(contract.NAME.cell)
        if issued and answered and " ".join(issued.split()).casefold() != " ".join(str(answered).split()).casefold():
            sheet, address = self.where.get(contract.NAME.cell, ("", ""))
            self.add(Code.IDENTITY_MISMATCH, sheet=sheet, cell=address, field="Name of partnership", value=answered, issued=issued)

    # ------------------------------------------------------------ reading answers

    def _read_form(self, form: Form, version: int) -> None:
        sheet_layout = lay.layout_form(form)
        sheet = self._sheet_for(form, sheet_layout)
        if sheet is None:
            self.add(Code.SHEET_MISSING, sheet=form.sheet, form=form.title)
            return
        if self.opened.protected is not None and not self.opened.protected.get(sheet, True):
            self.add(Code.PROTECTION_REMOVED, sheet=sheet, form=form.title)
        if sheet != form.sheet:
            self.add(Code.SHEET_RENAMED, sheet=sheet, form=form.title, expected=form.sheet)
        if self.opened.visibility.get(sheet, "visible") != "visible":
            self.add(Code.SHEET_HIDDEN, sheet=sheet, form=form.title)
        if self.opened.names is None:
            self.add(Code.NAMES_UNAVAILABLE, kind=self.opened.kind, sheet=sheet, form=form.title)
        located = {cell.name: self._named(cell) for cell in sheet_layout.inputs}
        moved = sum(1 for cell in sheet_layout.inputs if located[cell.name] not in (None, (form.sheet, cell.a1)))
        raw: dict[str, Any] = {}
        for cell in sheet_layout.inputs:
            location = located[cell.name] or self._unnamed(cell, sheet, form, version, trust_layout=not moved)
            if location is None:  # a question added since this workbook's version, or a deleted answer cell: empty
                self.where[cell.name], raw[cell.name] = (sheet, ""), ""
                continue
            self.where[cell.name] = location
            on, address = location
            errors = self.opened.error_cells(on)  # each sheet scanned once, by Opened
            if address in errors:  # reported here, and not read as an answer
                self.add(Code.ERROR_VALUE, sheet=on, cell=address, field=cell.label, form=form.title, value=errors[address],
                         right=TYPES[cell.field.type].right(cell.field))
                continue
            raw[cell.name] = self.opened.cell(on, address)
            if address in self.opened.formula_cells(on):
                self.add(Code.FORMULA_IN_INPUT, sheet=on, cell=address, field=cell.label, form=form.title,
                         value=_shown(raw[cell.name]))
        if moved:
            self.add(Code.STRUCTURE_MOVED, sheet=sheet, form=form.title, count=moved)
        used_rows = _used_rows(sheet_layout, raw)
        for cell in sheet_layout.inputs:
            if cell.name in raw:
                self._answer(cell, raw[cell.name], used_rows)
        for item in form.items():
            if isinstance(item, Table) and not item.fixed and len(used_rows.get(item.id, ())) < item.min_rows:
                first = next(c for c in sheet_layout.inputs if c.table is item)
                self.add(Code.TOO_FEW_ROWS, field=item.label, count=item.min_rows, form=form.title,
                         sheet=self.where.get(first.name, (sheet, ""))[0], cell=self.where.get(first.name, ("", ""))[1],
                         hint=item.help)

    def _sheet_for(self, form: Form, sheet_layout: lay.SheetLayout) -> str | None:
        if form.sheet in self.opened.grids:
            return form.sheet
        for cell in sheet_layout.inputs:  # a renamed sheet: its names still point at it
            target = (self.opened.names or {}).get(cell.name)
            if target and target[0] in self.opened.grids:
                return target[0]
        return None

    def _named(self, cell: lay.InputCell) -> tuple[str, str] | None:
        """Where the workbook's own defined name puts this answer, if it still has one."""
        target = (self.opened.names or {}).get(cell.name)
        return target if target and target[0] in self.opened.grids else None

    def _unnamed(self, cell: lay.InputCell, sheet: str, form: Form, version: int, trust_layout: bool) -> tuple[str, str] | None:
        """An answer without a usable name: where the form put it, unless the sheet's rows have moved."""
        if self.opened.names is None:
            return sheet, cell.a1
        if version < form.version:
            return None  # a question added since that version: reported as missing if required
        if not trust_layout:  # its row was deleted: reading the form's address would take another answer
            self.add(Code.ANSWER_CELL_DELETED, sheet=sheet, field=cell.label, form=form.title)
            return None
        self.add(Code.NAME_MISSING, name=cell.name, sheet=sheet, cell=cell.a1, field=cell.label, form=form.title)
        return sheet, cell.a1

    def _answer(self, cell: lay.InputCell, raw: Any, used_rows: dict[str, set[str]]) -> None:
        fld = cell.field
        if _empty(raw):
            required = fld.required and (cell.table is None or cell.table.fixed or
                                         cell.row_key in used_rows.get(cell.table.id, set()))
            if required:
                self.add(Code.MISSING, hint=f"Fill this in: {fld.help}" if fld.help else f"Enter {TYPES[fld.type].right(fld)}.",
                         **self._where(cell))
            return
        choices = fld.choices or self.config.choice_list(fld.choices_from or "") if fld.type == "choice" else ()
        try:
            self.values[cell.name] = TYPES[fld.type].read(fld, raw, choices)
        except Unreadable as exc:
            self.add(Code.INVALID, value=_shown(raw), right=exc.hint, **self._where(cell))
        except Refused as exc:
            self.add(Code[exc.code], hint=exc.hint, **exc.params, **self._where(cell))

    def _where(self, cell: lay.InputCell) -> dict[str, str]:
        """Where a finding about ``cell`` points: built only when there is one (most answers are fine)."""
        sheet, address = self.where[cell.name]
        return dict(sheet=sheet, cell=address, field=cell.label, form=cell.form.title)

    # ------------------------------------------------------------ rules

    def _rule(self, form: Form, rule: Rule) -> None:
        item = form.item(rule.field.partition(".")[0])
        keys: list[str | None] = list(item.row_keys()) if isinstance(item, Table) else [None]
        if rule.kind == "current_row":
            self._current_row(form, rule)
            return
        for key in keys:
            target = ref_name(form.id, rule.field, key)
            if breaks(rule, form, key, self.values, self.as_of, self.config):
                sheet, address = self.where.get(target, (form.sheet, ""))
                self.findings.append(Finding(
                    code=rule.code, severity=rule.severity, message=rule.message, file=self.name, sheet=sheet,
                    cell=address, field=self._field_label(form, rule.field, key), value=_shown(self.values.get(target, "")),
                    partnership=self.meta.get("partnership_id", ""), form=form.title, hint=rule.message))

    def _current_row(self, form: Form, rule: Rule) -> None:
        last = unfilled_current_row(rule, form, self.values)
        if last is not None:
            table = form.item(rule.field.partition(".")[0])
            sheet, address = self.where.get(last, (form.sheet, ""))
            self.findings.append(Finding(
                code=rule.code, severity=rule.severity, message=rule.message, file=self.name, sheet=sheet, cell=address,
                field=table.label, partnership=self.meta.get("partnership_id", ""), form=form.title, hint=rule.message))

    def _field_label(self, form: Form, ref: str, key: str | None) -> str:
        item_id, _, column = ref.partition(".")
        item = form.item(item_id)
        if isinstance(item, Table):
            return f"{item.row_label(key or '')}: {item.column(column).label}"
        return item.label


def _used_rows(sheet_layout: lay.SheetLayout, raw: dict[str, Any]) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for cell in sheet_layout.inputs:
        if cell.table is not None and not _empty(raw.get(cell.name)):
            used.setdefault(cell.table.id, set()).add(cell.row_key or "")
    return used


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
