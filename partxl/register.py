"""The register file: the wide list of partnerships that workbooks are pre-filled from.

Layout (what ``read_register`` expects and ``write_register`` writes):

- sheet ``Register``: one row per partnership; ``Partnership ID`` and ``Status`` columns, then
  one column per form field that has a ``register:`` heading in its definition;
- one sheet per table field with a ``register:`` heading (``Representatives``, ``Assessment``,
  ``Agreement``): ``Partnership ID``, ``Row`` (the row number, or the fixed row's label or id),
  then one column per table column, headed by its label.

Columns that are not form fields are ignored on reading, so a council's own register with
extra columns works, and so will the consolidated register.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .fieldtypes import TYPES, Unreadable
from .files import atomic_write
from .findings import Code, Finding
from .spec import Field, Form, Spec, Table, cell_name
from .xlsx import BOOK_OPTIONS, STREAM_FROM_ROWS, StreamingWorkbook, wrapped_height, write_value

MAIN_SHEET = "Register"
OTHER_ANSWERS = "Other answers"
CEASED_SHEET = "Ceased"  # ended, evaluation still to come back
CLOSED_SHEET = "Closed"  # ended and evaluated
ID_COLUMN = "Partnership ID"
STATUS_COLUMN = "Status"
ROW_COLUMN = "Row"


class RegisterError(Exception):
    """A register that cannot be used at all (missing, unreadable, no ID column)."""


@dataclass
class Record:
    """One partnership: its id, status and every known answer keyed by cell name."""

    id: str
    status: str = "Active"
    values: dict[str, Any] = field(default_factory=dict)
    returned: bool = False
    latest_return: dt.date | None = None
    source: str = ""

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


@dataclass
class RegisterFile:
    path: Path
    records: list[Record]
    findings: list[Finding]


def scalar_fields(spec: Spec) -> Iterator[tuple[Form, Field]]:
    """Fields with a register column, in form order."""
    for form in spec.ordered_forms():
        for item in form.items():
            if isinstance(item, Field) and item.register:
                yield form, item


def table_fields(spec: Spec) -> Iterator[tuple[Form, Table]]:
    for form in spec.ordered_forms():
        for item in form.items():
            if isinstance(item, Table) and item.register:
                yield form, item


def _key(text: Any) -> str:
    return " ".join(str(text).split()).casefold()


def _rows(book: Any, sheet: str) -> Iterator[list[Any]] | None:
    """The sheet's rows one at a time: a county register has millions of cells, never all held as Python objects."""
    if _key(sheet) not in {_key(n) for n in book.sheet_names}:
        return None
    actual = next(n for n in book.sheet_names if _key(n) == _key(sheet))
    return book.get_sheet_by_name(actual).iter_rows()


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_register(path: Path, spec: Spec, choices: dict[str, tuple[str, ...]]) -> RegisterFile:
    """Read ``path`` (xlsx, xlsm, xls or ods). ``choices`` maps a choices_from source to its values."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    if not path.is_file():
        raise RegisterError(f"{path}: no such register file")
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every kind of damage
        raise RegisterError(f"{path}: cannot be read as a spreadsheet ({exc})") from None
    main = _rows(book, MAIN_SHEET)
    header = next(main, None) if main is not None else None
    if not header:
        raise RegisterError(f"{path}: has no '{MAIN_SHEET}' sheet with a header row")
    reader = _Reader(path, spec, choices)
    records: dict[str, Record] = {}
    for sheet in (MAIN_SHEET, CEASED_SHEET, CLOSED_SHEET):
        rows = main if sheet == MAIN_SHEET else _rows(book, sheet)
        first = header if sheet == MAIN_SHEET else next(rows, None) if rows is not None else None
        if rows is not None and first:
            reader.main(first, rows, sheet, records)
    records_list = list(records.values())
    for form, table in table_fields(spec):
        rows = _rows(book, table.register or "")
        first = next(rows, None) if rows is not None else None
        if rows is not None and first:
            reader.table(form, table, first, rows, {r.id: r for r in records_list})
    return RegisterFile(path, records_list, reader.findings)


class _Reader:
    def __init__(self, path: Path, spec: Spec, choices: dict[str, tuple[str, ...]]):
        self.path, self.spec, self.choices = path, spec, choices
        self.findings: list[Finding] = []
        self._choice_keys: dict[int, dict[str, str]] = {}

    def main(self, first: list[Any], rows: Iterator[list[Any]], sheet: str, records: dict[str, Record]) -> None:
        """Read one sheet of partnerships (Register, Ceased or Closed) into ``records``."""
        header = [_key(h) for h in first]
        if _key(ID_COLUMN) not in header:
            raise RegisterError(f"{self.path}: the '{sheet}' sheet has no '{ID_COLUMN}' column in row 1")
        columns = {_key(f.register): (form, f) for form, f in scalar_fields(self.spec)}
        id_col = header.index(_key(ID_COLUMN))
        status_col = header.index(_key(STATUS_COLUMN)) if _key(STATUS_COLUMN) in header else None
        for number, row in enumerate(rows, start=2):
            if all(_empty(v) for v in row):
                continue
            pid = TYPES["text"].parse(row[id_col]) if not _empty(row[id_col]) else ""
            if not pid:
                self.findings.append(Code.REGISTER_MISSING_ID.at(file=str(self.path), sheet=sheet, row=number))
                continue
            if pid.casefold() in records:  # case-blind: P1 and p1 would be one file on Windows
                self.findings.append(Code.REGISTER_DUPLICATE_ID.at(file=str(self.path), sheet=sheet,
                                                                   partnership=pid, row=number))
                continue
            record = Record(pid, status=str(row[status_col]).strip() if status_col is not None and
                            not _empty(row[status_col]) else "Active")
            for col, heading in enumerate(header):
                if heading in columns and col < len(row) and not _empty(row[col]):
                    form, fld = columns[heading]
                    self.put(record, cell_name(form.id, fld.id), fld, row[col], sheet)
            self._return_columns(record, header, row)
            records[pid.casefold()] = record

    @staticmethod
    def _return_columns(record: Record, header: list[str], row: list[Any]) -> None:
        """A consolidated register also says whether, when and from which file each partnership returned."""
        def cell(heading: str) -> Any:
            key = _key(heading)
            return row[header.index(key)] if key in header and header.index(key) < len(row) else None

        record.returned = str(cell(RETURNED_COLUMN) or "").strip() == RETURNED
        latest = cell(LATEST_COLUMN)
        record.latest_return = latest.date() if isinstance(latest, dt.datetime) else latest if isinstance(latest, dt.date) else None
        record.source = str(cell(SOURCE_COLUMN) or "")

    def put(self, record: Record, name: str, fld: Field, raw: Any, sheet: str, label: str = "") -> None:
        def where() -> dict[str, Any]:  # only for a finding: most values are fine
            return dict(file=str(self.path), sheet=sheet, field=label or fld.label, partnership=record.id, value=raw)

        try:
            value = TYPES[fld.type].parse(raw)
        except Unreadable as exc:
            self.findings.append(Code.REGISTER_VALUE_UNREADABLE.at(right=exc.hint, hint=exc.hint, **where()))
            return
        if fld.type == "choice":
            allowed = self._allowed(fld)
            match = allowed.get(_key(value))
            if match is None:
                self.findings.append(Code.REGISTER_CHOICE_UNKNOWN.at(hint="one of: " + "; ".join(allowed.values()), **where()))
            value = match or value
        record.values[name] = value

    def _allowed(self, fld: Field) -> dict[str, str]:
        """A choice field's allowed values by their comparison key, worked out once per field."""
        if id(fld) not in self._choice_keys:  # fields of different forms may share an id
            allowed: dict[str, str] = {}
            for choice in fld.choices or self.choices.get(fld.choices_from or "", ()):
                allowed.setdefault(_key(choice), choice)
            self._choice_keys[id(fld)] = allowed
        return self._choice_keys[id(fld)]

    def table(self, form: Form, table: Table, first: list[Any], rows: Iterator[list[Any]], records: dict[str, Record]) -> None:
        sheet = table.register or ""
        header = [_key(h) for h in first]
        if _key(ID_COLUMN) not in header:
            return
        id_col = header.index(_key(ID_COLUMN))
        row_col = header.index(_key(ROW_COLUMN)) if _key(ROW_COLUMN) in header else None
        columns = {col: table.columns[i] for i, c in enumerate(table.columns)
                   for col, h in enumerate(header) if h == _key(c.label)}
        fixed = {(_key(r.label)): r.id for r in table.rows} | {_key(r.id): r.id for r in table.rows} if table.fixed else {}
        used: dict[str, int] = {}
        for number, row in enumerate(rows, start=2):
            if all(_empty(v) for v in row):
                continue
            pid = TYPES["text"].parse(row[id_col])
            if pid not in records:
                self.findings.append(Code.REGISTER_ORPHAN_ROW.at(file=str(self.path), sheet=sheet, partnership=pid, row=number))
                continue
            record = records[pid]
            if table.fixed:
                label = row[row_col] if row_col is not None else ""
                key = fixed.get(_key(label))
                if key is None:
                    self.findings.append(Code.REGISTER_UNKNOWN_ROW.at(file=str(self.path), sheet=sheet, partnership=pid,
                                                                      field=table.label, value=label))
                    continue
            else:
                used[pid] = used.get(pid, 0) + 1
                if used[pid] > table.rows:  # type: ignore[operator]
                    continue
                key = str(used[pid])
            for col, column in columns.items():
                if col < len(row) and not _empty(row[col]):
                    self.put(record, cell_name(form.id, table.id, key, column.id), column, row[col], sheet,
                             f"{table.label}: {column.label}")
        for pid, count in used.items():
            if not table.fixed and count > table.rows:  # type: ignore[operator]
                self.findings.append(Code.REGISTER_TOO_MANY_ROWS.at(
                    file=str(self.path), sheet=sheet, partnership=pid, field=table.label, count=count, room=table.rows))


# ---------------------------------------------------------------- writing

CATEGORY_ORDER = ("Statutory partnership", "Community-based partnership", "Network group / forum")
EXCLUDED_CATEGORIES = ("Contractual arrangement", "Shared service")
THRESHOLD_NAME = "GrantThreshold"
RETURNED, NOT_RETURNED = "Returned", "Not yet returned"
RETURNED_COLUMN, LATEST_COLUMN, SOURCE_COLUMN = "Returned", "Latest return", "Source file"


def _n(form: str, fld: str) -> str:
    return cell_name(form, fld)


def sort_key(record: Record) -> tuple[int, str, str]:
    """The policy's order: statutory, then community-based, then network groups / forums."""
    category = str(record.get(_n("info", "category"), ""))
    rank = CATEGORY_ORDER.index(category) if category in CATEGORY_ORDER else len(CATEGORY_ORDER)
    return rank, str(record.get(_n("info", "name"), "")).casefold(), record.id


@dataclass(frozen=True)
class Facts:
    """What the register works out for a partnership, the same way for every sheet that shows it."""

    significant: str
    features: tuple[str, ...]  # the significance features it holds, by register heading
    grant_over_threshold: str
    review_due: dt.date | None
    review_overdue: str
    scores: dict[str, int]  # assessment feature id -> score
    mean_score: float | None
    ones: int | None
    representatives: str  # those without a finish date
    representative_changes: str  # who finished or started within the review interval


def facts(record: Record, spec: Spec, config: Any, as_of: dt.date) -> Facts:
    from .layout import evaluate_all
    from .validate import add_months

    significance = spec.form("significance")
    computed = evaluate_all(significance, record.values, {"grant_threshold": config.grant_threshold})
    values = {**record.values, **computed}
    held = [f.register or f.label for f in significance.items() if isinstance(f, Field) and f.type == "yesno"
            and values.get(_n("significance", f.id)) == "Yes"]
    if computed[_n("significance", "grant_over_threshold")] == "Yes":
        held.insert(3, f"Grant of £{config.grant_threshold:,.0f} or more")
    last = record.get(_n("info", "review_date"))
    due = add_months(last, config.review_interval_months) if isinstance(last, dt.date) else None
    table = score_table(spec)
    scores = {k: v for k in table.row_keys() if isinstance(v := record.get(cell_name("assessment", table.id, k, "score")), int)}
    current, changes = _representatives(record, spec, add_months(as_of, -config.review_interval_months), as_of)
    return Facts(
        significant=computed[_n("significance", "significant")], features=tuple(held),
        grant_over_threshold=computed[_n("significance", "grant_over_threshold")], review_due=due,
        review_overdue="" if due is None else ("Yes" if due < as_of else "No"), scores=scores,
        mean_score=round(sum(scores.values()) / len(scores), 2) if scores else None,
        ones=sum(1 for v in scores.values() if v == 1) if scores else None,
        representatives=current, representative_changes=changes,
    )


def _representatives(record: Record, spec: Spec, since: dt.date, as_of: dt.date) -> tuple[str, str]:
    table = spec.form("info").item("reps")
    assert isinstance(table, Table)
    current, changes = [], []
    for key in table.row_keys():
        name = record.get(cell_name("info", "reps", key, "name"))
        if not name:
            continue
        started, finished = (record.get(cell_name("info", "reps", key, c)) for c in ("started", "finished"))
        if not isinstance(finished, dt.date):
            current.append(str(name))
        if isinstance(finished, dt.date) and since <= finished <= as_of:
            changes.append(f"{name} finished {finished:%d/%m/%Y}")
        if isinstance(started, dt.date) and since <= started <= as_of:
            changes.append(f"{name} started {started:%d/%m/%Y}")
    return "; ".join(current), "; ".join(changes)


def score_table(spec: Spec) -> Table:
    table = spec.form("assessment").item("features")
    assert isinstance(table, Table) and table.fixed
    return table


@dataclass(frozen=True)
class Column:
    heading: str
    width: int
    kind: str  # a field type name, "number", or "formula"
    value: Any  # callable(record, facts) -> value


def register_columns(spec: Spec, config: Any) -> list[Column]:
    """The main sheet's columns: what a reader needs first, then every other register field."""
    by_name = {_n(form.id, f.id): (form, f) for form, f in scalar_fields(spec)}

    def field_column(name: str) -> Column:
        form, f = by_name[name]
        return Column(f.register or f.label, min(max(len(f.register or "") + 2, TYPES[f.type].width * 3 // 4, 10), 40),
                      f.type, lambda r, _f, n=name: r.get(n))

    scores = score_table(spec)
    first = [
        Column(ID_COLUMN, 12, "text", lambda r, f: r.id),
        field_column(_n("info", "name")), field_column(_n("info", "category")),
        field_column(_n("info", "lead_officer")), field_column(_n("info", "accountable_body")),
        Column("Significant", 11, "yesno", lambda r, f: f.significant),
        Column("Significance features", 40, "text", lambda r, f: "; ".join(f.features)),
        field_column(_n("significance", "annual_grant")),
        Column(f"Grant ≥ £{config.grant_threshold:,.0f}", 13, "formula", None),
        field_column(_n("info", "council_funding")), field_column(_n("info", "additional_funds")),
        field_column(_n("info", "has_agreement")), field_column(_n("info", "agreement_type")),
        field_column(_n("info", "exit_strategy")), field_column(_n("info", "review_date")),
        Column("Review due", 12, "date", lambda r, f: f.review_due),
        Column("Review overdue", 10, "yesno", lambda r, f: f.review_overdue),
        field_column(_n("info", "date_formed")), field_column(_n("info", "end_date")),
        Column(STATUS_COLUMN, 10, "text", lambda r, f: r.status),
        Column("Representatives", 30, "text", lambda r, f: f.representatives),
        Column("Representative changes", 40, "text", lambda r, f: f.representative_changes),
    ]
    first += [Column(scores.row_label(k), 10, "score", lambda r, f, k=k: f.scores.get(k)) for k in scores.row_keys()]
    first += [
        Column("Mean score", 9, "number", lambda r, f: f.mean_score),
        Column("Scores of 1", 9, "integer", lambda r, f: f.ones),
        Column(RETURNED_COLUMN, 14, "text", lambda r, f: RETURNED if r.returned else NOT_RETURNED),
        Column(LATEST_COLUMN, 12, "date", lambda r, f: r.latest_return),
        Column(SOURCE_COLUMN, 40, "text", lambda r, f: r.source),
    ]
    shown = {c.heading for c in first}
    return first + [field_column(n) for n, (_, f) in by_name.items() if (f.register or f.label) not in shown]


def register_bytes(records: list[Record], spec: Spec, config: Any, as_of: dt.date, *, stream: bool | None = None) -> bytes:
    """The register workbook: the main table, detail sheets holding every answer, and an About sheet.

    ``stream`` keeps finished rows on disk; by default, when the register is big (its detail sheets
    run to about twenty rows a partnership).
    """
    import io

    buffer = io.BytesIO()
    book = StreamingWorkbook(buffer, BOOK_OPTIONS, stream=len(records) * 20 > STREAM_FROM_ROWS if stream is None else stream)
    book.set_properties({"title": f"Partnership Register {config.cycle}", "author": config.council,
                         "company": config.council, "created": dt.datetime.combine(as_of, dt.time())})
    styles = _register_styles(book)
    records = sorted(records, key=sort_key)
    columns = register_columns(spec, config)
    staged: dict[str, list[Record]] = {MAIN_SHEET: [], CEASED_SHEET: [], CLOSED_SHEET: []}
    for record in records:
        staged[stage(record)].append(record)
    main = _partnership_sheet(book, styles, MAIN_SHEET, "PartnershipRegister", staged[MAIN_SHEET], columns, spec, config, as_of)
    _partnership_sheet(book, styles, CEASED_SHEET, "CeasedPartnerships", staged[CEASED_SHEET], columns, spec, config, as_of)
    _partnership_sheet(book, styles, CLOSED_SHEET, "ClosedPartnerships", staged[CLOSED_SHEET], columns, spec, config, as_of)
    for form, table in table_fields(spec):
        _table_sheet(book, styles, form, table, records)
    _answers_sheet(book, styles, spec, records)
    _about_sheet(book, styles, config, as_of, len(records))
    main.activate()
    book.close()
    return buffer.getvalue()


def stage(record: Record) -> str:
    """Which sheet a partnership belongs on: ended ones move to Ceased until their evaluation comes back."""
    if record.status != "Ended":
        return MAIN_SHEET
    evaluated = record.get(_n("evaluation", "reason")) == "Partnership concluded" and record.get(_n("evaluation", "lessons"))
    return CLOSED_SHEET if evaluated else CEASED_SHEET


def _partnership_sheet(book: Any, styles: dict[str, Any], name: str, table_name: str, records: list[Record],
                       columns: list[Column], spec: Spec, config: Any, as_of: dt.date) -> Any:
    """One row per partnership: the register itself, and the same layout for ceased and closed ones."""
    from xlsxwriter.utility import xl_col_to_name

    sheet = book.add_worksheet(name)
    sheet.add_table(0, 0, max(len(records), 1), len(columns) - 1, {
        "name": table_name, "style": "Table Style Medium 2",
        "columns": [{"header": c.heading, "header_format": styles["head"]} for c in columns]})
    sheet.set_row(0, 45)
    grant_col = next(i for i, c in enumerate(columns) if c.heading == "Annual grant (£)")
    for r, record in enumerate(records, start=1):
        known = facts(record, spec, config, as_of)
        for c, column in enumerate(columns):
            if column.kind == "formula":
                grant = f"{xl_col_to_name(grant_col)}{r + 1}"
                value = record.get(_n("significance", "annual_grant"))
                cached = "" if not isinstance(value, (int, float)) else ("Yes" if value >= config.grant_threshold else "No")
                sheet.write_formula(r, c, f'=IF(ISNUMBER({grant}),IF({grant}>={THRESHOLD_NAME},"Yes","No"),"")',
                                    styles["text"], cached)
            else:
                write_value(sheet, r, c, column.value(record, known), styles.get(column.kind, styles["text"]))
    for c, column in enumerate(columns):
        sheet.set_column(c, c, column.width)
    sheet.freeze_panes(1, 2)
    sheet.set_landscape()
    sheet.set_paper(8)  # A3: the reader's columns, up to Status, print on one page width
    status_col = next(i for i, c in enumerate(columns) if c.heading == STATUS_COLUMN)
    sheet.print_area(0, 0, max(len(records), 1), status_col)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    title = {MAIN_SHEET: "Partnership Register", CEASED_SHEET: "Ceased partnerships (evaluation due)",
             CLOSED_SHEET: "Closed partnerships (evaluated)"}[name]
    sheet.set_header(f"&L{config.council.replace('&', '&&')}&C{title}&R{config.cycle.replace('&', '&&')}")
    sheet.set_footer("&RPage &P of &N")
    return sheet


def _register_styles(book: Any) -> dict[str, Any]:
    base = {"valign": "top", "font_name": "Arial", "font_size": 10}
    styles = {name: book.add_format({**base, "num_format": t.num_format}) for name, t in TYPES.items() if t.num_format}
    styles["text"] = book.add_format({**base, "text_wrap": False})
    styles["longtext"] = book.add_format({**base, "text_wrap": True})
    styles["number"] = book.add_format({**base, "num_format": "0.00"})
    styles["head"] = book.add_format({**base, "bold": True, "text_wrap": True, "valign": "bottom"})
    styles["title"] = book.add_format({**base, "bold": True, "font_size": 14})
    return styles


def _plain_table(book: Any, styles: dict[str, Any], name: str, headings: list[tuple[str, int]],
                 rows: Callable[[], Iterator[list[tuple[Any, str]]]], height: Callable[[list[tuple[Any, str]]], float] | None = None
                 ) -> Any:
    """A sheet holding one Excel table. ``rows`` makes the rows afresh: they are counted first, because the
    table has to be declared before any row is streamed to disk, then written one by one, never all held."""
    sheet = book.add_worksheet(name)
    count = sum(1 for _ in rows())
    table_name = "".join(ch for ch in name.title() if ch.isalnum())
    sheet.add_table(0, 0, max(count, 1), len(headings) - 1, {
        "name": table_name, "style": "Table Style Light 9",
        "columns": [{"header": h, "header_format": styles["head"]} for h, _ in headings]})
    for r, row in enumerate(rows(), start=1):
        for c, (value, kind) in enumerate(row):
            write_value(sheet, r, c, value, styles.get(kind, styles["text"]))
        if height is not None:
            sheet.set_row(r, height(row))
    for c, (_, width) in enumerate(headings):
        sheet.set_column(c, c, width)
    sheet.freeze_panes(1, 1)
    return sheet


def _table_sheet(book: Any, styles: dict[str, Any], form: Form, table: Table, records: list[Record]) -> None:
    keys = list(table.row_keys())  # worked out once, not for each of thousands of partnerships
    labels = [table.row_label(key) if table.fixed else int(key) for key in keys]
    names = [[cell_name(form.id, table.id, key, c.id) for c in table.columns] for key in keys]
    types = [c.type for c in table.columns]
    fixed = table.fixed

    def rows() -> Iterator[list[tuple[Any, str]]]:
        for r in records:
            for label, row_names in zip(labels, names, strict=True):
                values = [r.get(name) for name in row_names]
                if fixed or any(v not in (None, "") for v in values):
                    yield [(r.id, "text"), (label, "text"), *zip(values, types, strict=True)]

    headings = [(ID_COLUMN, 12), (ROW_COLUMN, 34 if table.fixed else 6)]
    headings += [(c.label, min(TYPES[c.type].width, 50)) for c in table.columns]
    _plain_table(book, styles, table.register or table.id, headings, rows)


def _answers_sheet(book: Any, styles: dict[str, Any], spec: Spec, records: list[Record]) -> None:
    """Every answer not shown on the partnership sheets or the table sheets, one per row: nothing is lost.

    (Repeating every answer here would pass Excel's 1,048,576-row limit at county scale.)
    """
    from .layout import layout_form

    shown = {cell_name(form.id, f.id) for form, f in scalar_fields(spec)}
    tabled = {form.id + "_" + t.id for form, t in table_fields(spec)}
    cells = [(form, cell) for form in spec.ordered_forms() for cell in layout_form(form).inputs
             if cell.name not in shown and not (cell.table is not None and f"{form.id}_{cell.table.id}" in tabled)]
    def rows() -> Iterator[list[tuple[Any, str]]]:
        for r in records:
            for form, cell in cells:
                value = r.get(cell.name)
                if value not in (None, ""):
                    kind = cell.field.type if cell.field.type != "longtext" else "longtext"
                    yield [(r.id, "text"), (form.title, "text"), (cell.label, "longtext"), (value, kind), (cell.name, "text")]

    _plain_table(book, styles, OTHER_ANSWERS, [(ID_COLUMN, 12), ("Form", 28), ("Question", 50), ("Answer", 70), ("Cell name", 30)],
                 rows, height=lambda row: wrapped_height([(row[2][0], 50), (str(row[3][0]), 70)], line=13))


def _about_sheet(book: Any, styles: dict[str, Any], config: Any, as_of: dt.date, count: int) -> None:
    sheet = book.add_worksheet("About")
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 90)
    sheet.write_string(0, 0, f"{config.council}: Partnership Register {config.cycle}", styles["title"])
    facts = [
        ("As at", as_of), ("Partnerships", count), ("Grant threshold (£)", config.grant_threshold),
        ("Order", "Statutory partnerships, then community-based partnerships, then network groups / forums. "
                  "Contractual arrangements and shared services are not partnerships and are left out (see the validation report)."),
        ("Grant column", "A live formula: Yes when the annual grant is at or above the threshold above (named GrantThreshold)."),
        ("Ceased and Closed", "An ended partnership moves from the Register to Ceased, and stays there until its "
                              "evaluation (Partnership Policy, Appendix 4) comes back; then it moves to Closed."),
        ("Detail sheets", "Representatives, Assessment and Agreement hold the table answers; "
                          "Other answers holds every answer not shown elsewhere (mostly the evaluation)."),
        ("Built by", "partxl consolidate, from the accepted returns recorded in its ledger."),
    ]
    for row, (key, value) in enumerate(facts, start=2):
        sheet.write_string(row, 0, key, styles["head"])
        kind = "date" if isinstance(value, dt.date) else ("money" if key.startswith("Grant threshold") else "longtext")
        write_value(sheet, row, 1, value, styles.get(kind, styles["text"]))
        if key.startswith("Grant threshold"):
            book.define_name(THRESHOLD_NAME, f"=About!$B${row + 1}")


def write_register(records: list[Record], spec: Spec, config: Any, path: Path, as_of: dt.date) -> None:
    """Write the register to ``path`` atomically (used for the samples; consolidate keeps copies too)."""
    data = register_bytes(records, spec, config, as_of)
    atomic_write(Path(path), lambda tmp: tmp.write_bytes(data))
