"""The README's Python example runs as written, and says what it prints; the frames module gives DataFrames."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import pytest

import partxl
from partxl import frames

from .conftest import REPO


def _example() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- python-example:[^>]*-->\n```python\n(.*?)```", text, re.S)
    assert block, "README.md has no python-example block"
    return block.group(1)


@pytest.fixture(scope="module")
def worked(tmp_path_factory) -> tuple[Path, str]:
    """The example run in a folder holding a copy of the samples, as a user runs it from a checkout."""
    here = tmp_path_factory.mktemp("readme")
    shutil.copytree(REPO / "samples", here / "samples", ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    printed = io.StringIO()
    with contextlib.chdir(here), contextlib.redirect_stdout(printed):
        exec(compile(_example(), "README.md", "exec"), {})  # noqa: S102 - the project's own README
    return here, printed.getvalue()


def test_the_readme_example_runs_and_its_figures_agree_with_the_files(worked):
    here, printed = worked
    assert (here / "out" / "register.xlsx").is_file() and len(list((here / "out" / "workbooks").glob("*.xlsx"))) == 41
    ws = partxl.Workspace.load()
    rows = ws.register_rows(here / "out" / "register.xlsx")
    big = sum(r["Grant ≥ £100,000"] == "Yes" for r in rows)
    assert f"{big} partnerships receive a grant of £100,000 or more" in printed and big > 0
    assert re.search(r"^\d+ returns accepted of \d+ files$", printed, re.M)
    assert "P002 return.xlsx Information!" in printed  # the planted mistake in P002, to the cell
    assert "P001 is ready to send" in printed
    assert not (here / "out" / "ledger.sqlite-journal").exists()


def test_frames_give_the_register_findings_and_ledger(worked):
    here, _ = worked
    ws = partxl.Workspace.load()
    register = frames.register(ws, here / "out" / "register.xlsx")
    assert len(register) == len(ws.register_rows(here / "out" / "register.xlsx"))
    assert register.index.name == "Partnership ID" and "Annual grant (£)" in register.columns
    result = ws.check(here / "samples" / "returns" / "P002 return.xlsx")
    found = frames.findings(result)
    assert list(found.columns) == frames.FINDING_COLUMNS and len(found) == len(result.findings) > 0
    versions = frames.accepted_versions(here / "out" / "ledger.sqlite")
    assert {"partnership", "sha256", "last_path"} <= set(versions.columns) and len(versions) > 0
    with pytest.raises(partxl.PartxlError, match="no such ledger"):
        frames.accepted_versions(here / "nowhere.sqlite")
