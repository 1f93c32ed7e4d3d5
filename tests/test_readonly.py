"""`partxl status` and `partxl chase` only read: the ledger and the outputs are as consolidate left them."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from .conftest import REPO, SAMPLE_REGISTER, run_cli

AS_OF = "2027-07-12"


def _ledger(path: Path) -> list[int]:
    """How many runs, files and sightings the ledger holds."""
    with closing(sqlite3.connect(path)) as db:
        return [db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in ("runs", "files", "sightings")]


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_status_and_chase_record_nothing(tmp_path: Path):
    returns = tmp_path / "returns"
    shutil.copytree(REPO / "samples" / "returns", returns)
    out = tmp_path / "out"
    code, _, err = run_cli("consolidate", str(returns), "--out", str(out), "--previous", str(SAMPLE_REGISTER), "--as-of", AS_OF)
    assert code in (0, 1), err
    before, counts = _tree(out), _ledger(out / "ledger.sqlite")
    (returns / "P005 late return.xlsx").write_bytes((returns / "P001 annual return.xlsx").read_bytes()[:-7])  # a new, damaged file
    for args in (["status", "--json"], ["chase", "--to", str(tmp_path / "mail"), "--workbooks", str(tmp_path / "none")]):
        code, _, err = run_cli(args[0], str(returns), "--out", str(out), "--previous", str(SAMPLE_REGISTER), "--as-of", AS_OF,
                               *args[1:])
        assert code in (0, 1), err
    assert _ledger(out / "ledger.sqlite") == counts  # no run, no file, no sighting recorded
    assert _tree(out) == before  # nor any output touched


def test_status_without_a_ledger_makes_none(tmp_path: Path):
    code, out, err = run_cli("status", str(REPO / "samples" / "returns"), "--out", str(tmp_path / "out"), "--previous",
                             str(SAMPLE_REGISTER), "--as-of", AS_OF, "--json")
    assert code == 1, err  # some partnerships need action
    assert '"officers"' in out and not (tmp_path / "out").exists()
