"""Worker processes: the start method is chosen, not left to Python's default, and spawn (macOS, Windows,
and perhaps Linux after Python 3.14) gives the very same outputs as fork."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import zipfile
from pathlib import Path

import pytest

import partxl
import partxl.workers
from partxl.workers import START_METHOD_VARIABLE, start_method

from .conftest import REPO, SAMPLE_REGISTER

AS_OF = dt.date(2027, 4, 19)
GET_CONTEXT = multiprocessing.get_context  # the real one: the tests wrap it to see which method each pool used


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _run(tmp: Path, method: str, monkeypatch) -> tuple[Path, Path, list[str]]:
    """Consolidate the sample cycle and issue every sample workbook with ``method``; the methods the pools used."""
    used: list[str] = []

    def recorded(name: str | None = None):
        used.append(name or "")
        return GET_CONTEXT(name)

    monkeypatch.setenv(START_METHOD_VARIABLE, method)
    monkeypatch.setattr(partxl.workers.multiprocessing, "get_context", recorded)
    ws = partxl.Workspace.load()
    ws.consolidate(REPO / "samples" / "returns", out=tmp / "out", previous=SAMPLE_REGISTER, as_of=AS_OF)
    ws.generate(tmp / "workbooks", register=SAMPLE_REGISTER)
    return tmp / "out", tmp / "workbooks", used


def test_the_start_method_is_explicit(monkeypatch):
    monkeypatch.delenv(START_METHOD_VARIABLE, raising=False)
    assert start_method() in ("fork", "spawn")
    monkeypatch.setenv(START_METHOD_VARIABLE, "no-such-method")
    with pytest.raises(ValueError, match="no-such-method"):
        start_method()


def test_spawned_workers_give_the_same_outputs_as_forked_ones(tmp_path: Path, monkeypatch):
    out_fork, books_fork, used_fork = _run(tmp_path / "fork", "fork", monkeypatch)
    out_spawn, books_spawn, used_spawn = _run(tmp_path / "spawn", "spawn", monkeypatch)
    assert set(used_fork) == {"fork"} and set(used_spawn) == {"spawn"}  # both really ran in worker pools
    for name in ("register.xlsx", "validation_report.xlsx", "committee_summary.xlsx"):
        assert _parts(out_spawn / name) == _parts(out_fork / name), name
    forked = sorted(p.name for p in books_fork.glob("*.xlsx"))
    assert forked == sorted(p.name for p in books_spawn.glob("*.xlsx")) and len(forked) >= 24
    for name in forked:
        assert (books_spawn / name).read_bytes() == (books_fork / name).read_bytes(), name
