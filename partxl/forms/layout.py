"""Where everything of a form goes on its sheet: a pure function of the form definition.

Generation draws what is placed here; reading compares the defined names it finds in a
returned workbook with the addresses computed here, so a sheet whose rows were moved is
noticed. Nothing here depends on a partnership's data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from xlsxwriter.utility import xl_rowcol_to_cell

from partxl.forms.definitions import Computed, Field, Form, Rule, Table
from partxl.forms.fieldtypes import TYPES
from partxl.forms.names import cell_name, ref_name
from partxl.forms.rules import as_text
from partxl.xlsx import wrapped_height

if TYPE_CHECKING:
    from partxl.config import Config

LABEL_COL, ANSWER_COL, GUIDANCE_COL = 0, 1, 2
LABEL_WIDTH, ANSWER_WIDTH, GUIDANCE_WIDTH = 44, 60, 46
FIRST_BODY_ROW = 4
LINE_HEIGHT = 15


@dataclass(frozen=True)
class InputCell:
    """One cell an officer types into, with the field that describes it."""

    name: str
    form: Form
    field: Field
    row: int
    col: int
    table: Table | None = None
    row_key: str | None = None

    @cached_property  # asked for every answer of every return read
    def a1(self) -> str:
        return xl_rowcol_to_cell(self.row, self.col)

    @cached_property
    def label(self) -> str:
        """What findings call the answer: a table's cells name their row too."""
        if self.table is None:
            return self.field.label
        return f"{self.table.row_label(self.row_key or '')}: {self.field.label}"

    @property
    def required(self) -> bool:
        """Always-required cells; a repeating row's columns are required only once the row is used."""
        if self.table is None or self.table.fixed:
            return self.field.required
        return self.field.required and int(self.row_key or 0) <= self.table.min_rows


@dataclass(frozen=True)
class Placed:
    """A fixed piece of the sheet: a title, label, guidance text, heading or formula."""

    row: int
    col: int
    role: str
    value: Any = None
    name: str | None = None
    computed: Computed | None = None

    @property
    def a1(self) -> str:
        return xl_rowcol_to_cell(self.row, self.col)


@dataclass
class SheetLayout:
    form: Form
    placed: list[Placed] = field(default_factory=list)
    inputs: list[InputCell] = field(default_factory=list)
    heights: dict[int, float] = field(default_factory=dict)
    widths: dict[int, int] = field(default_factory=dict)
    header_rows: tuple[int, int] = (0, 1)

    @property
    def last_col(self) -> int:
        return max(self.widths)

    @property
    def by_name(self) -> dict[str, InputCell]:
        return {cell.name: cell for cell in self.inputs}

    def place(self, row: int, col: int, role: str, value: Any = None, **kw: Any) -> None:
        self.placed.append(Placed(row, col, role, value, **kw))

    def widen(self, col: int, width: int) -> None:
        self.widths[col] = max(self.widths.get(col, 0), width)

    def fit(self, row: int, *texts_and_widths: tuple[str, float], minimum: float = 20) -> None:
        """Give ``row`` enough height for wrapped text: a rough count of lines is enough for print."""
        self.heights[row] = max(wrapped_height(texts_and_widths, LINE_HEIGHT, minimum), self.heights.get(row, 0))


_LAYOUTS: dict[int, tuple[Form, SheetLayout]] = {}


def layout_form(form: Form) -> SheetLayout:
    """Where everything of ``form`` goes on its sheet: ``placed`` (titles, labels, guidance, formulas) and ``inputs``
    (every answer cell, in sheet order, with its defined name). Worked out once per loaded form."""
    cached = _LAYOUTS.get(id(form))
    if cached is None or cached[0] is not form:
        cached = _LAYOUTS[id(form)] = (form, _layout(form))
    return cached[1]


def _layout(form: Form) -> SheetLayout:
    sheet = SheetLayout(form)
    sheet.widen(LABEL_COL, LABEL_WIDTH)
    sheet.place(0, 0, "title", form.title)
    sheet.place(1, 0, "subtitle")
    sheet.place(2, 0, "intro", form.intro)
    sheet.fit(2, (form.intro, 2 * (LABEL_WIDTH + ANSWER_WIDTH)))
    sheet.place(3, 0, "legend", "Yellow: an answer is still needed.   White: your answer.   Grey: fixed text.")
    row = FIRST_BODY_ROW
    for section in form.sections:
        sheet.place(row, 0, "section", section.title)
        sheet.heights[row] = 22
        row += 1
        for item in section.items:
            row = _place_table(sheet, item, row) if isinstance(item, Table) else _place_field(sheet, item, row)
    if form.computed:
        row = _place_computed(sheet, row)
    return sheet


def _place_field(sheet: SheetLayout, fld: Field, row: int) -> int:
    name = cell_name(sheet.form.id, fld.id)
    sheet.widen(ANSWER_COL, ANSWER_WIDTH)
    sheet.widen(GUIDANCE_COL, GUIDANCE_WIDTH)
    sheet.place(row, LABEL_COL, "label", fld.label + (" *" if fld.required else ""))
    sheet.inputs.append(InputCell(name, sheet.form, fld, row, ANSWER_COL))
    sheet.place(row, GUIDANCE_COL, "guidance", fld.help)
    sheet.fit(row, (fld.label, LABEL_WIDTH), (fld.help, GUIDANCE_WIDTH * 1.2),
              minimum=60 if TYPES[fld.type].tall else 20)
    for choice, meaning in fld.choice_help:  # what each answer means, a row each: read in order, and printable
        row += 1
        sheet.place(row, LABEL_COL, "rowlabel", choice)
        sheet.place(row, ANSWER_COL, "rowtext", meaning)
        sheet.fit(row, (choice, LABEL_WIDTH), (meaning, ANSWER_WIDTH))
    return row + 1


def _place_table(sheet: SheetLayout, table: Table, row: int) -> int:
    first = ANSWER_COL
    sheet.place(row, LABEL_COL, "colhead", table.row_header or table.label)
    if table.fixed and any(r.text for r in table.rows):  # type: ignore[union-attr]
        sheet.place(row, ANSWER_COL, "colhead", table.text_header)
        sheet.widen(ANSWER_COL, ANSWER_WIDTH)
        first = ANSWER_COL + 1
    for offset, column in enumerate(table.columns):
        sheet.place(row, first + offset, "colhead", column.label + (" *" if column.required else ""))
        sheet.widen(first + offset, TYPES[column.type].width)
    sheet.fit(row, *((c.label + " *", TYPES[c.type].width) for c in table.columns))
    row += 1
    for key in table.row_keys():
        label = table.row_label(key)
        sheet.place(row, LABEL_COL, "rowlabel", label)
        texts = [(label, LABEL_WIDTH)]
        if first > ANSWER_COL:
            text = next(r.text for r in table.rows if r.id == key)  # type: ignore[union-attr]
            sheet.place(row, ANSWER_COL, "rowtext", text)
            texts.append((text, ANSWER_WIDTH))
        for offset, column in enumerate(table.columns):
            name = cell_name(sheet.form.id, table.id, key, column.id)
            sheet.inputs.append(InputCell(name, sheet.form, column, row, first + offset, table, key))
        tall = any(TYPES[c.type].tall for c in table.columns)
        sheet.fit(row, *texts, minimum=45 if tall else 20)
        row += 1
    if table.help:
        sheet.place(row, LABEL_COL, "note", table.help)
        row += 1
    return row


def _place_computed(sheet: SheetLayout, row: int) -> int:
    form = sheet.form
    sheet.place(row, 0, "section", "Worked out for you")
    sheet.heights[row] = 22
    row += 1
    for threshold in sorted({c.threshold for c in form.computed if c.threshold}):
        sheet.place(row, LABEL_COL, "label", f"Threshold set by the Council ({threshold.replace('_', ' ')})")
        sheet.place(row, ANSWER_COL, "threshold", threshold, name=f"cfg_{threshold}")
        sheet.place(row, GUIDANCE_COL, "guidance", "From the Council's partxl configuration; it cannot be changed here.")
        sheet.fit(row, ("", LABEL_WIDTH))
        row += 1
    for comp in form.computed:
        sheet.place(row, LABEL_COL, "label", comp.label)
        sheet.place(row, ANSWER_COL, "computed", comp, name=cell_name(form.id, comp.id), computed=comp)
        sheet.place(row, GUIDANCE_COL, "explain", comp, computed=comp)  # its text depends on the configuration
        sheet.fit(row, (comp.label, LABEL_WIDTH), ("x" * 160, GUIDANCE_WIDTH))
        row += 1
    return row


# ---------------------------------------------------------------- computed values


def _ref(form: Form, ref: str) -> str:
    """The cell a computed value reads: one of its own form's answers, or another form's (``form:name``)."""
    return ref_name(form.id, ref)


def fields_of(comp: Computed, settings: Config) -> tuple[str, ...]:
    """The answers an any_yes value looks at: listed in the form, or named by a setting ([policy] significant_if)."""
    return comp.fields or tuple(getattr(settings, comp.fields_from or ""))


def formula(comp: Computed, form: Form, settings: Config) -> str:
    """The Excel formula of a computed value; :func:`evaluate` is its twin in Python."""
    if comp.kind == "at_least":
        f, t = _ref(form, comp.field or ""), f"cfg_{comp.threshold}"
        return f'=IF(ISNUMBER({f}),IF({f}>={t},"Yes","No"),"")'
    terms = ",".join(f'{_ref(form, f)}="Yes"' for f in fields_of(comp, settings))
    return f'=IF(OR({terms}),"Yes","No")'


def evaluate(comp: Computed, form: Form, values: dict[str, Any], settings: Config) -> str:
    """What :func:`formula` gives for ``values`` (keyed by cell name), for cached values and the register."""
    if comp.kind == "at_least":
        value = values.get(_ref(form, comp.field or ""))
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return ""
        return "Yes" if value >= settings.thresholds[comp.threshold or ""] else "No"
    return "Yes" if any(values.get(_ref(form, f)) == "Yes" for f in fields_of(comp, settings)) else "No"


def evaluate_all(form: Form, values: dict[str, Any], settings: Config) -> dict[str, str]:
    """Every computed value of ``form`` in order, later ones seeing earlier ones."""
    seen = dict(values)
    for comp in form.computed:
        seen[cell_name(form.id, comp.id)] = evaluate(comp, form, seen, settings)
    return {cell_name(form.id, c.id): seen[cell_name(form.id, c.id)] for c in form.computed}


def explain(comp: Computed, form: Form, settings: Config) -> str:
    """How a worked-out value is worked out, in the words of the sheet (the Guidance column beside it)."""
    if comp.kind == "at_least":
        label = form.label_of(comp.field or "")
        return f"Yes when '{label}' is at or above the threshold."
    names = [form.label_of(f) if ":" not in f else f for f in fields_of(comp, settings)]
    source = " (set in the Council's partxl configuration)" if comp.fields_from else ""
    return f"Yes when any of these is Yes{source}: " + "; ".join(names)


# ---------------------------------------------------------------- what is required, and when


@dataclass(frozen=True)
class Requirement:
    """An answer that must be given: always, once its row of a repeating table is used, or when another answer says so.

    The workbook's yellow cells, the Start here count of answers still needed and the checker's MISSING
    findings all follow from these, so an officer who sees 0 on Start here has nothing required left.
    """

    cell: InputCell
    row: tuple[InputCell, ...] = ()  # a repeating row: required once any of these is filled
    when: str | None = None  # the cell name of the answer a required_if rule depends on …
    equals: str = ""  # … and the answer that makes this one required

    @property
    def condition(self) -> str | None:
        """The Excel condition under which the answer is required (None: always)."""
        if self.row:
            first, last = self.row[0], self.row[-1]
            return f"COUNTA({xl_rowcol_to_cell(first.row, first.col, True, True)}:{xl_rowcol_to_cell(last.row, last.col, True, True)})>0"
        if self.when is not None:
            return equals_formula(self.when, self.equals)
        return None

    def applies(self, values: dict[str, Any]) -> bool:
        """Whether the answer is required, given the answers (by cell name) so far."""
        if self.row:
            return any(values.get(c.name) not in (None, "") for c in self.row)
        if self.when is not None:
            return as_text(values.get(self.when)) == self.equals
        return True


def requirements(sheet: SheetLayout) -> list[Requirement]:
    """Every requirement of a form's answers, in the order of its sheet; worked out once per loaded form."""
    cached = _REQUIREMENTS.get(id(sheet))
    if cached is None or cached[0] is not sheet:
        cached = _REQUIREMENTS[id(sheet)] = (sheet, _requirements(sheet))
    return cached[1]


_REQUIREMENTS: dict[int, tuple[SheetLayout, list[Requirement]]] = {}


def _requirements(sheet: SheetLayout) -> list[Requirement]:
    found: list[Requirement] = []
    rows: dict[tuple[str, str], tuple[InputCell, ...]] = {}
    for cell in sheet.inputs:
        if cell.table is not None:
            rows.setdefault((cell.table.id, cell.row_key or ""), ())
            rows[(cell.table.id, cell.row_key or "")] += (cell,)
    for cell in sheet.inputs:
        if cell.required:
            found.append(Requirement(cell))
        elif cell.table is not None and cell.field.required:  # a repeating row's column, once the row is used
            found.append(Requirement(cell, row=rows[(cell.table.id, cell.row_key or "")]))
    by_name = sheet.by_name
    for rule in sheet.form.rules:
        if rule.kind != "required_if" or ":" in (rule.when_field or ""):  # another form's answer may not be in the workbook
            continue
        for target, condition in rule_pairs(rule, sheet.form):
            if target in by_name and not by_name[target].required:
                found.append(Requirement(by_name[target], when=condition, equals=rule.when_equals or ""))
    return found


def rule_pairs(rule: Rule, form: Form) -> list[tuple[str, str]]:
    """(target cell name, condition cell name) for each row a rule applies to."""
    item = form.item(rule.field.partition(".")[0])
    keys: list[str | None] = list(item.row_keys()) if isinstance(item, Table) else [None]
    return [(ref_name(form.id, rule.field, k), ref_name(form.id, rule.when_field or "", k)) for k in keys]


def equals_formula(cell: str, text: str) -> str:
    """An Excel comparison of ``cell`` with a rule's ``equals``: a number as a number (a score of 1 is not "1")."""
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return f"{cell}={text}"
    return f'{cell}="{text.replace(chr(34), chr(34) * 2)}"'


def required_empty_formula(sheet: SheetLayout) -> str:
    """A formula counting the required answers still empty (those required by other answers too), for Start here."""
    terms = [f"(LEN({r.cell.name})=0)" if r.condition is None else f"(({r.condition})*(LEN({r.cell.name})=0))"
             for r in requirements(sheet)]
    return "=" + "+".join(["0", *terms])


def required_empty_count(sheet: SheetLayout, values: dict[str, Any]) -> int:
    """What :func:`required_empty_formula` gives for ``values``: its cached value."""
    return sum(1 for r in requirements(sheet) if values.get(r.cell.name) in (None, "") and r.applies(values))
