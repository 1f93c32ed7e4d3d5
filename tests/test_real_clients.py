"""Returns re-saved by other real clients: Gnumeric's ssconvert, driven headless.

Recorded here (and in the README): a return converted by ssconvert to .xlsx ingests with every
value intact; ssconvert's .ods is a variant python-calamine cannot parse, so it is rejected with
a clear finding asking for .xlsx rather than misread.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from partxl.returns.validate import check_file

from .conftest import REPO

AS_OF = dt.date(2027, 4, 19)
RETURNS = REPO / "samples" / "returns"


def _ssconvert() -> str:
    found = shutil.which("ssconvert")
    if found:
        return found
    message = "Gnumeric's ssconvert is needed: apt-get install gnumeric"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.mark.parametrize("name", ["P001 annual return.xlsx", "P019 return.xlsx", "P017 Wexbridge Arts and Culture Partnership.ods"])
def test_a_return_converted_by_gnumeric_ingests_with_every_value_intact(name: str, tmp_path: Path, spec, config):
    converted = tmp_path / (Path(name).stem + ".xlsx")
    done = subprocess.run([_ssconvert(), str(RETURNS / name), str(converted)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    original, theirs = (check_file(p, spec, config, AS_OF) for p in (RETURNS / name, converted))
    assert theirs.accepted, [f.code for f in theirs.findings]
    assert theirs.values == original.values and len(theirs.values) > 50
    assert theirs.partnership_id == original.partnership_id


def test_gnumerics_ods_is_refused_clearly_not_misread(tmp_path: Path, spec, config):
    converted = tmp_path / "P001.ods"
    subprocess.run([_ssconvert(), str(RETURNS / "P001 annual return.xlsx"), str(converted)], capture_output=True, timeout=120,
                   check=True)
    checked = check_file(converted, spec, config, AS_OF)
    assert not checked.accepted and [f.code for f in checked.findings] == ["FILE_DAMAGED"]
    assert ".xlsx" in checked.findings[0].hint
