"""The rules of the forms, applied to answers keyed by cell name: for a return, a register row or a summary alike.

A rule is declared in a form definition (``rules:``); this module says what breaking it means.
The checker of returns, the register's facts and the committee summary all call these, so a
rule is judged the same way wherever it is shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from partxl.config import Config
from partxl.forms.definitions import Form, Rule, Table
from partxl.forms.names import cell_name, ref_name

POLICY_KINDS = ("flag", "overdue", "past", "current_row", "accepted")
"""The kinds of rule that check the policy itself (not an answer's consistency with another): the breaches a committee
reads on the Compliance sheet, and those the MIO may waive with a reason."""


def breaks(rule: Rule, form: Form, key: str | None, values: dict[str, Any], as_of: dt.date, config: Config) -> bool:
    """Whether ``values`` (answers by cell name) break ``rule`` on table row ``key``; used for returns and registers alike."""
    value = values.get(ref_name(form.id, rule.field, key))
    other = lambda ref: values.get(ref_name(form.id, ref, key)) if ref else None  # noqa: E731
    if rule.kind == "not_before":
        before = other(rule.other)
        return isinstance(value, dt.date) and isinstance(before, dt.date) and value < before
    if rule.kind == "required_if":
        return value is None and as_text(other(rule.when_field)) == rule.when_equals
    if rule.kind == "implies":
        return as_text(other(rule.when_field)) == rule.when_equals and value is not None and as_text(value) != rule.equals
    if rule.kind == "flag":
        return value is not None and as_text(value) == rule.equals
    if rule.kind in ("overdue", "recent"):
        months = rule.months if rule.months is not None else getattr(config, rule.months_from or "")
        if not isinstance(value, dt.date):
            return False
        if rule.kind == "overdue":
            return add_months(value, months) < as_of
        return value <= as_of <= add_months(value, months) and not _dealt_with(rule, other(rule.unless_field))
    if rule.kind == "past":
        return isinstance(value, dt.date) and value < as_of and not _dealt_with(rule, other(rule.unless_field))
    if rule.kind == "current_row":
        return unfilled_current_row(rule, form, values) is not None
    if rule.kind == "accepted":
        accepted = config.accepted(rule.setting or "", as_text(other(rule.by)) or "")
        return value is not None and accepted is not None and as_text(value) not in accepted
    return False


def _dealt_with(rule: Rule, answer: Any) -> bool:
    """Whether the ``unless`` answer says a past or recent date has been dealt with: it equals the rule's ``equals``,
    or (with none given) it is answered at all."""
    if not rule.unless_field:
        return False
    if rule.unless_equals is None:
        return answer is not None and answer != ""
    return as_text(answer) == rule.unless_equals


def as_text(value: Any) -> str | None:
    """An answer as a rule's ``equals`` is written in a form file: a score 1 is "1", a date 2024-03-31."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def unfilled_current_row(rule: Rule, form: Form, values: dict[str, Any]) -> str | None:
    """For a current_row rule: the last used row's cell name when every used row has the column filled."""
    table_id, _, column = rule.field.partition(".")
    table = form.item(table_id)
    assert isinstance(table, Table)
    used = [k for k in table.row_keys() if any(cell_name(form.id, table_id, k, c.id) in values for c in table.columns)]
    if used and all(cell_name(form.id, table_id, k, column) in values for k in used):
        return cell_name(form.id, table_id, used[-1], column)
    return None


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has a 28th
