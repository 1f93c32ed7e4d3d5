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
