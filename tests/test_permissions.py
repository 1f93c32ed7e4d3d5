"""Files partxl writes have the permissions the umask gives (0644 under the usual 022), not a temporary file's 0600:
a public page copied to a web server, or workbooks on a shared drive, must be readable by others."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import partxl

from .conftest import REPO, SAMPLE_REGISTER


def _modes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): stat.S_IMODE(p.stat().st_mode) for p in folder.rglob("*") if p.is_file()}


def test_outputs_follow_the_umask_and_a_replaced_file_keeps_its_mode(tmp_path: Path):
    old = os.umask(0o022)
    try:
        ws = partxl.Workspace.load()
        ws.generate(tmp_path / "workbooks", register=SAMPLE_REGISTER, only=("P001",), blank=True)
        ws.consolidate(REPO / "samples" / "returns", out=tmp_path / "out", previous=SAMPLE_REGISTER, as_of=dt.date(2027, 4, 19))
        ws.publish(tmp_path / "out" / "register.xlsx", out=tmp_path / "public", as_of=dt.date(2027, 4, 19))
        written = {**_modes(tmp_path / "workbooks"), **_modes(tmp_path / "public"),
                   **{k: v for k, v in _modes(tmp_path / "out").items() if k.endswith(".xlsx")}}
        assert written and set(written.values()) == {0o644}, written
        os.chmod(tmp_path / "public" / "index.html", 0o640)  # the council's own choice for this file
        ws.publish(tmp_path / "out" / "register.xlsx", out=tmp_path / "public", as_of=dt.date(2027, 4, 20))
        assert stat.S_IMODE((tmp_path / "public" / "index.html").stat().st_mode) == 0o640
        os.umask(0o027)
        ws.generate(tmp_path / "strict", register=SAMPLE_REGISTER, only=("P001",))
        assert set(_modes(tmp_path / "strict").values()) == {0o640}
    finally:
        os.umask(old)
