"""What officers type, read as its field's type — or refused with what would be right."""

from __future__ import annotations

import datetime as dt

import pytest

from partxl.forms.fieldtypes import TYPES, Unreadable

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
