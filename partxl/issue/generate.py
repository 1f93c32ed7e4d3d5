"""Write the locked, pre-filled workbooks that officers fill in: one per partnership.

Each workbook has a "Start here" sheet, one protected sheet per form (only answer cells
unlocked, each with a workbook-level defined name, Excel validation and an input message),
and a hidden ``_partxl`` sheet holding the dropdown lists and the signed metadata.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from partxl.config import Config
from partxl.errors import PartxlError
from partxl.files import replace_keeping_copy, safe_filename
from partxl.findings import Code, Finding, errors
from partxl.forms import contract
from partxl.forms import layout as lay
from partxl.forms.definitions import Field, Form, Spec, Table, WorkbookKind
from partxl.forms.fieldtypes import DATE_MIN, TYPES
from partxl.forms.names import cell_name, ref_name
from partxl.issue.metadata import META_SHEET, Metadata, make_issue_id, sign
from partxl.register.model import CEASED_SHEET, OWES_NOTHING, PROPOSED_SHEET, Record, stage
from partxl.register.read import read_register
from partxl.workers import ordered_map
from partxl.xlsx import BOOK_OPTIONS, LockedWorkbook, wrapped_height, write_value
from partxl.xlsx.sheets import (
    BOOK_FONT,
    FONT,
    GREY,
    HEADING,
    NAVY,
    PAGE_OF,
    SCORE_FILLS,
    WHITE,
    YELLOW,
    across,
    header_text,
    print_setup,
    with_language,
)

START_SHEET = "Start here"
NEW_ID = "NEW"
SCORE_COLOURS = SCORE_FILLS  # as the committee summary colours them: told apart in greyscale too
PROTECT_OPTIONS = {"select_locked_cells": True, "select_unlocked_cells": True, "format_rows": True}


class GenerateError(PartxlError):
    """Generation could not go on (an Excel limit or an xlsxwriter refusal): a bug or a definition to fix."""


@dataclass
class GenerateResult:
    """What ``generate`` did: each file with its outcome, and what it noticed on the way."""

    files: dict[Path, str] = field(default_factory=dict)  # path -> written / unchanged / superseded
    findings: list[Finding] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.files.values() if o == outcome)

    @property
    def ok(self) -> bool:
        """No finding of severity error (a register row without an ID, say)."""
        return not errors(self.findings)

    def to_dict(self) -> dict[str, Any]:
        """What ``partxl generate --json`` prints."""
        return {"files": {str(p): o for p, o in self.files.items()}, "findings": [f.as_dict() for f in self.findings]}


def generate(config: Config, spec: Spec, out_dir: Path, register: Path | None = None, *,
             blank: bool = False, only: tuple[str, ...] = (), force: bool = False) -> GenerateResult:
    """Write a workbook for every partnership in the register (or those in ``only``), and a blank one if asked.

    A consolidated register of this very cycle is refused unless ``force``: rolling forward needs the next
    cycle's name and deadline in the configuration first, or every workbook is issued again for the same cycle.
    """
    config.signing_key()  # no workbook is issued that anyone could have signed
    reg = read_register(register or config.register, spec, config)
    if reg.returns_of and reg.returns_of == config.cycle and not force:
        raise GenerateError(f"{reg.path} already holds the returns of the {config.cycle} cycle: to roll forward, set the next "
                            "cycle's [cycle] name and deadline in partxl.toml first; to issue this cycle's workbooks "
                            "again from it, run generate with --force")
    result = GenerateResult(findings=list(reg.findings))
    wanted = {o.casefold() for o in only}
    jobs: list[tuple[Path, str, Record]] = []
    for record in reg.records:
        if wanted and record.id.casefold() not in wanted:
            continue
        kind = _kind_for(record, spec)
        if kind is None:
            code = Code.PROPOSAL_NOT_ISSUED if stage(record) == PROPOSED_SHEET else Code.CLOSED_NOT_ISSUED
            result.findings.append(code.at(file=str(reg.path), partnership=record.id))
            continue
        officer = str(record.get(contract.LEAD_OFFICER.cell, "") or "")
        if officer and config.officer(officer) is None:
            result.findings.append(Code.REGISTER_UNKNOWN_OFFICER.at(file=str(reg.path), partnership=record.id,
                                                                    field="Lead officer", value=officer))
        name = str(record.get(contract.NAME.cell, "") or record.id)
        target = _unused(out_dir, safe_filename(f"{record.id} {name}"), result.files)
        result.files[target] = "pending"
        jobs.append((target, kind.id, record))
    for (target, _, _), data in zip(jobs, _build_many(config, spec, jobs), strict=True):
        result.files[target] = replace_keeping_copy(target, data)
    if blank:
        target = out_dir / "New partnership proposal.xlsx"
        result.files[target] = replace_keeping_copy(target, build_workbook(config, spec.workbooks["proposal"], Record(NEW_ID)))
    return result


def saved_since_issued(path: Path) -> bool:
    """Whether ``path`` is a workbook partxl issued (it holds the issue details sheet) that a spreadsheet program has
    saved since: a return, or one being filled in.

    :func:`build_workbook` writes a workbook's modified time equal to its created time (the issue date); Excel,
    LibreOffice and Gnumeric set it to when they save. This is evidence for the guard on where workbooks are issued
    (see ``Workspace.generate``), never a check of a return: what cannot be read as such says no.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            book, core = (_small_xml(archive, part) for part in ("xl/workbook.xml", "docProps/core.xml"))
    except (OSError, zipfile.BadZipFile, KeyError, RuntimeError, ValueError, EOFError):
        return False
    if book is None or core is None:
        return False
    sheets = {e.get("name") for e in book.iter() if e.tag.rsplit("}", 1)[-1] == "sheet"}
    stamps = {e.tag.rsplit("}", 1)[-1]: (e.text or "").strip() for e in core.iter()}
    return META_SHEET in sheets and stamps.get("created") != stamps.get("modified")


def _small_xml(archive: zipfile.ZipFile, part: str, most: int = 1 << 20) -> Any:
    """One part of a workbook parsed, or None when it is larger than an issued workbook's, declares a DTD or is not XML."""
    from xml.etree import ElementTree

    with archive.open(part) as handle:
        data = handle.read(most + 1)
    if len(data) > most or b"<!DOCTYPE" in data.upper():
        return None
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return None


def _build(shared: dict[str, Any], kind: str, record: Record) -> bytes:
    return build_workbook(shared["config"], shared["spec"].workbooks[kind], record)


def _build_many(config: Config, spec: Spec, jobs: list[tuple[Path, str, Record]]) -> Iterator[bytes]:
    """Workbook bytes in order, built on every core when there are enough of them (xlsxwriter is CPU-bound)."""
    yield from ordered_map(_build, [(kind, record) for _, kind, record in jobs], {"config": config, "spec": spec})


def _kind_for(record: Record, spec: Spec) -> WorkbookKind | None:
    """Roll forward: the annual return, the evaluation for a ceased partnership, nothing for a closed one nor for a
    proposal SMT has not agreed yet."""
    where = stage(record)
    if where in OWES_NOTHING:
        return None
    if where == CEASED_SHEET:
        record.values.setdefault(contract.EVALUATION_REASON.cell, contract.CONCLUDED)
        return spec.workbooks["ended"]
    return spec.workbooks["annual"]


def _unused(out_dir: Path, stem: str, taken: dict[Path, str]) -> Path:
    """``stem.xlsx``, or ``stem (2).xlsx`` … when ids that differ only in unsafe characters made the same name."""
    used = {p.name.casefold() for p in taken}
    candidate, n = f"{stem}.xlsx", 1
    while candidate.casefold() in used:
        n += 1
        candidate = f"{stem} ({n}).xlsx"
    return out_dir / candidate


def metadata_for(config: Config, kind: WorkbookKind, record: Record) -> Metadata:
    forms = ",".join(f"{f.id}@{f.version}" for f in kind.forms)
    officer_name = str(record.get(contract.LEAD_OFFICER.cell, "") or "")
    officer = config.officer(officer_name) if officer_name else None
    return Metadata(  # cleaned: the workbook shows, and is signed with, what a reader will read back
        workbook=kind.id, forms=forms, partnership_id=record.id,
        partnership_name=str(record.get(contract.NAME.cell, "") or ""),
        council=config.council, cycle=config.cycle,
        issued_to=officer.name if officer else officer_name, issued_to_email=officer.email if officer else "",
        issued_date=config.issue_date.isoformat(), deadline=config.deadline.isoformat(),
        issue_id=make_issue_id(record.id, config.cycle, config.issue_date, forms),
    ).cleaned()


def build_workbook(config: Config, kind: WorkbookKind, record: Record) -> bytes:
    """The workbook for one partnership, as bytes (the same inputs always give the same bytes)."""
    buffer = io.BytesIO()
    book = LockedWorkbook(buffer, {**BOOK_OPTIONS, **BOOK_FONT, "in_memory": True}, structure_password=config.protection_password)
    meta = metadata_for(config, kind, record)
    book.set_properties({
        "title": f"{kind.title}: {meta.partnership_name or 'new partnership'}",
        "subject": f"Partnership return {config.cycle}", "author": config.council, "company": config.council,
        "category": "partxl partnership return", "keywords": f"partxl, {meta.partnership_id}",
        "created": _datetime(config.issue_date),
    })
    styles = _Styles(book)
    start = book.add_worksheet(START_SHEET)
    layouts = [lay.layout_form(form) for form in kind.forms]  # cached: the same for every partnership
    values = dict(record.values)
    for sheet_layout in layouts:
        values.update(lay.evaluate_all(sheet_layout.form, values, config))
    hidden = book.add_worksheet(META_SHEET)
    lists = _write_lists(book, hidden, kind, config)
    for sheet_layout in layouts:
        _FormWriter(book, styles, config, sheet_layout, meta, values, lists).write()
    _write_start(start, styles, config, kind, meta, layouts, values)
    _write_metadata(hidden, styles, meta, config)
    hidden.very_hidden()
    hidden.protect(config.protection_password)
    start.activate()
    book.close()
    return with_language(buffer.getvalue(), config.language)


class _Styles:
    """Every cell format, made once per workbook."""

    def __init__(self, book: Any):
        add = book.add_format
        base = {**FONT, "text_wrap": True}
        self.title = add({**base, "bold": True, "font_size": 15, "font_color": NAVY, "text_wrap": False})
        self.subtitle = add({**base, "italic": True, "font_color": "#404040", "text_wrap": False})
        self.text = add(base)
        self.line = add({**base, "text_wrap": False})  # a line running on across its row (rows are never merged)
        self.small = add({**base, "font_size": 9, "italic": True, "font_color": "#595959"})
        self.small_line = add({**base, "font_size": 9, "italic": True, "font_color": "#595959", "text_wrap": False})
        self.label = add({**base, "bg_color": GREY, "border": 1, "border_color": "#BFBFBF"})
        self.section = add({**base, "bold": True, "font_color": WHITE, "bg_color": NAVY, "valign": "vcenter", "text_wrap": False})
        self.colhead = add({**base, **HEADING})
        self.guidance = add({**base, "font_size": 9, "font_color": "#595959", "border": 1, "border_color": "#D9D9D9"})
        self.computed = add({**base, "bold": True, "bg_color": GREY, "border": 1, "border_color": "#BFBFBF"})
        self.money_fixed = add({**base, "bg_color": GREY, "border": 1, "border_color": "#BFBFBF", "num_format": TYPES["money"].num_format})
        self.key = add({**base, "bold": True})
        self.deadline = add({**base, "bold": True, "font_color": "#C00000", "num_format": "dddd d mmmm yyyy", "align": "left"})
        self.date_long = add({**base, "num_format": "d mmmm yyyy", "align": "left"})
        self.count = add({**base, "bold": True, "align": "center", "border": 1, "border_color": "#BFBFBF"})
        self.required = add({"bg_color": YELLOW})
        self.scores = {s: add({"bg_color": c}) for s, c in SCORE_COLOURS.items()}
        self.inputs = {name: add({**base, "locked": False, "border": 1, "border_color": "#7F7F7F",
                                  "num_format": t.num_format or "@" if name in ("text", "longtext", "choice", "yesno") else t.num_format,
                                  "align": "center" if name == "score" else "left"})
                       for name, t in TYPES.items()}


def _write_lists(book: Any, hidden: Any, kind: WorkbookKind, config: Config) -> dict[str, str]:
    """Dropdown lists on the hidden sheet (Excel caps a list typed into the validation at 255 characters)."""
    lists: dict[str, str] = {}
    col = 4
    for form in kind.forms:
        for fld, name in _choice_fields(form):
            values = fld.choices or config.choice_list(fld.choices_from or "")
            list_name = f"list_{fld.choices_from}" if fld.choices_from else f"list_{name}"
            if list_name in lists.values():
                lists[name] = list_name
                continue
            hidden.write_string(0, col, list_name)
            for i, value in enumerate(values, start=1):
                hidden.write_string(i, col, value)
            end = xl_rowcol_to_cell(max(len(values), 1), col, True, True)
            book.define_name(list_name, f"='{META_SHEET}'!{xl_rowcol_to_cell(1, col, True, True)}:{end}")
            lists[name] = list_name
            col += 1
    return lists


def _choice_fields(form: Form) -> list[tuple[Field, str]]:
    found = []
    for item in form.items():
        if isinstance(item, Table):
            found += [(c, cell_name(form.id, item.id) + "_" + c.id) for c in item.columns if c.type == "choice"]
        elif item.type == "choice":
            found.append((item, cell_name(form.id, item.id)))
    return found


class _FormWriter:
    """Draws one form's sheet from its layout."""

    def __init__(self, book: Any, styles: _Styles, config: Config, sheet_layout: lay.SheetLayout,
                 meta: Metadata, values: dict[str, Any], lists: dict[str, str]):
        self.book, self.s, self.config, self.layout = book, styles, config, sheet_layout
        self.form, self.meta, self.values, self.lists = sheet_layout.form, meta, values, lists
        self.sheet = book.add_worksheet(self.form.sheet)

    def write(self) -> None:
        sheet, last = self.sheet, self.layout.last_col
        for col, width in self.layout.widths.items():
            sheet.set_column(col, col, width)
        for row, height in self.layout.heights.items():
            sheet.set_row(row, height)
        for placed in self.layout.placed:
            self._place(placed, last)
        groups: dict[str, list[lay.InputCell]] = {}
        for cell in self.layout.inputs:
            self._input(cell)
            groups.setdefault(json.dumps(self._validation(cell), sort_keys=True, default=str), []).append(cell)
        for key, cells in groups.items():  # one rule over every cell that shares it: smaller and faster to write
            rule = json.loads(key)
            if self._apply(self.sheet.data_validation, cells, rule) != 0:
                raise GenerateError(f"{self.form.path.name}: field {cells[0].name}: Excel refused its validation {rule}")
        self._apply(self.sheet.conditional_format, [c for c in self.layout.inputs if c.required],
                    {"type": "blanks", "format": self.s.required})
        scores = [c for c in self.layout.inputs if c.field.type == "score"]
        for score, fmt_score in self.s.scores.items():
            self._apply(self.sheet.conditional_format, scores, {"type": "cell", "criteria": "==", "value": score, "format": fmt_score})
        self._rules()
        self._print_setup()
        sheet.protect(self.config.protection_password, PROTECT_OPTIONS)

    def _place(self, p: lay.Placed, last: int) -> None:
        sheet, s = self.sheet, self.s
        wide = {"title": s.title, "subtitle": s.subtitle, "intro": s.line, "legend": s.small_line, "section": s.section,
                "note": s.small_line}
        if p.role in wide:  # one line across the form's width: not merged (screen readers trip on merged cells)
            across(sheet, p.row, 0, last, p.value if p.role != "subtitle" else self._subtitle(), wide[p.role])
            return
        if p.role == "threshold":
            sheet.write_number(p.row, p.col, self.config.thresholds[p.value], s.money_fixed)
        elif p.role == "explain" and p.computed is not None:
            sheet.write_string(p.row, p.col, lay.explain(p.computed, self.form, self.config), s.guidance)
        elif p.role == "computed" and p.computed is not None:
            cached = self.values.get(p.name or "", "")
            sheet.write_formula(p.row, p.col, lay.formula(p.computed, self.form, self.config), s.computed, cached)
        else:
            style = {"label": s.label, "rowlabel": s.label, "rowtext": s.label, "colhead": s.colhead,
                     "guidance": s.guidance}[p.role]
            sheet.write_string(p.row, p.col, p.value, style)
        if p.name:
            self.book.define_name(p.name, f"='{self.form.sheet}'!{xl_rowcol_to_cell(p.row, p.col, True, True)}")

    def _subtitle(self) -> str:
        return f"{self.meta.heading()} · {self.config.council} · {self.config.cycle} · {self.form.source}"

    def _input(self, cell: lay.InputCell) -> None:
        sheet, fmt = self.sheet, self.s.inputs[cell.field.type]
        write_value(sheet, cell.row, cell.col, self.values.get(cell.name), fmt)
        self.book.define_name(cell.name, f"='{self.form.sheet}'!{xl_rowcol_to_cell(cell.row, cell.col, True, True)}")

    @staticmethod
    def _apply(method: Any, cells: list[lay.InputCell], options: dict[str, Any]) -> int:
        """Apply a validation or conditional format to several cells at once (Excel's multi-range sqref)."""
        if not cells:
            return 0
        first = cells[0]
        spread = " ".join(c.a1 for c in cells)
        return method(first.row, first.col, first.row, first.col, {**options, "multi_range": spread} if len(cells) > 1 else options)

    def _when_blank(self, cell: lay.InputCell, condition: str) -> None:
        self.sheet.conditional_format(cell.row, cell.col, cell.row, cell.col, {
            "type": "formula", "criteria": f"=AND({condition},LEN({xl_rowcol_to_cell(cell.row, cell.col, True, True)})=0)",
            "format": self.s.required})

    def _validation(self, cell: lay.InputCell) -> dict[str, Any]:
        fld = cell.field
        source = None
        if fld.type == "choice":
            source = "=" + self.lists[cell.name if cell.table is None else cell_name(self.form.id, cell.table.id) + "_" + fld.id]
        return TYPES[fld.type].validation(fld, source=source, earliest=self._not_before(cell))

    def _not_before(self, cell: lay.InputCell) -> str | None:
        """The Excel side of a not_before rule: the other date becomes this cell's earliest allowed date."""
        for rule in self.form.rules:
            if rule.kind == "not_before" and rule.other and ref_name(self.form.id, rule.field, cell.row_key) == cell.name:
                return f"=MAX(DATE({DATE_MIN.year},1,1),{ref_name(self.form.id, rule.other, cell.row_key)})"
        return None

    def _rules(self) -> None:
        """Mark answers required only sometimes (a used row's columns, required_if rules) yellow while they are needed."""
        for requirement in lay.requirements(self.layout):
            if requirement.condition is not None:
                self._when_blank(requirement.cell, requirement.condition)

    def _print_setup(self) -> None:
        sheet, c = self.sheet, self.config
        widths = [self.layout.widths.get(col, 8.43) for col in range(self.layout.last_col + 1)]
        print_setup(sheet, repeat=(0, 1), widths=widths, repeat_columns=1)
        sheet.set_header(header_text(left=c.council, centre=self.form.title, right=f"Partnership return {c.cycle}"))
        sheet.set_footer(header_text(left=self.meta.partnership_name or "New partnership proposal", right=PAGE_OF))
        sheet.hide_gridlines(2)


def _write_metadata(hidden: Any, s: _Styles, meta: Metadata, config: Config) -> None:
    hidden.write_string(0, 0, "key", s.key)
    hidden.write_string(0, 1, "value", s.key)
    entries = meta.entries() + [("signature", sign(meta, config.signing_key()))]
    for row, (key, value) in enumerate(entries, start=1):
        hidden.write_string(row, 0, key)
        hidden.write_string(row, 1, value)
    hidden.set_column(0, 0, 18)
    hidden.set_column(1, 1, 70)


def _write_start(sheet: Any, s: _Styles, config: Config, kind: WorkbookKind, meta: Metadata,
                 layouts: list[lay.SheetLayout], values: dict[str, Any]) -> None:
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 62)
    sheet.set_column(2, 2, 22)
    sheet.hide_gridlines(2)
    sheet.write_string(0, 0, config.council, s.subtitle)
    sheet.write_string(1, 0, f"{kind.title} {config.cycle}", s.title)
    sheet.set_row(1, 24)
    proposal = kind.id == "proposal"
    facts = [
        ("Partnership", f"{meta.partnership_name} ({meta.partnership_id})" if not proposal else "A new partnership you propose"),
        ("Responsible officer", f"{meta.issued_to} <{meta.issued_to_email}>" if meta.issued_to_email else (meta.issued_to or "—")),
    ]
    row = 3
    for key, value in facts:
        sheet.write_string(row, 0, key, s.key)
        sheet.write_string(row, 1, value, s.text)
        row += 1
    sheet.write_string(row, 0, "Return it by", s.key)
    sheet.write_datetime(row, 1, _datetime(config.deadline), s.deadline)
    sheet.write_string(row + 1, 0, "Issued", s.key)
    sheet.write_datetime(row + 1, 1, _datetime(config.issue_date), s.date_long)
    row += 3
    across(sheet, row, 0, 2, "What to do", s.section)
    steps = _steps(config, kind)
    for number, step in enumerate(steps, start=1):
        row += 1
        sheet.write_string(row, 0, f"Step {number}", s.key)
        across(sheet, row, 1, 2, step, s.text)  # wrapped within column B: rows are never merged
        sheet.set_row(row, wrapped_height([(step, 62)]) + 3)
    row += 2
    across(sheet, row, 0, 2, "The sheets of this workbook", s.section)
    row += 1
    sheet.write_row(row, 0, ["Sheet", "What it is", "Answers still needed"], s.colhead)
    for sheet_layout in layouts:
        row += 1
        form = sheet_layout.form
        sheet.write_string(row, 0, form.sheet, s.label)
        sheet.write_string(row, 1, f"{form.title} ({form.source})", s.label)
        sheet.set_row(row, wrapped_height([(f"{form.title} ({form.source})", 62)]))  # a wrapped title shown whole
        sheet.write_formula(row, 2, lay.required_empty_formula(sheet_layout), s.count,
                            lay.required_empty_count(sheet_layout, values))
    row += 2
    across(sheet, row, 0, 2, f"Questions? Contact {config.mio_name}, {config.mio_email}.", s.line)
    row += 1
    note = ("Please do not rename, add, move or delete sheets, rows or columns, and do not copy answers "
            "into another partnership's workbook: partxl checks that the workbook is the one issued.")
    across(sheet, row, 0, 2, note[:note.index(", and") + 1], s.small_line)  # two lines, a row each
    across(sheet, row + 1, 0, 2, note[note.index(", and") + 2:], s.small_line)
    sheet.conditional_format(row - 3 - len(layouts), 2, row - 3, 2,
                             {"type": "cell", "criteria": ">", "value": 0, "format": s.required})
    print_setup(sheet, landscape=False, widths=[28, 62, 22])
    sheet.set_header(header_text(left=config.council, right=f"Partnership return {config.cycle}"))
    sheet.set_footer(header_text(right=PAGE_OF, size=None))
    sheet.protect(config.protection_password, PROTECT_OPTIONS)


def _steps(config: Config, kind: WorkbookKind) -> list[str]:
    deadline = config.deadline.strftime("%A %d %B %Y").replace(" 0", " ")
    return [step.format(mio_name=config.mio_name, mio_email=config.mio_email, deadline=deadline) for step in kind.steps]


def _datetime(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())
