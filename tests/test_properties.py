"""Property tests (hypothesis): what a definition allows comes back equal; damaged input is a finding, never an exception."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partxl.forms.definitions import load_spec
from partxl.forms.layout import layout_form
from partxl.returns.validate import check_file

from . import hostile, returns

SPEC = load_spec()
AS_OF = dt.date(2027, 4, 19)
PRINTABLE = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85")


def _text(max_size: int) -> st.SearchStrategy[str]:
    """Text as a person types it: no stray leading or trailing blanks, no runs of spaces (those are tidied on reading)."""
    return st.text(PRINTABLE, min_size=1, max_size=max_size).map(lambda s: " ".join(s.split())).filter(bool)


def value_for(cell, config) -> st.SearchStrategy:
    f = cell.field
    if f.type == "text":
        return _text(min(f.max_length or 255, 80))
    if f.type == "longtext":
        return st.lists(_text(60), min_size=1, max_size=3).map("\n".join)
    if f.type == "date":
        return st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31))
    if f.type == "money":
        return st.integers(0, 5_000_000).map(lambda pence: pence / 100)
    if f.type == "integer":
        return st.integers(int(f.min or 0), int(f.max or 1000))
    if f.type == "score":
        return st.integers(1, 4)
    if f.type == "yesno":
        return st.sampled_from(["Yes", "No"])
    return st.sampled_from(list(f.choices or config.choice_list(f.choices_from)))


INFO_CELLS = [c for c in layout_form(SPEC.form("info")).inputs if c.table is None]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_values_a_definition_allows_come_back_equal(data, generated: Path, config, tmp_path_factory):
    chosen = data.draw(st.lists(st.sampled_from(INFO_CELLS), min_size=1, max_size=8, unique_by=lambda c: c.name))
    values = {cell.name: data.draw(value_for(cell, config), label=cell.name) for cell in chosen}
    source = returns.source_file(generated, returns.Return("P001", "x"))
    book = openpyxl.load_workbook(source)
    located = returns.names(source)
    for name, value in values.items():
        sheet, address = located[name]
        book[sheet][address].value = value
        if isinstance(value, str):
            book[sheet][address].data_type = "s"
    target = tmp_path_factory.mktemp("prop") / "return.xlsx"
    book.save(target)
    checked = check_file(target, SPEC, config, AS_OF)
    for name, value in values.items():
        assert checked.values.get(name) == value, (name, value, checked.values.get(name))


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=4096), suffix=st.sampled_from([".xlsx", ".xlsm", ".ods", ".xls", ".txt"]))
def test_random_bytes_are_a_finding_not_an_exception(data: bytes, suffix: str, tmp_path_factory, config):
    path = tmp_path_factory.mktemp("bytes") / f"random{suffix}"
    path.write_bytes(data)
    checked = check_file(path, SPEC, config, AS_OF)
    assert checked.findings and not checked.accepted


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_a_damaged_return_is_a_finding_not_an_exception(seed: int, generated: Path, tmp_path_factory, config):
    source = returns.source_file(generated, returns.Return("P001", "x"))
    path = tmp_path_factory.mktemp("damaged") / "damaged.xlsx"
    path.write_bytes(hostile.damaged(source.read_bytes(), seed))
    checked = check_file(path, SPEC, config, AS_OF)
    assert checked.accepted or checked.findings  # either it survived intact enough, or it says why not
    if checked.accepted:
        assert checked.partnership_id == "P001"
