"""The annual cycle: roll forward, status and chasing, publishing — through the CLI."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from .conftest import REPO, SAMPLE_REGISTER, run_cli
from .inspect_xlsx import defined_cells, load, metadata

AS_OF = "2026-11-23"


@pytest.fixture(scope="module")
def cycle(tmp_path_factory) -> Path:
    """The shipped sample cycle, consolidated."""
    out = tmp_path_factory.mktemp("cycle")
    code, _, err = run_cli("consolidate", str(REPO / "samples" / "returns"), "--out", str(out), "--previous",
                           str(SAMPLE_REGISTER), "--as-of", AS_OF)
    assert code in (0, 1), err
    return out


def _sheet_rows(path: Path, sheet: str) -> list[dict]:
    book = openpyxl.load_workbook(path)
    if sheet not in book.sheetnames:
        return []
    rows = list(book[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[0]]


def test_roll_forward_issues_next_cycle_from_this_cycles_register(cycle: Path, tmp_path: Path):
    (tmp_path / "partxl.toml").write_text('[cycle]\nname = "2027/28"\ndeadline = 2028-01-28\nissue_date = 2027-11-01\n'
                                          '[integrity]\nkey = "partxl-sample-key-not-secret"\n')
    out = tmp_path / "workbooks"
    code, _, err = run_cli("--config", str(tmp_path / "partxl.toml"), "generate", "--register", str(cycle / "register.xlsx"),
                           "--out", str(out), "--json")
    assert code == 0, err
    active = {r["Partnership ID"]: r for r in _sheet_rows(cycle / "register.xlsx", "Register")}
    ceased = {r["Partnership ID"] for r in _sheet_rows(cycle / "register.xlsx", "Ceased")}
    closed = {r["Partnership ID"] for r in _sheet_rows(cycle / "register.xlsx", "Closed")}
    assert closed and ceased  # the samples have ended partnerships evaluated and not yet evaluated
    books = {}
    for path in out.glob("*.xlsx"):
        book = load(path)
        books[metadata(book)["partnership_id"]] = book
    assert set(books) == set(active) | ceased
    for pid, book in books.items():
        meta = metadata(book)
        assert (meta["cycle"], meta["deadline"]) == ("2027/28", "2028-01-28")
        assert meta["workbook"] == ("ended" if pid in ceased else "annual"), pid
    p015 = books["P015"]
    cell = defined_cells(p015)["info_reviewed_by"]
    assert p015[cell.sheet][cell.address].value == "New Reviewer"  # typed this cycle, pre-filled next
    for pid in ceased:
        assert books[pid].sheetnames[2:] == ["Evaluation"]
        cell = defined_cells(books[pid])["evaluation_reason"]
        assert books[pid][cell.sheet][cell.address].value == "Partnership concluded"
    proposal = next(pid for pid in active if pid.startswith("NEW-"))
    assert proposal in books  # a proposal accepted this cycle is issued next cycle under its provisional id
