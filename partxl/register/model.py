"""The register's model: one partnership as a record, where it belongs, and what is worked out about it.

Reading (``partxl.register.read``) and writing (``partxl.outputs.register``) both work from the
objects here, so a column, a stage or a fact is defined once for the register, the summary,
the public page and the roll-forward.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from partxl.config import Config
from partxl.forms import contract
from partxl.forms.definitions import Field, Form, Spec, Table
from partxl.forms.fieldtypes import TYPES, pounds
from partxl.forms.layout import evaluate_all, fields_of
from partxl.forms.names import cell_name, ref_name
from partxl.forms.rules import add_months

MAIN_SHEET = "Register"
OTHER_ANSWERS = "Other answers"
ANSWER_COLUMN, CELL_NAME_COLUMN = "Answer", "Cell name"  # the Other answers sheet's: read back by cell name
PROPOSED_SHEET = "Proposed"  # proposed from the blank workbook, until SMT agrees it
CEASED_SHEET = "Ceased"  # ended, evaluation still to come back
CLOSED_SHEET = "Closed"  # ended and evaluated
ID_COLUMN = "Partnership ID"
STATUS_COLUMN = "Status"
ROW_COLUMN = "Row"


class Status(enum.StrEnum):
    """Where a partnership is in its life: the register's Status column (read whatever its case)."""

    PROPOSED = "Proposed"  # a proposal from the blank workbook: not a partnership of the Council until SMT agrees it
    ACTIVE = "Active"
    ENDED = "Ended"  # its officer says it has ended (evaluation reason "Partnership concluded"): its evaluation is due
    CLOSED = "Closed"  # ended and evaluated: kept on the register's Closed sheet, and not issued again

    @classmethod
    def read(cls, text: str) -> Status | None:
        """The status written in a register, in any case and spacing; None when it is none of them."""
        return _STATUS_BY_KEY.get(" ".join(str(text).split()).casefold())


_STATUS_BY_KEY = {s.value.casefold(): s for s in Status}


class ReturnState(enum.StrEnum):
    """What a partnership's returns this cycle amount to (the register's Returned column)."""

    RETURNED = "Returned"  # its newest return was accepted: the register shows it
    WITH_ERRORS = "Returned with errors"  # its newest return has errors to correct: the register shows older data
    HELD = "Held: identity to confirm"  # its newest return is held until the MIO confirms whose it is
    NOT_RETURNED = "Not yet returned"  # nothing this cycle: the register shows last year's data

    @classmethod
    def read(cls, text: str) -> ReturnState:
        """The state a register's Returned column shows ("Returned with errors (3)" is WITH_ERRORS)."""
        text = " ".join(str(text).split())
        return next((s for s in sorted(cls, key=lambda s: -len(s.value)) if text.startswith(s.value)), cls.NOT_RETURNED)


@dataclass
class Record:
    """One partnership: its id, status and every known answer keyed by cell name."""

    id: str
    status: Status = Status.ACTIVE
    values: dict[str, Any] = field(default_factory=dict)
    state: ReturnState = ReturnState.NOT_RETURNED
    latest_return: dt.date | None = None  # when its newest return this cycle was saved
    source: str = ""  # the file the register's answers come from this cycle ("" when they are last year's)
    errors: int = 0  # in its newest return, when that has errors
    latest_file: str = ""  # its newest return this cycle (the one its state comes from)

    @property
    def returned(self) -> bool:
        """Something came back this cycle (accepted, with errors, or held)."""
        return self.state != ReturnState.NOT_RETURNED

    @property
    def current(self) -> bool:
        """Its answers are this cycle's (an accepted return), not last year's."""
        return bool(self.source)

    @property
    def returned_text(self) -> str:
        """What the register says of it: "Returned", "Returned with errors (3)", "Not yet returned: last year's data"."""
        text = f"{self.state} ({self.errors})" if self.state == ReturnState.WITH_ERRORS else str(self.state)
        return text if self.current else f"{text}: last year's data"

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)



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



def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())



THRESHOLD_NAME = "GrantThreshold"
RETURNS_OF = "Returns of the cycle"  # on a consolidated register's About sheet: the cycle whose returns it holds
RETURNED_COLUMN, LATEST_COLUMN, SOURCE_COLUMN = "Returned", "Latest return", "Source file"


def sort_key(record: Record) -> tuple[int, str, str]:
    """The policy's order: statutory, then community-based, then network groups / forums."""
    category = str(record.get(contract.CATEGORY.cell, ""))
    order = contract.CATEGORY_ORDER
    rank = order.index(category) if category in order else len(order)
    return rank, str(record.get(contract.NAME.cell, "")).casefold(), record.id


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


def facts(record: Record, spec: Spec, config: Config, as_of: dt.date) -> Facts:
    """What the register works out for a partnership; a closed one has no review due (the policy asks nothing more of it)."""
    significance = spec.form(contract.SIGNIFICANT.form)
    computed = evaluate_all(significance, record.values, config)
    values = {**record.values, **computed}
    held = [_feature(significance, ref, config) for ref in _features(significance, config)
            if values.get(ref_name(significance.id, ref)) == "Yes"]
    last = record.get(contract.REVIEW_DATE.cell)
    owes_review = isinstance(last, dt.date) and record.status != Status.CLOSED
    due = add_months(last, config.review_interval_months) if owes_review else None
    table = score_table(spec)
    scores = {k: v for k in table.row_keys() if isinstance(v := record.get(contract.SCORES.column(k, "score")), int)}
    current, changes = _representatives(record, spec, add_months(as_of, -config.review_interval_months), as_of)
    return Facts(
        significant=computed[contract.SIGNIFICANT.cell], features=tuple(held),
        grant_over_threshold=computed[contract.GRANT_OVER_THRESHOLD.cell], review_due=due,
        review_overdue="" if due is None else ("Yes" if due < as_of else "No"), scores=scores,
        mean_score=round(sum(scores.values()) / len(scores), 2) if scores else None,
        ones=sum(1 for v in scores.values() if v == 1) if scores else None,
        representatives=current, representative_changes=changes,
    )


def _features(significance: Form, config: Config) -> tuple[str, ...]:
    """The features of a significant partnership the form asks about: the answers its evidence value looks at."""
    shows = next(c for c in significance.computed if c.id == contract.SHOWS_FEATURES.id)
    return fields_of(shows, config)


def _feature(significance: Form, ref: str, config: Config) -> str:
    """A feature as the register names it: its register heading, or the grant threshold said in pounds."""
    if ref == contract.GRANT_OVER_THRESHOLD.id:
        return f"Grant of {pounds(config.grant_threshold)} or more"
    return heading(significance, ref)


def heading(form: Form, ref: str) -> str:
    """An answer of ``form`` as the register heads it (its register heading, else its label; a worked-out value's label)."""
    item = next((i for i in form.items() if i.id == ref), None)
    return (item.register or item.label) if isinstance(item, Field) else form.label_of(ref)


def _representatives(record: Record, spec: Spec, since: dt.date, as_of: dt.date) -> tuple[str, str]:
    reps = contract.REPRESENTATIVES
    current, changes = [], []
    for key in contract_table(spec, reps).row_keys():
        name = record.get(reps.column(key, "name"))
        if not name:
            continue
        started, finished = (record.get(reps.column(key, c)) for c in ("started", "finished"))
        if not isinstance(finished, dt.date):
            current.append(str(name))
        if isinstance(finished, dt.date) and since <= finished <= as_of:
            changes.append(f"{name} finished {finished:%d/%m/%Y}")
        if isinstance(started, dt.date) and since <= started <= as_of:
            changes.append(f"{name} started {started:%d/%m/%Y}")
    return "; ".join(current), "; ".join(changes)


def contract_table(spec: Spec, need: contract.Needed) -> Table:
    """A table the code relies on (loading checked that it is there, and a table)."""
    table = spec.form(need.form).item(need.id)
    assert isinstance(table, Table)
    return table


def score_table(spec: Spec) -> Table:
    """The assessment matrix: its fixed rows are the features scored 1–4."""
    return contract_table(spec, contract.SCORES)


@dataclass(frozen=True)
class Column:
    heading: str
    width: int
    kind: str  # a field type name, "number", or "formula" (written as a live formula whose value is ``value``)
    value: Callable[[Record, Facts], Any]


def _answer(name: str) -> Callable[[Record, Facts], Any]:
    return lambda record, _known: record.get(name)


def _score(key: str) -> Callable[[Record, Facts], Any]:
    return lambda _record, known: known.scores.get(key)


def register_columns(spec: Spec, config: Config) -> list[Column]:
    """The main sheet's columns: what a reader needs first, then every other register field."""
    by_name = {cell_name(form.id, f.id): (form, f) for form, f in scalar_fields(spec)}

    def field_column(name: str) -> Column:
        form, f = by_name[name]
        return Column(f.register or f.label, min(max(len(f.register or "") + 2, TYPES[f.type].width * 3 // 4, 10), 40),
                      f.type, _answer(name))

    scores = score_table(spec)
    first = [
        Column(ID_COLUMN, 12, "text", lambda r, f: r.id),
        field_column(contract.NAME.cell), field_column(contract.CATEGORY.cell),
        field_column(contract.LEAD_OFFICER.cell), field_column(contract.ACCOUNTABLE_BODY.cell),
        Column("Significant", 11, "yesno", lambda r, f: f.significant),
        Column("Significance features", 40, "text", lambda r, f: "; ".join(f.features)),
        field_column(contract.ANNUAL_GRANT.cell),
        Column(f"Grant ≥ {pounds(config.grant_threshold)}", 13, "formula", lambda r, f: f.grant_over_threshold),
        field_column(contract.COUNCIL_FUNDING.cell), field_column(contract.ADDITIONAL_FUNDS.cell),
        field_column(contract.HAS_AGREEMENT.cell), field_column(contract.AGREEMENT_TYPE.cell),
        field_column(contract.EXIT_STRATEGY.cell), field_column(contract.REVIEW_DATE.cell),
        Column("Review due", 12, "date", lambda r, f: f.review_due),
        Column("Review overdue", 10, "yesno", lambda r, f: f.review_overdue),
        field_column(contract.DATE_FORMED.cell), field_column(contract.END_DATE.cell),
        Column(STATUS_COLUMN, 10, "text", lambda r, f: r.status),
        Column("Representatives", 30, "text", lambda r, f: f.representatives),
        Column("Representative changes", 40, "text", lambda r, f: f.representative_changes),
    ]
    first += [Column(scores.row_label(k), 10, "score", _score(k)) for k in scores.row_keys()]
    first += [
        Column("Mean score", 9, "number", lambda r, f: f.mean_score),
        Column("Scores of 1", 9, "integer", lambda r, f: f.ones),
        Column(RETURNED_COLUMN, 24, "text", lambda r, f: r.returned_text),
        Column(LATEST_COLUMN, 12, "date", lambda r, f: r.latest_return),
        Column(SOURCE_COLUMN, 40, "text", lambda r, f: r.source),
    ]
    shown = {c.heading for c in first}
    return first + [field_column(n) for n, (_, f) in by_name.items() if (f.register or f.label) not in shown]



def register_rows(records: list[Record], spec: Spec, config: Config, as_of: dt.date) -> list[dict[str, Any]]:
    """Each record as a dict keyed by the register's column headings (a formula column as its value)."""
    columns = register_columns(spec, config)
    rows = []
    for record in records:
        known = facts(record, spec, config, as_of)
        rows.append({column.heading: column.value(record, known) for column in columns})
    return rows


def stage(record: Record) -> str:
    """Which sheet a partnership belongs on: ended ones move to Ceased until their evaluation comes back."""
    if record.status == Status.CLOSED:
        return CLOSED_SHEET
    if record.status == Status.PROPOSED:
        return PROPOSED_SHEET
    if record.status != Status.ENDED:
        return MAIN_SHEET
    evaluated = record.get(contract.EVALUATION_REASON.cell) == contract.CONCLUDED and record.get(contract.LESSONS.cell)
    return CLOSED_SHEET if evaluated else CEASED_SHEET


STAGES = (MAIN_SHEET, PROPOSED_SHEET, CEASED_SHEET, CLOSED_SHEET)  # the register workbook's partnership sheets, in order
OWES_NOTHING = (PROPOSED_SHEET, CLOSED_SHEET)  # not yet agreed, or ended and evaluated: no return is asked of them


def has_ended(record: Record) -> bool:
    """The officer has said the partnership ended (the evaluation's reason); a planned end date alone says nothing."""
    return record.get(contract.EVALUATION_REASON.cell) == contract.CONCLUDED


