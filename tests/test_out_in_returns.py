"""partxl never reads its own outputs as returns (issue 16, "Also").

Everything below the returns folder is read as a return. An output folder inside it is left out when reading,
so a second run finds exactly the returns the first did (and writes the same register), and so is any folder
below holding a ledger (an earlier run's output folder, when the MIO moves --out elsewhere); the returns folder
itself as the output folder, or a ledger or reminders written into the returns folder outside the output
folder, would come back next run as "returns": that is refused, before anything is written, with what to do.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from .conftest import REPO, SAMPLE_REGISTER, run_cli

AS_OF = "2027-07-12"


@pytest.fixture()
def returns(tmp_path: Path) -> Path:
    folder = tmp_path / "returns"
    shutil.copytree(REPO / "samples" / "returns", folder)
    return folder


def _consolidate(returns: Path, out: Path, *more: str) -> tuple[int, dict, str]:
    code, printed, err = run_cli("consolidate", str(returns), "--out", str(out), "--previous", str(SAMPLE_REGISTER),
                                 "--as-of", AS_OF, "--json", *more)
    return code, (json.loads(printed) if printed.strip() else {}), err


def _register(path: Path) -> list[tuple]:
    book = openpyxl.load_workbook(path, read_only=True)
    return [row for name in book.sheetnames for row in book[name].iter_rows(values_only=True)]


def _read(report: dict) -> dict[str, str]:
    return {f["path"]: f["outcome"] for f in report["files"]}


def test_an_output_folder_inside_the_returns_is_left_out_and_a_second_run_reads_the_same(returns: Path, tmp_path: Path):
    out = returns / "out"
    code, first, err = _consolidate(returns, out)
    assert code == 1, err  # the samples hold returns with errors
    assert (out / "register.xlsx").is_file() and (out / "ledger.sqlite").is_file()
    code, _, err = run_cli("chase", str(returns), "--out", str(out), "--previous", str(SAMPLE_REGISTER), "--as-of", AS_OF,
                           "--to", str(out / "reminders"))
    assert code == 0 and list((out / "reminders").glob("*.eml")), err
    register = _register(out / "register.xlsx")
    code, second, err = _consolidate(returns, out)
    assert code == 1, err
    assert _read(second) == _read(first)
    assert not [p for p in _read(second) if p.startswith("out")], "partxl's own outputs were read as returns"
    assert [(f["code"], f["file"]) for f in second["findings"]] == [(f["code"], f["file"]) for f in first["findings"]]
    assert _register(out / "register.xlsx") == register
    apart = tmp_path / "apart"
    code, beside, err = _consolidate(returns, apart)  # elsewhere: the earlier run's folder (it has a ledger) is no returns
    assert _read(beside) == _read(first) and _register(apart / "register.xlsx") == register, err


def test_the_returns_folder_as_the_output_folder_is_refused(returns: Path):
    before = sorted(p.name for p in returns.iterdir())
    code, _, err = _consolidate(returns, returns)
    assert code == 2 and "is the returns folder" in err and "Traceback" not in err
    assert f"--out {returns / 'out'}" in err  # what to write instead
    assert sorted(p.name for p in returns.iterdir()) == before  # nothing written
    code, _, err = run_cli("status", str(returns), "--out", str(returns / "." / ""), "--as-of", AS_OF)
    assert code == 2 and "is the returns folder" in err


@pytest.mark.parametrize("command,option", [("consolidate", "--ledger"), ("status", "--ledger"), ("chase", "--to")])
def test_a_ledger_or_reminders_written_among_the_returns_are_refused(returns: Path, tmp_path: Path, command: str, option: str):
    before = sorted(p.name for p in returns.iterdir())
    target = returns / ("ledger.sqlite" if option == "--ledger" else "reminders")
    code, _, err = run_cli(command, str(returns), "--out", str(tmp_path / "out"), "--previous", str(SAMPLE_REGISTER),
                           "--as-of", AS_OF, option, str(target))
    assert code == 2 and f"{option} {target} is inside the returns folder" in err and "Traceback" not in err
    assert sorted(p.name for p in returns.iterdir()) == before


# ---------------------------------------------------------------- generate: issued workbooks are kept apart from returns
# generate does not know the returns folder; it goes by what a folder holds (see workspace._issued_apart). An issued
# workbook among the returns is read by the next consolidate as that partnership's return: pre-filled, it passes.


def _generate(out: Path) -> tuple[int, str]:
    code, _, err = run_cli("generate", "--register", str(SAMPLE_REGISTER), "--out", str(out), "--only", "P001")
    return code, err


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_an_issued_workbook_left_among_the_returns_would_be_read_as_a_return(tmp_path: Path):
    """Why generate must refuse: the workbook it issues, untouched, is ready to send as it stands."""
    code, _ = _generate(tmp_path / "wb")
    assert code == 0
    issued, = (tmp_path / "wb").glob("P001 *.xlsx")
    code, printed, err = run_cli("check", str(issued), "--as-of", AS_OF)
    assert code == 0 and "ready to send" in printed, err


@pytest.mark.parametrize("inside", ["", "issued"])
def test_generate_refuses_the_returns_folder_and_any_folder_inside_it(returns: Path, inside: str):
    before = _files(returns)
    out = returns / inside if inside else returns
    code, err = _generate(out)
    assert code == 2 and "Traceback" not in err
    assert "holds returns (P001 annual return.xlsx is a workbook partxl issued, saved since" in err
    assert ("is inside" in err) == bool(inside)
    assert f"--out {returns.parent / 'workbooks'}" in err  # what to write instead
    assert _files(returns) == before  # nothing written, not even the folder


def test_a_return_further_up_is_the_mios_own_folder_not_a_returns_folder(tmp_path: Path):
    documents = tmp_path / "Documents"  # a return opened from an e-mail and saved here; the workbooks two levels down
    documents.mkdir()
    shutil.copy(REPO / "samples" / "returns" / "P001 annual return.xlsx", documents)
    code, err = _generate(documents / "partxl" / "workbooks")
    assert code == 0, err
    code, err = _generate(documents / "workbooks")
    assert code == 2 and f"is inside {documents}, which holds returns" in err


def test_generate_refuses_a_folder_of_saved_messages(tmp_path: Path):
    mail = tmp_path / "inbox"
    mail.mkdir()
    (mail / "RE Partnership return.eml").write_bytes(b"From: a@b.example\r\nSubject: return\r\n\r\nattached\r\n")
    code, err = _generate(mail)
    assert code == 2 and "RE Partnership return.eml is a saved message or mailbox" in err
    assert _files(mail) == ["RE Partnership return.eml"]


def test_generate_refuses_consolidates_output_folder_but_not_a_folder_of_its_own_in_it(returns: Path):
    from partxl.returns.ledger import Ledger

    out = returns / "out"  # consolidate's output folder inside the returns: consolidate leaves it, and all below, out
    with Ledger(out / "ledger.sqlite"):
        pass
    code, err = _generate(out)
    assert code == 2 and "is partxl consolidate's output folder (it holds ledger.sqlite)" in err
    assert f"--out {out / 'workbooks'}" in err
    assert _files(out) == ["ledger.sqlite"]
    code, err = _generate(out / "workbooks")
    assert code == 0, err
    assert [p.name for p in (out / "workbooks").iterdir()] == ["P001 Wexbridge Community Safety Partnership.xlsx"]


def test_generate_again_into_its_own_folder_is_no_returns_and_keeps_what_it_replaces(tmp_path: Path):
    wb = tmp_path / "wb"
    code, err = _generate(wb)
    assert code == 0, err
    issued, = wb.glob("P001 *.xlsx")
    code, printed, err = run_cli("generate", "--register", str(SAMPLE_REGISTER), "--out", str(wb), "--only", "P001", "--json")
    assert code == 0 and json.loads(printed)["files"] == {str(issued): "unchanged"}, err
    issued.write_bytes(issued.read_bytes() + b"\0")  # the MIO's own copy, changed: replaced, and kept
    code, printed, err = run_cli("generate", "--register", str(SAMPLE_REGISTER), "--out", str(wb), "--only", "P001", "--json")
    assert code == 0 and json.loads(printed)["files"] == {str(issued): "superseded"}, err
    kept, = (wb / "superseded").glob("P001 *.xlsx")
    assert kept.read_bytes().endswith(b"\0")
