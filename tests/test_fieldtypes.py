"""What officers type, read as its field's type — or refused with what would be right."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from partxl.forms.fieldtypes import TYPES, Refused, Unreadable

D = dt.date(2024, 4, 1)


@pytest.mark.parametrize("typed", ["01/04/2024", "1/4/2024", "2024-04-01", "1 April 2024", "1st April 2024",
                                   "1 Apr 2024", " 01-04-2024 ", "01.04.2024", dt.datetime(2024, 4, 1, 0, 0), D,
                                   45383.0, "2024-04-01T00:00:00", "Monday 1 April 2024"])
def test_dates(typed):
    assert TYPES["date"].parse(typed) == D


@pytest.mark.parametrize("typed", ["04/01/24", "1/4/24", "next spring", "31/02/2024", "", "TBC", 1e9, True])
def test_dates_that_are_refused(typed):
    with pytest.raises(Unreadable) as caught:
        TYPES["date"].parse(typed)
    assert "31/03/2025" in caught.value.hint


@pytest.mark.parametrize("typed,value", [("£12,500", 12500.0), ("12500", 12500.0), (" £ 1,000.50 ", 1000.5),
                                         (12500, 12500.0), ("GBP 300", 300.0), ("-5", -5.0)])
def test_money(typed, value):
    assert TYPES["money"].parse(typed) == value


@pytest.mark.parametrize("typed", ["about £5k", "12.345", "£", True, "1,2,3.4.5"])
def test_money_refused(typed):
    with pytest.raises(Unreadable):
        TYPES["money"].parse(typed)


@pytest.mark.parametrize("typed,value", [("Y", "Yes"), ("yes ", "Yes"), ("TRUE", "Yes"), (True, "Yes"), (1.0, "Yes"),
                                         ("n", "No"), ("No.", "No"), (False, "No"), ("FALSE", "No")])
def test_yes_no(typed, value):
    assert TYPES["yesno"].parse(typed) == value


@pytest.mark.parametrize("typed", ["maybe", "", "2"])
def test_yes_no_refused(typed):
    with pytest.raises(Unreadable):
        TYPES["yesno"].parse(typed)


@pytest.mark.parametrize("typed,value", [(3.0, 3), ("4", 4), (" 1 ", 1)])
def test_scores(typed, value):
    assert TYPES["score"].parse(typed) == value


@pytest.mark.parametrize("typed", [0, 5, "3.5", 2.5, "three"])
def test_scores_refused(typed):
    with pytest.raises(Unreadable):
        TYPES["score"].parse(typed)


def test_text_keeps_line_breaks_and_drops_stray_spaces():
    assert TYPES["longtext"].parse("  one   two \n three ") == "one two\nthree"
    assert TYPES["text"].parse(12.0) == "12" and TYPES["text"].parse("=cmd|' /C calc'!A0") == "=cmd|' /C calc'!A0"


# ---------------------------------------------------------------- one owner for Excel's bounds and ingest's


def _excel_bounds(rule: dict) -> tuple:
    """What the Excel rule lets through, in the units ingest checks (characters, pounds, days)."""
    if rule["validate"] == "length":
        return 0, rule["value"]
    if rule["validate"] == "date":
        return tuple(TYPES["date"].parse(rule[k]) for k in ("minimum", "maximum"))
    return rule["minimum"], rule["maximum"]


def _fields(spec):
    for form in spec.forms.values():
        for item in form.items():
            yield from (getattr(item, "columns", None) or (item,))


def test_every_shipped_field_has_the_same_bounds_in_excel_and_on_ingest(spec):
    checked = 0
    for fld in _fields(spec):
        kind = TYPES[fld.type]
        rule = kind.validation(fld, source="=list_x")
        if rule["validate"] == "list":
            assert kind.bounds(fld) is None
            continue
        low, high = _excel_bounds(rule)
        assert (low, high) == kind.bounds(fld), fld.id
        checked += 1
        if rule["validate"] == "length":
            assert kind.read(fld, "x" * high) == "x" * high
            with pytest.raises(Refused) as caught:
                kind.read(fld, "x" * (high + 1))
            assert caught.value.code == "TOO_LONG" and caught.value.params["limit"] == high
        elif rule["validate"] in ("decimal", "integer") and fld.type != "score":
            assert kind.read(fld, high) == high and kind.read(fld, low) == low
            for outside in (low - 1, high + 1):
                with pytest.raises(Refused):
                    kind.read(fld, outside)
    assert checked > 30


@dataclass
class _Field:
    label: str = "Amount"
    help: str = ""
    type: str = "money"
    min: float | None = None
    max: float | None = None
    max_length: int | None = None


@pytest.mark.parametrize("fld,typed,allowed", [
    (_Field(type="text"), "x" * 255, True), (_Field(type="text"), "x" * 256, False),  # Excel's 255 is ingest's 255
    (_Field(type="longtext"), "x" * 32_767, True), (_Field(type="longtext"), "x" * 32_768, False),
    (_Field(min=-100), -100, True), (_Field(min=-100), -100.01, False),  # a negative minimum is honoured by both
    (_Field(), -0.01, False), (_Field(max=99.5), 99.5, True), (_Field(max=99.5), 100, False),
    (_Field(type="integer"), 10**9, True), (_Field(type="integer"), 10**9 + 1, False),
    (_Field(type="date"), "31/12/2100", True), (_Field(type="date"), "01/01/2101", False),
])
def test_bounds_are_the_same_for_excel_and_ingest(fld, typed, allowed):
    kind = TYPES[fld.type]
    low, high = _excel_bounds(kind.validation(fld))
    value = kind.parse(typed)
    assert (low <= (len(value) if isinstance(value, str) else value) <= high) == allowed
    if allowed:
        assert kind.read(fld, typed) == value
    else:
        with pytest.raises(Refused):
            kind.read(fld, typed)


def test_a_choice_is_read_as_its_list_spells_it():
    kind = TYPES["choice"]
    assert kind.read(_Field(type="choice"), " network GROUP / forum ", ("Statutory partnership", "Network group / forum")) == \
        "Network group / forum"
    with pytest.raises(Refused) as caught:
        kind.read(_Field(type="choice"), "Something else", ("Statutory partnership",))
    assert caught.value.code == "NOT_A_CHOICE" and "Statutory partnership" in caught.value.hint
